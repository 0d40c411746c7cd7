"""The drugs hpgsim knows: names, aliases, dose units, routes and labelled dose ranges.

This is prescribing metadata (what a prescription may say), not model parameters: the
pharmacokinetic and pharmacodynamic numbers of each agent live in the one parameter table
(:mod:`hpgsim.parameters`).  Each (drug, route) pair has a dosing compartment number ``cmt``
that is stable across releases and is what the NONMEM-style ``CMT`` column refers to.

Dose ranges are the widest single doses found in labels or in the clinical studies the
validation library encodes; a prescription outside them is refused, because the model has not
been checked there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hpgsim.errors import InputError

__all__ = ["DrugInfo", "DoseRoute", "DRUGS", "lookup_drug", "drug_names", "route_for_cmt"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DoseRoute:
    """A route a drug may be given by, with its dosing compartment number."""

    route: str  # PO, SC, IM, IV, transdermal
    cmt: int


_AXIS_LABS = frozenset({"total_testosterone", "free_testosterone", "bioavailable_testosterone", "estradiol", "lh",
                        "fsh", "inhibin_b"})
LOWERED_BY_CLASS: Mapping[str, frozenset[str]] = {
    "aromatase inhibitor": frozenset({"estradiol"}),  # less aromatisation (testosterone rises through the feedback)
    "androgen": frozenset({"lh", "fsh", "inhibin_b"}),  # the steroid feedback suppresses the gonadotropins
    "LH-receptor agonist": frozenset({"lh", "fsh"}),  # hCG's testosterone and estradiol suppress them
    "GnRH agonist": _AXIS_LABS,  # continuous agonist: desensitised gonadotropes after the flare
    "GnRH antagonist": _AXIS_LABS,
}
"""The labs (canonical observable names) a higher dose lowers, by drug class: a titration to one of them
moves a man above the target up the ladder (to every other lab: a man below the target)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DrugInfo:
    """Prescribing metadata of one agent."""

    name: str  # canonical key, used in parameter names (``anastrozole``)
    display: str  # how a prescription prints it
    drug_class: str
    dose_unit: str  # mg, ug or IU: the unit AMT is given in
    routes: tuple[DoseRoute, ...]
    dose_min: float
    dose_max: float
    dose_range_source: str
    aliases: tuple[str, ...] = ()

    @property
    def lowers(self) -> frozenset[str]:
        """The labs a higher dose of this agent lowers (:data:`LOWERED_BY_CLASS`, by its ``drug_class``)."""
        return LOWERED_BY_CLASS.get(self.drug_class, frozenset())

    def route(self, route: str) -> DoseRoute:
        key = _ROUTE_ALIASES.get(route.strip().lower())
        for r in self.routes:
            if r.route == key:
                return r
        allowed = ", ".join(r.route for r in self.routes)
        raise InputError("route", f"'{route}' is not a route for {self.display}; allowed: {allowed}")

    @property
    def default_route(self) -> str:
        return self.routes[0].route


_ROUTE_ALIASES = {
    "po": "PO", "oral": "PO", "orally": "PO", "by mouth": "PO",
    "sc": "SC", "sq": "SC", "subq": "SC", "subcutaneous": "SC", "subcut": "SC",
    "im": "IM", "intramuscular": "IM",
    "iv": "IV", "intravenous": "IV",
    "transdermal": "transdermal", "topical": "transdermal", "td": "transdermal", "gel": "transdermal",
}


