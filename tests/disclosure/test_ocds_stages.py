"""Each OCDS release appears at its stage and never before, and keeps its id, date and content in every later
export: bids once the award list is publicised, awards from their publicity, contracts once signed, payments
and milestones as made; a new stage adds a release dated when it happened, not when it was exported."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from grassroots import cli
from grassroots.awards import services as award_services
from grassroots.contracts import services as contract_services
from grassroots.contracts.models import Contract
from grassroots.core.models import AuditEvent
from grassroots.disclosure import export, ocds, schemas, selectors
from grassroots.evaluation.models import Evaluation
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


def exported_releases(out: Path) -> dict[str, str]:
    """`grassroots export-ocds` into `out` (validating every release and record): each release's text, by id."""
    assert cli.main(["export-ocds", "--out", str(out)]) == 0
    package = json.loads((out / "release-package.json").read_text(encoding="utf-8"))
    return {r["id"]: export.dumps(r) for r in package["releases"]}


def test_an_extension_is_an_amendment_release_and_the_signed_contract_release_never_changes(
    world: w.World, tmp_path: Path
) -> None:
    contract = w.funded_contract(world)
    w.accept_milestone(world, contract, "start", date(2025, 4, 15))
    zone = selectors.publisher().zone
    signed_end, signed_final = contract.ends_on, w.milestone(contract, "final").due_on
    first = exported_releases(tmp_path / "signed")
    ocid = selectors.ocid_of(contract.award.award_list.call)
    signed_id = f"{ocid}-contract-{contract.number}"

    extensions = []
    for number, months in enumerate((3, 5), start=1):
        change = contract_services.request_extension(
            world.manager_of(contract.agency),
            contract,
            new_ends_on=contract_services.add_months(signed_end, months),
            reason=f"疫情停摆，第{number}次延期",
        )
        contract_services.approve_change(world.officer_of(contract.purchaser), change)
        change.refresh_from_db()
        extensions.append(change)
        again = exported_releases(tmp_path / f"extended-{number}")
        assert {i: again[i] for i in first} == first  # byte for byte: the signed contract's release included
        [new] = set(again) - set(first)
        assert new == f"{ocid}-amendment-{contract.number}-extension-{change.pk}"
        release = json.loads(again[new])
        assert schemas.release_errors(release) == []
        assert release["tag"] == ["contractAmendment"]
        assert release["date"] == ocds.moment(change.decided_at, zone)  # when it was approved
        [terms] = release["contracts"]
        assert terms["period"]["endDate"] == ocds.day_end(change.new_ends_on, zone)
        assert terms["implementation"]["milestones"] == [
            {"id": "final", "dueDate": ocds.day_end(change.new_ends_on, zone)}
        ]
        [amendment] = terms["amendments"]
        assert amendment["id"] == f"extension-{change.pk}" and amendment["rationale"] == change.reason
        assert amendment["date"] == release["date"] and amendment["releaseID"] == new
        # The first amends the contract as signed, the second the first amendment.
        amends = signed_id if number == 1 else f"{ocid}-amendment-{contract.number}-extension-{extensions[0].pk}"
        assert amendment["amendsReleaseID"] == amends
        first = again

    signed = json.loads(first[signed_id])["contracts"][0]
    assert signed["period"]["endDate"] == ocds.day_end(signed_end, zone)  # as signed, though the contract moved
    assert {m["id"]: m["dueDate"] for m in signed["implementation"]["milestones"]}["final"] == ocds.day_end(
        signed_final, zone
    )
    record = json.loads((tmp_path / "extended-2" / "record-package.json").read_text(encoding="utf-8"))["records"]
    [compiled] = [r["compiledRelease"]["contracts"][0] for r in record if r["ocid"] == ocid]
    assert compiled["period"]["endDate"] == ocds.day_end(extensions[-1].new_ends_on, zone)
    assert [a["id"] for a in compiled["amendments"]] == [f"extension-{c.pk}" for c in extensions]
    final = {m["id"]: m for m in compiled["implementation"]["milestones"]}["final"]
    assert final["dueDate"] == ocds.day_end(extensions[-1].new_ends_on, zone)


def test_an_amendment_is_public_from_its_approval_on(world: w.World) -> None:
    contract = w.funded_contract(world)
    change = contract_services.request_extension(
        world.manager_of(contract.agency),
        contract,
        new_ends_on=contract_services.add_months(contract.ends_on, 2),
        reason="延期",
    )
    contract_services.approve_change(world.officer_of(contract.purchaser), change)
    change.refresh_from_db()
    assert change.decided_at is not None
    approved = change.decided_at.astimezone(selectors.publisher().zone).date()
    before = releases(approved - timedelta(days=1))
    assert not [r for r in before.values() if r["tag"] == ["contractAmendment"]]
    [signed] = [r for r in before.values() if r["tag"] == ["contract"]]
    assert signed["contracts"][0]["period"]["endDate"].startswith(change.previous_ends_on.isoformat())
    assert [r["id"] for r in releases(approved).values() if r["tag"] == ["contractAmendment"]] == [
        f"{signed['ocid']}-amendment-{contract.number}-extension-{change.pk}"
    ]


def test_a_contract_completed_by_a_dated_payment_ends_on_that_day(world: w.World) -> None:
    contract = w.funded_contract(world)
    for kind, day in (("start", date(2025, 4, 15)), ("midterm", date(2025, 10, 1)), ("final", date(2026, 3, 20))):
        w.accept_milestone(world, contract, kind, day)
    w.evaluate(world, contract, Evaluation.Kind.FINAL, "95", date(2026, 3, 25))
    for position in (1, 2, 3):
        w.pay(world, contract, position, date(2026, 4, 2 + position))
    contract.refresh_from_db()
    assert contract.state == Contract.State.COMPLETED
    event = AuditEvent.objects.get(action="contract.completed", object_id=str(contract.pk))
    assert event.after["on"] == "2026-04-05"  # the day of the payment that settled it, not the day it was recorded
    [end] = [r for r in releases().values() if r["tag"] == ["contractTermination"]]
    assert end["date"] == ocds.day_end(date(2026, 4, 5), selectors.publisher().zone)


def test_an_extension_recorded_before_events_named_their_change_is_read_in_order(world: w.World) -> None:
    """Databases older than the change id in `contract.extended` pair its events with the extensions in order."""
    contract = w.funded_contract(world)
    signed_end = contract.ends_on
    for months in (2, 4):
        change = contract_services.request_extension(
            world.manager_of(contract.agency),
            contract,
            new_ends_on=contract_services.add_months(signed_end, months),
            reason="延期",
        )
        contract_services.approve_change(world.officer_of(contract.purchaser), change)
    named = releases()
    for event in AuditEvent.objects.filter(action="contract.extended", object_id=str(contract.pk)):
        AuditEvent.objects.filter(pk=event.pk).update(after={k: v for k, v in event.after.items() if k != "change"})
    assert releases() == named
    ends = [r["contracts"][0]["period"]["endDate"][:10] for r in named.values() if r["tag"] == ["contractAmendment"]]
    assert ends == [contract_services.add_months(signed_end, m).isoformat() for m in (2, 4)]
