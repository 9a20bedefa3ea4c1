"""Media planning: a constrained budget optimizer and the scoring of agency plans.

Constraints are data (:class:`Constraints`, or a plain dict with the same keys):

- ``exclude``: channels or outlets to avoid ("avoid these media");
- ``fixed``: channel -> amount in CAD that must be spent exactly;
- ``min_spend`` / ``max_spend``: channel -> CAD;
- ``min_share`` / ``max_share``: key -> share of the budget (0-1), where a key is a
  channel code, an outlet flag group (``community``, ``quebec_owned``, ``web_giant``)
  or a language (``fr``, ``en``, ``other``, also written ``language:fr``);
- ``flags``: the table that says how much of each channel's spend goes to each flag
  group and language, needed for group and language shares and to exclude outlets.
  Either channel-level (columns ``channel`` + any of ``community``, ``quebec_owned``,
  ``web_giant``, ``language_fr``, ``language_en``, ``language_other``, each a share 0-1
  of the channel's spend; see :func:`channel_flags`, which derives it from plan_lines)
  or outlet-level (columns ``channel``, ``outlet``, ``planned_spend`` or ``share``, the
  boolean flags and ``language``), which also allows excluding outlets.

:func:`optimize` checks feasibility first (a linear program) and, on a conflict, raises
:class:`InfeasiblePlan` naming a minimal set of conflicting constraints. All amounts
are CAD; outcomes are in the model's outcome units over a flight of ``weeks`` weeks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linprog, minimize

from .budget import MediaMix, _saturate, fit_media_mix, outcome_label
from .report import fmt
from .results import Result
from .schema import CHANNELS, LANGUAGES, OBJECTIVES, check_lang, close_matches, label

FLAG_GROUPS = ("community", "quebec_owned", "web_giant")
GROUP_LABELS = {"community": ("médias communautaires", "community media"),
                "quebec_owned": ("médias québécois", "Quebec-owned media"),
                "web_giant": ("géants du Web", "web giants")}

# Illustrative channel-level flag shares, used only when no plan_lines / flags are given
# (e.g. on the synthetic media-mix series). Replace with channel_flags(plan_lines).
DEFAULT_CHANNEL_FLAGS = pd.DataFrame({
    "channel": ["search", "social_meta", "social_other", "online_video", "programmatic_display", "ctv",
                "audio_streaming", "tv", "radio", "print", "ooh", "cinema"],
    "community": [0.0, 0.0, 0.0, 0.0, 0.10, 0.0, 0.0, 0.05, 0.30, 0.50, 0.10, 0.0],
    "quebec_owned": [0.0, 0.0, 0.0, 0.20, 0.40, 0.50, 0.30, 0.90, 0.90, 0.95, 0.80, 0.60],
    "web_giant": [1.0, 1.0, 0.80, 0.70, 0.30, 0.30, 0.50, 0.0, 0.0, 0.0, 0.0, 0.0],
    "language_fr": [0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85],
    "language_en": [0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.15],
})


class InfeasiblePlan(ValueError):
    """The constraints cannot all hold. ``.conflicts`` names a minimal conflicting set
    (English), ``.conflicts_fr`` the same in French, ``.message_fr`` the French message."""

    def __init__(self, conflicts, conflicts_fr, budget):
        self.conflicts = list(conflicts)
        self.conflicts_fr = list(conflicts_fr)
        self.message_fr = ("Contraintes incompatibles : " + " ; ".join(self.conflicts_fr)
                           + f" (budget {fmt.money(budget, 'fr', 0)}). Assouplissez ou retirez l'une d'elles.")
        super().__init__("These constraints cannot all hold together: " + "; ".join(self.conflicts)
                         + f" (budget {fmt.money(budget, 'en', 0)}). Relax or remove one of them.")


@dataclass
class Constraints:
    """A media plan's constraints, as data (see the module docstring for each key)."""

    exclude: list = field(default_factory=list)
    fixed: dict = field(default_factory=dict)
    min_spend: dict = field(default_factory=dict)
    max_spend: dict = field(default_factory=dict)
    min_share: dict = field(default_factory=dict)
    max_share: dict = field(default_factory=dict)
    flags: pd.DataFrame | None = None

    def __post_init__(self):
        if isinstance(self.exclude, str):
            self.exclude = [self.exclude]
        problems = []
        for name in ("fixed", "min_spend", "max_spend"):
            for k, v in dict(getattr(self, name)).items():
                if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                        or not math.isfinite(float(v)) or float(v) < 0:
                    problems.append(f"{name}[{k!r}] = {v!r} (an amount in CAD >= 0)")
        for name in ("min_share", "max_share"):
            for k, v in dict(getattr(self, name)).items():
                if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                        or not 0 <= float(v) <= 1:
                    problems.append(f"{name}[{k!r}] = {v!r} (a share between 0 and 1)")
        if problems:
            raise ValueError("Invalid constraints: " + "; ".join(problems) + ".")

    @classmethod
    def from_dict(cls, spec) -> "Constraints":
        """Build from a dict (JSON-friendly) with the same keys; unknown keys are an error."""
        if spec is None:
            return cls()
        if isinstance(spec, Constraints):
            return spec
        unknown = set(spec) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise KeyError(f"Unknown constraint keys {sorted(unknown)}; use: "
                           + ", ".join(cls.__dataclass_fields__) + ".")
        # a single medium given as text is one item, not a list of characters
        return cls(**{k: (([v] if isinstance(v, str) else list(v)) if k == "exclude" else v)
                      for k, v in spec.items()})

    def to_dict(self) -> dict:
        """Return the constraints as a JSON-friendly dict (without the flags table)."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "flags"}

    def is_empty(self) -> bool:
        """True when no constraint is set (flags alone constrain nothing)."""
        return not any(getattr(self, k) for k in self.__dataclass_fields__ if k != "flags")


def channel_flags(plan_lines: pd.DataFrame, exclude_outlets=()) -> pd.DataFrame:
    """Return per channel the share (0-1) of planned spend that is community, Quebec-owned,
    web giant, and in each language (``language_fr``...), from plan_lines (or any
    outlet-level table with channel, outlet, planned_spend or share, flags, language).

    Outlets in ``exclude_outlets`` are dropped first, so shares describe what is left.
    """
    t = plan_lines
    w = "planned_spend" if "planned_spend" in t.columns else "share"
    if w not in t.columns or "channel" not in t.columns:
        raise KeyError("An outlet-level flags table needs 'channel' and 'planned_spend' (or 'share').")
    if exclude_outlets and "outlet" in t.columns:
        t = t[~t["outlet"].isin(list(exclude_outlets))]
    t = t.assign(_w=t[w].astype(float))
    out = t.groupby("channel")["_w"].sum().to_frame("weight")
    for g in FLAG_GROUPS:
        if g in t.columns:
            out[g] = (t["_w"] * t[g].astype(float)).groupby(t["channel"]).sum() / out["weight"]
    if "language" in t.columns:
        for lang in LANGUAGES:
            out[f"language_{lang}"] = (t["_w"] * (t["language"] == lang)).groupby(t["channel"]).sum() / out["weight"]
    return out.drop(columns="weight").fillna(0.0).reset_index()


# ---------------------------------------------------------------------------
# Linear constraint rows
# ---------------------------------------------------------------------------


@dataclass
class _Row:
    name: str
    name_fr: str
    a: np.ndarray
    lo: float
    hi: float
    user: bool = True  # False for the budget and "not modelled" rows


def _group_key(key: str):
    """Return ('channel'|'group'|'language', code) for a share key."""
    if key in CHANNELS:
        return "channel", key
    if key in FLAG_GROUPS:
        return "group", key
    k = key.split(":", 1)[1] if key.startswith("language:") else key
    k = k[len("language_"):] if k.startswith("language_") else k
    if k in LANGUAGES:
        return "language", k
    hint = close_matches(key, [*CHANNELS, *FLAG_GROUPS, *LANGUAGES])
    raise KeyError(f"Unknown share key {key!r}: use a channel code, a flag group ({', '.join(FLAG_GROUPS)}) "
                   f"or a language ({', '.join(LANGUAGES)})." + (f" Close matches: {', '.join(hint)}." if hint else ""))


def _flag_matrix(cons: Constraints, channels, excluded_outlets) -> pd.DataFrame | None:
    f = cons.flags
    if f is None:
        return None
    if "outlet" in f.columns:
        f = channel_flags(f, excluded_outlets)
    f = f.set_index("channel")
    return f.reindex(channels).fillna(0.0)


def _money(x: float, lang: str, decimals: int = 0) -> str:
    """Fast whole-dollar formatting for constraint names (same output as report.fmt.money)."""
    txt = f"{x:,.0f}"
    return f"${txt}" if lang == "en" else txt.replace(",", "\u00a0") + "\u00a0$"


def _pct(x: float, lang: str) -> str:
    """Fast one-decimal percent for constraint names (same output as report.fmt.percent)."""
    return f"{100 * x:.1f}%" if lang == "en" else f"{100 * x:.1f}".replace(".", ",") + "\u00a0%"


def _rows(model: MediaMix, cons: Constraints, budget: float, user: bool = True) -> list[_Row]:
    """Translate constraints into named linear rows lo <= a @ x <= hi (x in CAD)."""
    ch = model.channels
    C = len(ch)
    idx = {c: i for i, c in enumerate(ch)}
    e = np.eye(C)
    rows = [_Row(f"total budget = {_money(budget, 'en', 0)}", f"budget total = {_money(budget, 'fr', 0)}",
                 np.ones(C), budget, budget, user=False)]
    for c in ch:
        if not model.identifiable[c]:
            rows.append(_Row(f"{c} is not modelled (its spend never varied)",
                             f"{label('channel', c, 'fr')} n'est pas modélisé (dépenses constantes)",
                             e[idx[c]], 0.0, 0.0, user=False))
    if not user:
        return rows

    def chan(c, what):
        if c not in idx:
            hint = close_matches(str(c), ch)
            raise KeyError(f"{what}: channel {c!r} is not in the model (channels: {', '.join(ch)})."
                           + (f" Close matches: {', '.join(hint)}." if hint else ""))
        return idx[c]

    outlets = set()
    if cons.flags is not None and "outlet" in cons.flags.columns:
        outlets = set(cons.flags["outlet"].astype(str))
    excl_outlets = []
    for item in cons.exclude:
        if item in idx or item in CHANNELS:
            if item in idx:
                rows.append(_Row(f"exclude {item}", f"exclure {label('channel', item, 'fr')}", e[idx[item]], 0.0, 0.0))
        elif item in outlets:
            excl_outlets.append(item)
        else:
            raise KeyError(f"Cannot exclude {item!r}: it is neither a channel ({', '.join(ch)}) nor an outlet of the "
                           "flags table (pass an outlet-level flags table, e.g. plan_lines, to exclude outlets).")
    F = _flag_matrix(cons, ch, excl_outlets)
    if excl_outlets:
        left = channel_flags(cons.flags, excl_outlets)["channel"].tolist()
        for c in ch:
            had = c in set(cons.flags["channel"])
            if had and c not in left:
                rows.append(_Row(f"exclude outlets {', '.join(excl_outlets)} (all of {c})",
                                 f"exclure {', '.join(excl_outlets)} (tout {label('channel', c, 'fr')})",
                                 e[idx[c]], 0.0, 0.0))
    for c, v in cons.fixed.items():
        i = chan(c, "fixed")
        rows.append(_Row(f"fixed {c} = {_money(v, 'en', 0)}", f"{label('channel', c, 'fr')} fixé à {_money(v, 'fr', 0)}",
                         e[i], float(v), float(v)))
    for c, v in cons.min_spend.items():
        i = chan(c, "min_spend")
        rows.append(_Row(f"minimum {c} >= {_money(v, 'en', 0)}",
                         f"minimum {label('channel', c, 'fr')} >= {_money(v, 'fr', 0)}", e[i], float(v), np.inf))
    for c, v in cons.max_spend.items():
        i = chan(c, "max_spend")
        rows.append(_Row(f"maximum {c} <= {_money(v, 'en', 0)}",
                         f"maximum {label('channel', c, 'fr')} <= {_money(v, 'fr', 0)}", e[i], 0.0, float(v)))
    for sense, spec in (("min", cons.min_share), ("max", cons.max_share)):
        for key, share in spec.items():
            share = float(share)
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"{sense}_share[{key!r}] = {share} is not a share between 0 and 1 (4 % is 0.04).")
            kind, code = _group_key(key)
            if kind == "channel":
                if code not in idx:
                    if sense == "max":
                        continue  # a cap on a channel the model does not have is met
                    chan(code, f"min_share {key}")
                a = e[idx[code]]
                en, fr_ = code, label("channel", code, "fr")
            else:
                col = code if kind == "group" else f"language_{code}"
                if F is None or col not in F.columns:
                    raise KeyError(f"{sense}_share[{key!r}] needs the share of each channel's spend that is {col}: "
                                   "pass constraints flags= (planning.channel_flags(plan_lines), or "
                                   "planning.DEFAULT_CHANNEL_FLAGS as an illustration).")
                a = F[col].to_numpy(float)
                en = code if kind == "group" else f"{code} language"
                fr_ = GROUP_LABELS[code][0] if kind == "group" else f"langue {label('language', code, 'fr')}"
            lo, hi = (share * budget, np.inf) if sense == "min" else (0.0, share * budget)
            op = ">=" if sense == "min" else "<="
            rows.append(_Row(f"{sense} share {en} {op} {_pct(share, 'en')}",
                             f"part {'minimale' if sense == 'min' else 'maximale'} {fr_} {op} {_pct(share, 'fr')}",
                             a, lo, hi))
    return rows


def _lp(rows: list[_Row], C: int, c_obj=None):
    A_ub, b_ub, A_eq, b_eq = [], [], [], []
    for r in rows:
        if r.lo == r.hi:
            A_eq.append(r.a); b_eq.append(r.lo)
            continue
        if np.isfinite(r.hi):
            A_ub.append(r.a); b_ub.append(r.hi)
        if np.isfinite(r.lo) and r.lo > 0:
            A_ub.append(-r.a); b_ub.append(-r.lo)
    res = linprog(np.zeros(C) if c_obj is None else c_obj,
                  A_ub=np.array(A_ub) if A_ub else None, b_ub=np.array(b_ub) if b_ub else None,
                  A_eq=np.array(A_eq) if A_eq else None, b_eq=np.array(b_eq) if b_eq else None,
                  bounds=[(0, None)] * C, method="highs")
    return res


def check_feasible(rows: list[_Row], C: int, budget: float) -> np.ndarray:
    """Return a feasible allocation or raise :class:`InfeasiblePlan` naming a minimal
    conflicting set of constraints (deletion filter over the linear program)."""
    res = _lp(rows, C)
    if res.status == 0:
        return res.x
    conflict = list(rows)
    for r in list(rows):
        trial = [q for q in conflict if q is not r]
        if _lp(trial, C).status != 0:
            conflict = trial
    raise InfeasiblePlan([r.name for r in conflict], [r.name_fr for r in conflict], budget)


def _solve(model: MediaMix, rows: list[_Row], budget: float, weeks: int, rng, n_starts: int, x_extra=()):
    """Maximize the model's outcome under the rows (multi-start SLSQP from LP vertices)."""
    C = len(model.channels)
    p = model._point.copy()
    ok = ~np.isnan(p).any(axis=1)
    K, s, beta = np.where(ok, p[:, 1], 1.0), np.where(ok, p[:, 2], 1.0), np.where(ok, p[:, 3], 0.0)
    sat = model.saturation
    scale = budget

    # concave envelope of each S-shaped Hill curve: linear from 0 to the tangent point
    # w* = K (s - 1)^(1/s), where S(w*) / w* = S'(w*); the relaxed problem is concave, so
    # its optimum is global and a good start for the true (non-concave) problem
    wstar = np.where((sat == "hill") & (s > 1), K * np.clip(s - 1, 1e-12, None) ** (1 / s), 0.0)
    Sstar = _saturate(wstar, K, s, sat)
    slope = np.where(wstar > 0, Sstar / np.where(wstar > 0, wstar, 1.0), 0.0)

    def dS(w):
        w = np.maximum(w, 1e-12)
        S = _saturate(w, K, s, sat)
        return s * S * (1 - S) / w if sat == "hill" else (1 - S ** 2) / (2 * K)

    def f(x, relaxed=False):  # x in budget units
        w = x * scale / weeks
        S = _saturate(w, K, s, sat)
        if relaxed:
            S = np.where(w < wstar, slope * w, S)
        return weeks * beta * S

    def grad(x, relaxed=False):
        w = x * scale / weeks
        d = dS(w)
        if relaxed:
            d = np.where(w < wstar, slope, d)
        return beta * d * scale

    ref = max(float(f(np.full(C, 1.0 / C)).sum()), 1e-9)
    A = np.array([r.a for r in rows])
    lo = np.array([r.lo for r in rows]) / scale
    hi = np.array([r.hi for r in rows]) / scale
    eq = lo == hi
    cons = []
    if eq.any():
        cons.append({"type": "eq", "fun": lambda x: A[eq] @ x - lo[eq], "jac": lambda x: A[eq]})
    fin_hi = ~eq & np.isfinite(hi)
    fin_lo = ~eq & np.isfinite(lo) & (lo > 0)
    if fin_hi.any():
        cons.append({"type": "ineq", "fun": lambda x: hi[fin_hi] - A[fin_hi] @ x, "jac": lambda x: -A[fin_hi]})
    if fin_lo.any():
        cons.append({"type": "ineq", "fun": lambda x: A[fin_lo] @ x - lo[fin_lo], "jac": lambda x: A[fin_lo]})

    def run(x0, relaxed=False):
        return minimize(lambda x: -f(x, relaxed).sum() / ref, x0, jac=lambda x: -grad(x, relaxed) / ref,
                        method="SLSQP", bounds=[(0, 1)] * C, constraints=cons,
                        options={"maxiter": 300, "ftol": 1e-12}).x

    feas = check_feasible(rows, C, budget) / scale
    relaxed = run(feas, relaxed=True)
    starts = [feas, relaxed, np.full(C, 1.0 / C)]
    starts += list(rng.dirichlet(np.ones(C), size=n_starts))
    r = _lp(rows, C, c_obj=-grad(np.full(C, 1.0 / C)))
    if r.status == 0:
        starts.append(r.x / scale)
    starts += [np.asarray(x, float) / scale for x in x_extra]
    obj = lambda x: -f(x).sum()  # noqa: E731

    def viol(x):
        v = A @ x
        return max(0.0, float(np.max(np.concatenate([lo - v, v - hi, -x]))))

    best = None
    for x0 in starts:
        for x in (run(x0), x0):
            x = np.clip(x, 0, None)
            if viol(x) < 1e-7 and (best is None or obj(x) < obj(best)):
                best = x
    return best * scale, float(f(best).sum())


