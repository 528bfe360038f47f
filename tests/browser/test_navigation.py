"""Finding one's way in a real browser: each role's main navigation leads to its lists; a filter, a page
link reached with the keyboard, a CSV download, the language switch, and the lists on a 375 px phone."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from grassroots.contracts.models import Contract
from grassroots.delivery import services as delivery_services
from grassroots.orgs.models import Person
from tests.web.conftest import WebWorld, build_web_world

from .conftest import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser-navigation-pass"


@dataclass
class Site:
    url: str
    world: WebWorld


@pytest.fixture
def site(live_server: Any) -> Site:
    world = build_web_world()
    for user in get_user_model().objects.filter(username__in=world.users.values()):
        user.set_password(PASSWORD)
        user.save()
    contract = Contract.objects.get(pk=world.pk["contract"])
    worker = Person.objects.get(user__username=world.users["sw_a"])
    for i in range(29):  # with the world's one, thirty records: two pages
        delivery_services.record_service(
            worker.user,
            contract,
            kind="case" if i % 3 else "group",
            held_on=date(2025, 6, 1 + i % 28),
            title=f"入户探访 {i:02d}",
            social_workers=[worker],
            beneficiaries=1 + i,
            service_hours="1.5",
        )
    return Site(live_server.url, world)


def log_in(page: Any, site: Site, who: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{site.url}/login/")
    page.fill("#id_username", site.world.users[who])
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/$"))


def nav(page: Any) -> list[str]:
    return [str(a.get_attribute("data-nav")) for a in page.locator("nav.main-nav a").all()]


def follow(page: Any, name: str) -> None:
    """Click the navigation's link to a list and land on it, marked as the current page."""
    page.click(f"nav.main-nav a[data-nav='{name}']")
    page.wait_for_load_state()
    assert page.locator(f"nav.main-nav a[data-nav='{name}']").get_attribute("aria-current") == "page"
    assert page.locator("h1").count() == 1


def rows(page: Any) -> int:
    return int(page.locator("table.list tbody tr").count())


def test_the_department_finds_its_payments_and_downloads_them(page: Any, shots: Any, site: Site) -> None:
    log_in(page, site, "dept")
    assert "payment-list" in nav(page) and "record-list" not in nav(page)
    shots("department-home")
    follow(page, "payment-list")
    assert rows(page) == 1 and page.locator("[data-total]").inner_text() == "¥28,500.00"
    assert page.get_by_text("2025年4月25日").first.is_visible()
    shots("payments")
    with page.expect_download() as info:
        page.click("a[data-download=csv]")
    download = info.value
    assert re.fullmatch(r"payments-\d{8}\.csv", download.suggested_filename)
    saved = ARTIFACTS / f"navigation-{download.suggested_filename}"
    download.save_as(str(saved))
    text = saved.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text[1:])))
    assert len(table) == 2 and table[1][0] == "2025-04-25" and "28500.00" in table[1]

    follow(page, "contract-list")
    assert rows(page) == 1
    follow(page, "evaluation-list")
    assert rows(page) == 1


def test_the_agency_filters_pages_with_the_keyboard_and_switches_language(page: Any, shots: Any, site: Site) -> None:
    log_in(page, site, "mgr_a")
    assert nav(page) == ["home", "call-list", "application-list", "contract-list", "record-list", "expenditure-list"]
    follow(page, "record-list")
    assert page.locator("[data-count]").get_attribute("data-count") == "30" and rows(page) == 25
    shots("records-page-1")

    # page 2, by keyboard: Tab to its link and press Enter
    link = page.locator("nav.pagination a[aria-label]", has_text=re.compile(r"^2$"))
    link.focus()
    assert page.evaluate("document.activeElement.textContent.trim()") == "2"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*page=2"))
    assert rows(page) == 5
    assert page.locator("nav.pagination a[aria-current=page]").inner_text() == "2"
    shots("records-page-2")

    # a filter: group work only, then a date range
    page.select_option("#f-kind", "group")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url(re.compile(r".*kind=group"))
    assert page.locator("[data-count]").get_attribute("data-count") == "11"  # ten and the world's lecture
    page.fill("#f-held-from", "2025-06-01")
    page.fill("#f-held-to", "2025-06-10")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url(re.compile(r".*held_to=2025-06-10"))
    assert int(str(page.locator("[data-count]").get_attribute("data-count"))) == 4
    shots("records-filtered")

    # the other language keeps the page and its filters
    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "kind=group" in page.url and page.locator("#f-kind").input_value() == "group"
    assert page.locator("[data-count]").get_attribute("data-count") == "4"
    assert page.get_by_text(re.compile(r"^\d{1,2} Jun 2025$")).first.is_visible()
    shots("records-english")

    follow(page, "application-list")
    page.fill("#f-q", "Silver")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*q=Silver"))
    assert rows(page) == 1 and page.get_by_text("Silver mutual aid").is_visible()


