"""Building blocks of the per-campaign report (the notebook only calls these).

Each ``section_*`` function returns an HTML string (text from data escaped) that the
notebook displays; figures are embedded as PNG with a caption and alt text.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field

import pandas as pd

from .. import __version__, metrics, schema
from ..warehouse import CampaignBundle, Warehouse
from . import fmt
from .text import t

esc = html.escape


@dataclass
class ReportContext:
    """Everything a campaign report needs, loaded once."""

    bundle: CampaignBundle
    lang: str
    as_of: pd.Timestamp
    warehouse_meta: dict
    warehouse_path: str
    history: dict = field(default_factory=dict)

    @property
    def info(self) -> dict:
        """The campaign's row (name, advertiser, objective, dates, budget, language)."""
        return self.bundle.info


def load(campaign_id: str, *, warehouse: str = "", lang: str = "fr", as_of: str = "") -> ReportContext:
    """Open the warehouse and load one campaign for the report.

    ``as_of`` ("" = the data's own as-of date) bounds the delivery shown, for a
    campaign in flight. Raises a clear error for a bad id or a missing warehouse.
    """
    schema.check_lang(lang)
    schema.validate_campaign_id(campaign_id)
    with Warehouse.open(warehouse or None) as wh:
        bundle = wh.campaign(campaign_id)
        meta = wh.meta()
        history = wh.history(bundle.objective)
        path = str(wh.path)
    as_of_ts = pd.Timestamp(as_of) if as_of else pd.Timestamp(meta.get("as_of") or bundle.delivery["date"].max())
    bundle.delivery = bundle.delivery[bundle.delivery["date"] <= as_of_ts].reset_index(drop=True)
    return ReportContext(bundle, lang, as_of_ts, meta, path, history)


def figure_html(fig, caption: str, alt: str) -> str:
    """Return the figure as an embedded PNG ``<figure>`` with caption and alt text; closes it."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", dpi=100, metadata={"Software": None})
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def table_html(df: pd.DataFrame, caption: str = "") -> str:
    """Render a (pre-formatted) table as HTML with every cell escaped."""
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    head = "".join(f'<th scope="col">{esc(str(c))}</th>' for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in row) + "</tr>"
                   for row in df.itertuples(index=False))
    return f'<table class="ct-table">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------


def section_header(ctx: ReportContext) -> str:
    """Title, campaign identity and the executive summary in words."""
    i, lang = ctx.info, ctx.lang
    rows = [
        (t("advertiser", lang), i["advertiser"]),
        (t("objective", lang), schema.label("objective", i["objective"], lang)),
        (t("flight", lang), f"{fmt.date(i['start_date'], lang)} – {fmt.date(i['end_date'], lang)}"),
        (t("budget", lang), fmt.money(i["budget"], lang, 0)),
        (t("campaign_language", lang), schema.label("campaign_language", i["language"], lang)),
        (t("data_as_of", lang), fmt.date(ctx.as_of, lang)),
    ]
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(str(v))}</dd>" for k, v in rows)
    return (f"<h1>{esc(i['name'])}</h1><p class='ct-id'>{esc(t('campaign', lang))} {esc(ctx.bundle.campaign_id)}</p>"
            f"<dl class='ct-facts'>{dl}</dl>"
            f"<h2>{esc(t('executive_summary', lang))}</h2><p>{esc(executive_summary(ctx))}</p>")


def key_figures(ctx: ReportContext) -> pd.DataFrame:
    """Return spend, impressions and the objective's KPIs: planned, delivered and ratio.

    Columns: ``kpi``, ``unit``, ``planned`` (NaN where the plan has no figure),
    ``delivered`` (to ``as_of``), ``ratio`` (delivered / planned).
    """
    lines, dl = ctx.bundle.plan_lines, ctx.bundle.delivery
    tot = metrics.kpis(dl) if len(dl) else pd.DataFrame([{c: 0 for c in metrics.SUM_COLUMNS}])
    planned = {"spend": float(lines["planned_spend"].sum()),
               "impressions": float(lines["planned_impressions"].sum())}
    planned["cpm"] = metrics.safe_ratio(planned["spend"], planned["impressions"], 1000.0)
    codes = ["spend", "impressions", "cpm"] + [k for k in schema.OBJECTIVE_KPIS[ctx.bundle.objective]
                                               if k not in ("spend", "impressions", "cpm")]
    rows = []
    for k in codes:
        spec = metrics.KPIS[k]
        if spec.denominator is None:
            delivered = float(tot[spec.numerator].sum())
        else:
            delivered = metrics.safe_ratio(float(tot[spec.numerator].sum()), float(tot[spec.denominator].sum()),
                                           spec.scale)
        p = planned.get(k, float("nan"))
        rows.append({"kpi": k, "unit": spec.unit, "planned": p, "delivered": delivered,
                     "ratio": metrics.safe_ratio(delivered, p)})
    return pd.DataFrame(rows)


def section_key_figures(ctx: ReportContext) -> str:
    """Key figures against the plan, as a formatted table."""
    lang = ctx.lang
    kf = key_figures(ctx)
    shown = pd.DataFrame({
        t("indicator", lang): [metrics.KPIS[k].fr if lang == "fr" else metrics.KPIS[k].en for k in kf["kpi"]],
        t("planned", lang): [fmt.kpi(v, u, lang) for v, u in zip(kf["planned"], kf["unit"], strict=True)],
        t("delivered", lang): [fmt.kpi(v, u, lang) for v, u in zip(kf["delivered"], kf["unit"], strict=True)],
        t("delivered_vs_plan", lang): [fmt.percent(r, lang) for r in kf["ratio"]],
    })
    return f"<h2>{esc(t('key_figures', lang))}</h2>" + table_html(shown, t("key_figures_caption", lang))


def channel_kpis(ctx: ReportContext) -> pd.DataFrame:
    """Return sums and KPIs by channel (ratios of sums), sorted by spend, descending."""
    dl = ctx.bundle.delivery
    if dl.empty:
        return pd.DataFrame(columns=["channel", *metrics.SUM_COLUMNS])
    out = metrics.kpis(dl, by="channel")
    return out.sort_values("spend", ascending=False, kind="stable").reset_index(drop=True)


def section_channel_kpis(ctx: ReportContext) -> str:
    """KPIs by channel, formatted, with the objective's primary KPIs."""
    lang = ctx.lang
    k = channel_kpis(ctx)
    if k.empty:
        return f"<h2>{esc(t('kpis_by_channel', lang))}</h2><p>{esc(t('no_delivery', lang))}</p>"
    codes = ["spend", "impressions", "cpm"] + [c for c in schema.OBJECTIVE_KPIS[ctx.bundle.objective]
                                               if c not in ("spend", "impressions", "cpm")]
    shown = pd.DataFrame({t("channel", lang): [schema.label("channel", c, lang) for c in k["channel"]]})
    for c in codes:
        spec = metrics.KPIS[c]
        shown[spec.fr if lang == "fr" else spec.en] = [fmt.kpi(v, spec.unit, lang) for v in k[c]]
    return f"<h2>{esc(t('kpis_by_channel', lang))}</h2>" + table_html(shown, t("kpis_by_channel_caption", lang))


