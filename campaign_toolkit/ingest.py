"""Read platform exports into canonical tables, quarantining bad rows with a reason each.

Exports arrive as CSV (comma or semicolon separated, UTF-8, UTF-8 with BOM or
Windows-1252) with French or English headers and French number formats
(``1 234,56``, ``12,5 %``). :func:`read_export` maps the headers, parses the numbers,
validates every row against :mod:`campaign_toolkit.schema`, and returns the good rows
and the quarantined ones. Nothing is dropped silently: ``rows_in == len(loaded) +
len(quarantine)`` always holds (and is checked).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from . import schema

# Header synonyms seen in platform exports (normalised: lower case, no accents, single spaces).
HEADER_SYNONYMS: dict[str, str] = {
    "date": "date", "jour": "date", "day": "date",
    "campagne": "campaign_id", "id de campagne": "campaign_id", "campaign id": "campaign_id",
    "campaign": "campaign_id",
    "ligne": "line_id", "line": "line_id", "line id": "line_id", "id de ligne": "line_id",
    "canal": "channel", "channel": "channel",
    "tranche d'age": "age_band", "age": "age_band", "age band": "age_band",
    "genre": "gender", "sexe": "gender", "gender": "gender",
    "region": "region", "langue": "language", "language": "language",
    "appareil": "device", "device": "device",
    "impressions": "impressions",
    "clics": "clicks", "clicks": "clicks", "clics sur un lien": "clicks", "link clicks": "clicks",
    "lectures video": "video_starts", "video starts": "video_starts", "video plays": "video_starts",
    "lectures video completes": "video_completions", "video completions": "video_completions",
    "visionnements complets": "video_completions",
    "sessions": "landing_sessions", "landing sessions": "landing_sessions",
    "sessions sur la page d'atterrissage": "landing_sessions",
    "conversions": "conversions",
    "montant depense": "spend", "montant depense (cad)": "spend", "depenses": "spend", "cout": "spend",
    "amount spent": "spend", "amount spent (cad)": "spend", "spend": "spend", "cost": "spend",
}


class IngestError(ValueError):
    """A whole file cannot be read (unknown encoding, missing columns...)."""


@dataclass
class IngestResult:
    """Rows loaded (canonical, validated) and rows quarantined (original text + ``reason``)."""

    table: str
    source: str
    rows_in: int
    loaded: pd.DataFrame
    quarantine: pd.DataFrame

    def summary(self, lang: str = "fr") -> str:
        """One sentence: rows read, loaded and quarantined."""
        if schema.check_lang(lang) == "fr":
            return (f"{self.source} : {self.rows_in} lignes lues, {len(self.loaded)} chargées, "
                    f"{len(self.quarantine)} mises en quarantaine.")
        return (f"{self.source}: {self.rows_in} rows read, {len(self.loaded)} loaded, "
                f"{len(self.quarantine)} quarantined.")


def normalise_header(name: str) -> str:
    """Lower-case, strip accents and collapse spaces: ``"Montant dépensé (CAD)"`` -> ``"montant depense (cad)"``."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"\s+", " ", text.replace("\u2019", "'")).strip().lower()


_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def parse_number(text, decimal: str | None = None) -> float | None:
    """Parse a number written the French or English way; return None if it is not a number.

    ``"1 234,56"``, ``"1\u202f234,56 $"``, ``"1,234.56"``, ``"12,5 %"`` (-> 0.125) and
    ``"(12,00)"`` (-> -12.0) are understood; an empty cell is None. ``decimal`` (``","``
    or ``"."``) settles ``"1,234"``; when None, a lone comma is a decimal mark (French first).
    """
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return None
    if isinstance(text, int | float):
        return float(text)
    s = str(text).strip()
    if not s:
        return None
    percent = s.endswith("%")
    neg = s.startswith("(") and s.endswith(")")
    s = re.sub(r"[\s\u00a0\u202f$%()]|CAD|CA", "", s)
    if decimal == ".":
        s = s.replace(",", "")
    elif decimal == ",":
        s = s.replace(".", "").replace(",", ".") if "," in s else s
    elif "," in s and "." in s:  # 1,234.56 or 1.234,56: the last mark is the decimal one
        s = s.replace(",", "") if s.rfind(".") > s.rfind(",") else s.replace(".", "").replace(",", ".")
    elif s.count(",") > 1:  # 1,234,567: thousands separators
        s = s.replace(",", "")
    else:
        s = s.replace(",", ".")
    if not _NUMBER.match(s):
        return None
    value = float(s) * (-1 if neg else 1)
    return value / 100 if percent else value