def _active(rows, x, budget):
    tol = 1e-6 * budget + 1e-6
    out = []
    for r in rows:
        if not r.user:
            continue
        v = float(r.a @ x)
        if abs(v - r.lo) <= tol or (np.isfinite(r.hi) and abs(v - r.hi) <= tol):
            out.append(r)
    return out


class PlanResult(Result):
    """An optimized media plan beside the unconstrained optimum.

    ``.table``: channel, amount (CAD), share, outcome with ci_low/ci_high (outcome units
    over the flight), unconstrained_amount and unconstrained_outcome. ``.total`` and
    ``.unconstrained_total``: dicts outcome, ci_low, ci_high. ``.binding``: each constraint
    that is active at the plan or broken by the unconstrained optimum, with ``cost`` =
    outcome lost because of it (re-optimizing without it, others kept).
    """

    def summary(self, lang: str = "fr") -> str:
        check_lang(lang)
        unit = outcome_label(self.params["kpi_col"], lang)
        t, tot, un = self.table, self.total, self.unconstrained_total
        top = t.sort_values("amount", ascending=False).head(3)
        names = ", ".join(f"{label('channel', r.channel, lang)} ({fmt.percent(r.share, lang, 0)})"
                          for r in top.itertuples() if r.amount > 0)
        gap = un["outcome"] - tot["outcome"]
        ci = fmt.percent(self.params["ci"], lang, 0)
        if lang == "fr":
            s = (f"Avec {fmt.money(self.params['budget'], 'fr', 0)} sur {self.params['weeks']} semaines, le plan proposé "
                 f"rapporterait environ {fmt.number(tot['outcome'])} {unit} (IC {ci} : {fmt.number(tot['ci_low'])} à "
                 f"{fmt.number(tot['ci_high'])}). Principaux canaux : {names}. ")
            s += (f"Sans contraintes, on obtiendrait {fmt.number(un['outcome'])} {unit}, soit {fmt.number(gap)} de plus. "
                  if gap > 0.0005 * max(un["outcome"], 1) else "Les contraintes ne coûtent rien en résultat. ")
            for r in self.binding.itertuples():
                s += f"La contrainte « {r.constraint_fr} » coûte environ {fmt.number(r.cost)} {unit}. "
            return s.strip()
        s = (f"With {fmt.money(self.params['budget'], 'en', 0)} over {self.params['weeks']} weeks, the proposed plan would "
             f"bring about {fmt.number(tot['outcome'], 'en')} {unit} ({ci} CI: {fmt.number(tot['ci_low'], 'en')} to "
             f"{fmt.number(tot['ci_high'], 'en')}). Main channels: {names}. ")
        s += (f"Without constraints it would bring {fmt.number(un['outcome'], 'en')} {unit}, {fmt.number(gap, 'en')} more. "
              if gap > 0.0005 * max(un["outcome"], 1) else "The constraints cost nothing in outcome. ")
        for r in self.binding.itertuples():
            s += f"The constraint \"{r.constraint}\" costs about {fmt.number(r.cost, 'en')} {unit}. "
        return s.strip()

    def plot(self, ax=None, lang: str = "fr"):
        """Grouped bars: amount per channel in the plan and in the unconstrained optimum."""
        import matplotlib.pyplot as plt

        from .report.theme import apply_theme

        apply_theme()
        t = self.table
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 0.45 * len(t) + 1.5))
        y = np.arange(len(t))
        ax.barh(y - 0.2, t["amount"], height=0.4, label="Plan" if lang == "fr" else "Plan", color="#1f5fa8")
        ax.barh(y + 0.2, t["unconstrained_amount"], height=0.4, color="#e07b39",
                label="Sans contraintes" if lang == "fr" else "Unconstrained")
        ax.set_yticks(y)
        ax.set_yticklabels([label("channel", c, lang) for c in t["channel"]])
        ax.invert_yaxis()
        ax.set_xlabel("Montant ($)" if lang == "fr" else "Amount ($)")
        ax.legend()
        return ax


