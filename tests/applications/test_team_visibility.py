"""An awarded application's page is read by everyone logged in, its social-worker team only by those concerned
with it (`selectors.concerning`): people are never published."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.applications import selectors
from tests import world as w

pytestmark = pytest.mark.django_db


def test_the_team_is_shown_only_to_those_concerned(world: w.World) -> None:
    contract = w.funded_contract(world)
    application = contract.award.application
    names = [m.person.name for m in application.team.select_related("person")]
    assert names
    for user, sees in [
        (world.residents[0][0], False),
        (world.managers[2], False),
        (world.other_street_officer, False),
        (world.managers[1], True),
        (world.community_workers[0], True),
        (world.street_officer, True),
    ]:
        assert selectors.visible_to(user).filter(pk=application.pk).exists()
        assert selectors.shows_team(user, application) is sees
        client = Client(headers={"Accept-Language": "en"})
        client.force_login(user)
        html = client.get(reverse("application-detail", args=[application.pk])).content.decode()
        assert application.title in html
        assert ("Social-worker team" in html) is sees
        assert all((name in html) is sees for name in names), user
