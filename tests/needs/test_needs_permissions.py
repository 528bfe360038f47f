"""Who may do what with a community's needs and meetings: every service tried by every role.

The community's residents raise its needs and vote when seated; its community workers (and staff) run
its meetings and decide its needs; nobody else does — not a neighbouring community's people, not the
street above it, not an agency. A refusal is `Forbidden` and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from grassroots.core.errors import Forbidden
from grassroots.needs import services as needs_services
from grassroots.needs.models import Meeting, Need
from tests import world as w
from tests.needs.consult import DAY, MEETING_DAY, plan, raise_needs

pytestmark = pytest.mark.django_db

ROLES: dict[str, Callable[[w.World], Any]] = {
    "staff": lambda world: world.admin,
    "resident": lambda world: world.residents[0][0],
    "other community's resident": lambda world: world.residents[1][0],
    "community worker": lambda world: world.community_workers[0],
    "other community's worker": lambda world: world.community_workers[1],
    "street officer": lambda world: world.street_officer,
    "agency manager": lambda world: world.managers[0],
    "anonymous": lambda world: AnonymousUser(),
    "no actor": lambda world: None,
    "login without a person": lambda world: get_user_model().objects.get_or_create(username="nobody")[0],
}

Act = Callable[[w.World, Any], object]


def raise_need(world: w.World) -> Act:
    return lambda world, actor: needs_services.raise_need(
        actor, community=world.communities[0], title="楼道照明", category=world.categories["elderly"], raised_on=DAY
    )


def plan_meeting(world: w.World) -> Act:
    pks = [n.pk for n in raise_needs(world, 2)]
    return lambda world, actor: needs_services.plan_meeting(
        actor,
        community=world.communities[0],
        title="议事会",
        held_on=MEETING_DAY,
        agenda=Need.objects.filter(pk__in=pks),
        participants=[(u.person, "resident") for u in world.residents[0]],
    )


def _planned(world: w.World, **kwargs: Any) -> int:
    """A planned meeting of community 0 on one need, the first resident seated."""
    seats = [(world.residents[0][0].person, "resident")]
    return plan(world, raise_needs(world, 1), seats=seats, quorum=1, **kwargs).pk


def seat_participant(world: w.World) -> Act:
    pk = _planned(world, voting=False)
    return lambda world, actor: needs_services.seat_participant(
        actor, Meeting.objects.get(pk=pk), world.residents[0][1].person, "resident"
    )


def open_voting(world: w.World) -> Act:
    pk = _planned(world, voting=False)
    return lambda world, actor: needs_services.open_voting(actor, Meeting.objects.get(pk=pk))


def cast_ballot(world: w.World) -> Act:
    pk = _planned(world)

    def act(world: w.World, actor: Any) -> object:
        meeting = Meeting.objects.get(pk=pk)
        needs_services.cast_ballot(actor, meeting, {meeting.agenda.get().pk: 1})
        return meeting

    return act


def close_meeting(world: w.World) -> Act:
    pk = _planned(world)
    return lambda world, actor: needs_services.close_meeting(actor, Meeting.objects.get(pk=pk))


def cancel_meeting(world: w.World) -> Act:
    pk = _planned(world)
    return lambda world, actor: needs_services.cancel_meeting(actor, Meeting.objects.get(pk=pk), "改期")


def merge_needs(world: w.World) -> Act:
    duplicate, into = (n.pk for n in raise_needs(world, 2))
    return lambda world, actor: needs_services.merge_needs(
        actor, Need.objects.get(pk=duplicate), Need.objects.get(pk=into)
    )


def decline_need(world: w.World) -> Act:
    pk = raise_needs(world, 1)[0].pk
    return lambda world, actor: needs_services.decline_need(actor, Need.objects.get(pk=pk), "不属于服务范围")


def resolve_need(world: w.World) -> Act:
    need = raise_needs(world, 1)[0]
    meeting = plan(world, [need], seats=[(world.residents[0][0].person, "resident")], quorum=1)
    needs_services.cast_ballot(world.residents[0][0], meeting, {need.pk: 1})
    needs_services.close_meeting(world.community_workers[0], meeting)
    return lambda world, actor: needs_services.resolve_need(actor, Need.objects.get(pk=need.pk))


ACTIONS: dict[str, Callable[[w.World], Act]] = {
    "raise_need": raise_need,
    "plan_meeting": plan_meeting,
    "seat_participant": seat_participant,
    "open_voting": open_voting,
    "cast_ballot": cast_ballot,
    "close_meeting": close_meeting,
    "cancel_meeting": cancel_meeting,
    "merge_needs": merge_needs,
    "decline_need": decline_need,
    "resolve_need": resolve_need,
}

#: The roles that may run a community's meetings and decide its needs.
STEWARDS = {"community worker", "staff"}

MATRIX: dict[str, dict[str, bool]] = {
    "raise_need": {role: role in STEWARDS | {"resident"} for role in ROLES},
    # Only a seated participant votes: staff and the community worker are not seated in this meeting.
    "cast_ballot": {role: role == "resident" for role in ROLES},
    **{
        action: {role: role in STEWARDS for role in ROLES}
        for action in ACTIONS
        if action not in ("raise_need", "cast_ballot")
    },
}

CASES = [(action, role, allowed) for action, row in MATRIX.items() for role, allowed in row.items()]


@pytest.fixture(scope="module")
def stages(module_world: w.World, django_db_blocker: Any) -> Iterator[dict[str, Act]]:
    """Every action's preconditions, built once for the module (each test still rolls back its own writes)."""
    with w.kept_for_module(django_db_blocker) as unblocked:
        with unblocked():
            built = {action: prepare(w.reload(module_world)) for action, prepare in ACTIONS.items()}
        yield built


@pytest.mark.parametrize(
    ("action", "role", "allowed"),
    CASES,
    ids=[f"{action} by {role}: {'yes' if allowed else 'no'}" for action, role, allowed in CASES],
)
def test_permission(world: w.World, stages: dict[str, Act], action: str, role: str, allowed: bool) -> None:
    actor = ROLES[role](world)
    if allowed:
        assert stages[action](world, actor) is not None
    else:
        with w.refused(Forbidden):
            stages[action](world, actor)


def test_every_action_and_role_is_in_the_matrix() -> None:
    assert set(MATRIX) == set(ACTIONS)
    for action, row in MATRIX.items():
        assert set(row) == set(ROLES), action
        assert any(row.values()) and not all(row.values()), action


def test_a_stewards_allowed_actions_really_happen(world: w.World, stages: dict[str, Act]) -> None:
    """The allowed cells do what they say (so an 'allowed' that silently did nothing would show)."""
    worker = world.community_workers[0]
    merged = stages["merge_needs"](world, worker)
    assert isinstance(merged, Need)
    assert Need.objects.filter(merged_into=merged, state=Need.State.MERGED).count() == 1
    resolved = stages["resolve_need"](world, worker)
    assert isinstance(resolved, Need) and Need.objects.get(pk=resolved.pk).state == Need.State.RESOLVED
    cancelled = stages["cancel_meeting"](world, worker)
    assert isinstance(cancelled, Meeting) and Meeting.objects.get(pk=cancelled.pk).state == Meeting.State.CANCELLED
