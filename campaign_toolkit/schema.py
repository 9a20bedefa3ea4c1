"""Canonical tables, controlled vocabularies and validation.

Columns are English snake_case; French (and English) labels live in the vocabularies
and are used only by reports. Validation uses pandera and raises a single
:class:`ValidationError` that lists every problem (table, column, rule, offending rows).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

# ---------------------------------------------------------------------------
# Vocabularies: code -> (French label, English label)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Channel:
    """A media channel of the controlled vocabulary."""

    code: str
    fr: str
    en: str
    digital: bool
    video: bool  # delivers video starts / completions
    clickable: bool  # delivers clicks and landing sessions


CHANNELS: dict[str, Channel] = {
    c.code: c
    for c in [
        Channel("search", "Recherche payante", "Paid search", True, False, True),
        Channel("social_meta", "Réseaux sociaux (Meta)", "Social media (Meta)", True, True, True),
        Channel("social_other", "Autres réseaux sociaux", "Other social media", True, True, True),
        Channel("online_video", "Vidéo en ligne", "Online video", True, True, True),
        Channel("programmatic_display", "Affichage programmatique", "Programmatic display", True, False, True),
        Channel("ctv", "Télé connectée", "Connected TV", True, True, False),
        Channel("audio_streaming", "Audio en continu", "Audio streaming", True, False, False),
        Channel("tv", "Télévision", "Television", False, False, False),
        Channel("radio", "Radio", "Radio", False, False, False),
        Channel("print", "Imprimé", "Print", False, False, False),
        Channel("ooh", "Affichage extérieur", "Out-of-home", False, False, False),
        Channel("cinema", "Cinéma", "Cinema", False, False, False),
    ]
}

OBJECTIVES: dict[str, tuple[str, str]] = {
    "awareness": ("Notoriété", "Awareness"),
    "consideration": ("Considération", "Consideration"),
    "action": ("Action", "Action"),
}

# Each objective's primary KPIs, most important first (DESIGN.md).
OBJECTIVE_KPIS: dict[str, tuple[str, ...]] = {
    "awareness": ("cpm", "cpcv", "vcr"),
    "consideration": ("ctr", "cost_per_landing_session", "cpc"),
    "action": ("conversions", "cpa", "conversion_rate"),
}

# Quebec's 17 administrative regions (official numbering 01-17).
REGIONS: dict[str, tuple[str, str]] = {
    "bas_saint_laurent": ("Bas-Saint-Laurent", "Bas-Saint-Laurent"),
    "saguenay_lac_saint_jean": ("Saguenay–Lac-Saint-Jean", "Saguenay–Lac-Saint-Jean"),
    "capitale_nationale": ("Capitale-Nationale", "Capitale-Nationale"),
    "mauricie": ("Mauricie", "Mauricie"),
    "estrie": ("Estrie", "Estrie"),
    "montreal": ("Montréal", "Montréal"),
    "outaouais": ("Outaouais", "Outaouais"),
    "abitibi_temiscamingue": ("Abitibi-Témiscamingue", "Abitibi-Témiscamingue"),
    "cote_nord": ("Côte-Nord", "Côte-Nord"),
    "nord_du_quebec": ("Nord-du-Québec", "Nord-du-Québec"),
    "gaspesie_iles_de_la_madeleine": ("Gaspésie–Îles-de-la-Madeleine", "Gaspésie–Îles-de-la-Madeleine"),
    "chaudiere_appalaches": ("Chaudière-Appalaches", "Chaudière-Appalaches"),
    "laval": ("Laval", "Laval"),
    "lanaudiere": ("Lanaudière", "Lanaudière"),
    "laurentides": ("Laurentides", "Laurentides"),
    "monteregie": ("Montérégie", "Montérégie"),
    "centre_du_quebec": ("Centre-du-Québec", "Centre-du-Québec"),
}

AGE_BANDS: dict[str, tuple[str, str]] = {
    "18-24": ("18 à 24 ans", "18 to 24"),
    "25-34": ("25 à 34 ans", "25 to 34"),
    "35-44": ("35 à 44 ans", "35 to 44"),
    "45-54": ("45 à 54 ans", "45 to 54"),
    "55-64": ("55 à 64 ans", "55 to 64"),
    "65+": ("65 ans et plus", "65 and over"),
}

GENDERS: dict[str, tuple[str, str]] = {
    "female": ("Femmes", "Women"),
    "male": ("Hommes", "Men"),
    "unknown": ("Non précisé", "Unspecified"),
}

LANGUAGES: dict[str, tuple[str, str]] = {
    "fr": ("Français", "French"),
    "en": ("Anglais", "English"),
    "other": ("Autre", "Other"),
}

CAMPAIGN_LANGUAGES: dict[str, tuple[str, str]] = {
    "fr": ("Français", "French"),
    "en": ("Anglais", "English"),
    "fr_en": ("Français et anglais", "French and English"),
}

DEVICES: dict[str, tuple[str, str]] = {
    "mobile": ("Mobile", "Mobile"),
    "desktop": ("Ordinateur", "Desktop"),
    "tablet": ("Tablette", "Tablet"),
    "tv": ("Téléviseur", "TV set"),
    "other": ("Autre ou non mesuré", "Other or not measured"),
}

SEGMENT_DIMENSIONS: dict[str, dict[str, tuple[str, str]]] = {
    "age_band": AGE_BANDS,
    "gender": GENDERS,
    "region": REGIONS,
    "language": LANGUAGES,
    "device": DEVICES,
}

DIMENSION_LABELS: dict[str, tuple[str, str]] = {
    "age_band": ("Tranche d'âge", "Age band"),
    "gender": ("Genre", "Gender"),
    "region": ("Région administrative", "Administrative region"),
    "language": ("Langue", "Language"),
    "device": ("Appareil", "Device"),
    "channel": ("Canal", "Channel"),
}


def label(vocabulary: str, code: str, lang: str = "fr") -> str:
    """Return the French (default) or English label of ``code`` in a vocabulary.

    ``vocabulary`` is one of ``channel``, ``objective``, ``region``, ``age_band``,
    ``gender``, ``language``, ``device``, ``dimension``. Unknown codes are returned
    unchanged (as text), so a report never fails on a new code.
    """
    check_lang(lang)
    i = 0 if lang == "fr" else 1
    if vocabulary == "channel":
        ch = CHANNELS.get(code)
        return (ch.fr if i == 0 else ch.en) if ch else str(code)
    table = {
        "objective": OBJECTIVES,
        "dimension": DIMENSION_LABELS,
        "campaign_language": CAMPAIGN_LANGUAGES,
        **SEGMENT_DIMENSIONS,
    }.get(vocabulary)
    if table is None:
        raise ValueError(f"Unknown vocabulary {vocabulary!r}; use one of: channel, objective, dimension, "
                         + ", ".join(SEGMENT_DIMENSIONS))
    pair = table.get(code)
    return pair[i] if pair else str(code)


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is ``"fr"`` or ``"en"``; raise a ValueError otherwise."""
    if lang not in ("fr", "en"):
        raise ValueError(f"lang must be 'fr' (default) or 'en', not {lang!r}.")
    return lang