DRUGS: tuple[DrugInfo, ...] = (
    DrugInfo(
        name="anastrozole", display="anastrozole", drug_class="aromatase inhibitor", dose_unit="mg",
        routes=(DoseRoute(route="PO", cmt=1),), dose_min=0.125, dose_max=10.0,
        dose_range_source="Arimidex label 1 mg daily; 0.125-10 mg studied in dose-finding (Plourde 1995)",
        aliases=("arimidex",),
    ),
    DrugInfo(
        name="letrozole", display="letrozole", drug_class="aromatase inhibitor", dose_unit="mg",
        routes=(DoseRoute(route="PO", cmt=2),), dose_min=0.1, dose_max=5.0,
        dose_range_source="Femara label 2.5 mg daily; 0.1-5 mg in dose-finding studies",
        aliases=("femara",),
    ),
    DrugInfo(
        name="clomiphene", display="clomiphene citrate", drug_class="SERM (isomer mixture)", dose_unit="mg",
        routes=(DoseRoute(route="PO", cmt=3),), dose_min=12.5, dose_max=150.0,
        dose_range_source="Clomid label 50-150 mg/day; 12.5-50 mg in men (Katz 2012, Helo 2017)",
        aliases=("clomiphene citrate", "clomifene", "clomifene citrate", "clomid", "serophene"),
    ),
    DrugInfo(
        name="enclomiphene", display="enclomiphene citrate", drug_class="SERM", dose_unit="mg",
        routes=(DoseRoute(route="PO", cmt=4),), dose_min=6.25, dose_max=50.0,
        dose_range_source="12.5-50 mg/day in the Repros phase II/III trials (Wiehle 2014, Kaminetsky 2013)",
        aliases=("enclomiphene citrate", "enclomifene", "androxal", "trans-clomiphene"),
    ),
    DrugInfo(
        name="tamoxifen", display="tamoxifen", drug_class="SERM", dose_unit="mg",
        routes=(DoseRoute(route="PO", cmt=5),), dose_min=5.0, dose_max=40.0,
        dose_range_source="Nolvadex label 20-40 mg/day; 10-20 mg/day in male infertility",
        aliases=("tamoxifen citrate", "nolvadex"),
    ),
    DrugInfo(
        name="hcg", display="hCG", drug_class="LH-receptor agonist", dose_unit="IU",
        routes=(DoseRoute(route="SC", cmt=6), DoseRoute(route="IM", cmt=7)), dose_min=100.0, dose_max=10000.0,
        dose_range_source="Pregnyl/Novarel labels 500-10,000 IU; 125-500 IU every other day (Coviello 2005)",
        aliases=("chorionic gonadotropin", "human chorionic gonadotropin", "hcg", "pregnyl", "novarel", "choriogonadotropin"),
    ),
    DrugInfo(
        name="fsh", display="FSH", drug_class="FSH-receptor agonist", dose_unit="IU",
        routes=(DoseRoute(route="SC", cmt=8), DoseRoute(route="IM", cmt=9)), dose_min=37.5, dose_max=450.0,
        dose_range_source="Gonal-f label 150 IU 3x/week in men, up to 300 IU; 450 IU single doses (Anawalt 1996)",
        aliases=("rfsh", "recombinant fsh", "follitropin", "follitropin alfa", "follitropin beta", "gonal-f", "puregon",
                 "follistim", "ufsh"),
    ),
    DrugInfo(
        name="hmg", display="hMG", drug_class="FSH- and LH-receptor agonist", dose_unit="IU",
        routes=(DoseRoute(route="SC", cmt=10), DoseRoute(route="IM", cmt=11)), dose_min=37.5, dose_max=450.0,
        dose_range_source="Menopur label 75 IU FSH + 75 IU LH per vial; men 75-150 IU 3x/week",
        aliases=("menotropins", "menopur", "human menopausal gonadotropin", "pergonal"),
    ),
    DrugInfo(
        name="gonadorelin", display="gonadorelin", drug_class="GnRH", dose_unit="ug",
        routes=(DoseRoute(route="SC", cmt=12), DoseRoute(route="IV", cmt=13)), dose_min=0.5, dose_max=500.0,
        dose_range_source="Lutrepulse pump 1-20 ug per pulse; Factrel 100 ug diagnostic bolus; continuous infusion studies",
        aliases=("gnrh", "lhrh", "factrel", "lutrepulse", "gonadorelin acetate", "gonadorelin hydrochloride"),
    ),
    DrugInfo(
        name="leuprolide", display="leuprolide", drug_class="GnRH agonist", dose_unit="mg",
        routes=(DoseRoute(route="IM", cmt=14), DoseRoute(route="SC", cmt=15)), dose_min=0.5, dose_max=45.0,
        dose_range_source="Lupron Depot 7.5 mg monthly to 45 mg 6-monthly; Eligard SC depots",
        aliases=("leuprorelin", "leuprolide acetate", "lupron", "lupron depot", "eligard"),
    ),
    DrugInfo(
        name="degarelix", display="degarelix", drug_class="GnRH antagonist", dose_unit="mg",
        routes=(DoseRoute(route="SC", cmt=16),), dose_min=20.0, dose_max=320.0,
        dose_range_source="Firmagon label 240 mg loading, 80 mg monthly; 20-320 mg in Tornoe 2007 studies",
        aliases=("firmagon",),
    ),
    DrugInfo(
        name="testosterone_cypionate", display="testosterone cypionate", drug_class="androgen", dose_unit="mg",
        routes=(DoseRoute(route="IM", cmt=17), DoseRoute(route="SC", cmt=18)), dose_min=10.0, dose_max=400.0,
        dose_range_source="Depo-Testosterone label 50-400 mg every 2-4 weeks",
        aliases=("depo-testosterone", "t cypionate", "tc"),
    ),
    DrugInfo(
        name="testosterone_enanthate", display="testosterone enanthate", drug_class="androgen", dose_unit="mg",
        routes=(DoseRoute(route="IM", cmt=19), DoseRoute(route="SC", cmt=20)), dose_min=10.0, dose_max=400.0,
        dose_range_source="Delatestryl label 50-400 mg every 2-4 weeks; 200 mg weekly (WHO 1990)",
        aliases=("delatestryl", "xyosted", "t enanthate", "te"),
    ),
    DrugInfo(
        name="testosterone_undecanoate", display="testosterone undecanoate", drug_class="androgen", dose_unit="mg",
        routes=(DoseRoute(route="IM", cmt=21),), dose_min=250.0, dose_max=1000.0,
        dose_range_source="Aveed label 750 mg; Nebido label 1000 mg every 10-14 weeks",
        aliases=("aveed", "nebido", "tu"),
    ),
    DrugInfo(
        name="testosterone_gel", display="testosterone gel", drug_class="androgen", dose_unit="mg",
        routes=(DoseRoute(route="transdermal", cmt=22),), dose_min=10.0, dose_max=120.0,
        dose_range_source="AndroGel 1% label 50-100 mg/day; AndroGel 1.62% 20.25-81 mg/day",
        aliases=("androgel", "testogel", "testim", "t gel", "testosterone gel 1%", "testosterone gel 1.62%"),
    ),
)

