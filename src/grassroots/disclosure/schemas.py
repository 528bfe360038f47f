"""The vendored OCDS 1.1.5 schemas (with the bids extension merged in) and offline validation.

Nothing is fetched: a `referencing` registry maps each official schema URL to the file under `schema/`,
and the bids extension's release-schema patch is applied to the release schema (JSON Merge Patch, as the
standard's tools do) before anything is validated. Validation runs on `jsonschema-rs` (the same Draft 4
rules and the same two formats, compiled once: an export validates every release and record, and Python's
`jsonschema` made that eight times slower than writing them); `jsonschema` with a `referencing` registry
is the fallback where the Rust wheel is missing. The extension's codelists (shipped beside its schema)
are checked too: a JSON Schema only enforces the closed ones, yet an open codelist's codes (a bid
statistic's `measure`) are what the data's users look up. Plain Python, no Django.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT4

try:
    import jsonschema_rs
except ImportError:  # pragma: no cover - the wheel is a dependency; the pure-Python validator still works
    jsonschema_rs = None  # type: ignore[assignment]

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
CORE_DIR = SCHEMA_DIR / "1__1__5"
BASE_URL = "https://standard.open-contracting.org/schema/1__1__5/"
RELEASE_SCHEMA_URL = BASE_URL + "release-schema.json"
RELEASE_PACKAGE_URL = BASE_URL + "release-package-schema.json"
RECORD_PACKAGE_URL = BASE_URL + "record-package-schema.json"
VERSIONED_URL = BASE_URL + "versioned-release-validation-schema.json"

#: The extensions an export declares, by the URL a package names them with → the vendored folder.
EXTENSIONS = {
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json": (
        SCHEMA_DIR / "extensions" / "bids-v1.1.5"
    ),
}
VERSION = "1.1"

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")


def _load(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch: how an extension's release-schema.json amends the core schema."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


@cache
def release_schema() -> dict[str, Any]:
    """The core release schema with every declared extension's patch applied."""
    schema = _load(CORE_DIR / "release-schema.json")
    for folder in EXTENSIONS.values():
        schema = merge_patch(schema, _load(folder / "release-schema.json"))
    return schema


@cache
def _registry() -> Registry:
    resources = [
        (RELEASE_SCHEMA_URL, release_schema()),
        (RELEASE_PACKAGE_URL, _load(CORE_DIR / "release-package-schema.json")),
        (RECORD_PACKAGE_URL, _load(CORE_DIR / "record-package-schema.json")),
        (VERSIONED_URL, _load(CORE_DIR / "versioned-release-validation-schema.json")),
    ]
    return Registry().with_resources((url, DRAFT4.create_resource(contents)) for url, contents in resources)


def _date_time(value: object) -> bool:
    """RFC 3339 with a time zone (a bare local time is refused), and a real calendar date."""
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    try:
        datetime.fromisoformat(value)  # refuses 2025-02-30
    except ValueError:
        return False
    return True


def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(_SCHEME.match(urlsplit(value).scheme)) and not any(c.isspace() for c in value)


@cache
def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checks("date-time")(_date_time)
    checker.checks("uri")(_uri)
    return checker


@cache
def _validator(url: str, pointer: str = "", *, fast: bool = True) -> Any:
    """The compiled validator of one schema (or one of its definitions): jsonschema-rs where present (and
    `fast`), else jsonschema; both report the same places."""
    schema = {"$ref": url + pointer} if pointer else _registry().contents(url)
    if jsonschema_rs is None or not fast:
        return Draft4Validator(schema, registry=_registry(), format_checker=_format_checker())
    resources = [(u, _registry().contents(u)) for u in (RELEASE_SCHEMA_URL, RELEASE_PACKAGE_URL, RECORD_PACKAGE_URL)]
    resources.append((VERSIONED_URL, _registry().contents(VERSIONED_URL)))
    return jsonschema_rs.Draft4Validator(
        schema,
        formats={"date-time": _date_time, "uri": _uri},
        validate_formats=True,
        registry=jsonschema_rs.Registry(resources, draft=jsonschema_rs.Draft4),
        base_uri=url if not pointer else BASE_URL + pointer.strip("#/").replace("/", "-"),
        offline=True,
    )


