"""Review of a call: eligibility screening, conflict detection, assignment, blind scoring, ranking.

Order of events: `start_review` (closes the call, screens eligibility, detects conflicts, assigns
reviewers) → reviewers `submit_scores` (or `declare_conflict`) → `close_panel` (aggregates, ranks and
hands the call to the award stage).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.applications import services as application_services
from grassroots.applications.models import Application
from grassroots.core.audit import record
from grassroots.core.errors import RuleViolation
from grassroots.core.permissions import require
from grassroots.core.transitions import transition
from grassroots.funding import services as funding_services
from grassroots.funding.models import Call
from grassroots.orgs.models import AffiliationKind, Certificate, Expert, Membership, Role
from grassroots.orgs.selectors import acts_for, communities_of

from . import aggregation, assignment, eligibility
from .models import Conflict, Review, Score


def _require_issuer(actor: Any, call: Call) -> None:
    require(
        acts_for(actor, call.issuer, Role.OFFICER),
        _("Only an officer of %(org)s may run this call's review.") % {"org": call.issuer.name},
    )


def _candidate(application: Application) -> eligibility.Candidate:
    by_head: dict[str, Decimal] = defaultdict(Decimal)
    for line in application.budget_lines.all():
        by_head[line.head] += line.amount
    return eligibility.Candidate(
        category=application.category.code,
        requested=application.requested,
        communities=frozenset(application.communities.values_list("pk", flat=True)),
        certified_workers=application.team.exclude(person__certificate=Certificate.NONE).count(),
        budget_by_head=dict(by_head),
    )


def call_rules(call: Call) -> eligibility.CallRules:
    return eligibility.CallRules(
        categories=frozenset(call.categories.values_list("code", flat=True)),
        max_request=call.max_request,
        management_fee_cap=call.program.management_fee_cap,
        personnel_share_cap=call.program.personnel_share_cap,
        area=frozenset(communities_of(call.issuer).values_list("pk", flat=True)),
    )


def detect_conflicts(expert: Expert, application: Application, *, today: date | None = None) -> list[str]:
    """Reasons `expert` must not review `application`: declared ties and memberships found in the data."""
    today = today or timezone.localdate()
    window = timedelta(days=365 * settings.GRASSROOTS.get("CONFLICT_YEARS", 3))
    agency = application.lead_agency
    communities = set(application.communities.values_list("pk", flat=True))
    street_id = application.call.issuer_id
    reasons: list[str] = []
    for aff in expert.affiliations.select_related("organization"):
        org = aff.organization
        current = aff.until is None or aff.until >= today - window
        if org.pk == agency.pk and current:
            reasons.append(f"declared {aff.get_kind_display().lower()} of the applying agency {org.name}")
        elif org.pk in communities and aff.kind != AffiliationKind.COLLABORATOR:
            reasons.append(f"declared tie to partner community {org.name}")
        elif org.pk == street_id and aff.kind in (AffiliationKind.EMPLOYEE, AffiliationKind.BOARD):
            reasons.append(f"works for the issuing street office {org.name}")
    for m in Membership.objects.filter(person=expert.person).select_related("organization"):
        org = m.organization
        if org.pk == agency.pk and m.role in (Role.MANAGER, Role.SOCIAL_WORKER, Role.BOARD_MEMBER):
            reasons.append(f"{m.get_role_display().lower()} of the applying agency {org.name}")
        elif org.pk in communities:
            reasons.append(f"member of partner community {org.name}")
        elif org.pk == street_id:
            reasons.append(f"officer of the issuing street office {org.name}")
    return sorted(set(reasons))


@transaction.atomic
def start_review(actor: Any, call: Call, *, today: date | None = None) -> dict[str, int]:
    """Close the call, screen each submitted application, detect conflicts and assign reviewers."""
    _require_issuer(actor, call)
    funding_services.close_call(actor, call)
    rules = call_rules(call)
    eligible: list[Application] = []
    for application in Application.objects.filter(call=call, state=Application.State.SUBMITTED):
        found = eligibility.findings(rules, _candidate(application))
        application_services.record_eligibility(actor, application, found)
        if not found:
            eligible.append(application)
    experts = list(Expert.objects.filter(active=True).select_related("person").order_by("pk"))
    for application in eligible:
        for expert in experts:
            for reason in detect_conflicts(expert, application, today=today):
                Conflict.objects.get_or_create(
                    expert=expert,
                    application=application,
                    reason=reason[:300],
                    defaults={"source": Conflict.Source.DETECTED},
                )
    assign_reviewers(actor, call, eligible, experts)
    return {"eligible": len(eligible), "reviews": Review.objects.filter(application__call=call).count()}


def assign_reviewers(actor: Any, call: Call, applications: list[Application], experts: list[Expert]) -> None:
    papers = [assignment.Paper(str(a.pk), frozenset({a.category.code})) for a in applications]
    pool = [assignment.Reviewer(str(e.pk), frozenset(e.expertise), e.capacity) for e in experts]
    conflicts = {
        (str(c.expert_id), str(c.application_id)) for c in Conflict.objects.filter(application__in=applications)
    }
    try:
        result = assignment.solve_assignment(call.reviewers_per_application, papers, pool, conflicts)
    except assignment.Infeasible as exc:
        raise RuleViolation(_("The expert pool is too small for this call: %(why)s.") % {"why": exc}) from None
    affinity = {(r.id, p.id): assignment.jaccard(p.topics, r.expertise) for r in pool for p in papers}
    Review.objects.bulk_create(
        Review(application_id=int(a), expert_id=int(r), affinity=Decimal(str(round(affinity[(r, a)], 4))))
        for r, a in result.assignments
    )
    record(
        actor, "call.reviewers_assigned", call, after={"pairs": len(result.assignments), "objective": result.objective}
    )


@transaction.atomic
def assign_by_hand(actor: Any, application: Application, expert: Expert) -> Review:
    """Staff adjust an assignment; the conflict rules still apply."""
    _require_issuer(actor, application.call)
    if application.call.state != Call.State.REVIEW:
        raise RuleViolation(_("Reviewers can be changed only while the call is under review."))
    reasons = detect_conflicts(expert, application) + list(
        Conflict.objects.filter(expert=expert, application=application).values_list("reason", flat=True)
    )
    if reasons:
        raise RuleViolation(_("%(e)s has a conflict of interest: %(r)s") % {"e": expert, "r": "; ".join(reasons)})
    if Review.objects.filter(application=application, expert=expert).exists():
        raise RuleViolation(_("%(e)s already reviews this application.") % {"e": expert})
    review = Review.objects.create(application=application, expert=expert)
    record(actor, "review.assigned_by_hand", review, after={"expert": expert.pk, "application": application.pk})
    return review


def _require_reviewer(actor: Any, review: Review) -> None:
    require(
        review.expert.person.user_id is not None and review.expert.person.user_id == getattr(actor, "pk", None),
        _("Only the assigned expert may act on this review."),
    )


@transaction.atomic
def declare_conflict(actor: Any, review: Review, reason: str) -> Review:
    _require_reviewer(actor, review)
    if not reason.strip():
        raise RuleViolation(_("Say what the conflict of interest is."))
    Conflict.objects.get_or_create(
        expert=review.expert,
        application=review.application,
        reason=reason[:300],
        defaults={"source": Conflict.Source.DECLARED},
    )
    transition(review, Review.State.WITHDRAWN, actor=actor, reason=reason)
    return review


@transaction.atomic
def submit_scores(actor: Any, review: Review, scores: dict[int, Any], comment: str = "") -> Review:
    """Score every criterion of the call from 0 to 100; the weighted total is stored with the review."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    _require_reviewer(actor, review)
    call = review.application.call
    if call.state != Call.State.REVIEW:
        raise RuleViolation(_("The panel is not open for scoring."))
    criteria = list(call.criteria.all())
    if set(scores) != {c.pk for c in criteria}:
        raise RuleViolation(_("Score every criterion of the call, and only those."))
    weighted = Decimal(0)
    values = {}
    for criterion in criteria:
        try:
            value = Decimal(str(scores[criterion.pk]))
        except ArithmeticError:
            raise RuleViolation(_("A score must be a number.")) from None
        if not Decimal(0) <= value <= Decimal(100):
            raise RuleViolation(_("Scores lie between 0 and 100; %(c)s got %(v)s.") % {"c": criterion.name, "v": value})
        values[criterion] = value
        weighted += criterion.weight * value / 100
    # The transition comes first, so a second submission is refused as such before any score is written.
    transition(
        review,
        Review.State.SUBMITTED,
        actor=actor,
        fields={
            "total": weighted.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
            "comment": comment,
            "submitted_at": timezone.now(),
        },
    )
    Score.objects.bulk_create(Score(review=review, criterion=c, value=v) for c, v in values.items())
    return review


