"""The awards page of a call: running the allocation, the award list with its total against the budget
and a reason for each application left out, the publicity period (公示) with its objections and their
answers, the department's decision, and withdrawing a list.

Who sees what: the call's officers (its issuer's and its department's) see the list from the moment it is
proposed, every reason and every objection; everyone else who may see the call sees the list once it is
publicised, the reasons for their own agency's applications, and the objections they raised. Reviewers
are never named here. Views are thin: every write goes through `awards.services`; a refusal is shown as a
message on the page, with what was typed kept, and answered 400 or 403.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from grassroots.applications import selectors as applications
from grassroots.core.errors import RuleViolation
from grassroots.core.money import format_cny
from grassroots.funding.models import AwardRule, Call
from grassroots.funding.selectors import calls_visible_to
from grassroots.orgs.models import Role
from grassroots.orgs.selectors import acts_for, person_of
from grassroots.review import selectors as review_selectors
from grassroots.web.refusals import done, redrawn_by

from . import forms, selectors, services
from .models import AwardList, Objection


def _call(request: HttpRequest, pk: int) -> Call:
    return get_object_or_404(
        calls_visible_to(request.user).select_related("program", "program__department", "issuer"), pk=pk
    )


@login_required
@require_GET
def call_awards(request: HttpRequest, pk: int) -> HttpResponse:
    return _awards_page(request, _call(request, pk))


def _awards_page(request: HttpRequest, call: Call, post: Any = None, status: int = 200) -> HttpResponse:
    user = request.user
    oversees = review_selectors.oversees(user, call)
    current = selectors.current_list(call)
    shown = current if oversees else selectors.public_list(call)
    own = selectors.own_applications(user, call)
    ranked = selectors.ranked(call)
    if not oversees:  # the reasons of the applications left out are for their own agencies
        ranked = [a for a in ranked if a.pk in own]
    outcome = selectors.outcome(shown, ranked) if shown else None
    runs = acts_for(user, call.issuer, Role.OFFICER)
    approves = acts_for(user, call.program.department, Role.OFFICER)
    state = shown.state if shown else None
    context = {
        "call": call,
        "oversees": oversees,
        "runs": runs,
        "outcome": outcome,
        "award_list": shown,
        "ranked": ranked if oversees and shown is None else [],
        "scores": oversees or call.state == Call.State.DECIDED,
        "visible": set(applications.visible_to(user).filter(call=call).values_list("pk", flat=True)),
        "objections": selectors.objections_seen_by(user, shown, oversees=oversees) if shown else [],
        "withdrawn": selectors.withdrawn_lists(call) if oversees else [],
        "can_propose": runs and call.state == Call.State.AWARDING and current is None,
        "can_publicise": runs and state == AwardList.State.PROPOSED,
        "can_withdraw": runs and state in (AwardList.State.PROPOSED, AwardList.State.PUBLICITY),
        "can_answer": runs and state == AwardList.State.PUBLICITY,
        "can_decide": approves and state == AwardList.State.PUBLICITY,
        "can_object": state == AwardList.State.PUBLICITY and person_of(user) is not None,
        "caps": _caps(call),
        "rules": AwardRule.choices,
        "rule": (post or {}).get("rule", call.award_rule),
        "today": timezone.localdate(),
        "post": post or {},
    }
    return render(request, "awards/call_awards.html", context, status=status)


def _caps(call: Call) -> list[tuple[Any, Decimal]]:
    """The call's caps per category: (the category, or its code when unknown; the cap)."""
    if not call.category_caps:
        return []
    by_code = {c.code: c for c in call.categories.all()}
    return [(by_code.get(code, code), Decimal(str(cap))) for code, cap in sorted(call.category_caps.items())]


def _redraw(request: HttpRequest, status: int, pk: int, **_ids: int) -> HttpResponse:
    return _awards_page(request, _call(request, pk), request.POST, status)


def _done(request: HttpRequest, call: Call, text: str, anchor: str = "") -> HttpResponse:
    return done(request, text, reverse("call-awards", args=[call.pk]) + anchor)


def _current(call: Call) -> AwardList:
    award_list = selectors.current_list(call)
    if award_list is None:
        raise RuleViolation(_("This call has no award list yet."))
    return award_list


@login_required
@require_POST
@redrawn_by(_redraw)
def awards_propose(request: HttpRequest, pk: int) -> HttpResponse:
    """Run the allocation under the call's budget and caps, by the chosen rule."""
    call = _call(request, pk)
    award_list = services.propose_awards(request.user, call, str(request.POST.get("rule", "")) or None)
    funded = award_list.awards.count()
    text = ngettext(
        "The allocation funds %(n)d application for %(total)s.",
        "The allocation funds %(n)d applications for %(total)s.",
        funded,
    ) % {"n": funded, "total": format_cny(award_list.total)}
    return _done(request, call, text, "#list")


@login_required
@require_POST
@redrawn_by(_redraw)
def awards_publicity(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish the proposed list for the call's publicity period, from the chosen day."""
    call = _call(request, pk)
    starts_on = forms.day(request.POST, "starts_on", _("Publicity starts on"), default=timezone.localdate())
    award_list = services.start_publicity(request.user, _current(call), starts_on=starts_on)
    text = _("The list is in publicity from %(start)s until %(end)s; anyone may object until then.") % {
        "start": award_list.publicity_from,
        "end": award_list.publicity_until,
    }
    return _done(request, call, text, "#list")


@login_required
@require_POST
@redrawn_by(_redraw)
def awards_object(request: HttpRequest, pk: int) -> HttpResponse:
    """Anyone logged in objects to the publicised list, or to one award on it."""
    call = _call(request, pk)
    award_list = selectors.public_list(call)
    if award_list is None:
        raise RuleViolation(_("Objections are taken only during the publicity period."))
    award = forms.award_on(request.POST, "award", award_list)
    services.raise_objection(request.user, award_list, forms.text(request.POST, "text"), award)
    return _done(request, call, _("Your objection was received. The call's officers answer it here."), "#objections")


@login_required
@require_POST
@redrawn_by(_redraw)
def awards_answer(request: HttpRequest, pk: int, objection: int) -> HttpResponse:
    """The call's officer upholds or dismisses an objection, with a response the objector reads."""
    call = _call(request, pk)
    found = get_object_or_404(
        Objection.objects.select_related("award_list__call", "award__application"), pk=objection, award_list__call=call
    )
    upheld = forms.uphold(request.POST)
    services.answer_objection(request.user, found, uphold=upheld, response=forms.text(request.POST, "response"))
    if upheld and found.award is not None:
        text = _("The objection was upheld; the award to %(a)s is revoked.") % {"a": found.award.application.reference}
    elif upheld:
        text = _("The objection was upheld. Withdraw the list if it must be corrected.")
    else:
        text = _("The objection was dismissed; the response is on record.")
    return _done(request, call, text, "#objections")


@login_required
@require_POST
@redrawn_by(_redraw)
def awards_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The department approves the publicised list: the awards are confirmed and the call is decided."""
    call = _call(request, pk)
    services.decide(request.user, _current(call))
    return _done(request, call, _("The awards are decided. Contracts can now be drafted."), "#list")


@login_required
@require_POST
@redrawn_by(_redraw)
def awards_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Take back a proposed or publicised list, with a reason, so that a corrected one can be proposed."""
    call = _call(request, pk)
    services.withdraw_award_list(request.user, _current(call), forms.text(request.POST, "reason"))
    return _done(request, call, _("The award list was withdrawn; a new allocation can be run."))