# ---------------------------------------------------------------------------
# Campaign ids
# ---------------------------------------------------------------------------

CAMPAIGN_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class InvalidCampaignId(ValueError):
    """A campaign id that is not safe to use as a file or folder name."""


class UnknownCampaign(KeyError):
    """A campaign id that is valid but not in the data."""

    def __str__(self) -> str:  # KeyError quotes its message; we want plain text
        return str(self.args[0]) if self.args else ""


def validate_campaign_id(campaign_id: object) -> str:
    """Return ``campaign_id`` if it is safe as a file name, else raise InvalidCampaignId.

    A valid id starts with a letter or digit and continues with up to 63 letters,
    digits, ``_``, ``.`` or ``-`` (so ``..``, ``a/b``, ``a b`` and ``""`` are refused).
    """
    if not isinstance(campaign_id, str) or not CAMPAIGN_ID_PATTERN.fullmatch(campaign_id):
        raise InvalidCampaignId(
            f"Invalid campaign id {campaign_id!r}: an id starts with a letter or digit and "
            "contains only letters, digits, '_', '.' or '-' (at most 64 characters), "
            "so that it is safe as a file name. Check the id (for example 'MSSS-2025-03')."
        )
    return campaign_id


def close_matches(value: str, candidates, n: int = 5) -> list[str]:
    """Return up to ``n`` candidates close to ``value`` (case-insensitive), best first."""
    cands = [str(c) for c in candidates]
    lower = {c.lower(): c for c in cands}
    hits = difflib.get_close_matches(value.lower(), list(lower), n=n, cutoff=0.5)
    prefix = [c for c in cands if c.lower().startswith(value.lower()[:4]) and c.lower() not in hits]
    out = [lower[h] for h in hits] + prefix
    return out[:n]


