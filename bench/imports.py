"""Benchmark of the service-record and expenditure imports (issue: contracts, money and delivery).

Sets up Django on a temporary SQLite database, migrates, builds the small world of the tests through the
services and an active contract, then imports a generated 100,000-row CSV and a 100,000-row .xlsx of service
records (and a CSV of expenditures), printing rows, seconds and rows per second. The target is under 60 s for
100,000 service records.
Run: .venv/bin/python bench/imports.py [--rows N] [--seed S]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ["个案", "小组", "社区", "case", "group", "community"]


def setup(home: Path) -> None:
    os.environ["GRASSROOTS_HOME"] = str(home)
    os.environ["DATABASE_URL"] = f"sqlite:///{home / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "grassroots.settings"
    sys.path.insert(0, str(ROOT))  # for tests.world, the small world built through the services
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def record_rows(n: int, start: date, days: int, workers: list[str], seed: int) -> list[list[object]]:
    rng = random.Random(seed)
    rows: list[list[object]] = []
    for i in range(n):
        team = "、".join(rng.sample(workers, rng.randint(1, 2)))
        rows.append(
            [
                (start + timedelta(days=rng.randrange(days))).isoformat(),
                rng.choice(KINDS),
                f"服务活动{i}",
                team,
                rng.randint(1, 60),
                f"{rng.randint(1, 16) / 2:g}",
                rng.randint(0, 8),
                rng.randint(0, 20),
                rng.randint(0, 80),
                f"社区活动室{i % 7}",
                "" if i % 5 else "备注",
            ]
        )
    return rows


def as_csv(header: list[str], rows: list[list[object]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def as_xlsx(header: list[str], rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("服务记录")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def timed(label: str, n: int, size: int, run) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    count = run()
    elapsed = time.perf_counter() - start
    assert count == n, (count, n)
    print(f"  {label}: {n} rows ({size / 2**20:.1f} MiB), {elapsed:.2f} s, {n / elapsed:,.0f} rows/s")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grassroots-bench-") as tmp:
        setup(Path(tmp))
        from tests import world as w

        from grassroots.delivery import services
        from grassroots.delivery.imports import columns_of
        from grassroots.delivery.models import Expenditure, ServiceRecord

        headers = [column.header for column in columns_of("records")]  # the template's own headers

        built = time.perf_counter()
        world = w.build_world()
        contract = w.funded_contract(world, agency=1, requested="100000.00")
        manager = world.managers[1]
        print(f"world and contract {contract.number} built in {time.perf_counter() - built:.1f} s (SQLite, {tmp})")
        workers = [p.name for p in world.social_workers[1]] + [p.user.username for p in world.social_workers[1]]
        days = (contract.ends_on - contract.starts_on).days + 1
        rows = record_rows(args.rows, contract.starts_on, days, workers, args.seed)
        csv_data = as_csv(headers, rows)
        xlsx_data = as_xlsx(headers, rows)

        print("service records:")
        t_csv = timed(
            "CSV ",
            args.rows,
            len(csv_data),
            lambda: services.import_service_records(manager, contract, csv_data, "records.csv"),
        )
        t_xlsx = timed(
            "xlsx",
            args.rows,
            len(xlsx_data),
            lambda: services.import_service_records(manager, contract, xlsx_data, "records.xlsx"),
        )
        assert ServiceRecord.objects.filter(contract=contract).count() == 2 * args.rows
        links = ServiceRecord.social_workers.through.objects.count()
        print(f"  {2 * args.rows} records and {links} social-worker links in the database")

        rng = random.Random(args.seed)
        spending = [
            [(contract.starts_on + timedelta(days=rng.randrange(days))).isoformat(), "活动费用", "0.10", "活动物资", ""]
            for _ in range(args.rows)
        ]
        spend_data = as_csv(["日期", "预算科目", "金额", "用途", "票据号"], spending)
        print("expenditures:")
        timed(
            "CSV ",
            args.rows,
            len(spend_data),
            lambda: services.import_expenditures(manager, contract, spend_data, "spent.csv"),
        )
        assert Expenditure.objects.filter(contract=contract).count() == args.rows
        verdict = "under" if max(t_csv, t_xlsx) < 60 else "OVER"
        print(f"slowest service-record import {max(t_csv, t_xlsx):.1f} s: {verdict} the 60 s target")


if __name__ == "__main__":
    main()
