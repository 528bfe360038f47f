"""An agency's year in a real browser: the manager writes a joint application on an open call, watching the
budget's live totals and the program's caps, and submits it; (review and award run through the services) the
manager signs the contract; a social worker records a service with a photo; the manager books an expenditure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from grassroots.applications.models import Application
from grassroots.contracts import services as contract_services
from grassroots.contracts.models import Contract
from grassroots.delivery.models import Attachment, Expenditure, ServiceRecord
from grassroots.funding.models import Call
from tests import world as w

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser-test-pass"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


@dataclass
class Site:
    url: str
    world: w.World
    call: Call


@pytest.fixture
def site(live_server: Any) -> Site:
    world = w.build_world()
    for user in (world.managers[1], world.social_workers[1][0].user):
        user.set_password(PASSWORD)
        user.save()
    # Still taking applications today: the manager writes and submits one in the browser.
    call = w.open_street_call(world, w.open_program(world), reviewers_per_application=1, closes_on=w.OPEN_UNTIL)
    return Site(live_server.url, world, call)


def log_in(page: Any, site: Site, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{site.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/$"))


def total(page: Any, key: str) -> Any:
    return page.locator(f"#budget-totals [data-total={key}]")


def test_application_contract_and_delivery(page: Any, shots: Any, site: Site) -> None:
    world, call = site.world, site.call
    manager, worker = world.managers[1], world.social_workers[1][0]

    # The manager writes the joint application.
    log_in(page, site, manager.username)
    shots("manager-home")
    page.goto(f"{site.url}/calls/{call.pk}/apply/")
    page.fill("#app-title", "银龄互助成长计划")
    page.fill("#app-title-en", "Silver mutual aid")
    page.select_option("#app-category", label="为老服务")
    page.fill("#app-term", "12")
    page.fill("#app-summary", "为东湖社区独居老人提供探访与互助小组。")
    page.check(f"input[name=communities][value='{world.communities[0].pk}']")
    page.check(f"input[name=team][value='{worker.pk}']")
    page.select_option(f"#role-{worker.pk}", "lead")
    page.fill("#indicator-0-name", "小组活动节数")
    page.select_option("#indicator-0-service_kind", "group")
    page.fill("#indicator-0-target", "24")
    page.fill("#line-0-description", "社工人力成本")
    page.fill("#line-0-amount", "50000")
    page.fill("#line-1-description", "活动费用")
    page.fill("#line-1-amount", "40000")
    page.fill("#line-3-description", "管理费")
    page.fill("#line-3-amount", "15000")
    # the live totals follow the typing (htmx posts the form to the totals endpoint)
    page.wait_for_function(
        "document.querySelector('#budget-totals [data-total=budget]').textContent.trim() === '¥105,000.00'"
    )
    assert total(page, "management").get_attribute("data-over") == "true"  # 14.3% against a 10% cap
    assert total(page, "management").inner_text().strip() == "14.3%"
    shots("application-fee-over-cap")
    page.fill("#line-3-amount", "8000")
    page.fill("#match-0-provider", "东湖社区共建")
    page.fill("#match-0-amount", "3000")
    page.wait_for_function(
        "document.querySelector('#budget-totals [data-total=requested]').textContent.trim() === '¥95,000.00'"
    )
    assert total(page, "budget").inner_text().strip() == "¥98,000.00"
    assert total(page, "management").get_attribute("data-over") == "false"
    shots("application-live-totals")
    page.click("#application-form .buttons button.primary")
    page.wait_for_url(re.compile(r".*/applications/\d+/$"))
    application = Application.objects.get(title="银龄互助成长计划")
    assert application.requested == Decimal("95000.00") and application.state == Application.State.DRAFT
    assert page.locator("[data-complete]").is_visible()
    shots("application-draft")
    page.click("#submit button.primary")
    page.wait_for_load_state()
    application.refresh_from_db()
    assert application.state == Application.State.SUBMITTED
    shots("application-submitted")

    # Review and award, through the services.
    w.review_call(world, call, {application.pk: "88"})
    award = w.decide(world, w.publicise(world, call)).awards.get()
    contract = contract_services.draft_contract(
        world.street_officer, award, starts_on=timezone.localdate() - timedelta(days=30)
    )

    # The manager signs the contract.
    page.goto(f"{site.url}/contracts/{contract.pk}/")
    shots("contract-draft")
    page.click("form[data-action=sign] button[type=submit]")
    page.wait_for_load_state()
    contract.refresh_from_db()
    assert contract.state == Contract.State.ACTIVE
    shots("contract-signed")

    # A social worker records a service with a photo.
    log_in(page, site, worker.user.username)
    page.goto(f"{site.url}/contracts/{contract.pk}/")
    page.click(f"a[href='/contracts/{contract.pk}/records/new/']")
    page.select_option("#record-kind", "group")
    page.fill("#record-title", "长者手工小组")
    page.fill("#record-beneficiaries", "12")
    page.fill("#record-hours", "2.5")
    page.fill("#record-residents", "15")
    page.fill("#record-codes", "DH-001\nDH-002")
    page.set_input_files("#record-evidence", files=[{"name": "活动照片.png", "mimeType": "image/png", "buffer": PNG}])
    shots("record-form")
    page.click("form button.primary[type=submit]")
    page.wait_for_url(re.compile(rf".*/contracts/{contract.pk}/.*"))
    item = ServiceRecord.objects.get(contract=contract)
    assert item.title == "长者手工小组" and list(item.social_workers.all()) == [worker]
    assert Attachment.objects.get(record=item).kind == Attachment.Kind.PHOTO
    shots("record-saved")
    page.goto(f"{site.url}/records/mine/")
    assert page.get_by_text("长者手工小组").is_visible()
    shots("my-records")

    # The manager books an expenditure.
    log_in(page, site, manager.username)
    page.goto(f"{site.url}/contracts/{contract.pk}/expenditures/new/")
    line = contract.lines.get(head="activities")
    page.select_option("#spend-line", str(line.pk))
    page.fill("#spend-amount", "1280.50")
    page.fill("#spend-description", "手工材料")
    page.fill("#spend-receipt", "FP-0001")
    shots("expenditure-form")
    page.click("form button.primary[type=submit]")
    page.wait_for_url(re.compile(rf".*/contracts/{contract.pk}/.*"))
    spent = Expenditure.objects.get(contract=contract)
    assert spent.amount == Decimal("1280.50") and spent.line == line
    assert page.locator("#progress").get_by_text("¥1,280.50").first.is_visible()
    shots("contract-with-spending")
