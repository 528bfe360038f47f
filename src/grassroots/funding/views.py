"""Pages of the funding stage: the department's programs (issuing, opening, closing, entrusting envelopes to
its streets), a street's envelope, the new-call form on an envelope or directly on a program, and the call
page with its officers' open / close / cancel buttons.

Views are thin: every write goes through `funding.services` (or, to close a call, the review stage's
`start_review`, which closes it and starts its review in one transaction); a refusal (RuleViolation,
Forbidden) is shown as a message on the page it came from, with what was typed kept, and answered 400 or
403. A program, envelope or call the user may not see does not exist for them (404).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grassroots.applications import selectors as applications
from grassroots.awards import selectors as awards
from grassroots.core.errors import Forbidden, RuleViolation
from grassroots.core.money import format_cny, total
from grassroots.core.transitions import allowed
from grassroots.needs import selectors as needs
from grassroots.orgs.models import Organization, Role
from grassroots.orgs.selectors import acts_for
from grassroots.review import services as review
from grassroots.web.refusals import refused
from grassroots.web.templatetags.web_tags import tr

from . import forms, selectors, services
from .models import Aggregation, AwardRule, Call, Criterion, Envelope, ProcurementMethod, Program


def _officer_of(request: HttpRequest, org: Organization) -> bool:
    return acts_for(request.user, org, Role.OFFICER)


def _require_officer(request: HttpRequest, org: Organization) -> None:
    if not _officer_of(request, org):
        raise Forbidden(_("Only an officer of %(org)s may do this.") % {"org": org.local_name})


def _share(part: Any, whole: Any) -> int:
    """`part` as a whole percentage of `whole`, for a bar's width (0 to 100)."""
    if not whole or whole <= 0:
        return 0
    return max(0, min(100, round(100 * part / whole)))


# --- the department's programs ---------------------------------------------------------------------------------


def _departments(request: HttpRequest) -> list[Organization]:
    departments = list(selectors.departments_run_by(request.user))
    if not departments:
        raise Forbidden(_("Only officers of a purchasing department issue and follow its programs."))
    return departments


