"""From the database to the governance metrics: the `YearFacts` of a street or a department, year by year.

A jurisdiction is a street (its communities) or a department (every community under its streets). Each
fact is read with a few aggregating queries per jurisdiction for a whole range of years (service records
are summed by the database; Python only sees per-year totals and one row per contract or call), then
`governance.metrics` computes the figures, so the platform and the simulator share one definition.

How each fact maps onto the data, and what the data cannot say:

- communities, residents: the communities under the street(s) today and their `residents` count.
  Neither boundaries nor populations are kept per year, so every year uses today's.
- contracts of the year: contracts whose term starts in the fiscal year (= calendar year), signed
  (a draft is not yet a contract; terminated ones count), with at least one partner community in the
  jurisdiction. `amount` is the contract amount (program funds, plus any street money pooled into the
  call's budget, which cannot be told apart per contract); `matching_funds` are the application's
  community, street and charity matching funds (the agency's own funds are not matching funds).
- addresses_prioritised_need: the application behind the contract answers at least one need of a
  partner community that a quorate consultation meeting prioritised (the need has a priority rank).
- calls of the jurisdiction: issued by the street or on its envelopes; for a department, by the
  department or any of its streets. Calls issued by a department count in the department's figures,
  not in a street's, even when its applicants partner the street's communities.
- closed calls of the year: closing date in the year and past the submission stage (under review,
  awarding or decided; cancelled calls are left out). Their eligible applications: those that passed
  the eligibility check (eligible, awarded, not awarded). An application withdrawn after the check
  no longer says it was eligible, so it is not counted.
- success rate: awarded ÷ eligible applications of the *decided* calls closed in the year — awards are
  only made at the decision, so an undecided call would read as a string of failures.
- active agencies: lead agencies of applications submitted in the year to the jurisdiction's calls or
  with a partner community in it, and agencies of its contracts of the year.
- volunteer hours, resident participations: summed over service records held in the year, of signed
  contracts with a partner community in the jurisdiction. Records do not say which community a
  session served, so a contract partnering communities of two streets counts its records in both.
- final scores: accepted final evaluations of those contracts, submitted in the year (the acceptance
  date is not kept; the report's date stands for it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from grassroots.applications.models import Application
from grassroots.contracts.models import Contract
from grassroots.core.errors import RuleViolation
from grassroots.delivery.models import ServiceRecord
from grassroots.evaluation.models import Evaluation
from grassroots.funding.models import Call
from grassroots.needs.models import Need
from grassroots.orgs.models import Organization, OrgKind
from grassroots.orgs.selectors import communities_of, streets_of

from . import metrics
from .metrics import ContractFact, YearFacts

JURISDICTION_KINDS = (OrgKind.STREET, OrgKind.DEPARTMENT)
CLOSED_CALL_STATES = (Call.State.REVIEW, Call.State.AWARDING, Call.State.DECIDED)
ELIGIBLE_STATES = (Application.State.ELIGIBLE, Application.State.AWARDED, Application.State.NOT_AWARDED)

Series = dict[int, dict[str, float | None]]


def jurisdictions() -> QuerySet[Organization]:
    """Every organization that has governance figures: departments first, then streets, by name."""
    return Organization.objects.filter(kind__in=JURISDICTION_KINDS).order_by("kind", "name")


def require_jurisdiction(org: Organization) -> None:
    if org.kind not in JURISDICTION_KINDS:
        raise RuleViolation(_("Governance figures are kept for streets and departments, not for “%(o)s”.") % {"o": org})


def _offices(org: Organization) -> list[int]:
    """Whose calls are the jurisdiction's: the street; or the department and its streets."""
    return [org.pk, *streets_of(org).exclude(pk=org.pk).values_list("pk", flat=True)]


def _signed_contracts_in(org: Organization) -> QuerySet[Contract, Any]:
    """Signed contracts with a partner community in the jurisdiction (as a subquery: ids only)."""
    return (
        Contract.objects.exclude(state=Contract.State.DRAFT)
        .filter(communities__in=communities_of(org).values("pk"))
        .values("pk")
    )


def _calls_of(offices: list[int]) -> QuerySet[Call]:
    return Call.objects.filter(Q(issuer_id__in=offices) | Q(envelope__street_id__in=offices))


def _span(years: Sequence[int]) -> tuple[date, date]:
    return date(min(years), 1, 1), date(max(years), 12, 31)


@dataclass
class _Year:
    """A year's facts while they are being gathered."""

    contracts: list[ContractFact] = field(default_factory=list)
    agencies: set[int] = field(default_factory=set)
    per_call: list[int] = field(default_factory=list)
    eligible: int = 0
    awarded: int = 0
    hours: float = 0.0
    participations: int = 0
    scores: list[float] = field(default_factory=list)


