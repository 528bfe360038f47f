"""Review and award in a real browser: the street officer starts the review, each assigned expert logs in
and fills the score sheet, the street officer closes the panel, runs the allocation and starts the
publicity, and the department's officer decides the awards."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from grassroots.applications.models import Application
from grassroots.awards.models import Award, AwardList
from grassroots.funding.models import Call
from grassroots.review.models import Review
from tests import world as w

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser-test-pass"


@dataclass
class Site:
    url: str
    world: w.World
    call: Call
    applications: list[Application]


@pytest.fixture
def site(live_server: Any) -> Site:
    world = w.build_world()
    for user in [world.street_officer, world.dept_officer, *(world.expert_user(e) for e in world.experts)]:
        user.set_password(PASSWORD)
        user.save()
    call = w.open_street_call(world, w.open_program(world), reviewers_per_application=1)
    applications = [
        w.submitted_application(world, call, agency=1, requested="100000.00", title="同心长者陪伴计划"),
        w.submitted_application(world, call, agency=2, requested="120000.00", title="益众邻里互助行动"),
    ]
    return Site(live_server.url, world, call, applications)


def log_in(page: Any, site: Site, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{site.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/$"))


def submit(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_review_and_award_journey(page: Any, shots: Any, site: Site) -> None:
    call = site.call
    review_url = f"{site.url}/calls/{call.pk}/review/"
    awards_url = f"{site.url}/calls/{call.pk}/awards/"

    # The street officer starts the review: screening, conflicts and the assignment.
    log_in(page, site, "s_officer")
    page.goto(review_url)
    shots("review-to-start")
    submit(page, f"form[action='/calls/{call.pk}/review/start/'] button[type=submit]")
    assert Call.objects.get(pk=call.pk).state == Call.State.REVIEW
    assert page.locator("#matrix [data-review]").count() == 2
    assert page.locator(".messages li.success").first.is_visible()
    shots("review-started")

    # Each assigned expert logs in and scores, out of each criterion's points.
    reviews = list(Review.objects.filter(application__call=call).select_related("expert__person__user"))
    for number, review in enumerate(reviews):
        log_in(page, site, review.expert.person.user.username)
        page.goto(f"{site.url}/reviews/")
        if number == 0:
            shots("reviewer-assignments")
        submit(page, f"a[href='/reviews/{review.pk}/']")
        for field in page.locator("input[name^=points-]").all():
            field.fill(str(round(float(field.get_attribute("max") or "0") * (0.9 - 0.1 * number), 2)))
        for field in page.locator("textarea[name^=comment-]").all():
            field.fill("方案设计合理，需求调研扎实。")
        page.fill("#comment", "建议加强成效评估。")
        assert page.locator("[data-total]").inner_text() != ""  # the running total, drawn by the page's script
        if number == 0:
            shots("score-sheet")
        submit(page, "form.score-sheet button[type=submit]")
        review.refresh_from_db()
        assert review.state == Review.State.SUBMITTED, page.content()[:2000]
        if number == 0:
            shots("scored")

    # The street officer closes the panel: the ranking, then the allocation and the publicity.
    log_in(page, site, "s_officer")
    page.goto(review_url)
    page.select_option("#close-method", "mean")
    submit(page, f"form[action='/calls/{call.pk}/review/close/'] button[type=submit]")
    assert Call.objects.get(pk=call.pk).state == Call.State.AWARDING
    assert page.locator("#ranking tr[data-rank]").count() == 2
    shots("ranking")
    submit(page, "#ranking a.button.primary")
    page.select_option("#award-rule", "rank_order")
    shots("allocation")
    submit(page, f"form[action='/calls/{call.pk}/awards/propose/'] button[type=submit]")
    award_list = AwardList.objects.get(call=call)
    assert award_list.state == AwardList.State.PROPOSED
    assert page.locator("[data-list-state=proposed]").is_visible()
    shots("proposed")
    page.fill("#publicity-start", "2025-03-10")
    submit(page, f"form[action='/calls/{call.pk}/awards/publicity/'] button[type=submit]")
    award_list.refresh_from_db()
    assert award_list.state == AwardList.State.PUBLICITY and str(award_list.publicity_until) == "2025-03-17"
    assert "2025-03-17" in page.locator("[data-publicity]").inner_text()  # the end of publicity, in any language
    shots("publicity")

    # The department decides once the publicity has run its course.
    log_in(page, site, "dept_officer")
    page.goto(awards_url)
    submit(page, f"form[action='/calls/{call.pk}/awards/decide/'] button[type=submit]")
    assert Call.objects.get(pk=call.pk).state == Call.State.DECIDED
    assert Award.objects.filter(award_list__call=call, state=Award.State.CONFIRMED).count() == 2
    assert page.locator("[data-list-state=decided]").is_visible()
    shots("decided")