def detect_decimal(values) -> str | None:
    """Return ``","`` or ``"."`` if a column's texts show which decimal mark they use, else None."""
    texts = [str(v) for v in values if str(v).strip()]
    if any(re.search(r",\d{1,2}(\D*)$", t) or re.search(r"\d[\s\u00a0\u202f]\d{3}", t) for t in texts):
        return ","
    if any(re.search(r"\.\d+(\D*)$", t) for t in texts) or any(re.search(r"\d,\d{3}\.", t) for t in texts):
        return "."
    return None


def _decode(raw: bytes, source: str) -> str:
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise IngestError(f"{source}: cannot decode the file as UTF-8 or Windows-1252; re-export it as UTF-8 CSV.")


def _read_text_table(text: str, source: str) -> tuple[pd.DataFrame, list[int], list[tuple[int, str, str]]]:
    """Split a CSV text into (table of text cells, source line of each row, ragged rows).

    Ragged rows (a number of fields other than the header's) are returned as
    ``(line, raw text, reason)`` so that they are quarantined, not lost.
    """
    try:
        sep = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        first = text.split("\n", 1)[0]
        sep = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    try:
        header = next(reader)
    except StopIteration:
        raise IngestError(f"{source}: the file is empty; export it again with a header row.") from None
    rows, lines, ragged = [], [], []
    raw_lines = text.splitlines()
    for rec in reader:
        line = reader.line_num
        if not rec or all(not c.strip() for c in rec):
            continue  # blank line: not a row
        if len(rec) != len(header):
            raw = raw_lines[line - 1] if line - 1 < len(raw_lines) else sep.join(rec)
            ragged.append((line, raw, f"{len(rec)} fields where the header has {len(header)}"))
            continue
        rows.append(rec)
        lines.append(line)
    return pd.DataFrame(rows, columns=header, dtype=str), lines, ragged


NUMERIC_COLUMNS = {"impressions", "clicks", "video_starts", "video_completions", "landing_sessions",
                   "conversions", "spend", "budget", "planned_spend", "planned_impressions", "nulls", "value",
                   "test_size", "test_outcomes", "control_size", "control_outcomes"}