def _pick_model(model, objective):
    if isinstance(model, dict):
        if objective not in model:
            raise KeyError(f"No model for objective {objective!r}; models exist for: {', '.join(model)}.")
        return model[objective]
    if objective is not None and objective not in OBJECTIVES:
        raise ValueError(f"Unknown objective {objective!r}; use one of {', '.join(OBJECTIVES)}.")
    if objective is not None and model.objective is not None and model.objective != objective:
        raise ValueError(f"The model was fitted for objective {model.objective!r}, not {objective!r}: "
                         "fit a model on the outcome of that objective.")
    return model


def optimize(model, budget: float, objective: str | None = None, constraints=None, *, weeks: int = 8,
             seed: int = 0, n_starts: int = 8) -> PlanResult:
    """Allocate ``budget`` (CAD, spread evenly over ``weeks`` weeks) across the model's
    channels to maximize the expected outcome, under ``constraints`` (:class:`Constraints`
    or dict). Feasibility is checked first; a conflict raises :class:`InfeasiblePlan`
    naming the constraints involved. Returns a :class:`PlanResult`.
    """
    model = _pick_model(model, objective)
    if isinstance(budget, np.integer | np.floating):
        budget = float(budget)
    if not (isinstance(budget, (int, float)) and not isinstance(budget, bool) and math.isfinite(budget)
            and budget > 0):
        raise ValueError(f"budget must be a positive amount in CAD, not {budget!r}.")
    cons = Constraints.from_dict(constraints)
    rng = np.random.default_rng(seed)
    C = len(model.channels)
    rows = _rows(model, cons, float(budget))
    check_feasible(rows, C, float(budget))
    base_rows = _rows(model, cons, float(budget), user=False)
    x_un, v_un = _solve(model, base_rows, budget, weeks, rng, n_starts)
    x, v = _solve(model, rows, budget, weeks, rng, n_starts)
    binding = []
    # a constraint costs something if it is active at the plan or if the unconstrained
    # optimum breaks it (with S-shaped curves a forced entry can end above the minimum)
    tol = 1e-6 * budget
    candidates = _active(rows, x, budget)
    candidates += [r for r in rows if r.user and all(r is not q for q in candidates)
                   and not (r.lo - tol <= float(r.a @ x_un) <= r.hi + tol)]
    for r in candidates:
        others = [q for q in rows if q is not r]
        _, v2 = _solve(model, others, budget, weeks, rng, 2, x_extra=[x, x_un])
        binding.append({"constraint": r.name, "constraint_fr": r.name_fr, "cost": max(0.0, v2 - v),
                        "cost_share": max(0.0, v2 - v) / v2 if v2 > 0 else np.nan})
    binding = pd.DataFrame(binding, columns=["constraint", "constraint_fr", "cost", "cost_share"])
    pr = model.predict(dict(zip(model.channels, x)), weeks=weeks).iloc[:-1]
    pu = model.predict(dict(zip(model.channels, x_un)), weeks=weeks)
    table = pd.DataFrame({"channel": model.channels, "amount": x, "share": x / budget,
                          "outcome": pr["outcome"].to_numpy(), "ci_low": pr["ci_low"].to_numpy(),
                          "ci_high": pr["ci_high"].to_numpy(), "unconstrained_amount": x_un,
                          "unconstrained_outcome": pu["outcome"].to_numpy()[:-1]})
    tot = model.predict(dict(zip(model.channels, x)), weeks=weeks).iloc[-1]
    params = {"budget": float(budget), "objective": objective or model.objective, "weeks": weeks,
              "constraints": cons.to_dict(), "seed": seed, "kpi_col": model.kpi_col, "ci": model.ci}
    res = PlanResult(table, method=f"Constrained plan: multi-start SLSQP on the fitted response curves, "
                     f"{weeks}-week flight, {len(rows) - len(base_rows)} constraints",
                     params=params, estimate_col="amount", label_col="channel")
    res.total = {"outcome": float(v), "ci_low": float(tot["ci_low"]), "ci_high": float(tot["ci_high"])}
    res.unconstrained_total = {"outcome": float(v_un), "ci_low": float(pu.iloc[-1]["ci_low"]),
                               "ci_high": float(pu.iloc[-1]["ci_high"])}
    res.binding = binding
    res.constraints = cons
    return res


