"""Benchmark of the OCDS export: 10,000 contracting processes to a release package and a record package.

Sets up Django on a temporary SQLite database, builds the small world of the tests through the services
(organizations, a program and a street's envelope), then generates the processes directly with
bulk_create (not timed): each a decided call with three criteria, two joint applications, an award list
with one confirmed award, a signed contract with three milestones and tranches, and two payments. It then
times `grassroots export-ocds`'s writer without validation and with every release and record validated,
printing seconds, processes/s and releases/s, and the queries the export made.
Validation runs on jsonschema-rs; `--python-validator` measures Python's jsonschema instead (about eight
times slower: give it `--validate-processes 1000` for a quicker run).
Run: .venv/bin/python bench/ocds.py [--processes N] [--validate-processes N (0: all)] [--python-validator]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from imports import setup  # the import bench's temporary SQLite database (bench/ is on the path when run)


def generate(n: int) -> None:
    """`n` decided calls with their applications, awards, contracts, milestones, tranches and payments."""
    from django.db import transaction
    from django.utils import timezone
    from tests import world as w

    from grassroots.applications.models import Application
    from grassroots.awards.models import Award, AwardList
    from grassroots.contracts.models import Contract, Milestone, Payment, Tranche
    from grassroots.funding import services as funding_services
    from grassroots.funding.models import Call, Criterion

    world = w.build_world()
    program = w.open_program(world, budget="999999999.00")
    envelope = funding_services.allocate_envelope(
        world.dept_officer, program=program, street=world.street, amount="900000000.00"
    )
    categories = list(world.categories.values())
    agencies = world.agencies
    communities = world.communities[:2]  # the street's own
    start = date(2025, 4, 1)
    with transaction.atomic():
        calls = Call.objects.bulk_create(
            Call(
                program=program,
                envelope=envelope,
                issuer=world.street,
                reference=f"B-{i:06d}",
                title=f"社区服务项目申报指南 {i}",
                funds=Decimal("90000.00"),
                matching_funds=Decimal("10000.00"),
                max_request=Decimal("100000.00"),
                opens_on=date(2025, 2, 1),
                closes_on=date(2025, 2, 28),
                state=Call.State.DECIDED,
            )
            for i in range(n)
        )
        Criterion.objects.bulk_create(
            Criterion(call=c, name=name, weight=Decimal(weight), position=p)
            for c in calls
            for p, (name, _en, weight) in enumerate(w.CRITERIA)
        )
        Call.categories.through.objects.bulk_create(
            Call.categories.through(call=c, servicecategory=categories[i % len(categories)])
            for i, c in enumerate(calls)
        )
        submitted = timezone.make_aware(datetime(2025, 2, 20, 10, 0))
        applications = Application.objects.bulk_create(
            Application(
                call=c,
                lead_agency=agencies[(i + k) % len(agencies)],
                reference=f"{c.reference}-A{k + 1:03d}",
                title=f"服务项目 {i}-{k}",
                category=categories[i % len(categories)],
                requested=Decimal("80000.00") + k * 1000,
                state=Application.State.AWARDED if k == 0 else Application.State.NOT_AWARDED,
                submitted_at=submitted,
                score=Decimal("85.00") - k,
                rank=k + 1,
            )
            for i, c in enumerate(calls)
            for k in range(2)
        )
        Application.communities.through.objects.bulk_create(
            Application.communities.through(application=a, organization=communities[i % len(communities)])
            for i, a in enumerate(applications)
        )
        lists = AwardList.objects.bulk_create(
            AwardList(
                call=c,
                state=AwardList.State.DECIDED,
                total=Decimal("80000.00"),
                publicity_from=date(2025, 3, 10),
                publicity_until=date(2025, 3, 17),
                decided_on=date(2025, 3, 17),
            )
            for c in calls
        )
        awards = Award.objects.bulk_create(
            Award(
                award_list=lst, application=applications[2 * i], amount=Decimal("80000.00"), state=Award.State.CONFIRMED
            )
            for i, lst in enumerate(lists)
        )
        contracts = Contract.objects.bulk_create(
            Contract(
                award=a,
                number=f"HT-{applications[2 * i].reference}",
                title=applications[2 * i].title,
                purchaser=world.street,
                agency=applications[2 * i].lead_agency,
                category=applications[2 * i].category,
                amount=Decimal("80000.00"),
                starts_on=start,
                ends_on=date(2026, 3, 31),
                signed_on=date(2025, 3, 25),
                state=Contract.State.ACTIVE,
            )
            for i, a in enumerate(awards)
        )
        kinds = [Milestone.Kind.START, Milestone.Kind.MIDTERM, Milestone.Kind.FINAL]
        due = [start + timedelta(days=30), start + timedelta(days=182), date(2026, 3, 31)]
        accepted = [date(2025, 5, 2), date(2025, 10, 1), None]
        milestones = Milestone.objects.bulk_create(
            Milestone(
                contract=c,
                kind=kind,
                due_on=due[k],
                accepted_on=accepted[k],
                state=Milestone.State.ACCEPTED if accepted[k] else Milestone.State.PENDING,
            )
            for c in contracts
            for k, kind in enumerate(kinds)
        )
        planned = [Decimal("24000.00"), Decimal("32000.00"), Decimal("24000.00")]
        tranches = Tranche.objects.bulk_create(
            Tranche(
                contract=m.contract,
                milestone=m,
                position=k % 3 + 1,
                percent=Decimal(["30", "40", "30"][k % 3]),
                planned=planned[k % 3],
                payable=planned[k % 3] if k % 3 < 2 else Decimal("0.00"),
                state=Tranche.State.PAID if k % 3 < 2 else Tranche.State.PLANNED,
            )
            for k, m in enumerate(milestones)
        )
        Payment.objects.bulk_create(
            Payment(
                tranche=t,
                idempotency_key=f"bench-{t.contract.number}-{t.position}",
                amount=t.payable,
                paid_on=(t.milestone.accepted_on or start) + timedelta(days=8),
            )
            for t in tranches
            if t.state == Tranche.State.PAID
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--processes", type=int, default=10_000)
    parser.add_argument("--validate-processes", type=int, default=0, help="processes in the validated run (0: all)")
    parser.add_argument("--python-validator", action="store_true", help="validate with jsonschema, not jsonschema-rs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grassroots-bench-") as tmp:
        setup(Path(tmp))
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from grassroots.disclosure import export, schemas, selectors

        if args.python_validator:
            schemas.jsonschema_rs = None

        built = time.perf_counter()
        generate(args.processes)
        print(
            f"{args.processes} contracting processes generated in {time.perf_counter() - built:.1f} s (SQLite, {tmp})"
        )
        calls = selectors.public_calls()
        assert calls.count() == args.processes

        def run(label: str, subset, validate: bool) -> None:  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                written = export.write_packages(Path(tmp) / label, subset, validate=validate)
            elapsed = time.perf_counter() - started
            size = sum(f.stat().st_size for f in written.files) / 2**20
            print(
                f"  {label}: {written.processes} processes, {written.releases} releases, {size:.1f} MiB, "
                f"{elapsed:.2f} s: {written.processes / elapsed:,.0f} processes/s, "
                f"{written.releases / elapsed:,.0f} releases/s, {len(queries)} queries"
            )

        print("export (release package + record package with compiled releases):")
        run("unvalidated", calls, validate=False)
        validated = args.validate_processes or args.processes
        run("validated", calls.filter(pk__in=list(calls.values_list("pk", flat=True)[:validated])), validate=True)


if __name__ == "__main__":
    main()
