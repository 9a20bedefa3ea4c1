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
    "segments": ("Segments les plus prometteurs", "Most promising segments"),
    "segments_unavailable": ("L'analyse par segment n'est pas possible pour cette campagne : aucune dimension "
                             "n'a au moins deux segments exposés pour l'indicateur principal de son objectif.",
                             "Segment analysis is not possible for this campaign: no dimension has at least two "
                             "exposed segments for its objective's primary KPI."),
    "forest_caption": ("Rapport de taux de chaque segment par rapport au reste de sa dimension, avec "
                       "intervalle de confiance à 95 %; 1 = comme le reste.",
                       "Rate ratio of each segment against the rest of its dimension, with 95% confidence "
                       "interval; 1 = same as the rest."),
    "forest_alt": ("Graphique en forêt : rapports de taux et intervalles de confiance pour {n} segments.",
                   "Forest plot: rate ratios and confidence intervals for {n} segments."),
    "segments_caption": ("Les cellules de moins de {threshold} personnes (et celles qui permettraient de les "
                         "recalculer) sont masquées : n.d.",
                         "Cells of fewer than {threshold} people (and those that would allow recomputing "
                         "them) are withheld: n/a."),
    "incrementality": ("Étude d'incrémentalité", "Incrementality study"),
    "portfolio_title": ("Vue d'ensemble du portefeuille de campagnes", "Campaign portfolio overview"),
    "portfolio_summary": (
        "{n} campagnes sur {years} exercices financiers, pour {spend} de dépenses média livrées. En {fy}, les "
        "médias communautaires ont reçu {community} des dépenses prévues (cible : {target}) et les géants du web "
        "{giants}.",
        "{n} campaigns over {years} fiscal years, for {spend} of delivered media spend. In {fy}, community media "
        "received {community} of planned spend (target: {target}) and web giants {giants}."),
    "fiscal_year": ("Exercice financier", "Fiscal year"),
    "campaigns": ("Campagnes", "Campaigns"),
    "spend_delivered": ("Dépenses livrées", "Delivered spend"),
    "planned_spend": ("Dépenses prévues", "Planned spend"),
    "by_fiscal_year": ("Campagnes et budgets par exercice financier", "Campaigns and budgets by fiscal year"),
    "fy_caption": ("Exercice financier du gouvernement du Québec : 1er avril au 31 mars, selon la date de début.",
                   "Quebec government fiscal year: April 1 to March 31, by start date."),
    "channel_mix": ("Répartition des dépenses par canal", "Spend by channel"),
    "channel_mix_caption": ("Part des dépenses livrées par canal, par exercice financier.",
                            "Share of delivered spend by channel, by fiscal year."),
    "share_of_spend": ("Part des dépenses", "Share of spend"),
    "alt_mix": ("Barres empilées : part des dépenses par canal et par exercice; en {fy}, le premier canal est "
                "{top} ({share}).",
                "Stacked bars: share of spend by channel and fiscal year; in {fy}, the largest channel is "
                "{top} ({share})."),
    "outlets": ("Médias communautaires, québécois et géants du web", "Community, Québec-owned media and web giants"),
    "outlets_caption": ("Parts des dépenses prévues aux plans médias; cible gouvernementale pour les médias "
                        "communautaires : {target}.",
                        "Shares of planned spend in the media plans; government target for community media: "
                        "{target}."),
    "community_media": ("Médias communautaires", "Community media"),
    "quebec_owned": ("Médias québécois", "Québec-owned media"),
    "web_giants": ("Géants du web", "Web giants"),
    "kpis_by_objective": ("Indicateurs par objectif et par exercice", "KPIs by objective and fiscal year"),
    "portfolio": ("Vue d'ensemble du portefeuille", "Portfolio overview"),
    "media_plan": ("Plan média proposé", "Proposed media plan"),
    "attribution": ("Attribution des conversions par canal", "Attribution of conversions by channel"),
    "no_journeys": ("Aucun parcours de conversion n'est disponible pour cette campagne.",
                    "No conversion journeys are available for this campaign."),
    "attribution_caption": ("Conversions attribuées à chaque canal selon chaque modèle.",
                            "Conversions credited to each channel under each model."),
    "attribution_alt": ("Barres groupées : conversions attribuées par modèle pour {n} canaux.",
                        "Grouped bars: conversions credited by model for {n} channels."),
    "attribution_table_caption": (
        "Premier contact, dernier contact, linéaire, en U (40/20/40), Markov d'ordre 1 exact (effet de retrait, "
        "intervalle par rééchantillonnage des parcours) et Shapley.",
        "First touch, last touch, linear, U-shaped (40/20/40), exact order-1 Markov (removal effect, interval by "
        "resampling journeys) and Shapley."),
    "efficiency": ("Efficacité par rapport aux campagnes passées", "Efficiency against past campaigns"),
    "efficiency_caption": ("Comparaison avec les campagnes passées de même objectif, sur le même canal "
                           "(médiane, écart interquartile, rang centile).",
                           "Compared with past campaigns of the same objective on the same channel (median, "
                           "interquartile range, percentile)."),
    "no_benchmark": ("Pas assez de campagnes passées comparables pour établir des repères.",
                     "Not enough comparable past campaigns to set benchmarks."),
    "pacing": ("Rythme de diffusion (campagne en cours)", "Pacing (campaign in flight)"),
    "pacing_caption": ("Dépensé et livré à la date des données par rapport au plan, projection en fin de "
                       "campagne et ajustement quotidien pour revenir au plan.",
                       "Spent and delivered to date against the plan, projection at the end of the flight and "
                       "the daily adjustment that brings each line back on plan."),
    "response_curves": ("Courbes de réponse et valeur du prochain dollar", "Response curves and the next dollar"),
    "curves_caption": ("Courbes de réponse par canal estimées sur les campagnes passées de même objectif; "
                       "le point marque la dépense actuelle.",
                       "Response curves per channel estimated on past campaigns of the same objective; the dot "
                       "marks current spend."),
    "curves_alt": ("Courbes : résultat hebdomadaire attendu selon la dépense hebdomadaire, par canal.",
                   "Curves: expected weekly outcome by weekly spend, per channel."),
    "agency_comparison": ("Plan de l'agence comparé au plan acheté", "Agency plan compared with the bought plan"),
    "bought_plan": ("plan acheté", "bought plan"),
    "methods": ("Méthodes", "Methods"),
    "method_segments": (
        "Segments : taux par segment en ratio de sommes; rapport de taux contre le reste de la dimension, ajusté "
        "pour le canal par un modèle linéaire généralisé de Poisson (exposition en décalage, surdispersion par "
        "l'échelle de Pearson), intervalles de Wald à 95 %; valeurs q de Benjamini-Hochberg par dimension.",
        "Segments: rates as ratios of sums; rate ratio against the rest of the dimension, adjusted for channel "
        "with a Poisson generalised linear model (exposure offset, overdispersion via the Pearson scale), 95% "
        "Wald intervals; Benjamini-Hochberg q-values per dimension."),
    "method_privacy": (
        "Confidentialité : toute cellule comptant moins de personnes que le seuil (10 par défaut) est masquée, "
        "ainsi que les cellules qui permettraient de la recalculer à partir des totaux.",
        "Privacy: any cell counting fewer people than the threshold (10 by default) is withheld, together with "
        "the cells that would allow recomputing it from the totals."),
    "method_attribution": (
        "Attribution : modèles heuristiques (premier et dernier contact, linéaire, en U) et modèle de Markov "
        "d'ordre 1 calculé exactement (chaîne absorbante, effet de retrait), avec intervalle par "
        "rééchantillonnage des parcours (200 tirages); valeurs de Shapley exactes.",
        "Attribution: heuristic models (first and last touch, linear, U-shaped) and an order-1 Markov model "
        "computed exactly (absorbing chain, removal effect), with an interval from resampling journeys (200 "
        "draws); exact Shapley values."),
    "method_budget": (
        "Budget : repères tirés des campagnes passées de même objectif et canal; courbes de réponse (saturation "
        "de Hill) ajustées par moindres carrés sur les séries hebdomadaires passées, intervalles par "
        "rééchantillonnage par blocs.",
        "Budget: benchmarks from past campaigns of the same objective and channel; response curves (Hill "
        "saturation) fitted by least squares on past weekly series, block-bootstrap intervals."),
    "dimension": ("Dimension", "Dimension"),
    "segments_by_objective": ("Segments les plus prometteurs par objectif", "Most promising segments by objective"),
    "segments_by_objective_intro": (
        "Pour chaque objectif, toutes les campagnes passées de cet objectif sont analysées ensemble : chaque "
        "segment est comparé au reste de sa dimension à répartition égale des canaux et des campagnes (modèle de "
        "Poisson ajusté). Un rapport de 1,20 signifie un indicateur principal 20 % plus élevé que le reste.",
        "For each objective, all its past campaigns are analysed together: each segment is compared with the rest "
        "of its dimension at equal channel and campaign mix (adjusted Poisson model). A ratio of 1.20 means a "
        "primary KPI 20% higher than the rest."),
    "segments_by_objective_caption": (
        "Indicateur : {kpi}. {n_out} segment(s) de moins de {threshold} résultats exclu(s) pour la confidentialité.",
        "KPI: {kpi}. {n_out} segment(s) with fewer than {threshold} outcomes left out for privacy."),
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