def section_time_series(ctx: ReportContext) -> str:
    """Weekly spend and impressions by channel (seaborn), as two embedded figures."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    import seaborn as sns

    from .theme import apply_theme

    lang = ctx.lang
    dl = ctx.bundle.delivery
    title = f"<h2>{esc(t('delivery_over_time', lang))}</h2>"
    if dl.empty:
        return title + f"<p>{esc(t('no_delivery', lang))}</p>"
    apply_theme()
    weekly = (dl.assign(week=dl["date"].dt.to_period("W-SUN").dt.start_time)
              .groupby(["week", "channel"], observed=True)[["spend", "impressions"]].sum().reset_index())
    weekly["channel_label"] = [schema.label("channel", c, lang) for c in weekly["channel"]]
    out = title
    for col, ylab, cap_key in (("spend", t("spend_cad", lang), "spend_over_time_caption"),
                               ("impressions", t("impressions", lang), "impressions_over_time_caption")):
        fig, ax = plt.subplots(figsize=(8, 3.6))
        sns.lineplot(data=weekly, x="week", y=col, hue="channel_label", marker="o", ax=ax)
        ax.set_xlabel(t("week", lang))
        ax.set_ylabel(ylab)
        ax.legend(title=t("channel", lang), fontsize=8, title_fontsize=9, loc="upper left",
                  bbox_to_anchor=(1.01, 1.0), frameon=False)
        ax.yaxis.set_major_formatter(lambda v, _pos: fmt.number(v, lang))
        ax.xaxis.set_major_formatter(lambda v, _pos: fmt.short_date(mdates.num2date(v), lang))
        fig.autofmt_xdate()
        top = weekly.groupby("channel_label")[col].sum().sort_values(ascending=False)
        alt = t("alt_time_series", lang).format(
            measure=t("spend", lang) if col == "spend" else t("impressions", lang).lower(), n=len(top), top=top.index[0],
            value=fmt.number(top.iloc[0], lang) if col == "impressions" else fmt.money(top.iloc[0], lang, 0))
        out += figure_html(fig, t(cap_key, lang), alt)
    return out


RANKING_KPIS = {"awareness": ("cpcv", "cpm"), "consideration": ("cost_per_landing_session", "cpc", "cpm"),
                "action": ("cpa", "cost_per_landing_session", "cpm")}


def _ranking_kpi(ctx: ReportContext) -> str:
    """The cost KPI used to name the best channel: the first of the objective's list with data."""
    k = metrics.kpis(ctx.bundle.delivery) if len(ctx.bundle.delivery) else None
    for code in RANKING_KPIS[ctx.bundle.objective]:
        if k is not None and code in k.columns and k[code].notna().all():
            return code
    return "cpm"


