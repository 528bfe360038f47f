"""The contract page's import: templates to download, an upload that takes all rows or none, and who may use it."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from grassroots.delivery.models import ServiceRecord
from tests import world as w


def browser(user: object) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)  # type: ignore[arg-type]
    return client


def csv_file(rows: list[str]) -> SimpleUploadedFile:
    header = "日期,服务类型,标题,社工,受益人数,服务时长,志愿者人数,志愿服务时长,居民参与人次,地点,备注"
    return SimpleUploadedFile("records.csv", ("\n".join([header, *rows]) + "\n").encode("utf-8"))


@pytest.mark.django_db
def test_templates_download_for_those_who_see_the_contract(world: w.World) -> None:
    contract = w.funded_contract(world)
    manager = browser(world.manager_of(contract.agency))
    xlsx = manager.get(f"/contracts/{contract.pk}/import/records.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    csv = manager.get(f"/contracts/{contract.pk}/import/expenditures.csv")
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
    assert manager.get(f"/contracts/{contract.pk}/import/records.exe").status_code == 404
    assert browser(world.managers[2]).get(f"/contracts/{contract.pk}/import/records.csv").status_code == 404


@pytest.mark.django_db
def test_an_upload_imports_every_row_or_shows_every_error(world: w.World) -> None:
    contract = w.funded_contract(world)
    manager = browser(world.manager_of(contract.agency))
    worker = world.social_workers[1][0].name
    page = manager.get(f"/contracts/{contract.pk}/").content.decode()
    assert 'id="progress"' in page and 'action="/contracts/' in page
    bad = csv_file([f"2025-04-08,小组,小组活动,{worker},10,2,0,0,0,,", "2031-01-01,小组,未来活动,无名氏,-3,2,0,0,0,,"])
    response = manager.post(f"/contracts/{contract.pk}/import/", {"kind": "records", "file": bad})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was imported" in html and "Row 3" in html
    assert not ServiceRecord.objects.filter(contract=contract).exists()
    good = csv_file(
        [f"2025-04-08,小组,小组活动,{worker},10,2,0,0,0,,", f"2025-04-15,个案,个案访视,{worker},1,1,0,0,0,,"]
    )
    response = manager.post(f"/contracts/{contract.pk}/import/", {"kind": "records", "file": good})
    assert response.status_code == 302
    assert ServiceRecord.objects.filter(contract=contract).count() == 2
    assert ServiceRecord.objects.filter(contract=contract, held_on=date(2025, 4, 15)).exists()


@pytest.mark.django_db
def test_only_the_agency_may_upload(world: w.World) -> None:
    contract = w.funded_contract(world)
    worker = world.social_workers[1][0].name
    file = csv_file([f"2025-04-08,小组,小组活动,{worker},10,2,0,0,0,,"])
    street = browser(world.street_officer)
    assert f'action="/contracts/{contract.pk}/import/"' not in street.get(f"/contracts/{contract.pk}/").content.decode()
    assert street.post(f"/contracts/{contract.pk}/import/", {"kind": "records", "file": file}).status_code == 403
    other = browser(world.managers[2])
    assert other.post(f"/contracts/{contract.pk}/import/", {"kind": "records", "file": file}).status_code == 404
    assert not ServiceRecord.objects.filter(contract=contract).exists()
