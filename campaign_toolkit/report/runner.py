"""Run the parameterized notebooks with papermill and export them to HTML.

Parameters are validated against a declared spec *before* execution (unknown names
and bad types refused; campaign ids checked before they touch a path). Batch runs use a
local process pool, show a progress bar, and never let one failing campaign stop the
others: each failure is recorded with its reason and shown in ``reports/index.html``.
"""

from __future__ import annotations

import json
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from .. import __version__, schema
from ..warehouse import PROJECT_ROOT

NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
REPORTS_DIR = PROJECT_ROOT / "reports"
KERNEL_NAME = "campaign-toolkit"


def _ipc_kernel_manager_class():
    """A KernelManager talking to the kernel over local IPC sockets instead of TCP.

    Local runs need no network port, and the kernel then does not print its warning about
    unencrypted TCP into every scheduled run's log.
    """
    from jupyter_client.manager import KernelManager

    class _IPCKernelManager(KernelManager):
        def __init__(self, **kwargs):
            import tempfile
            import uuid

            kwargs.setdefault("transport", "ipc")
            # a unique socket prefix per kernel, so parallel runs never share sockets
            kwargs.setdefault("ip", str(Path(tempfile.gettempdir()) / f"ct-kernel-{uuid.uuid4().hex}"))
            super().__init__(**kwargs)

    return _IPCKernelManager


class ParameterError(ValueError):
    """Notebook parameters that are unknown or of the wrong type."""


@dataclass(frozen=True)
class Param:
    """One declared notebook parameter: its Python type(s) and what it means."""

    name: str
    type: type | tuple
    help: str

    def accepts(self, value) -> bool:
        """True if ``value`` has the declared type (bools are not numbers here)."""
        types = self.type if isinstance(self.type, tuple) else (self.type,)
        return isinstance(value, types) and not (isinstance(value, bool) and bool not in types)

    @property
    def type_name(self) -> str:
        types = self.type if isinstance(self.type, tuple) else (self.type,)
        return " or ".join(t.__name__ for t in types)


PARAMETERS: dict[str, dict[str, Param]] = {
    "campaign_report": {
        "campaign_id": Param("campaign_id", str, "campaign id, e.g. 2526-MSSS-012"),
        "warehouse": Param("warehouse", str, "path to the DuckDB warehouse; '' = data/warehouse.duckdb"),
        "lang": Param("lang", str, "'fr' (default) or 'en'"),
        "as_of": Param("as_of", str, "ISO date bounding the delivery shown; '' = the data's as-of date"),
    },
    "media_plan": {
        "objective": Param("objective", str, "awareness, consideration or action"),
        "budget": Param("budget", (float, int), "budget in CAD over the flight"),
        "exclude": Param("exclude", list, "channels or outlets to avoid"),
        "min_share": Param("min_share", dict, "{key: minimum share 0-1}"),
        "max_share": Param("max_share", dict, "{key: maximum share 0-1}"),
        "compare_path": Param("compare_path", str, "agency plan file (CSV or Excel); '' = none"),
        "lang": Param("lang", str, "'fr' (default) or 'en'"),
        "seed": Param("seed", int, "bootstrap seed"),
        "warehouse": Param("warehouse", str, "path to the DuckDB warehouse; '' = data/warehouse.duckdb"),
    },
    "portfolio_overview": {
        "warehouse": Param("warehouse", str, "path to the DuckDB warehouse; '' = data/warehouse.duckdb"),
        "lang": Param("lang", str, "'fr' (default) or 'en'"),
    },
}


def notebook_path(name: str) -> Path:
    """Return the path of notebook ``name`` in notebooks/."""
    return NOTEBOOK_DIR / f"{name}.ipynb"


def validate_parameters(notebook: str, params: dict) -> dict:
    """Return ``params`` if valid for ``notebook``; raise ParameterError listing every problem."""
    spec = PARAMETERS.get(notebook)
    if spec is None:
        raise ParameterError(f"Unknown notebook {notebook!r}; known: {sorted(PARAMETERS)}.")
    problems = []
    for k, v in params.items():
        if k not in spec:
            problems.append(f"unknown parameter {k!r} (valid: {', '.join(spec)})")
        elif not spec[k].accepts(v):
            problems.append(f"parameter {k!r} must be {spec[k].type_name}, not {type(v).__name__} ({v!r})")
    if not problems:
        if "campaign_id" in params:
            try:
                schema.validate_campaign_id(params["campaign_id"])
            except schema.InvalidCampaignId as err:
                problems.append(str(err))
        if "lang" in params and params["lang"] not in ("fr", "en"):
            problems.append(f"parameter 'lang' must be 'fr' or 'en', not {params['lang']!r}")
        if params.get("as_of"):
            try:
                pd.Timestamp(params["as_of"])
            except (ValueError, TypeError):
                problems.append(f"parameter 'as_of' must be an ISO date such as 2026-11-30, not {params['as_of']!r}")
        problems += _plan_problems(params) if notebook == "media_plan" else []
    if problems:
        raise ParameterError(f"Invalid parameters for {notebook}.ipynb: " + "; ".join(problems) + ".")
    return params


