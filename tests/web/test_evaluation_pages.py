"""The evaluation pages: the report and its PDF, the evaluator's scoring form, acceptance and rectification,
surveys with their token sheet and public answer pages, a program's indicator system (with its workbook),
organization profiles and the home sections of the incentive loop."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grassroots.contracts.models import Contract
from grassroots.evaluation import services as evaluation_services
from grassroots.evaluation import surveys
from grassroots.evaluation.models import (
    Evaluation,
    Finding,
    IndicatorSystem,
    PerformanceRecord,
    Survey,
    SurveyAnswer,
    SurveyResponse,
    SurveyToken,
)
from grassroots.funding import services as funding_services
from grassroots.funding.models import Program
from grassroots.orgs.models import Organization
from tests.world import evaluation_scores, fingerprint

from .conftest import WebWorld

pytestmark = pytest.mark.django_db

PDFTOTEXT = shutil.which("pdftotext")
EVERYONE = ["staff", "dept", "street", "cw1", "cw2", "mgr_a", "mgr_b", "sw_a", "sw_b", "evaluator", "resident"]
EVERYONE += ["expert", "nobody"]
#: Who sees the web world's contract, and so its evaluations and surveys.
CONCERNED = ["staff", "dept", "street", "cw1", "mgr_a", "sw_a", "evaluator"]


# --- the world: a final evaluation assigned, with an open survey and its codes ---------------------------


@pytest.fixture(scope="module")
def loop(web_module_world: WebWorld, django_db_blocker: Any) -> dict[str, Any]:
    """Built once for the module inside the web world's transaction: the contract's final evaluation,
    assigned and not scored, and a survey of it, open, with five codes (each test runs in a savepoint)."""
    web = web_module_world
    with django_db_blocker.unblock():
        contract = Contract.objects.get(pk=web.pk["contract"])
        evaluator_org = Organization.objects.get(name="明德评估中心")
        final = evaluation_services.assign_evaluation(
            web.user("street"), contract, evaluator=evaluator_org, kind="final", due_on=contract.ends_on
        )
        survey = evaluation_services.create_survey(web.user("evaluator"), final)
        tokens = evaluation_services.issue_tokens(web.user("evaluator"), survey, 5, handed_to="长者小组")
        evaluation_services.open_survey(web.user("evaluator"), survey)
        return {
            "midterm": Evaluation.objects.get(contract=contract, kind="midterm").pk,
            "final": final.pk,
            "survey": survey.pk,
            "tokens": tokens,
            "program": contract.award.application.call.program_id,
            "agency": contract.agency_id,
            "street": contract.purchaser_id,
            "evaluator_org": evaluator_org.pk,
        }


def browser(web: WebWorld, who: str, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(web.user(who))
    return client


def anonymous(language: str = "en") -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE=language)


def text_of(response: Any) -> str:
    return response.content.decode()


def errors_in(html: str) -> list[str]:
    return re.findall(r'<li class="error">(.*?)</li>', html, flags=re.S)


@contextmanager
def unchanged() -> Iterator[None]:
    """The block's requests must leave every domain table exactly as it was."""
    before = fingerprint()
    yield
    after = fingerprint()
    assert [label for label in before if before[label] != after[label]] == []


def evaluation_url(pk: int, name: str = "evaluation-detail") -> str:
    return reverse(name, args=[pk])


def scoring_post(evaluation: Evaluation, score: str, action: str = "save", **extra: str) -> dict[str, str]:
    """The scoring form as the evaluator fills it: every leaf at about `score`% with a comment."""
    data = {"action": action, "summary": "评估总结", "findings": "3"}
    for code, given in evaluation_scores(evaluation, score).items():
        data[f"points-{code}"] = str(given["points"])
        data[f"evidence-{code}"] = "查阅台账"
        data[f"comment-{code}"] = str(given["comment"])
    data.update(extra)
    return data


# --- who sees what: roles × pages ---------------------------------------------------------------------------


def expected(page: str, who: str) -> int:
    if page in ("program", "org"):
        return 200  # a program once opened, and an organization's results, are for every logged-in user
    if who not in CONCERNED:
        return 404
    if page == "sheet" and who not in ("evaluator", "staff"):
        return 403  # the codes are for the evaluator only
    return 200


