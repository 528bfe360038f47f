"""Reads of joint applications, and the one rule of who may see which application.

An application is seen by
- the staff (managers, social workers, board members) of its lead agency;
- the community workers of its partner communities (they write it together, drafts included);
- officers of the issuing street and of the program's department, once it is submitted;
- the experts assigned to review it, while the call is under review;
- everybody logged in, once the call is decided, if it was awarded.

So a competing agency never sees another agency's application before the award decision, and
never sees one that was not funded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from grassroots.core.messages import Message
from grassroots.core.money import total
from grassroots.core.permissions import is_staff
from grassroots.funding.models import Call
from grassroots.orgs.models import Organization, OrgKind, Role
from grassroots.orgs.selectors import agencies_staffed_by, orgs_where
from grassroots.review import eligibility
from grassroots.review.models import Review

from .models import Application, BudgetHead


def _concerned(user: Any) -> Q:
    """The applications `user` has a part in: their agency's, their community's, one handed in to their office,
    one they are reviewing (see the module's docstring). For an authenticated user who is not staff."""
    agencies = agencies_staffed_by(user)
    communities = orgs_where(user, Role.COMMUNITY_WORKER, kind=OrgKind.COMMUNITY)
    offices = orgs_where(user, Role.OFFICER)
    partnered = Application.objects.filter(communities__in=communities).values("pk")
    reviewing = Review.objects.filter(
        expert__person__user=user,
        state__in=[Review.State.ASSIGNED, Review.State.SUBMITTED],
        application__call__state=Call.State.REVIEW,
    ).values("application_id")
    return (
        Q(lead_agency__in=agencies)
        | Q(pk__in=partnered)
        | ((Q(call__issuer__in=offices) | Q(call__program__department__in=offices)) & ~Q(state=Application.State.DRAFT))
        | Q(pk__in=reviewing)
    )


def visible_to(user: Any) -> QuerySet[Application]:
    if user is None or not getattr(user, "is_authenticated", False):
        return Application.objects.none()
    if is_staff(user):
        return Application.objects.all()
    return Application.objects.filter(
        _concerned(user) | Q(call__state=Call.State.DECIDED, state=Application.State.AWARDED)
    )


def concerning(user: Any) -> QuerySet[Application]:
    """The applications `user` has a part in — `visible_to` less the awarded ones everybody reads. Only these
    show their social-worker team: people are never published."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Application.objects.none()
    if is_staff(user):
        return Application.objects.all()
    return Application.objects.filter(_concerned(user))


def shows_team(user: Any, application: Application) -> bool:
    """Whether `user` may see who is on the application's team (see `concerning`)."""
    return concerning(user).filter(pk=application.pk).exists()


def _listed(applications: QuerySet[Application]) -> QuerySet[Application]:
    return applications.select_related("call", "lead_agency", "category").order_by("-call__opens_on", "reference")


def led_by(user: Any, agency: Organization) -> QuerySet[Application]:
    """An agency's own applications (with their states), as far as `user` may see them."""
    return _listed(visible_to(user).filter(lead_agency=agency))


def partnered_by(user: Any, community: Organization) -> QuerySet[Application]:
    """Applications naming `community` as a partner."""
    return _listed(visible_to(user).filter(communities=community))


def to_calls_of(user: Any, issuer: Organization) -> QuerySet[Application]:
    """Applications handed in to the calls `issuer` opened."""
    return _listed(visible_to(user).filter(call__issuer=issuer).exclude(state=Application.State.DRAFT))


def of_call(user: Any, call: Call) -> QuerySet[Application]:
    """The applications of a call that `user` may see, in rank order once ranked."""
    return visible_to(user).filter(call=call).select_related("lead_agency", "category").order_by("rank", "reference")


def shows_scores(user: Any, application: Application) -> bool:
    """Scores and ranks are for the issuing officers until the call is decided, then for every reader."""
    if application.call.state == Call.State.DECIDED or is_staff(user):
        return True
    offices = orgs_where(user, Role.OFFICER)
    return offices.filter(pk__in=[application.call.issuer_id, application.call.program.department_id]).exists()


def application_detail(application: Application) -> dict[str, Any]:
    """What an application page shows beside the application itself."""
    return {
        "communities": list(application.communities.all()),
        "team": list(application.team.select_related("person")),
        "needs": list(application.needs.select_related("community", "category")),
        "indicators": list(application.indicators.all()),
        "budget_lines": list(application.budget_lines.all()),
        "matching_funds": list(application.matching_funds.all()),
    }


# --- writing an application: who may lead one, and the budget's totals against the program's rules -----------


def agencies_managed_by(user: Any) -> QuerySet[Organization]:
    """The agencies `user` may lead an application for: where they are a manager (every agency for staff)."""
    if is_staff(user):
        return Organization.objects.filter(kind=OrgKind.AGENCY).order_by("name")
    return orgs_where(user, Role.MANAGER, kind=OrgKind.AGENCY).order_by("name")


@dataclass(frozen=True)
class BudgetCheck:
    """A budget's totals and the program's budget rules applied to them, as the writing form shows them.

    Shares are percentages of the budget total (None while the total is nil); `findings` are the same
    sentences the eligibility screening will write if the application is handed in as it is.
    """

    total: Decimal
    matching: Decimal
    requested: Decimal
    max_request: Decimal
    management: Decimal
    management_share: Decimal | None
    management_cap: Decimal
    personnel: Decimal
    personnel_share: Decimal | None
    personnel_cap: Decimal
    findings: list[Message] = field(default_factory=list)

    @property
    def fee_over(self) -> bool:
        return self.management_share is not None and self.management_share > self.management_cap

    @property
    def personnel_over(self) -> bool:
        return self.personnel_share is not None and self.personnel_share > self.personnel_cap

    @property
    def request_over(self) -> bool:
        return self.requested > self.max_request

    @property
    def nothing_requested(self) -> bool:
        return self.total > 0 and self.requested <= 0

    @property
    def flagged(self) -> bool:
        return bool(self.findings) or self.nothing_requested


def budget_check(call: Call, lines: Iterable[tuple[str, Decimal]], matching: Iterable[Decimal]) -> BudgetCheck:
    """Totals of budget lines given as (head, amount) and matching amounts, checked against the call's largest
    request and its program's caps on the management fee and on personnel costs (the eligibility rules)."""
    program = call.program
    by_head: dict[str, Decimal] = defaultdict(Decimal)
    for head, amount in lines:
        by_head[head] += amount
    budget = total(by_head.values())
    matched = total(matching)
    requested = budget - matched

    def share(amount: Decimal) -> Decimal | None:
        return (amount * 100 / budget).quantize(Decimal("0.1")) if budget > 0 else None

    rules = eligibility.CallRules(
        categories=frozenset(),
        max_request=call.max_request,
        management_fee_cap=program.management_fee_cap,
        personnel_share_cap=program.personnel_share_cap,
        area=frozenset(),
    )
    candidate = eligibility.Candidate(
        category="", requested=requested, communities=frozenset(), certified_workers=1, budget_by_head=dict(by_head)
    )
    budget_rules = (eligibility.OVER_MAX_REQUEST, eligibility.FEE_OVER_CAP, eligibility.PERSONNEL_OVER_CAP)
    return BudgetCheck(
        total=budget,
        matching=matched,
        requested=requested,
        max_request=call.max_request,
        management=total([by_head.get(BudgetHead.MANAGEMENT)]),
        management_share=share(by_head.get(BudgetHead.MANAGEMENT, Decimal(0))),
        management_cap=program.management_fee_cap,
        personnel=total([by_head.get(BudgetHead.PERSONNEL)]),
        personnel_share=share(by_head.get(BudgetHead.PERSONNEL, Decimal(0))),
        personnel_cap=program.personnel_share_cap,
        findings=[m for m in eligibility.findings(rules, candidate) if m.template in budget_rules],
    )


def budget_check_of(application: Application) -> BudgetCheck:
    """The budget rules applied to a saved application."""
    return budget_check(
        application.call,
        application.budget_lines.values_list("head", "amount"),
        application.matching_funds.values_list("amount", flat=True),
    )


def score_readers(user: Any) -> Callable[[Application], bool]:
    """`shows_scores(user, …)` for a whole list at once (the user's offices are read once): scores and ranks
    are for the issuing officers until the call is decided, then for every reader. The applications need
    their call and its program loaded."""
    if is_staff(user):
        return lambda application: True
    offices = set(orgs_where(user, Role.OFFICER).values_list("pk", flat=True))
    return lambda application: (
        application.call.state == Call.State.DECIDED
        or application.call.issuer_id in offices
        or application.call.program.department_id in offices
    )
