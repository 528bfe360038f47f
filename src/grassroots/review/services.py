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
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grassroots.applications import services as application_services
from grassroots.applications.models import Application, TeamMember
from grassroots.core.audit import record
from grassroots.core.errors import RuleViolation
from grassroots.core.i18n import message_data, render_message
from grassroots.core.permissions import require
from grassroots.core.transitions import transition
from grassroots.evaluation.selectors import past_performance
from grassroots.funding import services as funding_services
from grassroots.funding.models import Call, Criterion
from grassroots.orgs.models import Affiliation, Certificate, Expert, Membership, Role
from grassroots.orgs.selectors import acts_for, communities_of

from . import aggregation, assignment, conflicts, eligibility
from .models import Conflict, Review, Score


def _require_issuer(actor: Any, call: Call) -> None:
    require(
        acts_for(actor, call.issuer, Role.OFFICER),
        _("Only an officer of %(org)s may run this call's review.") % {"org": call.issuer.local_name},
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


def _ties(experts: list[Expert]) -> dict[int, list[conflicts.Tie]]:
    """Every declared affiliation and membership of each expert, read once per screening."""
    ties: dict[int, list[conflicts.Tie]] = {e.pk: [] for e in experts}
    for aff in Affiliation.objects.filter(expert__in=experts).select_related("organization"):
        org = aff.organization
        ties[aff.expert_id].append(conflicts.Tie(org.pk, org.name, aff.kind, aff.until, declared=True))
    by_person = {e.person_id: e.pk for e in experts}
    for m in Membership.objects.filter(person_id__in=by_person).select_related("organization"):
        org = m.organization
        ties[by_person[m.person_id]].append(conflicts.Tie(org.pk, org.name, m.role, m.until))
    return ties


def _cases(applications: list[Application], today: date, years: int) -> dict[int, conflicts.Case]:
    since = today - timedelta(days=365 * years)
    leads_by_call: dict[int, set[int]] = defaultdict(set)
    for call_id, agency_id in (
        Application.objects.filter(call__in={a.call_id for a in applications})
        .exclude(state__in=[Application.State.DRAFT, Application.State.WITHDRAWN])
        .values_list("call_id", "lead_agency_id")
    ):
        leads_by_call[call_id].add(agency_id)
    agencies = {a.lead_agency_id for a in applications}
    teams: dict[int, set[int]] = defaultdict(set)
    for agency_id, person_id in TeamMember.objects.filter(
        application__lead_agency_id__in=agencies, application__submitted_at__date__gte=since
    ).values_list("application__lead_agency_id", "person_id"):
        teams[agency_id].add(person_id)
    cases = {}
    for a in applications:
        communities = list(a.communities.all())
        cases[a.pk] = conflicts.Case(
            lead_agency=a.lead_agency_id,
            lead_name=a.lead_agency.name,
            communities=frozenset(c.pk for c in communities),
            streets=frozenset(c.parent_id for c in communities if c.parent_id),
            issuer=a.call.issuer_id,
            competitors=frozenset(leads_by_call[a.call_id] - {a.lead_agency_id}),
            past_teams=frozenset(teams[a.lead_agency_id]),
        )
    return cases


def detect_conflicts(expert: Expert, application: Application, *, today: date | None = None) -> list[str]:
    """Reasons `expert` must not review `application`, in the active language (empty: none)."""
    day = today or timezone.localdate()
    years = application.call.conflict_years
    case = _cases([application], day, years)[application.pk]
    found = conflicts.reasons(_ties([expert])[expert.pk], case, person=expert.person_id, today=day, years=years)
    return [render_message(message_data(m)) for m in found]


def screen_conflicts(applications: list[Application], experts: list[Expert], *, today: date | None = None) -> int:
    """Store every detected conflict between the pool and the applications; returns how many were new."""
    day = today or timezone.localdate()
    if not applications:
        return 0
    years = applications[0].call.conflict_years
    ties = _ties(experts)
    cases = _cases(applications, day, years)
    made = 0
    for application in applications:
        for expert in experts:
            for message in conflicts.reasons(
                ties[expert.pk], cases[application.pk], person=expert.person_id, today=day, years=years
            ):
                with translation.override(settings.LANGUAGE_CODE):  # one key whoever screens, in any language
                    reason = render_message(message_data(message))[:300]
                _conflict, created = Conflict.objects.get_or_create(
                    expert=expert,
                    application=application,
                    reason=reason,
                    defaults={"source": Conflict.Source.DETECTED, "message": message_data(message)},
                )
                made += created
    return made


@transaction.atomic
def start_review(actor: Any, call: Call, *, today: date | None = None) -> dict[str, int]:
    """Close the call, screen each submitted application, detect conflicts and assign reviewers."""
    _require_issuer(actor, call)
    funding_services.close_call(actor, call)
    rules = call_rules(call)
    eligible: list[Application] = []
    for application in Application.objects.filter(call=call, state=Application.State.SUBMITTED).order_by("pk"):
        found = eligibility.findings(rules, _candidate(application))
        application_services.record_eligibility(actor, application, found)
        if not found:
            eligible.append(application)
    experts = list(Expert.objects.filter(active=True).select_related("person").order_by("pk"))
    conflicts_found = screen_conflicts(eligible, experts, today=today)
    demand = {a.pk: call.reviewers_per_application for a in eligible}
    pairs = _assign(actor, call, demand, experts)
    return {"eligible": len(eligible), "conflicts": conflicts_found, "reviews": pairs}


def _assign(actor: Any, call: Call, demand: dict[int, int], experts: list[Expert]) -> int:
    """Give each application its demanded number of new reviewers, optimally, within what each expert has left."""
    wanted = [a for a in Application.objects.filter(pk__in=demand).select_related("category").order_by("pk")]
    if not wanted or not any(demand.values()):
        return 0
    load: dict[int, int] = defaultdict(int)
    for expert_id in (
        Review.objects.filter(application__call=call)
        .exclude(state=Review.State.WITHDRAWN)
        .values_list("expert_id", flat=True)
    ):
        load[expert_id] += 1
    papers = [assignment.Paper(str(a.pk), frozenset({a.category.code})) for a in wanted]
    pool = [assignment.Reviewer(str(e.pk), frozenset(e.expertise), e.capacity - load[e.pk]) for e in experts]
    banned = {(str(c.expert_id), str(c.application_id)) for c in Conflict.objects.filter(application__in=wanted)}
    # Whoever already reviews (or withdrew from) an application is not assigned to it again.
    banned |= {
        (str(e), str(a))
        for e, a in Review.objects.filter(application__in=wanted).values_list("expert_id", "application_id")
    }
    try:
        result = assignment.solve_assignment(
            call.reviewers_per_application, papers, pool, banned, demand=[demand[a.pk] for a in wanted]
        )
    except assignment.Infeasible as exc:
        raise RuleViolation(_("The expert pool is too small for this call: %(why)s.") % {"why": exc}) from None
    topics = {p.id: p.topics for p in papers}
    expertise = {r.id: r.expertise for r in pool}
    Review.objects.bulk_create(
        Review(
            application_id=int(a),
            expert_id=int(r),
            affinity=Decimal(str(round(assignment.jaccard(topics[a], expertise[r]), 4))),
        )
        for r, a in result.assignments
    )
    record(
        actor, "call.reviewers_assigned", call, after={"pairs": len(result.assignments), "objective": result.objective}
    )
    return len(result.assignments)


def vacancies(call: Call) -> dict[int, int]:
    """Seats still to fill per eligible application (after withdrawals and removals)."""
    active: dict[int, int] = defaultdict(int)
    for application_id in (
        Review.objects.filter(application__call=call, application__state=Application.State.ELIGIBLE)
        .exclude(state=Review.State.WITHDRAWN)
        .values_list("application_id", flat=True)
    ):
        active[application_id] += 1
    eligible = Application.objects.filter(call=call, state=Application.State.ELIGIBLE).values_list("pk", flat=True)
    return {
        pk: call.reviewers_per_application - active[pk]
        for pk in eligible
        if active[pk] < call.reviewers_per_application
    }


@transaction.atomic
def fill_vacancies(actor: Any, call: Call) -> int:
    """Re-run the assignment for the seats withdrawn reviewers left; the others' reviews stand."""
    _require_issuer(actor, call)
    if call.state != Call.State.REVIEW:
        raise RuleViolation(_("Reviewers can be changed only while the call is under review."))
    experts = list(Expert.objects.filter(active=True).select_related("person").order_by("pk"))
    return _assign(actor, call, vacancies(call), experts)


@transaction.atomic
def add_conflict(actor: Any, expert: Expert, application: Application, reason: str) -> Conflict:
    """Staff record a conflict the screening could not see; an open review of the pair is withdrawn."""
    _require_issuer(actor, application.call)
    if not reason.strip():
        raise RuleViolation(_("Say what the conflict of interest is."))
    conflict, _created = Conflict.objects.get_or_create(
        expert=expert, application=application, reason=reason.strip()[:300], defaults={"source": Conflict.Source.MANUAL}
    )
    record(actor, "conflict.added", conflict, after={"expert": expert.pk, "application": application.pk}, reason=reason)
    for review in Review.objects.filter(expert=expert, application=application, state=Review.State.ASSIGNED):
        transition(review, Review.State.WITHDRAWN, actor=actor, reason=reason)
    return conflict


@transaction.atomic
def remove_reviewer(actor: Any, review: Review, reason: str) -> Review:
    """Staff take an expert off an application before they have scored it."""
    _require_issuer(actor, review.application.call)
    if not reason.strip():
        raise RuleViolation(_("Say why the reviewer is removed."))
    transition(review, Review.State.WITHDRAWN, actor=actor, reason=reason)
    return review


@transaction.atomic
def assign_by_hand(actor: Any, application: Application, expert: Expert) -> Review:
    """Staff adjust an assignment; the conflict rules and the expert's capacity still apply."""
    call = Call.objects.select_for_update().get(pk=application.call_id)
    _require_issuer(actor, call)
    if call.state != Call.State.REVIEW:
        raise RuleViolation(_("Reviewers can be changed only while the call is under review."))
    # The states as stored now: the caller's objects may predate the screening.
    if Application.objects.filter(pk=application.pk).values_list("state", flat=True).first() != (
        Application.State.ELIGIBLE
    ):
        raise RuleViolation(_("Only an eligible application is given reviewers."))
    if not Expert.objects.filter(pk=expert.pk, active=True).exists():
        raise RuleViolation(_("%(e)s is no longer in the active expert pool.") % {"e": expert})
    reasons = detect_conflicts(expert, application) + list(
        Conflict.objects.filter(expert=expert, application=application).values_list("reason", flat=True)
    )
    if reasons:
        raise RuleViolation(_("%(e)s has a conflict of interest: %(r)s") % {"e": expert, "r": "; ".join(reasons)})
    if Review.objects.filter(application=application, expert=expert).exists():
        raise RuleViolation(_("%(e)s already reviews this application.") % {"e": expert})
    load = (
        Review.objects.filter(expert=expert, application__call=application.call)
        .exclude(state=Review.State.WITHDRAWN)
        .count()
    )
    if load >= expert.capacity:
        raise RuleViolation(
            _("%(e)s already has %(n)d reviews in this call, their capacity.") % {"e": expert, "n": load}
        )
    review = Review.objects.create(
        application=application,
        expert=expert,
        affinity=Decimal(
            str(round(assignment.jaccard(frozenset({application.category.code}), frozenset(expert.expertise)), 4))
        ),
    )
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
def submit_scores(
    actor: Any, review: Review, scores: dict[int, Any], comment: str = "", comments: dict[int, str] | None = None
) -> Review:
    """Score each reviewer-scored criterion of the call from 0 to 100, with an optional comment on each.

    The review's total is the weighted sum over those criteria (a past-performance criterion is added
    at ranking, not by the reviewer). Scores stay blind: only the reviewer and the call's officers see
    them until the panel closes.
    """
    review = Review.objects.select_for_update().get(pk=review.pk)
    _require_reviewer(actor, review)
    call = review.application.call
    if call.state != Call.State.REVIEW:
        raise RuleViolation(_("The panel is not open for scoring."))
    if review.application.state != Application.State.ELIGIBLE:
        raise RuleViolation(_("This application is no longer in the competition."))
    criteria = list(call.criteria.filter(source=Criterion.Source.REVIEWERS))
    if set(scores) != {c.pk for c in criteria}:
        raise RuleViolation(_("Score every criterion of the call, and only those."))
    comments = comments or {}
    if set(comments) - set(scores):
        raise RuleViolation(_("A comment names a criterion that is not scored."))
    weighted = Decimal(0)
    values = {}
    for criterion in criteria:
        try:
            value = Decimal(str(scores[criterion.pk]))
        except ArithmeticError:
            raise RuleViolation(_("A score must be a number.")) from None
        if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
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
    Score.objects.bulk_create(
        Score(review=review, criterion=c, value=v, comment=comments.get(c.pk, "")) for c, v in values.items()
    )
    return review


def ranking_key(score: Decimal, application: Application) -> tuple[Decimal, Decimal, Any, str]:
    """The documented tie-break: higher score, then lower request, then earlier submission, then reference."""
    return (-score, application.requested, application.submitted_at or timezone.now(), application.reference)


@transaction.atomic
def close_panel(actor: Any, call: Call, method: str | None = None) -> list[Application]:
    """Aggregate the marks, add past performance, rank the eligible applications and pass the call on.

    `method` overrides the call's aggregation (mean, trimmed mean or per-reviewer z-scores).
    """
    _require_issuer(actor, call)
    if call.state != Call.State.REVIEW:
        raise RuleViolation(_("The call is not under review."))
    method = method or call.aggregation
    if method not in aggregation.METHODS:
        raise RuleViolation(_("Unknown way of aggregating scores: %(a)s") % {"a": method})
    # Reviews of applications withdrawn during the review no longer hold the panel up.
    pending = Review.objects.filter(
        application__call=call, application__state=Application.State.ELIGIBLE, state=Review.State.ASSIGNED
    ).count()
    if pending:
        raise RuleViolation(_("%(n)d review(s) are still open.") % {"n": pending})
    eligible = list(Application.objects.filter(call=call, state=Application.State.ELIGIBLE).order_by("pk"))
    marks = [
        aggregation.Mark(str(r.expert_id), str(r.application_id), r.total)
        for r in Review.objects.filter(
            application__call=call, application__state=Application.State.ELIGIBLE, state=Review.State.SUBMITTED
        )
        if r.total is not None
    ]
    scored = aggregation.aggregate(marks, method)
    unscored = [a.reference for a in eligible if str(a.pk) not in scored]
    if unscored:
        raise RuleViolation(_("These applications have no submitted review: %(l)s") % {"l": ", ".join(unscored)})
    flagged = aggregation.disagreement(marks, call.disagreement_threshold)
    performance_weight = sum((c.weight for c in call.criteria.filter(source=Criterion.Source.PERFORMANCE)), Decimal(0))
    performance: dict[int, Decimal] = {}
    if performance_weight:
        records = past_performance({a.lead_agency_id for a in eligible}, call.program.fiscal_year)
        performance = {a.pk: records.get(a.lead_agency_id, call.performance_default) for a in eligible}
    scores = {
        a.pk: (scored[str(a.pk)] + performance_weight * performance.get(a.pk, Decimal(0)) / 100).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        for a in eligible
    }
    eligible.sort(key=lambda a: ranking_key(scores[a.pk], a))
    ranks = {a.pk: i + 1 for i, a in enumerate(eligible)}
    application_services.record_ranking(
        actor,
        call,
        scores,
        ranks,
        performance=performance,
        disagreement={a.pk for a in eligible if str(a.pk) in flagged},
    )
    for application in eligible:  # the ranking returned carries what was just recorded
        application.score, application.rank = scores[application.pk], ranks[application.pk]
    funding_services.finish_review(actor, call)
    return eligible
