"""Time to produce one campaign report, against the floor of the same pipeline.

The floor is the same papermill + HTML export path on a notebook that only imports the
libraries the report imports (pandas, seaborn, matplotlib, statsmodels via the package),
so the ratio says how much the report's own work adds to the fixed cost of starting a
kernel and exporting. Runs are interleaved and repeated; the median is reported.

    .venv/bin/python benchmarks/bench_report.py [--repeat 3] [--campaign 2627-MESS-008]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
import papermill as pm

from campaign_toolkit.report import runner
from campaign_toolkit.report.html import notebook_to_html
from campaign_toolkit.warehouse import Warehouse

FLOOR_SOURCE = (
    "import pandas, numpy, matplotlib, seaborn, duckdb, babel.numbers\n"
    "import campaign_toolkit\nfrom campaign_toolkit.report import campaign as rc\n"
    "from IPython.display import HTML, display\n"
)


def _floor_notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('campaign_id = ""')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell(FLOOR_SOURCE)]
    nb.metadata["kernelspec"] = {"name": runner.KERNEL_NAME, "display_name": "floor", "language": "python"}
    path = folder / "floor.ipynb"
    nbformat.write(nb, path)
    return path


def _run_floor(nb: Path, out: Path) -> float:
    start = time.perf_counter()
    executed = out / "floor_out.ipynb"
    pm.execute_notebook(str(nb), str(executed), parameters={"campaign_id": "x"}, kernel_name=runner.KERNEL_NAME,
                        progress_bar=False)
    (out / "floor.html").write_text(notebook_to_html(executed, "floor"), encoding="utf-8")
    return time.perf_counter() - start


def _run_report(campaign_id: str, out: Path) -> float:
    res = runner.run_campaign_report(campaign_id, out_dir=out)
    if not res.ok:
        raise SystemExit(f"report failed: {res.error}")
    return res.seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--campaign", default="2627-MESS-008")
    args = ap.parse_args()
    Warehouse.open().close()  # build the default warehouse outside the timings
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        floor_nb = _floor_notebook(out)
        floors, reports = [], []
        _run_floor(floor_nb, out)  # warm-up (file cache, font cache)
        for _ in range(args.repeat):
            floors.append(_run_floor(floor_nb, out))
            reports.append(_run_report(args.campaign, out))
    f, r = statistics.median(floors), statistics.median(reports)
    print(f"floor  (papermill + HTML, imports only): median {f:6.2f} s  runs {[round(x, 2) for x in floors]}")
    print(f"report ({args.campaign}):               median {r:6.2f} s  runs {[round(x, 2) for x in reports]}")
    print(f"ratio report / floor: {r / f:.2f}")


if __name__ == "__main__":
    main()