@transaction.atomic
def close_panel(actor: Any, call: Call, method: str = "mean") -> list[Application]:
    """Aggregate the marks, rank the eligible applications and pass the call to the award stage."""
    _require_issuer(actor, call)
    if call.state != Call.State.REVIEW:
        raise RuleViolation(_("The call is not under review."))
    # Reviews of applications withdrawn during the review no longer hold the panel up.
    pending = Review.objects.filter(
        application__call=call, application__state=Application.State.ELIGIBLE, state=Review.State.ASSIGNED
    ).count()
    if pending:
        raise RuleViolation(_("%(n)d review(s) are still open.") % {"n": pending})
    eligible = list(Application.objects.filter(call=call, state=Application.State.ELIGIBLE))
    marks = [
        aggregation.Mark(str(r.expert_id), str(r.application_id), r.total)
        for r in Review.objects.filter(application__call=call, state=Review.State.SUBMITTED)
        if r.total is not None
    ]
    scored = aggregation.aggregate(marks, method)
    unscored = [a.reference for a in eligible if str(a.pk) not in scored]
    if unscored:
        raise RuleViolation(_("These applications have no submitted review: %(l)s") % {"l": ", ".join(unscored)})
    eligible.sort(key=lambda a: (-scored[str(a.pk)], a.requested, a.submitted_at or timezone.now(), a.reference))
    scores = {a.pk: scored[str(a.pk)] for a in eligible}
    ranks = {a.pk: i + 1 for i, a in enumerate(eligible)}
    application_services.record_ranking(actor, call, scores, ranks)
    for application in eligible:  # the ranking returned carries what was just recorded
        application.score, application.rank = scores[application.pk], ranks[application.pk]
    funding_services.finish_review(actor, call)
    return eligible
