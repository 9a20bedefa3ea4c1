"""Speed of campaign_toolkit.lift and privacy (prints figures; not a test).

Run: python benchmarks/bench_lift.py
Baseline in the same process: metrics.kpis (a plain ratio-of-sums groupby) on the same data.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from campaign_toolkit import lift, metrics, privacy
from campaign_toolkit.synthetic.segments import simulate_segments


def timed(f, n=20):
    t = time.perf_counter()
    for _ in range(n):
        f()
    return (time.perf_counter() - t) / n


def main():
    df, _ = simulate_segments(0)
    big = pd.concat([simulate_segments(s)[0].assign(campaign_id=f"C{s}") for s in range(50)], ignore_index=True)
    base = timed(lambda: metrics.kpis(df, "age_band", ["conversions_per_1000"]))
    print(f"rows small={len(df)}, big={len(big)}")
    print(f"baseline metrics.kpis by age_band: {1e3 * base:.2f} ms")
    for name, f in [
        ("segment_lift (2 dims)", lambda: lift.segment_lift(df, "conversions_per_1000", ["age_band", "gender"])),
        ("adjusted_effects (ref level)", lambda: lift.adjusted_effects(df, "conversions_per_1000", "age_band")),
        ("adjusted_effects (vs rest)", lambda: lift.adjusted_effects(df, "conversions_per_1000", "age_band",
                                                                     reference="rest")),
        ("report_section", lambda: lift.report_section(df, "action")),
    ]:
        t = timed(f)
        print(f"{name}: {1e3 * t:.1f} ms ({t / base:.0f}x baseline)")
    t = timed(lambda: lift.adjusted_effects(big, "conversions_per_1000", "age_band"), n=3)
    print(f"adjusted_effects on {len(big)} rows, 100 campaigns: {1e3 * t:.0f} ms")
    rng = np.random.default_rng(0)
    tab = pd.DataFrame([(r, c) for r in range(17) for c in range(6)], columns=["r", "c"]).astype(str)
    tab["n"] = rng.integers(0, 60, len(tab))
    t = timed(lambda: privacy.suppress(tab, "n", 10, dims=["r", "c"]), n=3)
    print(f"privacy.suppress 17x6 table ({int((tab['n'] < 10).sum())} small cells): {1e3 * t:.0f} ms")
    t = timed(lambda: [lift.segment_lift(simulate_segments(s)[0], "conversions_per_1000", "age_band")
                       for s in range(20)], n=1) / 20
    print(f"calibration loop per seed (simulate + segment_lift): {1e3 * t:.1f} ms")


if __name__ == "__main__":
    main()
