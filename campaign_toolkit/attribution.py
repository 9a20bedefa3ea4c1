"""Attribution of conversions to channels: heuristic, exact Markov and Shapley models.

Inputs
------
*Aggregated paths*: a DataFrame with a path string (channels joined by a separator,
default ``">"``; spaces around each channel are ignored, so ``"search > social_meta"``
and ``"search>social_meta"`` are the same path), a conversion count (fractional counts
are kept as they are), optionally a null count (journeys that did not convert) and a
conversion value (CAD). When the null column is absent, **each row with zero
conversions counts as one null journey** and rows with conversions count no null.
Identical paths are summed first; every model is linear in the rows, so this changes
no result.

*Touchpoints*: :func:`paths_from_touchpoints` turns (user_key, timestamp, channel)
touches and (user_key, timestamp, value) conversions into aggregated paths with a
lookback window, in DuckDB.

Rules every model follows
-------------------------
- total conversions (and value) are preserved: the channel credits sum to the totals;
- a row's conversions are only ever credited to channels of that row's path (the
  Markov model's default ``allocation="path"`` ensures this, see :func:`markov`);
- a table with no conversion at all, empty paths, a path of only separators, negative
  or missing (NaN) counts, and channel names that contain the separator are refused
  with an error saying what to fix. (In a path *string* the separator always splits,
  so a channel name containing it can only be caught where names arrive on their own:
  :meth:`EncodedPaths.from_sequences` and :func:`paths_from_touchpoints` refuse them.)

Integer-coded input: :class:`EncodedPaths` (channel codes + offsets) is accepted by
every model in place of a DataFrame and skips string parsing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .results import Result

__all__ = [
    "EncodedPaths", "encode_paths", "aggregate_paths", "collapse_repeats", "heuristic", "markov", "shapley", "compare",
    "paths_from_touchpoints", "report_table", "MarkovResult", "AttributionResult",
    "ComparisonResult", "POSITION_PRESETS",
]

START, CONV, NULL = "(start)", "(conversion)", "(null)"
RESERVED = (START, CONV, NULL)

#: Position-based presets: (first, middle, last) weights.
POSITION_PRESETS: dict[str, tuple[float, float, float]] = {
    "u": (0.4, 0.2, 0.4),
    "j": (0.2, 0.2, 0.6),
    "inverse_j": (0.6, 0.2, 0.2),
}

HEURISTIC_MODELS = ("first", "last", "linear", "time_decay", "position")


# ---------------------------------------------------------------------------
# Input: encoded paths
# ---------------------------------------------------------------------------


@dataclass
class EncodedPaths:
    """Paths as integer codes: path ``i`` is ``codes[offsets[i]:offsets[i+1]]``.

    ``channels[c]`` names code ``c``. ``conversions``, ``nulls`` and ``value`` are float
    arrays, one entry per path (``value`` may be None). ``days`` (optional) holds, for
    each touch, the days between the touch and the end of its journey (used by the
    time-decay model). ``nulls_from_zero_rows`` records that nulls were derived from
    zero-conversion rows because the table had no null column.
    """

    channels: list[str]
    codes: np.ndarray
    offsets: np.ndarray
    conversions: np.ndarray
    nulls: np.ndarray
    value: np.ndarray | None = None
    days: np.ndarray | None = None
    nulls_from_zero_rows: bool = False

    @property
    def n_paths(self) -> int:
        """Number of paths."""
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        """Number of touches of each path."""
        return np.diff(self.offsets)

    def path_index(self) -> np.ndarray:
        """For each touch, the index of its path."""
        return np.repeat(np.arange(self.n_paths), self.lengths)

    @classmethod
    def from_sequences(cls, sequences, conversions, nulls=None, value=None, *, sep: str = ">"
                       ) -> EncodedPaths:
        """Build from lists of channel names (one list per path).

        Channel names may not contain ``sep`` (they could not be written back as path
        strings) nor be empty. ``nulls=None`` counts zero-conversion paths as one null.
        """
        seqs = [list(map(str, s)) for s in sequences]
        names = sorted({c for s in seqs for c in s})
        _check_channel_names(names, sep)
        if any(len(s) == 0 for s in seqs):
            bad = [i for i, s in enumerate(seqs) if len(s) == 0][:10]
            raise ValueError(f"empty paths at positions {bad}: every path needs at least one channel.")
        code = {c: i for i, c in enumerate(names)}
        flat = np.fromiter((code[c] for s in seqs for c in s), dtype=np.int32)
        offsets = np.concatenate([[0], np.cumsum([len(s) for s in seqs])]).astype(np.int64)
        conv = _count_array(np.asarray(conversions, dtype=float), "conversions")
        from_zero = nulls is None
        nul = (conv == 0).astype(float) if from_zero else _count_array(np.asarray(nulls, dtype=float), "nulls")
        val = None if value is None else _count_array(np.asarray(value, dtype=float), "value")
        return cls(names, flat, offsets, conv, nul, val, None, from_zero)

    def check(self) -> EncodedPaths:
        """Validate shapes, codes and counts; return self."""
        n = self.n_paths
        if n < 1:
            raise ValueError("no paths: the table is empty.")
        if self.offsets[0] != 0 or self.offsets[-1] != len(self.codes) or (np.diff(self.offsets) < 1).any():
            raise ValueError("offsets must start at 0, end at len(codes) and give every path >= 1 touch.")
        if len(self.codes) and (self.codes.min() < 0 or self.codes.max() >= len(self.channels)):
            raise ValueError("channel codes must be in 0..len(channels)-1.")
        for name in ("conversions", "nulls", "value"):
            arr = getattr(self, name)
            if arr is not None:
                if len(arr) != n:
                    raise ValueError(f"{name} has {len(arr)} entries for {n} paths.")
                _count_array(arr, name)
        _check_channel_names(self.channels, None)
        if len(set(self.channels)) != len(self.channels):
            raise ValueError(f"channels has duplicate names: {self.channels}.")
        return self


def _check_channel_names(names, sep: str | None) -> None:
    for c in names:
        if not c or not c.strip():
            raise ValueError("a channel name is empty; give every touch a channel.")
        if sep is not None and sep.strip() and sep.strip() in c:
            raise ValueError(
                f"channel name {c!r} contains the path separator {sep.strip()!r}; rename the channel "
                f"(e.g. replace {sep.strip()!r} by '_') or choose another sep.")
        if c in RESERVED:
            raise ValueError(f"channel name {c!r} is reserved for the Markov chain's own states; rename it.")


def _count_array(arr: np.ndarray, name: str, rows=None) -> np.ndarray:
    arr = np.asarray(arr, dtype=float)
    labels = np.asarray(rows) if rows is not None else np.arange(len(arr))
    bad = np.isnan(arr)
    if bad.any():
        raise ValueError(f"{name} has missing (NaN) values at rows {labels[bad][:10].tolist()}; "
                         f"fill them (0 if there were none) or drop those rows.")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(f"{name} has infinite values at rows {labels[bad][:10].tolist()}.")
    bad = arr < 0
    if bad.any():
        raise ValueError(f"{name} has negative values at rows {labels[bad][:10].tolist()}; "
                         f"counts and values must be >= 0.")
    return arr


def _numeric_column(df: pd.DataFrame, col: str) -> np.ndarray:
    s = df[col]
    if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
        raise TypeError(f"column {col!r} must be numeric, not {s.dtype}; convert it with pd.to_numeric.")
    return _count_array(s.astype("float64").to_numpy(na_value=np.nan), col, df.index)


def _split_unique(uniq: np.ndarray, sep: str, index_of_unique) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Split unique path strings into channel codes. Returns (channels, codes, offsets)."""
    raw_sep = sep
    n_tok = np.fromiter((s.count(raw_sep) for s in uniq), dtype=np.int64, count=len(uniq)) + 1
    tokens = raw_sep.join(uniq).split(raw_sep)
    tok_codes, tok_uniq = pd.factorize(np.asarray(tokens, dtype=object))
    stripped = np.array([t.strip() for t in tok_uniq], dtype=object)
    offsets = np.concatenate([[0], np.cumsum(n_tok)])
    empty = np.flatnonzero(stripped == "")
    if empty.size:
        bad_tok = np.isin(tok_codes, empty)
        pid = np.repeat(np.arange(len(uniq)), n_tok)
        bad_paths = np.unique(pid[bad_tok])
        examples = [(index_of_unique(i), uniq[i]) for i in bad_paths[:5]]
        raise ValueError(
            "paths with an empty channel (an empty path, a path of only separators, or two separators "
            f"in a row) at (row, path): {examples}; remove those rows or fix the paths.")
    channels = sorted(set(stripped.tolist()))
    _check_channel_names(channels, None)
    remap = np.searchsorted(np.asarray(channels, dtype=object), stripped).astype(np.int32)
    return channels, remap[tok_codes], offsets.astype(np.int64)