def executive_summary(ctx: ReportContext) -> str:
    """Return a few sentences: spend against plan, delivery, and the primary KPI's best channel."""
    lang = ctx.lang
    kf = key_figures(ctx).set_index("kpi")
    spend, imp = kf.loc["spend"], kf.loc["impressions"]
    primary = _ranking_kpi(ctx)
    spec = metrics.KPIS[primary]
    parts = [t("summary_spend", lang).format(
        spent=fmt.money(spend["delivered"], lang, 0), planned=fmt.money(spend["planned"], lang, 0),
        ratio=fmt.percent(spend["ratio"], lang), impressions=fmt.number(imp["delivered"], lang),
        imp_ratio=fmt.percent(imp["ratio"], lang))]
    k = channel_kpis(ctx)
    if not k.empty and primary in k.columns and k[primary].notna().any():
        valid = k[k[primary].notna()]
        best = valid.sort_values(primary, ascending=not spec.higher_is_better).iloc[0]
        parts.append(t("summary_primary", lang).format(
            kpi=(spec.fr if lang == "fr" else spec.en),
            value=fmt.kpi(kf.loc[primary, "delivered"], spec.unit, lang),
            channel=schema.label("channel", best["channel"], lang),
            best=fmt.kpi(best[primary], spec.unit, lang)))
    return " ".join(parts)


def section_methodology(ctx: ReportContext) -> str:
    """The methodology appendix: definitions of the KPIs shown and of the methods used."""
    lang = ctx.lang
    codes = ["cpm"] + [c for c in schema.OBJECTIVE_KPIS[ctx.bundle.objective] if c != "cpm"]
    items = "".join(f"<li>{esc(t('def_' + c, lang))}</li>" for c in codes)
    methods = "".join(f"<li>{esc(t(k, lang))}</li>" for k in
                      ("method_segments", "method_privacy", "method_attribution", "method_budget"))
    return (f"<h2>{esc(t('methodology', lang))}</h2><p>{esc(t('methodology_intro', lang))}</p>"
            f"<ul>{items}</ul><h3>{esc(t('methods', lang))}</h3><ul>{methods}</ul>")


def section_provenance(ctx: ReportContext, parameters: dict) -> str:
    """What the report was built from: toolkit version, data fingerprint, parameters."""
    lang = ctx.lang
    m = ctx.warehouse_meta
    rows = [
        (t("toolkit_version", lang), __version__),
        (t("data_source", lang), m.get("source", "")),
        (t("data_fingerprint", lang), m.get("source_fingerprint", "")),
        (t("generator_seed", lang), m.get("seed", "")),
        (t("parameters", lang), ", ".join(f"{k}={v!r}" for k, v in parameters.items())),
    ]
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(str(v))}</dd>" for k, v in rows)
    return f"<h2>{esc(t('provenance', lang))}</h2><dl class='ct-facts'>{dl}</dl>"


def section_segments(ctx: ReportContext, threshold: int = 10) -> str:
    """Segment lift for the objective's primary rate KPI (forest plot, table, top segments,
    incrementality), with small-cell suppression applied before anything is shown."""
    from .. import lift

    lang = ctx.lang
    title = f"<h2>{esc(t('segments', lang))}</h2>"
    dl = ctx.bundle.delivery
    spend = float(dl["spend"].sum()) if len(dl) else None
    try:
        sec = lift.report_section(dl, ctx.bundle.objective, lift_tests=ctx.bundle.lift_tests, spend=spend,
                                  lang=lang, threshold=threshold)
    except ValueError:  # e.g. no segment dimension with two levels that have exposure
        return title + f"<p>{esc(t('segments_unavailable', lang))}</p>"
    import matplotlib.pyplot as plt

    ax = sec.plot()
    fig = ax.figure if ax is not None else plt.figure()
    out = title + f"<p>{esc(sec.view_note)}</p><p>{esc(sec.top_segments)}</p>"
    out += figure_html(fig, t("forest_caption", lang), t("forest_alt", lang).format(n=len(sec.table)))
    out += table_html(sec.table, t("segments_caption", lang).format(threshold=threshold))
    if sec.incrementality:
        out += f"<h3>{esc(t('incrementality', lang))}</h3><p>{esc(sec.incrementality)}</p>"
    return out