def test_the_street_and_the_social_worker_see_their_lists(page: Any, shots: Any, site: Site) -> None:
    log_in(page, site, "street")
    lists = ["call-list", "application-list", "contract-list", "evaluation-list", "governance-index"]
    assert nav(page) == ["home", *lists, "simulation-home"]
    follow(page, "application-list")
    assert rows(page) == 4  # handed in to its calls; the draft is not
    page.select_option("#f-state", "submitted")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url(re.compile(r".*state=submitted"))
    assert rows(page) == 2
    page.click("th a[data-sort=requested]")
    page.wait_for_url(re.compile(r".*sort=requested"))
    assert page.locator("th[aria-sort]").get_attribute("aria-sort") == "ascending"
    shots("street-applications")
    follow(page, "call-list")
    assert rows(page) == 3  # its draft call too

    log_in(page, site, "sw_a")
    assert nav(page) == ["home", "record-list"]
    follow(page, "record-list")
    assert rows(page) == 25


def test_lists_on_a_phone(chromium: Any, site: Site) -> None:
    from .conftest import Shots

    context = chromium.new_context(locale="zh-CN", viewport={"width": 375, "height": 812}, is_mobile=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        log_in(page, site, "mgr_a")
        shots = Shots(page, "test_lists_on_a_phone")
        shots("home-375")
        follow(page, "record-list")
        # the page never scrolls sideways: the table scrolls inside its wrapper, the navigation wraps
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        wrapper = page.locator(".table-wrap").first
        assert page.evaluate("e => e.scrollWidth > e.clientWidth", wrapper.element_handle())
        assert page.evaluate("e => getComputedStyle(e).overflowX", wrapper.element_handle()) == "auto"
        for link in page.locator("nav.main-nav a").all():  # every link on screen, wrapping if need be
            box = link.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
        assert page.evaluate("getComputedStyle(document.querySelector('nav.main-nav ul')).flexWrap") == "wrap"
        shots("records-375")
        page.emulate_media(media="print")
        assert not page.locator("form[role=search]").is_visible()
        assert not page.locator("nav.pagination").is_visible()
        shots("records-print")
    finally:
        context.close()


def test_home_pages_lead_from_what_waits_to_the_form_that_does_it(page: Any, shots: Any, site: Site) -> None:
    """The agency's overdue mid-term report is first on its home page; following it opens the report form."""
    log_in(page, site, "mgr_a")
    tasks = page.locator("ol.tasks li[data-task]")
    assert tasks.count() >= 2  # the draft to submit and the mid-term report
    late = page.locator("ol.tasks li.late a", has_text="中期节点报告")
    assert late.count() == 1
    shots("agency-waiting-for-you")
    late.first.click()
    page.wait_for_load_state()
    assert page.url.endswith("#milestone-report")
    assert page.locator("#milestone-report").is_visible()
    page.fill("#milestone-report", "中期进展：服务按计划推进。")
    page.locator("#milestone-report").press("Tab")
    page.locator("form:has(#milestone-report) button[type=submit]").click()
    page.wait_for_load_state()
    log_in(page, site, "street")
    review = page.locator("ol.tasks li[data-task] a", has_text="节点报告")
    assert review.count() == 1
    shots("street-waiting-for-you")
    review.click()
    page.wait_for_load_state()
    assert page.url.endswith("#milestones")
