"""The embedded store: one DuckDB file holding the canonical tables.

``Warehouse.open()`` opens the default file ``data/warehouse.duckdb`` (building it from
``data/synthetic/`` on first use); ``Warehouse.open(path)`` opens a given file and
refuses, with the command that builds it, a file that is missing or corrupt.
Loads are idempotent upserts on each table's natural key, inside one transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from . import schema

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PATH = PROJECT_ROOT / "data" / "warehouse.duckdb"
SYNTHETIC_DIR = PROJECT_ROOT / "data" / "synthetic"
EXTRA_TABLES = ("media_mix",)  # shipped with the synthetic data; no natural key (replaced whole)


class WarehouseError(RuntimeError):
    """The warehouse file is missing, corrupt or was built by an incompatible version."""


@dataclass
class CampaignBundle:
    """One campaign's tables. ``info`` is the campaign's row as a dict."""

    campaign_id: str
    info: dict
    plan_lines: pd.DataFrame
    delivery: pd.DataFrame
    journeys: pd.DataFrame
    lift_tests: pd.DataFrame
    agency_plans: pd.DataFrame
    extra: dict = field(default_factory=dict)

    @property
    def objective(self) -> str:
        """The campaign's objective code (awareness, consideration or action)."""
        return self.info["objective"]


def _rebuild_hint(path: Path) -> str:
    if Path(path).resolve() == DEFAULT_PATH.resolve():
        return "Rebuild it with `campaign-toolkit warehouse build`."
    return f"Rebuild it with `campaign-toolkit warehouse build --warehouse {path}`."


