"""Pages of residents' needs and community consultation (议事协商): a community's needs with their
lifecycle, raising a need, a need's page with the community worker's decisions, planning a meeting, and
the meeting page with its ballot and its published result.

Views are thin: every write goes through `needs.services`; a refusal (RuleViolation, Forbidden) is shown
as a message on the page it came from, with what was typed kept, and answered 400 or 403. A community
the user has no relation to does not exist for them (404), nor do its needs and meetings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from grassroots.applications.selectors import visible_to as applications_visible_to
from grassroots.contracts.selectors import visible_to as contracts_visible_to
from grassroots.core.errors import Forbidden, RuleViolation
from grassroots.core.keys import ids
from grassroots.core.transitions import allowed
from grassroots.funding.models import ServiceCategory
from grassroots.funding.selectors import calls_visible_to
from grassroots.orgs.models import Organization, Person
from grassroots.web.refusals import refused

from . import forms, selectors, services
from .models import Meeting, Need, Participant

# --- the lifecycle chart ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    count: int
    width: int  # percent of the needs raised


def funnel(lifecycle: selectors.Lifecycle) -> list[Stage]:
    """How far the community's needs went, each stage as a share of the needs raised."""
    stages = [
        ("raised", _("Raised"), lifecycle.raised),
        ("consulted", _("Consulted"), lifecycle.consulted),
        ("prioritised", _("Prioritised"), lifecycle.prioritised),
        ("addressed", _("Addressed by a contract"), lifecycle.addressed),
        ("resolved", _("Resolved"), lifecycle.resolved),
        ("declined", _("Declined"), lifecycle.declined),
    ]
    top = lifecycle.raised or 1
    return [Stage(key, label, count, round(100 * count / top)) for key, label, count in stages]


def _community(request: HttpRequest, pk: int) -> Organization:
    return get_object_or_404(selectors.communities_visible_to(request.user).select_related("parent"), pk=pk)


def _visible_contracts(user: Any, answered: dict[int, list[Any]]) -> set[int]:
    pks = {c.pk for contracts in answered.values() for c in contracts}
    if not pks:
        return set()
    return set(contracts_visible_to(user).filter(pk__in=pks).values_list("pk", flat=True))


# --- a community's needs -----------------------------------------------------------------------------------------

#: The states the list filters by (merged needs live on in the need they joined).
LISTED_STATES = [(value, label) for value, label in Need.State.choices if value != Need.State.MERGED]