# ---------------------------------------------------------------------------
# Comparing plans
# ---------------------------------------------------------------------------


def _plan_amounts(plan) -> dict:
    """Return a plan as {channel: CAD}; refuse negative, missing or infinite amounts."""
    if isinstance(plan, PlanResult):
        amounts = dict(zip(plan.table["channel"], plan.table["amount"]))
    elif isinstance(plan, pd.DataFrame):
        if not {"channel", "spend"} <= set(plan.columns):
            raise KeyError("A plan table needs columns 'channel' and 'spend' (CAD); ingest.read_plan() builds one from a file.")
        spend = pd.to_numeric(plan["spend"], errors="coerce")
        _check_amounts(dict(zip(plan["channel"].astype(str), spend)))
        amounts = spend.groupby(plan["channel"]).sum().astype(float).to_dict()
    elif isinstance(plan, (dict, pd.Series)):
        amounts = {k: pd.to_numeric(v, errors="coerce") for k, v in dict(plan).items()}
    else:
        raise TypeError(f"A plan is a DataFrame (channel, spend), a dict channel -> CAD or a PlanResult, not {type(plan)}.")
    _check_amounts(amounts)
    return {k: float(v) for k, v in amounts.items()}


def _check_amounts(amounts: dict) -> None:
    bad = {k: v for k, v in amounts.items() if not (pd.notna(v) and math.isfinite(float(v)) and float(v) >= 0)}
    if bad:
        raise ValueError(f"A plan has amounts that are missing, negative or infinite: {bad}. Every amount must be a "
                         "number of CAD >= 0; fix the plan file or table.")