@dataclass(frozen=True)
class SchemaError:
    """One reason a document does not conform: where (a JSON path) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def _errors(validator: Draft4Validator, document: Any, limit: int) -> list[SchemaError]:
    found: list[SchemaError] = []
    iterator: Iterator[Any] = validator.iter_errors(document)
    for error in iterator:
        where = error.instance_path if hasattr(error, "instance_path") else error.absolute_path
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in where).lstrip(".")
        message = error.message if len(error.message) <= 300 else error.message[:297] + "..."
        found.append(SchemaError(path, message))
        if len(found) >= limit:
            break
    return found


def _items(document: Any, key: str) -> list[tuple[int, Any]]:
    items = document.get(key) if isinstance(document, dict) else None
    return list(enumerate(items)) if isinstance(items, list) else []


def release_package_errors(package: Any, limit: int = 20) -> list[SchemaError]:
    found = _errors(_validator(RELEASE_PACKAGE_URL), package, limit)
    for i, release in _items(package, "releases"):
        found += codelist_errors(release, limit, f"releases[{i}]")
    return found[:limit]


def record_package_errors(package: Any, limit: int = 20) -> list[SchemaError]:
    found = _errors(_validator(RECORD_PACKAGE_URL), package, limit)
    for i, record in _items(package, "records"):
        if isinstance(record, dict):
            found += codelist_errors(record.get("compiledRelease"), limit, f"records[{i}].compiledRelease")
    return found[:limit]


def release_errors(release: Any, limit: int = 20) -> list[SchemaError]:
    """A single release against the (extended) release schema and the extensions' codelists: what each item
    of a release package meets."""
    found = _errors(_validator(RELEASE_SCHEMA_URL), release, limit)
    return (found + codelist_errors(release, limit))[:limit]


def record_errors(record: Any, limit: int = 20) -> list[SchemaError]:
    """A single record against the record package's `record` definition (its compiled release also against
    the extensions' codelists)."""
    found = _errors(_validator(RECORD_PACKAGE_URL, "#/definitions/record"), record, limit)
    compiled = record.get("compiledRelease") if isinstance(record, dict) else None
    return (found + codelist_errors(compiled, limit, "compiledRelease"))[:limit]


@cache
def codelists() -> dict[str, frozenset[str]]:
    """The codes of each codelist the declared extensions ship (file name → codes)."""
    found: dict[str, frozenset[str]] = {}
    for folder in EXTENSIONS.values():
        for path in sorted((folder / "codelists").glob("*.csv")):
            with path.open(encoding="utf-8", newline="") as handle:
                found[path.name] = frozenset(row["Code"] for row in csv.DictReader(handle))
    return found


def codelist_errors(release: Any, limit: int = 20, where: str = "") -> list[SchemaError]:
    """Values of fields whose codelist an extension ships (open or closed) that are not codes of it."""
    fields = codelist_fields()
    codes = codelists()
    found: list[SchemaError] = []

    def visit(node: Any, path: tuple[str, ...], at: str) -> None:
        if len(found) >= limit:
            return
        if isinstance(node, list):
            for i, item in enumerate(node):
                visit(item, path, f"{at}[{i}]")
        elif isinstance(node, dict):
            for key, value in node.items():
                here, place = (*path, key), f"{at}.{key}" if at else key
                codelist = fields.get(here)
                if codelist is not None and isinstance(value, str) and value not in codes[codelist]:
                    found.append(SchemaError(place, f"{value!r} is not a code of the codelist {codelist}"))
                visit(value, here, place)

    visit(release, (), where)
    return found[:limit]


MergeRules = dict[tuple[str, ...], frozenset[str]]


@cache
def merge_rules() -> MergeRules:
    """Field path (arrays are transparent) → the merge flags the extended release schema sets on it."""
    rules: MergeRules = {}
    for here, prop in _fields():
        flags = frozenset(f for f in ("omitWhenMerged", "wholeListMerge") if prop.get(f))
        if flags:
            rules[here] = flags
    return rules


@cache
def codelist_fields() -> dict[tuple[str, ...], str]:
    """Field path (arrays are transparent) → the extension codelist its values are codes of, for the fields
    whose schema does not enforce it itself (an open codelist has no `enum`; a closed one's `enum` already
    answers)."""
    shipped = codelists()
    return {
        here: prop["codelist"] for here, prop in _fields() if prop.get("codelist") in shipped and "enum" not in prop
    }


@cache
def _fields() -> tuple[tuple[tuple[str, ...], dict[str, Any]], ...]:
    """Every field of the extended release schema, by path (arrays are transparent), with its definition."""
    schema = release_schema()
    out: list[tuple[tuple[str, ...], dict[str, Any]]] = []

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref", "")
        if ref.startswith("#/definitions/"):
            return {**schema["definitions"][ref.removeprefix("#/definitions/")], **node}
        return node

    def walk(node: dict[str, Any], path: tuple[str, ...], depth: int) -> None:
        if depth > 12:
            return
        for name, prop in node.get("properties", {}).items():
            prop = resolve(prop)
            here = (*path, name)
            out.append((here, prop))
            types = prop.get("type", [])
            types = [types] if isinstance(types, str) else types
            if "array" in types:
                walk(resolve(prop.get("items", {})), here, depth + 1)
            elif "object" in types or "properties" in prop:
                walk(prop, here, depth + 1)

    walk(schema, (), 0)
    return tuple(out)
