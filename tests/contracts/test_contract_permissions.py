"""Who sees and who changes a contract, as a matrix of roles × actions.

The contract is agency 1's, bought by S Street for its community 0. Seeing is decided by
`contracts.selectors.visible_to`; every change goes through a service that checks the actor again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from grassroots.contracts import selectors as contract_selectors
from grassroots.contracts import services as contract_services
from grassroots.contracts.models import Contract
from grassroots.core.errors import Forbidden
from grassroots.delivery import services as delivery_services
from tests import world as w

ROLES: dict[str, Callable[[w.World], Any]] = {
    "agency manager": lambda world: world.managers[1],
    "agency social worker": lambda world: world.social_workers[1][0].user,
    "other agency manager": lambda world: world.managers[2],
    "partner community worker": lambda world: world.community_workers[0],
    "other community worker": lambda world: world.community_workers[2],
    "purchasing street officer": lambda world: world.street_officer,
    "other street officer": lambda world: world.other_street_officer,
    "department officer": lambda world: world.dept_officer,
    "resident": lambda world: world.residents[0][0],
    "evaluator (not assigned)": lambda world: world.evaluator,
}

SEES = {
    "agency manager",
    "agency social worker",
    "partner community worker",
    "purchasing street officer",
    "department officer",
}


def record_service(world: w.World, contract: Contract, actor: Any) -> Any:
    return delivery_services.record_service(
        actor,
        contract,
        kind="case",
        held_on=date(2025, 4, 8),
        title="个案访视",
        social_workers=[world.social_workers[1][0]],
        beneficiaries=1,
    )


def record_expenditure(world: w.World, contract: Contract, actor: Any) -> Any:
    line = contract.lines.order_by("pk").first()
    return delivery_services.record_expenditure(
        actor, contract, line=line, spent_on=date(2025, 4, 9), amount="100.00", description="交通费"
    )


def submit_milestone(world: w.World, contract: Contract, actor: Any) -> Any:
    return contract_services.submit_milestone(actor, contract.milestones.get(kind="start"), "开局报告")


def accept_milestone(world: w.World, contract: Contract, actor: Any) -> Any:
    milestone = contract.milestones.get(kind="start")
    return contract_services.review_milestone(actor, milestone, accept=True, on=date(2025, 4, 20))


def milestone_submitted(world: w.World, contract: Contract) -> None:
    contract_services.submit_milestone(world.managers[1], contract.milestones.get(kind="start"), "开局报告")


def nothing(world: w.World, contract: Contract) -> None:
    pass


Prepare = Callable[[w.World, Contract], None]
Action = Callable[[w.World, Contract, Any], Any]
ACTIONS: dict[str, tuple[Prepare, Action, set[str]]] = {
    "record a service": (nothing, record_service, {"agency manager", "agency social worker"}),
    "book an expenditure": (nothing, record_expenditure, {"agency manager"}),
    "submit a milestone": (nothing, submit_milestone, {"agency manager"}),
    "accept a milestone": (milestone_submitted, accept_milestone, {"purchasing street officer"}),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_who_sees_the_contract(world: w.World, role: str) -> None:
    contract = w.funded_contract(world)
    seen = contract_selectors.visible_to(ROLES[role](world)).filter(pk=contract.pk).exists()
    assert seen is (role in SEES)


@pytest.mark.django_db
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_who_changes_the_contract(world: w.World, role: str, action: str) -> None:
    contract = w.funded_contract(world)
    prepare, do, allowed = ACTIONS[action]
    prepare(world, contract)
    actor = ROLES[role](world)
    if role in allowed:
        do(world, contract, actor)
    else:
        with w.refused(Forbidden):
            do(world, contract, actor)
