"""A service record's and an expenditure's pages, and their evidence files: seen by whoever sees the contract,
served as handed in (its fingerprint checked), and by nobody else."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from grassroots.contracts.models import Contract
from grassroots.delivery import services as delivery_services
from grassroots.delivery.models import Attachment, Expenditure, ServiceRecord

from .conftest import WebWorld

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 300
PDF = b"%PDF-1.4\n" + b"2" * 300


@pytest.fixture
def media(tmp_path: Path) -> Iterator[Path]:
    with override_settings(MEDIA_ROOT=str(tmp_path)):
        yield tmp_path


@pytest.fixture
def evidence(web: WebWorld, media: Path) -> dict[str, int]:
    """The world's service record with a photo, and an expenditure with its receipt."""
    contract = Contract.objects.get(pk=web.pk["contract"])
    record = ServiceRecord.objects.get(contract=contract, title=web.text["record"])
    photo = delivery_services.attach_to_record(
        web.user("sw_a"), record, SimpleUploadedFile("讲座照片.png", PNG, "image/png"), "photo"
    )
    line = contract.lines.order_by("pk").first()
    assert line is not None
    spent = delivery_services.record_expenditure(
        web.user("mgr_a"), contract, line=line, spent_on=date(2025, 5, 9), amount="800.00", description="讲座茶歇"
    )
    receipt = delivery_services.attach_receipt(web.user("mgr_a"), spent, SimpleUploadedFile("发票.pdf", PDF))
    return {"record": record.pk, "photo": photo.pk, "spent": spent.pk, "receipt": receipt.pk}


def file_url(pk: int) -> str:
    a = Attachment.objects.get(pk=pk)
    return reverse("attachment-file", args=[a.pk, a.name])


# Who sees the contract sees its evidence: its agency's staff, the purchaser, the department, the partner
# community and the evaluator; the competitor, another community, a resident and the unattached do not.
MATRIX = [
    ("mgr_a", 200),
    ("sw_a", 200),
    ("street", 200),
    ("dept", 200),
    ("cw1", 200),
    ("evaluator", 200),
    ("staff", 200),
    ("mgr_b", 404),
    ("sw_b", 404),
    ("cw2", 404),
    ("resident", 404),
    ("expert", 404),
    ("nobody", 404),
]


@pytest.mark.parametrize(("who", "status"), MATRIX)
def test_who_sees_the_evidence(web: WebWorld, evidence: dict[str, int], who: str, status: int) -> None:
    client = web.client_for(who)
    record = client.get(reverse("record-detail", args=[evidence["record"]]))
    spent = client.get(reverse("expenditure-detail", args=[evidence["spent"]]))
    photo = client.get(file_url(evidence["photo"]))
    receipt = client.get(file_url(evidence["receipt"]))
    assert [record.status_code, spent.status_code, photo.status_code, receipt.status_code] == [status] * 4
    if status == 200:
        assert photo.content == PNG and receipt.content == PDF


def test_anonymous_visitors_are_sent_to_login(web: WebWorld, evidence: dict[str, int]) -> None:
    from django.test import Client

    response = Client().get(file_url(evidence["photo"]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_files_come_back_as_handed_in_with_safe_headers(web: WebWorld, evidence: dict[str, int]) -> None:
    client = web.client_for("street")
    photo = client.get(file_url(evidence["photo"]))
    assert photo.content == PNG and photo["Content-Type"] == "image/png"
    assert photo["X-Content-Type-Options"] == "nosniff" and photo["Content-Disposition"].startswith("inline")
    receipt = client.get(file_url(evidence["receipt"]))
    assert receipt.content == PDF and receipt["Content-Type"] == "application/pdf"
    assert (
        receipt["Content-Disposition"].startswith("attachment")
        and "filename*=utf-8''%E5%8F%91%E7%A5%A8.pdf" in (receipt["Content-Disposition"])
    )


def test_a_file_changed_in_storage_is_refused(web: WebWorld, evidence: dict[str, int], media: Path) -> None:
    photo = Attachment.objects.get(pk=evidence["photo"])
    Path(photo.file.path).write_bytes(PNG + b"tampered")
    response = web.client_for("street").get(file_url(photo.pk))
    assert response.status_code == 409
    assert hashlib.sha256(PNG).hexdigest() == photo.sha256


def test_a_missing_file_is_404(web: WebWorld, evidence: dict[str, int], media: Path) -> None:
    photo = Attachment.objects.get(pk=evidence["photo"])
    Path(photo.file.path).unlink()
    assert web.client_for("street").get(file_url(photo.pk)).status_code == 404


def test_the_pages_show_the_facts_and_link_the_files(web: WebWorld, evidence: dict[str, int]) -> None:
    client = web.client_for("street")
    client.cookies["django_language"] = "en"
    html = client.get(reverse("record-detail", args=[evidence["record"]])).content.decode()
    assert web.text["record"] in html and "32" in html  # the talk's beneficiaries
    assert file_url(evidence["photo"]) in html and "讲座照片.png" in html
    html = client.get(reverse("expenditure-detail", args=[evidence["spent"]])).content.decode()
    assert "讲座茶歇" in html and "¥800.00" in html and file_url(evidence["receipt"]) in html


def test_the_lists_link_each_row_to_its_page_and_count_its_evidence(web: WebWorld, evidence: dict[str, int]) -> None:
    client = web.client_for("mgr_a")
    html = client.get(reverse("record-list")).content.decode()
    assert reverse("record-detail", args=[evidence["record"]]) in html
    html = client.get(reverse("expenditure-list")).content.decode()
    assert reverse("expenditure-detail", args=[evidence["spent"]]) in html
    client.cookies["django_language"] = "en"
    text = client.get(reverse("expenditure-list") + "?format=csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    [row] = [r for r in rows if r["Description"] == "讲座茶歇"]
    assert row["Evidence"] == "1"  # its receipt
    assert Expenditure.objects.get(pk=evidence["spent"]).attachments.count() == 1
