"""campaign_toolkit: analysis of a government's digital advertising campaigns.

Import as ``import campaign_toolkit as ct``; analysis modules are loaded on first use
(``ct.attribution``, ``ct.lift``, ``ct.budget``, ``ct.planning``...).
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = {
    "schema", "metrics", "results", "synthetic", "warehouse", "attribution", "lift",
    "privacy", "budget", "planning", "report", "cli", "ingest",
}


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name == "Warehouse":
        from .warehouse import Warehouse

        return Warehouse
    raise AttributeError(f"module 'campaign_toolkit' has no attribute {name!r}")


__all__ = sorted(_SUBMODULES | {"Warehouse", "__version__"})
