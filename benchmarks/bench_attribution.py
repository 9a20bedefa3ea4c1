"""Speed and memory of the attribution models on one million journeys over 8 channels.

Run from the project root:

    python benchmarks/bench_attribution.py [--journeys 1000000] [--seed 20261203]

Journeys come from the seeded simulator (campaign_toolkit.synthetic.journeys). Inputs:

- "strings, 1 row/journey": one row per journey (1M path strings, 0/1 conversion),
  the hardest string input (no pre-aggregation);
- "strings, aggregated": one row per distinct path (what the warehouse stores);
- "integer-coded": EncodedPaths (channel codes + offsets), no parsing: one path per
  journey (1M paths, merged by integer keys inside) or already aggregated.

Times are the best of 3 runs (wall clock, seconds). Memory, in separate runs: the
peak traced by tracemalloc (Python + numpy allocations) and the peak resident memory
added by the call in a forked child (includes DuckDB). The baseline is a plain
pandas groupby-sum of the 1M path strings, in the same process.
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

from campaign_toolkit import attribution as A
from campaign_toolkit.synthetic.journeys import simulate_journeys

CHANNELS = ["search", "social_meta", "social_other", "online_video", "programmatic_display",
            "ctv", "audio_streaming", "tv"]


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def peak_mb(fn) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def rss_increase_mb(fn) -> float:
    """Peak resident memory added by ``fn`` (incl. DuckDB / C allocations), in a forked child."""
    import multiprocessing as mp
    import os

    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)

    def child():
        with open("/proc/self/statm") as fh:
            r0 = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        fn()
        r1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        send.send(max(r1 - r0, 0) / 2**20)

    p = ctx.Process(target=child)
    p.start()
    out = recv.recv()
    p.join()
    return out


def per_journey_rows(agg: pd.DataFrame, seed: int) -> pd.DataFrame:
    """One row per journey (shuffled), from the aggregated paths."""
    paths = agg["path"].to_numpy()
    conv = np.repeat(paths, agg["conversions"].astype(int))
    null = np.repeat(paths, agg["nulls"].astype(int))
    df = pd.DataFrame({"path": np.concatenate([conv, null]),
                       "conversions": np.r_[np.ones(len(conv)), np.zeros(len(null))],
                       "nulls": np.r_[np.zeros(len(conv)), np.ones(len(null))]})
    df = df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    df["path"] = df["path"].astype("str")
    return df


def encoded_per_journey(rows: pd.DataFrame) -> A.EncodedPaths:
    """EncodedPaths with one path per journey (built once, outside the timings)."""
    agg = A.encode_paths(rows.groupby("path", as_index=False)[["conversions", "nulls"]].sum())
    uniq = pd.Index(rows.groupby("path", as_index=False).size()["path"])
    which = uniq.get_indexer(rows["path"])
    lens_u = np.diff(agg.offsets)
    lens = lens_u[which]
    off = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    pos = np.arange(off[-1]) - np.repeat(off[:-1], lens)
    codes = agg.codes[np.repeat(agg.offsets[:-1][which], lens) + pos]
    return A.EncodedPaths(agg.channels, codes.astype(np.int32), off,
                          rows["conversions"].to_numpy(float), rows["nulls"].to_numpy(float)).check()


def touchpoints_from(rows: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Touchpoints (user, timestamp, channel) and conversions for every journey."""
    rng = np.random.default_rng(seed)
    split = rows["path"].str.split(" > ")
    lens = split.str.len().to_numpy()
    users = np.repeat(np.arange(len(rows)), lens)
    gaps = rng.exponential(2.0, size=lens.sum())  # days between touches
    t = pd.Series(gaps).groupby(users).cumsum().to_numpy()
    t0 = pd.Timestamp("2026-01-01")
    tp = pd.DataFrame({"user_key": users, "timestamp": t0 + pd.to_timedelta(t, unit="D"),
                       "channel": np.concatenate(split.to_numpy())})
    last = pd.Series(t).groupby(users).max()
    conv = rows["conversions"].to_numpy() > 0
    cu = np.flatnonzero(conv)
    cv = pd.DataFrame({"user_key": cu, "timestamp": t0 + pd.to_timedelta(last.to_numpy()[cu] + 0.5, unit="D"),
                       "value": rng.gamma(2.0, 50.0, size=cu.size)})
    return tp, cv


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--journeys", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=20261203)
    ap.add_argument("--skip-touchpoints", action="store_true")
    args = ap.parse_args()

    agg, truth = simulate_journeys(CHANNELS, args.journeys, seed=args.seed)
    rows = per_journey_rows(agg, args.seed)
    enc = encoded_per_journey(rows)
    enc_agg = A.aggregate_paths(enc)
    A.markov(agg.head(50), n_boot=0)  # warm imports (scipy.sparse) outside the timings

    cases = [
        ("baseline: pandas groupby-sum of path strings",
         lambda: rows.groupby("path")[["conversions", "nulls"]].sum()),
        ("Markov o1, strings, 1 row/journey", lambda: A.markov(rows, n_boot=0)),
        ("Markov o1, strings, aggregated", lambda: A.markov(agg, n_boot=0)),
        ("Markov o1, integer-coded, 1 path/journey (1M)", lambda: A.markov(enc, n_boot=0)),
        ("Markov o1, integer-coded, aggregated", lambda: A.markov(enc_agg, n_boot=0)),
        ("Markov o1 + 200 bootstrap, aggregated", lambda: A.markov(agg, n_boot=200, seed=1)),
        ("Markov o2, strings, 1 row/journey", lambda: A.markov(rows, order=2, n_boot=0)),
        ("Markov o3, strings, 1 row/journey", lambda: A.markov(rows, order=3, n_boot=0)),
        ("Shapley exact (8 ch.), strings, 1 row/journey", lambda: A.shapley(rows)),
        ("Shapley exact (8 ch.), integer-coded", lambda: A.shapley(enc)),
        ("Shapley rate (8 ch.), aggregated", lambda: A.shapley(agg, value_function="rate")),
        ("Heuristic linear, strings, 1 row/journey", lambda: A.heuristic(rows, "linear")),
        ("compare() 6 models + 200 bootstrap, aggregated", lambda: A.compare(agg, seed=1)),
    ]
    if not args.skip_touchpoints:
        tp, cv = touchpoints_from(rows, args.seed)
        cases.append((f"paths_from_touchpoints ({len(tp):,} touches, DuckDB)",
                      lambda: A.paths_from_touchpoints(tp, cv, lookback_days=30)))

    print(f"{args.journeys:,} journeys, {len(CHANNELS)} channels, {len(agg):,} distinct paths, "
          f"{len(enc.codes):,} touches; seed {args.seed}")
    base = None
    print(f"{'case':<52} {'seconds':>8} {'x base':>7} {'py peak MB':>10} {'RSS +MB':>8}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, fn in cases:
            sec = best_of(fn, 3 if "touchpoints" not in name else 1)
            mb = peak_mb(fn)
            rss = rss_increase_mb(fn)
            base = base or sec
            print(f"{name:<52} {sec:8.3f} {sec / base:7.1f} {mb:10.0f} {rss:8.0f}")
    res = A.markov(agg, n_boot=0, allocation="global")
    err = max(abs(res.table.set_index("channel").loc[c, "removal_effect"] - truth["removal_effects"][c])
              for c in CHANNELS)
    print(f"max |removal effect - planted truth| = {err:.4f}")
    print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
