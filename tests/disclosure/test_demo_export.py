"""The demo's open data: its export validates, publishes nothing personal, and imports into an empty
database as the same contracts, amounts, payments and parties; importing it again changes nothing.

The demo is built once for the module, exported (through `grassroots export-ocds` too), and rolled back,
so every test starts from an empty database and the exported packages as plain JSON.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from grassroots import cli, demo
from grassroots.applications.models import TeamMember
from grassroots.awards.models import Award
from grassroots.contracts.models import Contract, Payment
from grassroots.disclosure import export, schemas, selectors, services
from grassroots.disclosure.models import OcdsLink
from grassroots.funding.models import Call
from grassroots.orgs.models import Person
from grassroots.review.models import Review

PREFIX = "ocds-grsrts"


def contracts_now() -> dict[str, tuple[Any, ...]]:
    """Each contract: amount, agency, purchaser, award amount, its payments (tranche, amount, day)."""
    payments: dict[int, list[tuple[int, str, str]]] = {}
    for contract_id, position, amount, day in Payment.objects.values_list(
        "tranche__contract_id", "tranche__position", "amount", "paid_on"
    ):
        payments.setdefault(contract_id, []).append((position, str(amount), day.isoformat()))
    return {
        c.number: (
            str(c.amount),
            c.agency.uscc,
            c.purchaser.uscc,
            str(c.award.amount),
            c.state,
            sorted(payments.get(c.pk, [])),
        )
        for c in Contract.objects.select_related("agency", "purchaser", "award")
    }


def parties(record_package: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    return {
        r["ocid"]: {p["id"]: p["roles"] for p in r["compiledRelease"]["parties"]} for r in record_package["records"]
    }


@pytest.fixture(scope="module")
def exported(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    out = tmp_path_factory.mktemp("ocds")
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            started = timezone.now()
            demo.build(seed=7, progress=lambda _text: None)
            calls = selectors.public_calls()
            data = {
                "releases": export.release_package(calls, "https://example.org/releases"),
                "records": export.record_package(calls, "https://example.org/records", "https://example.org/releases"),
                "contracts": contracts_now(),
                # References carry the issuer's key, which depends on what the suite built before.
                "decided": f"{PREFIX}-{Call.objects.get(state='decided', program__fiscal_year=2025).reference}",
                "open": f"{PREFIX}-{Call.objects.get(state=Call.State.OPEN).reference}",
                "awards": sorted(str(a) for a in Award.objects.values_list("amount", flat=True)),
                "people": [p.name for p in Person.objects.all()],
                "reviewers": [r.expert.person.name for r in Review.objects.select_related("expert__person")],
                "team": [t.person.name for t in TeamMember.objects.select_related("person")],
                "cli": cli.main(["export-ocds", "--out", str(out)]),
                "cli_2025": cli.main(["export-ocds", "--out", str(out / "y"), "--by-year", "--year", "2025"]),
                "out": out,
                "started": started,
            }
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
    yield data


def importer() -> Any:
    return get_user_model().objects.create_superuser("importer", "", "x")


def as_bytes(package: dict[str, Any]) -> bytes:
    return export.dumps(package).encode()


def test_the_export_validates_against_the_ocds_schemas(exported: dict[str, Any]) -> None:
    releases, records = exported["releases"], exported["records"]
    assert schemas.release_package_errors(releases) == []
    assert schemas.record_package_errors(records) == []
    assert releases["version"] == "1.1" and releases["extensions"] == list(schemas.EXTENSIONS)
    # Three public calls (2025, 2026's first round, 2026's open second round), each one process.
    ocids = [r["ocid"] for r in records["records"]]
    assert len(ocids) == len(set(ocids)) == 3 and all(o.startswith(PREFIX + "-") for o in ocids)
    ids = [r["id"] for r in releases["releases"]]
    assert len(ids) == len(set(ids))
    tags = {t for r in releases["releases"] for t in r["tag"]}
    assert {"planning", "tender", "tenderUpdate", "award", "awardUpdate", "contract", "implementation"} <= tags
    assert {"contractTermination"} <= tags  # 2025's contracts are completed
    for record in records["records"]:
        compiled = record["compiledRelease"]
        assert compiled["tag"] == ["compiled"] and compiled["ocid"] == record["ocid"]
        assert all(link["url"].endswith("#" + link["url"].split("#")[1]) for link in record["releases"])


def test_the_files_written_by_the_command_are_the_same_packages(exported: dict[str, Any]) -> None:
    assert exported["cli"] == 0 and exported["cli_2025"] == 0
    out: Path = exported["out"]
    written = json.loads((out / "release-package.json").read_text("utf-8"))
    records = json.loads((out / "record-package.json").read_text("utf-8"))
    assert schemas.release_package_errors(written) == [] and schemas.record_package_errors(records) == []
    assert [r["id"] for r in written["releases"]] == [r["id"] for r in exported["releases"]["releases"]]
    assert [r["compiledRelease"] for r in records["records"]] == [
        r["compiledRelease"] for r in exported["records"]["records"]
    ]
    by_year = json.loads((out / "y" / "record-package-2025.json").read_text("utf-8"))
    assert [r["ocid"] for r in by_year["records"]] == [exported["decided"]]


def test_parties_amounts_and_dates_follow_the_standard(exported: dict[str, Any]) -> None:
    for release in exported["releases"]["releases"]:
        assert release["date"].endswith("+08:00")
        for party in release.get("parties", []):
            assert party["id"] == f"CN-USCI-{party['identifier']['id']}"
            assert party["identifier"]["scheme"] == "CN-USCI"
    compiled = {r["ocid"]: r["compiledRelease"] for r in exported["records"]["records"]}[exported["decided"]]
    roles = {p["id"]: set(p["roles"]) for p in compiled["parties"]}
    assert {"buyer", "payer"} <= roles[compiled["buyer"]["id"]]
    assert "procuringEntity" in roles[compiled["tender"]["procuringEntity"]["id"]]
    suppliers = {s["id"] for a in compiled["awards"] for s in a["suppliers"]}
    assert all({"tenderer", "supplier", "payee"} <= roles[s] for s in suppliers)
    values = [compiled["tender"]["value"], *(a["value"] for a in compiled["awards"])]
    values += [t["value"] for c in compiled["contracts"] for t in c["implementation"]["transactions"]]
    assert all(v["currency"] == "CNY" for v in values)
    transactions = [t for c in compiled["contracts"] for t in c["implementation"]["transactions"]]
    paid = sum(Decimal(str(t["value"]["amount"])) for t in transactions)
    reference = exported["decided"].removeprefix(PREFIX + "-")
    made = [p for number, c in exported["contracts"].items() if number.startswith(f"HT-{reference}-") for p in c[5]]
    assert len(transactions) == len(made) > 0 and paid == sum(Decimal(amount) for _n, amount, _d in made)


def test_every_release_is_dated_in_the_scenario_never_when_the_demo_was_built(exported: dict[str, Any]) -> None:
    """The scenario's changes happened on its own days (signing, payments, completion): none is dated at the
    moment the demo was built or after it, and no contract ends before it was signed or before its last payment
    or milestone."""
    started = exported["started"].replace(microsecond=0)
    by_contract: dict[str, dict[str, list[datetime]]] = defaultdict(lambda: defaultdict(list))
    for release in exported["releases"]["releases"]:
        when = datetime.fromisoformat(release["date"])
        assert when < started, (release["id"], release["date"])
        for tag in release["tag"]:
            for contract in release.get("contracts", []):
                by_contract[contract["id"]][tag].append(when)
    ended = {number: c for number, c in exported["contracts"].items() if c[4] in ("completed", "terminated")}
    assert ended  # 2025's contracts are completed
    for number in ended:
        tags = by_contract[number]
        [signed], [end] = tags["contract"], tags["contractTermination"]
        assert signed <= end and max(tags["implementation"]) <= end, number


def test_nothing_personal_is_published(exported: dict[str, Any]) -> None:
    text = export.dumps(exported["releases"]) + export.dumps(exported["records"])
    for name in {*exported["people"], *exported["reviewers"], *exported["team"]}:
        assert name not in text
    compiled = {r["ocid"]: r["compiledRelease"] for r in exported["records"]["records"]}
    # Scores only as the panel's aggregate on the publicised awards; the open call has no bids.
    decided = compiled[exported["decided"]]
    assert all("汇总得分" in a["description"] for a in decided["awards"])
    measures = {s["measure"] for s in decided["bids"]["statistics"]}
    assert measures <= schemas.codelists()["bidStatistics.csv"] and "bids" in measures
    assert "bids" not in compiled[exported["open"]]


@pytest.mark.django_db
def test_export_then_import_into_an_empty_database_gives_the_same_contracts(
    exported: dict[str, Any],
) -> None:
    assert not Contract.objects.exists()
    report = services.import_package(importer(), as_bytes(exported["releases"]))

    assert report.unmapped == []
    assert len(report.processes) == 3
    assert contracts_now() == exported["contracts"]
    assert sorted(str(a) for a in Award.objects.values_list("amount", flat=True)) == exported["awards"]
    # Exported again, the processes keep their ocids and their parties and roles.
    again = export.record_package(selectors.public_calls(), "https://example.org/r", "https://example.org/p")
    assert schemas.record_package_errors(again) == []
    assert parties(again) == parties(exported["records"])


@pytest.mark.django_db
def test_importing_the_same_package_again_creates_nothing(exported: dict[str, Any]) -> None:
    user = importer()
    first = services.import_package(user, as_bytes(exported["records"]))
    links, contracts = OcdsLink.objects.count(), contracts_now()

    second = services.import_package(user, as_bytes(exported["records"]))

    assert sum(first.created.values()) > 0 and sum(second.created.values()) == 0
    assert second.unchanged["contract"] == len(exported["contracts"])
    assert OcdsLink.objects.count() == links and contracts_now() == contracts
    # The release package of the same processes finds them too.
    third = services.import_package(user, as_bytes(exported["releases"]))
    assert sum(third.created.values()) == 0 and contracts_now() == contracts
