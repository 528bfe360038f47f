"""Photos, sign-in sheets and receipts: accepted by their content and size, refused otherwise with nothing kept."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from grassroots.contracts.models import Contract
from grassroots.core.errors import Forbidden, RuleViolation
from grassroots.delivery import files
from grassroots.delivery import services as delivery_services
from grassroots.delivery.models import Attachment, ServiceRecord
from tests import world as w

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
PDF = b"%PDF-1.4\n" + b"0" * 200


@pytest.mark.parametrize(
    ("name", "data", "kind", "expected"),
    [
        ("活动照片.jpg", JPEG, "photo", "image/jpeg"),
        ("photo.PNG", PNG, "photo", "image/png"),
        ("签到表.pdf", PDF, "sign_in", "application/pdf"),
        ("发票.pdf", PDF, "receipt", "application/pdf"),
    ],
)
def test_accepted_files(name: str, data: bytes, kind: str, expected: str) -> None:
    assert files.check(name, len(data), data[:16], kind) == (expected, None)


@pytest.mark.parametrize(
    ("name", "data", "kind", "reason"),
    [
        ("empty.jpg", b"", "photo", "is empty"),
        ("scan.pdf", PDF, "photo", "not an accepted file"),
        ("virus.exe", b"MZ\x90\x00" * 10, "sign_in", "not an accepted file"),
        ("photo.png", JPEG, "photo", "does not contain what its name says"),
        ("photo.jpg", JPEG, "selfie", "unknown kind"),
    ],
)
def test_refused_files(name: str, data: bytes, kind: str, reason: str) -> None:
    content_type, problem = files.check(name, len(data), data[:16], kind)
    assert content_type == "" and problem is not None and reason in problem


def test_size_limit() -> None:
    _type, problem = files.check("big.jpg", files.MAX_BYTES + 1, JPEG[:16], "photo")
    assert problem is not None and "at most 10 MB" in problem


@pytest.fixture
def media(tmp_path: Path) -> object:
    with override_settings(MEDIA_ROOT=str(tmp_path)):
        yield tmp_path


@pytest.fixture
def service_record(world: w.World) -> tuple[w.World, Contract, ServiceRecord]:
    contract = w.funded_contract(world)
    item = delivery_services.record_service(
        world.manager_of(contract.agency),
        contract,
        kind="group",
        held_on=date(2025, 4, 8),
        title="小组活动",
        social_workers=[world.social_workers[1][0]],
        beneficiaries=10,
    )
    return world, contract, item


@pytest.mark.django_db
def test_a_sign_in_sheet_is_kept_with_its_record(service_record: tuple, media: Path) -> None:
    world, contract, item = service_record
    upload = SimpleUploadedFile("签到表.pdf", PDF, content_type="application/pdf")
    attachment = delivery_services.attach_to_record(world.manager_of(contract.agency), item, upload, "sign_in")
    assert attachment.record == item and attachment.size == len(PDF) and len(attachment.sha256) == 64
    assert Path(attachment.file.path).read_bytes() == PDF


@pytest.mark.django_db
def test_a_bad_file_is_refused_and_nothing_is_kept(service_record: tuple, media: Path) -> None:
    world, contract, item = service_record
    upload = SimpleUploadedFile("照片.jpg", b"GIF89a" + b"\x00" * 50, content_type="image/jpeg")
    with w.refused(RuleViolation, match="not an accepted file"):
        delivery_services.attach_to_record(world.manager_of(contract.agency), item, upload, "photo")
    assert not any(media.rglob("*.jpg"))


@pytest.mark.django_db
def test_another_agency_cannot_attach(service_record: tuple, media: Path) -> None:
    world, _contract, item = service_record
    upload = SimpleUploadedFile("照片.jpg", JPEG, content_type="image/jpeg")
    with w.refused(Forbidden):
        delivery_services.attach_to_record(world.manager_of(world.agencies[2]), item, upload, "photo")


@pytest.mark.django_db
def test_a_receipt_goes_with_an_expenditure(service_record: tuple, media: Path) -> None:
    world, contract, item = service_record
    manager = world.manager_of(contract.agency)
    with w.refused(RuleViolation, match="Receipts belong to expenditures"):
        delivery_services.attach_to_record(manager, item, SimpleUploadedFile("r.pdf", PDF), "receipt")
    line = contract.lines.order_by("pk").first()
    assert line is not None
    spent = delivery_services.record_expenditure(
        manager,
        contract,
        line=line,
        spent_on=date(2025, 4, 9),
        amount="320.00",
        description="打印签到表",
        receipt="FP001",
    )
    receipt = delivery_services.attach_receipt(manager, spent, SimpleUploadedFile("发票.png", PNG))
    assert receipt.kind == Attachment.Kind.RECEIPT and receipt.expenditure == spent
