"""HTML export: executed notebook -> self-contained page without code; the report index.

nbconvert's ``basic`` template gives the outputs only (no head, no script tags that
fetch from the internet); we wrap them in our own page with inline CSS and
``<html lang="fr">`` (or ``en``), so the page opens offline.
"""

from __future__ import annotations

import html
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from . import fmt
from .text import t

esc = html.escape

CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;max-width:62rem;margin:2rem auto;
padding:0 1rem;color:#1b1b1b;line-height:1.5}
h1{color:#0d3b66;border-bottom:3px solid #1f5fa8;padding-bottom:.3rem}
h2{color:#0d3b66;margin-top:2rem;border-bottom:1px solid #ccd}
table{border-collapse:collapse;margin:1rem 0;font-size:.92rem}
th,td{border:1px solid #ccd;padding:.3rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}
thead th{background:#eef2f8}
caption{caption-side:bottom;font-size:.85rem;color:#555;text-align:left;padding-top:.3rem}
figure{margin:1rem 0}figure img{max-width:100%}figcaption{font-size:.85rem;color:#555}
dl.ct-facts{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}
.ct-id{color:#555}.ct-failed{color:#b8403d}.ct-note{font-size:.9rem;color:#444}
.jp-OutputPrompt,.jp-InputPrompt{display:none}
table.ct-index th,table.ct-index td{text-align:left}table.ct-index td:first-child{white-space:nowrap}
"""


def page(title: str, body: str, lang: str = "fr") -> str:
    """Wrap ``body`` (trusted HTML) in a complete page; ``title`` is escaped."""
    return (f'<!DOCTYPE html>\n<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def notebook_to_html(notebook_path: str | Path, title: str, lang: str = "fr") -> str:
    """Return a self-contained HTML page of an executed notebook's outputs (no code cells)."""
    nb = nbformat.read(str(notebook_path), as_version=4)
    for cell in nb.cells:  # warnings and logs stay in the executed notebook, not in the reviewers' page
        if cell.get("cell_type") == "code":
            cell["outputs"] = [o for o in cell.get("outputs", [])
                               if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, exclude_anchor_links=True)
    body, _ = exporter.from_notebook_node(nb)
    return page(title, body, lang)


def index_page(rows: list[dict], lang: str = "fr", overview: list[tuple[str, str]] | None = None) -> str:
    """Return the index page listing every report.

    ``rows`` are dicts with campaign_id, name, advertiser, objective_label, start_date,
    links (list of (label, relative href)) and error (text or "").
    """
    failed = sum(1 for r in rows if r.get("error"))
    head = (f"<tr><th>{esc(t('campaign', lang))}</th><th>{esc(t('name', lang))}</th>"
            f"<th>{esc(t('advertiser', lang))}</th><th>{esc(t('objective', lang))}</th>"
            f"<th>{esc(t('start', lang))}</th><th>{esc(t('report', lang))}</th></tr>")
    body_rows = []
    for r in rows:
        if r.get("error"):
            status = f"<span class='ct-failed'>{esc(t('failed', lang))} : {esc(r['error'])}</span>"
        else:
            status = " · ".join(f'<a href="{esc(href, quote=True)}">{esc(label)}</a>' for label, href in r["links"])
        body_rows.append(
            f"<tr><td>{esc(r['campaign_id'])}</td><td>{esc(str(r.get('name', '')))}</td>"
            f"<td>{esc(str(r.get('advertiser', '')))}</td><td>{esc(str(r.get('objective_label', '')))}</td>"
            f"<td>{esc(fmt.date(r['start_date'], lang) if r.get('start_date') is not None else '')}</td>"
            f"<td>{status}</td></tr>")
    links = " · ".join(f'<a href="{esc(href, quote=True)}">{esc(label)}</a>' for label, href in overview or [])
    over = f"<p>{esc(t('portfolio', lang))} : {links}</p>" if links else ""
    body = (f"<h1>{esc(t('index_title', lang))}</h1>{over}"
            f"<p>{esc(t('index_intro', lang).format(n=len(rows) - failed, failed=failed))}</p>"
            f"<table class='ct-index'><thead>{head}</thead><tbody>{''.join(body_rows)}</tbody></table>")
    return page(t("index_title", lang), body, lang)