@login_required
@require_GET
def program_list(request: HttpRequest) -> HttpResponse:
    """The programs of the departments the user is an officer of, filtered by year and state, searched by title."""
    departments = _departments(request)
    programs = Program.objects.filter(department__in=departments).select_related("department")
    years = selectors.program_years(programs)
    year = str(request.GET.get("year", ""))
    if year in {str(y) for y in years}:
        programs = programs.filter(fiscal_year=int(year))
    else:
        year = ""
    state = str(request.GET.get("state", ""))
    if state in Program.State.values:
        programs = programs.filter(state=state)
    else:
        state = ""
    query = str(request.GET.get("q", "")).strip()[:100]
    if query:
        programs = programs.filter(Q(title__icontains=query) | Q(title_en__icontains=query))
    rows = selectors.program_rows(programs.order_by("-fiscal_year", "title", "pk"))
    context = {
        "rows": [(row, _share(row.committed, row.program.budget)) for row in rows],
        "years": years,
        "states": Program.State.choices,
        "year": year,
        "state": state,
        "query": query,
        "filtered": bool(year or state or query),
        "several": len(departments) > 1,
    }
    return render(request, "funding/program_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def program_create(request: HttpRequest) -> HttpResponse:
    """A department officer issues a program: its budget, catalogue categories, method, rules and payment schedule."""
    departments = _departments(request)
    if request.method == "POST":
        try:
            program = services.create_program(request.user, **forms.program_from(request.POST, departments))
        except (RuleViolation, PermissionDenied) as problem:
            return _program_form(request, departments, request.POST, refused(request, problem))
        messages.success(request, _("The program was created as a draft. Open it to entrust envelopes and calls."))
        return redirect("program-detail", pk=program.pk)
    return _program_form(request, departments)


def _program_form(
    request: HttpRequest, departments: list[Organization], post: Any = None, status: int = 200
) -> HttpResponse:
    typed = forms.program_typed(post)
    context = {
        "departments": departments,
        "typed": typed,
        "categories": list(selectors.catalogue()),
        "methods": ProcurementMethod.choices,
        "tranche_total": forms.total_of(forms.split_shares(typed["tranches"])),
    }
    return render(request, "funding/program_form.html", context, status=status)


def _program(request: HttpRequest, pk: int) -> Program:
    return get_object_or_404(selectors.programs_visible_to(request.user).select_related("department"), pk=pk)


@login_required
@require_GET
def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _program_page(request, _program(request, pk))


def _program_page(request: HttpRequest, program: Program, post: Any = None, status: int = 200) -> HttpResponse:
    officer = _officer_of(request, program.department)
    envelopes = selectors.envelope_rows(program.envelopes.select_related("street").order_by("street__name", "pk"))
    direct = selectors.direct_calls_total(program)
    envelopes_total = total(row.envelope.amount for row in envelopes)
    left = program.budget - envelopes_total - direct
    bars = [
        (row.envelope.street, row.envelope.amount, _share(row.envelope.amount, program.budget)) for row in envelopes
    ]
    calls = selectors.with_application_counts(
        selectors.calls_visible_to(request.user).filter(program=program).select_related("issuer", "program")
    ).order_by("-opens_on", "reference")
    context = {
        "program": program,
        "officer": officer,
        "envelopes": envelopes,
        "visible_envelopes": set(
            selectors.envelopes_visible_to(request.user).filter(program=program).values_list("pk", flat=True)
        ),
        "direct": direct,
        "envelopes_total": envelopes_total,
        "left": left,
        "bars": bars,
        "direct_width": _share(direct, program.budget),
        "left_width": _share(left, program.budget),
        "calls": list(calls),
        "categories": list(program.categories.all()),
        "tranches": program.tranche_percents,
        "grades": [(forms.GRADE_LABELS.get(g, g), program.grade_factors.get(g)) for g in services.GRADES],
        "can_open": officer and allowed(program, Program.State.OPEN),
        "can_close": officer and allowed(program, Program.State.CLOSED),
        "can_allocate": officer and program.state != Program.State.CLOSED,
        "can_call": officer and program.state == Program.State.OPEN,
        "streets": list(selectors.streets_without_envelope(program)) if officer else [],
        "post": post or {},
    }
    return render(request, "funding/program_detail.html", context, status=status)


@login_required
@require_POST
def program_state(request: HttpRequest, pk: int) -> HttpResponse:
    """The department officer opens a draft program or closes an open one."""
    program = _program(request, pk)
    action = request.POST.get("action")
    try:
        _require_officer(request, program.department)
        if action == "open":
            services.open_program(request.user, program)
            done = _("The program is open: entrust envelopes to the streets, or open a call on it directly.")
        elif action == "close":
            services.close_program(request.user, program)
            done = _("The program is closed: it takes no more envelopes or calls.")
        else:
            raise RuleViolation(_("Choose to open or close the program."))
    except (RuleViolation, PermissionDenied) as problem:
        program.refresh_from_db()
        return _program_page(request, program, request.POST, refused(request, problem))
    messages.success(request, done)
    return redirect("program-detail", pk=program.pk)


@login_required
@require_POST
def envelope_allocate(request: HttpRequest, pk: int) -> HttpResponse:
    """The department officer entrusts part of the program's budget to one of its street offices."""
    program = _program(request, pk)
    try:
        _require_officer(request, program.department)
        chosen = forms.envelope_from(request.POST, selectors.streets_without_envelope(program))
        envelope = services.allocate_envelope(request.user, program=program, **chosen)
    except (RuleViolation, PermissionDenied) as problem:
        return _program_page(request, program, request.POST, refused(request, problem))
    messages.success(
        request,
        _("%(street)s was entrusted an envelope of %(amount)s.")
        % {"street": tr(envelope.street), "amount": format_cny(envelope.amount)},
    )
    return redirect("program-detail", pk=program.pk)


# --- a street's envelope ---------------------------------------------------------------------------------------


def _envelope(request: HttpRequest, pk: int) -> Envelope:
    return get_object_or_404(
        selectors.envelopes_visible_to(request.user).select_related("program", "program__department", "street"), pk=pk
    )


@login_required
@require_GET
def envelope_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An envelope: its amount, what its calls take and what is left, the calls, and the way to a new one."""
    envelope = _envelope(request, pk)
    [row] = selectors.envelope_rows([envelope])
    calls = selectors.with_application_counts(
        selectors.calls_visible_to(request.user).filter(envelope=envelope).select_related("issuer", "program")
    ).order_by("-opens_on", "reference")
    officer = _officer_of(request, envelope.street)
    context = {
        "envelope": envelope,
        "program": envelope.program,
        "row": row,
        "called_width": _share(row.committed, envelope.amount),
        "left_width": _share(row.left, envelope.amount),
        "calls": list(calls),
        "can_call": officer and envelope.program.state == Program.State.OPEN and row.left > 0,
        "officer": officer,
    }
    return render(request, "funding/envelope_detail.html", context)


# --- a new call ------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def envelope_call_create(request: HttpRequest, pk: int) -> HttpResponse:
    """The street officer opens a draft call on the street's envelope, bundling its communities' needs."""
    envelope = _envelope(request, pk)
    return _call_create(request, envelope.program, envelope)


@login_required
@require_http_methods(["GET", "POST"])
def program_call_create(request: HttpRequest, pk: int) -> HttpResponse:
    """The department officer opens a draft call directly on the program (no street envelope)."""
    program = _program(request, pk)
    return _call_create(request, program, None)


def _call_create(request: HttpRequest, program: Program, envelope: Envelope | None) -> HttpResponse:
    issuer = envelope.street if envelope is not None else program.department
    # Before the form is shown or read: it lists the prioritised needs of the issuer's communities.
    _require_officer(request, issuer)
    if request.method != "POST":
        return _call_form(request, program, envelope)
    try:
        data = forms.call_from(
            request.POST,
            allowed=list(program.categories.order_by("code")),
            needs=list(needs.prioritised_in(issuer)),
            matching=envelope is not None,
        )
        call = services.create_call(request.user, program=program, envelope=envelope, **data)
    except (RuleViolation, PermissionDenied) as problem:
        return _call_form(request, program, envelope, request.POST, refused(request, problem))
    messages.success(request, _("The call was saved as a draft. Check it, then open it for applications."))
    return redirect("call-detail", pk=call.pk)


def _call_form(
    request: HttpRequest, program: Program, envelope: Envelope | None, post: Any = None, status: int = 200
) -> HttpResponse:
    issuer = envelope.street if envelope is not None else program.department
    if envelope is not None:
        [row] = selectors.envelope_rows([envelope])
        left = row.left
    else:
        [program_row] = selectors.program_rows([program])
        left = program_row.left
    criteria = forms.criteria_typed(post)
    context = {
        "program": program,
        "envelope": envelope,
        "issuer": issuer,
        "left": left,
        "typed": forms.call_typed(post, funds=left if left > 0 else ""),
        "categories": forms.categories_typed(program.categories.order_by("code"), post),
        "criteria": criteria,
        "criteria_total": forms.total_of(c.points for c in criteria),
        "sources": Criterion.Source.choices,
        "aggregations": Aggregation.choices,
        "award_rules": AwardRule.choices,
        "prioritised": list(needs.prioritised_in(issuer)),
        "program_open": program.state == Program.State.OPEN,
    }
    return render(request, "funding/call_form.html", context, status=status)


@login_required
@require_POST
def share_total(request: HttpRequest) -> HttpResponse:
    """The live total of the shares typed into a form (htmx): the criteria's points or the tranches' shares."""
    if request.POST.get("of") == "tranches":
        value = forms.total_of(forms.split_shares(str(request.POST.get("tranches", ""))))
        context = {"total": value, "id": "tranche-total", "label": _("Tranches add up to")}
    else:
        value = forms.total_of(forms.criteria_points(request.POST))
        context = {"total": value, "id": "criteria-total", "label": _("Points add up to")}
    return render(request, "funding/_total.html", context)


# --- the call page ---------------------------------------------------------------------------------------------


def _call(request: HttpRequest, pk: int) -> Call:
    return get_object_or_404(
        selectors.calls_visible_to(request.user).select_related("program", "issuer", "envelope"), pk=pk
    )


@login_required
@require_GET
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A call as `request.user` may see it: a draft is a 404 to anyone but its officers."""
    return _call_page(request, _call(request, pk))


def _call_page(request: HttpRequest, call: Call, post: Any = None, status: int = 200) -> HttpResponse:
    award_list = awards.public_list(call)
    detail = selectors.call_detail(call)
    # While applicants write, the needs residents prioritised in the communities the call covers.
    prioritised = list(needs.prioritised_in(call.issuer)) if call.state in (Call.State.DRAFT, Call.State.OPEN) else []
    categories = {c.pk for c in detail["categories"]}
    officer = _officer_of(request, call.issuer)
    context = {
        "call": call,
        **detail,
        "applications": applications.of_call(request.user, call),
        "award_list": award_list,
        "awards": awards.awards_on(award_list) if award_list else [],
        "visible_applications": set(
            applications.visible_to(request.user).filter(call=call).values_list("pk", flat=True)
        ),
        "prioritised": [(n, n.category_id in categories) for n in prioritised],
        "needs_visible": set(
            needs.communities_visible_to(request.user)
            .filter(pk__in={n.community_id for n in [*prioritised, *detail["needs"]]})
            .values_list("pk", flat=True)
        ),
        "officer": officer,
        "can_apply": call.state == Call.State.OPEN and applications.agencies_managed_by(request.user).exists(),
        "can_open": officer and allowed(call, Call.State.OPEN),
        "can_close": officer and call.state == Call.State.OPEN,
        "can_cancel": officer and allowed(call, Call.State.CANCELLED),
        "post": post or {},
    }
    return render(request, "funding/call_detail.html", context, status=status)


@login_required
@require_POST
def call_state(request: HttpRequest, pk: int) -> HttpResponse:
    """The issuer's officer opens a draft call, closes an open one (which starts its review), or cancels it."""
    call = _call(request, pk)
    action = request.POST.get("action")
    try:
        _require_officer(request, call.issuer)
        if action == "open":
            services.open_call(request.user, call)
            done = _("The call is open for applications.")
        elif action == "close":
            found = review.start_review(request.user, call, today=timezone.localdate())
            done = _(
                "Submissions are closed and the review has started: %(eligible)s eligible applications, "
                "%(reviews)s reviews assigned."
            ) % {"eligible": found["eligible"], "reviews": found["reviews"]}
        elif action == "cancel":
            services.cancel_call(request.user, call, str(request.POST.get("reason", "")))
            done = _("The call was cancelled; its funds return to what is left to call.")
        else:
            raise RuleViolation(_("Choose to open, close or cancel the call."))
    except (RuleViolation, PermissionDenied) as problem:
        call.refresh_from_db()
        return _call_page(request, call, request.POST, refused(request, problem))
    messages.success(request, done)
    return redirect("call-review" if action == "close" else "call-detail", pk=call.pk)