@login_required
@require_http_methods(["GET"])
def community_needs(request: HttpRequest, pk: int) -> HttpResponse:
    """The community's needs with their lifecycle, and its consultation meetings."""
    community = _community(request, pk)
    worker = selectors.is_worker(request.user, community)
    listed = selectors.of_community(community)
    if worker:
        listed = listed.select_related("raised_by")
    state = str(request.GET.get("state", ""))
    if state in dict(LISTED_STATES):
        listed = listed.filter(state=state)
    else:
        state = ""
    categories = list(ServiceCategory.objects.order_by("code"))
    category = str(request.GET.get("category", ""))
    if category in {str(c.pk) for c in categories}:
        listed = listed.filter(category_id=int(category))
    else:
        category = ""
    needs = list(listed)
    answered = selectors.answering(needs)
    context = {
        "community": community,
        "worker": worker,
        "may_raise": selectors.may_raise(request.user, community),
        "funnel": funnel(selectors.lifecycle(community)),
        "rows": [(n, answered.get(n.pk, [])) for n in needs],
        "visible_contracts": _visible_contracts(request.user, answered),
        "states": LISTED_STATES,
        "categories": categories,
        "state": state,
        "category": category,
        "filtered": bool(state or category),
        "meetings": list(selectors.meetings_of(community)),
    }
    return render(request, "needs/community_needs.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def need_raise(request: HttpRequest, pk: int) -> HttpResponse:
    """A resident raises a need in their own community; a community worker records one on their behalf."""
    community = _community(request, pk)
    if request.method == "POST":
        try:
            need = services.raise_need(
                request.user, community=community, raised_on=timezone.localdate(), **forms.need_from(request.POST)
            )
        except (RuleViolation, PermissionDenied) as problem:
            return _raise_page(request, community, request.POST, refused(request, problem))
        messages.success(request, _("The need was raised. A community meeting will consult residents on it."))
        return redirect("need-detail", pk=need.pk)
    if not selectors.may_raise(request.user, community):
        raise Forbidden(_("Only residents of %(c)s or its community workers raise its needs.") % {"c": community})
    return _raise_page(request, community)


def _raise_page(request: HttpRequest, community: Organization, post: Any = None, status: int = 200) -> HttpResponse:
    context = {
        "community": community,
        "worker": selectors.is_worker(request.user, community),
        "categories": list(ServiceCategory.objects.order_by("code")),
        "post": post or {},
    }
    return render(request, "needs/need_form.html", context, status=status)


# --- one need ----------------------------------------------------------------------------------------------------


def _need(request: HttpRequest, pk: int) -> Need:
    return get_object_or_404(
        selectors.needs_visible_to(request.user).select_related(
            "community", "community__parent", "category", "raised_by", "merged_into"
        ),
        pk=pk,
    )


@login_required
@require_http_methods(["GET"])
def need_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _need_page(request, _need(request, pk))


def _need_page(request: HttpRequest, need: Need, post: Any = None, status: int = 200) -> HttpResponse:
    community = need.community
    worker = selectors.is_worker(request.user, community)
    answered = selectors.answering([need])
    meetings = list(need.meetings.order_by("-held_on", "pk"))
    being_voted = any(m.state == Meeting.State.VOTING for m in meetings)  # merging and declining wait for it
    can_merge = worker and not being_voted and allowed(need, Need.State.MERGED)
    context = {
        "need": need,
        "community": community,
        "worker": worker,
        "meetings": meetings,
        "merged": list(need.merged_needs.order_by("pk")),
        "contracts": answered.get(need.pk, []),
        "visible_contracts": _visible_contracts(request.user, answered),
        "applications": list(
            applications_visible_to(request.user).filter(needs=need).select_related("call", "lead_agency")
        ),
        "calls": list(calls_visible_to(request.user).filter(needs=need)),
        "can_merge": can_merge,
        "can_decline": worker and not being_voted and allowed(need, Need.State.DECLINED),
        "can_resolve": worker and allowed(need, Need.State.RESOLVED),
        "being_voted": worker and being_voted,
        "targets": list(selectors.of_community(community).exclude(pk=need.pk).exclude(state=Need.State.DECLINED))
        if worker and allowed(need, Need.State.MERGED)
        else [],
        "post": post or {},
    }
    return render(request, "needs/need_detail.html", context, status=status)


@login_required
@require_POST
def need_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The community worker merges a need into another, declines it with a reason, or marks it resolved."""
    need = _need(request, pk)
    post = request.POST
    action = post.get("action")
    try:
        if action == "merge":
            into = selectors.needs_visible_to(request.user).filter(pk__in=ids([post.get("into", "")])).first()
            if into is None:
                raise RuleViolation(_("Choose the need this one repeats."))
            services.merge_needs(request.user, need, into)
            messages.success(request, _("The need was merged into “%(n)s”.") % {"n": into})
            return redirect("need-detail", pk=into.pk)
        if action == "decline":
            services.decline_need(request.user, need, str(post.get("reason", "")))
            done = _("The need was declined; the reason is on record.")
        elif action == "resolve":
            services.resolve_need(request.user, need)
            done = _("The need is marked resolved.")
        else:
            raise RuleViolation(_("Choose to merge, decline or resolve the need."))
    except (RuleViolation, PermissionDenied) as problem:
        return _need_page(request, need, post, refused(request, problem))
    messages.success(request, done)
    return redirect("need-detail", pk=need.pk)


# --- planning a meeting ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def meeting_plan(request: HttpRequest, pk: int) -> HttpResponse:
    """A community worker convenes a consultation meeting: agenda, seats and the voting rule."""
    community = _community(request, pk)
    if request.method == "POST":
        try:
            meeting = services.plan_meeting(request.user, community=community, **forms.meeting_from(request.POST))
        except (RuleViolation, PermissionDenied) as problem:
            return _plan_page(request, community, request.POST, refused(request, problem))
        messages.success(request, _("The meeting was planned. Open voting when the residents meet."))
        return redirect("meeting-detail", pk=meeting.pk)
    if not selectors.is_worker(request.user, community):
        raise Forbidden(_("Only a community worker of %(c)s convenes its meetings.") % {"c": community})
    return _plan_page(request, community)


def _plan_page(request: HttpRequest, community: Organization, post: Any = None, status: int = 200) -> HttpResponse:
    worker = selectors.is_worker(request.user, community)
    residents = list(selectors.residents_of(community)) if worker else []
    street, agency = selectors.guests_for(community)
    context = {
        "community": community,
        "needs": list(selectors.open_needs(community)),
        "typed": forms.plan_typed(post, residents),
        "rules": Meeting.Rule.choices,
        "seat_kinds": [(k, label) for k, label in Participant.Kind.choices if k in selectors.VOTING_KINDS],
        "street_guests": list(street) if worker else [],
        "agency_guests": list(agency) if worker else [],
    }
    return render(request, "needs/meeting_plan.html", context, status=status)


# --- the meeting --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultRow:
    ranked: selectors.Ranked
    width: int  # points as a share of the winner's


def _result_rows(meeting: Meeting) -> list[ResultRow]:
    ranked = selectors.result_of(meeting)
    top = max((r.points for r in ranked), default=0) or 1
    return [ResultRow(r, round(100 * r.points / top)) for r in ranked]


def _meeting(request: HttpRequest, pk: int) -> Meeting:
    return get_object_or_404(
        selectors.meetings_visible_to(request.user).select_related("community", "community__parent"), pk=pk
    )


@login_required
@require_http_methods(["GET"])
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_page(request, _meeting(request, pk))


def _meeting_page(request: HttpRequest, meeting: Meeting, post: Any = None, status: int = 200) -> HttpResponse:
    community = meeting.community
    worker = selectors.is_worker(request.user, community)
    agenda = list(meeting.agenda.select_related("category").order_by("pk"))
    seat = selectors.seat_of(request.user, meeting)
    votes = seat is not None and seat.kind in selectors.VOTING_KINDS
    running = meeting.state in (Meeting.State.PLANNED, Meeting.State.VOTING)
    counts = selectors.seat_counts(meeting)
    context: dict[str, Any] = {
        "meeting": meeting,
        "community": community,
        "worker": worker,
        "agenda": agenda,
        "seat": seat,
        "can_vote": votes and meeting.state == Meeting.State.VOTING and seat is not None and not seat.has_voted,
        "has_voted": seat is not None and seat.has_voted,
        "is_guest": seat is not None and not votes,
        "seat_counts": [(label, counts.get(kind, 0)) for kind, label in Participant.Kind.choices],
        "seats": sum(counts.values()),
        "ballots_cast": selectors.ballots_cast(meeting) if meeting.state == Meeting.State.VOTING else None,
        "ballot_rows": forms.ballot_rows(agenda, post),
        "result": _result_rows(meeting) if meeting.state == Meeting.State.CLOSED else [],
        "running": running,
        "post": post or {},
    }
    if worker:
        participants = list(meeting.participants.select_related("person").order_by("kind", "person__name", "pk"))
        context["participants"] = participants
        if running:
            seated = {p.person_id for p in participants}
            street, agency = selectors.guests_for(community)
            context["seat_choices"] = [
                (_("Residents"), [p for p in selectors.residents_of(community) if p.pk not in seated]),
                (_("Street officers"), [p for p in street if p.pk not in seated]),
                (_("Agency staff"), [p for p in agency if p.pk not in seated]),
            ]
            context["kinds"] = Participant.Kind.choices
    return render(request, "needs/meeting_detail.html", context, status=status)


@login_required
@require_POST
def meeting_state(request: HttpRequest, pk: int) -> HttpResponse:
    """The community worker opens voting, closes the meeting with its minutes, or cancels it with a reason."""
    meeting = _meeting(request, pk)
    post = request.POST
    action = post.get("action")
    try:
        if action == "open":
            services.open_voting(request.user, meeting)
            done = _("Voting is open: seated residents may cast their ballots.")
        elif action == "close":
            services.close_meeting(request.user, meeting, str(post.get("minutes", "")))
            done = _("The meeting is closed and its result published.")
        elif action == "cancel":
            services.cancel_meeting(request.user, meeting, str(post.get("reason", "")))
            done = _("The meeting was cancelled.")
        else:
            raise RuleViolation(_("Choose to open voting, close the meeting or cancel it."))
    except (RuleViolation, PermissionDenied) as problem:
        return _meeting_page(request, meeting, post, refused(request, problem))
    messages.success(request, done)
    return redirect("meeting-detail", pk=meeting.pk)


@login_required
@require_POST
def meeting_seat(request: HttpRequest, pk: int) -> HttpResponse:
    """The community worker signs in one more participant."""
    meeting = _meeting(request, pk)
    post = request.POST
    try:
        if not selectors.is_worker(request.user, meeting.community):  # before saying who exists
            raise Forbidden(_("Only a community worker of %(c)s seats participants.") % {"c": meeting.community})
        person = Person.objects.filter(pk__in=ids([post.get("person", "")])).first()
        if person is None:
            raise RuleViolation(_("Choose the person to seat."))
        services.seat_participant(request.user, meeting, person, str(post.get("kind", "")))
    except (RuleViolation, PermissionDenied) as problem:
        return _meeting_page(request, meeting, post, refused(request, problem))
    messages.success(request, _("%(p)s was given a seat.") % {"p": person})
    return redirect(reverse("meeting-detail", args=[meeting.pk]) + "#participants")


@login_required
@require_POST
def meeting_ballot(request: HttpRequest, pk: int) -> HttpResponse:
    """A seated resident casts their ballot, once."""
    meeting = _meeting(request, pk)
    try:
        ballot = forms.ballot_from(request.POST, meeting, meeting.agenda.order_by("pk"))
        services.cast_ballot(request.user, meeting, ballot)
    except (RuleViolation, PermissionDenied) as problem:
        return _meeting_page(request, meeting, request.POST, refused(request, problem))
    messages.success(request, _("Your ballot was cast. The result is published when the meeting closes."))
    return redirect("meeting-detail", pk=meeting.pk)