_BY_KEY: dict[str, DrugInfo] = {}
for _d in DRUGS:
    for _k in (_d.name, _d.display, *_d.aliases, _d.name.replace("_", " ")):
        _BY_KEY[_k.lower()] = _d
_BY_CMT: dict[int, tuple[DrugInfo, str]] = {r.cmt: (d, r.route) for d in DRUGS for r in d.routes}


def drug_names() -> list[str]:
    """Canonical display names of all drugs, for error messages and listings."""
    return [d.display for d in DRUGS]


def lookup_drug(name: str) -> DrugInfo:
    """The drug called ``name`` (case-insensitive, aliases accepted).

    >>> lookup_drug("Clomid").name
    'clomiphene'
    """
    key = " ".join(name.strip().lower().split())
    try:
        return _BY_KEY[key]
    except KeyError:
        raise InputError("drug", f"unknown drug '{name}'; allowed: {', '.join(drug_names())}") from None


def route_for_cmt(cmt: int) -> tuple[DrugInfo, str]:
    """The (drug, route) that dosing compartment ``cmt`` belongs to."""
    try:
        return _BY_CMT[int(cmt)]
    except KeyError:
        raise InputError("CMT", f"{cmt} is not a dosing compartment; allowed: {sorted(_BY_CMT)}") from None
