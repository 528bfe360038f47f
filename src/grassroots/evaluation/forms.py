"""What the evaluation pages' forms post, read into the plain arguments of `evaluation.services`.

The pages are plain HTML tables of inputs (one row per indicator, finding or node), so these readers
take the POST data as it comes and keep what was typed, to show it again when the service refuses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from . import indicators
from .documents import node_from
from .models import EvaluationItem, Finding

#: Empty rows the forms offer for new findings and new indicators.
EMPTY_FINDINGS = 3
EMPTY_NODES = 5
#: At most this many rows are read from one form.
MAX_ROWS = 200


def parse_day(text: str) -> date | None:
    """A date typed as YYYY-MM-DD (what a date input sends); None when empty or not a date."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _count(post: Mapping[str, Any], name: str) -> int:
    try:
        return max(0, min(MAX_ROWS, int(str(post.get(name, "0")))))
    except ValueError:
        return 0


# --- the scoring form ----------------------------------------------------------------------------


@dataclass
class Scored:
    """What the form shows for one leaf: the item, what the data gives it today, and its inputs' values."""

    item: EvaluationItem
    level: int
    points: str
    evidence: str
    comment: str
    shown: str = ""  # the data's points as the form shows them (a leaf that keeps them follows the data)
    basis: Any = None  # how the data's points were found (stored Message data)


def _plain(value: Any) -> str:
    return "" if value is None else f"{value:.2f}"


def scoring_rows(
    rows: Iterable[Any], preview: Mapping[str, Any], post: Mapping[str, Any] | None = None
) -> list[Scored | Any]:
    """The report's rows with, for each leaf, the values its inputs hold: what was posted, else what is
    stored; a computed leaf that follows the data shows what the data gives today (`preview`)."""
    out: list[Scored | Any] = []
    for row in rows:
        item = row.item
        if not item.is_leaf:
            out.append(row)
            continue
        data = preview.get(item.code)
        following = item.points is None or item.points == item.computed_points
        shown = _plain(data.points) if data is not None else _plain(item.computed_points)
        basis = data.basis if data is not None else item.basis
        if post is not None and f"points-{item.code}" in post:
            out.append(
                Scored(
                    item,
                    row.level,
                    str(post.get(f"points-{item.code}", "")),
                    str(post.get(f"evidence-{item.code}", "")),
                    str(post.get(f"comment-{item.code}", "")),
                    shown,
                    basis,
                )
            )
        else:
            points = shown if data is not None and following else _plain(item.points)
            out.append(Scored(item, row.level, points, item.evidence, item.comment, shown, basis))
    return out


def scores_from(post: Mapping[str, Any], items: Iterable[EvaluationItem]) -> dict[str, dict[str, str]]:
    """The `scores` argument of the scoring services: every leaf the form posted.

    Points equal to the data's (as the form showed them) are sent empty, so the leaf keeps following the
    data; an empty entry on a manual leaf clears it.
    """
    scores = {}
    for item in items:
        if not item.is_leaf or f"points-{item.code}" not in post:
            continue
        points = str(post.get(f"points-{item.code}", "")).strip()
        shown = str(post.get(f"shown-{item.code}", "")).strip()
        if shown and points == shown:
            points = ""
        scores[item.code] = {
            "points": points,
            "evidence": str(post.get(f"evidence-{item.code}", "")),
            "comment": str(post.get(f"comment-{item.code}", "")),
        }
    return scores


# --- findings ------------------------------------------------------------------------------------


@dataclass
class FindingRow:
    text: str = ""
    requirement: str = ""
    due_on: str = ""


def finding_rows(findings: Iterable[Finding], post: Mapping[str, Any] | None = None) -> list[FindingRow]:
    """The findings table: what was posted, else the stored findings; then a few empty rows."""
    if post is not None and "findings" in post:
        rows = [
            FindingRow(
                str(post.get(f"finding-{i}-text", "")),
                str(post.get(f"finding-{i}-requirement", "")),
                str(post.get(f"finding-{i}-due_on", "")),
            )
            for i in range(_count(post, "findings"))
        ]
        rows = [r for r in rows if r.text.strip() or r.requirement.strip() or r.due_on.strip()]
    else:
        rows = [FindingRow(f.text, f.requirement, f.due_on.isoformat() if f.due_on else "") for f in findings]
    return rows + [FindingRow() for _i in range(EMPTY_FINDINGS)]


def findings_from(post: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The `findings` argument of `submit_evaluation` (empty rows left out), and the dates not understood."""
    findings: list[dict[str, Any]] = []
    errors: list[str] = []
    for row in finding_rows((), post):
        if not (row.text.strip() or row.requirement.strip() or row.due_on.strip()):
            continue
        due = parse_day(row.due_on) if row.due_on.strip() else None
        if row.due_on.strip() and due is None:
            errors.append(
                _("Finding %(n)s: “%(d)s” is not a date (YYYY-MM-DD).") % {"n": len(findings) + 1, "d": row.due_on}
            )
        findings.append({"text": row.text, "requirement": row.requirement, "due_on": due})
    return findings, errors


def has_findings(post: Mapping[str, Any]) -> bool:
    return any(r.text.strip() or r.requirement.strip() for r in finding_rows((), post))


# --- the indicator system table ----------------------------------------------------------------------

NODE_FIELDS = ("code", "parent", "name", "name_en", "weight", "source", "metric", "rubric", "rubric_en")


def node_rows(nodes: Iterable[indicators.Node], post: Mapping[str, Any] | None = None) -> list[dict[str, str]]:
    """The editing table: what was posted, else the system's nodes depth-first; then empty rows."""
    if post is not None and "rows" in post:
        rows = [{f: str(post.get(f"row-{i}-{f}", "")) for f in NODE_FIELDS} for i in range(_count(post, "rows"))]
        rows = [r for r in rows if any(v.strip() for v in r.values())]
    else:
        rows = [
            {
                "code": n.code,
                "parent": n.parent,
                "name": n.name,
                "name_en": n.name_en,
                "weight": format(n.weight.normalize(), "f") if hasattr(n.weight, "normalize") else str(n.weight),
                "source": n.source,
                "metric": n.metric,
                "rubric": n.rubric,
                "rubric_en": n.rubric_en,
            }
            for _level, n in indicators.ordered(list(nodes))
        ]
    return rows + [dict.fromkeys(NODE_FIELDS, "") for _i in range(EMPTY_NODES)]


def nodes_from(post: Mapping[str, Any]) -> list[indicators.Node]:
    """The nodes the editing table posted, empty rows left out."""
    return [node_from(**row) for row in node_rows((), post) if any(v.strip() for v in row.values())]
