"""Who reads an application's social-worker team through the API: an awarded application is read by every token
holder, but its team (person ids) only by those concerned with it — its agency, its partner communities, the
offices it was handed in to (and staff). People are never published."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from grassroots.contracts.models import Contract
from tests import world as w

from .conftest import Stage, client_for

pytestmark = pytest.mark.django_db

#: caller → whether they see the team of the awarded application (agency 1, partner community 0, S Street's call).
CALLERS: dict[str, tuple[Callable[[w.World], Any], bool]] = {
    "a resident of the partner community": (lambda world: world.residents[0][0], False),
    "a resident elsewhere": (lambda world: world.residents[2][0], False),
    "a competing agency's manager": (lambda world: world.managers[2], False),
    "a competing agency's social worker": (lambda world: world.social_workers[2][0].user, False),
    "a community worker of another community": (lambda world: world.community_workers[1], False),
    "another street's officer": (lambda world: world.other_street_officer, False),
    "the evaluator": (lambda world: world.evaluator, False),
    "the lead agency's manager": (lambda world: world.managers[1], True),
    "the lead agency's social worker": (lambda world: world.social_workers[1][0].user, True),
    "the partner community's worker": (lambda world: world.community_workers[0], True),
    "the issuing street's officer": (lambda world: world.street_officer, True),
    "the department's officer": (lambda world: world.dept_officer, True),
    "staff": (lambda world: world.admin, True),
}


@pytest.mark.parametrize("caller", list(CALLERS))
def test_only_those_concerned_see_the_team(stage: Stage, world: w.World, caller: str) -> None:
    who, sees_team = CALLERS[caller]
    application = Contract.objects.get(pk=stage.contract).award.application
    response = client_for(who(world)).get(f"/api/applications/{application.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == application.pk and body["title"] == application.title
    assert ("team" in body) is sees_team
    if sees_team:
        assert {m["person_id"] for m in body["team"]} == set(application.team.values_list("person_id", flat=True))
    else:
        assert "person_id" not in response.content.decode()


def test_no_token_reads_no_application(stage: Stage, world: w.World) -> None:
    application = Contract.objects.get(pk=stage.contract).award.application
    assert client_for(None).get(f"/api/applications/{application.pk}").status_code == 401


def test_the_document_describes_both_answers(stage: Stage) -> None:
    from django.test import Client

    document = Client().get("/api/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "team" in schemas["ApplicationOut"]["properties"]
    assert "team" not in schemas["ApplicationPublicOut"]["properties"]
