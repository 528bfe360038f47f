"""Recording services and booking expenditures through the API: hours are bounded decimal strings written back in
the pattern the document declares, and a write sent again with the same Idempotency-Key books once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import TypeAdapter

from grassroots.api.schemas import Measure
from grassroots.contracts.models import ContractLine
from grassroots.delivery.models import ServiceRecord
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
    assert (body["service_hours"], body["volunteer_hours"]) == ("9999.99", "100")
    record = ServiceRecord.objects.get(pk=body["id"])
    assert record.service_hours == Decimal("9999.99")


def test_the_document_declares_the_hours_pattern(stage: Stage) -> None:
    from django.test import Client

    document = Client().get("/api/openapi.json").json()
    schema = document["components"]["schemas"]["ServiceRecordIn"]["properties"]["service_hours"]
    assert schema["type"] == "string" and schema["pattern"] == r"^\d{1,4}(\.\d{1,2})?$"


def _line(stage: Stage) -> ContractLine:
    return ContractLine.objects.filter(contract_id=stage.contract, head="activities").get()
