"""Benchmark of the governance metrics through the selector (issue: governance analytics).

Generates a city on a temporary SQLite database (or the database of `DATABASE_URL` with --keep-url): one
department, 16 streets, 250 communities, 400 agencies, 6 fiscal years, 12,000 contracts (with their
calls, applications, awards, needs and final evaluations) and 3 million service records — generation
is bulk inserts and is not timed. Then it times the whole computation: every metric for every
jurisdiction (the 16 streets and the department) and every year, through `governance.selectors`,
printing the time (target: under 10 s), the peak resident size and, on a second run under tracemalloc, the
peak memory the computation allocates.
Run: .venv/bin/python bench/governance.py [--scale 0.1] [--seed S]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIRST_YEAR, YEARS = 2020, 6
STREETS, COMMUNITIES, AGENCIES = 16, 250, 400
CONTRACTS, RECORDS = 12_000, 3_000_000
CATEGORIES = ["elderly", "youth", "disability", "family", "children", "community", "migrants", "veterans"]


def setup(home: Path, keep_url: bool) -> None:
    os.environ["GRASSROOTS_HOME"] = str(home)
    if not keep_url or "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{home / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "grassroots.settings"
    sys.path.insert(0, str(ROOT / "src"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def generate(scale: float, seed: int) -> dict[str, int]:
    """Bulk-insert the city; returns how many rows of each kind were made."""
    from django.db import transaction

    from grassroots.applications.models import Application
    from grassroots.awards.models import Award, AwardList
    from grassroots.contracts.models import Contract
    from grassroots.core.uscc import make_uscc
    from grassroots.delivery.models import ServiceRecord
    from grassroots.evaluation.models import Evaluation
    from grassroots.funding.models import Call, Program, ServiceCategory
    from grassroots.needs.models import Need
    from grassroots.orgs.models import Organization

    rng = random.Random(seed)
    serial = iter(range(1, 10**6))

    def org(kind: str, name: str, **kwargs: Any) -> Organization:
        return Organization(kind=kind, name=name, uscc=make_uscc("5", "1", "350102", f"GB{next(serial):07d}"), **kwargs)

    n_contracts = max(YEARS, int(CONTRACTS * scale))
    per_contract = max(1, int(RECORDS * scale) // n_contracts)
    with transaction.atomic():
        department = org("department", "W市民政局")
        department.save()
        streets = Organization.objects.bulk_create(
            [org("street", f"第{i + 1}街道", parent=department) for i in range(STREETS)]
        )
        communities = Organization.objects.bulk_create(
            [
                org("community", f"社区{i + 1}", parent=streets[i % STREETS], residents=rng.randint(3000, 12000))
                for i in range(COMMUNITIES)
            ]
        )
        agencies = Organization.objects.bulk_create([org("agency", f"社工机构{i + 1}") for i in range(AGENCIES)])
        evaluator = org("evaluator", "评估中心")
        evaluator.save()
        categories = ServiceCategory.objects.bulk_create(
            [ServiceCategory(code=c, name=c, name_en=c) for c in CATEGORIES]
        )
        by_street: dict[int, list[Organization]] = {s.pk: [] for s in streets}
        for c in communities:
            by_street[c.parent_id].append(c)
        # each community's consulted needs, three of them prioritised
        needs = Need.objects.bulk_create(
            [
                Need(
                    community=c,
                    title=f"需求{c.pk}-{j}",
                    category=rng.choice(categories),
                    raised_on=date(FIRST_YEAR - 1, 10, 1),
                    state=Need.State.PRIORITISED if j < 3 else Need.State.CONSULTED,
                    priority=j + 1 if j < 3 else None,
                )
                for c in communities
                for j in range(5)
            ]
        )
        needs_of: dict[int, list[Need]] = {}
        for n in needs:
            needs_of.setdefault(n.community_id, []).append(n)

        # a few agencies win much more often than the rest (the concentration the metrics look for)
        weights = [1 / (i + 1) ** 0.8 for i in range(AGENCIES)]
        ties: dict[tuple[int, int], int] = {}  # (community, category) → agency of last year
        made = {"applications": 0, "contracts": 0, "records": 0, "evaluations": 0}
        for y in range(FIRST_YEAR, FIRST_YEAR + YEARS):
            program = Program.objects.create(
                department=department, title=f"{y}年项目", fiscal_year=y, budget=Decimal("100000000")
            )
            calls = Call.objects.bulk_create(
                [
                    Call(
                        program=program,
                        issuer=street,
                        reference=f"C{y}-{street.pk}-{half}",
                        title=f"{street.name}{y}",
                        funds=Decimal("5000000"),
                        max_request=Decimal("300000"),
                        opens_on=date(y, 1 + 6 * half, 1),
                        closes_on=date(y, 2 + 6 * half, 28),
                        state=Call.State.DECIDED,
                    )
                    for street in streets
                    for half in (0, 1)
                ]
            )
            award_lists = {
                a.call_id: a
                for a in AwardList.objects.bulk_create(
                    [AwardList(call=k, state=AwardList.State.DECIDED, total=Decimal("0")) for k in calls]
                )
            }
            apps: list[Application] = []
            plan: list[tuple[Application, list[Organization], bool, Any]] = []
            for i in range(n_contracts // YEARS):
                k = rng.choice(calls)
                local = by_street[k.issuer_id]
                partners = rng.sample(local, rng.choice((1, 1, 1, 2, 3)))
                category = rng.choice(categories)
                kept = ties.get((partners[0].pk, category.pk))
                agency = kept if kept is not None and rng.random() < 0.6 else rng.choices(agencies, weights)[0]
                for won in (True, False):
                    a = Application(
                        call=k,
                        lead_agency=agency if won else rng.choices(agencies, weights)[0],
                        reference=f"A{y}-{i}-{int(won)}",
                        title="项目",
                        category=category,
                        requested=Decimal(rng.randrange(50_000, 300_000, 1000)),
                        state=Application.State.AWARDED if won else rng.choice(["not_awarded", "ineligible"]),
                        submitted_at=datetime(y, k.closes_on.month, 1, 9, tzinfo=UTC),
                    )
                    apps.append(a)
                    plan.append((a, partners, won, k))
            apps = Application.objects.bulk_create(apps, batch_size=2000)
            made["applications"] += len(apps)
            Application.communities.through.objects.bulk_create(
                [
                    Application.communities.through(application_id=a.pk, organization_id=c.pk)
                    for a, partners, _w, _k in plan
                    for c in partners
                ],
                batch_size=5000,
            )
            linked = []
            for a, partners, won, _k in plan:
                if won and rng.random() < 0.7:
                    linked.append(
                        Application.needs.through(application_id=a.pk, need_id=needs_of[partners[0].pk][0].pk)
                    )
            Application.needs.through.objects.bulk_create(linked, batch_size=5000)
            winners = [(a, partners, k) for a, partners, won, k in plan if won]
            awards = Award.objects.bulk_create(
                [
                    Award(award_list=award_lists[k.pk], application=a, amount=a.requested, state=Award.State.CONFIRMED)
                    for a, _p, k in winners
                ],
                batch_size=2000,
            )
            last = y == FIRST_YEAR + YEARS - 1
            contracts = Contract.objects.bulk_create(
                [
                    Contract(
                        award=award,
                        number=f"K{y}-{j}",
                        title="合同",
                        purchaser_id=k.issuer_id,
                        agency_id=a.lead_agency_id,
                        category_id=a.category_id,
                        amount=a.requested,
                        matching_funds=(a.requested * Decimal("0.1")).quantize(Decimal("0.01"))
                        if rng.random() < 0.3
                        else Decimal("0"),
                        starts_on=date(y, 4 if k.closes_on.month < 6 else 10, 1),
                        ends_on=date(y + 1, 3 if k.closes_on.month < 6 else 9, 28),
                        state=Contract.State.ACTIVE if last else Contract.State.COMPLETED,
                    )
                    for j, (award, (a, _p, k)) in enumerate(zip(awards, winners, strict=True))
                ],
                batch_size=2000,
            )
            made["contracts"] += len(contracts)
            Contract.communities.through.objects.bulk_create(
                [
                    Contract.communities.through(contract_id=c.pk, organization_id=p.pk)
                    for c, (_a, partners, _k) in zip(contracts, winners, strict=True)
                    for p in partners
                ],
                batch_size=5000,
            )
            for c, (a, partners, _k) in zip(contracts, winners, strict=True):
                ties[(partners[0].pk, a.category_id)] = next(x for x in agencies if x.pk == c.agency_id)
            if not last:
                evaluations = Evaluation.objects.bulk_create(
                    [
                        Evaluation(
                            contract=c,
                            evaluator=evaluator,
                            kind=Evaluation.Kind.FINAL,
                            state=Evaluation.State.ACCEPTED,
                            score=Decimal(f"{min(99.0, max(35.0, rng.gauss(80, 9))):.2f}"),
                            submitted_on=c.ends_on,
                        )
                        for c in contracts
                    ],
                    batch_size=2000,
                )
                made["evaluations"] += len(evaluations)
            made["records"] += _records(ServiceRecord, contracts, per_contract, rng)
            print(f"  {y}: {len(contracts)} contracts, {made['records']:,} service records so far", flush=True)
    return made


def _records(model: Any, contracts: list[Any], per_contract: int, rng: random.Random) -> int:
    """Service records over each contract's term, written by the import's own bulk insert
    (`delivery.services.insert_rows`), interleaved in time (as they arrive: a month of every contract, then
    the next month)."""
    from grassroots.delivery.services import insert_rows

    names = [
        "contract",
        "kind",
        "held_on",
        "title",
        "beneficiaries",
        "beneficiary_codes",
        "service_hours",
        "volunteers",
        "volunteer_hours",
        "resident_participants",
    ]
    months = 12
    per_month = max(1, per_contract // months)
    count = 0
    for m in range(months):
        rows = []
        for c in contracts:
            first = c.starts_on + timedelta(days=30 * m)
            for _ in range(per_month if m < months - 1 else per_contract - per_month * (months - 1)):
                day = first + timedelta(days=rng.randrange(28))
                rows.append(
                    (
                        c.pk,
                        "group",
                        day,
                        "活动",
                        rng.randint(5, 40),
                        [],
                        Decimal("2.00"),
                        rng.randint(0, 6),
                        Decimal(rng.randint(0, 12)) / 2,
                        rng.randint(0, 30),
                    )
                )
        insert_rows(model, names, rows)
        count += len(rows)
    return count


def compute_everything() -> tuple[int, int]:
    """Every metric, every jurisdiction, every year: returns (jurisdictions, figures)."""
    from grassroots.governance import selectors

    jurisdictions = list(selectors.jurisdictions())
    figures = 0
    for org in jurisdictions:
        span = selectors.years_with_data(org)
        if span is None:
            continue
        computed, _facts = selectors.series(org, *span)
        figures += sum(len(values) for values in computed.values())
    return len(jurisdictions), figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="share of the contracts and records (0.1: a tenth)")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--keep-url", action="store_true", help="use DATABASE_URL instead of a temporary SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grassroots-bench-") as tmp:
        setup(Path(tmp), args.keep_url)
        from django.db import connection

        started = time.perf_counter()
        print(f"generating the city at scale {args.scale} ({connection.vendor})…", flush=True)
        made = generate(args.scale, args.seed)
        print(
            f"generated {made['contracts']:,} contracts, {made['applications']:,} applications, "
            f"{made['evaluations']:,} evaluations, {made['records']:,} service records "
            f"in {time.perf_counter() - started:.0f} s (not timed)"
        )
        before = resident_peak(reset=True)
        start = time.perf_counter()
        jurisdictions, figures = compute_everything()
        elapsed = time.perf_counter() - start
        after = resident_peak()
        verdict = "under" if elapsed < 10 else "OVER"
        print(
            f"every metric for {jurisdictions} jurisdictions × {YEARS} years ({figures} figures): {elapsed:.2f} s "
            f"({verdict} the 10 s target)",
            flush=True,
        )
        if after is not None and before is not None:
            print(
                f"peak resident size during the computation {after:.0f} MiB ({after - before:+.0f} MiB over the "
                f"process's {before:.0f} MiB after generating the data; SQLite's page cache included)"
            )
        # Tracing every allocation slows Python down several times, so memory is measured on a second run.
        tracemalloc.start()
        compute_everything()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"peak of Python objects allocated by the computation (tracemalloc, second run): {peak / 2**20:.1f} MiB")


def resident_peak(reset: bool = False) -> float | None:
    """The process's peak resident size in MiB (Linux VmHWM), after resetting it to the current size when
    `reset`, so that the figure is the computation's and not the data generation's; None elsewhere."""
    try:
        if reset:
            Path("/proc/self/clear_refs").write_text("5")  # 5: reset the peak resident size
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


if __name__ == "__main__":
    main()