@pytest.mark.parametrize("page", ["report", "pdf", "survey", "sheet", "program", "org"])
def test_permission_matrix_of_the_evaluation_pages(web: WebWorld, loop: dict[str, Any], page: str) -> None:
    url = {
        "report": evaluation_url(loop["midterm"]),
        "pdf": evaluation_url(loop["midterm"], "evaluation-pdf"),
        "survey": reverse("survey-detail", args=[loop["survey"]]),
        "sheet": reverse("survey-sheet", args=[loop["survey"]]),
        "program": reverse("program-indicators", args=[loop["program"]]),
        "org": reverse("org-profile", args=[loop["agency"]]),
    }[page]
    seen = {who: browser(web, who).get(url).status_code for who in EVERYONE}
    assert seen == {who: expected(page, who) for who in EVERYONE}
    response = anonymous().get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_unknown_objects_are_404(web: WebWorld, loop: dict[str, Any]) -> None:
    client = browser(web, "staff")
    for name in ["evaluation-detail", "evaluation-pdf", "survey-detail", "survey-sheet", "program-indicators"]:
        assert client.get(reverse(name, args=[999999])).status_code == 404
    assert client.get(reverse("org-profile", args=[999999])).status_code == 404


def test_writes_are_post_only_and_refused_to_those_not_concerned(web: WebWorld, loop: dict[str, Any]) -> None:
    evaluator = browser(web, "evaluator")
    assert evaluator.get(evaluation_url(loop["final"], "evaluation-score")).status_code == 405
    clients = {who: browser(web, who) for who in ["mgr_b", "street", "mgr_a", "dept"]}
    final = Evaluation.objects.get(pk=loop["final"])
    with unchanged():
        # Not concerned: the evaluation does not exist for them.
        response = clients["mgr_b"].post(evaluation_url(final.pk, "evaluation-score"), {"action": "save"})
        assert response.status_code == 404
        # Concerned but not the evaluator: the service refuses, the page says why.
        response = clients["street"].post(evaluation_url(final.pk, "evaluation-score"), scoring_post(final, "90"))
        assert response.status_code == 403
        assert any("Only an evaluator" in e for e in errors_in(text_of(response)))
        response = clients["mgr_a"].post(evaluation_url(loop["midterm"], "evaluation-decide"), {"action": "accept"})
        assert response.status_code == 403
        response = clients["dept"].post(reverse("survey-tokens", args=[loop["survey"]]), {"count": "3"})
        assert response.status_code == 403


# --- the report ---------------------------------------------------------------------------------------------


def test_the_report_shows_the_tree_points_grade_and_survey(web: WebWorld, loop: dict[str, Any]) -> None:
    html = text_of(browser(web, "mgr_a").get(evaluation_url(loop["midterm"])))
    assert "Mid-term evaluation" in html
    assert "86.00" in html and 'class="badge good"' in html  # the total and its grade
    assert "Project management" in html and 'class="level-2"' in html  # the tree, indented
    assert "overridden" in html  # the test scores override the data's points, with a comment
    assert "scored in the test" in html
    assert "Sunshine Social Work" in html  # names in the reader's language, linked to the profile
    assert reverse("org-profile", args=[loop["agency"]]) in html
    assert 'action="/evaluations/' not in html  # the agency has nothing to do on a submitted evaluation


def test_the_survey_results_are_bar_charts_and_free_text_waits_for_enough_answers(
    web: WebWorld, loop: dict[str, Any]
) -> None:
    survey = Survey.objects.get(pk=loop["survey"])
    questions = list(survey.questions.order_by("position"))
    likert = [q for q in questions if q.kind == "likert"]
    text_question = next(q for q in questions if q.kind == "text")
    for i, token in enumerate(loop["tokens"][:4]):
        answers: dict[int, Any] = {q.pk: 5 if i % 2 else 4 for q in likert}
        answers[text_question.pk] = f"评语{i}"
        evaluation_services.answer_survey(token, answers)
    url = reverse("survey-detail", args=[loop["survey"]])
    html = text_of(browser(web, "street").get(url))
    assert 'class="bar bar-5" style="width: 50%"' in html and 'class="bar bar-4" style="width: 50%"' in html
    assert "4.50" in html  # the mean
    assert "评语" not in html and "at least 5 responses" in html  # four answers: free text withheld
    evaluation_services.answer_survey(loop["tokens"][4], {q.pk: 3 for q in likert})
    html = text_of(browser(web, "street").get(url))
    assert "评语0" in html and "评语3" in html
    report = text_of(browser(web, "street").get(evaluation_url(loop["final"])))
    assert "评语0" in report  # the report shows the same results


