"""Building blocks of the portfolio overview (every campaign, by fiscal year).

Heavy aggregation runs in DuckDB (:func:`warehouse.delivery_by_campaign_channel`); the
functions here return tidy DataFrames (``*_table``) and HTML sections (``section_*``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

from .. import metrics, schema
from ..warehouse import Warehouse, delivery_by_campaign_channel
from . import fmt
from .campaign import figure_html, table_html
from .text import t

esc = html.escape
COMMUNITY_TARGET = 0.04  # the Quebec government's long-standing target for community media


@dataclass
class Portfolio:
    """Campaigns, plan lines and delivery by campaign x channel, with fiscal years."""

    campaigns: pd.DataFrame
    plan_lines: pd.DataFrame
    by_channel: pd.DataFrame
    lang: str
    meta: dict


def load(*, warehouse: str = "", lang: str = "fr") -> Portfolio:
    """Load the whole portfolio from the warehouse (delivery pre-aggregated in DuckDB)."""
    schema.check_lang(lang)
    with Warehouse.open(warehouse or None) as wh:
        camps = wh.campaigns()
        lines = wh.table("plan_lines")
        by_channel = delivery_by_campaign_channel(wh)
        meta = wh.meta() | {"_path": str(wh.path)}
    camps["fiscal_year"] = schema.fiscal_year(camps["start_date"]).to_numpy()
    fy = camps.set_index("campaign_id")["fiscal_year"]
    lines["fiscal_year"] = lines["campaign_id"].map(fy)
    by_channel["fiscal_year"] = by_channel["campaign_id"].map(fy)
    by_channel["objective"] = by_channel["campaign_id"].map(camps.set_index("campaign_id")["objective"])
    return Portfolio(camps, lines, by_channel, lang, meta)


def overview_table(p: Portfolio) -> pd.DataFrame:
    """Per fiscal year: campaigns, campaigns by objective, budget and delivered spend (CAD)."""
    c = p.campaigns
    out = c.groupby("fiscal_year").agg(campaigns=("campaign_id", "size"), budget=("budget", "sum"))
    for obj in schema.OBJECTIVES:
        out[obj] = c[c["objective"] == obj].groupby("fiscal_year").size().reindex(out.index, fill_value=0)
    out["spend"] = p.by_channel.groupby("fiscal_year")["spend"].sum().reindex(out.index)
    return out.reset_index()


def outlet_shares_table(p: Portfolio) -> pd.DataFrame:
    """Per fiscal year: share of planned spend in community media, Québec-owned media and web giants."""
    lines = p.plan_lines
    total = lines.groupby("fiscal_year")["planned_spend"].sum()
    out = pd.DataFrame({"planned_spend": total})
    for flag in ("community", "quebec_owned", "web_giant"):
        part = lines[lines[flag]].groupby("fiscal_year")["planned_spend"].sum().reindex(total.index, fill_value=0)
        out[flag] = metrics.safe_ratio(part, total)
    return out.reset_index()


def kpis_by_objective_table(p: Portfolio) -> pd.DataFrame:
    """Per objective and fiscal year: the objective's primary KPIs as ratios of sums."""
    rows = []
    for obj, grp in p.by_channel.groupby("objective"):
        k = metrics.kpis(grp, by="fiscal_year")
        k.insert(0, "objective", obj)
        rows.append(k)
    return pd.concat(rows, ignore_index=True)


def section_header(p: Portfolio) -> str:
    """Title and a summary in words of the whole portfolio."""
    lang = p.lang
    ov = overview_table(p)
    sh = outlet_shares_table(p)
    last = sh.iloc[-1]
    text = t("portfolio_summary", lang).format(
        n=int(ov["campaigns"].sum()), years=len(ov), spend=fmt.money(ov["spend"].sum(), lang, 0),
        fy=last["fiscal_year"], community=fmt.percent(last["community"], lang),
        target=fmt.percent(COMMUNITY_TARGET, lang, 0), giants=fmt.percent(last["web_giant"], lang))
    return (f"<h1>{esc(t('portfolio_title', lang))}</h1><p>{esc(text)}</p>")


def section_overview(p: Portfolio) -> str:
    """Campaigns and money by fiscal year."""
    lang = p.lang
    ov = overview_table(p)
    shown = pd.DataFrame({
        t("fiscal_year", lang): ov["fiscal_year"],
        t("campaigns", lang): [fmt.number(v, lang) for v in ov["campaigns"]],
        **{schema.label("objective", o, lang): [fmt.number(v, lang) for v in ov[o]] for o in schema.OBJECTIVES},
        t("budget", lang): [fmt.money(v, lang, 0) for v in ov["budget"]],
        t("spend_delivered", lang): [fmt.money(v, lang, 0) for v in ov["spend"]],
    })
    return f"<h2>{esc(t('by_fiscal_year', lang))}</h2>" + table_html(shown, t("fy_caption", lang))


