"""Recording services and booking expenditures through the API: hours are bounded decimal strings written back in
the pattern the document declares, and a write sent again with the same Idempotency-Key books once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import TypeAdapter

from grassroots.api.schemas import Measure
from grassroots.contracts.models import ContractLine
from grassroots.delivery.models import Expenditure, ServiceRecord
from tests import world as w

from .conftest import Stage, client_for
from .test_errors_and_bounds import error_body

pytestmark = pytest.mark.django_db

MEASURE_PATTERN = r"^-?\d+(\.\d+)?$"


def _record(world: w.World, **fields: Any) -> dict[str, Any]:
    return {
        "kind": "group",
        "held_on": "2025-05-10",
        "title": "长者健康讲座",
        "social_workers": [world.social_workers[1][0].pk],
        "beneficiaries": 25,
        **fields,
    }


@pytest.mark.parametrize("value", [Decimal("1E+5"), Decimal("12.50"), Decimal("0E-2"), Decimal("2.5E-1")])
def test_a_measure_is_written_in_positional_notation(value: Decimal) -> None:
    import re

    written = TypeAdapter(Measure).dump_python(value)
    assert re.fullmatch(MEASURE_PATTERN, written) and Decimal(written) == value


@pytest.mark.parametrize(
    "hours", ["1e5", "1E+5", "NaN", "nan", "Infinity", "-Infinity", "-1", "10000", "1.234", "", " 2", 2.5, 2]
)
def test_hours_are_a_bounded_decimal_string(stage: Stage, world: w.World, hours: Any) -> None:
    client = client_for(world.social_workers[1][0].user)
    for field in ("service_hours", "volunteer_hours"):
        before = w.fingerprint()
        response = client.post(
            f"/api/contracts/{stage.contract}/service-records", _record(world, **{field: hours}), "application/json"
        )
        body = error_body(response, 422, "invalid")
        assert any(e["loc"][-1] == field for e in body["errors"]), body
        assert w.fingerprint() == before


def test_hours_at_the_cap_are_recorded_and_written_back_as_given(stage: Stage, world: w.World) -> None:
    client = client_for(world.social_workers[1][0].user)
    response = client.post(
        f"/api/contracts/{stage.contract}/service-records",
        _record(world, service_hours="9999.99", volunteer_hours="100"),
        "application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["service_hours"], body["volunteer_hours"]) == ("9999.99", "100.00")
    record = ServiceRecord.objects.get(pk=body["id"])
    assert record.service_hours == Decimal("9999.99")


def test_the_document_declares_the_hours_pattern(stage: Stage) -> None:
    from django.test import Client

    document = Client().get("/api/openapi.json").json()
    schema = document["components"]["schemas"]["ServiceRecordIn"]["properties"]["service_hours"]
    assert schema["type"] == "string" and schema["pattern"] == r"^\d{1,4}(\.\d{1,2})?$"


def _line(stage: Stage) -> ContractLine:
    return ContractLine.objects.filter(contract_id=stage.contract, head="activities").get()


def _expenditure(stage: Stage, **fields: Any) -> dict[str, Any]:
    return {
        "line": _line(stage).pk,
        "spent_on": "2025-05-11",
        "amount": "1200.50",
        "description": "讲座物料",
        "receipt": "R-9",
        **fields,
    }


def _post(client: Any, path: str, body: dict[str, Any], key: str | None) -> Any:
    headers = {"Accept-Language": "en", **({"Idempotency-Key": key} if key is not None else {})}
    return client.post(path, body, "application/json", headers=headers)


def test_an_expenditure_sent_again_with_its_key_is_booked_once(stage: Stage, world: w.World) -> None:
    client = client_for(world.managers[1])
    path = f"/api/contracts/{stage.contract}/expenditures"
    first = _post(client, path, _expenditure(stage), "retry-7f3a")
    assert first.status_code == 201, first.content
    before = w.fingerprint()
    # The answer was lost; the client sends the same request again (the amount written another way).
    again = _post(client, path, _expenditure(stage, amount="1200.5"), "retry-7f3a")
    assert again.status_code == 200 and again.json() == first.json()
    assert w.fingerprint() == before
    assert Expenditure.objects.filter(contract_id=stage.contract, amount=Decimal("1200.50")).count() == 1
    # Another key is another expenditure.
    assert _post(client, path, _expenditure(stage), "retry-7f3b").status_code == 201
    assert Expenditure.objects.filter(contract_id=stage.contract, amount=Decimal("1200.50")).count() == 2


def test_a_key_sent_with_another_body_is_a_409_and_books_nothing(stage: Stage, world: w.World) -> None:
    client = client_for(world.managers[1])
    path = f"/api/contracts/{stage.contract}/expenditures"
    assert _post(client, path, _expenditure(stage), "k-1").status_code == 201
    before = w.fingerprint()
    response = _post(client, path, _expenditure(stage, amount="99.00"), "k-1")
    body = error_body(response, 409, "conflict")
    assert body["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert "already used for a different request" in body["detail"]
    assert w.fingerprint() == before


def test_without_a_key_each_request_books(stage: Stage, world: w.World) -> None:
    client = client_for(world.managers[1])
    path = f"/api/contracts/{stage.contract}/expenditures"
    assert _post(client, path, _expenditure(stage), None).status_code == 201
    assert _post(client, path, _expenditure(stage), None).status_code == 201
    assert Expenditure.objects.filter(contract_id=stage.contract, amount=Decimal("1200.50")).count() == 2


@pytest.mark.parametrize("key", ["", "k" * 81, "a\x00b"])
def test_a_key_out_of_bounds_is_a_422(stage: Stage, world: w.World, key: str) -> None:
    client = client_for(world.managers[1])
    before = w.fingerprint()
    response = client.post(
        f"/api/contracts/{stage.contract}/expenditures",
        _expenditure(stage),
        "application/json",
        headers={"Idempotency-Key": key},
    )
    error_body(response, 422, "invalid")
    assert w.fingerprint() == before


def test_a_service_record_sent_again_with_its_key_is_written_once(stage: Stage, world: w.World) -> None:
    client = client_for(world.social_workers[1][0].user)
    path = f"/api/contracts/{stage.contract}/service-records"
    first = _post(client, path, _record(world, service_hours="2.5"), "rec-1")
    assert first.status_code == 201, first.content
    before = w.fingerprint()
    again = _post(client, path, _record(world, service_hours="2.50"), "rec-1")
    assert again.status_code == 200 and again.json() == first.json()
    assert w.fingerprint() == before
    response = _post(client, path, _record(world, title="另一场讲座"), "rec-1")
    error_body(response, 409, "conflict")
    assert ServiceRecord.objects.filter(contract_id=stage.contract, idempotency_key="rec-1").count() == 1


def test_the_document_declares_the_idempotency_key_header(stage: Stage) -> None:
    from django.test import Client

    document = Client().get("/api/openapi.json").json()
    for path in ("/api/contracts/{id}/expenditures", "/api/contracts/{id}/service-records"):
        operation = document["paths"][path]["post"]
        [header] = [p for p in operation["parameters"] if p["in"] == "header"]
        assert header["name"] == "Idempotency-Key" and not header.get("required", False)
        assert {"200", "201", "409"} <= set(operation["responses"])
