"""The ``campaign-toolkit`` command.

    campaign-toolkit generate [--seed N] [--out data/synthetic]
    campaign-toolkit warehouse build [--warehouse PATH] [--source DIR]
    campaign-toolkit list
    campaign-toolkit report (--campaign ID [ID ...] | --all) [--lang fr en] [--workers 2]

Exit status: 0 when everything asked for was produced, 1 when some reports failed
(the others are still produced), 2 on invalid arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import schema


def _cmd_generate(args) -> int:
    from . import synthetic

    data, truth = synthetic.generate(seed=args.seed)
    folder = synthetic.write(data, truth, args.out)
    print(f"Synthetic portfolio (seed {args.seed}) written to {folder}: "
          + ", ".join(f"{k} {len(v):,} rows" for k, v in data.items()))
    return 0


def _cmd_warehouse(args) -> int:
    from .warehouse import DEFAULT_PATH, SYNTHETIC_DIR, build

    path = build(args.warehouse or DEFAULT_PATH, args.source or SYNTHETIC_DIR)
    print(f"Warehouse built: {path}")
    return 0


def _cmd_ingest(args) -> int:
    from . import ingest
    from .warehouse import DEFAULT_PATH, Warehouse

    defaults = {}
    if args.campaign:
        defaults["campaign_id"] = schema.validate_campaign_id(args.campaign)
    res = ingest.read_export(args.file, args.table, defaults=defaults, decimal=args.decimal or None)
    qpath = ingest.write_quarantine(res, args.quarantine_dir or Path(args.file).parent)
    if len(res.loaded):
        target = Path(args.warehouse) if args.warehouse else DEFAULT_PATH
        if not args.warehouse:
            Warehouse.open().close()  # build the default warehouse first if it does not exist yet
        with Warehouse.create(target) as wh:
            wh.upsert(args.table, res.loaded)
    print(res.summary(args.lang))
    if qpath:
        print(f"Quarantined rows, with the reason for each: {qpath}")
    return 0


def _shares(items: list[str], option: str) -> dict[str, float]:
    """Parse ``["community=0.04", "web_giant=0.5"]`` into a dict; refuse malformed items."""
    out = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        try:
            out[name.strip()] = float(value.replace(",", "."))
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise ValueError(f"{option} expects NAME=SHARE such as community=0.04, not {item!r}.")
    return out


def _cmd_plan(args) -> int:
    from . import planning
    from .report import runner
    from .warehouse import Warehouse

    params = {"objective": args.objective, "budget": float(args.budget),
              "exclude": [e for x in args.exclude or [] for e in x.split(",") if e],
              "min_share": _shares(args.min_share, "--min-share"), "max_share": _shares(args.max_share, "--max-share"),
              "compare_path": args.compare or "", "lang": args.lang, "seed": args.seed,
              "warehouse": args.warehouse or ""}
    runner.validate_parameters("media_plan", params)
    with Warehouse.open(args.warehouse or None) as wh:
        data = wh.planning_inputs()
    plan, comparison = planning.plan_from_cli(params["objective"], params["budget"], params["exclude"],
                                              params["min_share"], params["max_share"], params["compare_path"],
                                              params["seed"], params["lang"], data=data)
    print(planning.render_text(plan, comparison, args.lang))
    if args.no_report:
        return 0
    res = runner.run_plan_report(params, out_dir=args.out)
    if not res.ok:
        print(f"FAILED media plan report: {res.error}", file=sys.stderr)
        return 1
    print(f"\nReport: {res.html}")
    return 0


def _cmd_segments(args) -> int:
    from .report.portfolio import recommendation_table, recommendations

    recs = recommendations(warehouse=args.warehouse or "", objectives=(args.objective,), threshold=args.threshold)
    if args.objective not in recs:
        print(f"No delivery for objective {args.objective!r} in the warehouse.", file=sys.stderr)
        return 1
    rec = recs[args.objective]
    print(recommendation_table(rec, args.lang, top=args.top).to_string(index=False))
    print()
    print(rec.summary(args.lang))
    return 0


def _cmd_list(args) -> int:
    from .warehouse import Warehouse

    with Warehouse.open(args.warehouse or None) as wh:
        camps = wh.campaigns()
    for c in camps.itertuples(index=False):
        print(f"{c.campaign_id}\t{c.objective}\t{c.start_date.date()}\t{c.name}")
    return 0


def _cmd_report(args) -> int:
    from .report import runner
    from .warehouse import Warehouse

    if args.all:
        with Warehouse.open(args.warehouse or None) as wh:
            ids = wh.campaign_ids()
    elif args.portfolio and not args.campaign:
        ids = []
    else:
        ids = args.campaign
        for cid in ids:
            schema.validate_campaign_id(cid)
        with Warehouse.open(args.warehouse or None) as wh:
            known = set(wh.campaign_ids())
            for cid in ids:
                if cid not in known:
                    raise schema.unknown_campaign_error(cid, known)
    outcomes = runner.run_many(ids, langs=tuple(args.lang), warehouse=args.warehouse or "", as_of=args.as_of or "",
                               out_dir=args.out, workers=args.workers, progress=not args.no_progress,
                               portfolio=args.all or args.portfolio, scheduler=args.scheduler)
    failed = [o for o in outcomes if not o.ok]
    print(f"{len(outcomes) - len(failed)} report(s) written to {args.out}; index: {Path(args.out) / 'index.html'}")
    for o in failed:
        print(f"FAILED {o.campaign_id} ({o.lang}): {o.error}", file=sys.stderr)
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``campaign-toolkit`` command."""
    from .report.runner import REPORTS_DIR
    from .synthetic import DEFAULT_SEED
    from .warehouse import SYNTHETIC_DIR

    p = argparse.ArgumentParser(prog="campaign-toolkit",
                                description="Analysis and French-first reports for advertising campaigns.")
    sub = p.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", help="write the synthetic portfolio and its truth")
    g.add_argument("--seed", type=int, default=DEFAULT_SEED)
    g.add_argument("--out", default=str(SYNTHETIC_DIR))
    g.set_defaults(func=_cmd_generate)

    w = sub.add_parser("warehouse", help="manage the DuckDB warehouse")
    wsub = w.add_subparsers(dest="action", required=True)
    wb = wsub.add_parser("build", help="(re)build the warehouse from a synthetic-data folder")
    wb.add_argument("--warehouse", default="", help="DuckDB file (default data/warehouse.duckdb)")
    wb.add_argument("--source", default="", help="folder of Parquet tables (default data/synthetic)")
    wb.set_defaults(func=_cmd_warehouse)

    ing = sub.add_parser("ingest", help="load a platform export (CSV) into the warehouse, quarantining bad rows")
    ing.add_argument("table", choices=list(schema.TABLES))
    ing.add_argument("file")
    ing.add_argument("--campaign", default="", help="campaign id for exports that lack the column")
    ing.add_argument("--warehouse", default="")
    ing.add_argument("--quarantine-dir", default="", help="where to write <file>.<table>.quarantine.csv")
    ing.add_argument("--decimal", choices=[",", "."], default="",
                     help="decimal mark of the file's numbers when ambiguous (default: detected per column)")
    ing.add_argument("--lang", choices=["fr", "en"], default="fr")
    ing.set_defaults(func=_cmd_ingest)

    pl = sub.add_parser("plan", help="propose a media plan under constraints (and compare an agency's)")
    pl.add_argument("--objective", required=True, choices=list(schema.OBJECTIVES))
    pl.add_argument("--budget", required=True, type=float, help="CAD over the flight")
    pl.add_argument("--exclude", nargs="+", metavar="MEDIUM", help="channels or outlets to avoid")
    pl.add_argument("--min-share", nargs="+", metavar="NAME=SHARE", help="e.g. community=0.04 search=0.1")
    pl.add_argument("--max-share", nargs="+", metavar="NAME=SHARE", help="e.g. web_giant=0.5")
    pl.add_argument("--compare", default="", help="an agency's plan (CSV or Excel: channel, spend)")
    pl.add_argument("--lang", choices=["fr", "en"], default="fr")
    pl.add_argument("--seed", type=int, default=0)
    pl.add_argument("--warehouse", default="")
    pl.add_argument("--out", default=str(REPORTS_DIR))
    pl.add_argument("--no-report", action="store_true", help="print the plan only")
    pl.set_defaults(func=_cmd_plan)

    sg = sub.add_parser("segments", help="most promising segments for an objective, from all past campaigns")
    sg.add_argument("--objective", required=True, choices=list(schema.OBJECTIVES))
    sg.add_argument("--top", type=int, default=10)
    sg.add_argument("--threshold", type=int, default=10, help="privacy threshold (5-20 people)")
    sg.add_argument("--lang", choices=["fr", "en"], default="fr")
    sg.add_argument("--warehouse", default="")
    sg.set_defaults(func=_cmd_segments)

    ls = sub.add_parser("list", help="list the campaigns of the warehouse")
    ls.add_argument("--warehouse", default="")
    ls.set_defaults(func=_cmd_list)

    r = sub.add_parser("report", help="build campaign reports (papermill + HTML)")
    who = r.add_mutually_exclusive_group(required=True)
    who.add_argument("--campaign", nargs="+", metavar="ID", help="one or more campaign ids")
    who.add_argument("--all", action="store_true", help="every campaign of the warehouse, and the portfolio overview")
    who.add_argument("--portfolio", action="store_true", help="only the portfolio overview")
    r.add_argument("--lang", nargs="+", choices=["fr", "en"], default=["fr"])
    r.add_argument("--as-of", default="", help="ISO date bounding the delivery shown")
    r.add_argument("--warehouse", default="")
    r.add_argument("--out", default=str(REPORTS_DIR))
    r.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    r.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
    r.add_argument("--scheduler", default="", metavar="ADDRESS",
                   help="run on an existing Dask distributed cluster (e.g. tcp://host:8786) instead of locally")
    r.set_defaults(func=_cmd_report)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse ``argv`` and run the command; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (schema.InvalidCampaignId, schema.UnknownCampaign, ValueError, OSError, RuntimeError) as err:
        print(f"campaign-toolkit: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