def test_report_pdf_is_a_pdf_with_the_grade(web: WebWorld, loop: dict[str, Any]) -> None:
    response = browser(web, "street").get(evaluation_url(loop["midterm"], "evaluation-pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    if PDFTOTEXT is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the PDF's text cannot be checked")
    text = subprocess.run([PDFTOTEXT, "-", "-"], input=response.content, capture_output=True, check=True).stdout
    content = text.decode()
    assert "86.00" in content and "Good" in content
    assert "Sunshine Social Work" in content


def test_a_page_stays_within_a_bounded_number_of_queries(
    web: WebWorld, loop: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    evaluator = browser(web, "evaluator")
    with django_assert_max_num_queries(40):
        assert evaluator.get(evaluation_url(loop["final"])).status_code == 200
    with django_assert_max_num_queries(40):
        assert evaluator.get(reverse("home")).status_code == 200
    with django_assert_max_num_queries(25):
        assert evaluator.get(reverse("survey-detail", args=[loop["survey"]])).status_code == 200


# --- the evaluator's scoring form ----------------------------------------------------------------------------


def test_the_scoring_form_prefills_computed_indicators(web: WebWorld, loop: dict[str, Any]) -> None:
    html = text_of(browser(web, "evaluator").get(evaluation_url(loop["final"])))
    assert 'id="scoring"' in html and 'name="action" value="submit"' in html
    # Of the start, mid-term and final milestones due by now, only the start was accepted: 1/3 of 5 points.
    assert 'name="points-milestones"' in html and 'name="shown-milestones" value="1.67"' in html
    assert 'max="5.00" inputmode="decimal" value="1.67"' in html  # prefilled with the data's points
    assert "1 of 3 milestones due were accepted on time" in html
    assert 'for="points-plan"' in html  # every input has its label
    assert html.count('name="finding-') == 3 * 3  # three empty findings rows
    other = text_of(browser(web, "street").get(evaluation_url(loop["final"])))
    assert 'id="scoring"' not in other


def test_saving_a_draft_keeps_the_points_and_follows_the_data(web: WebWorld, loop: dict[str, Any]) -> None:
    final = Evaluation.objects.get(pk=loop["final"])
    data = scoring_post(final, "90")
    data["points-milestones"], data["shown-milestones"], data["comment-milestones"] = "1.67", "1.67", ""
    evaluator = browser(web, "evaluator")
    response = evaluator.post(evaluation_url(final.pk, "evaluation-score"), data)
    assert response.status_code == 302 and response["Location"].endswith("#scoring")
    items = {i.code: i for i in final.items.all()}
    assert items["plan"].points == Decimal(data["points-plan"]) and items["plan"].evidence == "查阅台账"
    assert items["milestones"].points == items["milestones"].computed_points == Decimal("1.67")
    final.refresh_from_db()
    assert final.state == "assigned" and final.summary == "评估总结"
    page = text_of(evaluator.get(evaluation_url(final.pk)))
    assert "Draft saved." in page


def test_submitting_records_findings_and_the_grade(web: WebWorld, loop: dict[str, Any]) -> None:
    final = Evaluation.objects.get(pk=loop["final"])
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    data = scoring_post(final, "91", "submit")
    data.update({"finding-0-text": "个案档案不全", "finding-0-requirement": "补齐档案", "finding-0-due_on": due})
    data.update({"finding-1-text": "活动记录规范"})
    response = browser(web, "evaluator").post(evaluation_url(final.pk, "evaluation-score"), data)
    assert response.status_code == 302
    final.refresh_from_db()
    assert final.state == "submitted" and final.score == Decimal("91.00") and final.grade == "excellent"
    findings = list(final.findings.order_by("position"))
    assert [(f.text, f.state) for f in findings] == [("个案档案不全", "open"), ("活动记录规范", "noted")]
    assert str(findings[0].due_on) == due


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"points-plan": ""}, "Score every indicator before submitting"),
        ({"points-plan": "9"}, "earns between 0 and 5.00 points"),
        ({"points-plan": "lots"}, "is not a number of points"),
        ({"comment-milestones": ""}, "say why the points differ"),
        ({"finding-0-text": "问题", "finding-0-requirement": "整改", "finding-0-due_on": "2026-02-30"}, "not a date"),
        ({"finding-0-requirement": "整改", "finding-0-due_on": "2099-01-01"}, "has no text"),
    ],
)
def test_a_refused_submission_shows_why_and_writes_nothing(
    web: WebWorld, loop: dict[str, Any], change: dict[str, str], message: str
) -> None:
    final = Evaluation.objects.get(pk=loop["final"])
    data = scoring_post(final, "80", "submit")
    data["points-milestones"] = "4.00"  # overriding the data's 1.67 (the comment says why)
    data.update(change)
    evaluator = browser(web, "evaluator")
    with unchanged():
        response = evaluator.post(evaluation_url(final.pk, "evaluation-score"), data)
    assert response.status_code == 400
    html = text_of(response)
    assert any(message in e for e in errors_in(html)), errors_in(html)
    assert 'value="4.00"' in html  # what was typed is kept
    assert Evaluation.objects.get(pk=final.pk).state == "assigned"


