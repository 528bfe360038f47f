"""What the application form posts, read into the plain arguments of `applications.services`.

The form is plain HTML: fields for the application's own columns, checkboxes for the partner communities,
the team and the linked needs, and numbered rows for indicators, budget lines and matching funds
(`line-0-amount`, …, with a hidden count per table: `line_rows` and so on, never the name of a property
of the form element, like `matches`, which scripts would then no longer find). `typed_from` keeps what was
typed, to show it again when the service refuses; `application_from` turns it into the services' keyword
arguments, refusing only what is not even readable (an amount that is not one, a row half filled). Every
rule of the mechanism is left to the services.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from grassroots.core.errors import RuleViolation
from grassroots.core.keys import ids
from grassroots.core.money import money
from grassroots.funding.models import Call, ServiceCategory
from grassroots.needs.forms import whole
from grassroots.needs.models import Need
from grassroots.orgs.models import Organization, OrgKind, Person

from .models import Application, BudgetHead, FundSource, IndicatorKind, Measure, ServiceKind, TeamMember

#: Empty rows the form offers below the filled ones, and how many more "More rows" adds.
EMPTY_ROWS = {"line": 3, "match": 1, "indicator": 2}
MORE_ROWS = 3
#: At most this many rows of a table are read.
MAX_ROWS = 100
#: Indicator targets are stored with 12 digits, two of them after the point.
TARGET_LIMIT = Decimal("1e10")
#: The budget heads offered, in order, on a new application's first rows.
FIRST_HEADS = [BudgetHead.PERSONNEL, BudgetHead.ACTIVITIES, BudgetHead.MATERIALS, BudgetHead.MANAGEMENT]


@dataclass
class LineRow:
    head: str = ""
    description: str = ""
    amount: str = ""

    @property
    def empty(self) -> bool:
        return not (self.description.strip() or self.amount.strip())


@dataclass
class MatchRow:
    source: str = ""
    provider: str = ""
    amount: str = ""

    @property
    def empty(self) -> bool:
        return not (self.provider.strip() or self.amount.strip())


@dataclass
class IndicatorRow:
    name: str = ""
    kind: str = IndicatorKind.OUTPUT
    measure: str = Measure.SESSIONS
    service_kind: str = ""
    unit: str = ""
    target: str = ""

    @property
    def empty(self) -> bool:
        return not (self.name.strip() or self.target.strip() or self.unit.strip())


@dataclass
class Typed:
    """What the form shows: what was posted, what a draft holds, or a new application's defaults."""

    lead_agency: str = ""
    title: str = ""
    title_en: str = ""
    category: str = ""
    term_months: str = "12"
    summary: str = ""
    objectives: str = ""
    communities: set[int] = field(default_factory=set)
    team: dict[int, str] = field(default_factory=dict)  # person → role, for the members ticked
    needs: set[int] = field(default_factory=set)
    lines: list[LineRow] = field(default_factory=list)
    matching: list[MatchRow] = field(default_factory=list)
    indicators: list[IndicatorRow] = field(default_factory=list)

    def padded(self, more: int = 0) -> Typed:
        """The same with empty rows after the filled ones (`more` extra for the "More rows" button)."""
        self.lines = [r for r in self.lines if not r.empty]
        self.matching = [r for r in self.matching if not r.empty]
        self.indicators = [r for r in self.indicators if not r.empty]
        self.lines += [LineRow() for _i in range(EMPTY_ROWS["line"] + more)]
        self.matching += [MatchRow() for _i in range(EMPTY_ROWS["match"] + more)]
        self.indicators += [IndicatorRow() for _i in range(EMPTY_ROWS["indicator"] + more)]
        return self


def _text(post: Mapping[str, Any], name: str) -> str:
    return str(post.get(name, ""))


def _count(post: Mapping[str, Any], name: str) -> int:
    try:
        return max(0, min(MAX_ROWS, int(_text(post, name))))
    except ValueError:
        return 0