class Warehouse:
    """A DuckDB-backed store of the canonical tables (see DESIGN.md, data model)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool):
        self.con = con
        self.path = path
        self.read_only = read_only

    # -- opening -------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path | None = None, *, read_only: bool = True) -> Warehouse:
        """Open the warehouse at ``path`` (default: ``data/warehouse.duckdb``).

        The default file is built from ``data/synthetic/`` if it does not exist yet. A
        given path that is missing or not a DuckDB file raises :class:`WarehouseError`
        naming the file and the command that rebuilds it.
        """
        p = Path(path) if path is not None else DEFAULT_PATH
        is_default = p.resolve() == DEFAULT_PATH.resolve()
        if not p.exists():
            if is_default:
                build(p)
            else:
                raise WarehouseError(f"Warehouse file {p} does not exist. {_rebuild_hint(p)}")
        elif is_default and _is_stale(p):
            build(p)  # data/synthetic changed since the default warehouse was built
        try:
            con = duckdb.connect(str(p), read_only=read_only)
        except duckdb.Error as err:
            raise WarehouseError(
                f"Warehouse file {p} cannot be opened as a DuckDB database ({type(err).__name__}: "
                f"{str(err).splitlines()[0][:200]}). It may be corrupt or built by another version. "
                f"{_rebuild_hint(p)}") from None
        wh = cls(con, p, read_only)
        missing = [t for t in schema.TABLES if t not in wh.tables()]
        if missing:
            con.close()
            raise WarehouseError(f"Warehouse file {p} lacks the tables {missing}. {_rebuild_hint(p)}")
        return wh

    @classmethod
    def create(cls, path: str | Path) -> Warehouse:
        """Create (or open for writing) a warehouse file with every canonical table."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(p))
        wh = cls(con, p, read_only=False)
        wh._ensure_tables()
        return wh

    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- schema --------------------------------------------------------------
    def tables(self) -> list[str]:
        """Return the names of the tables in the file."""
        return [r[0] for r in self.con.execute("SELECT table_name FROM information_schema.tables").fetchall()]

    def _ensure_tables(self) -> None:
        self.con.execute("CREATE TABLE IF NOT EXISTS _meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        for name in schema.TABLES:
            if name in self.tables():
                continue
            empty = _typed_empty(name)  # noqa: F841 (referenced by DuckDB by name)
            self.con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM empty')

    # -- loading -------------------------------------------------------------
    def upsert(self, table: str, df: pd.DataFrame) -> int:
        """Validate ``df`` and upsert it into ``table`` on its natural key; return rows written.

        Rows whose natural key already exists are replaced, so loading the same data
        twice leaves the warehouse unchanged. Runs in one transaction.
        """
        self._check_writable()
        df = schema.validate(table, df)[list(schema.SCHEMAS[table].columns)]
        self.con.execute("BEGIN TRANSACTION")
        try:
            self._upsert_nocommit(table, df)
            self.con.execute("COMMIT")
        except Exception:
            self.con.execute("ROLLBACK")
            raise
        return len(df)

    def _upsert_nocommit(self, table: str, df: pd.DataFrame) -> None:
        keys = schema.NATURAL_KEYS[table]
        self.con.register("_incoming", df)
        try:
            cond = " AND ".join(f't."{k}" = i."{k}"' for k in keys)
            self.con.execute(f'DELETE FROM "{table}" t WHERE EXISTS (SELECT 1 FROM _incoming i WHERE {cond})')
            cols = ", ".join(f'"{c}"' for c in df.columns)
            self.con.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM _incoming')
        finally:
            self.con.unregister("_incoming")

    def load_dataset(self, data: dict[str, pd.DataFrame], meta: dict | None = None) -> dict[str, int]:
        """Upsert every canonical table of ``data`` in one transaction; return rows per table.

        Extra tables (``media_mix``) are replaced whole. ``meta`` is stored in ``_meta``.
        """
        self._check_writable()
        validated = {t: schema.validate(t, df)[list(schema.SCHEMAS[t].columns)]
                     for t, df in data.items() if t in schema.SCHEMAS}
        self.con.execute("BEGIN TRANSACTION")
        try:
            for t, df in validated.items():
                self._upsert_nocommit(t, df)
            for t in EXTRA_TABLES:
                if t in data:
                    frame = data[t]  # noqa: F841 (referenced by DuckDB by name)
                    self.con.execute(f'CREATE OR REPLACE TABLE "{t}" AS SELECT * FROM frame')
            for k, v in (meta or {}).items():
                self.con.execute("INSERT OR REPLACE INTO _meta VALUES (?, ?)", [k, json.dumps(v, default=str)])
            self.con.execute("COMMIT")
        except Exception:
            self.con.execute("ROLLBACK")
            raise
        return {t: len(df) for t, df in validated.items()}

    def _check_writable(self) -> None:
        if self.read_only:
            raise WarehouseError(f"Warehouse {self.path} is open read-only; use Warehouse.create(path) to load.")

    # -- reading -------------------------------------------------------------
    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """Run SQL (with ``?`` parameters) and return a DataFrame."""
        return self.con.execute(sql, params or []).df()

    def table(self, name: str) -> pd.DataFrame:
        """Return a whole table as a DataFrame with canonical dtypes."""
        if name not in self.tables():
            raise KeyError(f"No table {name!r} in {self.path}; tables: {sorted(self.tables())}.")
        return _fix_dtypes(name, self.query(f'SELECT * FROM "{name}"'))

    def meta(self) -> dict:
        """Return what the warehouse was built from (source, seed, fingerprint, build time)."""
        if "_meta" not in self.tables():
            return {}
        rows = self.con.execute("SELECT key, value FROM _meta ORDER BY key").fetchall()
        return {k: json.loads(v) for k, v in rows}

    def campaigns(self) -> pd.DataFrame:
        """Return the campaigns table, ordered by start date then id."""
        return _fix_dtypes("campaigns", self.query(
            "SELECT * FROM campaigns ORDER BY start_date, campaign_id"))

    def campaign_ids(self) -> list[str]:
        """Return every campaign id, sorted."""
        return [r[0] for r in self.con.execute("SELECT campaign_id FROM campaigns ORDER BY 1").fetchall()]

    def campaign(self, campaign_id: str) -> CampaignBundle:
        """Return a campaign's tables; unknown ids raise an error listing close matches."""
        schema.validate_campaign_id(campaign_id)
        info = self.query("SELECT * FROM campaigns WHERE campaign_id = ?", [campaign_id])
        if info.empty:
            raise schema.unknown_campaign_error(campaign_id, self.campaign_ids())
        info = _fix_dtypes("campaigns", info)

        def part(t: str, order: str) -> pd.DataFrame:
            return _fix_dtypes(t, self.query(f'SELECT * FROM "{t}" WHERE campaign_id = ? ORDER BY {order}',
                                             [campaign_id]))

        return CampaignBundle(
            campaign_id=campaign_id,
            info=info.iloc[0].to_dict(),
            plan_lines=part("plan_lines", "line_id"),
            delivery=part("delivery", "date, line_id, age_band, gender, region, language, device"),
            journeys=part("journeys", "path"),
            lift_tests=part("lift_tests", "test_id, segment"),
            agency_plans=part("agency_plans", "plan_id, channel"),
        )

    def history(self, objective: str | None = None) -> dict[str, pd.DataFrame]:
        """Return campaigns, plan_lines and delivery of every campaign (of one objective)."""
        where, params = ("WHERE c.objective = ?", [objective]) if objective else ("", [])
        camps = _fix_dtypes("campaigns", self.query(f"SELECT * FROM campaigns c {where} ORDER BY campaign_id",
                                                     params))
        out = {"campaigns": camps}
        for t in ("plan_lines", "delivery"):
            out[t] = _fix_dtypes(t, self.query(
                f'SELECT x.* FROM "{t}" x JOIN campaigns c USING (campaign_id) {where}', params))
        return out


def _typed_empty(name: str) -> pd.DataFrame:
    """An empty frame with the canonical dtypes of table ``name`` (to create the DuckDB table)."""
    cols = {}
    for col, spec in schema.SCHEMAS[name].columns.items():
        dtype = str(spec.dtype)
        cols[col] = pd.Series(dtype={"str": "string", "bool": "bool"}.get(dtype, dtype))
    return pd.DataFrame(cols)


def _fix_dtypes(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Give a frame read from DuckDB the canonical dtypes (timestamps in ns, nullable ints)."""
    if name not in schema.SCHEMAS:
        return df
    for col, spec in schema.SCHEMAS[name].columns.items():
        if col not in df.columns:
            continue
        dtype = str(spec.dtype)
        if dtype.startswith("datetime64"):
            df[col] = df[col].astype("datetime64[ns]")
        elif dtype == "Int64":
            df[col] = df[col].astype("Int64")
    return df


def _is_stale(path: Path) -> bool:
    """True if the default warehouse was built from another version of data/synthetic."""
    if not (SYNTHETIC_DIR / "campaigns.parquet").exists():
        return False
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            row = con.execute("SELECT value FROM _meta WHERE key = 'source_fingerprint'").fetchone()
        finally:
            con.close()
    except duckdb.Error:
        return False  # let open() report the corrupt file with its rebuild command
    return row is None or json.loads(row[0]) != fingerprint(SYNTHETIC_DIR)


def fingerprint(folder: Path) -> str:
    """Return a short sha256 over the contents of the files of ``folder`` (sorted by name)."""
    h = hashlib.sha256()
    for p in sorted(Path(folder).glob("*")):
        if p.is_file():
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def build(path: str | Path = DEFAULT_PATH, source: str | Path = SYNTHETIC_DIR) -> Path:
    """Build (or refresh) the warehouse at ``path`` from a synthetic-data folder; return the path.

    Writes into a temporary file first and moves it in place, so an interrupted build
    never leaves a half-written warehouse.
    """
    from . import synthetic

    path, source = Path(path), Path(source)
    data, truth = synthetic.read(source)
    tmp = path.with_name(path.name + ".building")
    for leftover in (tmp, Path(str(tmp) + ".wal")):
        leftover.unlink(missing_ok=True)
    wh = Warehouse.create(tmp)
    try:
        wh.load_dataset(data, meta={
            "source": str(source.resolve().relative_to(PROJECT_ROOT)) if source.resolve().is_relative_to(PROJECT_ROOT)
            else str(source),
            "source_fingerprint": fingerprint(source),
            "seed": truth.get("seed"),
            "as_of": truth.get("as_of"),
            "built_at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
        })
        wh.con.execute("CHECKPOINT")
    finally:
        wh.close()
    tmp.replace(path)
    return path


def _delivery_by_campaign_channel_sql() -> str:
    return """
        SELECT d.campaign_id, d.channel, sum(impressions) AS impressions, sum(clicks) AS clicks,
               sum(video_starts) AS video_starts, sum(video_completions) AS video_completions,
               sum(landing_sessions) AS landing_sessions, sum(conversions) AS conversions, sum(spend) AS spend
        FROM delivery d GROUP BY ALL ORDER BY d.campaign_id, d.channel"""


def delivery_by_campaign_channel(wh: Warehouse) -> pd.DataFrame:
    """Return delivery summed by campaign and channel, aggregated in DuckDB (out of core)."""
    out = wh.query(_delivery_by_campaign_channel_sql())
    for col in ("impressions", "clicks", "video_starts", "video_completions", "landing_sessions", "conversions"):
        out[col] = out[col].astype("Int64")
    return out