def test_a_draft_with_findings_keeps_them_in_the_form(web: WebWorld, loop: dict[str, Any]) -> None:
    final = Evaluation.objects.get(pk=loop["final"])
    data = scoring_post(final, "85", **{"finding-0-text": "尚待核实的问题"})
    response = browser(web, "evaluator").post(evaluation_url(final.pk, "evaluation-score"), data)
    assert response.status_code == 200
    html = text_of(response)
    assert "尚待核实的问题" in html and "Findings are recorded when the evaluation is submitted" in html
    assert not Finding.objects.filter(evaluation=final).exists()


# --- acceptance and rectification ------------------------------------------------------------------------------


def test_the_purchaser_returns_with_a_reason_then_accepts(web: WebWorld, loop: dict[str, Any]) -> None:
    url = evaluation_url(loop["midterm"], "evaluation-decide")
    street = browser(web, "street")
    assert 'id="decision"' in text_of(street.get(evaluation_url(loop["midterm"])))
    with unchanged():
        response = street.post(url, {"action": "return", "reason": "  "})
    assert response.status_code == 400 and any("Say why" in e for e in errors_in(text_of(response)))
    assert street.post(url, {"action": "return", "reason": "请补充访谈记录"}).status_code == 302
    midterm = Evaluation.objects.get(pk=loop["midterm"])
    assert midterm.state == "assigned" and midterm.returned_because == "请补充访谈记录"
    html = text_of(browser(web, "evaluator").get(evaluation_url(midterm.pk)))
    assert "请补充访谈记录" in html and 'id="scoring"' in html
    # The evaluator resubmits with a finding to rectify; the purchaser accepts.
    due = (timezone.localdate() + timedelta(days=20)).isoformat()
    data = scoring_post(midterm, "84", "submit")
    data.update({"finding-0-text": "督导记录缺失", "finding-0-requirement": "补充督导记录", "finding-0-due_on": due})
    assert browser(web, "evaluator").post(evaluation_url(midterm.pk, "evaluation-score"), data).status_code == 302
    assert street.post(url, {"action": "accept"}).status_code == 302
    assert Evaluation.objects.get(pk=midterm.pk).state == "accepted"


def _accepted_with_an_open_finding(web: WebWorld, loop: dict[str, Any]) -> Finding:
    midterm = Evaluation.objects.get(pk=loop["midterm"])
    evaluation_services.return_evaluation(web.user("street"), midterm, "补充")
    due = timezone.localdate() + timedelta(days=20)
    evaluation_services.submit_evaluation(
        web.user("evaluator"),
        midterm,
        scores=evaluation_scores(midterm, "84"),
        findings=[{"text": "督导记录缺失", "requirement": "补充督导记录", "due_on": due}],
    )
    evaluation_services.accept_evaluation(web.user("street"), midterm)
    return Finding.objects.get(evaluation=midterm)


def test_rectification_reported_by_the_agency_and_followed_up(web: WebWorld, loop: dict[str, Any]) -> None:
    finding = _accepted_with_an_open_finding(web, loop)
    manager = browser(web, "mgr_a")
    home = text_of(manager.get(reverse("home")))
    assert "补充督导记录" in home  # the rectification due, on the agency's home page
    page = text_of(manager.get(evaluation_url(loop["midterm"])))
    assert f'name="response-{finding.pk}"' in page
    rectify = reverse("finding-rectify", args=[finding.pk])
    evaluator = browser(web, "evaluator")
    with unchanged():
        assert evaluator.post(rectify, {f"response-{finding.pk}": "已补充"}).status_code == 403
        response = manager.post(rectify, {f"response-{finding.pk}": " "})
        assert response.status_code == 400 and any("Say what was rectified" in e for e in errors_in(text_of(response)))
    assert manager.post(rectify, {f"response-{finding.pk}": "已补充督导记录"}).status_code == 302
    assert Finding.objects.get(pk=finding.pk).state == "responded"
    # The evaluator follows it up: reopening needs a verdict and a new deadline, closing does not.
    assert "补充督导记录" in text_of(evaluator.get(reverse("home")))
    follow = reverse("finding-follow-up", args=[finding.pk])
    with unchanged():
        response = evaluator.post(follow, {"decision": "reopen", f"verdict-{finding.pk}": "仍缺三月记录"})
        assert response.status_code == 400 and any("new deadline" in e for e in errors_in(text_of(response)))
        assert "仍缺三月记录" in text_of(response)  # kept in the form
        assert manager.post(follow, {"decision": "close"}).status_code == 403
    later = (timezone.localdate() + timedelta(days=10)).isoformat()
    data = {"decision": "reopen", f"verdict-{finding.pk}": "仍缺三月记录", f"due_on-{finding.pk}": later}
    assert evaluator.post(follow, data).status_code == 302
    assert Finding.objects.get(pk=finding.pk).state == "open"
    manager.post(rectify, {f"response-{finding.pk}": "三月记录已补"})
    assert evaluator.post(follow, {"decision": "close", f"verdict-{finding.pk}": "已核实"}).status_code == 302
    assert Finding.objects.get(pk=finding.pk).state == "closed"