def typed_from(post: Any) -> Typed:
    """What was posted, as the form shows it again."""
    team = {}
    for pk in ids(post.getlist("team")):
        team[pk] = _text(post, f"role-{pk}") or TeamMember.Role.MEMBER
    return Typed(
        lead_agency=_text(post, "lead_agency"),
        title=_text(post, "title"),
        title_en=_text(post, "title_en"),
        category=_text(post, "category"),
        term_months=_text(post, "term_months"),
        summary=_text(post, "summary"),
        objectives=_text(post, "objectives"),
        communities=set(ids(post.getlist("communities"))),
        team=team,
        needs=set(ids(post.getlist("needs"))),
        lines=[
            LineRow(*(_text(post, f"line-{i}-{name}") for name in ("head", "description", "amount")))
            for i in range(_count(post, "line_rows"))
        ],
        matching=[
            MatchRow(*(_text(post, f"match-{i}-{name}") for name in ("source", "provider", "amount")))
            for i in range(_count(post, "match_rows"))
        ],
        indicators=[
            IndicatorRow(
                _text(post, f"indicator-{i}-name"),
                _text(post, f"indicator-{i}-kind"),
                _text(post, f"indicator-{i}-measure"),
                _text(post, f"indicator-{i}-service_kind"),
                _text(post, f"indicator-{i}-unit"),
                _text(post, f"indicator-{i}-target"),
            )
            for i in range(_count(post, "indicator_rows"))
        ],
    )


def blank(call: Call, agencies: list[Organization]) -> Typed:
    """A new application's form: the only category and agency chosen when there is one, the longest term."""
    categories = list(call.categories.all())
    typed = Typed(
        lead_agency=str(agencies[0].pk) if len(agencies) == 1 else "",
        category=str(categories[0].pk) if len(categories) == 1 else "",
        term_months=str(call.program.max_term_months),
    ).padded()
    typed.lines = [LineRow(head=h) for h in FIRST_HEADS] + typed.lines[: EMPTY_ROWS["line"] - 1]
    return typed


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else f"{value:.2f}"


def typed_of(application: Application, detail: Mapping[str, Any]) -> Typed:
    """A draft as the form shows it (`detail` is `selectors.application_detail`)."""
    return Typed(
        lead_agency=str(application.lead_agency_id),
        title=application.title,
        title_en=application.title_en,
        category=str(application.category_id),
        term_months=str(application.term_months),
        summary=application.summary,
        objectives=application.objectives,
        communities={c.pk for c in detail["communities"]},
        team={m.person_id: m.role for m in detail["team"]},
        needs={n.pk for n in detail["needs"]},
        lines=[LineRow(b.head, b.description, f"{b.amount:.2f}") for b in detail["budget_lines"]],
        matching=[MatchRow(m.source, m.provider, f"{m.amount:.2f}") for m in detail["matching_funds"]],
        indicators=[
            IndicatorRow(i.name, i.kind, i.measure, i.service_kind, i.unit, _plain(i.target))
            for i in detail["indicators"]
        ],
    ).padded()


# --- reading the form into the services' arguments ------------------------------------------------------------


def _amount(text: str, label: str) -> Decimal:
    try:
        return money(text)
    except ValidationError as problem:
        raise RuleViolation(
            _("%(field)s: %(problem)s") % {"field": label, "problem": " ".join(problem.messages)}
        ) from None


def budget_rows(typed: Typed) -> tuple[list[tuple[str, Decimal]], list[Decimal], list[str]]:
    """The budget lines (head, amount) and matching amounts that can be read, for the live totals, and what
    could not be read (each a sentence naming the row)."""
    lines: list[tuple[str, Decimal]] = []
    matching: list[Decimal] = []
    problems: list[str] = []
    for n, row in enumerate(typed.lines, start=1):
        if row.amount.strip():
            try:
                lines.append((row.head, _amount(row.amount, _("Budget line %(n)d") % {"n": n})))
            except RuleViolation as problem:
                problems.extend(problem.messages)
    for n, fund in enumerate(typed.matching, start=1):
        if fund.amount.strip():
            try:
                matching.append(_amount(fund.amount, _("Matching fund %(n)d") % {"n": n}))
            except RuleViolation as problem:
                problems.extend(problem.messages)
    return lines, matching, problems


def _limit(text: str, size: int, label: str) -> str:
    text = text.strip()
    if len(text) > size:
        raise RuleViolation(_("%(field)s: at most %(n)d characters.") % {"field": label, "n": size})
    return text


