"""The "Waiting for you" list: each role's home page shows what it must do now, and only its own work."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.applications.models import Application
from grassroots.awards import services as award_services
from grassroots.awards.models import Award
from grassroots.contracts import services as contract_services
from grassroots.contracts.models import Contract, Milestone
from grassroots.evaluation import services as evaluation_services
from grassroots.funding.models import Call
from grassroots.orgs.models import Organization
from grassroots.review import services as review_services
from grassroots.review.models import Review

from .conftest import WebWorld

pytestmark = pytest.mark.django_db

TASKS = re.compile(r'<ol class="tasks">(.*?)</ol>', re.S)
ITEM = re.compile(r'<li( class="late")? data-task><a href="([^"]+)">([^<]+)</a>')


def tasks_of(web: WebWorld, who: str) -> list[tuple[str, str, bool]]:
    """(url, text, late) of every task on `who`'s home page, in English."""
    client: Client = web.client_for(who)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("home")).content.decode()
    found = []
    for block in TASKS.findall(html):
        for late, url, text in ITEM.findall(block):
            found.append((url, text.replace("&quot;", '"').replace("&#x27;", "'"), bool(late)))
    return found


def urls(tasks: list[tuple[str, str, bool]]) -> list[str]:
    return [url for url, _text, _late in tasks]


def contract(web: WebWorld) -> Contract:
    return Contract.objects.get(pk=web.pk["contract"])


def test_the_street_is_asked_to_start_the_review_of_a_call_whose_submissions_closed(web: WebWorld) -> None:
    tasks = tasks_of(web, "street")
    wanted = reverse("call-review", args=[web.pk["open_call"]]) + "#start"
    assert wanted in urls(tasks)
    [(_url, text, late)] = [t for t in tasks if t[0] == wanted]
    assert "start the review" in text and "S Street youth growth" in text and late


def test_the_street_follows_its_review_and_then_proposes_the_awards(web: WebWorld) -> None:
    call = Call.objects.get(pk=web.pk["open_call"])
    street = web.user("street")
    review_services.start_review(street, call, today=date(2025, 7, 1))
    tasks = tasks_of(web, "street")
    progress = [t for t in tasks if t[0].endswith(f"/calls/{call.pk}/review/#progress")]
    assert progress and "0 of 2 reviews submitted" in progress[0][1]
    expert = web.user("expert")
    for review in Review.objects.filter(application__call=call):
        review_services.submit_scores(expert, review, {c.pk: "80" for c in call.criteria.all()})
    assert any("close the panel" in text for _u, text, _l in tasks_of(web, "street"))
    call.refresh_from_db()
    review_services.close_panel(street, call)
    assert reverse("call-awards", args=[call.pk]) + "#allocate" in urls(tasks_of(web, "street"))
    award_services.propose_awards(street, call)
    assert reverse("call-awards", args=[call.pk]) + "#allocate" not in urls(tasks_of(web, "street"))


def test_the_expert_is_asked_to_score_only_their_open_reviews(web: WebWorld) -> None:
    call = Call.objects.get(pk=web.pk["open_call"])
    assert not tasks_of(web, "expert")  # the decided call's reviews are done
    review_services.start_review(web.user("street"), call, today=date(2025, 7, 1))
    reviews = list(Review.objects.filter(application__call=call).order_by("pk"))
    assert sorted(urls(tasks_of(web, "expert"))) == sorted(reverse("review-detail", args=[r.pk]) for r in reviews)
    review_services.submit_scores(web.user("expert"), reviews[0], {c.pk: "75" for c in call.criteria.all()})
    assert urls(tasks_of(web, "expert")) == [reverse("review-detail", args=[reviews[1].pk])]


def test_the_agency_is_asked_to_submit_its_draft_and_write_its_overdue_report(web: WebWorld) -> None:
    tasks = tasks_of(web, "mgr_a")
    draft = reverse("application-detail", args=[web.pk["app_a_draft"]])
    assert draft in urls(tasks)
    report = reverse("contract-detail", args=[web.pk["contract"]]) + "#milestone-report"
    overdue = [t for t in tasks if t[0] == report]
    assert overdue and overdue[0][2]  # the mid-term report was due long ago
    assert "Report the mid-term milestone" in overdue[0][1]
    # the competitor sees neither A's draft nor A's contract
    assert not {draft, report} & set(urls(tasks_of(web, "mgr_b")))
    Application.objects.filter(pk=web.pk["app_a_draft"]).update(state=Application.State.WITHDRAWN)
    assert draft not in urls(tasks_of(web, "mgr_a"))


def test_a_submitted_report_goes_to_the_street_and_its_tranche_to_the_payers(web: WebWorld) -> None:
    c = contract(web)
    midterm = c.milestones.get(kind=Milestone.Kind.MIDTERM)
    contract_services.submit_milestone(web.user("mgr_a"), midterm, "中期进展")
    to_review = reverse("contract-detail", args=[c.pk]) + "#milestones"
    assert to_review in urls(tasks_of(web, "street"))
    assert to_review not in urls(tasks_of(web, "dept"))
    contract_services.review_milestone(web.user("street"), midterm, accept=True, on=date(2025, 10, 1))
    to_pay = reverse("contract-detail", args=[c.pk]) + "#tranches"
    for payer in ("dept", "street"):
        [pay] = [t for t in tasks_of(web, payer) if t[0] == to_pay]
        assert pay[1].startswith("Pay tranche 2 of") and "¥" in pay[1]
    assert to_pay not in urls(tasks_of(web, "mgr_a")) and to_pay not in urls(tasks_of(web, "cw1"))
    tranche = c.tranches.get(position=2)
    contract_services.pay_tranche(web.user("dept"), tranche, idempotency_key="tasks-t2", on=date(2025, 10, 5))
    assert to_pay not in urls(tasks_of(web, "dept")) and to_pay not in urls(tasks_of(web, "street"))


