"""From the database to the governance metrics: the `YearFacts` of a street or a department, year by year.

A jurisdiction is a street (its communities) or a department (every community under its streets). Each
fact is read with a few aggregating queries per jurisdiction for a whole range of years (service records
are summed by the database; Python only sees per-year totals and one row per contract or call), then
`governance.metrics` computes the figures, so the platform and the simulator share one definition.

How each fact maps onto the data, and what the data cannot say:

- communities, residents: the communities under the street(s) today and their `residents` count.
  Neither boundaries nor populations are kept per year, so every year uses today's.
- contracts of the year: contracts whose term starts in the fiscal year (= calendar year), signed
  (`contracts.selectors.signed`: a draft is not yet a contract, nor is a draft terminated before it was
  signed; contracts terminated after signing count), with at least one partner community in the
  jurisdiction. `amount` is the contract amount, paid from the call's budget; `matching_funds` are the
  application's community, street and charity matching funds beside it (the agency's own funds are not
  matching funds). A street's matching funds pooled into a call's budget (`Call.matching_funds`) are
  apportioned to the call's contracts pro rata to their amounts: each yuan awarded holds the street's
  share of the call's budget, matching ÷ (program funds + matching), as `pooled_matching` — counted as
  matching funds, and only once in the budget, since it is part of the amount. Pooled money the awards
  did not use funds no contract and is not counted.
- addresses_prioritised_need: the application behind the contract answers at least one need of a
  partner community that a quorate consultation meeting prioritised (the need has a priority rank).
- calls of the jurisdiction: issued by the street or on its envelopes; for a department, by the
  department or any of its streets. Calls issued by a department count in the department's figures,
  not in a street's, even when its applicants partner the street's communities.
- closed calls of the year: closing date in the year and past the submission stage (under review,
  awarding or decided; open, draft and cancelled calls are left out), whose eligibility screening is
  done (no submitted application still waits for it: until then the call's count is not known, and a
  call read before screening would count 0). Their eligible applications: those that passed the
  eligibility check (eligible, awarded, not awarded); drafts were never submitted. An application
  withdrawn after the check no longer says it was eligible, so it is not counted.
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
from grassroots.contracts.selectors import signed
from grassroots.core.errors import RuleViolation
from grassroots.core.money import ZERO, round_money, total
from grassroots.core.permissions import is_staff
from grassroots.core.shares import equal_split
from grassroots.delivery.models import ServiceRecord
from grassroots.evaluation.grading import grade_for
from grassroots.evaluation.models import Evaluation
from grassroots.funding.models import Call
from grassroots.needs.models import Need
from grassroots.orgs.models import Organization, OrgKind, Role
from grassroots.orgs.selectors import communities_of, has_role, orgs_where, streets_of

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
        raise RuleViolation(
            _("Governance figures are kept for streets and departments, not for “%(o)s”.") % {"o": org.local_name}
        )


def _offices(org: Organization) -> list[int]:
    """Whose calls are the jurisdiction's: the street; or the department and its streets."""
    return [org.pk, *streets_of(org).exclude(pk=org.pk).values_list("pk", flat=True)]


def _signed_contracts_in(org: Organization) -> QuerySet[Contract, Any]:
    """Signed contracts with a partner community in the jurisdiction (as a subquery: ids only)."""
    return signed().filter(communities__in=communities_of(org).values("pk")).values("pk")


def _calls_of(offices: list[int]) -> QuerySet[Call]:
    return Call.objects.filter(Q(issuer_id__in=offices) | Q(envelope__street_id__in=offices))