def encode_paths(paths, *, path_col: str = "path", conv_col: str = "conversions",
                 null_col: str | None = "nulls", value_col: str | None = None, sep: str = ">",
                 days_col: str | None = None) -> EncodedPaths:
    """Validate an aggregated-path table and encode it as :class:`EncodedPaths`.

    Identical paths are summed (unless ``days_col`` is given: then every row is kept,
    since its per-touch days are its own). If ``null_col`` is None, or is the default
    ``"nulls"`` and absent from the table, each zero-conversion row counts as one null
    journey. ``days_col`` holds, per row, the days between each touch and the end of
    the journey, joined by ``sep`` like the path (as :func:`paths_from_touchpoints`
    writes with ``aggregate=False``).
    """
    if isinstance(paths, EncodedPaths):
        return aggregate_paths(paths.check())
    if not isinstance(paths, pd.DataFrame):
        raise TypeError(f"paths must be a DataFrame or EncodedPaths, not {type(paths).__name__}.")
    if not isinstance(sep, str) or not sep.strip():
        raise ValueError(f"sep must be a non-blank string, not {sep!r}.")
    sep = sep.strip()
    need = [path_col, conv_col] + [c for c in (value_col, days_col) if c is not None]
    missing = [c for c in need if c not in paths.columns]
    if null_col is not None and null_col not in paths.columns and null_col != "nulls":
        missing.append(null_col)
    if missing:
        raise KeyError(f"missing columns {missing}; the table has {list(paths.columns)}.")
    if len(paths) == 0:
        raise ValueError("no paths: the table is empty.")
    s = paths[path_col]
    if not (pd.api.types.is_string_dtype(s) or s.dtype == object):
        raise TypeError(f"column {path_col!r} must hold path strings, not {s.dtype}.")
    conv = _numeric_column(paths, conv_col)
    from_zero = null_col is None or null_col not in paths.columns
    nulls = (conv == 0).astype(float) if from_zero else _numeric_column(paths, null_col)
    value = _numeric_column(paths, value_col) if value_col is not None else None
    codes_u, uniq = pd.factorize(s, use_na_sentinel=True)
    if (codes_u < 0).any():
        raise ValueError(f"column {path_col!r} has missing paths at rows "
                         f"{paths.index[codes_u < 0][:10].tolist()}; drop or fill them.")
    uniq = np.asarray(uniq, dtype=object)
    if not all(isinstance(u, str) for u in uniq):
        raise TypeError(f"column {path_col!r} must hold strings.")

    def first_row(i: int):  # row label of the first occurrence of unique path i (for errors)
        return paths.index[int(np.flatnonzero(codes_u == i)[0])]

    channels, codes, offsets = _split_unique(uniq, sep, first_row)
    if days_col is None:
        n_u = len(uniq)
        agg = lambda a: np.bincount(codes_u, weights=a, minlength=n_u)  # noqa: E731
        return EncodedPaths(channels, codes, offsets, agg(conv), agg(nulls),
                            None if value is None else agg(value), None, from_zero).check()
    # keep every row: gather each row's unique path
    lens_u = np.diff(offsets)
    lens = lens_u[codes_u]
    row_off = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    pos = np.arange(row_off[-1]) - np.repeat(row_off[:-1], lens)
    flat = codes[np.repeat(offsets[:-1][codes_u], lens) + pos]
    days = _parse_days(paths[days_col], sep, lens, paths.index)
    return EncodedPaths(channels, flat, row_off, conv, nulls, value, days, from_zero).check()


def _parse_days(col: pd.Series, sep: str, lens: np.ndarray, index) -> np.ndarray:
    out = []
    for lab, txt, n in zip(index, col.astype(str), lens):
        parts = [p.strip() for p in txt.split(sep)]
        if len(parts) != n:
            raise ValueError(f"row {lab}: {len(parts)} day values for a path of {n} touches.")
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            raise ValueError(f"row {lab}: days {txt!r} are not numbers.") from None
        if any(not math.isfinite(v) or v < 0 for v in vals):
            raise ValueError(f"row {lab}: days must be finite and >= 0, got {txt!r}.")
        out.extend(vals)
    return np.asarray(out, dtype=float)


def aggregate_paths(ep: EncodedPaths) -> EncodedPaths:
    """Merge identical paths (summing conversions, nulls and value); keeps paths with days as they are.

    Each path gets an exact integer key (one base-(K+1) digit per touch, in uint64 blocks
    of touches), so grouping hashes integers, not strings.
    """
    if ep.days is not None or ep.n_paths < 2:
        return ep
    base = len(ep.channels) + 1
    per_block = 1  # touches per uint64 key block: largest p with base**p <= 2**64 - 1
    while base ** (per_block + 1) <= 2**64 - 1:
        per_block += 1
    pid = ep.path_index()
    pos = np.arange(len(ep.codes)) - ep.offsets[:-1][pid]
    block = pos // per_block
    n_blocks = int(block.max()) + 1
    powers = np.array([base ** i for i in range(per_block)], dtype=np.uint64)
    digit = (ep.codes.astype(np.uint64) + np.uint64(1)) * powers[pos % per_block]
    seg = pid.astype(np.int64) * n_blocks + block
    starts = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])
    keys = np.zeros(ep.n_paths * n_blocks, dtype=np.uint64)
    keys[seg[starts]] = np.add.reduceat(digit, starts)
    keys = keys.reshape(ep.n_paths, n_blocks)
    inv, uniq = pd.factorize(keys[:, 0])  # hashing: O(n), no sort
    for b in range(1, n_blocks):
        codes_b, uniq_b = pd.factorize(keys[:, b])
        inv, uniq = pd.factorize(inv.astype(np.int64) * len(uniq_b) + codes_b)
    n_u = len(uniq)
    first = np.empty(n_u, dtype=np.int64)
    first[inv[::-1]] = np.arange(ep.n_paths - 1, -1, -1)  # first path of each group
    if n_u == ep.n_paths:
        return ep
    lens = ep.lengths[first]
    offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    gather = np.repeat(ep.offsets[:-1][first], lens) + (np.arange(offsets[-1]) - np.repeat(offsets[:-1], lens))
    agg = lambda a: None if a is None else np.bincount(inv, weights=a, minlength=n_u)  # noqa: E731
    return EncodedPaths(ep.channels, ep.codes[gather], offsets, agg(ep.conversions), agg(ep.nulls),
                        agg(ep.value), None, ep.nulls_from_zero_rows)


def collapse_repeats(ep: EncodedPaths) -> EncodedPaths:
    """Return paths where consecutive touches of one channel are merged into one.

    ``"search > search > social_meta"`` becomes ``"search > social_meta"``; the kept
    touch is the first of each run (its days, if any).
    """
    codes = ep.codes
    starts = np.zeros(len(codes), dtype=bool)
    starts[ep.offsets[:-1]] = True
    keep = starts.copy()
    keep[1:] |= codes[1:] != codes[:-1]
    if keep.all():
        return ep
    pid = ep.path_index()[keep]
    lens = np.bincount(pid, minlength=ep.n_paths)
    offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    return replace(ep, codes=codes[keep], offsets=offsets,
                   days=None if ep.days is None else ep.days[keep])


def _require_conversions(ep: EncodedPaths) -> float:
    total = float(ep.conversions.sum())
    if total <= 0:
        raise ValueError("the table has no conversions at all: there is nothing to attribute. "
                         "Check the conversion column (or the period / campaign selected).")
    return total


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


def _channel_label(code: str, lang: str) -> str:
    from .schema import label

    return label("channel", code, lang)