def _plan_problems(params: dict) -> list[str]:
    """Value checks of the media_plan parameters (types are already checked)."""
    problems = []
    if "objective" in params and params["objective"] not in schema.OBJECTIVES:
        problems.append(f"objective must be one of {', '.join(schema.OBJECTIVES)}, not {params['objective']!r}")
    if "budget" in params and not params["budget"] > 0:
        problems.append(f"budget must be a positive amount in CAD, not {params['budget']!r}")
    if any(not isinstance(x, str) for x in params.get("exclude", [])):
        problems.append("exclude must be a list of channel or outlet names")
    for key in ("min_share", "max_share"):
        for name, share in params.get(key, {}).items():
            if not isinstance(name, str) or isinstance(share, bool) or not isinstance(share, int | float) \
                    or not 0 <= share <= 1:
                problems.append(f"{key} maps names to shares between 0 and 1; {name!r}: {share!r} is not one")
    if params.get("compare_path") and not Path(params["compare_path"]).is_file():
        problems.append(f"compare_path {params['compare_path']!r} is not a file")
    return problems


def check_kernel(kernel_name: str = KERNEL_NAME) -> None:
    """Raise a clear error if the Jupyter kernel the runner uses is not installed."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        raise RuntimeError(
            f"Jupyter kernel {kernel_name!r} is not installed. Register it with "
            f"`python -m ipykernel install --sys-prefix --name {kernel_name}` (see README).") from None


@dataclass
class ReportOutcome:
    """What one report run produced (or why it failed)."""

    campaign_id: str
    lang: str
    ok: bool
    html: str = ""
    notebook: str = ""
    seconds: float = 0.0
    error: str = ""
    parameters: dict = field(default_factory=dict)


def report_paths(campaign_id: str, lang: str, out_dir: Path) -> tuple[Path, Path, Path]:
    """Return (html, executed notebook, manifest) paths for a campaign's report."""
    schema.validate_campaign_id(campaign_id)
    folder = Path(out_dir) / campaign_id
    stem = f"{campaign_id}_{lang}"
    return folder / f"{stem}.html", folder / f"{stem}.ipynb", folder / f"{stem}.json"


def _execute(notebook: str, params: dict, html_path: Path, title: str, lang: str, meta: dict,
             kernel_name: str) -> None:
    """Run ``notebook`` with papermill beside ``html_path`` and export its HTML and manifest."""
    import papermill as pm

    from .html import notebook_to_html

    nb_path, manifest_path = html_path.with_suffix(".ipynb"), html_path.with_suffix(".json")
    html_path.parent.mkdir(parents=True, exist_ok=True)
    pm.execute_notebook(str(notebook_path(notebook)), str(nb_path), parameters=params,
                        kernel_name=kernel_name, progress_bar=False, cwd=str(NOTEBOOK_DIR),
                        kernel_manager_class=_ipc_kernel_manager_class())
    html_path.write_text(notebook_to_html(nb_path, title, lang), encoding="utf-8")
    manifest = {"parameters": params, "toolkit_version": __version__, "data": meta,
                "notebook": f"notebooks/{notebook}.ipynb", "kernel": kernel_name}
    manifest_path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False, default=str), encoding="utf-8")


def run_campaign_report(campaign_id: str, *, warehouse: str = "", lang: str = "fr", as_of: str = "",
                        out_dir: str | Path = REPORTS_DIR, kernel_name: str = KERNEL_NAME) -> ReportOutcome:
    """Execute notebooks/campaign_report.ipynb for one campaign and export its HTML.

    Writes ``<out_dir>/<campaign_id>/<campaign_id>_<lang>.html``, the executed notebook
    and a JSON manifest (parameters, versions, data fingerprint) beside it. Raises on a
    bad parameter; execution errors are returned in the outcome (and written to
    ``<campaign_id>_<lang>.error.txt``), not raised.
    """
    from ..warehouse import Warehouse

    params = validate_parameters("campaign_report", {"campaign_id": campaign_id, "warehouse": str(warehouse),
                                                     "lang": lang, "as_of": as_of})
    html_path, nb_path, _manifest = report_paths(campaign_id, lang, Path(out_dir))
    html_path.parent.mkdir(parents=True, exist_ok=True)
    error_path = html_path.with_suffix(".error.txt")
    start = time.perf_counter()
    try:
        with Warehouse.open(warehouse or None) as wh:
            name = wh.campaign(campaign_id).info["name"]  # unknown id: clear error before a kernel starts
            meta = wh.meta()
        _execute("campaign_report", params, html_path, name, lang, meta, kernel_name)
        error_path.unlink(missing_ok=True)
        return ReportOutcome(campaign_id, lang, True, str(html_path), str(nb_path),
                             time.perf_counter() - start, parameters=params)
    except Exception as err:  # noqa: BLE001 - one failing campaign must not stop a batch
        msg = _short_error(err)
        html_path.unlink(missing_ok=True)  # never leave a stale report that looks current
        error_path.write_text(msg + "\n", encoding="utf-8")
        return ReportOutcome(campaign_id, lang, False, "", str(nb_path) if nb_path.exists() else "",
                             time.perf_counter() - start, error=msg, parameters=params)


