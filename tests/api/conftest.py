"""The API tests' stage, built once per module on top of the shared world and rolled back after it:

- an active contract of agency 1 (partner: community 0), on S Street's call, decided and publicised;
- T Street's open call with a complete draft of agency 0 (partner: community 2);
- the department's direct call under review, with one application of agency 2 and its assigned reviewer.

Fixtures keep primary keys and hand out fresh objects; `client_for` makes a token for a user.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from grassroots.api import services as api_services
from grassroots.review import services as review_services
from grassroots.review.models import Review
from tests import world as w


@dataclass(frozen=True)
class Stage:
    program: int
    contract: int
    open_call: int
    draft: int
    review_call: int
    reviewed: int
    review: int
    reviewer: int  # the expert's user


@pytest.fixture(scope="module")
def stage_keys(module_world: w.World, django_db_blocker: Any) -> Iterator[Stage]:
    with w.kept_for_module(django_db_blocker) as unblocked:
        with unblocked():
            world = w.reload(module_world)
            program = w.open_program(world)
            contract = w.funded_contract(world, program=program)
            # Open until well after today: the API writes and hands in applications to it today.
            open_call = w.open_street_call(
                world,
                program,
                street=world.other_street,
                envelope="200000.00",
                funds="150000.00",
                closes_on=w.OPEN_UNTIL,
            )
            draft = w.draft_application(world, open_call, agency=0, communities=[world.communities[2]])
            review_call = w.open_direct_call(world, program, reviewers_per_application=1)
            reviewed = w.submitted_application(world, review_call, agency=2, communities=[world.communities[1]])
            review_services.start_review(world.dept_officer, review_call, today=w.REVIEW_DAY)
            review = Review.objects.get(application=reviewed)
            stage = Stage(
                program=program.pk,
                contract=contract.pk,
                open_call=open_call.pk,
                draft=draft.pk,
                review_call=review_call.pk,
                reviewed=reviewed.pk,
                review=review.pk,
                reviewer=review.expert.person.user_id,
            )
        yield stage


@pytest.fixture
def stage(stage_keys: Stage, world: w.World) -> Stage:
    return stage_keys


def bearer(user: Any, name: str = "test") -> str:
    _row, token = api_services.issue_token(user, user, name)
    return token


def client_for(user: Any | None) -> Client:
    """A test client sending a fresh token of `user` (none for None)."""
    if user is None:
        return Client()
    return Client(headers={"Authorization": f"Bearer {bearer(user)}"})
