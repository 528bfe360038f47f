"""An application names the residents' needs it answers: needs of its partner communities that still stand,
linked by the lead agency's manager while it is a draft; signing the contract marks them addressed."""

from __future__ import annotations

from typing import Any

import pytest

from grassroots.applications import services as application_services
from grassroots.applications.models import Application
from grassroots.contracts.models import Contract
from grassroots.core.errors import Forbidden, RuleViolation
from grassroots.funding.models import Call
from grassroots.needs import selectors as needs_selectors
from grassroots.needs import services as needs_services
from grassroots.needs.models import Need
from grassroots.needs.selectors import Lifecycle
from tests import world as w
from tests.needs.consult import events, fresh, plan, raise_needs

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(world: w.World) -> Call:
    return w.open_street_call(world, w.open_program(world), reviewers_per_application=1)


def prioritise(world: w.World, needs: list[Need], community: int = 0) -> list[Need]:
    """A quorate meeting of the community's two residents that prioritises all of `needs`."""
    meeting = plan(world, needs, community=community, quorum=2, priorities=len(needs), approvals=len(needs))
    for resident in world.residents[community]:
        needs_services.cast_ballot(resident, meeting, {n.pk: 1 for n in needs})
    needs_services.close_meeting(world.community_workers[community], meeting)
    return [fresh(n) for n in needs]


def standing_need(world: w.World, state: str, community: int = 0) -> Need:
    """A need of `community` in `state` (reached through the services)."""
    need, other = raise_needs(world, 2, community=community)
    worker = world.community_workers[community]
    if state == "merged":
        needs_services.merge_needs(worker, need, other)
    elif state == "declined":
        needs_services.decline_need(worker, need, "超出范围")
    elif state in ("prioritised", "resolved"):
        prioritise(world, [need], community)
        if state == "resolved":
            needs_services.resolve_need(worker, need)
    elif state == "consulted":
        needs_services.close_meeting(worker, plan(world, [need], community=community, quorum=1))
    need = fresh(need)
    assert need.state == state
    return need


# --- at drafting ----------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["raised", "consulted", "prioritised"])
def test_a_draft_links_standing_needs_of_its_partner_communities(world: w.World, call: Call, state: str) -> None:
    need = standing_need(world, state)
    west = standing_need(world, "prioritised", community=1)
    application = w.draft_application(
        world, call, communities=[world.communities[0], world.communities[1]], needs=[need, west]
    )
    assert set(application.needs.all()) == {need, west}
    assert {n.state for n in application.needs.all()} == {state, "prioritised"}


def test_a_draft_refuses_a_need_of_a_community_that_is_not_a_partner(world: w.World, call: Call) -> None:
    west = standing_need(world, "prioritised", community=1)
    with w.refused(RuleViolation, match="is a need of a community that is not a partner"):
        w.draft_application(world, call, communities=[world.communities[0]], needs=[west])
    south = standing_need(world, "prioritised", community=2)  # the other street's: not even in the call's area
    with w.refused(RuleViolation, match="is a need of a community that is not a partner"):
        w.draft_application(world, call, communities=[world.communities[0]], needs=[south])
    east = standing_need(world, "raised")
    with w.refused(RuleViolation, match="is a need of a community that is not a partner"):
        w.draft_application(world, call, communities=[], needs=[east])


@pytest.mark.parametrize(
    ("state", "label"), [("merged", "Merged into another"), ("declined", "Declined"), ("resolved", "Resolved")]
)
def test_a_draft_refuses_a_need_that_no_longer_stands(world: w.World, call: Call, state: str, label: str) -> None:
    need = standing_need(world, state)
    with w.refused(RuleViolation, match=f"is {label}: link the needs that stand"):
        w.draft_application(world, call, needs=[need])


def test_a_draft_reads_the_needs_afresh(world: w.World, call: Call) -> None:
    """A need declined since the applicant loaded it is refused, whatever the applicant's copy says."""
    need = raise_needs(world, 1)[0]
    stale = Need.objects.get(pk=need.pk)
    needs_services.decline_need(world.community_workers[0], need, "已解决")
    assert stale.state == Need.State.RAISED
    with w.refused(RuleViolation, match="is Declined"):
        w.draft_application(world, call, needs=[stale])


# --- linking later ---------------------------------------------------------------------------------


def test_the_lead_manager_links_and_relinks_needs_on_a_draft(world: w.World, call: Call) -> None:
    first, second = prioritise(world, raise_needs(world, 2))
    application = w.draft_application(world, call, needs=[first])
    manager = world.managers[0]
    application_services.link_needs(manager, application, [second])
    assert list(application.needs.all()) == [second]
    application_services.link_needs(manager, application, [first, second])
    assert set(application.needs.all()) == {first, second}
    application_services.link_needs(manager, application, [])
    assert not application.needs.exists()
    assert [e.after for e in events(application, "application.needs")] == [
        {"needs": [second.pk]},
        {"needs": [first.pk, second.pk]},
        {"needs": []},
    ]


