"""Each OCDS release appears at its stage and never before, and keeps its id, date and content in every later
export: bids once the award list is publicised, awards from their publicity, contracts once signed, payments
and milestones as made; a new stage adds a release dated when it happened, not when it was exported."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from grassroots import cli
from grassroots.awards import services as award_services
from grassroots.contracts import services as contract_services
from grassroots.core.models import AuditEvent
from grassroots.disclosure import export, ocds, schemas, selectors
from grassroots.funding.models import Call
from tests import world as w

pytestmark = pytest.mark.django_db


def releases(today: date | None = None) -> dict[str, dict[str, Any]]:
    """Every release of every public call as public on `today` (default: the real today), by id."""
    zone = selectors.publisher().zone
    found = {}
    for process in selectors.processes(selectors.public_calls(), today=today):
        for release in ocds.releases_of(process, zone):
            assert schemas.release_errors(release) == [], release["id"]
            found[release["id"]] = release
    return found


def reviewed_call(world: w.World) -> tuple[Call, list[Any]]:
    """A street call with two competing applications, reviewed and ranked (the panel closed)."""
    call = w.open_street_call(world, w.open_program(world), reviewers_per_application=1)
    first = w.submitted_application(world, call, agency=0, requested="100000.00")
    second = w.submitted_application(world, call, agency=1, requested="90000.00")
    w.review_call(world, call, {first.pk: "90", second.pk: "80"})
    return call, [first, second]


def test_bids_are_disclosed_only_once_the_award_list_is_publicised(world: w.World) -> None:
    call, applications = reviewed_call(world)
    competitor = applications[1].lead_agency.uscc

    def disclosed(today: date | None = None) -> tuple[list[str], str]:
        found = releases(today)
        return [i for i, r in found.items() if "bids" in r], export.dumps(list(found.values()))

    # Reviewed and ranked, and then proposed: the panel has closed, yet no competitor sees another's bid.
    assert disclosed() == ([], disclosed()[1]) and competitor not in disclosed()[1]
    award_list = award_services.propose_awards(world.officer_of(call.issuer), call)
    assert disclosed()[0] == [] and competitor not in disclosed()[1]
    award_services.start_publicity(world.officer_of(call.issuer), award_list, starts_on=w.PUBLICITY_START)
    before, text = disclosed(w.PUBLICITY_START - timedelta(days=1))
    assert before == [] and competitor not in text  # publicity has not begun that day

    ocid = selectors.ocid_of(call)
    assert disclosed(w.PUBLICITY_START)[0] == [f"{ocid}-bids"]
    bids = releases(w.PUBLICITY_START)[f"{ocid}-bids"]
    assert bids["date"] == ocds.day_start(w.PUBLICITY_START, selectors.publisher().zone)
    assert {d["id"] for d in bids["bids"]["details"]} == {a.reference for a in applications}
    assert {d["status"] for d in bids["bids"]["details"]} == {"valid"}
    assert {s["measure"] for s in bids["bids"]["statistics"]} <= schemas.codelists()["bidStatistics.csv"]


def test_awards_contracts_and_payments_appear_only_at_their_stage(world: w.World) -> None:
    call, _applications = reviewed_call(world)
    ocid = selectors.ocid_of(call)
    officer = world.officer_of(call.issuer)
    award_list = award_services.propose_awards(officer, call)
    assert not any(r.get("awards") for r in releases().values())  # proposed is not publicised
    starts_on = timezone.localdate() + timedelta(days=3)
    award_services.start_publicity(officer, award_list, starts_on=starts_on)
    assert not any(r.get("awards") for r in releases().values())  # publicity begins in three days
    assert [i for i, r in releases(starts_on).items() if r.get("awards")] == [f"{ocid}-award-{award_list.pk}"]

    award_list.publicity_from, award_list.publicity_until = w.PUBLICITY_START, w.DECISION_DAY
    award_list.save(update_fields=["publicity_from", "publicity_until"])
    w.decide(world, award_list)
    award = award_list.awards.order_by("application__rank").first()
    assert award is not None
    contract = contract_services.draft_contract(officer, award, starts_on=w.CONTRACT_START)
    assert not any(r.get("contracts") for r in releases().values())  # a draft contract is not public
    contract_services.sign_contract(world.manager_of(contract.agency), contract, on=w.SIGNED_ON)
    assert [i for i, r in releases().items() if r.get("contracts")] == [f"{ocid}-contract-{contract.number}"]

    w.accept_milestone(world, contract, "start", date(2025, 4, 15))
    payment = w.pay(world, contract, 1, date(2025, 4, 20))
    implementation = [i for i, r in releases(date(2025, 4, 19)).items() if "implementation" in r["tag"]]
    assert implementation == [f"{ocid}-milestone-{contract.number}-start"]  # paid on the 20th, not yet
    paid = releases()[f"{ocid}-payment-{contract.number}-tranche-1"]
    [transaction] = paid["contracts"][0]["implementation"]["transactions"]
    assert transaction["value"] == {"amount": float(payment.amount), "currency": "CNY"}
    assert paid["date"] == ocds.day_end(date(2025, 4, 20), selectors.publisher().zone)


def test_releases_keep_their_ids_and_dates_and_a_new_stage_is_dated_when_it_happened(world: w.World) -> None:
    contract = w.funded_contract(world)
    w.accept_milestone(world, contract, "start", date(2025, 4, 15))
    first = releases()
    later = timezone.now() + timedelta(days=40)
    with mock.patch("django.utils.timezone.now", return_value=later):
        again = releases(later.date())
    assert again == first  # the same releases, ids, dates and contents: an export's time changes nothing

    w.pay(world, contract, 1, date(2025, 4, 20))
    paid = releases()
    assert {i: paid[i] for i in first} == first  # every earlier release unchanged
    [new] = set(paid) - set(first)
    assert new.endswith(f"-payment-{contract.number}-tranche-1")
    assert paid[new]["date"] == ocds.day_end(date(2025, 4, 20), selectors.publisher().zone)

    contract_services.terminate(world.officer_of(contract.purchaser), contract, "机构撤场")
    event = AuditEvent.objects.get(action="contract.terminated", object_id=str(contract.pk))
    with mock.patch("django.utils.timezone.now", return_value=later):
        ended = releases(later.date())
    assert {i: ended[i] for i in paid} == paid
    [end] = set(ended) - set(paid)
    assert ended[end]["tag"] == ["contractTermination"]
    assert ended[end]["date"] == ocds.moment(event.at, selectors.publisher().zone)  # not the export's time
    assert releases() == ended


def test_export_with_nothing_to_export_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["export-ocds", "--out", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "nothing to export: no public call" and err.count("\n") == 1
    assert not (tmp_path / "empty").exists()


def test_export_with_a_filter_matching_nothing_exits_2(
    world: w.World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w.open_street_call(world, w.open_program(world))
    assert cli.main(["export-ocds", "--out", str(tmp_path / "y"), "--year", "1999", "--by-year"]) == 2
    assert capsys.readouterr().err.strip() == "nothing to export: no public call matches --year 1999"
    assert not (tmp_path / "y").exists()
    assert cli.main(["export-ocds", "--out", str(tmp_path / "all")]) == 0
