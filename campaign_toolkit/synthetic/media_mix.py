"""Seeded simulator of a weekly media-mix series with planted response curves.

The series is built from, per channel, a *normalised* geometric adstock
(``a_t = (1 - decay) * x_t + decay * a_{t-1}``, so a steady weekly spend ``w`` gives
``a = w``) and a Hill saturation ``beta * a^shape / (a^shape + half_saturation^shape)``,
plus a baseline, a linear trend, yearly seasonality, one control (public-holiday weeks)
and Gaussian noise. The same transforms are used by :func:`campaign_toolkit.budget.fit_media_mix`,
so a fit on this series can be checked against the planted truth.

:func:`simulate_media_mix` returns the series and a JSON-serialisable truth dict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.signal import lfilter

DEFAULT_CHANNELS = ("search", "social_meta", "online_video", "programmatic_display",
                    "ctv", "tv", "radio", "print")


def geometric_adstock(x: np.ndarray, decay: float) -> np.ndarray:
    """Return the normalised geometric adstock of ``x`` along axis 0 (same units as ``x``)."""
    return lfilter([1.0 - decay], [1.0, -decay], np.asarray(x, dtype=float), axis=0)


def hill(a, half_saturation, shape):
    """Return the Hill saturation ``a^shape / (a^shape + K^shape)`` (between 0 and 1)."""
    a = np.maximum(np.asarray(a, dtype=float), 0.0)
    return a ** shape / (a ** shape + half_saturation ** shape)


def _flighting(rng: np.random.Generator, n_weeks: int, p_on: float = 0.55) -> np.ndarray:
    """Return a 0/1 on-off pattern of campaign flights (runs of active weeks)."""
    on = np.zeros(n_weeks, dtype=bool)
    state = rng.random() < p_on
    for t in range(n_weeks):
        on[t] = state
        # persistent runs: stay in the same state with probability 0.6
        if rng.random() > 0.6:
            state = rng.random() < p_on
    return on


def simulate_media_mix(n_channels: int = 8, n_weeks: int = 156, *, seed: int = 0,
                       channels=None, start: str = "2023-01-02", noise_sd: float = 100.0,
                       base: float = 10_000.0, saturation: str = "hill") -> tuple[pd.DataFrame, dict]:
    """Simulate a weekly series of media spend and an outcome from planted curves.

    Returns ``(df, truth)``:

    - ``df``: one row per week with ``date`` (Mondays), one spend column per channel
      (``spend_<channel>``, CAD per week), ``outcome`` (weekly outcome units, e.g.
      site visits attributable to awareness) and the control ``holiday`` (0/1);
    - ``truth``: JSON-serialisable dict with ``params`` per channel (``decay``,
      ``half_saturation`` in CAD per week, ``shape``, ``beta`` = maximum weekly effect
      in outcome units), ``contributions`` per channel (outcome units summed over the
      series), ``curves`` (per channel: weekly spend grid -> steady-state weekly
      effect), ``baseline`` settings, ``seed`` and ``n_weeks``.

    ``channels`` defaults to the first ``n_channels`` of :data:`DEFAULT_CHANNELS`.
    ``saturation="logistic"`` plants ``beta * tanh(a / (2 * half_saturation))`` instead
    of the Hill curve (``shape`` is then unused).
    """
    if saturation not in ("hill", "logistic"):
        raise ValueError(f"saturation must be 'hill' or 'logistic', not {saturation!r}.")
    if channels is None:
        if not 1 <= n_channels <= len(DEFAULT_CHANNELS):
            raise ValueError(f"n_channels must be between 1 and {len(DEFAULT_CHANNELS)} "
                             "(or pass `channels` explicitly).")
        channels = list(DEFAULT_CHANNELS[:n_channels])
    channels = list(channels)
    if n_weeks < 20:
        raise ValueError("n_weeks must be at least 20 to simulate a meaningful series.")
    rng = np.random.default_rng(seed)
    C = len(channels)
    t = np.arange(n_weeks)
    dates = pd.date_range(start, periods=n_weeks, freq="7D")

    level = rng.uniform(3_000, 12_000, C)            # typical active-week spend (CAD)
    decay = rng.uniform(0.1, 0.7, C)
    half_sat = level * rng.uniform(0.6, 1.4, C)
    shape = rng.uniform(0.9, 2.2, C)
    beta = rng.uniform(600, 1_600, C)                # max weekly effect (outcome units)

    X = np.zeros((n_weeks, C))
    for c in range(C):
        on = _flighting(rng, n_weeks)
        X[:, c] = np.where(on, level[c] * rng.lognormal(0.0, 0.7, n_weeks), 0.0).round(2)

    def curve(a, c):
        if saturation == "hill":
            return beta[c] * hill(a, half_sat[c], shape[c])
        return beta[c] * np.tanh(np.maximum(a, 0.0) / (2.0 * half_sat[c]))

    effects = np.column_stack([curve(geometric_adstock(X[:, c], decay[c]), c) for c in range(C)])
    trend_total = 0.08 * base
    season = 0.06 * base * np.sin(2 * np.pi * t / 52.18) + 0.03 * base * np.cos(4 * np.pi * t / 52.18)
    holiday = np.isin(dates.isocalendar().week.to_numpy(), [1, 26, 27, 36, 52]).astype(int)
    holiday_effect = -0.05 * base
    baseline = base + trend_total * t / (n_weeks - 1) + season + holiday_effect * holiday
    y = baseline + effects.sum(axis=1) + rng.normal(0.0, noise_sd, n_weeks)

    df = pd.DataFrame({"date": dates})
    for c, ch in enumerate(channels):
        df[f"spend_{ch}"] = X[:, c]
    df["holiday"] = holiday
    df["outcome"] = y

    curves = {}
    for c, ch in enumerate(channels):
        grid = np.linspace(0.0, 3.0 * level[c], 31)
        curves[ch] = {"weekly_spend": grid.round(2).tolist(),
                      "weekly_effect": curve(grid, c).tolist()}
    truth = {
        "seed": int(seed),
        "n_weeks": int(n_weeks),
        "channels": channels,
        "spend_columns": [f"spend_{ch}" for ch in channels],
        "kpi_col": "outcome",
        "adstock": "geometric (normalised: a_t = (1 - decay) x_t + decay a_{t-1})",
        "saturation": ("hill: beta * a^shape / (a^shape + half_saturation^shape)" if saturation == "hill"
                       else "logistic: beta * tanh(a / (2 half_saturation))"),
        "params": {ch: {"decay": float(decay[c]), "half_saturation": float(half_sat[c]),
                        "shape": float(shape[c]), "beta": float(beta[c])}
                   for c, ch in enumerate(channels)},
        "contributions": {ch: float(effects[:, c].sum()) for c, ch in enumerate(channels)},
        "total_spend": {ch: float(X[:, c].sum()) for c, ch in enumerate(channels)},
        "curves": curves,
        "baseline": {"base": base, "trend_total": trend_total, "holiday_effect": holiday_effect,
                     "noise_sd": noise_sd, "seasonality": "0.06*base*sin(2pi t/52.18) + 0.03*base*cos(4pi t/52.18)"},
    }
    return df, truth