class Comparison(Result):
    """Plans scored with one model; ``summary`` gives each plan's verdict."""

    def summary(self, lang: str = "fr") -> str:
        check_lang(lang)
        return " ".join(self.table[f"verdict_{lang}"])


def compare(model, plans, *, constraints=None, weeks: int = 8, objective: str | None = None) -> Comparison:
    """Score any number of plans with the same model.

    ``plans``: dict name -> plan (DataFrame channel, spend; dict; or PlanResult). Returns a
    :class:`Comparison` whose table has, per plan: ``budget`` (CAD), ``outcome`` with
    ``ci_low``/``ci_high`` (outcome units over ``weeks`` weeks), ``cost_per_outcome``
    (CAD), ``violations`` (names of the ``constraints`` it breaks, shares measured on its
    own budget), ``past_saturation`` (CAD placed beyond 90 % of a channel's maximum
    effect), ``not_modelled`` (CAD in channels the model cannot value) and a plain-language
    ``verdict_fr`` / ``verdict_en``.
    """
    model = _pick_model(model, objective)
    if isinstance(plans, (pd.DataFrame, PlanResult)):
        plans = {"plan": plans}
    if not plans:
        raise ValueError("No plan to compare: pass a dict name -> plan.")
    cons = Constraints.from_dict(constraints)
    sat_at = model.saturation_spend(weeks)
    unit_fr, unit_en = outcome_label(model.kpi_col, "fr"), outcome_label(model.kpi_col, "en")
    rows = []
    for name, plan in plans.items():
        amounts = _plan_amounts(plan)
        known = {c: v for c, v in amounts.items() if c in model.channels}
        unknown = {c: v for c, v in amounts.items() if c not in model.channels}
        bad = [c for c in unknown if c not in CHANNELS]
        if bad:
            raise KeyError(f"Plan {name!r}: unknown channels {bad}; valid codes: {', '.join(CHANNELS)}.")
        total = float(sum(amounts.values()))
        if total <= 0:
            raise ValueError(f"Plan {name!r} spends nothing.")
        pred = model.predict(known, weeks=weeks)
        not_mod = sum(unknown.values()) + float(pred.loc[~pred["modelled"], "spend"].sum())
        vec = np.array([known.get(c, 0.0) for c in model.channels])
        past = float(np.nansum(np.clip(vec - sat_at, 0, None)))
        past_ch = [model.channels[i] for i in np.flatnonzero(np.nan_to_num(vec - sat_at) > 0)]
        viol, viol_fr = [], []
        if not cons.is_empty():
            for r in _rows(model, cons, total):
                if not r.user:
                    continue
                v = float(r.a @ vec)
                tol = 1e-6 * total
                if v < r.lo - tol or v > r.hi + tol:
                    viol.append(r.name)
                    viol_fr.append(r.name_fr)
            for c in cons.exclude:
                if c in unknown and unknown[c] > 0:
                    viol.append(f"exclude {c}")
                    viol_fr.append(f"exclure {label('channel', c, 'fr')}")
        tot = pred.iloc[-1]
        rows.append({"plan": str(name), "budget": total, "outcome": float(tot["outcome"]),
                     "ci_low": float(tot["ci_low"]), "ci_high": float(tot["ci_high"]),
                     "cost_per_outcome": total / tot["outcome"] if tot["outcome"] > 0 else np.nan,
                     "violations": "; ".join(viol), "violations_fr": "; ".join(viol_fr),
                     "n_violations": len(viol), "past_saturation": past,
                     "past_saturation_channels": ", ".join(past_ch), "not_modelled": not_mod})
    t = pd.DataFrame(rows)
    best = t.loc[t["cost_per_outcome"].idxmin()]
    vfr, ven = [], []
    for r in t.itertuples():
        ratio = r.cost_per_outcome / best["cost_per_outcome"] - 1
        same = r.plan == best["plan"]
        overlap = r.ci_high >= best["ci_low"] and r.ci_low <= best["ci_high"]
        fr = (f"{r.plan} : environ {fmt.number(r.outcome)} {unit_fr} (IC : {fmt.number(r.ci_low)} à "
              f"{fmt.number(r.ci_high)}) pour {fmt.money(r.budget, 'fr', 0)}, soit {fmt.money(r.cost_per_outcome)} par unité. ")
        en = (f"{r.plan}: about {fmt.number(r.outcome, 'en')} {unit_en} (CI: {fmt.number(r.ci_low, 'en')} to "
              f"{fmt.number(r.ci_high, 'en')}) for {fmt.money(r.budget, 'en', 0)}, i.e. {fmt.money(r.cost_per_outcome, 'en')} each. ")
        if same:
            fr += "C'est le plan le plus efficace. "
            en += "This is the most efficient plan. "
        else:
            fr += f"Coût par unité {fmt.percent(ratio, 'fr', 0)} plus élevé que {best['plan']}"
            en += f"Cost per unit {fmt.percent(ratio, 'en', 0)} higher than {best['plan']}"
            fr += " (écart dans la marge d'incertitude). " if overlap else ". "
            en += " (within the uncertainty). " if overlap else ". "
        if r.past_saturation > 0:
            fr += f"{fmt.money(r.past_saturation, 'fr', 0)} sont placés au-delà de la saturation ({r.past_saturation_channels}). "
            en += f"{fmt.money(r.past_saturation, 'en', 0)} is placed past saturation ({r.past_saturation_channels}). "
        if r.n_violations:
            fr += f"Contraintes non respectées : {r.violations_fr}. "
            en += f"Constraints broken: {r.violations}. "
        if r.not_modelled > 0:
            fr += f"{fmt.money(r.not_modelled, 'fr', 0)} vont à des canaux que le modèle ne peut pas évaluer. "
            en += f"{fmt.money(r.not_modelled, 'en', 0)} goes to channels the model cannot value. "
        vfr.append(fr.strip())
        ven.append(en.strip())
    t["verdict_fr"], t["verdict_en"] = vfr, ven
    return Comparison(t, method=f"Plans scored with one model ({model.kpi_col}, {weeks}-week flight)",
                      params={"weeks": weeks, "constraints": cons.to_dict()},
                      estimate_col="outcome", label_col="plan")


