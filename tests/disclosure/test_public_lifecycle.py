"""What becomes public when: a call once opened, an award list once its publicity has begun, a contract once
signed, a grade once accepted; and the charts' sums (a contract's amount shared among its communities)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from grassroots.awards import services as award_services
from grassroots.awards.api import AwardOut
from grassroots.contracts import services as contract_services
from grassroots.disclosure import selectors
from grassroots.evaluation import services as evaluation_services
from tests import world as w

pytestmark = pytest.mark.django_db


def test_each_object_becomes_public_at_its_moment(world: w.World) -> None:
    program = w.open_program(world)
    call = w.open_street_call(world, program, reviewers_per_application=1)
    assert list(selectors.calls()) == [call]
    application = w.submitted_application(world, call, agency=1, communities=world.communities[:2])
    assert call.pk in [c.pk for c in selectors.calls()] and selectors.calls().get().handed_in == 1
    w.review_call(world, call, {application.pk: "85"})

    officer = world.officer_of(call.issuer)
    award_list = award_services.propose_awards(officer, call)
    assert not selectors.award_lists().exists()  # proposed, not publicised
    award_services.start_publicity(officer, award_list, starts_on=date(2025, 3, 10))
    assert not selectors.award_lists(today=date(2025, 3, 9)).exists()  # publicity has not begun
    assert list(selectors.award_lists(today=date(2025, 3, 10))) == [award_list]
    assert [a.application_id for a in selectors.awards_on(award_list)] == [application.pk]

    w.decide(world, award_list)
    award = award_list.awards.get()
    contract = contract_services.draft_contract(officer, award, starts_on=w.CONTRACT_START)
    assert not selectors.contracts().exists()  # a draft contract is not public
    contract_services.sign_contract(world.manager_of(contract.agency), contract, on=w.SIGNED_ON)
    public = selectors.contracts().get()
    assert public.pk == contract.pk and public.paid == Decimal("0.00")
    w.accept_milestone(world, contract, "start", date(2025, 4, 15))
    w.pay(world, contract, 1, date(2025, 4, 20))
    for org in (world.communities[0], contract.agency, contract.purchaser):  # two partners: paid counted once
        [listed] = selectors.organization_parts(org).contracts
        assert listed.paid == Decimal("30000.00")

    evaluation = evaluation_services.assign_evaluation(officer, contract, evaluator=world.evaluator_org, kind="midterm")
    evaluation_services.submit_evaluation(
        world.evaluator, evaluation, scores=w.evaluation_scores(evaluation, "91"), summary="s", on=date(2025, 9, 30)
    )
    assert not selectors.evaluations().exists()  # submitted, not yet accepted
    evaluation_services.accept_evaluation(officer, evaluation)
    graded = selectors.evaluations().get()
    assert graded.grade == "excellent"
    dimensions = selectors.dimensions_of(graded)
    assert sum((d.earned or 0 for d in dimensions), Decimal(0)) == Decimal("91.00")
    assert sum((d.item.weight for d in dimensions), Decimal(0)) == Decimal(100)

    # The charts: the contract's amount shared equally by its two partner communities.
    by_community = {share.key.pk: share for share in selectors.funds_by_community(w.FY)}
    assert {k: s.amount for k, s in by_community.items()} == {
        world.communities[0].pk: Decimal("50000.00"),
        world.communities[1].pk: Decimal("50000.00"),
    }
    assert {s.width for s in by_community.values()} == {100}
    [category] = selectors.funds_by_category(w.FY)
    assert (category.key.code, category.amount, category.count) == ("elderly", Decimal("100000.00"), 1)
    assert selectors.funds_by_category(w.FY + 1) == []
    figures = selectors.figures(w.FY)
    assert (figures.contracts, figures.contracted, figures.awarded) == (1, Decimal("100000.00"), Decimal("100000.00"))
    assert figures.paid == Decimal("30000.00")


def test_a_draft_terminated_before_signing_never_becomes_public(world: w.World) -> None:
    """A draft the purchaser withdrew before the agency signed it was never a contract: not on the portal, in
    the charts, or as the award's contract in the API."""
    program = w.open_program(world)
    call = w.open_street_call(world, program, reviewers_per_application=1)
    application = w.submitted_application(world, call, agency=1, communities=world.communities[:2])
    w.review_call(world, call, {application.pk: "85"})
    officer = world.officer_of(call.issuer)
    award_list = award_services.propose_awards(officer, call)
    award_services.start_publicity(officer, award_list, starts_on=date(2025, 3, 10))
    w.decide(world, award_list)
    contract = contract_services.draft_contract(officer, award_list.awards.get(), starts_on=w.CONTRACT_START)
    contract_services.terminate(officer, contract, "机构未签约")
    contract.refresh_from_db()
    assert contract.state == contract.State.TERMINATED and contract.signed_on is None

    assert not selectors.contracts().exists()
    assert selectors.funds().by_community == [] and selectors.funds().by_agency == []
    assert selectors.figures().contracts == 0
    assert AwardOut.resolve_contract_id(award_list.awards.get()) is None
