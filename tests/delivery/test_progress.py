"""Indicator progress from service records, budget execution, and the alerts of a running contract."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from grassroots.delivery import progress
from grassroots.delivery import selectors as delivery_selectors
from grassroots.delivery import services as delivery_services
from tests import world as w

D = Decimal
TOTALS = [
    progress.Totals("case", sessions=10, beneficiaries=10, service_hours=D("15"), resident_participants=0),
    progress.Totals("group", sessions=4, beneficiaries=40, service_hours=D("8"), volunteer_hours=D("6")),
    progress.Totals("community", sessions=2, beneficiaries=300, resident_participants=280, volunteer_hours=D("20")),
]


@pytest.mark.parametrize(
    ("measure", "kind", "expected"),
    [
        ("sessions", "case", D(10)),
        ("sessions", "", D(16)),
        ("beneficiaries", "group", D(40)),
        ("hours", "", D(23)),
        ("volunteer_hours", "", D(26)),
        ("residents", "community", D(280)),
    ],
)
def test_an_output_indicator_is_derived_from_the_records(measure: str, kind: str, expected: Decimal) -> None:
    result = progress.measure(progress.Target("x", measure, kind, D(20)), TOTALS)
    assert result.derived and result.actual == expected
    assert result.share == expected / 20


def test_a_manual_indicator_waits_for_a_report() -> None:
    assert progress.measure(progress.Target("满意度", "manual", "", D(90)), TOTALS).actual is None
    reported = progress.measure(progress.Target("满意度", "manual", "", D(90), reported=D(93)), TOTALS)
    assert reported.actual == D(93) and not reported.derived


def test_time_elapsed_and_execution_rate() -> None:
    assert progress.elapsed(date(2025, 1, 1), date(2025, 12, 31), date(2024, 12, 1)) == 0
    assert progress.elapsed(date(2025, 1, 1), date(2025, 12, 31), date(2026, 3, 1)) == 1
    half = progress.elapsed(date(2025, 1, 1), date(2025, 12, 31), date(2025, 7, 2))
    assert D("0.49") < half < D("0.51")
    assert progress.execution_rate(D(25), D(100)) == D("0.25")
    assert progress.execution_rate(D(0), D(0)) is None


def facts(**kwargs: object) -> progress.Facts:
    base: dict[str, object] = {
        "starts_on": date(2025, 1, 1),
        "ends_on": date(2025, 12, 31),
        "budget": D(100000),
        "spent": D(50000),
        "milestones": [("start", date(2025, 1, 31), True), ("midterm", date(2025, 7, 1), True)],
        "progress": [progress.Progress("小组", D(20), D(10), True)],
        "last_record": date(2025, 6, 25),
    }
    base.update(kwargs)
    return progress.Facts(**base)  # type: ignore[arg-type]


TODAY = date(2025, 7, 2)  # half the term


def test_a_contract_on_track_has_no_alerts() -> None:
    assert progress.alerts(facts(), TODAY) == []


@pytest.mark.parametrize(
    ("change", "kind", "text"),
    [
        ({"milestones": [("midterm", date(2025, 7, 1), False)]}, "milestone", "was due on 2025-07-01"),
        ({"spent": D(20000)}, "spending", "20% of the budget is spent after 50% of the term"),
        ({"spent": D(80000)}, "spending", "80% of the budget is already spent after 50% of the term"),
        ({"progress": [progress.Progress("小组", D(20), D(4), True)]}, "indicator", "“小组” is at 20% of its target"),
        ({"last_record": date(2025, 5, 20)}, "records", "no service recorded since 2025-05-20"),
        ({"last_record": None}, "records", "no service recorded in the first 182 days"),
    ],
)
def test_each_kind_of_alert(change: dict[str, object], kind: str, text: str) -> None:
    found = progress.alerts(facts(**change), TODAY)
    assert [a.kind for a in found] == [kind]
    assert text in found[0].message


def test_the_boundaries_are_inclusive_of_the_tolerance() -> None:
    exact = progress.elapsed(date(2025, 1, 1), date(2025, 12, 31), TODAY) - progress.TOLERANCE
    assert progress.alerts(facts(spent=(D(100000) * exact).quantize(D("0.01")) + 1), TODAY) == []


@pytest.mark.django_db
def test_the_selectors_read_a_real_contract(world: w.World) -> None:
    contract = w.funded_contract(world)
    worker = world.social_workers[1][0]
    for day in (date(2025, 4, 3), date(2025, 4, 10)):
        delivery_services.record_service(
            world.manager_of(contract.agency),
            contract,
            kind="group",
            held_on=day,
            title="小组活动",
            social_workers=[worker],
            beneficiaries=12,
        )
    line = contract.lines.order_by("pk").first()
    assert line is not None
    delivery_services.record_expenditure(
        world.manager_of(contract.agency),
        contract,
        line=line,
        spent_on=date(2025, 4, 11),
        amount="1000.00",
        description="活动物资",
    )
    today = date(2025, 4, 20)
    result = delivery_selectors.contract_progress(contract, today)
    by_name = {p.name: p for p in result.indicators}
    assert by_name["小组活动节数"].actual == 2 and by_name["服务对象人数"].actual == 24
    assert result.lines[0].spent == D("1000.00") and result.lines[0].rate == D("1000.00") / line.amount
    # Nothing is late after three weeks of a year-long contract, except the start milestone once due.
    assert [a.kind for a in result.alerts] in ([], ["milestone"])
    late = delivery_selectors.alerts_for([contract], date(2025, 6, 30))
    kinds = {a.kind for a in late[contract.pk]}
    assert "milestone" in kinds and "records" in kinds


@pytest.mark.django_db
def test_the_street_and_agency_dashboards_list_the_alerts(world: w.World, client: object) -> None:
    from django.test import Client

    contract = w.funded_contract(world)  # a 2025 contract with no milestone accepted: overdue by now
    for user in (world.street_officer, world.manager_of(contract.agency)):
        browser = Client()
        browser.force_login(user)
        html = browser.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert 'data-alert="milestone"' in html and contract.number in html
    outsider = Client()
    outsider.force_login(world.manager_of(world.agencies[2]))
    assert contract.number not in outsider.get("/").content.decode()