@dataclass
class AttributionResult(Result):
    """Credit per channel from one attribution model (``.table``: channel, conversions, share...)."""

    model_fr: str = ""
    model_en: str = ""

    def summary(self, lang: str = "fr") -> str:
        """Plain sentences naming the channels with the most credit (French by default)."""
        from .report import fmt

        t = self.table.sort_values("conversions", ascending=False)
        total = float(self.table["conversions"].sum())
        name = self.model_fr if lang == "fr" else self.model_en
        parts = []
        for _, row in t.head(3).iterrows():
            lab = _channel_label(row["channel"], lang)
            pct = fmt.percent(row["conversions"] / total if total else float("nan"), lang)
            ci = ""
            if "ci_low" in t.columns and pd.notna(row.get("ci_low")):
                lo, hi = (fmt.percent(row[c] / total, lang) for c in ("ci_low", "ci_high"))
                ci = f" (IC 95 % : {lo} à {hi})" if lang == "fr" else f" (95% CI: {lo} to {hi})"
            parts.append(f"« {lab} » {pct}{ci}" if lang == "fr" else f"“{lab}” {pct}{ci}")
        conv = fmt.number(total, lang, 0 if abs(total - round(total)) < 1e-6 else 1)
        if lang == "fr":
            return (f"{name} : {conv} conversions attribuées. Part des conversions des principaux "
                    f"canaux : " + " ; ".join(parts) + ".")
        return f"{name}: {conv} conversions attributed. Share of conversions of the leading channels: " \
            + "; ".join(parts) + "."

    def plot(self, ax=None):
        """Horizontal bars of the conversions credited to each channel (with interval if any)."""
        t = self.table.sort_values("conversions", ascending=False).reset_index(drop=True)
        view = Result(t, self.method, estimate_col="conversions", label_col="channel")
        ax = view.plot(ax=ax)
        ax.set_xlabel("Conversions")
        ax.set_title(self.model_fr or self.method)
        return ax


@dataclass
class MarkovResult(AttributionResult):
    """Markov attribution: ``.table`` plus the chain (``.transition``) and probabilities."""

    transition: pd.DataFrame | None = None
    conversion_probability: float = float("nan")

    def summary(self, lang: str = "fr") -> str:
        """Credit of the leading channels and the chain's conversion probability."""
        from .report import fmt

        base = super().summary(lang)
        p = fmt.percent(self.conversion_probability, lang, 2)
        if lang == "fr":
            return base + (f" Probabilité de conversion d'un parcours selon la chaîne : {p}. L'effet de "
                           "retrait d'un canal est la baisse relative de cette probabilité quand on le "
                           "retire.")
        return base + (f" Conversion probability of a journey in the chain: {p}. A channel's removal "
                       "effect is the relative drop of that probability when it is removed.")


@dataclass
class ComparisonResult(Result):
    """Side-by-side credit per channel: a row per channel, a column per model."""

    models: list[str] = field(default_factory=list)

    def summary(self, lang: str = "fr") -> str:
        """Name, for each model, the channel with the most credit."""
        from .report import fmt

        out = []
        for m in self.models:
            col = self.table[m]
            top = self.table.loc[col.idxmax(), "channel"]
            share = col.max() / col.sum()
            lab = _channel_label(top, lang)
            name = _model_label(m, lang)
            out.append(f"{name} : « {lab} » ({fmt.percent(share, lang)})" if lang == "fr"
                       else f"{name}: “{lab}” ({fmt.percent(share, lang)})")
        head = "Canal en tête selon chaque modèle — " if lang == "fr" else "Leading channel under each model: "
        return head + " ; ".join(out) + "." if lang == "fr" else head + "; ".join(out) + "."

    def plot(self, ax=None, lang: str = "fr"):
        """Grouped horizontal bars: conversions per channel under each model. Returns the Axes."""
        import matplotlib.pyplot as plt

        from .report.theme import PALETTE, apply_theme

        apply_theme()
        t = self.table
        k, m = len(t), len(self.models)
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 0.5 * k * max(m, 2) / 2 + 1.5))
        h = 0.8 / max(m, 1)
        y = np.arange(k)
        for i, mod in enumerate(self.models):
            ax.barh(y + i * h, t[mod].astype(float), height=h, color=PALETTE[i % len(PALETTE)],
                    label=_model_label(mod, lang))
        if "markov" in self.models and {"markov_ci_low", "markov_ci_high"} <= set(t.columns):
            i = self.models.index("markov")
            est = t["markov"].astype(float)
            ax.errorbar(est, y + i * h, xerr=[(est - t["markov_ci_low"]).clip(lower=0),
                                               (t["markov_ci_high"] - est).clip(lower=0)],
                        fmt="none", ecolor="#333333", capsize=2)
        ax.set_yticks(y + h * (m - 1) / 2)
        ax.set_yticklabels([_channel_label(c, lang) for c in t["channel"]])
        ax.invert_yaxis()
        ax.set_xlabel("Conversions attribuées" if lang == "fr" else "Attributed conversions")
        ax.legend(loc="lower right", fontsize="small")
        return ax


# ---------------------------------------------------------------------------
# Heuristic models
# ---------------------------------------------------------------------------


def _position_weights(lens_t: np.ndarray, pos: np.ndarray, w: tuple[float, float, float]) -> np.ndarray:
    wf, wm, wl = w
    first, last = pos == 0, pos == lens_t - 1
    out = np.zeros(len(pos))
    one = lens_t == 1
    two = lens_t == 2
    many = lens_t >= 3
    out[one] = 1.0
    out[two & first] = wf / (wf + wl)
    out[two & last] = wl / (wf + wl)
    out[many & first] = wf
    out[many & last] = wl
    mid = many & ~first & ~last
    out[mid] = wm / (lens_t[mid] - 2)
    return out


def heuristic(paths, model: str = "last", *, path_col: str = "path", conv_col: str = "conversions",
              value_col: str | None = None, sep: str = ">", weights: str | tuple = "u",
              half_life: float = 7.0, days_col: str | None = None,
              collapse: bool = False) -> AttributionResult:
    """Rule-based attribution of each path's conversions (and value) to its touches.

    ``model``:

    - ``"first"`` / ``"last"``: all credit to the first / last touch;
    - ``"linear"``: equal credit to every touch (a channel touched twice gets two shares);
    - ``"position"``: ``weights`` = (first, middle, last) shares, or a preset name:
      ``"u"`` 40/20/40 (default), ``"j"`` 20/20/60, ``"inverse_j"`` 60/20/20. The middle
      share is split equally among middle touches; a two-touch path splits
      first:last in proportion (50/50 for U); a one-touch path gets everything;
    - ``"time_decay"``: touch weight ``2 ** (-days / half_life)`` (``half_life`` in days),
      normalised within each path; needs per-touch days (``days_col``, as written by
      :func:`paths_from_touchpoints` with ``aggregate=False``).

    ``collapse=True`` merges consecutive repeats of a channel first (off by default:
    each touch counts). Returns an :class:`AttributionResult` whose ``.table`` has
    ``channel, conversions, share`` (and ``value`` in CAD with ``value_col``); credits
    sum to the table's totals and only go to channels of the converting path.
    """
    if model not in HEURISTIC_MODELS:
        raise ValueError(f"unknown heuristic model {model!r}; choose one of {HEURISTIC_MODELS}.")
    if model == "time_decay" and days_col is None and not (isinstance(paths, EncodedPaths)
                                                           and paths.days is not None):
        raise ValueError("the time-decay model needs per-touch days: pass days_col (see "
                         "paths_from_touchpoints(..., aggregate=False)); aggregated path strings carry no times.")
    ep = encode_paths(paths, path_col=path_col, conv_col=conv_col, null_col=None, value_col=value_col,
                      sep=sep, days_col=days_col if model == "time_decay" else None)
    _require_conversions(ep)
    if collapse:
        ep = collapse_repeats(ep)
    pid = ep.path_index()
    lens_t = ep.lengths[pid]
    pos = np.arange(len(ep.codes)) - ep.offsets[:-1][pid]
    if model == "first":
        w = (pos == 0).astype(float)
        params = {}
    elif model == "last":
        w = (pos == lens_t - 1).astype(float)
        params = {}
    elif model == "linear":
        w = 1.0 / lens_t
        params = {}
    elif model == "position":
        if isinstance(weights, str) and weights not in POSITION_PRESETS:
            raise ValueError(f"unknown position preset {weights!r}; use {list(POSITION_PRESETS)} or a tuple.")
        wt = POSITION_PRESETS[weights] if isinstance(weights, str) else tuple(map(float, weights))
        if len(wt) != 3 or min(wt) < 0 or not math.isclose(sum(wt), 1.0, abs_tol=1e-9):
            raise ValueError(f"position weights must be 3 non-negative shares summing to 1, got {wt}.")
        w = _position_weights(lens_t, pos, wt)
        params = {"weights": wt}
    else:
        if not half_life > 0:
            raise ValueError(f"half_life must be > 0 days, got {half_life}.")
        raw = np.exp2(-ep.days / half_life)
        w = raw / np.bincount(pid, weights=raw, minlength=ep.n_paths)[pid]
        params = {"half_life_days": half_life}
    table = _credit_table(ep, w, pid)
    names = {"first": ("Premier contact", "First touch"), "last": ("Dernier contact", "Last touch"),
             "linear": ("Linéaire", "Linear"), "time_decay": ("Dégressif dans le temps", "Time decay"),
             "position": ("Selon la position", "Position-based")}
    fr, en = names[model]
    if model == "position":
        pct = "/".join(str(round(100 * x)) for x in params["weights"])
        fr, en = f"{fr} ({pct})", f"{en} ({pct})"
    if model == "time_decay":
        fr, en = f"{fr} (demi-vie {half_life:g} j)", f"{en} (half-life {half_life:g} d)"
    method = f"Heuristic attribution, {en.lower()}" + (", repeats collapsed" if collapse else "")
    return AttributionResult(table, method, {"model": model, "collapse": collapse, **params},
                             "conversions", "channel", fr, en)


