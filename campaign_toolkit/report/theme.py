"""One plot theme for every chart of the toolkit (set in one place)."""

from __future__ import annotations

import matplotlib

PALETTE = ["#1f5fa8", "#e07b39", "#3a9d5d", "#b8403d", "#7a5aa6", "#8c6d31", "#d16fae",
           "#6b6b6b", "#b5b82d", "#2aa6b8", "#0d3b66", "#f4a259"]


def apply_theme() -> None:
    """Apply the toolkit's seaborn theme (white grid, readable sizes, fixed palette)."""
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook", palette=PALETTE,
                  rc={"figure.dpi": 100, "savefig.dpi": 100, "axes.titleweight": "bold",
                      # labels come from data (channel, outlet names): "$" must print, not start math
                      "text.parse_math": False})
