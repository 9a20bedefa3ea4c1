"""Seeded simulator of customer journeys drawn from a KNOWN absorbing Markov chain.

The chain has a ``(start)`` state, one transient state per channel, and two absorbing
states, ``(conversion)`` and ``(null)``. Each simulated journey starts at ``(start)``,
walks through channels and ends in one of the absorbing states; the channels it
visited, joined by ``" > "``, form its path. Journeys are returned aggregated by path.

The truth dict returned alongside holds the chain and the exact removal effects of
each channel, computed here by deleting the channel from the transient set and
solving the smaller absorbing system with a dense numpy solve. This is written on
purpose independently of :mod:`campaign_toolkit.attribution` (which blocks a removed
state by replacing its equation), so that tests comparing the two are not circular.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

START, CONV, NULL = "(start)", "(conversion)", "(null)"
SEP = " > "


def _check_channels(channels) -> list[str]:
    channels = [str(c) for c in channels]
    if not channels:
        raise ValueError("channels is empty: give at least one channel name.")
    if len(channels) > 120:
        raise ValueError(f"{len(channels)} channels: the simulator handles at most 120.")
    if len(set(channels)) != len(channels):
        raise ValueError(f"channels has duplicates: {channels}")
    for c in channels:
        if ">" in c or c.strip() != c or not c or c in (START, CONV, NULL):
            raise ValueError(f"channel name {c!r} is not allowed (no '>', no surrounding spaces, "
                             f"not one of {START}, {CONV}, {NULL}).")
    return channels


def random_chain(channels: list[str], rng: np.random.Generator) -> pd.DataFrame:
    """Draw a plausible random chain; returns a row-stochastic transition DataFrame.

    Rows are ``(start)`` and the channels; columns are the channels, ``(conversion)``
    and ``(null)``. Channels differ in how much they lead to conversion (direct
    conversion probability 1 % to 20 %); each channel ends the journey without
    conversion with probability 30 % to 60 %, so journeys are short (a journey
    longer than 20 touches has probability below 0.7**20 ~ 0.08 %). No self-loops
    (repeated touches are collapsed by the attribution models anyway).
    """
    k = len(channels)
    p_conv = rng.uniform(0.01, 0.20, size=k)
    p_null = rng.uniform(0.30, 0.60, size=k)
    rows = {}
    start = rng.dirichlet(np.full(k, 2.0))
    rows[START] = np.concatenate([start, [0.0, 0.0]])
    for i, c in enumerate(channels):
        rest = 1.0 - p_conv[i] - p_null[i]
        if k > 1:
            move = rng.dirichlet(np.full(k - 1, 1.5)) * rest
            to = np.insert(move, i, 0.0)
            row = np.concatenate([to, [p_conv[i], p_null[i]]])
        else:  # a single channel: whatever does not convert is a null
            row = np.array([0.0, p_conv[i], 1.0 - p_conv[i]])
        rows[c] = row
    return pd.DataFrame(rows, index=channels + [CONV, NULL]).T


def _check_transition(transition: pd.DataFrame, channels: list[str]) -> pd.DataFrame:
    rows = [START] + channels
    cols = channels + [CONV, NULL]
    missing_r = [r for r in rows if r not in transition.index]
    if missing_r:
        raise ValueError(f"transition lacks rows {missing_r}; rows must be {rows}.")
    t = transition.reindex(index=rows, columns=cols).fillna(0.0).astype(float)
    extra = set(transition.columns) - set(cols)
    if extra:
        raise ValueError(f"transition has unknown columns {sorted(extra)}; columns must be among {cols}.")
    m = t.to_numpy()
    if (m < 0).any() or not np.allclose(m.sum(axis=1), 1.0, atol=1e-9):
        raise ValueError("transition rows must be non-negative and sum to 1.")
    return t


def true_conversion_probability(transition: pd.DataFrame, channels: list[str],
                                removed: str | None = None) -> float:
    """Exact probability that a journey from ``(start)`` converts.

    With ``removed`` set, that channel's state is deleted from the transient set
    (any move into it ends the journey without conversion) and the smaller system
    ``(I - Q') x = r'`` is solved.
    """
    keep = [START] + [c for c in channels if c != removed]
    q = transition.reindex(index=keep, columns=keep, fill_value=0.0).to_numpy(dtype=float)
    r = transition.loc[keep, CONV].to_numpy(dtype=float)
    x = np.linalg.solve(np.eye(len(keep)) - q, r)
    return float(x[0])


def truncation_probability(transition: pd.DataFrame, channels: list[str], max_len: int) -> float:
    """Exact probability that a journey is still among channels after ``max_len`` touches."""
    states = [START] + channels
    q = transition.reindex(index=states, columns=states, fill_value=0.0).to_numpy(dtype=float)
    v = np.zeros(len(states))
    v[0] = 1.0
    for _ in range(max_len):
        v = v @ q
    return float(v.sum())


def chain_truth(transition: pd.DataFrame, channels: list[str], max_len: int = 20) -> dict:
    """Return the JSON-serialisable truth of a chain: transitions, removal effects, shares."""
    p = true_conversion_probability(transition, channels)
    re = {}
    for c in channels:
        re[c] = (1.0 - true_conversion_probability(transition, channels, removed=c) / p) if p > 0 else 0.0
    total = sum(re.values())
    shares = {c: (v / total if total > 0 else 0.0) for c, v in re.items()}
    trans = {str(s): {str(t): float(v) for t, v in row.items() if v > 0}
             for s, row in transition.iterrows()}
    return {
        "channels": list(channels),
        "transition": trans,
        "conversion_probability": p,
        "removal_effects": re,
        "conversion_shares": shares,
        "max_len": int(max_len),
        "truncation_probability": truncation_probability(transition, channels, max_len),
    }


def simulate_journeys(channels: list[str], n_journeys: int, *, seed: int | np.random.Generator,
                      max_len: int = 20, transition: pd.DataFrame | None = None,
                      mean_value: float = 100.0) -> tuple[pd.DataFrame, dict]:
    """Simulate ``n_journeys`` journeys from a known absorbing Markov chain.

    Returns ``(paths, truth)``:

    - ``paths``: one row per distinct path with columns ``path`` (channels joined by
      ``" > "``), ``conversions`` and ``nulls`` (journey counts, float) and ``value``
      (CAD, sum of the gamma-distributed values of the converting journeys, mean
      ``mean_value`` per conversion);
    - ``truth``: the chain (``transition`` as nested dicts, incl. ``(start)``,
      ``(conversion)``, ``(null)``), the exact ``removal_effects`` and
      ``conversion_shares`` (removal effects normalised to sum to 1), the exact
      conversion probability and ``truncation_probability``.

    ``transition`` (rows ``(start)`` + channels, columns channels + ``(conversion)``
    + ``(null)``, rows summing to 1) fixes the chain; when None a random chain is drawn
    from ``seed`` (see :func:`random_chain`). A journey still among channels after
    ``max_len`` touches is cut and counted as a null; its probability is reported in
    the truth so that tests can allow for it.
    """
    channels = _check_channels(channels)
    if int(n_journeys) < 1:
        raise ValueError(f"n_journeys must be >= 1, got {n_journeys}.")
    if max_len < 1:
        raise ValueError(f"max_len must be >= 1, got {max_len}.")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if transition is None:
        transition = random_chain(channels, rng)
    transition = _check_transition(transition, channels)
    k = len(channels)
    n = int(n_journeys)
    # Row i of ``cum``: cumulative probabilities from state i (0 = start, 1..k channels)
    # to targets 1..k (channels), k+1 (conversion), k+2 (null).
    probs = transition.loc[[START] + channels, channels + [CONV, NULL]].to_numpy(dtype=float)
    cum = np.cumsum(probs, axis=1)
    cum[:, -1] = 1.0
    seq = np.zeros((n, max_len), dtype=np.int8)  # 0 = no touch, c+1 = channel c
    state = np.zeros(n, dtype=np.int64)
    alive = np.arange(n)
    outcome = np.full(n, 2, dtype=np.int8)  # 1 = conversion, 2 = null (default: cut at max_len)
    for step in range(max_len):
        u = rng.random(alive.size)
        nxt = (u[:, None] >= cum[state[alive]]).sum(axis=1)  # index into targets 0..k+1
        is_ch = nxt < k
        ended = alive[~is_ch]
        outcome[ended] = np.where(nxt[~is_ch] == k, 1, 2)
        alive = alive[is_ch]
        state[alive] = nxt[is_ch] + 1
        seq[alive, step] = (nxt[is_ch] + 1).astype(np.int8)
        if alive.size == 0:
            break
    conv = outcome == 1
    values = np.where(conv, rng.gamma(2.0, mean_value / 2.0, size=n), 0.0)
    # Aggregate identical paths: view each row of codes as one opaque byte string.
    keys = np.ascontiguousarray(seq).view(np.dtype((np.void, max_len))).ravel()
    uniq, inv = np.unique(keys, return_inverse=True)
    n_u = uniq.size
    conversions = np.bincount(inv, weights=conv, minlength=n_u)
    nulls = np.bincount(inv, weights=~conv, minlength=n_u)
    value = np.bincount(inv, weights=values, minlength=n_u)
    codes = uniq.view(np.int8).reshape(n_u, max_len)
    names = np.array([""] + channels, dtype=object)
    paths = [SEP.join(names[row[row > 0]]) for row in codes]
    out = pd.DataFrame({"path": paths, "conversions": conversions, "nulls": nulls, "value": value})
    out = out[out["path"] != ""].reset_index(drop=True)  # impossible: start always moves to a channel
    return out, chain_truth(transition, channels, max_len)
