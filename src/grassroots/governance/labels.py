"""The metrics as readers see them: a translated label and definition, and how each figure is written.

The English definitions are the contract's, verbatim (a test compares them with `metrics.METRICS`); the
catalogue carries their Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import metrics

SHARE, INDEX, AMOUNT = "share", "index", "amount"


@dataclass(frozen=True)
class Shown:
    name: str
    label: str | Promise
    definition: str | Promise
    kind: str  # SHARE: written as a percentage; INDEX: three decimals; AMOUNT: a plain number


SHOWN: dict[str, Shown] = {
    s.name: s
    for s in (
        Shown(
            "applications_per_call",
            _("Applications per call"),
            _("mean number of submitted, eligible applications per call closed in the year"),
            AMOUNT,
        ),
        Shown(
            "success_rate",
            _("Success rate"),
            _("awarded applications ÷ submitted eligible applications in the year"),
            SHARE,
        ),
        Shown(
            "award_hhi",
            _("Concentration of awards (HHI)"),
            _("Herfindahl–Hirschman index of contract amounts across agencies: Σ sᵢ², shares sᵢ in [0, 1]"),
            INDEX,
        ),
        Shown(
            "community_gini",
            _("Gini of funds across communities"),
            _(
                "Gini coefficient of contract amounts across all communities of the jurisdiction, "
                "those with nothing included"
            ),
            INDEX,
        ),
        Shown(
            "linkage_density",
            _("Linkage density"),
            _(
                "distinct (community, agency) pairs with a contract of the year ÷ "
                "(communities × agencies active in the jurisdiction)"
            ),
            SHARE,
        ),
        Shown(
            "tie_persistence",
            _("Tie persistence"),
            _("share of the year's (community, agency) pairs that also held a contract the year before"),
            SHARE,
        ),
        Shown(
            "agency_embeddedness",
            _("Agency embeddedness"),
            _(
                "mean, over agencies with a contract of the year, of the number of distinct communities "
                "they serve in it"
            ),
            AMOUNT,
        ),
        Shown(
            "project_continuation",
            _("Project continuation"),
            _(
                "share of the previous year's contracts whose (community, service category) has a contract "
                "again this year"
            ),
            SHARE,
        ),
        Shown(
            "cofunding_share",
            _("Co-funding share"),
            _("matching funds (community, street, charity) ÷ total budget of the year's contracts"),
            SHARE,
        ),
        Shown(
            "volunteer_hours_per_1000",
            _("Volunteer hours per 1,000 residents"),
            _("volunteer hours recorded in the year's service records per 1,000 residents of the jurisdiction"),
            AMOUNT,
        ),
        Shown(
            "resident_participation_per_1000",
            _("Resident participation per 1,000 residents"),
            _("resident participations recorded in the year's service records per 1,000 residents"),
            AMOUNT,
        ),
        Shown(
            "needs_alignment",
            _("Needs alignment"),
            _("share of the year's contracts that address at least one consulted, prioritised need of their community"),
            SHARE,
        ),
        Shown(
            "mean_final_score",
            _("Mean final score"),
            _("mean final evaluation score of contracts evaluated in the year"),
            AMOUNT,
        ),
        Shown(
            "fail_rate",
            _("Fail rate"),
            _("share of final evaluations graded fail (below 60)"),
            SHARE,
        ),
    )
}
assert tuple(SHOWN) == metrics.NAMES, "one label per metric, in the contract's order"


def written(name: str, value: float | None) -> str:
    """A figure as the dashboard writes it: 46.2%, 0.413, 2.50; — for null (no denominator)."""
    if value is None:
        return "—"
    kind = SHOWN[name].kind
    if kind == SHARE:
        return f"{value * 100:.1f}%"
    if kind == INDEX:
        return f"{value:.3f}"
    return f"{value:,.2f}"
