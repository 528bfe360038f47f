"""The public, read-only open-data endpoints under /api/ocds/: status, content type, packages that
validate, pagination by process, and a JSON 404 for an unknown ocid."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.test import Client

from grassroots.disclosure import schemas
from grassroots.funding import services as funding_services
from tests import world as w

PREFIX = "ocds-grsrts"


@pytest.fixture(scope="module")
def calls(module_world: w.World, django_db_blocker: Any) -> Iterator[dict[str, str]]:
    """A decided call with a paid contract, an open direct call and a draft call (not public)."""
    with w.kept_for_module(django_db_blocker) as unblocked:
        with unblocked():
            world = w.reload(module_world)
            contract = w.funded_contract(world)
            w.accept_milestone(world, contract, "start", date(2025, 4, 20))
            w.pay(world, contract, 1, date(2025, 4, 25))
            program = contract.award.application.call.program
            direct = w.open_direct_call(world, program, funds="50000.00")
            draft = funding_services.create_call(
                world.dept_officer,
                program=program,
                title="草稿",
                funds="10000.00",
                opens_on=w.CALL_OPENS,
                closes_on=w.CALL_CLOSES,
                categories=list(world.categories.values()),
                criteria=w.CRITERIA,
            )
            refs = {
                "decided": contract.award.application.call.reference,
                "open": direct.reference,
                "draft": draft.reference,
            }
        yield refs


@pytest.fixture
def client(world: w.World) -> Client:
    return Client()  # anonymous: open data needs no login


def test_the_release_package_is_public_json_and_valid(client: Client, calls: dict[str, str]) -> None:
    response = client.get("/api/ocds/release-package")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    package = response.json()
    assert schemas.release_package_errors(package) == []
    ocids = {r["ocid"] for r in package["releases"]}
    assert ocids == {f"{PREFIX}-{calls['decided']}", f"{PREFIX}-{calls['open']}"}  # the draft is not public
    assert response["X-Total-Count"] == "2" and "Link" not in response


def test_packages_are_paginated_by_process(client: Client, calls: dict[str, str]) -> None:
    first = client.get("/api/ocds/record-package", {"page_size": 1})
    second = client.get("/api/ocds/record-package", {"page_size": 1, "page": 2})
    assert first.status_code == second.status_code == 200
    assert 'rel="next"' in first["Link"] and "page=2" in first["Link"] and 'rel="prev"' in second["Link"]
    records = first.json()["records"] + second.json()["records"]
    assert len(records) == 2 and records[0]["ocid"] != records[1]["ocid"]
    assert schemas.record_package_errors(first.json()) == []
    beyond = client.get("/api/ocds/record-package", {"page_size": 1, "page": 3})
    assert beyond.status_code == 404 and "detail" in beyond.json()  # a package is never empty
    assert client.get("/api/ocds/record-package", {"page_size": 1000}).status_code == 422
    assert client.get("/api/ocds/record-package", {"page": 0}).status_code == 422


def test_filters_by_year_and_call(client: Client, calls: dict[str, str]) -> None:
    assert client.get("/api/ocds/release-package", {"year": w.FY - 1}).status_code == 404
    one = client.get("/api/ocds/record-package", {"call": calls["open"]}).json()
    assert [r["ocid"] for r in one["records"]] == [f"{PREFIX}-{calls['open']}"]
    year = client.get("/api/ocds/record-package", {"year": w.FY})
    assert year["X-Total-Count"] == "2"


def test_one_process_by_its_ocid(client: Client, calls: dict[str, str]) -> None:
    ocid = f"{PREFIX}-{calls['decided']}"
    record = client.get(f"/api/ocds/records/{ocid}")
    releases = client.get(f"/api/ocds/releases/{ocid}")
    assert record.status_code == releases.status_code == 200
    assert record["Content-Type"] == releases["Content-Type"] == "application/json"
    compiled = record.json()["records"][0]["compiledRelease"]
    transactions = compiled["contracts"][0]["implementation"]["transactions"]
    assert [t["value"] for t in transactions] == [{"amount": 30000, "currency": "CNY"}]
    assert {r["id"] for r in releases.json()["releases"]} == {
        link["url"].split("#")[1] for link in record.json()["records"][0]["releases"]
    }
    assert schemas.release_package_errors(releases.json()) == []


@pytest.mark.parametrize("which", ["unknown", "draft"])
def test_an_unknown_or_unpublished_ocid_is_a_json_404(client: Client, calls: dict[str, str], which: str) -> None:
    ocid = f"{PREFIX}-{calls['draft']}" if which == "draft" else "ocds-nothing-1"
    for path in (f"/api/ocds/records/{ocid}", f"/api/ocds/releases/{ocid}"):
        response = client.get(path)
        assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
        assert ocid in response.json()["detail"]


def test_the_endpoints_are_in_the_openapi_document(client: Client) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {
        "/api/ocds/release-package",
        "/api/ocds/record-package",
        "/api/ocds/records/{ocid}",
        "/api/ocds/releases/{ocid}",
    } <= set(paths)
