"""Every write endpoint tried by every kind of caller: no token, a revoked token, the wrong role, the wrong
relation to the object, and the right actor. A refusal answers the one error body and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from grassroots.api import services as api_services
from grassroots.applications.models import Application
from grassroots.contracts.models import ContractLine
from grassroots.delivery.models import Expenditure, ServiceRecord
from grassroots.funding.models import Criterion
from grassroots.review.models import Review
from tests import world as w

from .conftest import Stage, bearer

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Endpoint:
    path: Callable[[Stage], str]
    body: Callable[[w.World, Stage], dict[str, Any] | None]
    actors: dict[str, Callable[[w.World, Stage], Any]]  # wrong role, wrong relation, right actor
    refused: dict[str, int]  # status for the wrong role and the wrong relation
    succeeded: int
    written: Callable[[Stage], bool]


def _application(world: w.World, stage: Stage) -> dict[str, Any]:
    workers = world.social_workers[0]
    return {
        "call": stage.open_call,
        "lead_agency": world.agencies[0].pk,
        "title": "四点半课堂",
        "category": "youth",
        "communities": [world.communities[2].pk],
        "team": [{"person": workers[0].pk, "role": "lead"}, {"person": workers[1].pk}],
        "indicators": [{"name": "小组活动节数", "measure": "sessions", "target": "12"}],
        "budget_lines": [
            {"head": "personnel", "description": "社工人力成本", "amount": "40000.00"},
            {"head": "activities", "description": "活动费用", "amount": "35000"},
            {"head": "management", "description": "管理费", "amount": "5000.00"},
        ],
    }


def _scores(world: w.World, stage: Stage) -> dict[str, Any]:
    criteria = Criterion.objects.filter(call_id=stage.review_call, source=Criterion.Source.REVIEWERS)
    return {"scores": [{"criterion": c.pk, "score": "82.5"} for c in criteria], "comment": "方案扎实"}


def _record(world: w.World, stage: Stage) -> dict[str, Any]:
    return {
        "kind": "group",
        "held_on": "2025-05-10",
        "title": "长者健康讲座",
        "social_workers": [world.social_workers[1][0].pk],
        "beneficiaries": 25,
        "service_hours": "2.5",
        "beneficiary_codes": ["B-001", "B-002"],
    }


def _expenditure(world: w.World, stage: Stage) -> dict[str, Any]:
    line = ContractLine.objects.filter(contract_id=stage.contract, head="activities").get()
    return {"line": line.pk, "spent_on": "2025-05-11", "amount": "1200.50", "description": "讲座物料", "receipt": "R-9"}


ENDPOINTS: dict[str, Endpoint] = {
    "write an application": Endpoint(
        path=lambda s: "/api/applications",
        body=_application,
        actors={
            "wrong role": lambda world, s: world.social_workers[0][0].user,
            "wrong relation": lambda world, s: world.managers[1],
            "right actor": lambda world, s: world.managers[0],
        },
        refused={"wrong role": 403, "wrong relation": 403},
        succeeded=201,
        written=lambda s: Application.objects.filter(call_id=s.open_call, title="四点半课堂").exists(),
    ),
    "submit an application": Endpoint(
        path=lambda s: f"/api/applications/{s.draft}/submit",
        body=lambda world, s: None,
        actors={
            "wrong role": lambda world, s: world.social_workers[0][0].user,
            "wrong relation": lambda world, s: world.managers[1],
            "right actor": lambda world, s: world.managers[0],
        },
        refused={"wrong role": 403, "wrong relation": 404},
        succeeded=200,
        written=lambda s: Application.objects.get(pk=s.draft).state == Application.State.SUBMITTED,
    ),
    "score a review": Endpoint(
        path=lambda s: f"/api/reviews/{s.review}/scores",
        body=_scores,
        actors={
            "wrong role": lambda world, s: world.dept_officer,  # runs the call, does not review
            "wrong relation": lambda world, s: next(
                e.person.user for e in world.experts if e.person.user_id != s.reviewer
            ),
            "right actor": lambda world, s: get_user_model().objects.get(pk=s.reviewer),
        },
        refused={"wrong role": 403, "wrong relation": 404},
        succeeded=200,
        written=lambda s: Review.objects.get(pk=s.review).state == Review.State.SUBMITTED,
    ),
    "record a service": Endpoint(
        path=lambda s: f"/api/contracts/{s.contract}/service-records",
        body=_record,
        actors={
            "wrong role": lambda world, s: world.community_workers[0],  # the partner community's worker
            "wrong relation": lambda world, s: world.social_workers[2][0].user,  # another agency's worker
            "right actor": lambda world, s: world.social_workers[1][0].user,
        },
        refused={"wrong role": 403, "wrong relation": 403},
        succeeded=201,
        written=lambda s: ServiceRecord.objects.filter(contract_id=s.contract).exists(),
    ),
    "record an expenditure": Endpoint(
        path=lambda s: f"/api/contracts/{s.contract}/expenditures",
        body=_expenditure,
        actors={
            "wrong role": lambda world, s: world.social_workers[1][0].user,  # only managers book money
            "wrong relation": lambda world, s: world.managers[2],
            "right actor": lambda world, s: world.managers[1],
        },
        refused={"wrong role": 403, "wrong relation": 403},
        succeeded=201,
        written=lambda s: Expenditure.objects.filter(contract_id=s.contract, amount="1200.50").exists(),
    ),
}

CALLERS = ["no token", "revoked token", "wrong role", "wrong relation", "right actor"]


def _client(caller: str, endpoint: Endpoint, world: w.World, stage: Stage) -> Client:
    if caller == "no token":
        return Client()
    if caller == "revoked token":
        user = endpoint.actors["right actor"](world, stage)
        row, token = api_services.issue_token(user, user, "old")
        api_services.revoke_token(user, row)
        return Client(headers={"Authorization": f"Bearer {token}"})
    return Client(headers={"Authorization": f"Bearer {bearer(endpoint.actors[caller](world, stage))}"})


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_write_permission_matrix(name: str, caller: str, stage: Stage, world: w.World) -> None:
    endpoint = ENDPOINTS[name]
    client = _client(caller, endpoint, world, stage)  # issuing the token is audited: before the fingerprint
    body = endpoint.body(world, stage)
    before = w.fingerprint()
    response = client.post(endpoint.path(stage), body, content_type="application/json")
    if caller == "right actor":
        assert response.status_code == endpoint.succeeded, response.content
        assert endpoint.written(stage)
        return
    expected = {"no token": 401, "revoked token": 401, **endpoint.refused}[caller]
    assert response.status_code == expected, response.content
    error = response.json()
    assert set(error) == {"detail", "code", "errors"} and error["detail"]
    assert error["code"] == {401: "unauthorized", 403: "forbidden", 404: "not_found"}[expected]
    if expected == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert w.fingerprint() == before, "a refused write changed the database"
    assert not endpoint.written(stage)


def test_a_rule_violation_is_400_and_writes_nothing(stage: Stage, world: w.World) -> None:
    client = Client(headers={"Authorization": f"Bearer {bearer(world.managers[1])}"})
    body = _expenditure(world, stage) | {"amount": "999999.00"}  # more than the line holds
    before = w.fingerprint()
    response = client.post(
        f"/api/contracts/{stage.contract}/expenditures",
        body,
        content_type="application/json",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "rule_violation" and "more than is left" in error["detail"]
    assert error["errors"][0]["type"] == "rule_violation"
    assert w.fingerprint() == before


def test_a_second_submission_is_a_conflict(stage: Stage, world: w.World) -> None:
    client = Client(headers={"Authorization": f"Bearer {bearer(world.managers[0])}"})
    assert client.post(f"/api/applications/{stage.draft}/submit").status_code == 200
    before = w.fingerprint()
    again = client.post(f"/api/applications/{stage.draft}/submit")
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    assert w.fingerprint() == before


def test_a_float_amount_is_refused_by_the_schema(stage: Stage, world: w.World) -> None:
    client = Client(headers={"Authorization": f"Bearer {bearer(world.managers[1])}"})
    body = _expenditure(world, stage) | {"amount": 1200.5}
    response = client.post(f"/api/contracts/{stage.contract}/expenditures", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "data", "amount"]


def test_the_reviewer_finds_their_review_and_the_manager_their_team(stage: Stage, world: w.World) -> None:
    reviewer = get_user_model().objects.get(pk=stage.reviewer)
    reviews = Client(headers={"Authorization": f"Bearer {bearer(reviewer)}"}).get("/api/reviews").json()
    assert reviews["items"][0]["id"] == stage.review  # the open one first
    assert {r["state"] for r in reviews["items"][1:]} == {"submitted"}
    assert len(reviews["items"][0]["criteria"]) == len(w.CRITERIA)
    me = Client(headers={"Authorization": f"Bearer {bearer(world.managers[0])}"}).get("/api/me").json()
    assert [a["organization"]["id"] for a in me["agencies"]] == [world.agencies[0].pk]
    assert {p["id"] for p in me["agencies"][0]["social_workers"]} == {p.pk for p in world.social_workers[0]}


def test_a_request_too_large_for_any_column_is_refused(stage: Stage, world: w.World) -> None:
    client = Client(headers={"Authorization": f"Bearer {bearer(world.managers[0])}"})
    body = _application(world, stage)
    body["budget_lines"] = [{"head": "activities", "description": "x", "amount": "999999999999.99"}] * 2
    before = w.fingerprint()
    response = client.post("/api/applications", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "rule_violation"
    assert w.fingerprint() == before
