"""A need's life: raised, put on agendas, merged into the need it repeats, declined, prioritised, resolved —
and the moves its transition table does not allow."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from grassroots.core.errors import IllegalTransition, RuleViolation
from grassroots.needs import selectors as needs_selectors
from grassroots.needs import services as needs_services
from grassroots.needs.models import Meeting, Need
from tests import world as w
from tests.needs.consult import DAY, MEETING_DAY, events, fresh, plan, raise_needs, states

pytestmark = pytest.mark.django_db


def prioritised(world: w.World, need: Need) -> Need:
    """Run a one-resident meeting that prioritises `need`."""
    meeting = plan(world, [need], seats=[(world.residents[0][0].person, "resident")], quorum=1)
    needs_services.cast_ballot(world.residents[0][0], meeting, {need.pk: 1})
    needs_services.close_meeting(world.community_workers[0], meeting)
    return fresh(need)


def consulted(world: w.World, need: Need) -> Need:
    """Run a meeting on `need` that nobody votes in: the need is consulted, not prioritised."""
    needs_services.close_meeting(world.community_workers[0], plan(world, [need], quorum=1))
    return fresh(need)


def declined(world: w.World, need: Need) -> Need:
    return needs_services.decline_need(world.community_workers[0], need, "不属于服务范围")


# --- raising --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "match"),
    [({"title": "   "}, "needs a title"), ({"people_affected": -1}, "cannot be negative")],
)
def test_a_need_is_raised_with_a_title_and_a_count(world: w.World, changes: dict[str, Any], match: str) -> None:
    arguments: dict[str, Any] = {
        "community": world.communities[0],
        "title": "加装电梯",
        "category": world.categories["elderly"],
        "raised_on": DAY,
        **changes,
    }
    with w.refused(RuleViolation, match=match):
        needs_services.raise_need(world.residents[0][0], **arguments)


def test_a_community_worker_records_a_need_for_residents(world: w.World) -> None:
    need = needs_services.raise_need(
        world.community_workers[0],
        community=world.communities[0],
        title="  独居老人助餐  ",
        category=world.categories["elderly"],
        raised_on=DAY,
        people_affected=40,
    )
    assert (need.title, need.state, need.raised_by, need.priority) == (
        "独居老人助餐",
        Need.State.RAISED,
        world.community_workers[0].person,
        None,
    )
    (event,) = events(need, "need.raised")
    assert event.after == {"community": world.communities[0].pk, "title": "独居老人助餐"}


# --- merging --------------------------------------------------------------------------------------


def test_a_duplicate_is_merged_into_the_need_it_repeats(world: w.World) -> None:
    keep, duplicate = raise_needs(world, 2, people=[30, 120])
    kept = needs_services.merge_needs(world.community_workers[0], duplicate, keep)
    assert kept.pk == keep.pk
    duplicate = fresh(duplicate)
    assert (duplicate.state, duplicate.merged_into_id) == (Need.State.MERGED, keep.pk)
    assert fresh(keep).people_affected == 120  # the larger count
    assert fresh(keep).state == Need.State.RAISED
    assert list(needs_selectors.of_community(world.communities[0])) == [keep]
    (event,) = events(duplicate, "need.merged")  # one event for one merge
    assert (event.before, event.after, event.reason, event.actor_id) == (
        {"state": "raised", "merged_into_id": None},
        {"state": "merged", "merged_into_id": keep.pk},
        f"duplicate of {keep.pk}",
        world.community_workers[0].pk,
    )


def test_merging_keeps_the_larger_count_of_people(world: w.World) -> None:
    keep, duplicate = raise_needs(world, 2, people=[200, 50])
    needs_services.merge_needs(world.community_workers[0], duplicate, keep)
    assert fresh(keep).people_affected == 200


def test_a_chain_of_merges_points_at_the_need_that_stands(world: w.World) -> None:
    a, b, c = raise_needs(world, 3)
    needs_services.merge_needs(world.community_workers[0], a, b)
    needs_services.merge_needs(world.community_workers[0], b, c)
    assert (fresh(a).merged_into_id, fresh(b).merged_into_id) == (c.pk, c.pk)
    late = raise_needs(world, 1)[0]
    with w.refused(RuleViolation, match="merge into the need that stands"):
        needs_services.merge_needs(world.community_workers[0], late, a)


def test_merging_moves_the_duplicate_off_planned_agendas(world: w.World) -> None:
    keep, duplicate, other = raise_needs(world, 3)
    meeting = plan(world, [duplicate, other], voting=False)
    needs_services.merge_needs(world.community_workers[0], duplicate, keep)
    assert set(meeting.agenda.values_list("pk", flat=True)) == {keep.pk, other.pk}


def test_merging_into_a_decided_need_drops_the_duplicate_from_the_agenda(world: w.World) -> None:
    keep, duplicate, other = raise_needs(world, 3)
    keep = prioritised(world, keep)
    meeting = plan(world, [duplicate, other], voting=False)
    needs_services.merge_needs(world.community_workers[0], duplicate, keep)
    assert list(meeting.agenda.values_list("pk", flat=True)) == [other.pk]
    assert fresh(keep).state == Need.State.PRIORITISED


def test_no_merge_while_the_duplicate_is_voted_on(world: w.World) -> None:
    keep, duplicate = raise_needs(world, 2)
    meeting = plan(world, [duplicate])
    with w.refused(RuleViolation, match="being voted on"):
        needs_services.merge_needs(world.community_workers[0], duplicate, keep)
    needs_services.close_meeting(world.community_workers[0], meeting)
    needs_services.merge_needs(world.community_workers[0], duplicate, keep)  # a consulted need merges
    assert fresh(duplicate).state == Need.State.MERGED


@pytest.mark.parametrize(
    ("case", "error", "match"),
    [
        ("itself", RuleViolation, "merged into itself"),
        ("other community", RuleViolation, "same community"),
        ("into merged", RuleViolation, "merge into the need that stands"),
        ("into declined", RuleViolation, "merge into the need that stands"),
        ("prioritised duplicate", IllegalTransition, "cannot go from “Prioritised” to “Merged into another”"),
        ("declined duplicate", IllegalTransition, "cannot go from “Declined”"),
        ("merged duplicate", IllegalTransition, "cannot go from “Merged into another”"),
    ],
)
def test_merges_that_are_refused(world: w.World, case: str, error: type[Exception], match: str) -> None:
    a, b, c = raise_needs(world, 3)
    duplicate, into = a, b
    if case == "itself":
        into = a
    elif case == "other community":
        into = raise_needs(world, 1, community=1)[0]
    elif case == "into merged":
        needs_services.merge_needs(world.community_workers[0], b, c)
    elif case == "into declined":
        declined(world, b)
    elif case == "prioritised duplicate":
        prioritised(world, a)
    elif case == "declined duplicate":
        declined(world, a)
    elif case == "merged duplicate":
        needs_services.merge_needs(world.community_workers[0], a, c)
    with w.refused(error, match=match):
        needs_services.merge_needs(world.community_workers[0], duplicate, into)


# --- declining ------------------------------------------------------------------------------------


def test_declining_needs_a_reason_and_records_it(world: w.World) -> None:
    need = raise_needs(world, 1)[0]
    for blank in ("", "   "):
        with w.refused(RuleViolation, match="Say why the need is declined"):
            needs_services.decline_need(world.community_workers[0], need, blank)
    needs_services.decline_need(world.community_workers[0], need, "  已由街道统一安排  ")
    assert fresh(need).state == Need.State.DECLINED
    (event,) = events(need, "need.declined")
    assert (event.reason, event.before, event.after) == ("已由街道统一安排", {"state": "raised"}, {"state": "declined"})


def test_a_declined_need_is_kept_and_counted_but_goes_no_further(world: w.World) -> None:
    need, other = raise_needs(world, 2)
    declined(world, need)
    assert need in needs_selectors.of_community(world.communities[0])
    assert needs_selectors.lifecycle(world.communities[0]).declined == 1
    with w.refused(IllegalTransition):
        declined(world, need)
    with w.refused(IllegalTransition):
        needs_services.resolve_need(world.community_workers[0], need)
    with w.refused(RuleViolation, match="Already decided"):
        plan(world, [need, other], voting=False)


def test_a_consulted_need_can_be_declined_but_a_prioritised_one_cannot(world: w.World) -> None:
    first, second = raise_needs(world, 2)
    declined(world, consulted(world, first))
    assert fresh(first).state == Need.State.DECLINED
    prioritised(world, second)
    with w.refused(IllegalTransition, match="cannot go from “Prioritised” to “Declined”"):
        declined(world, second)


def test_no_decline_while_the_need_is_voted_on(world: w.World) -> None:
    need, other = raise_needs(world, 2)
    meeting = plan(world, [need, other], quorum=1, priorities=2)
    with w.refused(RuleViolation, match="being voted on"):
        declined(world, need)
    needs_services.cast_ballot(world.residents[0][0], meeting, {need.pk: 1})
    needs_services.close_meeting(world.community_workers[0], meeting)
    assert states(need, other) == [Need.State.PRIORITISED, Need.State.CONSULTED]


def test_declining_takes_the_need_off_planned_agendas(world: w.World) -> None:
    need, other = raise_needs(world, 2)
    meeting = plan(world, [need, other], voting=False)
    declined(world, need)
    assert list(meeting.agenda.values_list("pk", flat=True)) == [other.pk]


def test_a_stale_copy_of_a_merged_need_cannot_be_declined(world: w.World) -> None:
    keep, duplicate = raise_needs(world, 2)
    stale = Need.objects.get(pk=duplicate.pk)
    needs_services.merge_needs(world.community_workers[0], duplicate, keep)
    with w.refused(IllegalTransition, match="cannot go from “Merged into another”"):
        declined(world, stale)


# --- resolving and being addressed ------------------------------------------------------------


def test_a_prioritised_need_is_resolved(world: w.World) -> None:
    need = prioritised(world, raise_needs(world, 1)[0])
    needs_services.resolve_need(world.community_workers[0], need)
    assert fresh(need).state == Need.State.RESOLVED
    assert fresh(need).priority == 1  # the rank the meeting gave stays on record
    with w.refused(IllegalTransition, match="cannot go from “Resolved” to “Resolved”"):
        needs_services.resolve_need(world.community_workers[0], need)
    with w.refused(IllegalTransition):
        declined(world, need)


@pytest.mark.parametrize("state", ["raised", "consulted", "merged", "declined"])
def test_only_a_prioritised_or_addressed_need_is_resolved(world: w.World, state: str) -> None:
    need, other = raise_needs(world, 2)
    if state == "consulted":
        consulted(world, need)
    elif state == "merged":
        needs_services.merge_needs(world.community_workers[0], need, other)
    elif state == "declined":
        declined(world, need)
    with w.refused(IllegalTransition):
        needs_services.resolve_need(world.community_workers[0], need)


def test_a_stale_copy_of_a_resolved_need_cannot_be_resolved_again(world: w.World) -> None:
    need = prioritised(world, raise_needs(world, 1)[0])
    stale = Need.objects.get(pk=need.pk)
    needs_services.resolve_need(world.community_workers[0], need)
    with w.refused(IllegalTransition):
        needs_services.resolve_need(world.community_workers[0], stale)


def test_marking_addressed_moves_only_prioritised_needs(world: w.World) -> None:
    raised, chosen = raise_needs(world, 2)
    chosen = prioritised(world, chosen)
    stale = Need.objects.get(pk=chosen.pk)
    needs_services.mark_addressed(world.managers[1], raised)
    needs_services.mark_addressed(world.managers[1], chosen)
    needs_services.mark_addressed(world.managers[1], stale)  # a second contract on the same need: no change
    assert states(raised, chosen) == [Need.State.RAISED, Need.State.ADDRESSED]
    assert len(events(chosen, "need.addressed")) == 1
    needs_services.resolve_need(world.community_workers[0], chosen)
    assert fresh(chosen).state == Need.State.RESOLVED


# --- planning a meeting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"agenda": []}, "lists needs of this community"),
        ({"title": "  "}, "needs a title"),
        ({"rule": "borda"}, "Unknown voting rule"),
        ({"quorum": 0}, "at least 1"),
        ({"priorities": 0}, "at least 1"),
        ({"approvals": 0}, "at least 1"),
        ({"points": 0}, "at least 1"),
    ],
)
def test_a_meeting_is_planned_with_sound_settings(world: w.World, changes: dict[str, Any], match: str) -> None:
    need = raise_needs(world, 1)[0]
    arguments: dict[str, Any] = {
        "community": world.communities[0],
        "title": "议事会",
        "held_on": MEETING_DAY,
        "agenda": [need],
        "participants": [],
        **changes,
    }
    with w.refused(RuleViolation, match=match):
        needs_services.plan_meeting(world.community_workers[0], **arguments)


def test_the_agenda_holds_only_open_needs_of_the_community(world: w.World) -> None:
    mine, theirs = raise_needs(world, 1)[0], raise_needs(world, 1, community=1)[0]
    with w.refused(RuleViolation, match="lists needs of this community"):
        plan(world, [mine, theirs], voting=False)
    decided = prioritised(world, raise_needs(world, 1)[0])
    with w.refused(RuleViolation, match=f"Already decided, so not on an agenda: {decided.title}"):
        plan(world, [mine, decided], voting=False)


def test_a_stale_copy_of_a_merged_need_is_not_put_on_an_agenda(world: w.World) -> None:
    keep, duplicate = raise_needs(world, 2)
    stale = Need.objects.get(pk=duplicate.pk)
    needs_services.merge_needs(world.community_workers[0], duplicate, keep)
    with w.refused(RuleViolation, match="Already decided"):
        plan(world, [keep, stale], voting=False)


def test_a_planned_meeting_is_recorded(world: w.World) -> None:
    first, second = raise_needs(world, 2)
    meeting = plan(world, [first, second], voting=False, rule="points", points=12, approvals=4, quorum=3, priorities=2)
    assert (meeting.state, meeting.rule, meeting.points_per_participant, meeting.approvals_per_participant) == (
        Meeting.State.PLANNED,
        "points",
        12,
        4,
    )
    assert (meeting.quorum, meeting.priorities, meeting.held_on) == (3, 2, MEETING_DAY)
    assert events(meeting, "meeting.planned")[0].after == {"agenda": [first.pk, second.pk], "seats": 2}
    assert date(2025, 1, 20) == meeting.held_on
