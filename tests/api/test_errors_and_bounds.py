"""Everything under /api/ answers JSON in the one error body, and every parameter is bounded: an unknown path,
a wrong method, a body that is not JSON, a NUL character (which PostgreSQL refuses in text), a number beyond
any column or page — each is a 4xx in `{detail, code, errors}`, never Django's HTML page or a 500."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from grassroots.orgs.models import Person
from grassroots.orgs.selectors import social_workers_of
from tests import world as w

from .conftest import Stage, client_for

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"detail", "code", "errors"}


def error_body(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == ERROR_KEYS and body["code"] == code and body["detail"], body
    return body


def _schema_leaves(document: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    if "anyOf" in schema:
        return [leaf for part in schema["anyOf"] for leaf in _schema_leaves(document, part)]
    if "$ref" in schema:
        return [document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]]
    return [schema]


def test_every_parameter_in_the_document_is_bounded(stage: Stage) -> None:
    """Strings have a length and refuse NUL, integers have a range (or each is one of an enumeration)."""
    document = Client().get("/api/openapi.json").json()
    unbounded = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                for leaf in _schema_leaves(document, parameter["schema"]):
                    kind = leaf.get("type")
                    bounded = (
                        kind == "null"
                        or "enum" in leaf
                        or (kind == "integer" and "minimum" in leaf and "maximum" in leaf)
                        or (kind == "string" and "maxLength" in leaf and leaf.get("pattern") == "^[^\\x00]*$")
                    )
                    if not bounded:
                        unbounded.append((method, path, parameter["name"], leaf))
    assert not unbounded
    assert any(p.startswith("/api/ocds/") for p in document["paths"])
    assert any(p.startswith("/api/governance/") for p in document["paths"])


NUL = quote("\x00")


@pytest.mark.parametrize(
    "path",
    [
        f"/api/calls?q=a{NUL}b",
        f"/api/contracts?category={NUL}",
        "/api/calls?q=" + "x" * 101,
        "/api/calls?limit=101",
        "/api/calls?offset=1000000001",
        "/api/calls?issuer=9223372036854775808",
        "/api/programs/9223372036854775808",
        f"/api/ocds/release-package?call=a{NUL}b",
        "/api/ocds/release-package?call=" + "x" * 301,
        "/api/ocds/release-package?year=99999999999999999999",
        "/api/ocds/record-package?page=10000001",
        "/api/ocds/record-package?page_size=101",
        f"/api/ocds/records/ocds-x{NUL}",
        "/api/ocds/releases/" + "x" * 301,
        "/api/governance/metrics?street=1&year=99999999999999999999",
        "/api/governance/metrics?street=1&year=-5",
        "/api/governance/metrics?street=0&year=2025",
        "/api/governance/metrics?street=abc&year=2025",
        "/api/governance/metrics?department=9223372036854775808&year=2025",
        "/api/governance/metrics?street=1&first=1800&last=2025",
        "/api/governance/jurisdictions?limit=1000",
        "/api/governance/definitions?offset=-1",
    ],
)
def test_a_parameter_out_of_bounds_is_a_422_in_the_error_body(stage: Stage, path: str) -> None:
    body = error_body(Client().get(path, headers={"Accept-Language": "en"}), 422, "invalid")
    assert body["errors"] and body["errors"][0]["loc"][0] in {"query", "path"}


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("year=2025", ["street", "department"]),
        ("street=S&department=1&year=2025", ["street", "department"]),
        ("street=S&year=2025&first=2024", ["year", "first", "last"]),
        ("street=S&first=2024", ["year", "first", "last"]),
        ("street=S&first=2025&last=2024", ["first", "last"]),
        ("street=S&first=1950&last=2025", ["first", "last"]),
    ],
)
def test_governance_parameters_that_do_not_fit_together_are_a_422(
    stage: Stage, world: w.World, query: str, names: list[str]
) -> None:
    query = query.replace("S", str(world.street.pk))
    body = error_body(Client().get(f"/api/governance/metrics?{query}"), 422, "invalid")
    assert [e["loc"] for e in body["errors"]] == [["query", name] for name in names]
    assert all(e["message"] == body["detail"] for e in body["errors"])


def test_an_unknown_jurisdiction_is_a_json_404_and_a_known_one_answers(stage: Stage, world: w.World) -> None:
    error_body(Client().get(f"/api/governance/metrics?street={world.department.pk}&year=2025"), 404, "not_found")
    response = Client().get(f"/api/governance/metrics?street={world.street.pk}&first=2024&last=2025")
    assert response.status_code == 200
    assert [y["year"] for y in response.json()["years"]] == [2024, 2025]


def test_governance_lists_are_paged_like_the_rest(stage: Stage, world: w.World) -> None:
    first = Client().get("/api/governance/jurisdictions?limit=2").json()
    assert set(first) == {"count", "limit", "offset", "next", "previous", "items"}
    assert first["count"] == 3 and len(first["items"]) == 2
    assert first["items"][0] == {
        "id": world.department.pk,
        "kind": "department",
        "name": world.department.name,
        "name_en": world.department.name_en,
        "parent": None,
    }
    second = Client().get(first["next"]).json()
    assert [j["parent"] for j in second["items"]] == [world.department.pk]
    definitions = Client().get("/api/governance/definitions").json()
    assert definitions["count"] > 10 and definitions["items"][0]["name"]


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/api/", 404, "not_found"),
        ("get", "/api/nothing-here", 404, "not_found"),
        ("get", "/api/calls/1/nothing", 404, "not_found"),
        ("get", "/api/ocds/", 404, "not_found"),
        ("get", "/api/governance/nothing", 404, "not_found"),
        ("post", "/api/nothing-here", 404, "not_found"),
        ("delete", "/api/calls", 405, "method_not_allowed"),
        ("put", "/api/programs/1", 405, "method_not_allowed"),
        ("post", "/api/governance/metrics", 405, "method_not_allowed"),
        ("get", "/api/applications/1/submit", 405, "method_not_allowed"),
    ],
)
def test_what_no_operation_answers_is_json_too(stage: Stage, method: str, path: str, status: int, code: str) -> None:
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(path, headers={"Accept-Language": "en"})
    body = error_body(response, status, code)
    if status == 405:
        assert response["Allow"] and method.upper() not in response["Allow"]
        assert method.upper() in body["detail"]


@pytest.mark.parametrize("payload", [b"{not json", b"\x00", b"\xff\xfe", b'{"call": 1,'])
def test_a_body_that_is_not_json_is_a_422(stage: Stage, world: w.World, payload: bytes) -> None:
    client = client_for(world.managers[0])
    for path in (
        "/api/applications",
        f"/api/reviews/{stage.review}/scores",
        f"/api/contracts/{stage.contract}/expenditures",
    ):
        body = error_body(client.post(path, data=payload, content_type="application/json"), 422, "invalid")
        assert body["errors"] == [{"loc": ["body"], "message": body["detail"], "type": "json_invalid"}]


def test_a_fault_of_ours_is_a_json_500(stage: Stage, monkeypatch: pytest.MonkeyPatch) -> None:
    from grassroots.disclosure import selectors

    def broken() -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(selectors, "programs", broken)
    body = error_body(Client().get("/api/programs"), 500, "server_error")
    assert "a bug" not in body["detail"]


def test_me_lists_no_social_worker_whose_login_is_deactivated(stage: Stage, world: w.World) -> None:
    agency = world.agencies[0]
    workers = list(social_workers_of(agency))
    gone = next(p for p in workers if p.user_id is not None)
    gone.user.is_active = False
    gone.user.save()
    me = client_for(world.managers[0]).get("/api/me").json()
    listed = {p["id"] for a in me["agencies"] if a["organization"]["id"] == agency.pk for p in a["social_workers"]}
    assert gone.pk not in listed
    assert listed == {p.pk for p in workers} - {gone.pk}
    assert Person.objects.filter(pk=gone.pk).exists()  # still a person of the agency's history


def test_an_unknown_category_in_a_body_is_a_400_naming_it(stage: Stage, world: w.World) -> None:
    from .test_write_permissions import _application

    body = _application(world, stage) | {"category": "no-such-category"}
    response = client_for(world.managers[0]).post(
        "/api/applications", body, content_type="application/json", headers={"Accept-Language": "en"}
    )
    error = error_body(response, 400, "rule_violation")
    assert error["detail"] == "Unknown service category: no-such-category"
