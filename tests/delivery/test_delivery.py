"""Service records and expenditures under an active contract; no budget line is ever overspent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from grassroots.contracts import services as contract_services
from grassroots.contracts.models import Contract, ContractLine
from grassroots.core.errors import RuleViolation, ValidationError
from grassroots.delivery import services as delivery_services
from grassroots.delivery.models import Expenditure, ServiceRecord
from tests import world as w

pytestmark = pytest.mark.django_db

D = Decimal
DAY = date(2025, 6, 1)


@pytest.fixture(scope="module")
def contract_pk(module_world: w.World, django_db_blocker: Any) -> Iterator[int]:
    with w.kept_for_module(django_db_blocker) as unblocked:
        with unblocked():
            pk = w.funded_contract(w.reload(module_world), agency=1, requested="100000.00").pk
        yield pk


@pytest.fixture
def contract(contract_pk: int, world: w.World) -> Contract:
    return Contract.objects.get(pk=contract_pk)


def line(contract: Contract, head: str = "activities") -> ContractLine:
    return contract.lines.get(head=head)


def spend(
    world: w.World, contract: Contract, amount: object, *, on: date = DAY, head: str = "activities"
) -> Expenditure:
    return delivery_services.record_expenditure(
        world.managers[1], contract, line=line(contract, head), spent_on=on, amount=amount, description="活动物资"
    )


def test_a_line_can_be_spent_to_the_last_cent_and_no_further(world: w.World, contract: Contract) -> None:
    activities = line(contract)
    assert activities.amount == D("40000.00")
    spend(world, contract, "39999.99")
    with w.refused(RuleViolation, match=r"more than is left on the line .* \(0\.010*\)"):
        spend(world, contract, "0.02")
    spend(world, contract, "0.01")
    assert delivery_services.spent_on_line(activities) == activities.amount
    with w.refused(RuleViolation, match="more than is left"):
        spend(world, contract, "0.01")


@pytest.mark.parametrize(
    ("amount", "error", "match"),
    [
        (100.0, ValidationError, "float"),
        ("100.001", ValidationError, "two decimal places"),
        ("一百", ValidationError, "not an amount"),
        ("0", RuleViolation, "positive amount"),
        ("-5.00", RuleViolation, "positive amount"),
    ],
)
def test_an_expenditure_is_a_positive_amount(
    world: w.World, contract: Contract, amount: object, error: type, match: str
) -> None:
    with w.refused(error, match=match):
        spend(world, contract, amount)


def test_an_expenditure_lies_within_the_term_and_on_the_contracts_own_line(world: w.World, contract: Contract) -> None:
    with w.refused(RuleViolation, match="outside the contract term"):
        spend(world, contract, "10.00", on=date(2025, 3, 31))
    other = w.funded_contract(world, agency=1, requested="50000.00", program=w.open_program(world, title="另一个"))
    with w.refused(RuleViolation, match="belongs to another contract"):
        delivery_services.record_expenditure(
            world.managers[1], contract, line=line(other), spent_on=DAY, amount="10.00", description="串账"
        )


def test_a_service_record_is_kept_with_its_workers_and_counts(world: w.World, contract: Contract) -> None:
    worker = world.social_workers[1][0]
    item = delivery_services.record_service(
        worker.user,
        contract,
        kind="case",
        held_on=DAY,
        title="独居老人个案探访",
        social_workers=[worker, world.social_workers[1][2]],
        beneficiaries=1,
        beneficiary_codes=["C-001"],
        service_hours="1.5",
    )
    assert item.recorded_by == worker
    assert set(item.social_workers.all()) == {worker, world.social_workers[1][2]}
    assert (item.service_hours, item.beneficiary_codes) == (D("1.5"), ["C-001"])


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"kind": "party"}, "Unknown kind of service"),
        ({"title": " "}, "needs a title"),
        ({"held_on": date(2026, 4, 1)}, "outside the contract term"),
        ({"beneficiaries": -1}, "cannot be negative"),
        ({"service_hours": "-2"}, "cannot be negative"),
        ({"volunteer_hours": "lots"}, "must be a number"),
    ],
)
def test_a_service_record_is_checked(
    world: w.World, contract: Contract, changes: dict[str, object], match: str
) -> None:
    worker = world.social_workers[1][0]
    arguments: dict[str, object] = {
        "kind": "group",
        "held_on": DAY,
        "title": "小组活动",
        "social_workers": [worker],
        **changes,
    }
    with w.refused(RuleViolation, match=match):
        delivery_services.record_service(worker.user, contract, **arguments)  # type: ignore[arg-type]


def test_the_workers_of_a_service_record_are_the_agencys(world: w.World, contract: Contract) -> None:
    with w.refused(RuleViolation, match="Name the agency's social workers"):
        delivery_services.record_service(
            world.managers[1],
            contract,
            kind="group",
            held_on=DAY,
            title="别家社工",
            social_workers=[world.social_workers[0][0]],
        )
    with w.refused(RuleViolation, match="Name the agency's social workers"):
        delivery_services.record_service(
            world.managers[1], contract, kind="group", held_on=DAY, title="没人", social_workers=[]
        )


def test_nothing_is_recorded_on_a_contract_that_is_not_active(world: w.World, contract: Contract) -> None:
    contract_services.terminate(world.street_officer, contract, "机构注销")
    worker = world.social_workers[1][0]
    with w.refused(RuleViolation, match="is not active"):
        delivery_services.record_service(
            worker.user, contract, kind="group", held_on=DAY, title="终止后", social_workers=[worker]
        )
    with w.refused(RuleViolation, match="is not active"):
        spend(world, contract, "10.00")
    assert not ServiceRecord.objects.filter(contract=contract).exists()