def test_an_overdue_rectification_is_highlighted(web: WebWorld, loop: dict[str, Any]) -> None:
    finding = _accepted_with_an_open_finding(web, loop)
    Finding.objects.filter(pk=finding.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    html = text_of(browser(web, "mgr_a").get(reverse("home")))
    assert f'class="overdue-row" data-finding="{finding.pk}"' in html


def test_accepting_the_final_evaluation_writes_the_record_shown_on_the_profile(
    web: WebWorld, loop: dict[str, Any]
) -> None:
    final = Evaluation.objects.get(pk=loop["final"])
    evaluation_services.submit_evaluation(web.user("evaluator"), final, scores=evaluation_scores(final, "88"))
    street = browser(web, "street")
    home = text_of(street.get(reverse("home")))
    assert evaluation_url(final.pk) + "#decision" in home  # awaiting acceptance
    assert street.post(evaluation_url(final.pk, "evaluation-decide"), {"action": "accept"}).status_code == 302
    assert PerformanceRecord.objects.get(contract=final.contract).score == Decimal("88.00")
    page = text_of(street.get(evaluation_url(final.pk)))
    assert 'id="record"' in page
    profile = text_of(browser(web, "mgr_b").get(reverse("org-profile", args=[loop["agency"]])))
    assert "88.00" in profile and "data-mean>88.00" in profile
    assert 'id="rectifications"' not in profile  # open rectifications are for the agency's managers
    assert 'id="rectifications"' in text_of(browser(web, "mgr_a").get(reverse("org-profile", args=[loop["agency"]])))
    street_profile = text_of(street.get(reverse("org-profile", args=[loop["street"]])))
    assert 'data-year="2025"' in street_profile and "Donghu Community" in street_profile  # the ranking
    assert "88.00" in text_of(browser(web, "mgr_a").get(reverse("home")))  # the agency's latest records


# --- surveys for the evaluator ----------------------------------------------------------------------------


def test_the_evaluator_creates_a_survey_issues_codes_and_opens_it(web: WebWorld, loop: dict[str, Any]) -> None:
    evaluator = browser(web, "evaluator")
    response = evaluator.post(reverse("survey-create", args=[loop["final"]]))
    assert response.status_code == 302
    survey = Survey.objects.exclude(pk=loop["survey"]).get(evaluation_id=loop["final"])
    assert response["Location"] == reverse("survey-detail", args=[survey.pk])
    assert survey.questions.count() == 6 and survey.state == "draft"
    tokens = reverse("survey-tokens", args=[survey.pk])
    with unchanged():
        for bad in ["", "zero", "0", "100000"]:
            assert evaluator.post(tokens, {"count": bad}).status_code == 400
    assert evaluator.post(tokens, {"count": "12", "handed_to": "东湖社区活动室"}).status_code == 302
    assert SurveyToken.objects.filter(survey=survey, handed_to="东湖社区活动室").count() == 12
    assert evaluator.post(reverse("survey-state", args=[survey.pk]), {"action": "open"}).status_code == 302
    assert Survey.objects.get(pk=survey.pk).state == "open"
    html = text_of(evaluator.get(reverse("survey-detail", args=[survey.pk])))
    assert "东湖社区活动室" in html and reverse("survey-sheet", args=[survey.pk]) in html
    home = text_of(evaluator.get(reverse("home")))
    assert reverse("survey-detail", args=[survey.pk]) in home and "0 / 12" in home


def test_the_token_sheet_prints_one_card_per_unused_code(web: WebWorld, loop: dict[str, Any]) -> None:
    evaluation_services.answer_survey(loop["tokens"][0], _answers(loop["tokens"][0]))
    response = browser(web, "evaluator").get(reverse("survey-sheet", args=[loop["survey"]]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    assert response["Cache-Control"] == "no-store"
    if PDFTOTEXT is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the codes on the sheet cannot be checked")
    text = subprocess.run([PDFTOTEXT, "-", "-"], input=response.content, capture_output=True, check=True).stdout
    content = text.decode()
    assert surveys.grouped(loop["tokens"][0]) not in content  # used: no card
    for token in loop["tokens"][1:]:
        assert surveys.grouped(token) in content
    assert "Satisfaction survey of residents served" in content


# --- the public answer pages ---------------------------------------------------------------------------------


def _answers(token: str) -> dict[int, Any]:
    survey, _used = Survey.objects.get(tokens__digest=surveys.digest(token)), None
    return {q.pk: 4 for q in survey.questions.filter(kind="likert")}


def _form(survey: Survey, value: str = "5") -> dict[str, str]:
    data = {f"q{q.pk}": value for q in survey.questions.filter(kind="likert")}
    data.update({f"q{q.pk}": "很好" for q in survey.questions.filter(kind="text")})
    return data


def test_the_public_survey_needs_no_login_and_asks_nothing_about_the_resident(loop: dict[str, Any]) -> None:
    token = loop["tokens"][0]
    response = anonymous().get(reverse("public-survey", args=[token]))
    assert response.status_code == 200
    html = text_of(response)
    survey = Survey.objects.get(pk=loop["survey"])
    form = html[html.index('action="/s/') :]
    names = set(re.findall(r'<(?:input|textarea|select)[^>]* name="([^"]+)"', form))
    assert names == {"csrfmiddlewaretoken", "code"} | {f"q{q.pk}" for q in survey.questions.all()}
    assert surveys.grouped(token) in html  # the code, to correct it if need be
    assert html.count('type="radio"') == 5 * 5
    for q in survey.questions.filter(kind="likert"):
        assert f'<label for="q{q.pk}-1">' in html and f'id="q{q.pk}-1"' in html
    assert "Very dissatisfied" in html and "Very satisfied" in html
    assert "How satisfied are you with the social workers" in html  # the English question
    chinese = text_of(anonymous("zh-hans").get(reverse("public-survey", args=[token])))
    assert "社工的专业态度与能力让您满意吗" in chinese


def test_one_answer_per_code_and_a_used_code_is_refused_with_the_form_kept(loop: dict[str, Any]) -> None:
    token = loop["tokens"][1]
    survey = Survey.objects.get(pk=loop["survey"])
    url = reverse("public-survey", args=[token])
    resident = anonymous()
    response = resident.post(url, _form(survey))
    assert response.status_code == 302 and response["Location"] == reverse("public-survey-thanks")
    assert "Thank you" in text_of(resident.get(response["Location"]))
    assert SurveyResponse.objects.filter(survey=survey).count() == 1
    assert SurveyAnswer.objects.filter(response__survey=survey, text="很好").count() == 1
    assert SurveyToken.objects.get(survey=survey, digest=surveys.digest(token)).used
    with unchanged():
        again = anonymous().post(url, _form(survey, "2"))
    assert again.status_code == 400
    html = text_of(again)
    assert any("already been used" in e for e in errors_in(html))
    assert 'value="2" checked' in html  # the answers are kept, and the code may be corrected
    # With another code typed in the same form, the answers go in.
    other = anonymous().post(url, {**_form(survey, "2"), "code": surveys.grouped(loop["tokens"][4]).lower()})
    assert other.status_code == 302
    assert SurveyResponse.objects.filter(survey=survey).count() == 2
    # Opening a used code says so at once.
    shown = anonymous().get(url)
    assert any("already been used" in e for e in errors_in(text_of(shown))) and 'type="radio"' not in text_of(shown)


def test_a_typed_code_is_normalised_and_a_wrong_one_refused(loop: dict[str, Any]) -> None:
    token = loop["tokens"][2]
    typed = surveys.grouped(token).lower().replace("o", "0")
    response = anonymous().get(reverse("public-survey-entry"), {"code": typed})
    assert response.status_code == 302 and response["Location"] == reverse("public-survey", args=[token])
    wrong = anonymous().get(reverse("public-survey", args=["AAAABBBBCCCC"]))
    assert wrong.status_code == 404
    html = text_of(wrong)
    assert any("not valid" in e for e in errors_in(html)) and 'name="code"' in html
    with unchanged():
        assert anonymous().post(reverse("public-survey", args=["AAAABBBBCCCC"]), {}).status_code == 404
    assert anonymous().get(reverse("public-survey-entry"), {"code": " - "}).status_code == 400


def test_a_missing_answer_or_a_closed_survey_is_refused(web: WebWorld, loop: dict[str, Any]) -> None:
    token = loop["tokens"][3]
    survey = Survey.objects.get(pk=loop["survey"])
    url = reverse("public-survey", args=[token])
    partial = _form(survey)
    first = survey.questions.filter(kind="likert").first()
    assert first is not None
    del partial[f"q{first.pk}"]
    with unchanged():
        response = anonymous().post(url, partial)
    assert response.status_code == 400 and any("Please answer" in e for e in errors_in(text_of(response)))
    evaluation_services.close_survey(web.user("evaluator"), survey)
    closed = anonymous().get(url)
    assert closed.status_code == 200 and "not open for answers" in text_of(closed)
    assert 'type="radio"' not in text_of(closed)
    with unchanged():
        assert anonymous().post(url, _form(survey)).status_code == 400


def test_the_public_pages_are_csrf_protected(loop: dict[str, Any]) -> None:
    survey = Survey.objects.get(pk=loop["survey"])
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    url = reverse("public-survey", args=[loop["tokens"][0]])
    with unchanged():
        assert client.post(url, _form(survey)).status_code == 403
    page = text_of(client.get(url))
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert csrf is not None
    assert client.post(url, {**_form(survey), "csrfmiddlewaretoken": csrf.group(1)}).status_code == 302


# --- a program's indicator system ------------------------------------------------------------------------------


@pytest.fixture
def new_program(web: WebWorld) -> Program:
    """A program of the next year, opened, with no call yet: its indicators may still change."""
    department = Organization.objects.get(name="W市民政局")
    program = funding_services.create_program(
        web.user("dept"),
        department=department,
        title="2026年社区公益服务项目",
        title_en="Community services 2026",
        fiscal_year=2026,
        budget="500000",
        categories=list(Program.objects.get(fiscal_year=2025).categories.all()),
    )
    return funding_services.open_program(web.user("dept"), program)


def test_a_frozen_system_is_shown_and_not_editable(web: WebWorld, loop: dict[str, Any]) -> None:
    url = reverse("program-indicators", args=[loop["program"]])
    officer = browser(web, "dept")
    html = text_of(officer.get(url))
    assert 'data-status="frozen"' in html and "Frozen on" in html
    assert 'name="action" value="save"' not in html
    with unchanged():
        response = officer.post(url, {"action": "copy_default"})
    assert response.status_code == 400 and any("frozen" in e for e in errors_in(text_of(response)))
    home = text_of(officer.get(reverse("home")))
    assert 'data-indicators="frozen"' in home and url in home
    call = text_of(browser(web, "mgr_a").get(reverse("call-detail", args=[web.pk["open_call"]])))
    assert url in call


def test_the_officer_copies_the_default_or_another_programs_system(web: WebWorld, new_program: Program) -> None:
    url = reverse("program-indicators", args=[new_program.pk])
    officer = browser(web, "dept")
    html = text_of(officer.get(url))
    assert 'data-status="default"' in html and 'name="action" value="copy_default"' in html
    assert 'data-indicators="default"' in text_of(officer.get(reverse("home")))
    street = browser(web, "street")
    with unchanged():
        assert street.post(url, {"action": "copy_default"}).status_code == 403
        assert officer.post(url, {"action": "copy_from", "source": "999999"}).status_code == 400
    assert officer.post(url, {"action": "copy_default"}).status_code == 302
    assert IndicatorSystem.objects.get(program=new_program).nodes.count() == 18
    source = IndicatorSystem.objects.get(program__fiscal_year=2025)
    assert officer.post(url, {"action": "copy_from", "source": str(source.pk)}).status_code == 302
    copied = IndicatorSystem.objects.get(program=new_program)
    assert copied.copied_from == source and 'data-status="own"' in text_of(officer.get(url))


def _edit_form(client: Client, url: str) -> dict[str, str]:
    """The editing table's fields as the page fills them."""
    html = text_of(client.get(url))
    form = html[html.index('id="edit"') :]
    form = form[: form.index("</form>")]
    data: dict[str, str] = {}
    for name, value in re.findall(r'<input id="[^"]*" name="([^"]+)" value="([^"]*)"', form):
        data[name] = value
    for name, value in re.findall(r'name="(row-\d+-(?:rubric|rubric_en))" rows="2">(.*?)</textarea>', form, re.S):
        data[name] = value
    for name, body in re.findall(r'name="(row-\d+-(?:source|metric))">(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        data[name] = chosen.group(1) if chosen else ""
    data["rows"] = re.search(r'name="rows" value="(\d+)"', form).group(1)  # type: ignore[union-attr]
    data["name"] = re.search(r'name="name" value="([^"]*)"', form).group(1)  # type: ignore[union-attr]
    return data


def test_the_edit_table_saves_a_valid_tree_or_lists_every_problem(web: WebWorld, new_program: Program) -> None:
    url = reverse("program-indicators", args=[new_program.pk])
    officer = browser(web, "dept")
    data = _edit_form(officer, url)
    assert data["row-0-code"] == "management" and data["row-1-parent"] == "management"
    assert int(data["rows"]) == 18 + 5  # the default's rows and five empty ones
    broken = {**data, "row-1-weight": "6", "row-2-source": "", "action": "save"}
    with unchanged():
        response = officer.post(url, broken)
    assert response.status_code == 400
    problems = errors_in(text_of(response))
    assert any("under “management” add up to 16" in p for p in problems)
    assert any("“team”: the source must be" in p for p in problems)
    assert 'value="6"' in text_of(response)  # the table keeps what was typed
    assert not IndicatorSystem.objects.filter(program=new_program).exists()  # the default was not copied either
    # Move a point from one indicator to a new sub-indicator, in an empty row, and save.
    data.update({"row-1-weight": "4", "action": "save", "name_en": "Our system"})
    data.update({"row-18-code": "extra", "row-18-parent": "management", "row-18-name": "新增指标"})
    data.update({"row-18-weight": "1", "row-18-source": "manual"})
    assert officer.post(url, data).status_code == 302
    system = IndicatorSystem.objects.get(program=new_program)
    assert system.name_en == "Our system" and system.nodes.count() == 19
    assert system.nodes.get(code="extra").weight == Decimal("1")


def test_the_workbook_round_trip(web: WebWorld, new_program: Program) -> None:
    from openpyxl import Workbook, load_workbook

    url = reverse("program-indicators", args=[new_program.pk])
    officer = browser(web, "dept")
    street = browser(web, "street")
    download = officer.get(reverse("program-indicators-xlsx", args=[new_program.pk]))
    assert download.status_code == 200 and download.content[:2] == b"PK"
    book = load_workbook(io.BytesIO(download.content))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("编码", "上级编码", "名称", "英文名称", "分值")
    assert len(rows) == 1 + 18
    sheet.cell(row=3, column=3, value="计划执行（修订）")
    out = io.BytesIO()
    book.save(out)
    upload = SimpleUploadedFile("indicators.xlsx", out.getvalue())
    assert officer.post(url, {"action": "upload", "file": upload}).status_code == 302
    system = IndicatorSystem.objects.get(program=new_program)
    assert system.nodes.get(code="plan").name == "计划执行（修订）" and system.nodes.count() == 18
    # Downloaded again, it reads the same.
    again = load_workbook(io.BytesIO(officer.get(reverse("program-indicators-xlsx", args=[new_program.pk])).content))
    assert [tuple(r) for r in again.worksheets[0].iter_rows(values_only=True)][2][2] == "计划执行（修订）"
    # Wrong headers, or a tree that does not add up: every problem listed, nothing saved.
    bad = Workbook()
    bad_sheet = bad.active
    assert bad_sheet is not None
    bad_sheet.append(["编码", "名字", "分值"])
    bad_sheet.append(["a", "甲", 100])
    out = io.BytesIO()
    bad.save(out)
    with unchanged():
        response = officer.post(url, {"action": "upload", "file": SimpleUploadedFile("bad.xlsx", out.getvalue())})
        assert response.status_code == 400
        problems = errors_in(text_of(response))
        assert any("Unknown column “名字”" in p for p in problems)
        assert any("上级编码" in p and "is missing" in p for p in problems)
        sheet.cell(row=2, column=5, value=20)  # the first dimension now 20 instead of 15
        out = io.BytesIO()
        book.save(out)
        response = officer.post(url, {"action": "upload", "file": SimpleUploadedFile("i.xlsx", out.getvalue())})
        assert response.status_code == 400
        assert any("add up to 105" in p for p in errors_in(text_of(response)))
        response = street.post(url, {"action": "upload", "file": SimpleUploadedFile("i.xlsx", out.getvalue())})
        assert response.status_code == 403


# --- home sections and languages ------------------------------------------------------------------------------


def test_home_sections_link_the_evaluation_work(web: WebWorld, loop: dict[str, Any]) -> None:
    evaluator = text_of(browser(web, "evaluator").get(reverse("home")))
    assert evaluation_url(loop["final"]) in evaluator and evaluation_url(loop["midterm"]) in evaluator
    assert reverse("survey-detail", args=[loop["survey"]]) in evaluator and "0 / 5" in evaluator
    street = text_of(browser(web, "street").get(reverse("home")))
    assert evaluation_url(loop["midterm"]) + "#decision" in street  # submitted, awaiting acceptance
    assert reverse("org-profile", args=[loop["street"]]) + "#scorecards" in street
    contract = text_of(browser(web, "cw1").get(reverse("contract-detail", args=[web.pk["contract"]])))
    assert evaluation_url(loop["midterm"]) in contract and reverse("org-profile", args=[loop["agency"]]) in contract


def test_pages_in_chinese_by_default_and_in_english_after_switching(web: WebWorld, loop: dict[str, Any]) -> None:
    client = Client()
    client.force_login(web.user("street"))
    url = evaluation_url(loop["midterm"])
    html = text_of(client.get(url))
    assert '<html lang="zh-hans">' in html and "阳光社工服务中心" in html and "项目管理" in html
    response = client.post(reverse("set_language"), {"language": "en", "next": url})
    assert response.status_code == 302
    html = text_of(client.get(url))
    assert '<html lang="en">' in html
    assert "Mid-term evaluation" in html and "Total score" in html and "Project management" in html
    assert "Sunshine Social Work" in html and "阳光社工服务中心" not in html
    survey = text_of(client.get(reverse("survey-detail", args=[loop["survey"]])))
    assert "Satisfaction survey of residents served" in survey and "Very satisfied" in survey
