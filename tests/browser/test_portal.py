"""The public portal in a real browser, without logging in: the overview's charts, a list filtered and
downloaded, a contract's milestones and payments, the other language, and the pages on a 375 px phone."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from grassroots.contracts.models import Contract
from tests.disclosure.conftest import PERSONAL, build_portal_world
from tests.web.conftest import WebWorld

from .conftest import ARTIFACTS, Shots

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(live_server: Any) -> tuple[str, WebWorld]:
    return live_server.url, build_portal_world()


def no_personal_text(page: Any) -> None:
    text = page.locator("body").inner_text()
    assert not [secret for secret in PERSONAL if secret in text]


def test_a_visitor_follows_the_money(page: Any, shots: Any, site: tuple[str, WebWorld]) -> None:
    url, world = site
    contract = Contract.objects.get(pk=world.pk["contract"])
    page.goto(f"{url}/login/")
    page.click("a[data-nav=open-home]")
    page.wait_for_url(re.compile(r".*/open/$"))
    assert page.locator("nav.portal-nav a[aria-current=page]").get_attribute("data-portal") == "open-home"
    bars = page.locator("table[data-chart=by-community] span.bar")
    assert bars.count() == 1 and bars.first.bounding_box()["width"] > 50  # type: ignore[index]
    no_personal_text(page)
    shots("overview")

    page.click("nav.portal-nav a[data-portal=open-contracts]")
    page.wait_for_url(re.compile(r".*/open/contracts/$"))
    page.fill("#f-q", contract.number)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*q="))
    assert page.locator("[data-count]").get_attribute("data-count") == "1"
    with page.expect_download() as info:
        page.click("a[data-download=csv]")
    saved = ARTIFACTS / f"portal-{info.value.suggested_filename}"
    info.value.save_as(str(saved))
    table = list(csv.reader(io.StringIO(saved.read_bytes().decode("utf-8-sig"))))
    assert len(table) == 2 and table[1][1] == contract.number
    shots("contracts")

    page.click(f"table.list a:has-text('{contract.title[:4]}')")
    page.wait_for_url(re.compile(rf".*/open/contracts/{contract.pk}/$"))
    assert page.locator("#milestones tbody tr").count() == 3
    assert page.locator("[data-figure=paid]").inner_text() == "¥28,500.00"
    no_personal_text(page)
    shots("contract")

    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Milestones, tranches and payments").is_visible()
    page.click("nav.portal-nav a[data-portal=open-award-lists]")
    page.wait_for_url(re.compile(r".*/open/awards/$"))
    page.click("table.list tbody a")
    assert page.get_by_text("Silver mutual aid").is_visible()
    no_personal_text(page)
    shots("award-list-english")


def test_the_portal_on_a_phone(chromium: Any, site: tuple[str, WebWorld]) -> None:
    url, world = site
    context = chromium.new_context(locale="zh-CN", viewport={"width": 375, "height": 812}, is_mobile=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        shots = Shots(page, "test_the_portal_on_a_phone")
        for path in ("/open/", f"/open/contracts/{world.pk['contract']}/", "/open/contracts/"):
            page.goto(url + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
            for link in page.locator("nav.portal-nav a").all():
                box = link.bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
            shots(path.strip("/").replace("/", "-") or "open")
    finally:
        context.close()


def test_the_api_docs_load_without_a_cdn(page: Any, live_server: Any) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server.url}/api/docs")
    page.wait_for_selector(".opblock")
    assert page.locator(".opblock").count() >= 20
    assert all(url.startswith(live_server.url) for url in requested), requested
    Shots(page, "test_the_api_docs_load_without_a_cdn")("swagger")
