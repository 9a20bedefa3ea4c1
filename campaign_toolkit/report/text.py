"""Report wording in Canadian French (default) and English, by key."""

from __future__ import annotations

from ..schema import check_lang

TEXT: dict[str, tuple[str, str]] = {
    "campaign": ("Campagne", "Campaign"),
    "report_title": ("Rapport de performance", "Performance report"),
    "advertiser": ("Annonceur", "Advertiser"),
    "objective": ("Objectif", "Objective"),
    "flight": ("Période de diffusion", "Flight"),
    "budget": ("Budget média net", "Net media budget"),
    "campaign_language": ("Langue de la campagne", "Campaign language"),
    "data_as_of": ("Données en date du", "Data as of"),
    "executive_summary": ("Sommaire", "Executive summary"),
    "key_figures": ("Chiffres clés par rapport au plan", "Key figures against the plan"),
    "key_figures_caption": ("Prévu au plan média et livré à la date des données.",
                            "Planned in the media plan and delivered to the data date."),
    "indicator": ("Indicateur", "Indicator"),
    "planned": ("Prévu", "Planned"),
    "delivered": ("Livré", "Delivered"),
    "delivered_vs_plan": ("Livré / prévu", "Delivered / planned"),
    "kpis_by_channel": ("Indicateurs par canal", "KPIs by channel"),
    "kpis_by_channel_caption": ("Ratios de sommes sur la période; n.d. : dénominateur nul.",
                                "Ratios of sums over the period; n/a: zero denominator."),
    "channel": ("Canal", "Channel"),
    "no_delivery": ("Aucune donnée de diffusion pour cette période.", "No delivery data for this period."),
    "delivery_over_time": ("Dépenses et diffusion dans le temps", "Spend and delivery over time"),
    "spend_cad": ("Dépenses ($ CA)", "Spend (CAD)"),
    "impressions": ("Impressions", "Impressions"),
    "spend": ("dépenses", "spend"),
    "week": ("Semaine", "Week"),
    "spend_over_time_caption": ("Dépenses hebdomadaires par canal.", "Weekly spend by channel."),
    "impressions_over_time_caption": ("Impressions hebdomadaires par canal.", "Weekly impressions by channel."),
    "alt_time_series": (
        "Graphique linéaire : {measure} par semaine pour {n} canaux; le canal le plus important est {top} ({value}).",
        "Line chart: weekly {measure} for {n} channels; the largest channel is {top} ({value})."),
    "summary_spend": (
        "La campagne a dépensé {spent} sur {planned} prévus ({ratio} du plan) et obtenu {impressions} "
        "impressions ({imp_ratio} du plan).",
        "The campaign spent {spent} of the {planned} planned ({ratio} of plan) and delivered {impressions} "
        "impressions ({imp_ratio} of plan)."),
    "summary_primary": (
        "{kpi} : {value} pour l'ensemble de la campagne; le canal le plus efficace à cet égard "
        "est {channel} ({best}).",
        "{kpi}: {value} for the whole campaign; the most efficient channel on this measure is {channel} ({best})."),
    "methodology": ("Annexe méthodologique", "Methodology appendix"),
    "methodology_intro": (
        "Les taux sont des ratios de sommes sur la période et le groupe (jamais des moyennes de taux). "
        "Un dénominateur nul donne « n.d. ». Les montants sont en dollars canadiens, média net.",
        "Rates are ratios of sums over the period and group (never means of rates). A zero denominator gives "
        "\"n/a\". Amounts are in Canadian dollars, net media."),
    "def_cpm": ("CPM : dépenses ÷ impressions × 1 000.", "CPM: spend ÷ impressions × 1,000."),
    "def_cpcv": ("Coût par visionnement complet : dépenses ÷ visionnements complets.",
                 "Cost per completed view: spend ÷ completed views."),
    "def_vcr": ("Taux de visionnement complet : visionnements complets ÷ visionnements amorcés.",
                "Video completion rate: completed views ÷ video starts."),
    "def_ctr": ("Taux de clics : clics ÷ impressions.", "Click-through rate: clicks ÷ impressions."),
    "def_cost_per_landing_session": ("Coût par session d'atterrissage : dépenses ÷ sessions sur la page.",
                                     "Cost per landing session: spend ÷ landing-page sessions."),
    "def_cpc": ("Coût par clic : dépenses ÷ clics.", "Cost per click: spend ÷ clicks."),
    "def_conversions": ("Conversions : nombre d'actions mesurées (inscriptions, demandes, etc.).",
                        "Conversions: number of measured actions (sign-ups, applications, etc.)."),
    "def_cpa": ("Coût par acquisition : dépenses ÷ conversions.", "Cost per acquisition: spend ÷ conversions."),
    "def_conversion_rate": ("Taux de conversion : conversions ÷ clics.", "Conversion rate: conversions ÷ clicks."),
    "provenance": ("Provenance du rapport", "What this report was built from"),
    "toolkit_version": ("Version de campaign_toolkit", "campaign_toolkit version"),
    "data_source": ("Source des données", "Data source"),
    "data_fingerprint": ("Empreinte des données (SHA-256)", "Data fingerprint (SHA-256)"),
    "generator_seed": ("Graine du générateur synthétique", "Synthetic generator seed"),
    "parameters": ("Paramètres", "Parameters"),
    "index_title": ("Rapports de campagne", "Campaign reports"),
    "index_intro": ("{n} rapports produits; {failed} en échec.", "{n} reports built; {failed} failed."),
    "status": ("État", "Status"),
    "report": ("Rapport", "Report"),
    "failed": ("échec", "failed"),
    "name": ("Nom", "Name"),
    "start": ("Début", "Start"),
}


def t(key: str, lang: str = "fr") -> str:
    """Return the report text for ``key`` in ``lang`` (``fr`` or ``en``)."""
    check_lang(lang)
    fr, en = TEXT[key]
    return fr if lang == "fr" else en
