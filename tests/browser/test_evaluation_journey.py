"""The evaluation loop in a real browser: the evaluator surveys residents and scores, residents answer
anonymously with their codes, the purchaser accepts, and the page shows the grade; then in English."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from grassroots.evaluation import services as evaluation_services
from grassroots.evaluation.models import Evaluation, Survey
from tests import world as w

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser-test-pass"


@dataclass
class Site:
    url: str
    world: w.World
    evaluation: Evaluation


@pytest.fixture
def site(live_server: Any) -> Site:
    world = w.build_world()
    for user in (world.evaluator, world.street_officer, world.managers[1]):
        user.set_password(PASSWORD)
        user.save()
    contract = w.funded_contract(world, agency=1)
    evaluation = evaluation_services.assign_evaluation(
        world.street_officer,
        contract,
        evaluator=world.evaluator_org,
        kind=Evaluation.Kind.MIDTERM,
        due_on=timezone.localdate() + timedelta(days=20),
    )
    return Site(live_server.url, world, evaluation)


def log_in(page: Any, site: Site, username: str) -> None:
    page.goto(f"{site.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/$"))


def log_out(page: Any) -> None:
    page.context.clear_cookies()


def test_survey_scoring_and_acceptance(page: Any, shots: Any, site: Site) -> None:
    evaluation = site.evaluation
    log_in(page, site, "evaluator")
    shots("evaluator-home")
    page.click(f"a[href='/evaluations/{evaluation.pk}/']")
    page.click("text=新建问卷（默认问卷）")
    page.fill("#token-count", "6")
    page.click("form:has(#token-count) button[type=submit]")
    page.click("button[name=action][value=open]")
    survey = Survey.objects.get(evaluation=evaluation)
    assert survey.state == Survey.State.OPEN and survey.tokens.count() == 6
    shots("survey-open")

    log_out(page)
    for serial in range(1, 6):  # five residents answer with their codes, without logging in
        page.goto(f"{site.url}/s/{evaluation_services.token_of(survey, serial)}/")
        for radio_group in page.locator("fieldset").all():
            radio_group.locator("input[type=radio][value='5']").check()
        if serial == 1:
            page.fill("textarea", "活动很好，希望继续。")
            shots("resident-answers")
        page.click("button[type=submit].primary")
        page.wait_for_url(re.compile(r".*/s/thanks/$"))
    page.goto(f"{site.url}/s/{evaluation_services.token_of(survey, 1)}/")  # a used code answers no more
    assert page.locator(".messages, .errors, [role=alert]").first.is_visible()
    shots("used-code")

    log_in(page, site, "evaluator")
    page.goto(f"{site.url}/evaluations/{evaluation.pk}/")
    for field in page.locator("input[name^=points-]").all():
        if not field.input_value():
            field.fill(field.get_attribute("max") or "0")
    page.fill("#summary", "项目进展顺利。")
    page.fill("#finding-0-text", "部分活动缺少签到表。")
    page.fill("#finding-0-requirement", "补齐签到表。")
    page.fill("#finding-0-due_on", (date.today() + timedelta(days=30)).isoformat())
    shots("scoring")
    page.click("button[name=action][value=submit]")
    evaluation.refresh_from_db()
    assert evaluation.state == Evaluation.State.SUBMITTED, page.content()[:2000]

    log_out(page)
    log_in(page, site, "s_officer")
    page.goto(f"{site.url}/evaluations/{evaluation.pk}/")
    page.click("button[name=action][value=accept]")
    evaluation.refresh_from_db()
    assert evaluation.state == Evaluation.State.ACCEPTED
    with translation.override("zh-hans"):
        grade = str(evaluation.get_grade_display())
    assert page.locator("main").get_by_text(grade, exact=True).first.is_visible()
    shots("accepted")

    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    assert page.get_by_text("Total score").first.is_visible()
    shots("accepted-english")