def section_channel_mix(p: Portfolio) -> str:
    """Share of delivered spend by channel and fiscal year (stacked bars)."""
    import matplotlib.pyplot as plt

    from .theme import apply_theme

    lang = p.lang
    apply_theme()
    mix = p.by_channel.pivot_table(index="fiscal_year", columns="channel", values="spend", aggfunc="sum",
                                   fill_value=0.0)
    share = mix.div(mix.sum(axis=1), axis=0)
    share = share[share.sum().sort_values(ascending=False).index]
    share.columns = [schema.label("channel", c, lang) for c in share.columns]
    fig, ax = plt.subplots(figsize=(8, 3.8))
    share.plot.barh(stacked=True, ax=ax, width=0.7)
    ax.xaxis.set_major_formatter(lambda v, _pos: fmt.percent(v, lang, 0))
    ax.set_xlabel(t("share_of_spend", lang))
    ax.set_ylabel(t("fiscal_year", lang))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    top = share.iloc[-1].sort_values(ascending=False)
    alt = t("alt_mix", lang).format(fy=share.index[-1], top=top.index[0], share=fmt.percent(top.iloc[0], lang))
    return f"<h2>{esc(t('channel_mix', lang))}</h2>" + figure_html(fig, t("channel_mix_caption", lang), alt)


def section_outlets(p: Portfolio) -> str:
    """Community, Québec-owned and web-giant shares of planned spend, against the 4 % target."""
    lang = p.lang
    sh = outlet_shares_table(p)
    shown = pd.DataFrame({
        t("fiscal_year", lang): sh["fiscal_year"],
        t("planned_spend", lang): [fmt.money(v, lang, 0) for v in sh["planned_spend"]],
        t("community_media", lang): [fmt.percent(v, lang) for v in sh["community"]],
        t("quebec_owned", lang): [fmt.percent(v, lang) for v in sh["quebec_owned"]],
        t("web_giants", lang): [fmt.percent(v, lang) for v in sh["web_giant"]],
    })
    return (f"<h2>{esc(t('outlets', lang))}</h2>"
            + table_html(shown, t("outlets_caption", lang).format(target=fmt.percent(COMMUNITY_TARGET, lang, 0))))


def section_kpis(p: Portfolio) -> str:
    """Primary KPIs of each objective by fiscal year."""
    lang = p.lang
    k = kpis_by_objective_table(p)
    out = f"<h2>{esc(t('kpis_by_objective', lang))}</h2>"
    for obj in schema.OBJECTIVES:
        part = k[k["objective"] == obj]
        if part.empty:
            continue
        shown = pd.DataFrame({t("fiscal_year", lang): part["fiscal_year"]})
        for code in ("cpm",) + tuple(c for c in schema.OBJECTIVE_KPIS[obj] if c != "cpm"):
            spec = metrics.KPIS[code]
            shown[spec.fr if lang == "fr" else spec.en] = [fmt.kpi(v, spec.unit, lang) for v in part[code]]
        out += f"<h3>{esc(schema.label('objective', obj, lang))}</h3>" + table_html(shown)
    return out


def recommendations(*, warehouse: str = "", objectives=tuple(schema.OBJECTIVES), threshold: int = 10) -> dict:
    """Rank segments for each objective over all its past campaigns (channel- and campaign-adjusted).

    Returns ``{objective: lift.Recommendation}``; objectives without data are left out.
    """
    from .. import lift

    out = {}
    with Warehouse.open(warehouse or None) as wh:
        for obj in objectives:
            h = wh.history(obj)
            if h["delivery"].empty:
                continue
            out[obj] = lift.recommend_segments(h["delivery"], obj, campaigns=h["campaigns"], threshold=threshold)
    return out


def recommendation_table(rec, lang: str = "fr", top: int = 8) -> pd.DataFrame:
    """The top segments of a recommendation, formatted, without any count of people.

    Counts are not shown: with the portfolio totals published elsewhere, the count of a
    left-out (too small) segment could be recovered from the published ones.
    """
    t_ = rec.table.head(top)
    fr = lang == "fr"
    return pd.DataFrame({
        ("Rang" if fr else "Rank"): t_["rank"],
        t("dimension", lang): [schema.label("dimension", d, lang) for d in t_["dimension"]],
        "Segment": [schema.label(d, s, lang) for d, s in zip(t_["dimension"], t_["segment"], strict=True)],
        ("Rapport de taux ajusté" if fr else "Adjusted rate ratio"): [fmt.number(v, lang, 2) for v in t_["rate_ratio"]],
        ("IC à 95 %" if fr else "95% CI"): [f"{fmt.number(a, lang, 2)} – {fmt.number(b, lang, 2)}"
                                            for a, b in zip(t_["ci_low"], t_["ci_high"], strict=True)],
        ("Campagnes" if fr else "Campaigns"): [fmt.number(v, lang) for v in t_["n_campaigns"]],
    })


def section_segments(p: Portfolio, recs: dict | None = None) -> str:
    """Most promising segments per objective, from every past campaign of that objective."""
    from ..lift import PRIMARY_RATE_KPI

    lang = p.lang
    recs = recs if recs is not None else recommendations(warehouse=p.meta.get("_path", ""))
    out = f"<h2>{esc(t('segments_by_objective', lang))}</h2><p>{esc(t('segments_by_objective_intro', lang))}</p>"
    for obj, rec in recs.items():
        spec = metrics.KPIS[PRIMARY_RATE_KPI[obj]]
        n_out = int(sum(rec.params["left_out"].values()))
        cap = t("segments_by_objective_caption", lang).format(
            kpi=spec.fr if lang == "fr" else spec.en, n_out=n_out, threshold=rec.params["threshold"])
        out += f"<h3>{esc(schema.label('objective', obj, lang))}</h3>" + table_html(recommendation_table(rec, lang),
                                                                                   cap)
    return out