def unknown_campaign_error(campaign_id: str, known) -> UnknownCampaign:
    """Build the error for a campaign id that is not in the data, listing close matches."""
    matches = close_matches(campaign_id, known)
    hint = ("Close matches: " + ", ".join(matches) + ".") if matches else (
        "No close match; `campaign-toolkit list` shows every campaign id.")
    return UnknownCampaign(f"Campaign {campaign_id!r} is not in the warehouse. {hint}")


# ---------------------------------------------------------------------------
# Table schemas (pandera)
# ---------------------------------------------------------------------------

_ID = pa.Check.str_matches(CAMPAIGN_ID_PATTERN.pattern + r"\Z")  # \Z: a trailing newline does not pass


def _isin(values) -> pa.Check:
    return pa.Check.isin(list(values))


def _count(nullable: bool = False) -> pa.Column:
    return pa.Column("Int64", pa.Check.ge(0), nullable=nullable, coerce=True)


def _money(nullable: bool = False) -> pa.Column:
    return pa.Column("float64", pa.Check.ge(0), nullable=nullable, coerce=True)


SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "campaigns": pa.DataFrameSchema(
        {
            "campaign_id": pa.Column(str, _ID, unique=True),
            "name": pa.Column(str),
            "advertiser": pa.Column(str),
            "objective": pa.Column(str, _isin(OBJECTIVES)),
            "start_date": pa.Column("datetime64[ns]", coerce=True),
            "end_date": pa.Column("datetime64[ns]", coerce=True),
            "budget": _money(),
            "language": pa.Column(str, _isin(CAMPAIGN_LANGUAGES)),
        },
        checks=[pa.Check(lambda d: d["end_date"] >= d["start_date"], name="end_date >= start_date",
                         error="end_date is before start_date")],
        name="campaigns",
        coerce=True,
    ),
    "plan_lines": pa.DataFrameSchema(
        {
            "campaign_id": pa.Column(str, _ID),
            "line_id": pa.Column(str),
            "channel": pa.Column(str, _isin(CHANNELS)),
            "outlet": pa.Column(str),
            "planned_spend": _money(),
            "planned_impressions": _count(),
            "start_date": pa.Column("datetime64[ns]", coerce=True),
            "end_date": pa.Column("datetime64[ns]", coerce=True),
            "community": pa.Column(bool, coerce=True),
            "quebec_owned": pa.Column(bool, coerce=True),
            "web_giant": pa.Column(bool, coerce=True),
            "language": pa.Column(str, _isin(LANGUAGES)),
        },
        checks=[pa.Check(lambda d: d["end_date"] >= d["start_date"], name="end_date >= start_date",
                         error="end_date is before start_date")],
        unique=["campaign_id", "line_id"],
        name="plan_lines",
        coerce=True,
    ),
    "delivery": pa.DataFrameSchema(
        {
            "date": pa.Column("datetime64[ns]", coerce=True),
            "campaign_id": pa.Column(str, _ID),
            "line_id": pa.Column(str),
            "channel": pa.Column(str, _isin(CHANNELS)),
            "age_band": pa.Column(str, _isin(AGE_BANDS)),
            "gender": pa.Column(str, _isin(GENDERS)),
            "region": pa.Column(str, _isin(REGIONS)),
            "language": pa.Column(str, _isin(LANGUAGES)),
            "device": pa.Column(str, _isin(DEVICES)),
            "impressions": _count(),
            "clicks": _count(),
            "video_starts": _count(),
            "video_completions": _count(),
            "landing_sessions": _count(),
            "conversions": _count(),
            "spend": _money(),
        },
        checks=[
            pa.Check(lambda d: d["clicks"] <= d["impressions"], name="clicks <= impressions",
                     error="more clicks than impressions"),
            pa.Check(lambda d: d["video_completions"] <= d["video_starts"],
                     name="video_completions <= video_starts",
                     error="more video completions than video starts"),
        ],
        unique=["date", "campaign_id", "line_id", "age_band", "gender", "region", "language", "device"],
        name="delivery",
        coerce=True,
    ),
    "journeys": pa.DataFrameSchema(
        {
            "campaign_id": pa.Column(str, _ID),
            "path": pa.Column(str, pa.Check.str_length(min_value=1)),
            "conversions": _money(),
            "nulls": _money(),
            "value": _money(),
        },
        unique=["campaign_id", "path"],
        name="journeys",
        coerce=True,
    ),
    "lift_tests": pa.DataFrameSchema(
        {
            "campaign_id": pa.Column(str, _ID),
            "test_id": pa.Column(str),
            "kind": pa.Column(str, _isin(["conversion_lift", "brand_lift"])),
            "segment": pa.Column(str),
            "test_size": _count(),
            "test_outcomes": _count(),
            "control_size": _count(),
            "control_outcomes": _count(),
        },
        checks=[
            pa.Check(lambda d: d["test_outcomes"] <= d["test_size"], name="test_outcomes <= test_size",
                     error="more outcomes than people in the test group"),
            pa.Check(lambda d: d["control_outcomes"] <= d["control_size"],
                     name="control_outcomes <= control_size",
                     error="more outcomes than people in the control group"),
        ],
        unique=["campaign_id", "test_id", "segment"],
        name="lift_tests",
        coerce=True,
    ),
    "agency_plans": pa.DataFrameSchema(
        {
            "campaign_id": pa.Column(str, _ID),
            "plan_id": pa.Column(str),
            "channel": pa.Column(str, _isin(CHANNELS)),
            "spend": _money(),
        },
        unique=["campaign_id", "plan_id", "channel"],
        name="agency_plans",
        coerce=True,
    ),
}