def _credit_table(ep: EncodedPaths, w: np.ndarray, pid: np.ndarray) -> pd.DataFrame:
    k = len(ep.channels)
    conv = np.bincount(ep.codes, weights=w * ep.conversions[pid], minlength=k)
    t = pd.DataFrame({"channel": pd.array(ep.channels, dtype="str"), "conversions": conv})
    t["share"] = conv / conv.sum()
    if ep.value is not None:
        t["value"] = np.bincount(ep.codes, weights=w * ep.value[pid], minlength=k)
    return t


# ---------------------------------------------------------------------------
# Markov
# ---------------------------------------------------------------------------


@dataclass
class _Chain:
    """Transition-count structure of the paths, linear in (conversions, nulls)."""

    n_states: int  # transient states incl. start (index 0)
    membership: np.ndarray  # (n_states, K) bool: state contains channel
    state_names: list[str]
    cells: np.ndarray  # compact cell -> (from * (n_states + 2) + to)
    m_conv: Any  # sparse (n_cells, n_paths): counts = m_conv @ conversions + m_null @ nulls
    m_null: Any


def _build_chain(ep: EncodedPaths, order: int) -> _Chain:
    import scipy.sparse as sp

    k = len(ep.channels)
    pid = ep.path_index()
    lens = ep.lengths
    pos = np.arange(len(ep.codes)) - ep.offsets[:-1][pid]
    if order == 1:
        state = ep.codes.astype(np.int64) + 1
        used = np.unique(state)
        key_digits = None
    else:
        if (k + 1) ** order >= 2 ** 62:
            raise ValueError(f"order {order} with {k} channels is too large.")
        key = np.zeros(len(ep.codes), dtype=np.int64)
        for m in range(order):
            lag = np.zeros(len(ep.codes), dtype=np.int64)
            ok = pos >= m
            idx = np.flatnonzero(ok)
            lag[idx] = ep.codes[idx - m].astype(np.int64) + 1
            key += lag * (k + 1) ** m
        used, inv = np.unique(key, return_inverse=True)
        state = inv.astype(np.int64) + 1
        key_digits = used
    if order == 1:
        n_states = k + 1  # all channels, even if absent (cannot be absent: channels come from paths)
        membership = np.zeros((n_states, k), dtype=bool)
        membership[np.arange(1, k + 1), np.arange(k)] = True
        names = [START] + list(ep.channels)
    else:
        n_states = len(used) + 1
        membership = np.zeros((n_states, k), dtype=bool)
        names = [START]
        for s, kk in enumerate(key_digits, start=1):
            digits, rest = [], int(kk)
            for _ in range(order):
                d = rest % (k + 1)
                rest //= (k + 1)
                if d:
                    digits.append(d - 1)
                    membership[s, d - 1] = True
            names.append(" > ".join(ep.channels[d] for d in reversed(digits)))
    width = n_states + 2
    c_abs, n_abs = n_states, n_states + 1
    first = ep.offsets[:-1]
    last = ep.offsets[1:] - 1
    inner = np.ones(len(ep.codes), dtype=bool)
    inner[last] = False
    inner_idx = np.flatnonzero(inner)
    n = ep.n_paths
    # edges weighted by (conversions + nulls): start -> first state, and state -> next state
    e_cell = np.concatenate([state[first], state[inner_idx] * width + state[inner_idx + 1]])
    e_path = np.concatenate([np.arange(n), pid[inner_idx]])
    conv_cell = state[last] * width + c_abs
    null_cell = state[last] * width + n_abs
    all_cells = np.concatenate([e_cell, conv_cell, null_cell])
    cells, inv = np.unique(all_cells, return_inverse=True)
    ne = len(e_cell)
    inv_e, inv_c, inv_n = inv[:ne], inv[ne:ne + n], inv[ne + n:]
    ones_e = np.ones(ne)
    m_conv = sp.csr_matrix((np.concatenate([ones_e, np.ones(n)]),
                            (np.concatenate([inv_e, inv_c]), np.concatenate([e_path, np.arange(n)]))),
                           shape=(len(cells), n))
    m_null = sp.csr_matrix((np.concatenate([ones_e, np.ones(n)]),
                            (np.concatenate([inv_e, inv_n]), np.concatenate([e_path, np.arange(n)]))),
                           shape=(len(cells), n))
    return _Chain(n_states, membership, names, cells, m_conv, m_null)


_DENSE_MAX_STATES = 1500  # larger chains (high orders) are solved with sparse LU