def _lines(typed: Typed) -> list[dict[str, Any]]:
    out = []
    for n, row in enumerate(typed.lines, start=1):
        if row.empty:
            continue
        label = _("Budget line %(n)d") % {"n": n}
        if not row.amount.strip():
            raise RuleViolation(_("%(row)s: give the amount.") % {"row": label})
        out.append(
            {
                "head": row.head,
                "description": _limit(row.description, 200, label),
                "amount": _amount(row.amount, label),
            }
        )
    return out


def _matching(typed: Typed) -> list[dict[str, Any]]:
    out = []
    for n, fund in enumerate(typed.matching, start=1):
        if fund.empty:
            continue
        label = _("Matching fund %(n)d") % {"n": n}
        if not fund.amount.strip():
            raise RuleViolation(_("%(row)s: give the amount.") % {"row": label})
        out.append(
            {
                "source": fund.source,
                "provider": _limit(fund.provider, 200, label),
                "amount": _amount(fund.amount, label),
            }
        )
    return out


def _indicators(typed: Typed) -> list[dict[str, Any]]:
    out = []
    for n, row in enumerate(typed.indicators, start=1):
        if row.empty:
            continue
        label = _("Indicator %(n)d") % {"n": n}
        try:
            target = Decimal(row.target.strip().replace(",", ""))
        except InvalidOperation:
            raise RuleViolation(_("%(row)s: give the target as a number.") % {"row": label}) from None
        if not target.is_finite() or abs(target) >= TARGET_LIMIT:
            raise RuleViolation(_("%(row)s: give the target as a number.") % {"row": label})
        out.append(
            {
                "name": _limit(row.name, 200, label),
                "kind": row.kind,
                "measure": row.measure,
                "service_kind": row.service_kind,
                "unit": _limit(row.unit, 30, label),
                "target": target,
            }
        )
    return out


def application_from(typed: Typed, call: Call, *, with_lead: bool = True) -> dict[str, Any]:
    """The keyword arguments of `services.create_draft` but the call (of `update_draft` without `with_lead`)."""
    out: dict[str, Any] = {}
    if with_lead:
        lead = Organization.objects.filter(kind=OrgKind.AGENCY, pk__in=ids([typed.lead_agency])).first()
        if lead is None:
            raise RuleViolation(_("Choose the agency that leads the application."))
        out["lead_agency"] = lead
    category = ServiceCategory.objects.filter(pk__in=ids([typed.category])).first()
    if category is None:
        raise RuleViolation(_("Choose the service category of the application."))
    people = Person.objects.in_bulk(list(typed.team))
    communities = list(Organization.objects.filter(pk__in=typed.communities).order_by("name"))
    term = whole({"term_months": typed.term_months}, "term_months", _("Term (months)"))
    out.update(
        title=_limit(typed.title, 200, _("Title")),
        title_en=_limit(typed.title_en, 200, _("English title")),
        category=category,
        term_months=term,
        summary=typed.summary.strip(),
        objectives=typed.objectives.strip(),
        communities=communities,
        team=[(people[pk], role) for pk, role in typed.team.items() if pk in people],
        needs=list(Need.objects.filter(pk__in=typed.needs).order_by("pk")),
        budget_lines=_lines(typed),
        matching_funds=_matching(typed),
        indicators=_indicators(typed),
    )
    return out


def reason_from(post: Mapping[str, Any]) -> str:
    reason = _text(post, "reason").strip()
    if not reason:
        raise RuleViolation(_("Say why the application is withdrawn."))
    return reason


#: The choices the form's selects offer.
CHOICES = {
    "heads": BudgetHead.choices,
    "sources": FundSource.choices,
    "kinds": IndicatorKind.choices,
    "measures": Measure.choices,
    "roles": TeamMember.Role.choices,
    "service_kinds": ServiceKind.choices,
}


@dataclass(frozen=True)
class Seat:
    """A row of the team table: a social worker of the agency, ticked or not, and their role."""

    person: Person
    checked: bool
    role: str


def team_rows(typed: Typed, workers: list[Person]) -> list[Seat]:
    return [Seat(p, p.pk in typed.team, typed.team.get(p.pk, TeamMember.Role.MEMBER)) for p in workers]