def run_plan_report(params: dict, *, out_dir: str | Path = REPORTS_DIR,
                    kernel_name: str = KERNEL_NAME) -> ReportOutcome:
    """Execute notebooks/media_plan.ipynb and export ``<out_dir>/plans/plan_<objective>_<lang>.html``.

    Raises on invalid parameters; execution errors are returned in the outcome.
    """
    from ..warehouse import Warehouse
    from .text import t

    full = {"exclude": [], "min_share": {}, "max_share": {}, "compare_path": "", "lang": "fr", "seed": 0,
            "warehouse": "", **params}
    full = validate_parameters("media_plan", full)
    if full["compare_path"]:
        full["compare_path"] = str(Path(full["compare_path"]).resolve())  # the kernel runs in notebooks/
    lang = full["lang"]
    html_path = Path(out_dir) / "plans" / f"plan_{full['objective']}_{lang}.html"
    start = time.perf_counter()
    try:
        with Warehouse.open(full["warehouse"] or None) as wh:
            meta = wh.meta()
        _execute("media_plan", full, html_path, t("media_plan", lang), lang, meta, kernel_name)
        return ReportOutcome("(plan)", lang, True, str(html_path), str(html_path.with_suffix(".ipynb")),
                             time.perf_counter() - start, parameters=full)
    except Exception as err:  # noqa: BLE001
        html_path.unlink(missing_ok=True)
        return ReportOutcome("(plan)", lang, False, error=_short_error(err), parameters=full,
                             seconds=time.perf_counter() - start)


PORTFOLIO_ID = "(portfolio)"  # not a valid campaign id, so it never collides with one


def run_portfolio_report(*, warehouse: str = "", lang: str = "fr", out_dir: str | Path = REPORTS_DIR,
                         kernel_name: str = KERNEL_NAME) -> ReportOutcome:
    """Execute notebooks/portfolio_overview.ipynb and export ``<out_dir>/portfolio_<lang>.html``."""
    from ..warehouse import Warehouse
    from .text import t

    params = validate_parameters("portfolio_overview", {"warehouse": str(warehouse), "lang": lang})
    html_path = Path(out_dir) / f"portfolio_{lang}.html"
    start = time.perf_counter()
    try:
        with Warehouse.open(warehouse or None) as wh:
            meta = wh.meta()
        _execute("portfolio_overview", params, html_path, t("portfolio", lang), lang, meta, kernel_name)
        return ReportOutcome(PORTFOLIO_ID, lang, True, str(html_path), str(html_path.with_suffix(".ipynb")),
                             time.perf_counter() - start, parameters=params)
    except Exception as err:  # noqa: BLE001
        html_path.unlink(missing_ok=True)
        return ReportOutcome(PORTFOLIO_ID, lang, False, error=_short_error(err), parameters=params,
                             seconds=time.perf_counter() - start)


def _short_error(err: BaseException) -> str:
    """One line saying what failed (papermill's errors carry the notebook's exception)."""
    name = getattr(err, "ename", type(err).__name__)
    value = getattr(err, "evalue", str(err))
    text = f"{name}: {value}".strip()
    return text.splitlines()[0][:300] if text else traceback.format_exception_only(err)[-1].strip()


def _run_one(kwargs: dict) -> dict:
    if kwargs.get("campaign_id") == PORTFOLIO_ID:
        kw = {k: v for k, v in kwargs.items() if k not in ("campaign_id", "as_of")}
        return asdict(run_portfolio_report(**kw))
    return asdict(run_campaign_report(**kwargs))