def read_export(path: str | Path, table: str, *, mapping: dict[str, str] | None = None,
                defaults: dict[str, object] | None = None, decimal: str | dict | None = None) -> IngestResult:
    """Read a CSV export as canonical table ``table``; quarantine the rows that break its rules.

    ``mapping`` maps the file's headers to canonical columns (on top of the built-in
    French/English synonyms); ``defaults`` fills canonical columns the file lacks (e.g.
    ``{"campaign_id": "2627-MSSS-004"}``). ``decimal`` (``","`` or ``"."``, or a dict by
    canonical column) fixes the decimal mark where the file is ambiguous (``1,234`` alone is
    read French first, as 1.234); by default it is detected per column. Raises
    :class:`IngestError` when the file as a
    whole is unusable (encoding, missing columns); otherwise each bad row goes to
    ``quarantine`` with its original values and a ``reason`` naming column and rule.
    """
    if table not in schema.SCHEMAS:
        raise IngestError(f"Unknown table {table!r}; the canonical tables are: {', '.join(schema.TABLES)}.")
    path = Path(path)
    ragged: list[tuple[int, str, str]] = []
    if path.suffix.lower() in (".xlsx", ".xls"):
        try:
            raw_df = pd.read_excel(path, dtype=str).fillna("")
        except ImportError as err:
            raise IngestError(f"{path.name}: reading Excel needs openpyxl (pip install openpyxl), "
                              "or save the sheet as CSV.") from err
        lines = [i + 2 for i in range(len(raw_df))]
    else:
        raw_df, lines, ragged = _read_text_table(_decode(path.read_bytes(), path.name), path.name)
    rows_in = len(raw_df) + len(ragged)
    synonyms = {**HEADER_SYNONYMS, **{normalise_header(k): v for k, v in (mapping or {}).items()}}
    rename = {c: synonyms.get(normalise_header(c), normalise_header(c).replace(" ", "_")) for c in raw_df.columns}
    df = raw_df.rename(columns=rename)
    for col, value in (defaults or {}).items():
        if col not in df.columns:
            df[col] = value
    wanted = list(schema.SCHEMAS[table].columns)
    missing = [c for c in wanted if c not in df.columns]
    if missing:
        raise IngestError(f"{path.name}: columns {missing} are missing for table {table!r} (found: "
                          f"{list(raw_df.columns)}). Rename them in the export, or pass mapping= / defaults=.")
    df = df[wanted].copy()
    reasons: dict[int, list[str]] = {}
    for col in wanted:
        if col in NUMERIC_COLUMNS:
            given = decimal.get(col) if isinstance(decimal, dict) else decimal
            if given not in (None, ",", "."):
                raise IngestError(f"decimal must be ',' or '.', not {given!r}.")
            mark = given or detect_decimal(df[col])
            parsed = df[col].map(lambda v, m=mark: parse_number(v, m))
            for i in df.index[parsed.isna()]:
                reasons.setdefault(i, []).append(f"{col}: {df.at[i, col]!r} is not a number")
            if str(schema.SCHEMAS[table].columns[col].dtype) == "Int64":
                for i in df.index[parsed.notna() & (parsed % 1 != 0)]:
                    reasons.setdefault(i, []).append(f"{col}: {df.at[i, col]!r} is not a whole number")
            df[col] = parsed.astype("float64")
    good = df.drop(index=list(reasons))
    good = _coerce_counts(good, table)
    try:
        loaded = schema.SCHEMAS[table].validate(good, lazy=True)
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases
        for _, case in fc.iterrows():
            idx = case["index"]
            if pd.isna(idx):
                continue
            if case["schema_context"] == "DataFrameSchema":  # a rule across columns
                reasons.setdefault(int(idx), []).append(f"row rule: {case['check']}")
            else:
                reasons.setdefault(int(idx), []).append(f"{case['column']}: rule {case['check']} "
                                                        f"(value {case['failure_case']!r})")
        good = good.drop(index=[i for i in reasons if i in good.index])
        try:
            loaded = schema.SCHEMAS[table].validate(good, lazy=True)
        except pa.errors.SchemaErrors as err2:  # a problem no single row explains
            raise IngestError(f"{path.name}: {schema.ValidationError(table, err2.failure_cases)}") from None
    quarantine = raw_df.loc[sorted(reasons)].copy()
    quarantine.insert(0, "source_row", [lines[i] for i in quarantine.index])  # line in the file (header = 1)
    quarantine["reason"] = ["; ".join(dict.fromkeys(reasons[i])) for i in quarantine.index]
    if ragged:
        extra = pd.DataFrame({"source_row": [r[0] for r in ragged], "raw_line": [r[1] for r in ragged],
                              "reason": [r[2] for r in ragged]})
        quarantine = pd.concat([quarantine, extra], ignore_index=True).sort_values("source_row", kind="stable")
    result = IngestResult(table, path.name, rows_in, loaded.reset_index(drop=True),
                          quarantine.reset_index(drop=True))
    if result.rows_in != len(result.loaded) + len(result.quarantine):  # never silently lose a row
        raise RuntimeError(f"{path.name}: {result.rows_in} rows read but {len(result.loaded)} loaded and "
                           f"{len(result.quarantine)} quarantined; please report this bug.")
    return result


