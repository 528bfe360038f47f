"""Compiling the releases of one contracting process into its compiled release (OCDS 1.1.5 merging).

The rules, applied to the releases in date order (ties keep their given order):

- fields the schema marks `omitWhenMerged` (a release's `id`, `date` and `tag`) are dropped; the compiled
  release gets its own: `tag` ["compiled"], the latest `date`, and `id` "<ocid>-<latest date>";
- objects merge field by field, a later value replacing an earlier one;
- `null` deletes the field (how a publisher removes a value);
- an array is replaced whole (a *whole list merge*) when the schema marks it `wholeListMerge`, when it is
  empty, or when any item is not an object or has no `id`;
- otherwise (*identifier merge*) items are matched by `id` (compared as text): a known id merges into the
  earlier item, a new id is appended; when one release repeats an id, its last item counts.

Plain Python: takes and returns plain JSON data.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from .schemas import MergeRules, merge_rules


def _order(date: Any) -> tuple[int, datetime]:
    """Sort key of a release date: aware times by their instant; a missing or unreadable date first."""
    try:
        when = datetime.fromisoformat(date) if isinstance(date, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        return (0, when or datetime.min)
    return (1, when.astimezone(UTC).replace(tzinfo=None))


def _identifier_merge(value: list[Any], rules: frozenset[str]) -> bool:
    return (
        "wholeListMerge" not in rules
        and bool(value)
        and all(isinstance(item, dict) and item.get("id") is not None for item in value)
    )


def _merge_object(target: dict[str, Any], source: dict[str, Any], path: tuple[str, ...], rules: MergeRules) -> None:
    for key, value in source.items():
        here = (*path, key)
        flags = rules.get(here, frozenset())
        if "omitWhenMerged" in flags:
            continue
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):
            existing = target.get(key)
            merged = existing if isinstance(existing, dict) else {}
            _merge_object(merged, value, here, rules)
            if merged or key in target:
                target[key] = merged
        elif isinstance(value, list) and _identifier_merge(value, flags):
            existing = target.get(key)
            items: list[Any] = existing if isinstance(existing, list) else []
            by_id = {str(item["id"]): item for item in items if isinstance(item, dict) and "id" in item}
            latest = {str(item["id"]): item for item in value}  # one release repeating an id: the last counts
            for ident, item in latest.items():
                if ident in by_id:
                    _merge_object(by_id[ident], item, here, rules)
                else:
                    fresh: dict[str, Any] = {}
                    _merge_object(fresh, item, here, rules)
                    items.append(fresh)
                    by_id[ident] = fresh
            target[key] = items
        else:
            target[key] = copy.deepcopy(value) if isinstance(value, list) else value


def compile_releases(releases: Iterable[dict[str, Any]], rules: MergeRules | None = None) -> dict[str, Any]:
    """The compiled release of the releases of one ocid."""
    ordered = sorted(releases, key=lambda r: _order(r.get("date")))
    if not ordered:
        raise ValueError("no releases to compile")
    ocids = {r.get("ocid") for r in ordered}
    if len(ocids) != 1:
        raise ValueError(f"releases of more than one ocid: {sorted(map(str, ocids))}")
    rules = merge_rules() if rules is None else rules
    compiled: dict[str, Any] = {}
    for release in ordered:
        _merge_object(compiled, release, (), rules)
    dates = [r["date"] for r in ordered if isinstance(r.get("date"), str)]
    latest = max(dates, key=_order) if dates else None
    head: dict[str, Any] = {"ocid": ordered[0]["ocid"], "id": f"{ordered[0]['ocid']}-{latest or 'compiled'}"}
    if latest:
        head["date"] = latest
    head["tag"] = ["compiled"]
    return {**head, **{k: v for k, v in compiled.items() if k not in head}}
