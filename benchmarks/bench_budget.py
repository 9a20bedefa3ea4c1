"""Speed of campaign_toolkit.budget and planning (prints figures; not a test).

Run: python benchmarks/bench_budget.py
Targets (issue 4): a media-mix fit for 8 channels x 156 weeks in under 10 s (with its
bootstrap); an optimization with every kind of constraint in under 0.5 s.
Baseline in the same process: one ordinary least-squares fit (numpy lstsq) of the same
outcome on the raw spend columns, i.e. the cheapest possible "media mix".
"""

from __future__ import annotations

import time

import numpy as np

from campaign_toolkit import budget, planning
from campaign_toolkit.synthetic.media_mix import simulate_media_mix


def timed(f, n=3):
    best = np.inf
    for _ in range(n):
        t = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t)
    return best, out


def main():
    df, truth = simulate_media_mix(8, 156, seed=0)
    X = np.column_stack([np.ones(len(df)), df[truth["spend_columns"]].to_numpy()])
    base, _ = timed(lambda: np.linalg.lstsq(X, df["outcome"].to_numpy(), rcond=None), n=50)
    print(f"data: 8 channels x 156 weeks; baseline OLS on raw spend: {1e3 * base:.2f} ms")
    for n_boot in (0, 100, 200):
        t, m = timed(lambda: budget.fit_media_mix(df, control_cols=["holiday"], n_boot=n_boot, seed=0), n=2)
        print(f"fit_media_mix n_boot={n_boot}: {t:.2f} s ({t / base:,.0f}x baseline)")
    c = m.contributions.set_index("channel")["contribution"]
    err = max(abs(c[ch] / v - 1) for ch, v in truth["contributions"].items())
    print(f"  (default noise: largest contribution error vs planted truth {100 * err:.1f} %)")

    flags = planning.DEFAULT_CHANNEL_FLAGS
    cons = {"exclude": ["print"], "fixed": {"search": 20_000}, "min_spend": {"radio": 10_000},
            "max_spend": {"online_video": 60_000}, "min_share": {"community": 0.04, "fr": 0.8, "ctv": 0.05},
            "max_share": {"web_giant": 0.35, "tv": 0.3}, "flags": flags}
    t_all, plan = timed(lambda: planning.optimize(m, 250_000.0, None, cons), n=5)
    t_none, _ = timed(lambda: planning.optimize(m, 250_000.0, None, {}), n=5)
    print(f"optimize, no constraint: {1e3 * t_none:.0f} ms")
    print(f"optimize, every kind of constraint ({len(cons) - 1} kinds, {len(plan.binding)} binding, "
          f"each re-optimized for its cost): {1e3 * t_all:.0f} ms")
    t_cmp, _ = timed(lambda: planning.compare(m, {"a": plan, "b": {ch: 31_250.0 for ch in m.channels}},
                                              constraints=cons), n=5)
    print(f"compare 2 plans with constraints: {1e3 * t_cmp:.0f} ms")


if __name__ == "__main__":
    main()