def test_a_change_request_waits_for_the_purchaser(web: WebWorld) -> None:
    c = contract(web)
    contract_services.request_extension(
        web.user("mgr_a"), c, new_ends_on=date(c.ends_on.year + 1, c.ends_on.month, 1), reason="延期"
    )
    wanted = reverse("contract-detail", args=[c.pk]) + "#changes"
    [(_url, text, _late)] = [t for t in tasks_of(web, "street") if t[0] == wanted]
    assert "term extension" in text
    assert wanted not in urls(tasks_of(web, "mgr_a"))


def test_the_department_decides_awards_once_publicity_is_over_and_no_objection_is_open(web: WebWorld) -> None:
    call = Call.objects.get(pk=web.pk["open_call"])
    street = web.user("street")
    review_services.start_review(street, call, today=date(2025, 7, 1))
    for review in Review.objects.filter(application__call=call):
        review_services.submit_scores(web.user("expert"), review, {c.pk: "80" for c in call.criteria.all()})
    call.refresh_from_db()
    review_services.close_panel(street, call)
    award_list = award_services.propose_awards(street, call)
    award_services.start_publicity(street, award_list, starts_on=date(2025, 7, 10))
    decide = reverse("call-awards", args=[call.pk]) + "#decide"
    assert decide in urls(tasks_of(web, "dept"))
    objection = award_services.raise_objection(
        web.user("mgr_b"), award_list, "评分有误", award=Award.objects.filter(award_list=award_list).first()
    )
    assert decide not in urls(tasks_of(web, "dept"))  # the street answers first
    answer = reverse("call-awards", args=[call.pk]) + "#objections"
    [(_url, text, late)] = [t for t in tasks_of(web, "street") if t[0] == answer]
    assert "Answer 1 objection" in text and late
    award_services.answer_objection(street, objection, uphold=False, response="评分无误")
    assert decide in urls(tasks_of(web, "dept")) and answer not in urls(tasks_of(web, "street"))


def test_the_evaluator_is_asked_to_score_what_it_was_assigned(web: WebWorld) -> None:
    c = contract(web)
    assert not tasks_of(web, "evaluator")  # the mid-term is submitted
    evaluator = Organization.objects.get(name="明德评估中心")
    final = evaluation_services.assign_evaluation(
        web.user("street"), c, evaluator=evaluator, kind="final", due_on=date(2026, 1, 15)
    )
    [(url, text, late)] = tasks_of(web, "evaluator")
    assert url == reverse("evaluation-detail", args=[final.pk]) + "#scoring" and "final evaluation" in text and late


def test_roles_with_nothing_waiting_are_told_so(web: WebWorld) -> None:
    client = web.client_for("cw2")
    html = client.get(reverse("home")).content.decode()
    assert "data-no-tasks" not in html  # community workers get their needs and meetings instead of tasks
    html = web.client_for("expert").get(reverse("home")).content.decode()
    assert "data-no-tasks" in html


def test_social_workers_record_on_their_agencys_running_contracts(web: WebWorld) -> None:
    html = web.client_for("sw_a").get(reverse("home")).content.decode()
    assert reverse("record-create", args=[web.pk["contract"]]) in html
    other = web.client_for("sw_b").get(reverse("home")).content.decode()
    assert reverse("record-create", args=[web.pk["contract"]]) not in other


def test_alerts_are_shown_in_the_readers_language(web: WebWorld) -> None:
    """A running contract's alerts are live messages: they are translated like stored ones."""
    client = web.client_for("mgr_a")
    html = client.get(reverse("home")).content.decode()
    assert "节点应于" in html and "milestone was due" not in html
    client.cookies["django_language"] = "en"
    assert "milestone was due" in client.get(reverse("home")).content.decode()


def test_every_task_opens_a_page_its_reader_may_see(web: WebWorld) -> None:
    """A task is a link to follow: whoever it waits for gets the page (never a 403, 404 or 405)."""
    c = contract(web)
    evaluator = Organization.objects.get(name="明德评估中心")
    evaluation_services.assign_evaluation(web.user("street"), c, evaluator=evaluator, kind="final")
    contract_services.submit_milestone(web.user("mgr_a"), c.milestones.get(kind=Milestone.Kind.MIDTERM), "中期进展")
    review_services.start_review(web.user("street"), Call.objects.get(pk=web.pk["open_call"]), today=date(2025, 7, 1))
    seen = 0
    for who in ("dept", "street", "mgr_a", "mgr_b", "sw_a", "expert", "evaluator", "cw1", "resident"):
        client = web.client_for(who)
        for url, _text, _late in tasks_of(web, who):
            assert client.get(url.split("#")[0]).status_code == 200, (who, url)
            seen += 1
    assert seen >= 6


def test_refusals_name_organizations_in_the_readers_language(web: WebWorld) -> None:
    """A refusal names the organization as the pages do: its English name when the reader reads English."""
    from django.utils import translation

    from grassroots.core.errors import Forbidden

    refusal = ""
    try:
        contract_services.submit_milestone(
            web.user("mgr_b"), contract(web).milestones.get(kind=Milestone.Kind.MIDTERM), "不是本机构的合同"
        )
    except Forbidden as problem:
        refusal = str(problem)
    assert "Sunshine Social Work" in refusal and "阳光社工服务中心" not in refusal
    with translation.override("zh-hans"):
        assert contract(web).agency.local_name == "阳光社工服务中心"