# ---------------------------------------------------------------------------
# Notebook / CLI entry points
# ---------------------------------------------------------------------------


@dataclass
class PlanReport:
    """What the media-plan notebook lays out: model, plan, comparison and notes."""

    model: MediaMix
    plan: PlanResult
    comparison: Comparison | None
    notes: list
    lang: str = "fr"

    def plan_table(self) -> pd.DataFrame:
        """The plan formatted for a report (French headers by default)."""
        return format_plan(self.plan, self.lang)

    def comparison_table(self) -> pd.DataFrame | None:
        """The comparison formatted for a report, or None without plans to compare."""
        return None if self.comparison is None else format_comparison(self.comparison, self.lang)

    def binding_table(self) -> pd.DataFrame:
        """Binding constraints and what each costs, formatted."""
        fr = self.lang == "fr"
        b = self.plan.binding
        return pd.DataFrame({("Contrainte" if fr else "Constraint"): b["constraint_fr" if fr else "constraint"],
                             ("Coût en résultat" if fr else "Cost in outcome"): [fmt.number(v, self.lang) for v in b["cost"]],
                             ("Part du résultat" if fr else "Share of outcome"): [fmt.percent(v, self.lang) for v in b["cost_share"]]})


TEXTS = {
    "title": ("Plan média proposé", "Proposed media plan"),
    "plan": ("Répartition du budget", "Budget allocation"),
    "plan_chart": ("Montant par canal : plan sous contraintes et optimum sans contraintes",
                   "Amount per channel: constrained plan and unconstrained optimum"),
    "plan_alt": ("Barres horizontales des montants par canal, plan et optimum sans contraintes",
                 "Horizontal bars of the amount per channel, plan and unconstrained optimum"),
    "binding": ("Ce que coûtent les contraintes", "What the constraints cost"),
    "no_binding": ("Aucune contrainte ne limite le plan.", "No constraint limits the plan."),
    "curves": ("Courbes de réponse par canal (point : dépense actuelle)",
               "Response curves per channel (dot: current spend)"),
    "curves_alt": ("Courbes du résultat hebdomadaire selon la dépense hebdomadaire, une par canal",
                   "Weekly outcome against weekly spend, one curve per channel"),
    "next": ("Le prochain dollar", "The next dollar"),
    "comparison": ("Comparaison des plans", "Plan comparison"),
    "method": ("Méthode", "Method"),
}