def _removal_solve(chain: _Chain, cell_counts: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Exact absorbing-chain algebra for one set of transition counts.

    Returns (conversion probability, removal effect per channel, row-stochastic matrix
    (n_states, n_states + 2)). Removing channel c blocks every state containing c: its
    equation becomes ``x_s = 0`` (a journey entering it ends without conversion).
    """
    s = chain.n_states
    width = s + 2
    k = chain.membership.shape[1]
    if s <= _DENSE_MAX_STATES:
        counts = np.zeros(s * width)
        counts[chain.cells] = cell_counts
        counts = counts.reshape(s, width)
        tot = counts.sum(axis=1, keepdims=True)
        p = np.divide(counts, tot, out=np.zeros_like(counts), where=tot > 0)
        a = np.eye(s) - p[:, :s]
        r = p[:, s]
        stack_a = np.repeat(a[None], k + 1, axis=0)
        stack_r = np.repeat(r[None], k + 1, axis=0)
        for c in range(k):
            blocked = chain.membership[:, c]
            stack_a[c + 1][blocked] = 0.0
            stack_a[c + 1][blocked, blocked] = 1.0
            stack_r[c + 1][blocked] = 0.0
        x = np.linalg.solve(stack_a, stack_r[..., None])[..., 0]
        probs = x[:, 0]
    else:
        import scipy.sparse as sp
        from scipy.sparse.linalg import spsolve

        rows, cols = np.divmod(chain.cells, width)
        tot = np.bincount(rows, weights=cell_counts, minlength=s)
        vals = np.divide(cell_counts, tot[rows], out=np.zeros(len(cell_counts)), where=tot[rows] > 0)
        tr = cols < s
        q = sp.csr_matrix((vals[tr], (rows[tr], cols[tr])), shape=(s, s))
        r = np.bincount(rows[cols == s], weights=vals[cols == s], minlength=s)
        probs = np.empty(k + 1)
        for c in range(-1, k):
            keep = np.ones(s) if c < 0 else (~chain.membership[:, c]).astype(float)
            qc = sp.diags(keep) @ q
            a = (sp.eye(s) - qc).tocsc()
            probs[c + 1] = spsolve(a, keep * r)[0]
        p = sp.csr_matrix((vals, (rows, cols)), shape=(s, width)).toarray() if s <= 5000 else None
    base = float(probs[0])
    re = np.clip(1.0 - probs[1:] / base, 0.0, 1.0) if base > 0 else np.zeros(k)
    return base, re, p


def _allocate(ep: EncodedPaths, re: np.ndarray, weights: np.ndarray, allocation: str,
              pairs: _Pairs | None = None) -> np.ndarray:
    """Split ``weights`` (conversions or value per path) among channels by removal effects."""
    k = len(ep.channels)
    total = weights.sum()
    if allocation == "global":
        s = re.sum()
        return total * re / s if s > 0 else np.full(k, total / k)
    r = re[pairs.code]
    denom = np.bincount(pairs.pid_local, weights=r, minlength=pairs.n_local)[pairs.pid_local]
    share = np.divide(r, denom, out=pairs.equal.copy(), where=denom > 0)
    return np.bincount(pairs.code, weights=weights[pairs.pid] * share, minlength=k)


@dataclass
class _Pairs:
    """Distinct (path, channel) pairs of the paths that carry conversions or value."""

    pid: np.ndarray  # path index
    code: np.ndarray  # channel code
    pid_local: np.ndarray  # compact path index among the paths kept
    n_local: int
    equal: np.ndarray  # 1 / number of distinct channels of the path (fallback share)


def _distinct_pairs(ep: EncodedPaths) -> _Pairs:
    k = len(ep.channels)
    key = np.unique(ep.path_index().astype(np.int64) * k + ep.codes)
    pid, code = key // k, (key % k).astype(np.int64)
    carry = ep.conversions > 0
    if ep.value is not None:
        carry |= ep.value > 0
    keep = carry[pid]
    pid, code = pid[keep], code[keep]
    uniq, local = np.unique(pid, return_inverse=True)
    cnt = np.bincount(local, minlength=len(uniq))
    return _Pairs(pid, code, local, len(uniq), 1.0 / cnt[local])


def markov(paths, *, path_col: str = "path", conv_col: str = "conversions", null_col: str | None = "nulls",
           value_col: str | None = None, order: int = 1, sep: str = ">", collapse: bool = True,
           allocation: str = "path", n_boot: int = 200, ci: float = 0.95,
           seed: int | np.random.Generator | None = 0) -> MarkovResult:
    """Exact Markov-chain attribution by removal effects (no simulation).

    The chain has a ``(start)`` state, one state per channel (order 1) or per tuple of
    the last ``order`` channels, and absorbing ``(conversion)`` / ``(null)`` states;
    transition probabilities are the observed transition counts, each journey counted
    once (``conversions + nulls`` journeys per path; without a null column, each
    zero-conversion row counts as one null journey). The probability ``P`` that a
    journey from ``(start)`` converts solves ``(I - Q) x = r`` exactly. The **removal
    effect** of a channel is ``1 - P_without / P``, where ``P_without`` is the same
    probability when every state containing the channel leads to ``(null)``.

    Consecutive repeats of a channel are collapsed by default (``collapse=True``; at
    order 1 this changes no removal effect, since absorption probabilities ignore
    self-loops; at higher orders it keeps states distinct channels).

    Credit (``allocation``):

    - ``"path"`` (default): each path's conversions (and value) are split among the
      channels of that path in proportion to their removal effects, so a path's
      conversions never go to a channel it does not contain and a channel never seen
      on a converting path gets zero;
    - ``"global"``: total conversions times ``removal_effect / sum(removal_effects)``
      (the convention of the ChannelAttribution package); a channel can then get credit
      for conversions of paths it is not on.

    The two agree when every converting path contains every channel with a positive
    removal effect (e.g. the classic toy case, 0.2 / 0.4 / 0.4).

    Intervals: ``n_boot`` bootstrap resamples of the journeys (multinomial over the
    converting and non-converting journeys of each path; fractional counts are rounded
    to a whole number of journeys in total), seeded by ``seed``; percentile intervals at
    level ``ci``. ``n_boot=0`` skips them.

    Returns a :class:`MarkovResult`; ``.table`` has ``channel, conversions, share,
    removal_effect`` (+ ``value`` in CAD with ``value_col``) and, with the bootstrap,
    ``ci_low, ci_high`` (conversions), ``removal_effect_ci_low/high`` (and
    ``value_ci_low/high``); ``.transition`` is the transition matrix (rows: from-state,
    columns: to-state).
    """
    if not isinstance(order, (int, np.integer)) or order < 1:
        raise ValueError(f"order must be an integer >= 1, got {order!r}.")
    if allocation not in ("path", "global"):
        raise ValueError(f"allocation must be 'path' or 'global', not {allocation!r}.")
    if not 0 < ci < 1:
        raise ValueError(f"ci must be in (0, 1), got {ci}.")
    ep = encode_paths(paths, path_col=path_col, conv_col=conv_col, null_col=null_col,
                      value_col=value_col, sep=sep)
    total = _require_conversions(ep)
    if collapse:
        ep = aggregate_paths(collapse_repeats(ep))
    chain = _build_chain(ep, int(order))
    counts = chain.m_conv @ ep.conversions + chain.m_null @ ep.nulls
    base, re, pmat = _removal_solve(chain, counts)
    pairs = _distinct_pairs(ep) if allocation == "path" else None
    conv = _allocate(ep, re, ep.conversions, allocation, pairs)
    table = pd.DataFrame({"channel": pd.array(ep.channels, dtype="str"), "conversions": conv,
                          "share": conv / total, "removal_effect": re})
    if ep.value is not None:
        table["value"] = _allocate(ep, re, ep.value, allocation, pairs)
    if n_boot and n_boot > 0:
        boot = _bootstrap(ep, chain, int(n_boot), allocation, pairs, seed)
        # the share of each resample's own total (a share interval can never pass 100 %)
        # (resamples that drew no conversion have no share and are left out of its interval)
        sums = boot["conversions"].sum(axis=1, keepdims=True)
        boot["share"] = np.divide(boot["conversions"], sums, out=np.full_like(boot["conversions"], np.nan),
                                  where=sums > 0)
        a = (1 - ci) / 2
        for name, arr in boot.items():
            lo, hi = np.nanquantile(arr, [a, 1 - a], axis=0)
            prefix = "" if name == "conversions" else f"{name}_"
            table[f"{prefix}ci_low"] = lo
            table[f"{prefix}ci_high"] = hi
    transition = None
    if pmat is not None:
        transition = pd.DataFrame(pmat, index=chain.state_names, columns=chain.state_names + [CONV, NULL])
    method = (f"Markov order {order}, exact removal effects, "
              f"{'repeats collapsed' if collapse else 'repeats kept'}, {allocation} allocation"
              + (f", {int(100 * ci)}% bootstrap intervals ({n_boot} resamples)" if n_boot else ""))
    params = {"order": int(order), "collapse": collapse, "allocation": allocation, "n_boot": n_boot,
              "ci": ci, "seed": seed if not isinstance(seed, np.random.Generator) else "generator",
              "nulls_from_zero_rows": ep.nulls_from_zero_rows}
    fr = f"Modèle de Markov (ordre {order})"
    en = f"Markov model (order {order})"
    return MarkovResult(table, method, params, "conversions", "channel", fr, en, transition, base)


def _bootstrap(ep: EncodedPaths, chain: _Chain, n_boot: int, allocation: str, pairs, seed) -> dict:
    """Resample journeys ``n_boot`` times (multinomial over each path's converting and
    non-converting journeys) and recompute removal effects and credits exactly."""
    import scipy.sparse as sp

    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n = ep.n_paths
    mass = np.concatenate([ep.conversions, ep.nulls])
    n_j = int(round(mass.sum()))
    # only categories with mass can be drawn: draw over those, scatter back
    live = np.flatnonzero(mass > 0)
    prob = mass[live] / mass[live].sum()
    m_all = sp.hstack([chain.m_conv, chain.m_null]).tocsc()[:, live].tocsr()
    conv_live = live < n
    k = len(ep.channels)
    out = {"conversions": np.empty((n_boot, k)), "removal_effect": np.empty((n_boot, k))}
    has_value = ep.value is not None
    if has_value:
        out["value"] = np.empty((n_boot, k))
        val_per_conv = np.divide(ep.value, ep.conversions, out=np.zeros(n), where=ep.conversions > 0)
    chunk = max(1, min(n_boot, 10_000_000 // max(len(live), 1)))
    cb = np.zeros(n)
    for b0 in range(0, n_boot, chunk):
        draws = rng.multinomial(n_j, prob, size=min(chunk, n_boot - b0)).astype(float)
        cell_counts = (m_all @ np.ascontiguousarray(draws.T)).T
        for i in range(draws.shape[0]):
            _, re, _ = _removal_solve(chain, cell_counts[i])
            b = b0 + i
            out["removal_effect"][b] = re
            cb[live[conv_live]] = draws[i, conv_live]
            out["conversions"][b] = _allocate(ep, re, cb, allocation, pairs)
            if has_value:
                out["value"][b] = _allocate(ep, re, cb * val_per_conv, allocation, pairs)
    return out


# ---------------------------------------------------------------------------
# Shapley
# ---------------------------------------------------------------------------


def _subset_sums(f: np.ndarray, k: int) -> np.ndarray:
    """Zeta transform: ``v[S] = sum of f[T] over T subset of S`` (bitmask indices)."""
    v = f.astype(float).copy()
    for j in range(k):
        view = v.reshape(-1, 2, 1 << j)
        view[:, 1, :] += view[:, 0, :]
    return v


def _shapley_from_v(v: np.ndarray, k: int) -> np.ndarray:
    """Exact Shapley values of the game ``v`` (indexed by bitmask) by full enumeration."""
    masks = np.arange(1 << k, dtype=np.int64)
    size = np.zeros(1 << k, dtype=np.int64)
    for j in range(k):
        size += (masks >> j) & 1
    wt = np.array([math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)])
    phi = np.empty(k)
    for j in range(k):
        bit = 1 << j
        without = masks[(masks & bit) == 0]
        phi[j] = np.sum(wt[size[without]] * (v[without | bit] - v[without]))
    return phi


def shapley(paths, *, path_col: str = "path", conv_col: str = "conversions", null_col: str | None = "nulls",
            value_col: str | None = None, sep: str = ">", value_function: str = "conversions",
            variant: str = "exact", max_channels: int = 20) -> AttributionResult:
    """Shapley-value attribution: channels are players, coalitions are sets of channels.

    Characteristic function (``value_function``):

    - ``"conversions"`` (default): ``v(S)`` = conversions of the paths whose set of
      distinct channels is a subset of ``S``. Each path is then a unanimity game, so the
      exact Shapley value **equals the "simplified" Shapley value** (each conversion
      split equally among the distinct channels of its path). Credits are conversions,
      non-negative, sum to the total, and only go to channels of converting paths;
    - ``"rate"``: ``v(S)`` = conversion rate of the journeys whose channel set is a
      subset of ``S`` (``conversions / (conversions + nulls)``; ``v(empty) = 0``). This
      also rewards channels that raise the rate and penalises those that bring many
      non-converting journeys; values can be negative. Credits are then total
      conversions times ``phi / sum(phi)`` (value alike).

    ``variant="exact"`` enumerates the ``2**K`` coalitions (fast to about 20 channels;
    more raises an error unless ``max_channels`` is raised); ``variant="simplified"``
    splits each path's conversions equally among its distinct channels directly (no
    limit on channels; identical to exact with ``"conversions"``).

    Returns an :class:`AttributionResult` with ``.table``: ``channel, conversions,
    share, shapley_value`` (+ ``value`` in CAD with ``value_col``).
    """
    if value_function not in ("conversions", "rate"):
        raise ValueError(f"value_function must be 'conversions' or 'rate', not {value_function!r}.")
    if variant not in ("exact", "simplified"):
        raise ValueError(f"variant must be 'exact' or 'simplified', not {variant!r}.")
    if variant == "simplified" and value_function == "rate":
        raise ValueError("the simplified variant splits conversions; it has no 'rate' form.")
    ep = encode_paths(paths, path_col=path_col, conv_col=conv_col, null_col=null_col,
                      value_col=value_col, sep=sep)
    total = _require_conversions(ep)
    k = len(ep.channels)
    key = np.unique(ep.path_index().astype(np.int64) * k + ep.codes)
    pid_u, code_u = key // k, key % k
    if variant == "simplified":
        cnt = np.bincount(pid_u, minlength=ep.n_paths)[pid_u]
        conv = np.bincount(code_u, weights=ep.conversions[pid_u] / cnt, minlength=k)
        phi = conv
        val = None if ep.value is None else np.bincount(code_u, weights=ep.value[pid_u] / cnt, minlength=k)
    else:
        if k > max_channels:
            raise ValueError(f"{k} channels: exact Shapley enumerates 2**{k} coalitions; use "
                             f"variant='simplified' or group channels (or raise max_channels).")
        mask = np.bitwise_or.reduceat(np.left_shift(np.int64(1), ep.codes.astype(np.int64)),
                                      ep.offsets[:-1])
        size = 1 << k
        fc = np.bincount(mask, weights=ep.conversions, minlength=size)
        if value_function == "conversions":
            phi = _shapley_from_v(_subset_sums(fc, k), k)
            conv = phi
            val = None if ep.value is None else _shapley_from_v(
                _subset_sums(np.bincount(mask, weights=ep.value, minlength=size), k), k)
        else:
            vc = _subset_sums(fc, k)
            vj = _subset_sums(fc + np.bincount(mask, weights=ep.nulls, minlength=size), k)
            v = np.divide(vc, vj, out=np.zeros(size), where=vj > 0)
            phi = _shapley_from_v(v, k)
            conv = total * phi / phi.sum()
            val = None if ep.value is None else ep.value.sum() * phi / phi.sum()
    table = pd.DataFrame({"channel": pd.array(ep.channels, dtype="str"), "conversions": conv,
                          "share": conv / total, "shapley_value": phi})
    if val is not None:
        table["value"] = val
    if variant == "simplified":
        method, fr, en = ("Shapley, simplified (each conversion split equally among its path's channels)",
                          "Shapley simplifié", "Simplified Shapley")
    else:
        vf = "conversions of paths within the coalition" if value_function == "conversions" \
            else "conversion rate of journeys within the coalition"
        method = f"Shapley, exact over {2 ** k} coalitions, characteristic function: {vf}"
        fr, en = ("Valeur de Shapley", "Shapley value") if value_function == "conversions" else \
            ("Valeur de Shapley (taux)", "Shapley value (rate)")
    return AttributionResult(table, method, {"value_function": value_function, "variant": variant,
                                             "nulls_from_zero_rows": ep.nulls_from_zero_rows},
                             "conversions", "channel", fr, en)


# ---------------------------------------------------------------------------
# Comparison and report
# ---------------------------------------------------------------------------

DEFAULT_MODELS = ("first", "last", "linear", "position", "markov", "shapley")

_MODEL_LABELS = {
    "first": ("Premier contact", "First touch"),
    "last": ("Dernier contact", "Last touch"),
    "linear": ("Linéaire", "Linear"),
    "position": ("En U (40/20/40)", "U-shaped (40/20/40)"),
    "position_j": ("En J (20/20/60)", "J-shaped (20/20/60)"),
    "position_inverse_j": ("En J inversé (60/20/20)", "Inverse J (60/20/20)"),
    "time_decay": ("Dégressif dans le temps", "Time decay"),
    "markov": ("Markov", "Markov"),
    "shapley": ("Shapley", "Shapley"),
    "shapley_rate": ("Shapley (taux)", "Shapley (rate)"),
}


def _model_label(m: str, lang: str) -> str:
    fr, en = _MODEL_LABELS.get(m, (m, m))
    return fr if lang == "fr" else en


def _run_model(m: str, ep: EncodedPaths, *, order: int, n_boot: int, seed, half_life: float):
    if m in ("first", "last", "linear"):
        return heuristic(ep, m)
    if m.startswith("position"):
        preset = {"position": "u", "position_j": "j", "position_inverse_j": "inverse_j"}[m]
        return heuristic(ep, "position", weights=preset)
    if m == "time_decay":
        return heuristic(ep, "time_decay", half_life=half_life)
    if m == "markov":
        return markov(ep, order=order, n_boot=n_boot, seed=seed)
    if m == "shapley":
        return shapley(ep)
    if m == "shapley_rate":
        return shapley(ep, value_function="rate")
    raise ValueError(f"unknown model {m!r}; choose among {list(_MODEL_LABELS)}.")


def compare(paths, models=DEFAULT_MODELS, *, path_col: str = "path", conv_col: str = "conversions",
            null_col: str | None = "nulls", value_col: str | None = None, sep: str = ">",
            measure: str = "conversions", order: int = 1, n_boot: int = 200, seed=0,
            half_life: float = 7.0, days_col: str | None = None) -> ComparisonResult:
    """Run several models on the same paths; one row per channel, one column per model.

    ``models`` are among ``first, last, linear, position`` (U 40/20/40), ``position_j``,
    ``position_inverse_j``, ``time_decay`` (needs ``days_col``), ``markov``, ``shapley``,
    ``shapley_rate``. ``measure`` is ``"conversions"`` or ``"value"`` (CAD, needs
    ``value_col``). With ``markov`` and ``n_boot > 0`` the table also has
    ``markov_ci_low`` / ``markov_ci_high``. Rows are sorted by the Markov (else the
    last model's) credit, largest first.
    """
    models = list(models)
    if not models:
        raise ValueError("models is empty.")
    if measure not in ("conversions", "value"):
        raise ValueError(f"measure must be 'conversions' or 'value', not {measure!r}.")
    if measure == "value" and value_col is None and not (isinstance(paths, EncodedPaths) and paths.value is not None):
        raise ValueError("measure='value' needs value_col.")
    ep = encode_paths(paths, path_col=path_col, conv_col=conv_col, null_col=null_col,
                      value_col=value_col, sep=sep, days_col=days_col)
    _require_conversions(ep)
    table = pd.DataFrame({"channel": pd.array(ep.channels, dtype="str")})
    for m in models:
        res = _run_model(m, ep, order=order, n_boot=n_boot, seed=seed, half_life=half_life)
        t = res.table.set_index("channel").reindex(ep.channels)
        table[m] = t[measure].to_numpy()
        if m == "markov" and n_boot:
            lo, hi = ("ci_low", "ci_high") if measure == "conversions" else ("value_ci_low", "value_ci_high")
            table["markov_ci_low"] = t[lo].to_numpy()
            table["markov_ci_high"] = t[hi].to_numpy()
            if measure == "conversions":
                table["markov_share_ci_low"] = t["share_ci_low"].to_numpy()
                table["markov_share_ci_high"] = t["share_ci_high"].to_numpy()
    sort_col = "markov" if "markov" in models else models[-1]
    table = table.sort_values([sort_col, "channel"], ascending=[False, True]).reset_index(drop=True)
    method = f"Attribution compared across models ({', '.join(models)}), measure: {measure}"
    return ComparisonResult(table, method, {"models": models, "measure": measure, "order": order,
                                            "n_boot": n_boot, "seed": seed}, None, "channel", models)


def report_table(paths, *, lang: str = "fr", value_col: str | None = None, models=DEFAULT_MODELS,
                 path_col: str = "path", conv_col: str = "conversions", null_col: str | None = "nulls",
                 sep: str = ">", n_boot: int = 200, seed=0) -> tuple[pd.DataFrame, str]:
    """Report-ready comparison: a formatted table and a plain-language paragraph.

    The table has the channel label (in ``lang``), one column per model with the
    conversions credited (formatted for fr-CA / en-CA), the Markov 95 % interval, the
    Markov share of conversions and, with ``value_col``, the value (CAD) credited by
    the Markov model. The paragraph (French by default) reads the Markov result.
    """
    from .report import fmt
    from .schema import check_lang

    check_lang(lang)
    models = list(models)
    if "markov" not in models:
        models.append("markov")
    cmp_ = compare(paths, models, path_col=path_col, conv_col=conv_col, null_col=null_col,
                   value_col=value_col, sep=sep, n_boot=n_boot, seed=seed)
    t = cmp_.table
    total = float(t["markov"].sum())
    ch_head = "Canal" if lang == "fr" else "Channel"
    out = pd.DataFrame({ch_head: [_channel_label(c, lang) for c in t["channel"]]})
    dec = 0 if total >= 1000 else 1  # whole conversions for large totals, one decimal otherwise
    for m in models:
        out[_model_label(m, lang)] = [fmt.number(x, lang, dec) for x in t[m]]
    share_head = "Part Markov" if lang == "fr" else "Markov share"
    out[share_head] = [fmt.percent(x / total, lang) for x in t["markov"]]
    if "markov_ci_low" in t.columns:
        head = "Markov, IC 95 %" if lang == "fr" else "Markov, 95% CI"
        sep_txt = " à " if lang == "fr" else " to "
        out[head] = [f"{fmt.number(lo, lang, dec)}{sep_txt}{fmt.number(hi, lang, dec)}"
                     for lo, hi in zip(t["markov_ci_low"], t["markov_ci_high"])]
    mres = None
    if value_col is not None:
        mres = markov(paths, path_col=path_col, conv_col=conv_col, null_col=null_col, value_col=value_col,
                      sep=sep, n_boot=0)
        vals = mres.table.set_index("channel")["value"].reindex(t["channel"])
        out["Valeur (Markov)" if lang == "fr" else "Value (Markov)"] = [fmt.money(v, lang, 0) for v in vals]
    text = _report_text(t, models, total, lang, mres)
    return out, text


def _report_text(t: pd.DataFrame, models: list[str], total: float, lang: str, mres) -> str:
    from .report import fmt

    top = t.iloc[0]
    lab = _channel_label(top["channel"], lang)
    share = fmt.percent(top["markov"] / total, lang)
    ci = ""
    if "markov_ci_low" in t.columns:
        lo, hi = ((fmt.percent(top["markov_share_ci_low"], lang), fmt.percent(top["markov_share_ci_high"], lang))
                  if "markov_share_ci_low" in t.columns else
                  (fmt.percent(top["markov_ci_low"] / total, lang), fmt.percent(top["markov_ci_high"] / total, lang)))
        ci = (f" (intervalle de confiance à 95 % : {lo} à {hi})" if lang == "fr"
              else f" (95% confidence interval: {lo} to {hi})")
    parts = []
    if lang == "fr":
        parts.append(f"Selon le modèle de Markov, le canal « {lab} » obtient {share} des conversions{ci}.")
    else:
        parts.append(f"According to the Markov model, “{lab}” earns {share} of conversions{ci}.")
    if len(t) > 1:
        sec = t.iloc[1]
        s2 = fmt.percent(sec["markov"] / total, lang)
        l2 = _channel_label(sec["channel"], lang)
        parts.append(f"Suit « {l2} », avec {s2}." if lang == "fr" else f"Next comes “{l2}”, with {s2}.")
    if "last" in models:
        gap = (t["markov"] - t["last"]) / total
        i = int(np.argmax(np.abs(gap.to_numpy())))
        g = float(gap.iloc[i])
        if abs(g) >= 0.01:
            lg = _channel_label(t.iloc[i]["channel"], lang)
            last = fmt.percent(t.iloc[i]["last"] / total, lang)
            mk = fmt.percent(t.iloc[i]["markov"] / total, lang)
            if lang == "fr":
                verb = "sous-estime" if g > 0 else "surestime"
                parts.append(f"Le modèle du dernier contact {verb} le plus « {lg} » ({last} des conversions, "
                             f"contre {mk} selon Markov).")
            else:
                verb = "understates" if g > 0 else "overstates"
                parts.append(f"The last-touch model most {verb} “{lg}” ({last} of conversions, "
                             f"against {mk} under Markov).")
    if mres is not None and "value" in mres.table.columns:
        v = mres.table.set_index("channel")["value"]
        lv = _channel_label(v.idxmax(), lang)
        pv = fmt.percent(v.max() / v.sum(), lang) if v.sum() > 0 else fmt.na(lang)
        parts.append(f"En valeur, « {lv} » compte pour {pv} du total." if lang == "fr"
                     else f"By value, “{lv}” accounts for {pv} of the total.")
    if lang == "fr":
        parts.append("Le modèle de Markov mesure ce que l'on perdrait en retirant un canal des parcours ; "
                     "les modèles du premier et du dernier contact donnent tout le mérite à un seul contact.")
    else:
        parts.append("The Markov model measures what would be lost if a channel were removed from the "
                     "journeys; first- and last-touch models give all the credit to a single touch.")
    return " ".join(parts)


# ---------------------------------------------------------------------------
# Touchpoints -> paths (DuckDB)
# ---------------------------------------------------------------------------


def paths_from_touchpoints(touchpoints: pd.DataFrame, conversions: pd.DataFrame, *,
                           lookback_days: float = 30.0, max_path_length: int = 20,
                           user_col: str = "user_key", time_col: str = "timestamp",
                           channel_col: str = "channel", value_col: str | None = "value",
                           sep: str = " > ", aggregate: bool = True, unmatched: str = "drop",
                           con=None) -> pd.DataFrame:
    """Build journeys from touchpoints and conversions, in DuckDB; return paths.

    - Each conversion's path is the user's touches at or before the conversion time,
      at most ``lookback_days`` days before it, and after the user's previous
      conversion (a touch serves one conversion only); conversions of one user at the
      same instant share one path (counted together).
    - Touches of a user after their last conversion (or of a user who never converts)
      form one non-converting journey (a null): the touches in the ``lookback_days``
      before that user's last such touch. Older touches are dropped.
    - Only the last ``max_path_length`` touches of a journey are kept.
    - Conversions with no touch in their window (``unmatched``): ``"drop"`` (default;
      their count and value are in ``result.attrs["unmatched_conversions"]`` /
      ``["unmatched_value"]`` and a warning is issued), ``"error"``, or ``"direct"``
      (kept as the path ``"direct"``).

    Returns, with ``aggregate=True``, one row per distinct path: ``path, conversions,
    nulls, value`` (value in CAD, 0 without ``value_col``); with ``aggregate=False``
    one row per journey, plus ``days``: per touch, the days between the touch and the
    end of the journey (the conversion, or the last touch for a null), joined by ``sep``
    (the input of the time-decay model). ``con``: an existing DuckDB connection
    (default: a fresh in-memory one).
    """
    import warnings

    import duckdb

    for name, df, cols in (("touchpoints", touchpoints, [user_col, time_col, channel_col]),
                           ("conversions", conversions,
                            [user_col, time_col] + ([value_col] if value_col else []))):
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"{name} must be a DataFrame.")
        miss = [c for c in cols if c not in df.columns]
        if miss:
            raise KeyError(f"{name} lacks columns {miss}; it has {list(df.columns)}.")
    if unmatched not in ("drop", "error", "direct"):
        raise ValueError(f"unmatched must be 'drop', 'error' or 'direct', not {unmatched!r}.")
    if not lookback_days > 0 or int(max_path_length) < 1:
        raise ValueError("lookback_days must be > 0 and max_path_length >= 1.")
    if touchpoints[[user_col, time_col, channel_col]].isna().any().any():
        raise ValueError("touchpoints have missing user keys, timestamps or channels; drop or fill them.")
    if conversions[[user_col, time_col]].isna().any().any():
        raise ValueError("conversions have missing user keys or timestamps; drop or fill them.")
    chans = [str(c) for c in pd.unique(touchpoints[channel_col])]
    _check_channel_names(chans, sep)
    bad = [c for c in chans if c != c.strip()]
    if bad:
        raise ValueError(f"channel names with surrounding spaces {bad[:5]}; strip them first.")
    if value_col:
        _numeric_column(conversions, value_col)

    def q(name: str) -> str:
        return '"' + str(name).replace('"', '""') + '"'

    lb = float(lookback_days) * 86400.0
    cap = int(max_path_length)
    base = len(chans) + 1
    same_key_type = touchpoints[user_col].dtype == conversions[user_col].dtype
    ukey = (lambda c: q(c)) if same_key_type else (lambda c: f"CAST({q(c)} AS VARCHAR)")
    val = f"CAST({q(value_col)} AS DOUBLE)" if value_col else "0.0"
    # integer path keys (one base-(K+1) digit per touch) when they fit in a HUGEINT
    use_keys = aggregate and cap * math.log2(base) < 125
    common = f"""
    WITH c AS (
        SELECT {ukey(user_col)} AS u, CAST({q(time_col)} AS TIMESTAMP) AS ts,
               count(*)::DOUBLE AS n, sum({val})::DOUBLE AS v
        FROM _ct_cv GROUP BY ALL),
    t AS (
        SELECT {ukey(user_col)} AS u, CAST({q(time_col)} AS TIMESTAMP) AS ts, _ct_ch.code, _ct_ch.ch
        FROM _ct_tp JOIN _ct_ch ON CAST(_ct_tp.{q(channel_col)} AS VARCHAR) = _ct_ch.ch),
    m AS (SELECT t.u, t.ts, t.code, t.ch, c.ts AS cts
          FROM t ASOF LEFT JOIN c ON t.u = c.u AND c.ts >= t.ts),
    nullend AS (SELECT u, max(ts) AS end_ts FROM m WHERE cts IS NULL GROUP BY u),
    w AS (
        SELECT m.u, m.ts, m.code, m.ch, coalesce(m.cts, n.end_ts) AS end_ts, m.cts IS NOT NULL AS conv
        FROM m LEFT JOIN nullend n ON m.cts IS NULL AND m.u = n.u
        WHERE epoch(coalesce(m.cts, n.end_ts)) - epoch(m.ts) <= {lb}),
    r AS (
        SELECT *, row_number() OVER (PARTITION BY u, end_ts ORDER BY ts DESC, code DESC) AS back
        FROM w),
    """
    if use_keys:
        sql = common + f"""
    k AS (
        SELECT u, end_ts, conv, sum(r.code::HUGEINT * pw.mult) AS key
        FROM r JOIN _ct_pw pw USING (back) GROUP BY u, end_ts, conv),
    j AS (
        SELECT k.key, c.n AS conversions, 0.0 AS nulls, c.v AS value
        FROM c LEFT JOIN k ON k.conv AND k.u = c.u AND k.end_ts = c.ts
        UNION ALL
        SELECT key, 0.0, 1.0, 0.0 FROM k WHERE NOT conv)
    SELECT CAST(key AS VARCHAR) AS key, sum(conversions) AS conversions, sum(nulls) AS nulls,
           sum(value) AS value
    FROM j GROUP BY key
    """
    else:
        sep_sql = sep.replace("'", "''")
        sql = common + f"""
    paths AS (
        SELECT u, end_ts, conv,
               string_agg(ch, '{sep_sql}' ORDER BY back DESC) AS path,
               string_agg(CAST(round((epoch(end_ts) - epoch(ts)) / 86400.0, 6) AS VARCHAR),
                          '{sep_sql}' ORDER BY back DESC) AS days
        FROM r WHERE back <= {cap} GROUP BY u, end_ts, conv)
    SELECT c.u, c.ts AS end_ts, p.path, p.days, c.n AS conversions, 0.0 AS nulls, c.v AS value
    FROM c LEFT JOIN paths p ON p.conv AND p.u = c.u AND p.end_ts = c.ts
    UNION ALL
    SELECT u, end_ts, path, days, 0.0, 1.0, 0.0 FROM paths WHERE NOT conv
    ORDER BY 1, 2, 6
    """
    channels_sorted = sorted(chans)
    ch_table = pd.DataFrame({"ch": pd.array(channels_sorted, dtype="str"),
                             "code": np.arange(1, base, dtype=np.int64)})
    pw_table = pd.DataFrame({"back": np.arange(1, cap + 1, dtype=np.int64),
                             "mult": [str(base ** i) for i in range(cap)] if use_keys else ""})
    own = con is None
    con = duckdb.connect() if own else con
    cur = con.cursor()
    try:
        cur.register("_ct_tp", touchpoints)
        cur.register("_ct_cv", conversions)
        cur.register("_ct_ch", ch_table)
        if use_keys:
            cur.register("_ct_pw0", pw_table)
            cur.execute("CREATE TEMP TABLE _ct_pw AS SELECT back, CAST(mult AS HUGEINT) AS mult FROM _ct_pw0")
        journeys = cur.execute(sql).df()
        if use_keys:
            cur.execute("DROP TABLE _ct_pw")
    finally:
        cur.close()
        if own:
            con.close()
    if use_keys:
        names = np.array(channels_sorted, dtype=object)
        miss = journeys["key"].isna().to_numpy()
        paths = []
        for key in journeys["key"]:
            if key is None or key != key:
                paths.append(None)
                continue
            kk, digits = int(key), []
            while kk:
                kk, d = divmod(kk, base)
                digits.append(d - 1)
            paths.append(sep.join(names[digits[::-1]]))
        journeys = journeys.assign(path=paths, days="")
    else:
        miss = journeys["path"].isna().to_numpy()
    n_unm = float(journeys.loc[miss, "conversions"].sum())
    v_unm = float(journeys.loc[miss, "value"].sum())
    journeys = journeys.loc[~miss]
    if n_unm > 0:
        if unmatched == "error":
            raise ValueError(f"{n_unm:g} conversions have no touchpoint in their {lookback_days:g}-day window; "
                             "widen lookback_days or use unmatched='drop' / 'direct'.")
        if unmatched == "direct":
            extra = pd.DataFrame({"path": ["direct"], "days": ["0"], "conversions": [n_unm],
                                  "nulls": [0.0], "value": [v_unm]})
            journeys = pd.concat([journeys, extra], ignore_index=True)
        else:
            warnings.warn(f"{n_unm:g} conversions (value {v_unm:g}) had no touchpoint in their "
                          f"{lookback_days:g}-day window and were left out of the paths.", stacklevel=2)
    journeys = journeys.assign(path=journeys["path"].astype("str"))
    if aggregate:
        out = journeys.groupby("path", sort=True, as_index=False)[["conversions", "nulls", "value"]].sum()
    else:
        out = journeys[["path", "conversions", "nulls", "value", "days"]].reset_index(drop=True)
        out["days"] = out["days"].astype("str")
    out.attrs["unmatched_conversions"] = n_unm if unmatched != "direct" else 0.0
    out.attrs["unmatched_value"] = v_unm if unmatched != "direct" else 0.0
    return out