def _coerce_counts(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Give count columns the nullable integer dtype (fractional counts were quarantined before)."""
    for col, spec in schema.SCHEMAS[table].columns.items():
        if str(spec.dtype) == "Int64" and col in df.columns:
            df[col] = df[col].astype("Int64")
    return df


def write_quarantine(result: IngestResult, folder: str | Path) -> Path | None:
    """Write the quarantined rows (with ``reason``) as CSV in ``folder``; return the path or None."""
    if result.quarantine.empty:
        return None
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{Path(result.source).stem}.{result.table}.quarantine.csv"
    result.quarantine.to_csv(out, index=False)
    return out


# ---------------------------------------------------------------------------
# An agency's media plan (channel, spend), from CSV or Excel
# ---------------------------------------------------------------------------

_PLAN_COLUMNS = {"channel": ("channel", "canal", "média", "media"),
                 "spend": ("spend", "montant", "budget", "amount", "dépense", "depense")}


def read_plan(path) -> pd.DataFrame:
    """Read an agency's plan from CSV (``,`` or ``;`` separated) or Excel (openpyxl).

    Required columns: ``channel`` (code or French/English label) and ``spend`` (CAD; French
    formats such as ``12 500,00 $`` accepted); other columns (outlet flags...) are kept.
    Returns a DataFrame with ``channel`` as vocabulary codes and ``spend`` as float; a bad
    channel or amount raises an error naming the rows.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"Plan file not found: {p}.")
    if p.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        try:
            import openpyxl  # noqa: F401
        except ImportError:
            raise ImportError(f"Reading {p.name} needs openpyxl, which is not installed: "
                              "`pip install openpyxl`, or save the plan as CSV.") from None
        df = pd.read_excel(p)
    else:
        df = pd.read_csv(p, sep=None, engine="python", encoding="utf-8-sig")
    ren = {}
    for col in df.columns:
        for canon, aliases in _PLAN_COLUMNS.items():
            if str(col).strip().lower() in aliases and canon not in ren.values():
                ren[col] = canon
    df = df.rename(columns=ren)
    missing = [c for c in ("channel", "spend") if c not in df.columns]
    if missing:
        raise KeyError(f"{p.name}: missing columns {missing} (found {list(df.columns)}); a plan needs "
                       "'channel' and 'spend'.")
    lookup = {c: c for c in schema.CHANNELS}
    for c, ch in schema.CHANNELS.items():
        lookup[ch.fr.lower()] = c
        lookup[ch.en.lower()] = c
    codes = df["channel"].astype(str).str.strip().map(lambda v: lookup.get(v, lookup.get(v.lower())))
    bad = df.loc[codes.isna(), "channel"].tolist()
    if bad:
        hint = schema.close_matches(str(bad[0]), list(schema.CHANNELS))
        raise ValueError(f"{p.name}: unknown channels {bad[:5]}; use codes ({', '.join(schema.CHANNELS)}) or their "
                         "labels." + (f" Close matches for {bad[0]!r}: {', '.join(hint)}." if hint else ""))
    df["channel"] = codes
    mark = detect_decimal(df["spend"].astype(str))
    amounts = df["spend"].map(lambda v: parse_number(v, mark))
    not_amounts = df.loc[amounts.isna(), "spend"].tolist()
    if not_amounts:
        raise ValueError(f"{p.name}: spend values {not_amounts[:5]} are not amounts; write them as 12500 or "
                         "12 500,00 $.")
    df["spend"] = amounts.astype(float)
    if (df["spend"] < 0).any():
        raise ValueError(f"{p.name}: negative spend in rows {df.index[df['spend'] < 0].tolist()[:5]}.")
    return df