# Natural keys used by the warehouse's idempotent upserts.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "campaigns": ("campaign_id",),
    "plan_lines": ("campaign_id", "line_id"),
    "delivery": ("date", "campaign_id", "line_id", "age_band", "gender", "region", "language", "device"),
    "journeys": ("campaign_id", "path"),
    "lift_tests": ("campaign_id", "test_id", "segment"),
    "agency_plans": ("campaign_id", "plan_id", "channel"),
}

TABLES = tuple(SCHEMAS)


class ValidationError(ValueError):
    """Raised when a table breaks its schema; the message lists every problem."""

    def __init__(self, table: str, problems: pd.DataFrame):
        self.table = table
        self.problems = problems
        super().__init__(self._message())

    def _message(self) -> str:
        p = self.problems
        row_rule = p["schema_context"].eq("DataFrameSchema") & p["check"].astype(str).ne("column_in_dataframe")
        lines = [f"Table {self.table!r} is not valid:"]
        for (column, check), grp in p[~row_rule].groupby(["column", "check"], dropna=False, sort=False):
            col = column if isinstance(column, str) else "(table)"
            if check == "column_in_dataframe":
                lines.append(f"  - missing columns: {grp['failure_case'].astype(str).tolist()}")
                continue
            lines.append(self._line(f"column {col!r}, rule {check}", grp, show_values=True))
        for check, grp in p[row_rule].groupby("check", sort=False):
            grp = grp.drop_duplicates("index")
            lines.append(self._line(f"row rule {check}", grp, show_values=False))
        lines.append("Fix these values in the source file (or its export) and load again.")
        return "\n".join(lines)

    @staticmethod
    def _line(what: str, grp: pd.DataFrame, show_values: bool) -> str:
        rows = grp["index"].dropna().tolist()[:5]
        where = f" at rows {rows}" if rows else ""
        vals = f"; values {grp['failure_case'].astype(str).tolist()[:5]}" if show_values else ""
        return f"  - {what}: {len(grp)} failing{where}{vals}"


def validate(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """Validate ``df`` as canonical table ``table`` and return it with dtypes coerced.

    Raises :class:`ValidationError` listing every problem at once (missing columns,
    wrong types, values outside a vocabulary, broken row rules).
    """
    if table not in SCHEMAS:
        raise ValueError(f"Unknown table {table!r}; the canonical tables are: {', '.join(TABLES)}.")
    try:
        return SCHEMAS[table].validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases.copy()
        cases["column"] = cases["column"].astype(object)
        raise ValidationError(table, cases) from None


def empty(table: str) -> pd.DataFrame:
    """Return an empty DataFrame with the columns of canonical table ``table``."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in SCHEMAS[table].columns})


def fiscal_year(dates) -> pd.Series:
    """Return the Quebec government fiscal year (April to March) of each date, as ``"2025-2026"``."""
    d = pd.to_datetime(pd.Series(dates))
    start = d.dt.year - (d.dt.month < 4).astype(int)
    return start.astype(str) + "-" + (start + 1).astype(str)
