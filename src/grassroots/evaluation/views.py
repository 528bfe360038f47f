"""Pages of the evaluation stage: the evaluation report and the evaluator's scoring form, acceptance and
rectification, satisfaction surveys (with the public answer pages, which need no login), a program's
indicator system, and organization profiles with performance records and scorecards.

Views are thin: every write goes through `evaluation.services`; a refusal (RuleViolation, Forbidden) is
shown as a message on the page it came from, with what was typed kept, and answered 400 or 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grassroots.contracts.selectors import visible_to as contracts_visible_to
from grassroots.core.errors import Forbidden, RuleViolation
from grassroots.delivery.imports import read_bytes
from grassroots.governance import views as governance_views
from grassroots.needs import selectors as needs_selectors
from grassroots.needs import views as needs_views
from grassroots.orgs.models import Organization, OrgKind, Role
from grassroots.orgs.selectors import acts_for
from grassroots.web.refusals import refused

from . import computed, documents, forms, indicators, selectors, services, surveys
from .models import Evaluation, Finding, Grade, Source, Survey, SurveyQuestion

#: The largest indicator workbook accepted.
MAX_UPLOAD = 2 * 1024 * 1024


# --- survey results as bar charts ----------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    value: int
    label: str
    count: int
    width: int  # percent of the question's answers


@dataclass(frozen=True)
class Chart:
    result: selectors.QuestionResult
    bars: list[Bar]


def _labels(scale: int) -> list[str]:
    if scale == len(surveys.LIKERT_LABELS):
        return [_(label) for label in surveys.LIKERT_LABELS]
    return [str(value) for value in range(1, scale + 1)]


def charts(results: selectors.SurveyResults) -> list[Chart]:
    """Each question's answers per rating, as bars relative to its answers."""
    labels = _labels(results.survey.scale)
    out = []
    for result in results.questions:
        answers = result.answers
        bars = [
            Bar(value, labels[value - 1], count, round(100 * count / answers) if answers else 0)
            for value, count in enumerate(result.counts, start=1)
        ]
        out.append(Chart(result, bars if result.question.kind == SurveyQuestion.Kind.LIKERT else []))
    return out


@dataclass(frozen=True)
class SurveyBlock:
    results: selectors.SurveyResults
    charts: list[Chart]


def _survey_blocks(report: selectors.Report) -> list[SurveyBlock]:
    return [SurveyBlock(results, charts(results)) for results in report.surveys]


# --- the evaluation page --------------------------------------------------------------------------


@dataclass(frozen=True)
class Roles:
    evaluator: bool  # staff of the evaluator: scores, surveys, follows up
    purchaser: bool  # officer of the purchaser: accepts or returns, follows up
    agency: bool  # manager of the agency: reports rectifications


def _roles(user: Any, evaluation: Evaluation) -> Roles:
    contract = evaluation.contract
    return Roles(
        evaluator=acts_for(user, evaluation.evaluator, Role.EVALUATOR, Role.MANAGER),
        purchaser=acts_for(user, contract.purchaser, Role.OFFICER),
        agency=acts_for(user, contract.agency, Role.MANAGER),
    )


def _evaluation(request: HttpRequest, pk: int) -> Evaluation:
    return get_object_or_404(selectors.for_page(request.user), pk=pk)


@login_required
@require_GET
def evaluation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The evaluation report with the forms the viewer's roles call for; a 404 to anyone not concerned."""
    return _evaluation_page(request, _evaluation(request, pk))