def text(key: str, lang: str = "fr") -> str:
    """Return a heading of the media-plan report in French (default) or English."""
    return TEXTS[key][0 if check_lang(lang) == "fr" else 1]


def methodology(rep: "PlanReport") -> str:
    """Return the methodology paragraph of the media-plan report (plain text)."""
    m, p = rep.model, rep.plan.params
    if rep.lang == "fr":
        s = (f"Modèle : {m.method}. Plan : maximisation du résultat attendu sur {p['weeks']} semaines, dépenses "
             "réparties également, contraintes vérifiées d'abord (programme linéaire), puis optimisation à départs "
             "multiples sur l'enveloppe concave des courbes et sur les courbes elles-mêmes. Intervalles : "
             "rééchantillonnage par blocs des résidus. « Au-delà de la saturation » : montant dépassant 90 % de "
             "l'effet maximal d'un canal.")
    else:
        s = (f"Model: {m.method}. Plan: expected outcome maximized over {p['weeks']} weeks with even spend; "
             "constraints checked first (linear program), then multi-start optimization on the concave envelope "
             "of the curves and on the curves themselves. Intervals: block bootstrap of residuals. "
             "\"Past saturation\": money beyond 90% of a channel's maximum effect.")
    return " ".join([s, *rep.notes])


def format_plan(plan: PlanResult, lang: str = "fr") -> pd.DataFrame:
    """Return the plan table with labels and fr-CA / en-CA formatted numbers."""
    check_lang(lang)
    fr = lang == "fr"
    t = plan.table
    return pd.DataFrame({
        ("Canal" if fr else "Channel"): [label("channel", c, lang) for c in t["channel"]],
        ("Montant" if fr else "Amount"): [fmt.money(v, lang, 0) for v in t["amount"]],
        ("Part" if fr else "Share"): [fmt.percent(v, lang) for v in t["share"]],
        ("Résultat attendu" if fr else "Expected outcome"): [fmt.number(v, lang) for v in t["outcome"]],
        ("Intervalle" if fr else "Interval"): [f"{fmt.number(a, lang)} – {fmt.number(b, lang)}"
                                               for a, b in zip(t["ci_low"], t["ci_high"])],
        ("Montant sans contraintes" if fr else "Unconstrained amount"):
            [fmt.money(v, lang, 0) for v in t["unconstrained_amount"]],
    })