def pooled_matching(amount: Decimal, call_funds: Decimal, call_matching: Decimal) -> Decimal:
    """The street matching funds inside a contract's amount: the street's share of its call's budget
    (program funds + street matching funds), pro rata to the amount."""
    budget = call_funds + call_matching
    if not call_matching or budget <= 0:
        return ZERO
    return round_money(amount * call_matching / budget)


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
    answers_need = Need.objects.filter(  # a prioritised need of a partner community of this jurisdiction
        applications=OuterRef("award__application_id"),
        priority__isnull=False,
        community__contracts_partnered=OuterRef("pk"),
        community__in=communities,
    )
    year_contracts = Contract.objects.filter(pk__in=signed_in, starts_on__range=(first, last))
    partners: dict[int, list[int]] = defaultdict(list)
    for contract_id, community_id in (
        Contract.communities.through.objects.filter(contract_id__in=year_contracts.values("pk"))
        .order_by("contract_id", "organization_id")
        .values_list("contract_id", "organization_id")
    ):
        partners[contract_id].append(community_id)
    for pk, agency, category, amount, matching, starts_on, aligned, call_funds, call_matching in (
        year_contracts.annotate(aligned=Exists(answers_need))
        .order_by("starts_on", "pk")
        .values_list(
            "pk",
            "agency_id",
            "category_id",
            "amount",
            "matching_funds",
            "starts_on",
            "aligned",
            "award__application__call__funds",
            "award__application__call__matching_funds",
        )
    ):
        year = gathered.get(starts_on.year)
        if year is None:
            continue
        pooled = pooled_matching(amount, call_funds, call_matching)
        year.contracts.append(
            ContractFact(agency, tuple(partners[pk]), category, amount, matching, bool(aligned), pooled)
        )
        year.agencies.add(agency)

    # the competition: calls closed in the year and their eligible and awarded applications
    for closes_on, state, eligible, awarded, unscreened in (
        calls.filter(state__in=CLOSED_CALL_STATES, closes_on__range=(first, last))
        .annotate(
            eligible=Count("applications", filter=Q(applications__state__in=ELIGIBLE_STATES)),
            awarded=Count("applications", filter=Q(applications__state=Application.State.AWARDED)),
            unscreened=Count("applications", filter=Q(applications__state=Application.State.SUBMITTED)),
        )
        .order_by("closes_on", "pk")
        .values_list("closes_on", "state", "eligible", "awarded", "unscreened")
    ):
        year = gathered.get(closes_on.year)
        if year is None or unscreened:
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
    is read too, so that the first year's tie persistence and project continuation have a previous year
    (unless it comes before the jurisdiction's first year on the platform: then they are null)."""
    if first > last:
        raise RuleViolation(_("The first year comes after the last."))
    found = facts(org, range(first - 1, last + 1))
    span = years_with_data(org)
    observed = [y for y in sorted(found) if span is not None and y >= span[0]]  # before its first year the
    # platform saw nothing of the jurisdiction: that year is not a previous year with no ties, it is unknown
    computed = metrics.compute_series([found[y] for y in observed]) if observed else {}
    computed.update({y: metrics.compute(found[y]) for y in range(first, last + 1) if y not in computed})
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


def find_jurisdiction(text: str) -> Organization:
    """A street or department by its id, unified social credit code, or (English) name."""
    text = text.strip()
    found = jurisdictions()
    if text.isdigit():
        matches = list(found.filter(pk=int(text)))
    else:
        matches = list(found.filter(Q(uscc__iexact=text) | Q(name=text) | Q(name_en__iexact=text)))
    if not matches:
        raise RuleViolation(_("No street or department is “%(t)s”.") % {"t": text})
    if len(matches) > 1:
        raise RuleViolation(_("“%(t)s” names more than one street or department: use its id.") % {"t": text})
    return matches[0]


# --- who may see what --------------------------------------------------------------------------------------

RESEARCHER_PERMISSION = "governance.view_every_dashboard"


def is_researcher(user: Any) -> bool:
    """Staff, or a login granted the researcher's permission (see `governance.models`)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return is_staff(user) or bool(user.has_perm(RESEARCHER_PERMISSION))


def may_see_dashboard(user: Any, org: Organization) -> bool:
    """Officers of the street or department, officers of the department over a street, researchers, staff."""
    if org.kind not in JURISDICTION_KINDS:
        return False
    if is_researcher(user) or has_role(user, org, Role.OFFICER):
        return True
    return org.kind == OrgKind.STREET and org.parent is not None and has_role(user, org.parent, Role.OFFICER)


def dashboards_for(user: Any) -> QuerySet[Organization]:
    """The streets and departments whose dashboards `user` may see."""
    if is_researcher(user):
        return jurisdictions()
    offices = orgs_where(user, Role.OFFICER).filter(kind__in=JURISDICTION_KINDS)
    return jurisdictions().filter(Q(pk__in=offices.values("pk")) | Q(kind=OrgKind.STREET, parent__in=offices))


def may_see_history(user: Any, org: Organization) -> bool:
    """A community's history: its own workers and whoever sees a dashboard over it; an agency's: its managers
    and board, any street or department officer (they buy its services and read its record), researchers."""
    if is_researcher(user):
        return True
    if org.kind == OrgKind.COMMUNITY:
        street = org.parent
        return has_role(user, org, Role.COMMUNITY_WORKER) or (street is not None and may_see_dashboard(user, street))
    if org.kind == OrgKind.AGENCY:
        return has_role(user, org, Role.MANAGER, Role.BOARD_MEMBER) or (
            orgs_where(user, Role.OFFICER).filter(kind__in=JURISDICTION_KINDS).exists()
        )
    return False


# --- what the dashboard draws --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tie:
    """A community–agency pair with a contract in one or more of the years shown."""

    community: Organization
    agency: Organization
    years: tuple[int, ...]
    contracts: int
    amount: Decimal  # the community's equal share of each contract's amount


@dataclass(frozen=True)
class Funds:
    org: Organization
    amount: Decimal
    share: float | None  # of the year's total
    cumulative: float | None  # running share in the table's order


@dataclass(frozen=True)
class NeedsRow:
    community: Organization
    waiting: int  # prioritised needs no contract answers yet
    addressed: int
    resolved: int
    contracts: int  # contracts of the year partnering it
    aligned: int  # of which answer a prioritised need of their communities


@dataclass(frozen=True)
class YearRow:
    year: int
    contracts: int
    amount: Decimal
    matching: Decimal  # beside the amounts, plus the street matching funds pooled into them
    volunteer_hours: float
    participations: int
    evaluated: int
    grades: dict[str, int]


@dataclass
class Dashboard:
    org: Organization
    first: int
    last: int
    year: int
    series: Series
    facts: dict[int, YearFacts]
    ties: list[Tie]
    communities: list[Funds]  # the year's funds per community, least first (the Lorenz curve's order)
    agencies: list[Funds]  # the year's funds per agency, most first
    lorenz: list[tuple[float, float]]
    needs: list[NeedsRow]
    rows: list[YearRow]

    @property
    def years(self) -> list[int]:
        return list(range(self.first, self.last + 1))


def _share(part: Decimal, whole: Decimal) -> float | None:
    return float(part / whole) if whole else None


def _funds(orgs: dict[int, Organization], amounts: dict[Any, Decimal], ascending: bool) -> list[Funds]:
    whole = sum(amounts.values(), ZERO)
    ordered = sorted(amounts.items(), key=lambda kv: (kv[1] if ascending else -kv[1], orgs[kv[0]].name))
    rows, running = [], ZERO
    for key, amount in ordered:
        running += amount
        rows.append(Funds(orgs[key], round_money(amount), _share(amount, whole), _share(running, whole)))
    return rows


def _shares(contracts: Iterable[ContractFact], inside: set[Any]) -> dict[Any, Decimal]:
    """Each community's equal share of its contracts' amounts, in money (the metrics' own sums are floats)."""
    amounts: dict[Any, Decimal] = dict.fromkeys(inside, ZERO)
    for k in contracts:
        for c, share in equal_split(Decimal(k.amount), k.communities).items():
            if c in inside:
                amounts[c] += share
    return amounts


def dashboard(org: Organization, first: int, last: int, year: int) -> Dashboard:
    """Everything the dashboard of a street or department shows for the years `first`–`last`, with the
    detail (network highlights, funds, needs) of `year`."""
    computed, found = series(org, first, last)
    year = min(max(year, first), last)
    current = found[year]
    ids: set[Any] = set(current.communities)
    pairs: dict[tuple[Any, Any], list[tuple[int, Decimal]]] = defaultdict(list)
    for facts_of_year in found.values():
        for k in facts_of_year.contracts:
            for c, share in equal_split(Decimal(k.amount), k.communities).items():
                if c in ids:
                    pairs[(c, k.agency)].append((facts_of_year.year, share))
    agency_ids = {a for _c, a in pairs} | set(current.active_agencies)
    orgs = Organization.objects.in_bulk(sorted(ids | agency_ids))
    ties = sorted(
        (
            Tie(
                orgs[c],
                orgs[a],
                tuple(sorted({y for y, _m in held})),
                len(held),
                round_money(sum((m for _y, m in held), ZERO)),
            )
            for (c, a), held in pairs.items()
        ),
        key=lambda t: (-len(t.years), -t.amount, t.community.name, t.agency.name),
    )

    states = Need.objects.filter(community_id__in=ids, priority__isnull=False).values("community_id", "state")
    counted: dict[tuple[int, str], int] = {
        (row["community_id"], row["state"]): row["n"] for row in states.annotate(n=Count("pk"))
    }
    partnered: dict[Any, list[bool]] = defaultdict(list)
    for k in current.contracts:
        for c in k.communities:
            partnered[c].append(k.addresses_prioritised_need)
    needs = [
        NeedsRow(
            orgs[c],
            counted.get((c, Need.State.PRIORITISED), 0),
            counted.get((c, Need.State.ADDRESSED), 0),
            counted.get((c, Need.State.RESOLVED), 0),
            len(partnered[c]),
            sum(partnered[c]),
        )
        for c in sorted(ids, key=lambda pk: orgs[pk].name)
    ]

    agency_money: dict[Any, Decimal] = defaultdict(lambda: ZERO)
    for k in current.contracts:
        agency_money[k.agency] += Decimal(k.amount)
    rows = []
    for y in range(first, last + 1):
        f = found[y]
        grades = {g: 0 for g in ("excellent", "good", "pass", "fail")}
        for score in f.final_scores:
            grades[grade_for(Decimal(str(score)))] += 1
        rows.append(
            YearRow(
                y,
                len(f.contracts),
                total(Decimal(k.amount) for k in f.contracts),
                round_money(sum((Decimal(k.matching_funds) + Decimal(k.pooled_matching) for k in f.contracts), ZERO)),
                f.volunteer_hours,
                f.resident_participations,
                len(f.final_scores),
                grades,
            )
        )
    return Dashboard(
        org=org,
        first=first,
        last=last,
        year=year,
        series=computed,
        facts=found,
        ties=ties,
        communities=_funds(orgs, _shares(current.contracts, ids), ascending=True),
        agencies=_funds(orgs, agency_money, ascending=False),
        lorenz=metrics.lorenz(metrics.community_amounts(current).values()),
        needs=needs,
        rows=rows,
    )


# --- a community's or an agency's history --------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryYear:
    year: int
    contracts: int
    amount: Decimal  # the contracts' amounts (for a community, its equal share of each)
    partners: list[Organization]  # the agencies it worked with, or the communities the agency served
    mean_score: float | None  # of the accepted final evaluations of those contracts


def history_of(org: Organization) -> list[HistoryYear]:
    """Year by year (by the contracts' start), the signed contracts a community partnered or an agency held."""
    if org.kind == OrgKind.COMMUNITY:
        contracts = signed().filter(communities=org)
    elif org.kind == OrgKind.AGENCY:
        contracts = signed().filter(agency=org)
    else:
        return []
    rows = list(contracts.order_by("starts_on", "pk").values_list("pk", "starts_on", "agency_id", "amount"))
    communities: dict[int, list[int]] = defaultdict(list)
    for contract_id, community_id in Contract.communities.through.objects.filter(
        contract_id__in=[r[0] for r in rows]
    ).values_list("contract_id", "organization_id"):
        communities[contract_id].append(community_id)
    scores: dict[int, Decimal | None] = dict(
        Evaluation.objects.filter(
            contract_id__in=[r[0] for r in rows],
            kind=Evaluation.Kind.FINAL,
            state=Evaluation.State.ACCEPTED,
            score__isnull=False,
        ).values_list("contract_id", "score")
    )
    partner_ids = {r[2] for r in rows} | {c for cs in communities.values() for c in cs}
    orgs = Organization.objects.in_bulk(sorted(partner_ids))
    by_year: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        by_year[row[1].year].append(row)
    history = []
    for year, held in sorted(by_year.items(), reverse=True):
        if org.kind == OrgKind.COMMUNITY:
            amount = round_money(sum((equal_split(r[3], communities[r[0]]).get(org.pk, ZERO) for r in held), ZERO))
            partners = {r[2] for r in held}
        else:
            amount = total(r[3] for r in held)
            partners = {c for r in held for c in communities[r[0]]}
        marks = [float(mark) for r in held if (mark := scores.get(r[0])) is not None]
        history.append(
            HistoryYear(
                year,
                len(held),
                amount,
                sorted((orgs[p] for p in partners), key=lambda o: o.name),
                sum(marks) / len(marks) if marks else None,
            )
        )
    return history