def _evaluation_page(request: HttpRequest, evaluation: Evaluation, post: Any = None, status: int = 200) -> HttpResponse:
    roles = _roles(request.user, evaluation)
    report = selectors.report(evaluation)
    accepted = evaluation.state == Evaluation.State.ACCEPTED
    scoring = roles.evaluator and evaluation.state == Evaluation.State.ASSIGNED
    context = {
        "evaluation": evaluation,
        "contract": evaluation.contract,
        "application": evaluation.contract.award.application,
        "communities": list(evaluation.contract.communities.order_by("name")),
        "report": report,
        "roles": roles,
        "survey_blocks": _survey_blocks(report),
        "surveys": list(selectors.surveys_of(evaluation)),
        "record": selectors.record_of(evaluation.contract) if evaluation.kind == Evaluation.Kind.FINAL else None,
        "scoring": scoring,
        "score_rows": forms.scoring_rows(
            report.rows, selectors.computed_preview(evaluation, timezone.localdate()), post
        )
        if scoring
        else [],
        "finding_rows": forms.finding_rows(report.findings, post) if scoring else [],
        "summary": post.get("summary", "") if post is not None and "summary" in post else evaluation.summary,
        "can_decide": roles.purchaser and evaluation.state == Evaluation.State.SUBMITTED,
        "can_rectify": roles.agency and accepted,
        "can_follow_up": (roles.evaluator or roles.purchaser) and accepted,
        "overdue": {f.pk for f in selectors.overdue(report.findings)},
        "findings": [(f, _typed(post, f.pk)) for f in report.findings],
        "post": post or {},
        "today": timezone.localdate(),
        "min_responses": computed.MIN_RESPONSES,
    }
    return render(request, "evaluation/evaluation_detail.html", context, status=status)


def _typed(post: Any, pk: int) -> dict[str, str]:
    """What was typed into a finding's rectification or follow-up form, to show it again."""
    given = post or {}
    return {name: str(given.get(f"{name}-{pk}", "")) for name in ("response", "verdict", "due_on")}