@pytest.mark.parametrize(
    "who", ["other agency manager", "agency social worker", "street officer", "community worker", "resident", "nobody"]
)
def test_only_the_lead_agencys_manager_links_needs(world: w.World, call: Call, who: str) -> None:
    need = standing_need(world, "prioritised")
    application = w.draft_application(world, call)
    actors: dict[str, Any] = {
        "other agency manager": world.managers[1],
        "agency social worker": world.social_workers[0][0].user,
        "street officer": world.street_officer,
        "community worker": world.community_workers[0],
        "resident": world.residents[0][0],
        "nobody": None,
    }
    with w.refused(Forbidden, match="Only a manager of"):
        application_services.link_needs(actors[who], application, [need])


def test_needs_are_linked_only_on_a_draft(world: w.World, call: Call) -> None:
    need = standing_need(world, "prioritised")
    application = w.submitted_application(world, call)
    with w.refused(RuleViolation, match="Only a draft application is changed"):
        application_services.link_needs(world.managers[0], application, [need])
    # Not even through a copy loaded while it was still a draft.
    draft = w.draft_application(world, call, title="第二份申报")
    stale = Application.objects.get(pk=draft.pk)
    application_services.submit(world.managers[0], draft, on=w.SUBMITTED_ON)
    with w.refused(RuleViolation, match="Only a draft application is changed"):
        application_services.link_needs(world.managers[0], stale, [need])


@pytest.mark.parametrize("state", ["merged", "declined", "resolved"])
def test_linking_refuses_a_need_that_no_longer_stands(world: w.World, call: Call, state: str) -> None:
    application = w.draft_application(world, call)
    need = standing_need(world, state)
    with w.refused(RuleViolation, match="link the needs that stand"):
        application_services.link_needs(world.managers[0], application, [need])


def test_linking_refuses_a_need_of_another_community(world: w.World, call: Call) -> None:
    application = w.draft_application(world, call, communities=[world.communities[0]])
    west = standing_need(world, "prioritised", community=1)
    with w.refused(RuleViolation, match="not a partner"):
        application_services.link_needs(world.managers[0], application, [west])


def test_linking_reads_the_needs_afresh(world: w.World, call: Call) -> None:
    keep, duplicate = raise_needs(world, 2)
    application = w.draft_application(world, call)
    stale = Need.objects.get(pk=duplicate.pk)
    needs_services.merge_needs(world.community_workers[0], duplicate, keep)
    with w.refused(RuleViolation, match="is Merged into another"):
        application_services.link_needs(world.managers[0], application, [stale])


# --- the contract answers the needs -----------------------------------------------------------------


def contract_for(world: w.World, call: Call, needs: list[Need], agency: int = 1) -> Contract:
    application = w.submitted_application(world, call, agency=agency, needs=needs)
    w.review_call(world, call, {application.pk: "85"})
    award_list = w.decide(world, w.publicise(world, call))
    return w.signed_contract(world, award_list.awards.get())


def test_signing_the_contract_marks_the_linked_needs_addressed(world: w.World, call: Call) -> None:
    community = world.communities[0]
    answered, other = prioritise(world, raise_needs(world, 2))
    assert needs_selectors.lifecycle(community) == Lifecycle(2, 2, 2, 0, 0, 0)
    assert {n.pk for n in needs_selectors.prioritised_in(world.street)} == {answered.pk, other.pk}

    contract = contract_for(world, call, [answered])

    assert contract.state == Contract.State.ACTIVE
    assert (fresh(answered).state, fresh(other).state) == (Need.State.ADDRESSED, Need.State.PRIORITISED)
    assert needs_selectors.lifecycle(community) == Lifecycle(2, 2, 2, 1, 0, 0)
    assert [n.pk for n in needs_selectors.prioritised_in(world.street)] == [other.pk]
    assert list(needs_selectors.answered_by(answered)) == [contract]
    assert list(needs_selectors.answered_by(other)) == []
    (event,) = events(answered, "need.addressed")
    assert event.actor_id == world.managers[1].pk  # the agency's countersignature

    needs_services.resolve_need(world.community_workers[0], answered)
    assert needs_selectors.lifecycle(community) == Lifecycle(2, 2, 2, 1, 1, 0)


def test_a_need_linked_before_it_was_declined_does_not_stop_the_contract(world: w.World, call: Call) -> None:
    """The need was linked while it stood; the contract is still signed, and the need stays declined."""
    linked, other = raise_needs(world, 2)
    application = w.submitted_application(world, call, agency=1, needs=[linked, other])
    needs_services.decline_need(world.community_workers[0], linked, "社区已自行解决")
    w.review_call(world, call, {application.pk: "85"})
    contract = w.signed_contract(world, w.decide(world, w.publicise(world, call)).awards.get())
    assert contract.state == Contract.State.ACTIVE
    assert fresh(linked).state == Need.State.DECLINED
    assert fresh(other).state == Need.State.RAISED  # never consulted: a contract does not prioritise it
