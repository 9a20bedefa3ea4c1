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
                               portfolio=args.all or args.portfolio)
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
    r.set_defaults(func=_cmd_report)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse ``argv`` and run the command; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (schema.InvalidCampaignId, schema.UnknownCampaign, ValueError, FileNotFoundError, RuntimeError) as err:
        print(f"campaign-toolkit: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