@login_required
@require_POST
def evaluation_score(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the evaluator's draft, or submit the evaluation with its findings."""
    evaluation = _evaluation(request, pk)
    post = request.POST
    scores = forms.scores_from(post, evaluation.items.all())
    summary = str(post.get("summary", ""))
    submitting = post.get("action") == "submit"
    try:
        if submitting:
            findings, errors = forms.findings_from(post)
            if errors and _roles(request.user, evaluation).evaluator:
                raise RuleViolation(errors)
            services.submit_evaluation(request.user, evaluation, scores=scores, summary=summary, findings=findings)
        else:
            services.score_evaluation(request.user, evaluation, scores, summary=summary)
    except (RuleViolation, PermissionDenied) as problem:
        return _evaluation_page(request, evaluation, post, refused(request, problem))
    evaluation.refresh_from_db()
    if submitting:
        messages.success(
            request,
            _("The evaluation was submitted: %(score)s points, %(grade)s. The purchaser accepts it or returns it.")
            % {"score": evaluation.score, "grade": evaluation.get_grade_display()},
        )
        return redirect("evaluation-detail", pk=pk)
    if forms.has_findings(post):
        messages.warning(
            request,
            _("Draft saved. Findings are recorded when the evaluation is submitted; they stay in the form until then."),
        )
        return _evaluation_page(request, evaluation, post)
    messages.success(request, _("Draft saved."))
    return redirect(reverse("evaluation-detail", args=[pk]) + "#scoring")


@login_required
@require_POST
def evaluation_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The purchaser accepts a submitted evaluation, or returns it to the evaluator with a reason."""
    evaluation = _evaluation(request, pk)
    action = request.POST.get("action")
    try:
        if action == "accept":
            services.accept_evaluation(request.user, evaluation)
            done = _("The evaluation was accepted.")
        elif action == "return":
            services.return_evaluation(request.user, evaluation, str(request.POST.get("reason", "")))
            done = _("The evaluation was returned to the evaluator.")
        else:
            raise RuleViolation(_("Choose to accept the evaluation or to return it."))
    except (RuleViolation, PermissionDenied) as problem:
        return _evaluation_page(request, evaluation, request.POST, refused(request, problem))
    messages.success(request, done)
    return redirect("evaluation-detail", pk=pk)


def _finding(request: HttpRequest, pk: int) -> Finding:
    return get_object_or_404(selectors.findings_visible_to(request.user), pk=pk)


@login_required
@require_POST
def finding_rectify(request: HttpRequest, pk: int) -> HttpResponse:
    """The agency reports what it rectified."""
    finding = _finding(request, pk)
    evaluation = _evaluation(request, finding.evaluation_id)
    try:
        services.report_rectification(request.user, finding, str(request.POST.get(f"response-{pk}", "")))
    except (RuleViolation, PermissionDenied) as problem:
        return _evaluation_page(request, evaluation, request.POST, refused(request, problem))
    messages.success(request, _("The rectification was reported."))
    return redirect(reverse("evaluation-detail", args=[evaluation.pk]) + "#findings")


@login_required
@require_POST
def finding_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    """The evaluator or the purchaser closes a reported rectification, or reopens it with a new deadline."""
    finding = _finding(request, pk)
    evaluation = _evaluation(request, finding.evaluation_id)
    post = request.POST
    accepted = post.get("decision") == "close"
    try:
        if post.get("decision") not in ("close", "reopen"):
            raise RuleViolation(_("Choose to close the finding or to reopen it."))
        services.follow_up_rectification(
            request.user,
            finding,
            accepted=accepted,
            verdict=str(post.get(f"verdict-{pk}", "")),
            due_on=forms.parse_day(str(post.get(f"due_on-{pk}", ""))),
        )
    except (RuleViolation, PermissionDenied) as problem:
        return _evaluation_page(request, evaluation, post, refused(request, problem))
    messages.success(request, _("The finding was closed.") if accepted else _("The finding was reopened."))
    return redirect(reverse("evaluation-detail", args=[evaluation.pk]) + "#findings")


@login_required
@require_GET
def evaluation_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The report as a PDF to print, sign and stamp."""
    evaluation = _evaluation(request, pk)
    response = HttpResponse(documents.report_pdf(selectors.report(evaluation)), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{evaluation.contract.number}-{evaluation.kind}.pdf"'
    return response


# --- surveys, for the evaluator ---------------------------------------------------------------------


@login_required
@require_POST
def survey_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A satisfaction survey of the evaluation with the default questionnaire."""
    evaluation = _evaluation(request, pk)
    try:
        survey = services.create_survey(request.user, evaluation)
    except (RuleViolation, PermissionDenied) as problem:
        return _evaluation_page(request, evaluation, None, refused(request, problem))
    messages.success(request, _("The survey was created. Issue codes, print the sheet and open the survey."))
    return redirect("survey-detail", pk=survey.pk)


def _survey(request: HttpRequest, pk: int) -> Survey:
    return get_object_or_404(selectors.surveys_visible_to(request.user), pk=pk)


@login_required
@require_GET
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _survey_page(request, _survey(request, pk))


def _survey_page(request: HttpRequest, survey: Survey, post: Any = None, status: int = 200) -> HttpResponse:
    results = selectors.survey_results(survey)
    evaluation = survey.evaluation
    is_evaluator = acts_for(request.user, evaluation.evaluator, Role.EVALUATOR, Role.MANAGER)
    batches = selectors.token_batches(survey)
    context = {
        "survey": survey,
        "evaluation": evaluation,
        "contract": evaluation.contract,
        "results": results,
        "charts": charts(results),
        "batches": batches,
        "unused": sum(b.issued - b.used for b in batches),
        "is_evaluator": is_evaluator,
        "entry_url": request.build_absolute_uri(reverse("public-survey-entry")),
        "post": post or {},
        "max_tokens": services.MAX_TOKENS,
        "min_responses": computed.MIN_RESPONSES,
    }
    return render(request, "evaluation/survey_detail.html", context, status=status)


@login_required
@require_POST
def survey_tokens(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue a batch of one-time codes for a printed sheet."""
    survey = _survey(request, pk)
    try:
        raw = str(request.POST.get("count", "")).strip()
        if not raw.isdigit():
            raise RuleViolation(_("Say how many codes to issue, as a whole number."))
        issued = services.issue_tokens(request.user, survey, int(raw), handed_to=str(request.POST.get("handed_to", "")))
    except (RuleViolation, PermissionDenied) as problem:
        return _survey_page(request, survey, request.POST, refused(request, problem))
    messages.success(request, _("%(n)s codes issued. Print the sheet and hand the cards out.") % {"n": len(issued)})
    return redirect("survey-detail", pk=pk)


@login_required
@require_POST
def survey_state(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a survey for answers, or close it."""
    survey = _survey(request, pk)
    action = request.POST.get("action")
    try:
        if action == "open":
            services.open_survey(request.user, survey)
            done = _("The survey is open: residents may answer with their codes.")
        elif action == "close":
            services.close_survey(request.user, survey)
            done = _("The survey is closed: no more answers are taken.")
        else:
            raise RuleViolation(_("Choose to open or to close the survey."))
    except (RuleViolation, PermissionDenied) as problem:
        return _survey_page(request, survey, None, refused(request, problem))
    messages.success(request, done)
    return redirect("survey-detail", pk=pk)


@login_required
@require_GET
def survey_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable sheet of the unused codes, one card each with its QR code: for the evaluator only."""
    survey = _survey(request, pk)
    if not acts_for(request.user, survey.evaluation.evaluator, Role.EVALUATOR, Role.MANAGER):
        raise Forbidden(_("Only the evaluator prints the codes of its surveys."))
    cards = []
    for serial, handed_to in selectors.unused_serials(survey):
        token = services.token_of(survey, serial)
        url = request.build_absolute_uri(reverse("public-survey", args=[token]))
        cards.append(documents.Card(serial, handed_to, token, url))
    entry = request.build_absolute_uri(reverse("public-survey-entry"))
    response = HttpResponse(documents.token_sheet_pdf(survey, cards, entry), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="survey-{survey.pk}-codes.pdf"'
    response["Cache-Control"] = "no-store"  # the codes are as good as answers
    return response


# --- the public answer pages (no login) ------------------------------------------------------------


def _entry_page(request: HttpRequest, code: str = "", status: int = 200) -> HttpResponse:
    return render(request, "evaluation/public_entry.html", {"code": code}, status=status)


@require_GET
def public_survey_entry(request: HttpRequest) -> HttpResponse:
    """Type the code printed on a card; it leads to the survey's questions."""
    code = str(request.GET.get("code", ""))
    if "code" not in request.GET:
        return _entry_page(request)
    token = surveys.normalise(code)
    if not token:
        messages.error(request, _("Type the code printed on your card."))
        return _entry_page(request, code, 400)
    return redirect("public-survey", token=token)


@require_http_methods(["GET", "POST"])
def public_survey(request: HttpRequest, token: str) -> HttpResponse:
    """The questions of the survey a code belongs to; one answer per code. Nothing about who answers is
    asked or kept: the answer is stored without the code, the time or the person."""
    survey, used = selectors.token_state(token)
    if survey is None:
        messages.error(request, _("This code is not valid. Check the code on your sheet."))
        return _entry_page(request, surveys.grouped(surveys.normalise(token)), 404)
    if request.method == "POST":
        # The code travels in the form too, so a resident told the code is wrong or used may correct it
        # without losing the answers.
        code = str(request.POST.get("code", "")).strip() or token
        answers = {q.pk: request.POST.get(f"q{q.pk}") for q in survey.questions.all()}
        try:
            services.answer_survey(code, answers)
        except RuleViolation as problem:
            return _public_page(request, survey, token, False, request.POST, refused(request, problem))
        return redirect("public-survey-thanks")
    if used:
        messages.error(request, _("This code has already been used: each code answers once."))
    elif survey.state != Survey.State.OPEN:
        messages.error(request, _("This survey is not open for answers."))
    return _public_page(request, survey, token, used, None, 200)


def _public_page(request: HttpRequest, survey: Survey, token: str, used: bool, post: Any, status: int) -> HttpResponse:
    labels = _labels(survey.scale)
    given = post or {}
    questions = [
        {
            "question": q,
            "choices": [
                {"value": str(v), "label": labels[v - 1], "checked": given.get(f"q{q.pk}") == str(v)}
                for v in range(1, survey.scale + 1)
            ],
            "text": str(given.get(f"q{q.pk}", "")),
        }
        for q in survey.questions.all()
    ]
    context = {
        "survey": survey,
        "token": token,
        "code": str(given.get("code", "")) or surveys.grouped(surveys.normalise(token)),
        "questions": questions,
        "answerable": survey.state == Survey.State.OPEN and not used,
        "contract": survey.evaluation.contract,
    }
    return render(request, "evaluation/public_survey.html", context, status=status)


@require_GET
def public_survey_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "evaluation/public_thanks.html")


# --- a program's indicator system -------------------------------------------------------------------


@dataclass(frozen=True)
class TreeRow:
    level: int
    node: indicators.Node
    leaf: bool


def _tree(nodes: list[indicators.Node]) -> list[TreeRow]:
    leaves = {n.code for n in indicators.leaves(nodes)}
    return [TreeRow(level, n, n.code in leaves) for level, n in indicators.ordered(nodes)]


@login_required
@require_http_methods(["GET", "POST"])
def program_indicators(request: HttpRequest, pk: int) -> HttpResponse:
    """The indicator system a program's projects are evaluated by; its department's officers copy and edit
    it until a call opens and freezes it."""
    program = get_object_or_404(selectors.programs_visible_to(request.user), pk=pk)
    if request.method == "POST":
        return _indicators_post(request, program)
    return _indicators_page(request, program)


def _indicators_page(request: HttpRequest, program: Any, post: Any = None, status: int = 200) -> HttpResponse:
    system = selectors.system_of(program)
    nodes = selectors.nodes_of(system)
    officer = acts_for(request.user, program.department, Role.OFFICER)
    editable = officer and (system is None or system.frozen_on is None)
    default_name = indicators.DEFAULT_NAME
    context = {
        "program": program,
        "system": system,
        "default_name": default_name[1] if (request.LANGUAGE_CODE or "").startswith("en") else default_name[0],
        "tree": _tree(nodes),
        "editable": editable,
        "copyable": list(selectors.copyable_systems(program.department).exclude(program=program)) if editable else [],
        "rows": forms.node_rows(nodes, post) if editable else [],
        "name": post.get("name", "") if post is not None else (system.name if system else default_name[0]),
        "name_en": post.get("name_en", "") if post is not None else (system.name_en if system else default_name[1]),
        "sources": Source.choices,
        "metrics": [(m, _(computed.METRIC_LABELS.get(m, m))) for m in (*computed.METRICS, *computed.SURVEY_METRICS)],
        "calls": list(selectors.calls_of_program(program)),
    }
    return render(request, "evaluation/program_indicators.html", context, status=status)


def _indicators_post(request: HttpRequest, program: Any) -> HttpResponse:
    post = request.POST
    action = post.get("action")
    kept = post if action == "save" else None
    try:
        if action == "copy_default":
            services.copy_indicator_system(request.user, program)
            done = _("The program now has its own copy of the default indicator system.")
        elif action == "copy_from":
            source = selectors.copyable_systems(program.department).filter(pk=post.get("source") or 0).first()
            if source is None:
                raise RuleViolation(_("Choose the program whose indicator system to copy."))
            services.copy_indicator_system(request.user, program, source=source)
            done = _("The indicator system was copied.")
        elif action in ("save", "upload"):
            if action == "save":
                nodes = forms.nodes_from(post)
                names: dict[str, Any] = {"name": str(post.get("name", "")), "name_en": str(post.get("name_en", ""))}
            else:
                if not acts_for(request.user, program.department, Role.OFFICER):  # before reading the file
                    raise Forbidden(
                        _("Only an officer of %(org)s edits the indicator system of its programs.")
                        % {"org": program.department.local_name}
                    )
                nodes = _uploaded_nodes(request)
                names = {}
            with transaction.atomic():  # a program still on the default gets its own copy, or nothing
                system = selectors.system_of(program)
                if system is None:
                    system = services.copy_indicator_system(request.user, program)
                services.define_indicator_system(request.user, system, nodes, **names)
            done = _("The indicator system was saved: %(n)s indicators.") % {"n": len(nodes)}
        else:
            raise RuleViolation(_("Choose what to do with the indicator system."))
    except (RuleViolation, PermissionDenied) as problem:
        status = refused(request, problem)
        return _indicators_page(request, program, kept, status)
    messages.success(request, done)
    return redirect("program-indicators", pk=program.pk)


def _uploaded_nodes(request: HttpRequest) -> list[indicators.Node]:
    upload = request.FILES.get("file")
    if upload is None:
        raise RuleViolation(_("Choose the workbook (.xlsx) to upload."))
    if upload.size is not None and upload.size > MAX_UPLOAD:
        raise RuleViolation(_("The workbook is larger than 2 MB."))
    return documents.read_system(read_bytes(upload), upload.name or "")


@login_required
@require_GET
def program_indicators_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """The program's indicator system (or the default it would get) as a workbook to edit and upload."""
    program = get_object_or_404(selectors.programs_visible_to(request.user), pk=pk)
    system = selectors.system_of(program)
    name, name_en = (system.name, system.name_en) if system else indicators.DEFAULT_NAME
    body = documents.system_workbook(selectors.nodes_of(system), name, name_en)
    response = HttpResponse(body, content_type=documents.XLSX)
    response["Content-Disposition"] = f'attachment; filename="indicators-{program.fiscal_year}-{program.pk}.xlsx"'
    return response


# --- organization profiles ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CardRow:
    card: Any  # scorecards.Scorecard
    grades: list[tuple[str, int]]
    width: int  # the credit as a share of the largest, for the bar


def _card_rows(cards: list[Any]) -> list[CardRow]:
    top = max((c.credit for c in cards), default=0) or 1
    return [
        CardRow(c, [(str(label), c.grades[value]) for value, label in Grade.choices], round(100 * c.credit / top))
        for c in cards
    ]


@login_required
@require_GET
def org_profile(request: HttpRequest, pk: int) -> HttpResponse:
    """An organization's results: an agency's performance records (and, for its managers, its open
    rectifications); a street's or community's scorecards per year, and a street's community ranking."""
    org = get_object_or_404(Organization.objects.select_related("parent"), pk=pk)
    context: dict[str, Any] = {"org": org}
    if org.kind == OrgKind.AGENCY:
        records = list(selectors.performance_of(org).select_related("contract__award__application"))
        context.update(
            records=records,
            mean=selectors.performance_mean(org),
            visible_contracts=set(
                contracts_visible_to(request.user)
                .filter(pk__in=[r.contract_id for r in records])
                .values_list("pk", flat=True)
            ),
        )
        if acts_for(request.user, org, Role.MANAGER):
            rectifications = list(selectors.rectifications_of(org))
            context.update(
                rectifications=rectifications,
                overdue={f.pk for f in selectors.overdue(rectifications)},
                is_manager=True,
            )
    elif org.kind in (OrgKind.STREET, OrgKind.COMMUNITY):
        if org.kind == OrgKind.COMMUNITY and needs_selectors.sees_community(request.user, org):
            context.update(
                funnel=needs_views.funnel(needs_selectors.lifecycle(org)),
                community=org,
                meetings=list(needs_selectors.meetings_of(org)[:5]),
            )
        cards = selectors.scorecards_of(org)
        context["cards"] = _card_rows(cards)
        if org.kind == OrgKind.STREET and cards:
            years = [c.year for c in cards]
            raw = str(request.GET.get("year", ""))
            year = int(raw) if raw.isdigit() and int(raw) in years else years[0]
            ranking = selectors.community_ranking(org, year)
            top = max((c.credit for _o, c in ranking), default=0) or 1
            context.update(
                year=year,
                years=years,
                ranking=[(o, c, round(100 * c.credit / top)) for o, c in ranking],
            )
    context.update(governance_views.profile_context(request.user, org))
    return render(request, "evaluation/org_profile.html", context)
