"""Importing OCDS packages of other systems: refusals that write nothing, what cannot be mapped, the rules.

Packages here are small, hand-made release packages of one process of a foreign publisher.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from grassroots import cli
from grassroots.applications.models import Application
from grassroots.awards.models import Award
from grassroots.contracts.models import Contract, Payment, Tranche
from grassroots.core import audit
from grassroots.core.audit import object_label
from grassroots.core.errors import Forbidden
from grassroots.core.models import AuditEvent
from grassroots.core.uscc import make_uscc
from grassroots.disclosure import services
from grassroots.disclosure.models import OcdsLink
from grassroots.funding.models import Call
from grassroots.orgs.models import Organization
from tests.world import refused

OCID = "ocds-abc123-0001"
BUYER = make_uscc("1", "1", "110101", "BUYER0001")
STREET = make_uscc("1", "1", "110101", "JDB000001")
AGENCY = make_uscc("5", "2", "110101", "AGNCY0001")
COMMUNITY = make_uscc("5", "4", "110101", "CMNTY0001")


def ref(code: str, name: str) -> dict[str, str]:
    return {"id": f"CN-USCI-{code}", "name": name}


def org(code: str, name: str, roles: list[str]) -> dict[str, Any]:
    return {**ref(code, name), "identifier": {"scheme": "CN-USCI", "id": code}, "roles": roles}


def cny(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "CNY"}


def package() -> dict[str, Any]:
    """One process: a 100,000 call of a street, two bids, one award of 80,000, its contract paid twice."""
    head = {"ocid": OCID, "initiationType": "tender", "language": "zh"}
    return {
        "uri": "https://other.example/packages/1",
        "version": "1.1",
        "publishedDate": "2025-09-01T00:00:00+08:00",
        "publisher": {"name": "Another platform"},
        "releases": [
            {
                **head,
                "id": "r1",
                "date": "2025-02-01T09:00:00+08:00",
                "tag": ["planning", "tender"],
                "parties": [
                    org(BUYER, "某区民政局", ["buyer", "payer"]),
                    org(STREET, "某街道办事处", ["procuringEntity"]),
                ],
                "buyer": ref(BUYER, "某区民政局"),
                "planning": {
                    "budget": {"id": "B1", "amount": cny(90000), "project": "某区社工项目", "projectID": "P-1"}
                },
                "tender": {
                    "id": "T-1",
                    "title": "社区服务项目",
                    "status": "active",
                    "procuringEntity": ref(STREET, "某街道办事处"),
                    "value": cny(100000),
                    "procurementMethod": "open",
                    "tenderPeriod": {"startDate": "2025-02-01T00:00:00+08:00", "endDate": "2025-02-28T23:59:59+08:00"},
                },
            },
            {
                **head,
                "id": "r2",
                "date": "2025-03-10T09:00:00+08:00",
                "tag": ["tenderUpdate", "award"],
                "parties": [
                    org(AGENCY, "某社工服务中心", ["tenderer", "supplier"]),
                    org(COMMUNITY, "某社区", ["tenderer"]),
                ],
                "tender": {"id": "T-1", "status": "complete"},
                "bids": {
                    "details": [
                        {
                            "id": "bid-1",
                            "status": "valid",
                            "tenderers": [ref(AGENCY, "某社工服务中心"), ref(COMMUNITY, "某社区")],
                            "value": cny(80000),
                        },
                        {"id": "bid-2", "status": "invited", "tenderers": [ref(AGENCY, "某社工服务中心")]},
                    ]
                },
                "awards": [
                    {
                        "id": "aw-1",
                        "status": "active",
                        "value": cny(80000),
                        "suppliers": [ref(AGENCY, "某社工服务中心")],
                        "relatedBid": "bid-1",
                    }
                ],
            },
            {
                **head,
                "id": "r3",
                "date": "2025-08-01T09:00:00+08:00",
                "tag": ["contract", "implementation"],
                "parties": [org(AGENCY, "某社工服务中心", ["tenderer", "supplier", "payee"])],
                "contracts": [
                    {
                        "id": "C-1",
                        "awardID": "aw-1",
                        "status": "active",
                        "value": cny(80000),
                        "dateSigned": "2025-03-20T00:00:00+08:00",
                        "period": {"startDate": "2025-04-01T00:00:00+08:00", "endDate": "2026-03-31T23:59:59+08:00"},
                        "implementation": {
                            "transactions": [
                                {"id": "t1", "date": "2025-04-10T00:00:00+08:00", "value": cny(24000)},
                                {"id": "t2", "date": "2025-07-10T00:00:00+08:00", "value": cny(32000)},
                            ]
                        },
                    }
                ],
            },
        ],
    }


def as_bytes(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


@pytest.fixture
def staff(db: None) -> Any:
    return get_user_model().objects.create_superuser("importer", "", "x")


def test_a_foreign_process_becomes_a_call_applications_awards_a_contract_and_payments(staff: Any) -> None:
    report = services.import_package(staff, as_bytes(package()))

    call = Call.objects.get()
    assert call.reference == "T-1" and call.state == Call.State.DECIDED
    assert (call.funds, call.matching_funds, call.issuer.uscc) == (90000, 10000, STREET)
    application = Application.objects.get()
    assert application.state == Application.State.AWARDED and application.requested == 80000
    assert list(application.communities.values_list("uscc", flat=True)) == [COMMUNITY]
    assert Award.objects.get().state == Award.State.CONFIRMED
    contract = Contract.objects.get()
    assert (contract.number, contract.amount, contract.agency.uscc) == ("C-1", 80000, AGENCY)
    paid = list(Payment.objects.order_by("tranche__position").values_list("tranche__position", "amount"))
    assert paid == [(1, 24000), (2, 32000)]
    assert contract.tranches.filter(state=Tranche.State.PLANNED).count() == 1
    assert call.program.budget >= call.funds and call.envelope is not None and call.envelope.amount >= call.funds
    # What it could not map: the invited bid is not an application.
    assert [(u.where, "invitation" in u.reason) for u in report.unmapped] == [("bids.details[1]", True)]
    assert report.as_data()["unmapped"][0]["ocid"] == OCID
    assert "Could not be mapped (1)" in report.text()


def test_what_cannot_be_mapped_is_reported_and_the_rest_imported(staff: Any) -> None:
    data = package()
    parties = data["releases"][1]["parties"]
    parties.append({"id": "NO-CODE", "name": "无代码机构", "roles": ["tenderer"]})
    data["releases"][1]["bids"]["details"].append(
        {"id": "bid-3", "status": "valid", "tenderers": [{"id": "NO-CODE"}], "value": cny(5000)}
    )
    data["releases"][1]["bids"]["details"].append(
        {
            "id": "bid-4",
            "status": "valid",
            "tenderers": [ref(AGENCY, "某社工服务中心")],
            "value": {"amount": 10, "currency": "USD"},
        }
    )
    contract = data["releases"][2]["contracts"][0]
    contract["implementation"]["transactions"] += [
        {"id": "t3", "date": "2025-09-01T00:00:00+08:00", "value": cny(24000)},  # third tranche: fine
    ]

    report = services.import_package(staff, as_bytes(data))

    reasons = {u.where: u.reason for u in report.unmapped}
    assert "unified social credit code" in reasons["NO-CODE"]
    assert "not CNY" in reasons["bids.details[3].value"]
    assert Payment.objects.count() == 3 and Application.objects.count() == 1


def breaking(change: Any, suffix: str) -> dict[str, Any]:
    """The package as another process (its own ocid) with `change` applied to its contract release."""
    data = package()
    for release in data["releases"]:
        release["ocid"] = f"{OCID}-{suffix}"
    change(data)
    return data


def add_transaction(amount: int) -> Any:
    def change(data: dict[str, Any]) -> None:
        transactions = data["releases"][2]["contracts"][0]["implementation"]["transactions"]
        transactions.append(
            {"id": f"t{len(transactions) + 1}", "date": "2025-10-01T00:00:00+08:00", "value": cny(amount)}
        )

    return change


def set_value(path: tuple[Any, ...], amount: int) -> Any:
    def change(data: dict[str, Any]) -> None:
        node: Any = data["releases"]
        for key in path:
            node = node[key]
        node["value"] = cny(amount)

    return change


@pytest.mark.parametrize(
    ("change", "where", "reason"),
    [
        (  # more than the call's 100,000 (and as much as its bid asked for)
            lambda d: (set_value((1, "bids", "details", 0), 150000)(d), set_value((1, "awards", 0), 150000)(d)),
            "awards[0]",
            "beyond its budget",
        ),
        (set_value((1, "awards", 0), -80000), "awards[0]", "must be positive"),
        (set_value((2, "contracts", 0), 90000), "contracts[C-1]", "not within its award"),
        (set_value((2, "contracts", 0, "implementation", "transactions", 1), 70000), "t2", "beyond the contract"),
        (set_value((2, "contracts", 0, "implementation", "transactions", 1), 0), "t2", "must be positive"),
        (add_transaction(24000), "t3", ""),  # a third tranche's payment is fine ...
        (lambda d: (add_transaction(24000)(d), add_transaction(1)(d)), "t4", "one payment per tranche"),  # a fourth
    ],
    ids=[
        "award beyond the call",
        "negative award",
        "contract beyond its award",
        "payment beyond the contract",
        "zero payment",
        "third payment",
        "fourth payment",
    ],
)
def test_a_process_breaking_a_money_rule_is_not_imported_at_all(
    staff: Any, change: Any, where: str, reason: str
) -> None:
    fine = services.import_package(staff, as_bytes(package()))  # another process, imported whole
    before = (Call.objects.count(), Award.objects.count(), Contract.objects.count(), Payment.objects.count())
    organizations, links = Organization.objects.count(), OcdsLink.objects.count()

    report = services.import_package(staff, as_bytes(breaking(change, "b")))

    if not reason:
        assert report.processes == [f"{OCID}-b"] and Payment.objects.count() == before[3] + 3
        return
    assert report.processes == [] and fine.processes == [OCID]
    [refusal] = [u for u in report.unmapped if "nothing of this process was imported" in u.reason]
    assert refusal.ocid == f"{OCID}-b" and where in refusal.where and reason in refusal.reason
    now = (Call.objects.count(), Award.objects.count(), Contract.objects.count(), Payment.objects.count())
    assert now == before and OcdsLink.objects.count() == links and Organization.objects.count() == organizations
    assert sum(report.created.values()) == 0 and f"{OCID}-b" in report.text()


def test_a_process_with_a_payment_dated_in_the_future_is_not_imported(staff: Any) -> None:
    def future_payment(data: dict[str, Any]) -> None:
        transactions = data["releases"][2]["contracts"][0]["implementation"]["transactions"]
        transactions[1]["date"] = f"{date.today().year + 2}-01-05T00:00:00+08:00"

    before = (Contract.objects.count(), Payment.objects.count(), OcdsLink.objects.count())
    report = services.import_package(staff, as_bytes(breaking(future_payment, "f")))
    assert report.processes == []
    [refusal] = [u for u in report.unmapped if "nothing of this process was imported" in u.reason]
    assert "future" in refusal.reason
    assert (Contract.objects.count(), Payment.objects.count(), OcdsLink.objects.count()) == before


def test_imported_history_takes_legal_audited_transitions_dated_when_they_happened(staff: Any) -> None:
    data = package()
    data["releases"][1]["awards"][0]["date"] = "2025-03-10T09:00:00+08:00"
    services.import_package(staff, as_bytes(data))
    contract = Contract.objects.get()
    award = Award.objects.get()

    def days(obj: Any) -> list[tuple[str, str | None]]:
        events = AuditEvent.objects.filter(object_type=object_label(obj), object_id=str(obj.pk)).order_by("seq")
        return [(e.action, (e.after or {}).get("on")) for e in events]

    assert days(award.award_list) == [
        ("award_list.imported", None),
        ("awardlist.publicity", "2025-03-10"),
        ("awardlist.decided", "2025-03-10"),
    ]
    assert days(award) == [("award.imported", None), ("award.confirmed", "2025-03-10")]
    assert days(contract) == [("contract.imported", None), ("contract.active", "2025-03-20")]
    first = contract.tranches.get(position=1)
    assert days(first) == [("tranche.payable", "2025-04-10"), ("tranche.paid", "2025-04-10")]
    assert audit.verify().ok


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00", "not valid JSON"),
        (as_bytes({"hello": "world"}), "not an OCDS package"),
        (as_bytes([1, 2]), "not an OCDS package"),
    ],
)
def test_what_is_not_json_or_not_ocds_is_refused_and_nothing_imported(staff: Any, data: bytes, message: str) -> None:
    with refused(services.PackageRefused, match=message):
        services.import_package(staff, data)
    assert not OcdsLink.objects.exists()


def schema_invalid() -> list[dict[str, Any]]:
    no_tag = package()
    del no_tag["releases"][0]["tag"]
    local_time = package()
    local_time["releases"][1]["date"] = "2025-03-10T09:00:00"
    text_amount = package()
    text_amount["releases"][2]["contracts"][0]["value"]["amount"] = "80000"
    no_releases = {**package(), "releases": []}
    return [no_tag, local_time, text_amount, no_releases]


@pytest.mark.parametrize("data", schema_invalid(), ids=["no tag", "local time", "amount as text", "no releases"])
def test_a_package_failing_the_schema_is_refused_whole(staff: Any, data: dict[str, Any]) -> None:
    with refused(services.PackageRefused, match="not a valid OCDS 1.1 release package"):
        services.import_package(staff, as_bytes(data))
    assert not OcdsLink.objects.exists() and not Organization.objects.exists()


def test_a_record_package_is_checked_against_the_record_schema(staff: Any) -> None:
    data = package()
    records = {**{k: v for k, v in data.items() if k != "releases"}, "records": [{"ocid": OCID}]}
    with refused(services.PackageRefused, match="record package"):
        services.import_package(staff, as_bytes(records))
    records["records"] = [{"ocid": OCID, "releases": copy.deepcopy(data["releases"])}]
    services.import_package(staff, as_bytes(records))
    assert Contract.objects.get().number == "C-1"


def test_only_staff_import(db: None) -> None:
    user = get_user_model().objects.create_user("someone", "", "x")
    with refused(Forbidden):
        services.import_package(user, as_bytes(package()))


def test_the_command_imports_reports_and_refuses(staff: Any, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_bytes(as_bytes(package()))
    bad.write_bytes(b"[]")
    assert cli.main(["import-ocds", str(bad), "--as", "importer"]) == 2
    assert "not an OCDS package" in capsys.readouterr().err
    assert cli.main(["import-ocds", str(good), "--as", "importer"]) == 0
    out = capsys.readouterr().out
    assert "Imported 1 contracting process" in out and "bids.details[1]" in out
    assert cli.main(["import-ocds", str(good), "--as", "importer"]) == 0
    assert "Created: nothing." in capsys.readouterr().out


# --- a process of ours, impossible dates, bids, numbers JSON does not have, parties without a code -----


def test_a_process_naming_a_call_already_here_is_not_imported_again(staff: Any) -> None:
    from grassroots.disclosure.selectors import ocid_prefix

    services.import_package(staff, as_bytes(package()))  # a call now has the reference "T-1"
    reference = Call.objects.get().reference
    for ocid in (f"{ocid_prefix()}-{reference}", reference):  # our ocid of it, or its reference
        named = breaking(lambda d: None, "x")
        for release in named["releases"]:
            release["ocid"] = ocid
        report = services.import_package(staff, as_bytes(named))
        assert report.processes == [] and Call.objects.count() == 1
        [refusal] = report.unmapped
        assert "published by this platform" in refusal.reason and "nothing of this process" in refusal.reason
    again = services.import_package(staff, as_bytes(package()))  # the imported process itself is found, as ever
    assert again.processes == [OCID] and sum(again.created.values()) == 0


def test_our_prefix_into_a_database_without_that_call_is_imported(staff: Any) -> None:
    """A round trip into an empty database, or a restore: nothing here is doubled, so it is imported."""
    from grassroots.disclosure.selectors import ocid_prefix

    ours = package()
    for release in ours["releases"]:
        release["ocid"] = f"{ocid_prefix()}-T-9"
    report = services.import_package(staff, as_bytes(ours))
    assert report.processes == [f"{ocid_prefix()}-T-9"] and Call.objects.count() == 1


def set_date(path: tuple[Any, ...], key: str, day: str) -> Any:
    def change(data: dict[str, Any]) -> None:
        node: Any = data["releases"]
        for step in path:
            node = node[step]
        node[key] = f"{day}T00:00:00+08:00"

    return change


@pytest.mark.parametrize(
    ("change", "where", "reason"),
    [
        (set_date((1, "awards", 0), "date", "2025-01-15"), "awards[0].date", "before the call opened"),
        (set_date((2, "contracts", 0), "dateSigned", "2025-01-20"), "dateSigned", "before the call opened"),
        (
            lambda d: (
                set_date((1, "awards", 0), "date", "2025-03-10")(d),
                set_date((2, "contracts", 0), "dateSigned", "2025-03-05")(d),
            ),
            "dateSigned",
            "before the awards were decided",
        ),
        (
            set_date((2, "contracts", 0, "implementation", "transactions", 0), "date", "2025-03-01"),
            "transactions[t1]",
            "before the contract was signed",
        ),
        (
            lambda d: d["releases"][2]["contracts"][0]["implementation"].update(
                milestones=[{"id": "m1", "code": "start", "status": "met", "dateMet": "2025-03-01T00:00:00+08:00"}]
            ),
            "milestones[m1]",
            "before the contract was signed",
        ),
    ],
    ids=[
        "award before the call",
        "signed before the call",
        "signed before the decision",
        "paid before signed",
        "met before signed",
    ],
)
def test_a_process_with_impossible_dates_is_not_imported(staff: Any, change: Any, where: str, reason: str) -> None:
    report = services.import_package(staff, as_bytes(breaking(change, "d")))
    assert report.processes == [] and not Call.objects.exists() and not OcdsLink.objects.exists()
    [refusal] = [u for u in report.unmapped if "nothing of this process was imported" in u.reason]
    assert where in refusal.where and reason in refusal.reason


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (set_value((1, "bids", "details", 0), 0), "bid must ask for a positive amount"),
        (set_value((1, "bids", "details", 0), -5), "bid must ask for a positive amount"),
        (set_value((1, "bids", "details", 0), 70000), "more than its bid asked for"),
    ],
    ids=["zero bid", "negative bid", "award beyond its bid"],
)
def test_bids_must_be_positive_and_awards_within_them(staff: Any, change: Any, reason: str) -> None:
    report = services.import_package(staff, as_bytes(breaking(change, "v")))
    assert report.processes == [] and not Application.objects.exists() and not Award.objects.exists()
    [refusal] = [u for u in report.unmapped if "nothing of this process was imported" in u.reason]
    assert "bids.details[0]" in refusal.where or "awards[0]" in refusal.where
    assert reason in refusal.reason


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_numbers_json_does_not_have_are_refused_clearly(staff: Any, constant: str) -> None:
    data = as_bytes(package()).replace(b'"amount": 80000', b'"amount": ' + constant.encode(), 1)
    with refused(services.PackageRefused, match=f"{constant} is not a number JSON allows"):
        services.import_package(staff, data)
    assert not OcdsLink.objects.exists()


def test_a_party_without_a_code_is_reported_once_per_process(staff: Any) -> None:
    data = package()
    data["releases"][1]["parties"].append({"id": "NO-CODE", "name": "无代码机构", "roles": ["tenderer"]})
    for n in (3, 4, 5):
        data["releases"][1]["bids"]["details"].append(
            {"id": f"bid-{n}", "status": "valid", "tenderers": [{"id": "NO-CODE"}], "value": cny(5000)}
        )
    report = services.import_package(staff, as_bytes(data))
    assert [u.where for u in report.unmapped].count("NO-CODE") == 1
    assert {f"bids.details[{i}]" for i in (2, 3, 4)} <= {u.where for u in report.unmapped}


# --- a later package of a process imported before --------------------------------------------------


def early_stage() -> dict[str, Any]:
    """The process as published while its award list was in publicity: the award pending, no contract."""
    data = package()
    data["releases"] = data["releases"][:2]
    data["releases"][1]["tender"]["status"] = "active"
    data["releases"][1]["bids"]["details"][0]["status"] = "pending"
    data["releases"][1]["awards"][0].update(status="pending", date="2025-03-10T09:00:00+08:00")
    return data


def later_stage() -> dict[str, Any]:
    """The same process later: the award decided, the contract signed, a milestone met and two payments."""
    data = package()
    data["releases"][1]["bids"]["details"][0]["status"] = "pending"
    data["releases"][1]["awards"][0]["date"] = "2025-03-10T09:00:00+08:00"
    decision = {
        "ocid": OCID,
        "id": "r2b",
        "date": "2025-03-18T09:00:00+08:00",
        "tag": ["awardUpdate"],
        "initiationType": "tender",
        "awards": [{"id": "aw-1", "status": "active", "date": "2025-03-18T09:00:00+08:00"}],
    }
    data["releases"].insert(2, decision)
    data["releases"][3]["contracts"][0]["implementation"]["milestones"] = [
        {"id": "m1", "code": "start", "status": "met", "dateMet": "2025-04-05T00:00:00+08:00"}
    ]
    return data


def test_a_later_package_moves_an_imported_process_on_by_legal_dated_transitions(staff: Any) -> None:
    first = services.import_package(staff, as_bytes(early_stage()))
    call, award = Call.objects.get(), Award.objects.get()
    assert first.processes == [OCID] and call.state == Call.State.AWARDING and award.state == Award.State.PROPOSED
    assert award.award_list.state == "publicity" and not Contract.objects.exists()

    report = services.import_package(staff, as_bytes(later_stage()))

    assert report.processes == [OCID]
    call.refresh_from_db()
    award.refresh_from_db()
    assert call.state == Call.State.DECIDED and award.state == Award.State.CONFIRMED
    assert award.award_list.state == "decided" and award.award_list.decided_on == date(2025, 3, 18)
    assert Application.objects.get().state == Application.State.AWARDED
    contract = Contract.objects.get()
    assert contract.state == Contract.State.ACTIVE and contract.signed_on == date(2025, 3, 20)
    assert contract.milestones.get(kind="start").state == "accepted"
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [24000, 32000]
    assert report.moved == {"call": 1, "award": 1, "bid": 1} and report.created["contract"] == 1
    assert "Moved on by this package" in report.text()

    def moves(obj: Any) -> list[tuple[str, str | None]]:
        events = AuditEvent.objects.filter(object_type=object_label(obj), object_id=str(obj.pk)).order_by("seq")
        return [(e.action, (e.after or {}).get("on")) for e in events if (e.after or {}).get("on")]

    assert moves(award) == [("award.confirmed", "2025-03-18")]
    assert moves(call) == [("call.decided", "2025-03-18")]
    assert moves(Application.objects.get()) == [
        ("application.eligible", "2025-03-18"),
        ("application.awarded", "2025-03-18"),
    ]
    assert audit.verify().ok

    again = services.import_package(staff, as_bytes(later_stage()))  # nothing more to move
    assert sum(again.created.values()) == 0 and not any(again.moved.values())


def test_a_later_contract_signing_milestone_and_end_move_an_imported_contract(staff: Any) -> None:
    draft = later_stage()
    contract = draft["releases"][3]["contracts"][0]
    contract["status"] = "pending"
    del contract["dateSigned"]
    contract["implementation"] = {}
    services.import_package(staff, as_bytes(draft))
    assert Contract.objects.get().state == Contract.State.DRAFT and not Payment.objects.exists()

    report = services.import_package(staff, as_bytes(later_stage()))

    signed = Contract.objects.get()
    assert signed.state == Contract.State.ACTIVE and signed.signed_on == date(2025, 3, 20)
    assert signed.milestones.get(kind="start").accepted_on == date(2025, 4, 5)
    assert Payment.objects.count() == 2 and report.moved == {"contract": 1, "milestone": 1}


def test_a_package_that_would_take_an_imported_process_back_is_reported_and_changes_nothing(staff: Any) -> None:
    services.import_package(staff, as_bytes(later_stage()))
    events = AuditEvent.objects.count()

    report = services.import_package(staff, as_bytes(early_stage()))

    assert Award.objects.get().state == Award.State.CONFIRMED and Call.objects.get().state == Call.State.DECIDED
    backward = [u for u in report.unmapped if "not a move forward" in u.reason]
    assert {u.where for u in backward} == {"awards[0]", "tender.status"}
    assert not any(report.moved.values()) and AuditEvent.objects.count() == events + 1  # the import itself


def test_a_later_cancellation_of_a_pending_award_withdraws_the_list(staff: Any) -> None:
    services.import_package(staff, as_bytes(early_stage()))
    cancelled = early_stage()
    cancelled["releases"][1]["awards"][0].update(status="cancelled", date="2025-03-15T09:00:00+08:00")

    report = services.import_package(staff, as_bytes(cancelled))

    award = Award.objects.get()
    assert award.state == Award.State.REVOKED and award.award_list.state == "withdrawn"
    assert Call.objects.get().state == Call.State.AWARDING and report.unmapped[1:] == []
    assert report.moved == {"award": 1}


def test_a_cancellation_after_the_decision_does_not_date_it(staff: Any) -> None:
    data = package()
    data["releases"][1]["awards"][0]["date"] = "2025-03-10T09:00:00+08:00"
    data["releases"][1]["bids"]["details"].append(
        {"id": "bid-3", "status": "valid", "tenderers": [ref(AGENCY, "某社工服务中心")], "value": cny(10000)}
    )
    data["releases"][1]["awards"].append(
        {
            "id": "aw-2",
            "status": "cancelled",
            "date": "2025-05-01T09:00:00+08:00",  # after the contract of aw-1 was signed (2025-03-20)
            "value": cny(10000),
            "suppliers": [ref(AGENCY, "某社工服务中心")],
            "relatedBid": "bid-3",
        }
    )
    report = services.import_package(staff, as_bytes(data))
    assert report.processes == [OCID] and Contract.objects.get().state == Contract.State.ACTIVE