def format_comparison(comp: Comparison, lang: str = "fr") -> pd.DataFrame:
    """Return the comparison table with fr-CA / en-CA formatted numbers and the verdict."""
    check_lang(lang)
    fr = lang == "fr"
    t = comp.table
    return pd.DataFrame({
        "Plan": t["plan"],
        ("Budget" if fr else "Budget"): [fmt.money(v, lang, 0) for v in t["budget"]],
        ("Résultat attendu" if fr else "Expected outcome"): [fmt.number(v, lang) for v in t["outcome"]],
        ("Intervalle" if fr else "Interval"): [f"{fmt.number(a, lang)} – {fmt.number(b, lang)}"
                                               for a, b in zip(t["ci_low"], t["ci_high"])],
        ("Coût par unité" if fr else "Cost per unit"): [fmt.money(v, lang) for v in t["cost_per_outcome"]],
        ("Au-delà de la saturation" if fr else "Past saturation"): [fmt.money(v, lang, 0) for v in t["past_saturation"]],
        ("Verdict"): t[f"verdict_{lang}"],
    })


def plan_report(objective: str = "awareness", budget: float = 250_000.0, exclude=(), min_share=None,
                max_share=None, compare_path: str = "", lang: str = "fr", seed: int = 0, *,
                data: pd.DataFrame | None = None, flags: pd.DataFrame | None = None, weeks: int = 8,
                n_boot: int = 50, extra_plans: dict | None = None) -> PlanReport:
    """Fit the media mix, optimize the plan and (optionally) compare it with an agency's.

    ``data``: a weekly series (date, ``spend_<channel>`` columns, ``outcome``, optional
    ``holiday``), or a portfolio dict with ``media_mix`` (and ``plan_lines``, from which
    the channel flag shares are derived); default: the shipped synthetic media-mix series
    (:func:`campaign_toolkit.synthetic.media_mix.simulate_media_mix` with its defaults).
    ``flags``: channel flag shares (:func:`channel_flags` of plan_lines); default
    :data:`DEFAULT_CHANNEL_FLAGS` (illustrative, noted in ``notes``). ``compare_path``: an
    agency plan file for :func:`campaign_toolkit.ingest.read_plan` ("" for none).
    """
    check_lang(lang)
    notes = []
    if isinstance(data, dict):  # a portfolio (e.g. synthetic.generate() / synthetic.read())
        if flags is None and data.get("plan_lines") is not None:
            flags = channel_flags(data["plan_lines"])
            notes.append("Parts communautaires / géants du Web par canal : tirées des plans médias passés."
                         if lang == "fr" else "Community / web-giant shares per channel: from past media plans.")
        data = data.get("media_mix")
    if data is None:
        from .synthetic.media_mix import simulate_media_mix

        data, _ = simulate_media_mix()
        notes.append("Données : série média synthétique (156 semaines)." if lang == "fr"
                     else "Data: synthetic media series (156 weeks).")
    if "objective" in data.columns:  # one series per objective (the shipped portfolio, the warehouse)
        series = data[data["objective"] == objective].drop(columns="objective").reset_index(drop=True)
        if series.empty:
            raise ValueError(f"No media-mix series for objective {objective!r}; the data has "
                             f"{sorted(data['objective'].unique())}.")
        data = series
    controls = [c for c in ("holiday",) if c in data.columns]
    model = fit_media_mix(data, control_cols=controls, seed=seed, n_boot=n_boot, objective=objective)
    if flags is None:
        flags = DEFAULT_CHANNEL_FLAGS
        notes.append("Parts communautaires / géants du Web par canal : valeurs indicatives par défaut."
                     if lang == "fr" else "Community / web-giant shares per channel: illustrative defaults.")
    if isinstance(exclude, str):  # "tv,radio" from a command line
        exclude = [e.strip() for e in exclude.split(",") if e.strip()]
    cons = Constraints(exclude=list(exclude or []), min_share=dict(min_share or {}),
                       max_share=dict(max_share or {}), flags=flags)
    plan = optimize(model, float(budget), objective, cons, weeks=weeks, seed=seed)
    comparison = None
    plans = dict(extra_plans or {})
    if compare_path:
        from .ingest import read_plan  # file reading lives in ingest; this is the notebook entry point

        plans["agence" if lang == "fr" else "agency"] = read_plan(compare_path)
    if plans:
        plans = {("plan optimisé" if lang == "fr" else "optimized plan"): plan, **plans}
        comparison = compare(model, plans, constraints=cons, weeks=weeks)
    return PlanReport(model, plan, comparison, notes, lang)


def plan_from_cli(objective: str, budget: float, exclude=(), min_share=None, max_share=None,
                  compare_path: str = "", seed: int = 0, lang: str = "fr", *, data=None):
    """Entry point of ``campaign-toolkit plan``: returns ``(plan_result, comparison_or_None)``.

    ``data``: as for :func:`plan_report` (the CLI passes the warehouse's planning inputs).
    """
    rep = plan_report(objective, budget, exclude, min_share, max_share, compare_path, lang, seed, data=data)
    return rep.plan, rep.comparison


def render_text(plan: PlanResult, comparison: Comparison | None = None, lang: str = "fr") -> str:
    """Return a plain-text rendering of a plan (and comparison) for a terminal."""
    check_lang(lang)
    t = format_plan(plan, lang)
    cols = list(t.columns)
    widths = [max(len(str(c)), *(len(str(v)) for v in t[c])) for c in cols]
    line = lambda vals: "  ".join(str(v).ljust(w) for v, w in zip(vals, widths))  # noqa: E731
    out = [line(cols), line("-" * w for w in widths)] + [line(r) for r in t.itertuples(index=False)]
    out += ["", plan.summary(lang)]
    if comparison is not None:
        out += ["", "Comparaison des plans :" if lang == "fr" else "Plan comparison:"]
        out += [f"- {v}" for v in comparison.table[f"verdict_{lang}"]]
    return "\n".join(out)
