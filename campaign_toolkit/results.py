"""One shape for every analysis result (see DESIGN.md, "One shape for every result").

Every analysis function of the toolkit returns a :class:`Result` (or a subclass):

- ``.table``: a tidy DataFrame, one row per channel / segment / line, with the
  estimate and, where the method gives one, ``ci_low`` / ``ci_high``;
- ``.method``: what was computed, in words;
- ``.params``: the settings that produced it (for reproducibility);
- ``.summary(lang="fr")``: a few plain sentences for reports;
- ``.plot(ax=None)``: a matplotlib/seaborn chart, returns the Axes;
- ``_repr_html_``: the table rendered in JupyterLab (text from data is escaped).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class Result:
    """Base result: a tidy table, the method in words and the parameters used.

    Subclasses override :meth:`summary` and, where a better chart exists, :meth:`plot`.
    ``estimate_col`` names the column that :meth:`plot` draws and ``label_col`` the
    column naming each row (channel, segment...).
    """

    table: pd.DataFrame
    method: str
    params: dict[str, Any] = field(default_factory=dict)
    estimate_col: str | None = None
    label_col: str | None = None

    def summary(self, lang: str = "fr") -> str:
        """Return a plain-language description of the result (French by default)."""
        n = len(self.table)
        if lang == "en":
            return f"{self.method}: {n} rows."
        return f"{self.method} : {n} lignes."

    def _guess_cols(self) -> tuple[str, str]:
        label = self.label_col or next(
            (c for c in ("channel", "segment", "line_id", "label") if c in self.table.columns),
            self.table.columns[0],
        )
        est = self.estimate_col or next(
            (c for c in ("estimate", "conversions", "contribution", "rate") if c in self.table.columns),
            self.table.select_dtypes("number").columns[0],
        )
        return label, est

    def plot(self, ax=None):
        """Draw the estimate per row as horizontal bars with its interval if present.

        Returns the matplotlib Axes.
        """
        import matplotlib.pyplot as plt

        from .report.theme import apply_theme

        apply_theme()
        label, est = self._guess_cols()
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.4 * max(len(self.table), 3) + 1))
        t = self.table
        y = range(len(t))
        ax.barh(list(y), t[est].astype(float), color="#1f5fa8")
        if {"ci_low", "ci_high"} <= set(t.columns):
            lo = (t[est] - t["ci_low"]).astype(float).clip(lower=0)
            hi = (t["ci_high"] - t[est]).astype(float).clip(lower=0)
            ax.errorbar(t[est].astype(float), list(y), xerr=[lo, hi], fmt="none", ecolor="#333333", capsize=3)
        ax.set_yticks(list(y))
        ax.set_yticklabels([str(v) for v in t[label]])
        ax.set_xlabel(est)
        ax.invert_yaxis()
        return ax

    def _repr_html_(self) -> str:
        head = f"<p><strong>{html.escape(self.method)}</strong></p>"
        return head + self.table.to_html(index=False, escape=True, na_rep="")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(method={self.method!r}, rows={len(self.table)})"
