"""The public portal's pages: open to anyone, linked from every header and from the home page, with lists that
filter and download, and details that show the public facts of each object (and 404 for what is not public)."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from grassroots.contracts.models import Contract
from tests.web.conftest import WebWorld

pytestmark = pytest.mark.django_db


def page(path: str, client: Client | None = None) -> str:
    response = (client or Client()).get(path, headers={"Accept-Language": "en"})
    assert response.status_code == 200, path
    return response.content.decode("utf-8-sig")


def test_the_portal_is_linked_from_every_header_and_the_home_page(portal: WebWorld) -> None:
    assert 'data-nav="open-home"' in page("/login/")
    assert 'href="/login/"' in page("/open/")
    client = portal.client_for("mgr_a")
    home = page("/", client)
    assert 'data-nav="open-home"' in home and 'href="/open/"' in home and 'href="/account/api-tokens/"' in home
    assert 'data-portal="open-contracts"' in page("/open/contracts/", client)


def test_the_overview_has_figures_charts_and_open_data(portal: WebWorld) -> None:
    html = page("/open/")
    contract = Contract.objects.get(pk=portal.pk["contract"])
    assert 'data-chart="by-category"' in html and 'data-chart="by-community"' in html
    assert 'data-chart="by-agency"' in html and 'data-grade="good"' not in html  # only final grades count
    assert "/api/ocds/release-package" in html and "/api/docs" in html
    assert "¥95,000.00" in html or f"¥{contract.amount:,.2f}" in html
    assert "2025" in page("/open/?year=2025") and page("/open/?year=1999")  # an unknown year shows all


def test_lists_filter_and_download(portal: WebWorld) -> None:
    contract = Contract.objects.get(pk=portal.pk["contract"])
    html = page(f"/open/contracts/?agency={contract.agency_id}")
    assert contract.number in html and 'data-count="1"' in html
    assert 'data-count="0"' in page(f"/open/contracts/?agency={contract.agency_id + 999}&q=nothing")
    rows = list(csv.reader(io.StringIO(page("/open/contracts/?format=csv"))))
    assert rows[0][:2] == ["Contract", "Contract number"] and rows[1][1] == contract.number
    assert 'data-count="1"' in page("/open/evaluations/?grade=good")
    assert 'data-count="0"' in page("/open/evaluations/?grade=fail")
    assert 'data-count="2"' in page("/open/calls/")  # the decided call and the one under review, no draft
    assert 'data-count="1"' in page("/open/awards/")


def test_details_show_the_public_facts_and_nothing_unpublished(portal: WebWorld) -> None:
    contract = Contract.objects.get(pk=portal.pk["contract"])
    html = page(f"/open/contracts/{contract.pk}/")
    assert contract.number in html and "¥28,500.00" in html  # the first tranche paid
    assert "Services delivered" in html and "Evaluation grades" in html
    call = page(f"/open/calls/{portal.pk['decided_call']}/")
    assert "The award list" in call
    awards = Client().get(f"/open/calls/{portal.pk['open_call']}/", headers={"Accept-Language": "en"})
    assert "Applications stay with their applicants" in awards.content.decode()
    assert Client().get(f"/open/calls/{portal.pk['draft_call']}/").status_code == 404
    assert Client().get("/open/contracts/999999/").status_code == 404
    assert Client().post("/open/").status_code == 405
