"""Issuing and bundling in a real browser: the department officer issues a program, opens it and entrusts an
envelope to the street; the street officer opens a call with its criteria on that envelope; then the call
page in English."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from grassroots.funding.models import Call, Envelope, Program
from tests import world as w

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser-test-pass"


@dataclass
class Site:
    url: str
    world: w.World


@pytest.fixture
def site(live_server: Any) -> Site:
    world = w.build_world()
    for user in (world.dept_officer, world.street_officer):
        user.set_password(PASSWORD)
        user.save()
    return Site(live_server.url, world)


def log_in(page: Any, site: Site, username: str) -> None:
    page.goto(f"{site.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/$"))


def test_a_program_its_envelope_and_a_call(page: Any, shots: Any, site: Site) -> None:
    world = site.world

    # --- the department officer issues the program ---------------------------------------------------------------
    log_in(page, site, "dept_officer")
    page.goto(f"{site.url}/programs/")
    shots("programs-empty")
    page.click("a[href='/programs/new/']")
    page.fill("#program-title", "2025年社区服务项目")
    page.fill("#program-title-en", "Community services 2025")
    page.fill("#program-year", "2025")
    page.fill("#program-budget", "1000000")
    for code in ("elderly", "youth"):
        page.check(f"input[name=category][value='{world.categories[code].pk}']")
    page.fill("#program-eligibility", "在本区登记的社会组织，联合至少一个社区申报。")
    page.fill("#program-tranches", "30/40/20")
    page.wait_for_selector("#tranche-total.over[data-total='90']")
    page.fill("#program-tranches", "30/40/30")
    page.wait_for_selector("#tranche-total:not(.over)[data-total='100']")
    shots("new-program")
    page.click("form.program-form button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/programs/\d+/$"))
    program = Program.objects.get(title="2025年社区服务项目")
    assert program.state == Program.State.DRAFT and program.budget == Decimal("1000000.00")
    shots("program-draft")

    page.click("button[name=action][value=open]")
    page.wait_for_selector("button[name=action][value=close]")
    program.refresh_from_db()
    assert program.state == Program.State.OPEN
    shots("program-open")

    page.select_option("#envelope-street", str(world.street.pk))
    page.fill("#envelope-amount", "600000")
    page.click("#allocate button[type=submit]")
    page.wait_for_selector("tr[data-envelope]")
    envelope = Envelope.objects.get(program=program, street=world.street)
    assert envelope.amount == Decimal("600000.00")
    assert "¥400,000.00" in page.locator("[data-figure=left]").inner_text()
    shots("envelope-allocated")
    page.context.clear_cookies()

    # --- the street officer opens a call on the envelope -------------------------------------------------------
    log_in(page, site, "s_officer")
    page.goto(f"{site.url}/envelopes/{envelope.pk}/")
    shots("envelope")
    page.click(f"a[href='/envelopes/{envelope.pk}/calls/new/']")
    page.fill("#call-title", "S街道2025年社区服务项目申报指南")
    page.fill("#call-title-en", "S Street community services 2025")
    page.fill("#call-description", "围绕居民议事确定的优先需求，面向社工机构与社区联合申报。")
    page.fill("#call-funds", "300000")
    page.fill("#call-matching", "20000")
    page.fill("#call-max-request", "100000")
    page.fill("#c-0-points", "35")  # the live total follows what is typed
    page.wait_for_selector("#criteria-total.over[data-total='110']")
    page.fill("#c-0-points", "25")
    page.fill("#c-4-points", "")  # drop the last default criterion, add past performance instead
    page.fill("#c-4-name", "")
    page.fill("#c-4-name_en", "")
    page.fill("#c-5-name", "以往项目绩效")
    page.fill("#c-5-name_en", "Past performance")
    page.fill("#c-5-points", "15")
    page.select_option("#c-5-source", "performance")
    page.wait_for_selector("#criteria-total:not(.over)[data-total='100']")
    shots("new-call")
    page.click("form.call-form button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/calls/\d+/$"))
    call = Call.objects.get(envelope=envelope)
    assert call.state == Call.State.DRAFT and call.budget == Decimal("320000.00")
    assert [c.name_en for c in call.criteria.all()][-1] == "Past performance"
    assert sum(c.weight for c in call.criteria.all()) == 100
    shots("call-draft")

    page.click("button[name=action][value=open]")
    page.wait_for_selector("button[name=action][value=close]")
    call.refresh_from_db()
    assert call.state == Call.State.OPEN
    shots("call-open")

    # --- the call page in English -------------------------------------------------------------------------------
    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="S Street community services 2025").is_visible()
    assert page.get_by_text("Open for applications").first.is_visible()
    assert page.get_by_text("Past performance").first.is_visible()
    assert page.get_by_text("Close submissions and start the review").is_visible()
    shots("call-open-english")
