"""Release and record packages of the public calls: in memory for the API's pages, streamed to files for
`grassroots export-ocds` (so an export of many thousands of processes never sits in memory whole)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.funding.models import Call

from . import ocds, schemas, selectors


def dumps(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def api_url(path: str, **params: Any) -> str:
    query = urlencode([(k, v) for k, v in params.items() if v not in (None, "", [], ())], doseq=True)
    base = f"{selectors.publisher().uri}/api/ocds/{path}"
    return f"{base}?{query}" if query else base


def releases_url(ocid: str) -> str:
    """Where every release of one process is published (a release package): what records link to."""
    return api_url(f"releases/{ocid}")


def process_releases(calls: QuerySet[Call]) -> Iterator[list[dict[str, Any]]]:
    zone = selectors.publisher().zone
    for process in selectors.processes(calls):
        yield ocds.releases_of(process, zone)


def release_package(calls: QuerySet[Call], uri: str) -> dict[str, Any]:
    head = ocds.package_head(selectors.publisher(), uri, timezone.now())
    return ocds.release_package(head, process_releases(calls))


def record_package(calls: QuerySet[Call], uri: str, release_package_uri: str) -> dict[str, Any]:
    head = ocds.package_head(selectors.publisher(), uri, timezone.now())
    records = (ocds.record_of(releases, releases_url(releases[0]["ocid"])) for releases in process_releases(calls))
    return ocds.record_package(head, records, release_package_uri)


class InvalidExport(Exception):
    """An export that does not validate: a bug, never published."""


@dataclass
class Written:
    processes: int = 0
    releases: int = 0
    files: list[Path] = field(default_factory=list)


def write_packages(
    out: Path,
    calls: QuerySet[Call],
    *,
    suffix: str = "",
    filters: dict[str, Any] | None = None,
    validate: bool = True,
    progress: Callable[[int, int, int], None] | None = None,
) -> Written:
    """Write `release-package<suffix>.json` and `record-package<suffix>.json` of `calls` into `out`.

    Both files are written process by process; with `validate`, every release and record is checked against
    the schemas before it is written, and the first that fails stops the export (`InvalidExport`).
    """
    out.mkdir(parents=True, exist_ok=True)
    filters = filters or {}
    release_uri = api_url("release-package", **filters)
    record_uri = api_url("record-package", **filters)
    now = timezone.now()
    release_head = ocds.package_head(selectors.publisher(), release_uri, now)
    record_head = {**ocds.package_head(selectors.publisher(), record_uri, now), "packages": [release_uri]}
    written = Written(files=[out / f"release-package{suffix}.json", out / f"record-package{suffix}.json"])
    total = calls.count()
    with (
        written.files[0].open("w", encoding="utf-8") as releases_file,
        written.files[1].open("w", encoding="utf-8") as records_file,
    ):
        releases_file.write(_opening(release_head, "releases"))
        records_file.write(_opening(record_head, "records"))
        for releases in process_releases(calls):
            record = ocds.record_of(releases, releases_url(releases[0]["ocid"]))
            if validate:
                _check(releases, record)
            for release in releases:
                releases_file.write(("," if written.releases else "") + dumps(release))
                written.releases += 1
            records_file.write(("," if written.processes else "") + dumps(record))
            written.processes += 1
            if progress and (written.processes % 500 == 0 or written.processes == total):
                progress(written.processes, total, written.releases)
        releases_file.write("]}\n")
        records_file.write("]}\n")
    return written


def _opening(head: dict[str, Any], key: str) -> str:
    """The package's fields and the opening of its list (`releases` or `records`)."""
    return dumps(head)[:-1] + f',"{key}":['


def _check(releases: list[dict[str, Any]], record: dict[str, Any]) -> None:
    for release in releases:
        errors = schemas.release_errors(release, limit=1)
        if errors:
            raise InvalidExport(_("Release %(id)s does not validate: %(e)s") % {"id": release["id"], "e": errors[0]})
    errors = schemas.record_errors(record, limit=1)
    if errors:
        raise InvalidExport(
            _("The record of %(ocid)s does not validate: %(e)s") % {"ocid": record["ocid"], "e": errors[0]}
        )