def facts(org: Organization, years: Iterable[int]) -> dict[int, YearFacts]:
    """The `YearFacts` of a street or department for each of `years` (any order, gaps allowed)."""
    require_jurisdiction(org)
    wanted = sorted(set(years))
    if not wanted:
        return {}
    first, last = _span(wanted)
    gathered = {y: _Year() for y in wanted}
    signed_in = _signed_contracts_in(org)
    calls = _calls_of(_offices(org))

    community_rows = list(communities_of(org).order_by("pk").values_list("pk", "residents"))
    communities = tuple(pk for pk, _r in community_rows)
    residents = sum(r for _pk, r in community_rows)

    # contracts of each year, with their partner communities and whether they answer a prioritised need
    answers_need = Need.objects.filter(
        applications=OuterRef("award__application_id"),
        priority__isnull=False,
        community__contracts_partnered=OuterRef("pk"),
    )
    year_contracts = Contract.objects.filter(pk__in=signed_in, starts_on__range=(first, last))
    partners: dict[int, list[int]] = defaultdict(list)
    for contract_id, community_id in (
        Contract.communities.through.objects.filter(contract_id__in=year_contracts.values("pk"))
        .order_by("contract_id", "organization_id")
        .values_list("contract_id", "organization_id")
    ):
        partners[contract_id].append(community_id)
    for pk, agency, category, amount, matching, starts_on, aligned in (
        year_contracts.annotate(aligned=Exists(answers_need))
        .order_by("starts_on", "pk")
        .values_list("pk", "agency_id", "category_id", "amount", "matching_funds", "starts_on", "aligned")
    ):
        year = gathered.get(starts_on.year)
        if year is None:
            continue
        year.contracts.append(ContractFact(agency, tuple(partners[pk]), category, amount, matching, bool(aligned)))
        year.agencies.add(agency)

    # the competition: calls closed in the year and their eligible and awarded applications
    for closes_on, state, eligible, awarded in (
        calls.filter(state__in=CLOSED_CALL_STATES, closes_on__range=(first, last))
        .annotate(
            eligible=Count("applications", filter=Q(applications__state__in=ELIGIBLE_STATES)),
            awarded=Count("applications", filter=Q(applications__state=Application.State.AWARDED)),
        )
        .order_by("closes_on", "pk")
        .values_list("closes_on", "state", "eligible", "awarded")
    ):
        year = gathered.get(closes_on.year)
        if year is None:
            continue
        year.per_call.append(eligible)
        if state == Call.State.DECIDED:
            year.eligible += eligible
            year.awarded += awarded

    # agencies that applied in the year: one row per agency, a count per year
    applied = (
        Application.objects.filter(submitted_at__isnull=False)
        .exclude(state=Application.State.DRAFT)
        .filter(
            Q(call__in=calls.values("pk"))
            | Q(pk__in=Application.objects.filter(communities__in=communities_of(org).values("pk")).values("pk"))
        )
        .values("lead_agency_id")
        .annotate(**{f"y{y}": Count("pk", filter=Q(submitted_at__year=y)) for y in wanted})
    )
    for row in applied:
        for y in wanted:
            if row[f"y{y}"]:
                gathered[y].agencies.add(row["lead_agency_id"])

    # self-action: the service records of the year, summed by the database — a query per year with plain
    # sums reads only that year's entries of the covering index (one query with a filtered sum per year
    # would test every condition on every record)
    records = ServiceRecord.objects.filter(contract_id__in=signed_in)
    for y in wanted:
        sums = records.filter(held_on__range=(date(y, 1, 1), date(y, 12, 31))).aggregate(
            hours=Sum("volunteer_hours"), participations=Sum("resident_participants")
        )
        gathered[y].hours = float(sums["hours"] or 0)
        gathered[y].participations = int(sums["participations"] or 0)

    # evaluation: accepted final evaluations submitted in the year
    for submitted_on, score in (
        Evaluation.objects.filter(
            contract_id__in=signed_in,
            kind=Evaluation.Kind.FINAL,
            state=Evaluation.State.ACCEPTED,
            score__isnull=False,
            submitted_on__range=(first, last),
        )
        .order_by("submitted_on", "pk")
        .values_list("submitted_on", "score")
    ):
        year = gathered.get(submitted_on.year) if submitted_on else None
        if year is not None and score is not None:
            year.scores.append(float(score))

    return {
        y: YearFacts(
            year=y,
            communities=communities,
            residents=residents,
            active_agencies=tuple(sorted(g.agencies)),
            eligible_per_closed_call=tuple(g.per_call),
            eligible_applications=g.eligible,
            awarded_applications=g.awarded,
            contracts=tuple(g.contracts),
            volunteer_hours=g.hours,
            resident_participations=g.participations,
            final_scores=tuple(g.scores),
        )
        for y, g in gathered.items()
    }


def year_facts(org: Organization, year: int) -> YearFacts:
    return facts(org, [year])[year]


def series(org: Organization, first: int, last: int) -> tuple[Series, dict[int, YearFacts]]:
    """Every metric for each year from `first` to `last`, and those years' facts; the year before `first`
    is read too, so that the first year's tie persistence and project continuation have a previous year."""
    if first > last:
        raise RuleViolation(_("The first year comes after the last."))
    found = facts(org, range(first - 1, last + 1))
    computed = metrics.compute_series([found[y] for y in sorted(found)])
    return {y: computed[y] for y in range(first, last + 1)}, {y: found[y] for y in range(first, last + 1)}


def metrics_for(org: Organization, first: int, last: int | None = None) -> Series:
    """Every metric of a street or department for each year from `first` to `last` (default: `first`)."""
    return series(org, first, first if last is None else last)[0]


def years_with_data(org: Organization) -> tuple[int, int] | None:
    """The first and last fiscal year with a closed call or a signed contract in the jurisdiction."""
    require_jurisdiction(org)
    starts = Contract.objects.filter(pk__in=_signed_contracts_in(org)).values_list("starts_on", flat=True)
    closes = _calls_of(_offices(org)).filter(state__in=CLOSED_CALL_STATES).values_list("closes_on", flat=True)
    years = [d.year for d in (starts.order_by("starts_on").first(), starts.order_by("-starts_on").first()) if d]
    years += [d.year for d in (closes.order_by("closes_on").first(), closes.order_by("-closes_on").first()) if d]
    return (min(years), max(years)) if years else None


def names(ids: Iterable[Any]) -> dict[int, Organization]:
    """The organizations behind fact ids, for pages that draw them."""
    return Organization.objects.in_bulk([i for i in set(ids) if isinstance(i, int)])


def as_decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))
