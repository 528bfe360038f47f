"""The public read endpoints: what they list, how they filter and page, the shape of money and errors, and
that they show only what `disclosure.selectors` makes public."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from grassroots.awards import services as award_services
from grassroots.contracts.models import Contract
from grassroots.evaluation.models import Evaluation
from grassroots.funding.models import Call
from tests import world as w

from .conftest import Stage

pytestmark = pytest.mark.django_db


def get(path: str, **headers: Any) -> Any:
    response = Client().get(path, headers=headers)
    assert response["Content-Type"].startswith("application/json"), path
    return response.status_code, response.json()


def test_programs_and_calls_are_listed_with_their_counts_and_filters(stage: Stage) -> None:
    status, programs = get("/api/programs")
    assert status == 200
    assert [p["id"] for p in programs["items"]] == [stage.program]
    assert programs["items"][0]["budget"] == "1000000.00"  # money is a decimal string, never a float

    status, calls = get(f"/api/calls?program={stage.program}")
    assert status == 200 and calls["count"] == 3
    by_id = {c["id"]: c for c in calls["items"]}
    assert by_id[stage.open_call]["state"] == "open"
    assert by_id[stage.open_call]["handed_in"] == 0  # the draft is the agency's own business
    assert by_id[stage.review_call]["handed_in"] == 1
    assert [c["name_en"] for c in by_id[stage.review_call]["criteria"]] == [name for _n, name, _w in w.CRITERIA]

    assert get("/api/calls?state=review")[1]["count"] == 1
    assert get("/api/calls?year=2024")[1]["count"] == 0
    assert get("/api/calls?category=youth")[1]["count"] == 3
    assert get("/api/calls?q=直接")[1]["count"] == 1


def test_a_draft_program_or_call_is_not_public(stage: Stage, world: w.World) -> None:
    from grassroots.funding import services as funding_services

    draft = funding_services.create_program(
        world.dept_officer,
        department=world.department,
        title="草稿项目",
        fiscal_year=2026,
        budget="1000.00",
        categories=list(world.categories.values()),
    )
    status, body = get(f"/api/programs/{draft.pk}", **{"Accept-Language": "en"})
    assert (status, body) == (404, {"detail": "Not found.", "code": "not_found", "errors": []})
    assert get("/api/programs?year=2026")[1]["count"] == 0


def test_pages_carry_count_and_links(stage: Stage) -> None:
    status, first = get("/api/calls?limit=2")
    assert status == 200
    assert (first["count"], first["limit"], first["offset"], len(first["items"])) == (3, 2, 0, 2)
    assert first["previous"] is None and first["next"] == "/api/calls?limit=2&offset=2"
    _status, second = get(first["next"])
    assert len(second["items"]) == 1 and second["next"] is None
    assert second["previous"] == "/api/calls?limit=2&offset=0"
    ids = [c["id"] for c in first["items"] + second["items"]]
    assert len(set(ids)) == 3


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "offset=-1", "year=abc", "state=unknown", "issuer=0"])
def test_bad_query_parameters_get_the_one_error_body(stage: Stage, query: str) -> None:
    status, body = get(f"/api/calls?{query}")
    assert status == 422
    assert body["code"] == "invalid" and body["detail"]
    assert body["errors"] and all(set(e) == {"loc", "message", "type"} for e in body["errors"])
    assert body["errors"][0]["loc"][0] == "query"


def test_errors_speak_the_readers_language(stage: Stage) -> None:
    status, body = get("/api/calls/999999", **{"Accept-Language": "zh-hans"})
    assert status == 404 and body["code"] == "not_found"
    assert body["detail"] != "Not found."  # translated


def test_award_list_is_public_once_its_publicity_has_begun(stage: Stage, world: w.World) -> None:
    status, lists = get("/api/award-lists")
    assert status == 200 and lists["count"] == 1
    awarded = lists["items"][0]
    assert awarded["state"] == "decided"
    assert [a["contract_id"] for a in awarded["awards"]] == [stage.contract]
    application = awarded["awards"][0]["application"]
    assert application["lead_agency"]["id"] == world.agencies[1].pk
    assert [c["id"] for c in application["communities"]] == [world.communities[0].pk]
    assert set(application) == {
        "reference",
        "title",
        "title_en",
        "category",
        "lead_agency",
        "communities",
        "requested",
        "score",
        "rank",
    }

    # The panel of the direct call closes and its list is set to be publicised next month: not yet public.
    call = Call.objects.get(pk=stage.review_call)
    w.score_everything(world, call, {stage.reviewed: "80"})
    from grassroots.review import services as review_services

    review_services.close_panel(world.dept_officer, call)
    proposed = award_services.propose_awards(world.dept_officer, call)
    assert get(f"/api/award-lists/{proposed.pk}")[0] == 404
    award_services.start_publicity(world.dept_officer, proposed, starts_on=date(2099, 1, 5))
    assert get(f"/api/award-lists/{proposed.pk}")[0] == 404
    assert get("/api/award-lists")[1]["count"] == 1


def test_contract_shows_milestones_tranches_payments_and_spending(stage: Stage, world: w.World) -> None:
    contract = Contract.objects.get(pk=stage.contract)
    w.accept_milestone(world, contract, "start", date(2025, 4, 15))
    w.pay(world, contract, 1, date(2025, 4, 20))
    status, body = get(f"/api/contracts/{contract.pk}")
    assert status == 200
    assert body["amount"] == "100000.00" and body["paid"] == "30000.00"
    assert [m["kind"] for m in body["milestones"]] == ["start", "midterm", "final"]
    assert body["milestones"][0]["state"] == "accepted"
    first = body["tranches"][0]
    assert (first["planned"], first["state"], first["payment"]) == (
        "30000.00",
        "paid",
        {"amount": "30000.00", "paid_on": "2025-04-20"},
    )
    assert {line["head"] for line in body["budget_lines"]} == {"personnel", "activities", "management"}
    assert body["delivery"] == [] and body["evaluations"] == []
    assert "report" not in body["milestones"][0]

    listed = get(f"/api/contracts?agency={world.agencies[1].pk}&community={world.communities[0].pk}")[1]
    assert [c["id"] for c in listed["items"]] == [contract.pk]
    assert get(f"/api/contracts?community={world.communities[2].pk}")[1]["count"] == 0


def test_only_accepted_evaluations_are_graded_in_public(stage: Stage, world: w.World) -> None:
    from grassroots.evaluation import services as evaluation_services

    contract = Contract.objects.get(pk=stage.contract)
    evaluation = evaluation_services.assign_evaluation(
        world.street_officer, contract, evaluator=world.evaluator_org, kind="midterm"
    )
    evaluation_services.submit_evaluation(
        world.evaluator,
        evaluation,
        scores=w.evaluation_scores(evaluation, "88"),
        summary="评估意见",
        on=date(2025, 9, 30),
    )
    assert get("/api/evaluations")[1]["count"] == 0
    evaluation_services.accept_evaluation(world.street_officer, Evaluation.objects.get(pk=evaluation.pk))
    listed = get("/api/evaluations?grade=good")[1]
    assert [e["id"] for e in listed["items"]] == [evaluation.pk]
    status, detail = get(f"/api/evaluations/{evaluation.pk}")
    assert status == 200 and detail["score"] == "88.00" and detail["grade"] == "good"
    assert sum(float(d["points"]) for d in detail["dimensions"]) == 100
    assert "summary" not in detail and "comment" not in str(detail)


def test_organizations_are_public_people_are_not(stage: Stage, world: w.World) -> None:
    status, body = get("/api/organizations?kind=community")
    assert status == 200 and body["count"] == 3
    assert {o["residents"] for o in body["items"]} == {4000, 5000, 6000}
    status, agency = get(f"/api/organizations/{world.agencies[1].pk}")
    assert status == 200 and agency["contract_ids"] == [stage.contract]
    assert agency["uscc"] == world.agencies[1].uscc and agency["residents"] is None
    assert get("/api/me")[0] == 401
