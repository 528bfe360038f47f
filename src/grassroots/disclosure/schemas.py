"""The vendored OCDS 1.1.5 schemas (with the bids extension merged in) and offline validation.

Nothing is fetched: a `referencing` registry maps each official schema URL to the file under `schema/`,
and the bids extension's release-schema patch is applied to the release schema (JSON Merge Patch, as the
standard's tools do) before anything is validated. Plain Python, no Django.
"""

from __future__ import annotations

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
    datetime.fromisoformat(value)  # raises ValueError for 2025-02-30
    return True


def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(_SCHEME.match(urlsplit(value).scheme)) and not any(c.isspace() for c in value)


@cache
def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checks("date-time", raises=ValueError)(_date_time)
    checker.checks("uri")(_uri)
    return checker


@cache
def _validator(url: str, pointer: str = "") -> Draft4Validator:
    schema = {"$ref": url + pointer} if pointer else _registry().contents(url)
    return Draft4Validator(schema, registry=_registry(), format_checker=_format_checker())


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
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
        message = error.message if len(error.message) <= 300 else error.message[:297] + "..."
        found.append(SchemaError(path, message))
        if len(found) >= limit:
            break
    return found


def release_package_errors(package: Any, limit: int = 20) -> list[SchemaError]:
    return _errors(_validator(RELEASE_PACKAGE_URL), package, limit)


def record_package_errors(package: Any, limit: int = 20) -> list[SchemaError]:
    return _errors(_validator(RECORD_PACKAGE_URL), package, limit)


def release_errors(release: Any, limit: int = 20) -> list[SchemaError]:
    """A single release against the (extended) release schema: what each item of a release package meets."""
    return _errors(_validator(RELEASE_SCHEMA_URL), release, limit)


def record_errors(record: Any, limit: int = 20) -> list[SchemaError]:
    """A single record against the record package's `record` definition."""
    return _errors(_validator(RECORD_PACKAGE_URL, "#/definitions/record"), record, limit)


MergeRules = dict[tuple[str, ...], frozenset[str]]


@cache
def merge_rules() -> MergeRules:
    """Field path (arrays are transparent) → the merge flags the extended release schema sets on it."""
    schema = release_schema()
    rules: MergeRules = {}

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
            flags = frozenset(f for f in ("omitWhenMerged", "wholeListMerge") if prop.get(f))
            if flags:
                rules[here] = flags
            types = prop.get("type", [])
            types = [types] if isinstance(types, str) else types
            if "array" in types:
                walk(resolve(prop.get("items", {})), here, depth + 1)
            elif "object" in types or "properties" in prop:
                walk(prop, here, depth + 1)

    walk(schema, (), 0)
    return rules
