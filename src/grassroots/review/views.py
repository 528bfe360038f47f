"""Pages of a call's review: the officers' review page (eligibility, the assignment matrix, conflicts,
vacancies, progress, closing the panel and the ranking), and the reviewers' pages (their assignments, and
one application with the score sheet).

Views are thin: every write goes through `review.services`; a refusal (RuleViolation, Forbidden) is shown
as a message on the page it came from, with what was typed kept, and answered 400 or 403. A call the user
may not see is a 404; the review page of a call they see but do not oversee is a 403. A review is seen by
its expert only (a 404 to everyone else), and never shows who else reviews the application.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from grassroots.applications import selectors as applications
from grassroots.applications.models import Application
from grassroots.core.errors import Forbidden
from grassroots.funding.models import Aggregation, Call, Criterion
from grassroots.funding.selectors import calls_visible_to
from grassroots.orgs.models import Expert
from grassroots.orgs.selectors import expert_of
from grassroots.web.refusals import done, redrawn_by
from grassroots.web.templatetags.web_tags import tr

from . import forms, selectors, services
from .models import Review

# --- the officers' review page of a call ---------------------------------------------------------------


def _call(request: HttpRequest, pk: int) -> Call:
    """The call, if the user may see it and oversee its review (404 when unseen, 403 when not theirs)."""
    call = get_object_or_404(
        calls_visible_to(request.user).select_related("program", "program__department", "issuer"), pk=pk
    )
    if not selectors.oversees(request.user, call):
        raise Forbidden(_("Only the officers running this call see how it is reviewed."))
    return call


@login_required
@require_GET
def call_review(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_page(request, _call(request, pk))


def _review_page(request: HttpRequest, call: Call, post: Any = None, status: int = 200) -> HttpResponse:
    runs = selectors.runs(request.user, call)
    under_review = call.state == Call.State.REVIEW
    board = selectors.board(call, services.vacancies(call) if under_review else {})
    context = {
        "call": call,
        "board": board,
        "runs": runs,
        "under_review": under_review,
        "changing": runs and under_review,
        "pool": selectors.pool_with_load(call) if runs and under_review else [],
        "methods": Aggregation.choices,
        "method": (post or {}).get("method", call.aggregation),
        "post": post or {},
    }
    return render(request, "review/call_review.html", context, status=status)


def _redraw(request: HttpRequest, status: int, pk: int) -> HttpResponse:
    return _review_page(request, _call(request, pk), request.POST, status)


def _done(request: HttpRequest, call: Call, text: str, anchor: str = "") -> HttpResponse:
    return done(request, text, reverse("call-review", args=[call.pk]) + anchor)


@login_required
@require_POST
@redrawn_by(_redraw)
def review_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Close submissions, screen eligibility and conflicts, and assign the reviewers."""
    call = _call(request, pk)
    found = services.start_review(request.user, call)
    return _done(
        request,
        call,
        _(
            "The review has started. Eligible applications: %(eligible)d · conflicts of interest found: "
            "%(conflicts)d · reviews assigned: %(reviews)d."
        )
        % found,
    )


