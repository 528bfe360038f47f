"""Recording services and expenditures on the web: a social worker or manager records a service with its
people and hours (and a photo or sign-in sheet), the manager books an expenditure against a budget line
(with its receipt), and a social worker reads their own service records.

Every write goes through the services: a refusal is a message with 400 or 403 and leaves every domain table
as it was (the record and its evidence go in together or not at all); a contract the user may not see is a 404.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grassroots.contracts.models import Contract, ContractLine
from grassroots.core.models import AuditEvent
from grassroots.delivery import services as delivery_services
from grassroots.delivery.models import Attachment, Expenditure, ServiceRecord
from tests import world as w
from tests.world import fingerprint

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
PDF = b"%PDF-1.4\n" + b"0" * 200


@pytest.fixture(scope="module")
def built(module_world: w.World, django_db_blocker: Any) -> Iterator[dict[str, int]]:
    """An active contract of agency 1 (2025-04-01 to 2026-03-31; lines personnel 50,000, activities 40,000,
    management 10,000) and a draft one of the same agency."""
    with w.kept_for_module(django_db_blocker) as unblocked:
        with unblocked():
            world = w.reload(module_world)
            active = w.funded_contract(world, agency=1)
            other = w.funded_contract(world, agency=2, program=w.open_program(world, title="另一项目"))
        yield {"active": active.pk, "other": other.pk}


ROLES = {
    "manager": lambda world: world.managers[1],
    "worker": lambda world: world.social_workers[1][0].user,
    "colleague": lambda world: world.social_workers[1][1].user,
    "other_manager": lambda world: world.managers[0],
    "other_worker": lambda world: world.social_workers[0][0].user,
    "street": lambda world: world.street_officer,
    "dept": lambda world: world.dept_officer,
    "community": lambda world: world.community_workers[0],
    "resident": lambda world: world.residents[0][0],
}

_clients: dict[str, Client] = {}


@pytest.fixture(autouse=True)
def logged_in(world: w.World, built: dict[str, int], tmp_path: Path) -> Iterator[None]:
    """Everyone logged in (in English) before the test starts; uploads go to a temporary directory."""
    for key, find in ROLES.items():
        c = Client(HTTP_ACCEPT_LANGUAGE="en")
        c.force_login(find(world))
        _clients[key] = c
    with override_settings(MEDIA_ROOT=str(tmp_path)):
        yield
    _clients.clear()


def as_(who: str) -> Client:
    return _clients[who]


def messages_of(response: Any) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def unlabelled(html: str) -> list[str]:
    """The inputs of a page that no label names (hidden inputs need none; checkboxes sit in their label)."""
    labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
    missing = []
    for attributes in re.findall(r"<(?:input|select|textarea)\b([^>]*)>", html):
        if 'type="hidden"' in attributes or 'type="checkbox"' in attributes:
            continue
        found = re.search(r'id="([^"]+)"', attributes)
        if not (found and found.group(1) in labelled):
            missing.append(attributes)
    return missing


def record_url(built: dict[str, int], key: str = "active") -> str:
    return reverse("record-create", args=[built[key]])


def spend_url(built: dict[str, int], key: str = "active") -> str:
    return reverse("expenditure-create", args=[built[key]])


def record_form(world: w.World, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "held_on": "2025-05-10",
        "kind": "group",
        "title": "长者手工小组",
        "social_workers": [str(world.social_workers[1][0].pk), str(world.social_workers[1][1].pk)],
        "beneficiaries": "12",
        "beneficiary_codes": "DH-001\nDH-002, DH-003",
        "service_hours": "2.5",
        "volunteers": "3",
        "volunteer_hours": "6",
        "resident_participants": "15",
        "location": "东湖社区活动室",
        "notes": "气氛热烈",
    }
    data.update(overrides)
    return data


def spend_form(built: dict[str, int], **overrides: Any) -> dict[str, Any]:
    line = ContractLine.objects.get(contract_id=built["active"], head="activities")
    data: dict[str, Any] = {
        "line": str(line.pk),
        "spent_on": "2025-05-12",
        "amount": "1,280.50",
        "description": "手工材料",
        "receipt": "FP-2025-0001",
    }
    data.update(overrides)
    return data


# --- recording a service -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("manager", 200),
        ("worker", 200),
        ("colleague", 200),
        ("other_manager", 404),
        ("other_worker", 404),
        ("street", 403),
        ("dept", 403),
        ("community", 403),
        ("resident", 404),
    ],
)
def test_who_may_record_a_service(built: dict[str, int], who: str, status: int) -> None:
    assert as_(who).get(record_url(built)).status_code == status


@pytest.mark.parametrize(("who", "status"), [("street", 403), ("community", 403), ("other_manager", 404)])
def test_others_cannot_post_a_record(world: w.World, built: dict[str, int], who: str, status: int) -> None:
    before = fingerprint()
    assert as_(who).post(record_url(built), record_form(world)).status_code == status
    assert fingerprint() == before


def test_the_form_offers_the_agency_s_workers_with_the_team_first(world: w.World, built: dict[str, int]) -> None:
    html = as_("worker").get(record_url(built)).content.decode()
    team = [world.social_workers[1][0], world.social_workers[1][1]]
    outsider = world.social_workers[1][2]  # of the agency, not of the project team
    positions = [html.index(f'value="{p.pk}"') for p in [*team, outsider]]
    assert positions[0] < positions[2] and positions[1] < positions[2]
    assert f'value="{team[0].pk}" checked' in html  # the worker who records is ticked
    assert world.social_workers[0][0].name not in html  # no other agency's workers
    assert 'value="2026-03-31"' in html  # today lies after the term: its last day is offered


def test_every_input_of_the_forms_is_labelled(built: dict[str, int]) -> None:
    assert not unlabelled(as_("worker").get(record_url(built)).content.decode())
    assert not unlabelled(as_("manager").get(spend_url(built)).content.decode())


def test_a_worker_records_a_service(world: w.World, built: dict[str, int]) -> None:
    response = as_("worker").post(record_url(built), record_form(world))
    assert response.status_code == 302
    item = ServiceRecord.objects.get(title="长者手工小组")
    assert item.contract_id == built["active"] and item.held_on == date(2025, 5, 10)
    assert item.beneficiary_codes == ["DH-001", "DH-002", "DH-003"]
    assert item.service_hours == Decimal("2.50") and item.volunteers == 3 and item.resident_participants == 15
    assert set(item.social_workers.all()) == {world.social_workers[1][0], world.social_workers[1][1]}
    assert item.recorded_by == world.social_workers[1][0]
    assert AuditEvent.objects.filter(action="service_record.added", object_id=str(item.pk)).exists()


def test_record_and_add_another_comes_back_to_the_form(world: w.World, built: dict[str, int]) -> None:
    response = as_("manager").post(record_url(built), record_form(world, action="another"))
    assert response.status_code == 302 and response["Location"] == record_url(built)


def test_a_photo_goes_in_with_the_record(world: w.World, built: dict[str, int]) -> None:
    photo = SimpleUploadedFile("活动照片.png", PNG, content_type="image/png")
    response = as_("worker").post(record_url(built), record_form(world, evidence=photo, evidence_kind="photo"))
    assert response.status_code == 302
    attachment = Attachment.objects.get(record__title="长者手工小组")
    assert attachment.kind == Attachment.Kind.PHOTO and attachment.content_type == "image/png"


def test_a_sign_in_sheet_goes_in_as_a_pdf(world: w.World, built: dict[str, int]) -> None:
    sheet = SimpleUploadedFile("签到表.pdf", PDF, content_type="application/pdf")
    response = as_("worker").post(record_url(built), record_form(world, evidence=sheet, evidence_kind="sign_in"))
    assert response.status_code == 302
    assert Attachment.objects.get(record__title="长者手工小组").kind == Attachment.Kind.SIGN_IN


def test_a_bad_file_keeps_the_record_out_too(world: w.World, built: dict[str, int]) -> None:
    fake = SimpleUploadedFile("photo.png", b"MZ\x90\x00" * 20, content_type="image/png")
    before = fingerprint()
    response = as_("worker").post(record_url(built), record_form(world, evidence=fake))
    assert response.status_code == 400 and "not an accepted file" in messages_of(response)
    assert fingerprint() == before
    html = response.content.decode()
    assert 'value="长者手工小组"' in html and "DH-002, DH-003" in html  # what was typed is kept


def test_a_receipt_is_not_evidence_of_a_service(world: w.World, built: dict[str, int]) -> None:
    photo = SimpleUploadedFile("p.png", PNG, content_type="image/png")
    before = fingerprint()
    response = as_("worker").post(record_url(built), record_form(world, evidence=photo, evidence_kind="receipt"))
    assert response.status_code == 400
    assert fingerprint() == before


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"held_on": "2026-05-01"}, "outside the contract term"),
        ({"held_on": "yesterday"}, "give a date"),
        ({"social_workers": []}, "Name the agency's social workers"),
        ({"social_workers": ["99999999999999999999999"]}, "Name the agency's social workers"),
        ({"title": ""}, "needs a title"),
        ({"kind": "party"}, "Unknown kind of service"),
        ({"beneficiaries": "many"}, "Beneficiaries: give a whole number."),
        ({"beneficiaries": "-2"}, "cannot be negative"),
        ({"service_hours": "two"}, "Service hours: give a number."),
        ({"service_hours": "-1"}, "cannot be negative"),
        ({"volunteer_hours": "1.234"}, "at most two decimals"),
        ({"beneficiary_codes": "350102199001011234"}, "looks like an identity card or phone number"),
        ({"beneficiary_codes": "13912345678"}, "looks like an identity card or phone number"),
        ({"beneficiaries": "2"}, "more beneficiary codes (3) than beneficiaries (2)"),
    ],
)
def test_invalid_records_are_refused_with_the_reason(
    world: w.World, built: dict[str, int], overrides: dict[str, Any], reason: str
) -> None:
    before = fingerprint()
    response = as_("worker").post(record_url(built), record_form(world, **overrides))
    assert response.status_code == 400
    assert reason in messages_of(response)
    assert fingerprint() == before


def test_another_agency_s_worker_cannot_be_named(world: w.World, built: dict[str, int]) -> None:
    before = fingerprint()
    response = as_("worker").post(record_url(built), record_form(world, social_workers=[world.social_workers[0][0].pk]))
    assert response.status_code == 400
    assert fingerprint() == before


def test_no_service_is_recorded_on_a_contract_that_is_not_running(world: w.World, built: dict[str, int]) -> None:
    contract = Contract.objects.get(pk=built["active"])
    w.contract_services.terminate(world.street_officer, contract, "机构违约")
    response = as_("worker").get(record_url(built))
    assert response.status_code == 302 and response["Location"] == reverse("contract-detail", args=[built["active"]])
    before = fingerprint()
    response = as_("worker").post(record_url(built), record_form(world))
    assert response.status_code == 400 and "is not active" in messages_of(response)
    assert fingerprint() == before


def test_the_record_form_reads_in_a_bounded_number_of_queries(built: dict[str, int]) -> None:
    c = as_("worker")
    with CaptureQueriesContext(connection) as queries:
        assert c.get(record_url(built)).status_code == 200
    assert len(queries) <= 15


# --- booking an expenditure ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("manager", 200),
        ("worker", 403),
        ("other_manager", 404),
        ("street", 403),
        ("dept", 403),
        ("community", 403),
        ("resident", 404),
    ],
)
def test_who_may_book_an_expenditure(built: dict[str, int], who: str, status: int) -> None:
    assert as_(who).get(spend_url(built)).status_code == status


@pytest.mark.parametrize(("who", "status"), [("worker", 403), ("street", 403), ("other_manager", 404)])
def test_others_cannot_post_an_expenditure(built: dict[str, int], who: str, status: int) -> None:
    before = fingerprint()
    assert as_(who).post(spend_url(built), spend_form(built)).status_code == status
    assert fingerprint() == before


def test_the_form_shows_what_is_left_on_each_line(world: w.World, built: dict[str, int]) -> None:
    contract = Contract.objects.get(pk=built["active"])
    activities = ContractLine.objects.get(contract=contract, head="activities")
    delivery_services.record_expenditure(
        world.managers[1], contract, line=activities, spent_on=date(2025, 5, 1), amount="10000", description="场地"
    )
    html = as_("manager").get(spend_url(built)).content.decode()
    assert "¥30,000.00 left" in html


def test_the_manager_books_an_expenditure_with_its_receipt(built: dict[str, int]) -> None:
    receipt = SimpleUploadedFile("发票.pdf", PDF, content_type="application/pdf")
    response = as_("manager").post(spend_url(built), spend_form(built, receipt_file=receipt))
    assert response.status_code == 302
    spent = Expenditure.objects.get(contract_id=built["active"])
    assert spent.amount == Decimal("1280.50") and spent.receipt == "FP-2025-0001" and spent.line.head == "activities"
    assert spent.attachments.get().kind == Attachment.Kind.RECEIPT
    assert AuditEvent.objects.filter(action="expenditure.booked", object_id=str(spent.pk)).exists()


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"amount": "40000.01"}, "more than is left on the line"),
        ({"amount": "12.345"}, "two decimal places"),
        ({"amount": "abc"}, "not an amount of money"),
        ({"amount": ""}, "Amount: give an amount."),
        ({"amount": "0"}, "positive amount"),
        ({"description": " "}, "Say what the money was spent on."),
        ({"spent_on": "2024-12-31"}, "outside the contract term"),
        ({"line": ""}, "Choose the budget line"),
        ({"line": "99999999999999999999999"}, "Choose the budget line"),
    ],
)
def test_invalid_expenditures_are_refused_with_the_reason(
    built: dict[str, int], overrides: dict[str, Any], reason: str
) -> None:
    before = fingerprint()
    response = as_("manager").post(spend_url(built), spend_form(built, **overrides))
    assert response.status_code == 400 and reason in messages_of(response)
    assert fingerprint() == before
    assert 'value="FP-2025-0001"' in response.content.decode()


def test_a_line_of_another_contract_is_refused(built: dict[str, int]) -> None:
    foreign = ContractLine.objects.filter(contract_id=built["other"]).first()
    assert foreign is not None
    before = fingerprint()
    response = as_("manager").post(spend_url(built), spend_form(built, line=str(foreign.pk)))
    assert response.status_code == 400 and "Choose the budget line" in messages_of(response)
    assert fingerprint() == before


def test_a_bad_receipt_keeps_the_expenditure_out(built: dict[str, int]) -> None:
    fake = SimpleUploadedFile("发票.pdf", b"not a pdf at all", content_type="application/pdf")
    before = fingerprint()
    response = as_("manager").post(spend_url(built), spend_form(built, receipt_file=fake))
    assert response.status_code == 400
    assert fingerprint() == before


# --- my service records --------------------------------------------------------------------------------------


def test_a_worker_reads_their_own_records(world: w.World, built: dict[str, int]) -> None:
    contract = Contract.objects.get(pk=built["active"])
    mine, theirs = world.social_workers[1][0], world.social_workers[1][1]
    for day, title, worker in [(3, "个案访视甲", mine), (4, "个案访视乙", theirs), (5, "小组活动丙", mine)]:
        delivery_services.record_service(
            world.managers[1], contract, kind="case", held_on=date(2025, 6, day), title=title, social_workers=[worker]
        )
    response = as_("worker").get(reverse("records-mine"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "个案访视甲" in html and "小组活动丙" in html and "个案访视乙" not in html
    assert html.index("小组活动丙") < html.index("个案访视甲")  # newest first
    assert "2 service records" in html
    assert reverse("record-create", args=[contract.pk]) in html  # where to record more


@pytest.mark.parametrize(
    ("who", "status"), [("worker", 200), ("manager", 200), ("street", 403), ("community", 403), ("resident", 403)]
)
def test_my_records_are_for_agency_staff(built: dict[str, int], who: str, status: int) -> None:
    assert as_(who).get(reverse("records-mine")).status_code == status


def test_my_records_are_paged(world: w.World, built: dict[str, int]) -> None:
    contract = Contract.objects.get(pk=built["active"])
    worker = world.social_workers[1][0]
    for n in range(55):
        delivery_services.record_service(
            world.managers[1],
            contract,
            kind="case",
            held_on=date(2025, 7, 1 + n % 28),
            title=f"个案{n:02d}",
            social_workers=[worker],
        )
    c = as_("worker")
    with CaptureQueriesContext(connection) as queries:
        first = c.get(reverse("records-mine"))
    assert len(queries) <= 12
    assert first.content.decode().count("<tr>") == 51  # header and 50 rows
    second = c.get(reverse("records-mine") + "?page=2").content.decode()
    assert second.count("<tr>") == 6 and "page 2 of 2" in second


def test_what_has_not_happened_yet_cannot_be_recorded(world: w.World, built: dict[str, int]) -> None:
    """A record or an expenditure dated after today is refused, even within the contract's term."""
    tomorrow = timezone.localdate() + timedelta(days=1)
    Contract.objects.filter(pk=built["active"]).update(ends_on=tomorrow + timedelta(days=30))
    before = fingerprint()
    response = as_("worker").post(record_url(built), record_form(world, held_on=tomorrow.isoformat()))
    assert response.status_code == 400 and "still to come" in messages_of(response)
    response = as_("manager").post(spend_url(built), spend_form(built, spent_on=tomorrow.isoformat()))
    assert response.status_code == 400 and "still to come" in messages_of(response)
    assert fingerprint() == before