def section_attribution(ctx: ReportContext) -> str:
    """Conversions (and value) by channel under each attribution model, Markov interval and reading."""
    from .. import attribution

    lang = ctx.lang
    paths = ctx.bundle.journeys
    title = f"<h2>{esc(t('attribution', lang))}</h2>"
    if paths.empty or float(paths["conversions"].sum()) <= 0:
        return title + f"<p>{esc(t('no_journeys', lang))}</p>"
    table, text = attribution.report_table(paths, lang=lang, value_col="value", seed=0)
    res = attribution.compare(paths, value_col="value", seed=0)
    ax = res.plot()
    out = title + f"<p>{esc(text)}</p>"
    out += figure_html(ax.figure, t("attribution_caption", lang), t("attribution_alt", lang).format(n=len(table)))
    return out + table_html(table, t("attribution_table_caption", lang))


@dataclass
class BudgetSection:
    """What the budget part of a report shows (formatted tables and sentences)."""

    efficiency: pd.DataFrame | None
    pacing: pd.DataFrame | None
    next_thousand: list[str]
    curves_figure: object | None
    comparison: pd.DataFrame | None
    comparison_verdicts: list[str]


def budget_section(ctx: ReportContext, *, n_boot: int = 50) -> BudgetSection:
    """Benchmarks, pacing (campaign in flight), response curves from past campaigns of the same
    objective, the value of the next 1 000 $, and the agency comparison when there is one."""
    from .. import budget, planning

    lang, b, h = ctx.lang, ctx.bundle, ctx.history
    cid = b.campaign_id
    in_flight = b.info["start_date"] <= ctx.as_of < b.info["end_date"]
    past = h["delivery"][h["delivery"]["date"] <= ctx.as_of]  # nothing after the report's as-of date
    parts = budget.report_section(history=past, campaigns=h["campaigns"], campaign_id=cid,
                                  plan_lines=b.plan_lines if in_flight else None,
                                  delivery=b.delivery if in_flight else None,
                                  as_of=ctx.as_of if in_flight else None, lang=lang)
    model = budget.fit_response_curves(past, h["campaigns"],
                                       b.objective, seed=0, n_boot=n_boot)
    nxt = model.next_thousand(lang)
    fig = model.plot(lang=lang).figure if hasattr(model, "plot") else None
    comparison, verdicts = None, []
    if not b.agency_plans.empty:
        plans = {t("bought_plan", lang): b.plan_lines.groupby("channel", as_index=False)["planned_spend"].sum()
                 .rename(columns={"planned_spend": "spend"})}
        for pid, grp in b.agency_plans.groupby("plan_id"):
            plans[str(pid)] = grp[["channel", "spend"]]
        comp = planning.compare(model, plans)
        comparison = planning.format_comparison(comp, lang)
        verdicts = list(comp.table[f"verdict_{lang}"])
    return BudgetSection(parts.get("efficiency"), parts.get("pacing"), nxt, fig, comparison, verdicts)


def section_budget(ctx: ReportContext) -> str:
    """The budget part of the report as HTML (see :func:`budget_section`)."""
    lang = ctx.lang
    sec = budget_section(ctx)
    out = f"<h2>{esc(t('efficiency', lang))}</h2>"
    eff = sec.efficiency
    if eff is not None and len(eff):  # KPIs that do not apply to a channel (no value, no peers) are left out
        eff = eff[~((eff.iloc[:, 2] == fmt.na(lang)) & (eff.iloc[:, -1].astype(str) == "0"))]
    if eff is not None and len(eff):
        out += table_html(eff, t("efficiency_caption", lang))
    else:
        out += f"<p>{esc(t('no_benchmark', lang))}</p>"
    if sec.pacing is not None:
        out += f"<h2>{esc(t('pacing', lang))}</h2>" + table_html(sec.pacing, t("pacing_caption", lang))
    out += f"<h2>{esc(t('response_curves', lang))}</h2>"
    if sec.curves_figure is not None:
        out += figure_html(sec.curves_figure, t("curves_caption", lang), t("curves_alt", lang))
    out += "<ul>" + "".join(f"<li>{esc(s)}</li>" for s in sec.next_thousand) + "</ul>"
    if sec.comparison is not None:
        out += f"<h2>{esc(t('agency_comparison', lang))}</h2>" + table_html(sec.comparison)
        out += "<ul>" + "".join(f"<li>{esc(v)}</li>" for v in sec.comparison_verdicts) + "</ul>"
    return out