@login_required
@require_POST
@redrawn_by(_redraw)
def review_fill(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign new reviewers to the seats that withdrawn or removed reviewers left."""
    call = _call(request, pk)
    added = services.fill_vacancies(request.user, call)
    text = ngettext("%(n)d reviewer was assigned.", "%(n)d reviewers were assigned.", added) % {"n": added}
    return _done(request, call, text, "#matrix")


@login_required
@require_POST
@redrawn_by(_redraw)
def review_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign one expert to one application by hand."""
    call = _call(request, pk)
    post = request.POST
    application = forms.chosen(
        post,
        "application",
        Application.objects.filter(call=call, state=Application.State.ELIGIBLE).select_related("call", "category"),
        _("Choose an eligible application of this call."),
    )
    expert = forms.chosen(
        post, "expert", Expert.objects.filter(active=True).select_related("person"), _("Choose an expert.")
    )
    services.assign_by_hand(request.user, application, expert)
    text = _("%(e)s now reviews %(a)s.") % {"e": tr(expert.person), "a": application.reference}
    return _done(request, call, text, "#matrix")


@login_required
@require_POST
@redrawn_by(_redraw)
def review_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Take an expert off an application before they have scored it, with a reason."""
    call = _call(request, pk)
    post = request.POST
    review = forms.chosen(
        post,
        "review",
        Review.objects.filter(application__call=call).select_related("application__call", "expert__person"),
        _("Choose the review to withdraw."),
    )
    services.remove_reviewer(request.user, review, forms.text(post, "remove_reason"))
    text = _("%(e)s no longer reviews %(a)s; the seat is vacant.") % {
        "e": tr(review.expert.person),
        "a": review.application.reference,
    }
    return _done(request, call, text, "#vacancies")


@login_required
@require_POST
@redrawn_by(_redraw)
def review_conflict(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a conflict of interest the screening could not see; an open review of the pair is withdrawn."""
    call = _call(request, pk)
    post = request.POST
    expert = forms.chosen(
        post, "conflict_expert", Expert.objects.select_related("person"), _("Choose the expert in conflict.")
    )
    application = forms.chosen(
        post,
        "conflict_application",
        Application.objects.filter(call=call).exclude(state=Application.State.DRAFT).select_related("call"),
        _("Choose the application of this call the conflict concerns."),
    )
    services.add_conflict(request.user, expert, application, forms.text(post, "conflict_reason"))
    text = _("The conflict of %(e)s with %(a)s is on record.") % {"e": tr(expert.person), "a": application.reference}
    return _done(request, call, text, "#conflicts")


@login_required
@require_POST
@redrawn_by(_redraw)
def review_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Aggregate the scores with the chosen method, rank the applications and hand the call to the awards."""
    call = _call(request, pk)
    ranking = services.close_panel(request.user, call, str(request.POST.get("method", "")) or None)
    text = ngettext(
        "The panel is closed: %(n)d application was ranked. The call moves on to the awards.",
        "The panel is closed: %(n)d applications were ranked. The call moves on to the awards.",
        len(ranking),
    ) % {"n": len(ranking)}
    return _done(request, call, text, "#ranking")


# --- the reviewers' pages ------------------------------------------------------------------------------


@login_required
@require_GET
def my_reviews(request: HttpRequest) -> HttpResponse:
    """The expert's open reviews first, then the ones they submitted or withdrew from."""
    reviews = list(selectors.assigned_to(request.user).select_related("application__call__issuer"))
    context = {
        "expert": expert_of(request.user),
        "open": [r for r in reviews if r.state == Review.State.ASSIGNED],
        "done": [r for r in reviews if r.state != Review.State.ASSIGNED],
    }
    return render(request, "review/my_reviews.html", context)


def _review(request: HttpRequest, pk: int) -> Review:
    """The user's own review (a 404 for anyone else: whether it exists is no one else's business here)."""
    return get_object_or_404(
        selectors.assigned_to(request.user).select_related(
            "application__call__program", "application__call__issuer", "application__lead_agency", "expert"
        ),
        pk=pk,
    )


@login_required
@require_GET
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _reviewer_page(request, _review(request, pk))


def _reviewer_page(request: HttpRequest, review: Review, post: Any = None, status: int = 200) -> HttpResponse:
    application = review.application
    call = application.call
    visible = applications.visible_to(request.user).filter(pk=application.pk).exists()
    every = list(call.criteria.order_by("position", "pk"))
    criteria = [c for c in every if c.source == Criterion.Source.REVIEWERS]
    can_score = (
        review.state == Review.State.ASSIGNED
        and call.state == Call.State.REVIEW
        and application.state == Application.State.ELIGIBLE
    )
    if can_score:
        rows = forms.sheet_rows(criteria, post)
    elif review.state == Review.State.SUBMITTED:
        rows = forms.given_rows(selectors.given(review))
    else:
        rows = []
    context = {
        "review": review,
        "application": application,
        "call": call,
        "visible": visible,
        **(applications.application_detail(application) if visible else {}),
        "rows": rows,
        "can_score": can_score,
        "can_declare": review.state == Review.State.ASSIGNED,
        "max_total": sum((c.weight for c in criteria), Decimal(0)),
        "performance": [c for c in every if c.source == Criterion.Source.PERFORMANCE],
        "conflicts": selectors.own_conflicts(review) if review.state == Review.State.WITHDRAWN else [],
        "post": post or {},
    }
    return render(request, "review/review_detail.html", context, status=status)


def _redraw_reviewer(request: HttpRequest, status: int, pk: int) -> HttpResponse:
    return _reviewer_page(request, _review(request, pk), request.POST, status)


@login_required
@require_POST
@redrawn_by(_redraw_reviewer)
def review_score(request: HttpRequest, pk: int) -> HttpResponse:
    """The expert submits their scores: points per criterion, comments, once."""
    review = _review(request, pk)
    sheet = forms.sheet_from(request.POST, selectors.reviewer_criteria(review.application.call), tr)
    services.submit_scores(request.user, review, sheet.scores, sheet.comment, sheet.comments)
    messages.success(
        request, _("Your scores were submitted. Other reviewers do not see them; the panel ranks the applications.")
    )
    return redirect("review-detail", pk=review.pk)


@login_required
@require_POST
@redrawn_by(_redraw_reviewer)
def review_declare(request: HttpRequest, pk: int) -> HttpResponse:
    """The expert declares a conflict of interest and withdraws from the review."""
    review = _review(request, pk)
    services.declare_conflict(request.user, review, forms.text(request.POST, "reason"))
    messages.success(
        request, _("You declared a conflict of interest and withdrew; the call's officers will assign another expert.")
    )
    return redirect("my-reviews")
