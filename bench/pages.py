"""Server-side render time of the pages of the demo (target: under 200 ms each).

Builds the S Street demo into a temporary SQLite database (not timed; or reuses one given with
--database), then requests every page as the user who would look at it, through Django's test client (the
whole request: middleware, queries, templates), and prints the median and the 95th percentile per page,
with the number of queries. Pages slower than the target are marked.
Run: .venv/bin/python bench/pages.py [--runs N] [--database FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 200.0


def setup(database: Path | None, home: Path) -> None:
    os.environ["GRASSROOTS_HOME"] = str(home)
    os.environ["DATABASE_URL"] = f"sqlite:///{database or home / 'pages.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "grassroots.settings"
    os.environ.setdefault("GRASSROOTS_DEBUG", "0")
    os.environ.setdefault("GRASSROOTS_SECRET_KEY", "bench-pages-not-secret")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    if database is None or not _has_demo():
        from grassroots import demo

        print("building the demo (not timed) …", flush=True)
        demo.build(progress=lambda line: None)


def _has_demo() -> bool:
    from grassroots.contracts.models import Contract

    return Contract.objects.exists()


def _first(qs: Any, pattern: str) -> Callable[[], str | None]:
    """The URL of the first object of `qs` (None when there is none)."""

    def url() -> str | None:
        obj = qs.order_by("pk").first()
        return pattern.format(obj.pk) if obj else None

    return url


def _fixed(path: str) -> Callable[[], str | None]:
    return lambda: path


def pages() -> list[tuple[str, str, Callable[[], str | None]]]:
    """(login, label, url) for every kind of page; a url of None is skipped (the demo lacks that object)."""
    from grassroots.applications.models import Application
    from grassroots.contracts.models import Contract
    from grassroots.delivery.models import Expenditure, ServiceRecord
    from grassroots.evaluation.models import Evaluation, Survey
    from grassroots.funding.models import Call, Program
    from grassroots.orgs.models import Organization, OrgKind

    first, fixed = _first, _fixed

    final = Evaluation.objects.filter(kind="final", state="accepted")
    return [
        ("bureau", "home: department officer", fixed("/")),
        ("street", "home: street officer", fixed("/")),
        ("community1", "home: community worker", fixed("/")),
        ("agency1", "home: agency manager", fixed("/")),
        ("worker1", "home: social worker", fixed("/")),
        ("expert1", "home: reviewer", fixed("/")),
        ("evaluator", "home: evaluator", fixed("/")),
        ("resident1", "home: resident", fixed("/")),
        ("street", "call (decided)", first(Call.objects.filter(state="decided"), "/calls/{}/")),
        ("agency1", "call (open)", first(Call.objects.filter(state="open"), "/calls/{}/")),
        ("street", "application", first(Application.objects.filter(state="awarded"), "/applications/{}/")),
        ("street", "contract (completed)", first(Contract.objects.filter(state="completed"), "/contracts/{}/")),
        ("street", "contract (active)", first(Contract.objects.filter(state="active"), "/contracts/{}/")),
        ("street", "evaluation report", first(final, "/evaluations/{}/")),
        ("evaluator", "evaluation (scoring)", first(Evaluation.objects.filter(state="assigned"), "/evaluations/{}/")),
        ("evaluator", "survey", first(Survey.objects.all(), "/surveys/{}/")),
        ("bureau", "program indicators", first(Program.objects.all(), "/programs/{}/indicators/")),
        ("street", "profile: street", first(Organization.objects.filter(kind=OrgKind.STREET), "/orgs/{}/")),
        ("street", "profile: community", first(Organization.objects.filter(kind=OrgKind.COMMUNITY), "/orgs/{}/")),
        ("street", "profile: agency", first(Organization.objects.filter(kind=OrgKind.AGENCY), "/orgs/{}/")),
        (
            "community1",
            "community needs",
            first(Organization.objects.filter(kind=OrgKind.COMMUNITY), "/communities/{}/needs/"),
        ),
        ("community1", "consultation meeting", _meeting_url()),
        ("bureau", "program", first(Program.objects.all(), "/programs/{}/")),
        ("street", "call review", first(Call.objects.filter(state="decided"), "/calls/{}/review/")),
        ("street", "call awards", first(Call.objects.filter(state="decided"), "/calls/{}/awards/")),
        ("agency1", "application form (new)", first(Call.objects.filter(state="open"), "/calls/{}/apply/")),
        (
            "agency1",
            "service record form",
            first(
                Contract.objects.filter(state="active", agency__memberships__person__user__username="agency1"),
                "/contracts/{}/records/new/",
            ),
        ),
        ("street", "service record", first(ServiceRecord.objects.all(), "/records/{}/")),
        ("street", "expenditure", first(Expenditure.objects.all(), "/expenditures/{}/")),
        ("street", "governance: street", first(Organization.objects.filter(kind=OrgKind.STREET), "/governance/{}/")),
        (
            "bureau",
            "governance: department",
            first(Organization.objects.filter(kind=OrgKind.DEPARTMENT), "/governance/{}/"),
        ),
        ("street", "simulator", fixed("/simulation/")),
        *_lists(),
        *_portal(),
    ]


def _portal() -> list[tuple[str, str, Callable[[], str | None]]]:
    """The public portal and the API's reads (the same for everyone: measured as a resident)."""
    from grassroots.awards.models import AwardList
    from grassroots.contracts.models import Contract
    from grassroots.orgs.models import Organization, OrgKind

    first, fixed = _first, _fixed

    active = Contract.objects.filter(state="active")
    agencies = Organization.objects.filter(kind=OrgKind.AGENCY)
    return [
        ("resident1", "portal: overview", fixed("/open/")),
        ("resident1", "portal: overview, one year", fixed("/open/?year=2025")),
        ("resident1", "portal: contracts", fixed("/open/contracts/")),
        ("resident1", "portal: contracts, CSV", fixed("/open/contracts/?format=csv")),
        ("resident1", "portal: evaluation grades", fixed("/open/evaluations/?grade=excellent")),
        ("resident1", "portal: award list", first(AwardList.objects.filter(state="decided"), "/open/awards/{}/")),
        ("resident1", "portal: contract", first(active, "/open/contracts/{}/")),
        ("resident1", "portal: agency", first(agencies, "/open/organizations/{}/")),
        ("resident1", "api: contracts, 100", fixed("/api/contracts?limit=100")),
        ("resident1", "api: contract", first(active, "/api/contracts/{}")),
        ("resident1", "api: award lists", fixed("/api/award-lists")),
        ("resident1", "api: calls", fixed("/api/calls")),
        ("resident1", "api: evaluations, 100", fixed("/api/evaluations?limit=100")),
        (
            "resident1",
            "api: governance, 2025",
            first(Organization.objects.filter(kind=OrgKind.STREET), "/api/governance/metrics?street={}&year=2025"),
        ),
    ]


