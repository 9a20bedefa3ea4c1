"""Number, money, percent and date formatting for reports (fr-CA by default, en-CA).

Babel gives the locale rules: in fr-CA a thousands separator is a narrow no-break
space, the decimal mark a comma, and the currency sign follows (``1 234,56 $``);
percentages are ``12,5 %``. Missing values print as ``n.d.`` (French) / ``n/a``.
"""

from __future__ import annotations

from babel import dates as _dates
from babel import numbers as _numbers

from ..schema import check_lang

LOCALES = {"fr": "fr_CA", "en": "en_CA"}


def locale(lang: str = "fr") -> str:
    """Return the Babel locale for ``lang`` (``fr`` -> ``fr_CA``, ``en`` -> ``en_CA``)."""
    return LOCALES[check_lang(lang)]


def na(lang: str = "fr") -> str:
    """Return the text shown for a missing or withheld value."""
    return "n.d." if check_lang(lang) == "fr" else "n/a"


def _missing(x) -> bool:
    """True for None, NaN, NaT and pd.NA (withheld cells arrive as pd.NA)."""
    import pandas as pd

    return x is None or (pd.api.types.is_scalar(x) and bool(pd.isna(x)))


def number(x, lang: str = "fr", decimals: int = 0) -> str:
    """Format a number with ``decimals`` decimals (``1 234,5`` in French)."""
    if _missing(x):
        return na(lang)
    fmt = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return _numbers.format_decimal(float(x), format=fmt, locale=locale(lang))


def money(x, lang: str = "fr", decimals: int = 2) -> str:
    """Format an amount in Canadian dollars (``1 234,56 $`` in French, ``$1,234.56`` in English)."""
    if _missing(x):
        return na(lang)
    fmt = "#,##0" + ("." + "0" * decimals if decimals > 0 else "") + "\u00a0¤" if lang == "fr" else \
        "¤#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return _numbers.format_currency(float(x), "CAD", format=fmt, locale=locale(lang),
                                    currency_digits=False)


def percent(x, lang: str = "fr", decimals: int = 1) -> str:
    """Format a share (0.125) as a percentage (``12,5 %`` in French, ``12.5%`` in English)."""
    if _missing(x):
        return na(lang)
    fmt = "#,##0" + ("." + "0" * decimals if decimals > 0 else "") + ("\u00a0%" if lang == "fr" else "%")
    return _numbers.format_percent(float(x), format=fmt, locale=locale(lang))


def date(d, lang: str = "fr") -> str:
    """Format a date in long form (``3 décembre 2026`` / ``December 3, 2026``)."""
    if _missing(d):
        return na(lang)
    import pandas as pd

    return _dates.format_date(pd.Timestamp(d).date(), format="long", locale=locale(lang))


def kpi(x, unit: str, lang: str = "fr") -> str:
    """Format a KPI value by its unit (``money``, ``percent``, ``count``, ``rate``)."""
    if unit == "money":
        return money(x, lang)
    if unit == "percent":
        return percent(x, lang, decimals=2)
    if unit == "count":
        return number(x, lang, 0)
    return number(x, lang, 2)


def short_date(d, lang: str = "fr") -> str:
    """Format a date as day and abbreviated month (``8 mai`` / ``May 8``), for chart axes."""
    if _missing(d):
        return na(lang)
    import pandas as pd

    return _dates.format_date(pd.Timestamp(d).date(), format="d MMM" if lang == "fr" else "MMM d",
                              locale=locale(lang))