def run_many(campaign_ids: list[str], *, langs=("fr",), warehouse: str = "", as_of: str = "",
             out_dir: str | Path = REPORTS_DIR, workers: int = 2, kernel_name: str = KERNEL_NAME,
             progress: bool = True, portfolio: bool = False, scheduler: str = "") -> list[ReportOutcome]:
    """Run the campaign report for many campaigns (and languages) in a process pool.

    Invalid ids are refused up front (before any path is built); every other failure is
    caught per campaign. With ``portfolio=True`` the portfolio overview is built too.
    ``scheduler``: the address of an existing Dask distributed scheduler (for example
    ``tcp://10.0.0.5:8786``) to run the reports on its workers instead of a local pool;
    the workers must see the same project folder and warehouse. Writes
    ``<out_dir>/index.html`` and returns the outcomes in input order.
    """
    for cid in campaign_ids:
        schema.validate_campaign_id(cid)
    for lang in langs:
        schema.check_lang(lang)
    check_kernel(kernel_name)
    jobs = [dict(campaign_id=c, warehouse=str(warehouse), lang=lang, as_of=as_of, out_dir=str(out_dir),
                 kernel_name=kernel_name) for c in campaign_ids for lang in langs]
    if portfolio:
        jobs = [dict(campaign_id=PORTFOLIO_ID, warehouse=str(warehouse), lang=lang, as_of="", out_dir=str(out_dir),
                     kernel_name=kernel_name) for lang in langs] + jobs
    results: dict[tuple[str, str], ReportOutcome] = {}
    with _progress(progress) as bar:
        task = bar.add_task("Rapports", total=len(jobs)) if bar else None
        if scheduler:
            for res in _run_on_dask(jobs, scheduler):
                results[(res.campaign_id, res.lang)] = res
                bar and bar.advance(task)
        elif workers <= 1:
            for job in jobs:
                res = ReportOutcome(**_run_one(job))
                results[(res.campaign_id, res.lang)] = res
                bar and bar.advance(task)
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = {pool.submit(_run_one, job): job for job in jobs}
                for fut in as_completed(futures):
                    job = futures[fut]
                    try:
                        res = ReportOutcome(**fut.result())
                    except Exception as err:  # noqa: BLE001 - a crashed worker is one failure
                        res = ReportOutcome(job["campaign_id"], job["lang"], False, error=_short_error(err))
                    results[(res.campaign_id, res.lang)] = res
                    bar and bar.advance(task)
    ordered = [results[(j["campaign_id"], j["lang"])] for j in jobs]
    write_index(out_dir, warehouse, langs)
    return ordered


def _run_on_dask(jobs: list[dict], scheduler: str):
    """Yield outcomes of ``jobs`` run on a Dask distributed cluster, as they complete."""
    try:
        from dask.distributed import Client, as_completed as dask_completed
    except ImportError:
        raise RuntimeError("Running on a Dask cluster needs the 'distributed' package: "
                           "pip install -e '.[dask]' (or leave --scheduler out for the local pool).") from None
    with Client(scheduler, timeout="30s") as client:
        futures = {client.submit(_run_one, job, pure=False): job for job in jobs}
        for fut in dask_completed(futures):
            job = futures[fut]
            try:
                yield ReportOutcome(**fut.result())
            except Exception as err:  # noqa: BLE001 - a lost worker is one failure, not the batch
                yield ReportOutcome(job["campaign_id"], job["lang"], False, error=_short_error(err))


class _NoBar:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _progress(enabled: bool):
    if not enabled:
        return _NoBar()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())


def write_index(out_dir: str | Path, warehouse: str = "", langs=("fr",), lang: str = "fr") -> Path:
    """Write ``<out_dir>/index.html`` listing every campaign's reports found on disk.

    A campaign whose report is missing or whose last run failed is listed with the reason
    (read from its ``*.error.txt`` or marked as not built).
    """
    from ..warehouse import Warehouse
    from .html import index_page

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with Warehouse.open(warehouse or None) as wh:
        camps = wh.campaigns()
    rows = []
    for c in camps.itertuples(index=False):
        links, errors = [], []
        for lg in ("fr", "en"):
            html_path, _nb, _m = report_paths(c.campaign_id, lg, out_dir)
            err_path = html_path.with_suffix(".error.txt")
            if html_path.exists():
                links.append((lg.upper(), f"{c.campaign_id}/{html_path.name}"))
            elif err_path.exists():
                errors.append(err_path.read_text(encoding="utf-8").strip())
        if not links and not errors:
            continue
        rows.append({"campaign_id": c.campaign_id, "name": c.name, "advertiser": c.advertiser,
                     "objective_label": schema.label("objective", c.objective, lang),
                     "start_date": c.start_date, "links": links, "error": "; ".join(errors) if not links else ""})
    overview = [(lg.upper(), f"portfolio_{lg}.html") for lg in ("fr", "en") if (out_dir / f"portfolio_{lg}.html").exists()]
    path = out_dir / "index.html"
    path.write_text(index_page(rows, lang, overview), encoding="utf-8")
    return path