def _lists() -> list[tuple[str, str, Callable[[], str | None]]]:
    """The list pages for the roles whose navigation leads to them: plain, filtered, and downloaded as CSV."""
    from grassroots.contracts.models import Contract

    def fixed(path: str) -> Callable[[], str | None]:
        return lambda: path

    def contract(path: str) -> Callable[[], str | None]:
        def url() -> str | None:
            found = Contract.objects.filter(state="active").order_by("pk").first()
            return path.format(found.pk) if found else None

        return url

    return [
        ("bureau", "list: calls", fixed("/calls/")),
        ("bureau", "list: calls, filtered", fixed("/calls/?state=decided&year=2025")),
        ("bureau", "list: contracts", fixed("/contracts/")),
        ("bureau", "list: contracts, filtered", fixed("/contracts/?state=active&q=HT")),
        ("bureau", "list: payments", fixed("/payments/")),
        ("bureau", "list: payments, filtered", fixed("/payments/?year=2025")),
        ("bureau", "list: payments, CSV", fixed("/payments/?format=csv")),
        ("bureau", "list: evaluations", fixed("/evaluations/")),
        ("street", "list: applications", fixed("/applications/")),
        ("street", "list: applications, filtered", fixed("/applications/?state=awarded&sort=-requested")),
        ("street", "list: applications, CSV", fixed("/applications/?format=csv")),
        ("street", "list: contracts, CSV", fixed("/contracts/?format=csv")),
        ("street", "list: evaluations, filtered", fixed("/evaluations/?kind=final&grade=excellent")),
        ("agency1", "list: applications", fixed("/applications/")),
        ("agency1", "list: records", fixed("/records/")),
        ("agency1", "list: records, filtered", contract("/records/?contract={}&kind=group&held_from=2026-01-01")),
        ("agency1", "list: records, page 5", fixed("/records/?page=5&sort=held_on")),
        ("agency1", "list: records, CSV", fixed("/records/?format=csv")),
        ("agency1", "list: expenditures", fixed("/expenditures/")),
        ("agency1", "list: expenditures, filtered", fixed("/expenditures/?head=personnel&spent_from=2026-01-01")),
        ("agency1", "list: expenditures, CSV", fixed("/expenditures/?format=csv")),
        ("worker1", "list: records", fixed("/records/")),
        ("evaluator", "list: evaluations", fixed("/evaluations/")),
        ("evaluator", "list: evaluations, CSV", fixed("/evaluations/?format=csv")),
    ]


def _meeting_url() -> Callable[[], str | None]:
    def url() -> str | None:
        from grassroots.needs.models import Meeting

        meeting = Meeting.objects.filter(state="closed").order_by("pk").first()
        return f"/meetings/{meeting.pk}/" if meeting else None

    return url


def measure(runs: int) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import Resolver404, resolve

    from grassroots.demo import DEMO_PASSWORD

    clients: dict[str, Client] = {}
    slow = 0
    print(f"{'page':34} {'login':11} {'median ms':>10} {'p95 ms':>9} {'queries':>8}")
    for login, label, url_of in pages():
        url = url_of()
        if url is None:
            print(f"{label:34} {login:11} {'(no such object in the demo)':>30}")
            continue
        try:
            resolve(url.split("?", 1)[0])
        except Resolver404:
            print(f"{label:34} {login:11} {'(no such page yet)':>30}")
            continue
        client = clients.get(login)
        if client is None:
            client = clients[login] = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-hans")
            assert client.login(username=login, password=DEMO_PASSWORD), login
        client.get(url)  # warm the caches (templates, translations)
        times = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        times.sort()
        median = statistics.median(times)
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        mark = "  ← over target" if p95 > TARGET_MS else ""
        slow += p95 > TARGET_MS
        print(f"{label:34} {login:11} {median:10.1f} {p95:9.1f} {len(queries):8d}{mark}", flush=True)
    return slow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database", type=Path, help="an SQLite file with the demo (built if empty)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        setup(args.database, Path(home))
        slow = measure(args.runs)
    print(f"target: p95 under {TARGET_MS:.0f} ms per page; {slow} page(s) over it")


if __name__ == "__main__":
    main()
