"""The list pages' tables: calls, applications, contracts, payments, service records, expenditures and
evaluations, each over the rows its app's selector lets the user see (see `lists.Table`)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Model, QuerySet
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from grassroots.applications import selectors as applications
from grassroots.applications.models import Application, BudgetHead, ServiceKind
from grassroots.contracts import selectors as contracts
from grassroots.contracts.models import Contract, Payment
from grassroots.core.permissions import is_staff
from grassroots.delivery import selectors as delivery
from grassroots.delivery.models import Expenditure
from grassroots.evaluation import selectors as evaluation
from grassroots.evaluation.models import Evaluation, Grade
from grassroots.funding import selectors as funding
from grassroots.funding.models import Call, ServiceCategory
from grassroots.orgs.models import Organization, Role
from grassroots.orgs.selectors import orgs_where
from grassroots.web.templatetags.web_tags import contract_title, tr

from .lists import (
    BADGE,
    DATE,
    MONEY,
    NUMBER,
    Column,
    Filter,
    Table,
    calendar_year,
    choices_of,
    number,
    related_options,
    year_options,
)


def label(model: type[Model], name: str) -> str | Promise:
    """A field's name as a column heading ("paid on" → "Paid on"), translated like the field."""
    return capfirst(getattr(model._meta.get_field(name), "verbose_name", name))


def badge(state: str, display: Any) -> tuple[str, str]:
    return (state, str(display)) if state else ("", "")


def org_name(org: Organization | None) -> str:
    return tr(org, "name") if org is not None else ""


def org_options(path: str) -> Any:
    """The organizations at `path` of the rows, as filter options."""
    return related_options(path, Organization, org_name, order=("name",))


def category_options(path: str) -> Any:
    """The service categories at `path` of the rows, as filter options."""
    return related_options(path, ServiceCategory, lambda c: tr(c, "name"), order=("code",))


def link_to(name: str, pk_of: Any = lambda row: row.pk) -> Any:
    """A column's link: the page `name` of the row (or of what `pk_of` picks from it)."""
    return lambda row: reverse(name, args=[pk_of(row)])


# --- columns shared by the lists behind login and the public portal ---------------------------------------


def call_columns(link: str, counted: Any = None) -> list[Column]:
    """A call's columns; `counted` adds the count of applications handed in (not on the portal)."""
    return [
        Column(
            "title",
            _("Call"),
            lambda c: tr(c, "title"),
            link=link_to(link),
            ref=lambda c: c.reference,
            sort="title",
            width=40,
        ),
        Column("reference", _("Reference"), lambda c: c.reference, shown=False, width=18),
        Column("issuer", _("Issued by"), lambda c: org_name(c.issuer), sort="issuer__name", width=24),
        Column("program", _("Program"), lambda c: tr(c.program, "title"), shown=False, width=30),
        Column("year", _("Fiscal year"), lambda c: c.program.fiscal_year, sort="program__fiscal_year", width=10),
        Column("budget", _("Budget"), lambda c: c.budget, kind=MONEY, sort="total_budget", width=16),
        Column("opens", label(Call, "opens_on"), lambda c: c.opens_on, kind=DATE, sort="opens_on", width=12),
        Column("closes", _("Closes on"), lambda c: c.closes_on, kind=DATE, sort="closes_on", width=12),
        *([Column("count", _("Handed in"), counted, kind=NUMBER, width=10)] if counted is not None else []),
        Column("state", _("State"), lambda c: badge(c.state, c.get_state_display()), kind=BADGE, sort="state"),
    ]


def contract_columns(link: str, *, category: bool = False) -> list[Column]:
    """A contract's columns with what has been paid (rows annotated by `with_paid`)."""
    year = "award__application__call__program__fiscal_year"
    return [
        Column(
            "title",
            _("Contract"),
            contract_title,
            link=link_to(link),
            ref=lambda c: c.number,
            sort="title",
            width=40,
        ),
        Column("number", label(Contract, "number"), lambda c: c.number, shown=False, width=18),
        Column("agency", _("Agency"), lambda c: org_name(c.agency), sort="agency__name", width=24),
        Column("purchaser", _("Purchaser"), lambda c: org_name(c.purchaser), sort="purchaser__name", width=24),
        *([Column("category", _("Category"), lambda c: tr(c.category, "name"), width=16)] if category else []),
        Column("year", _("Fiscal year"), lambda c: c.award.application.call.program.fiscal_year, sort=year, width=10),
        Column("starts", label(Contract, "starts_on"), lambda c: c.starts_on, kind=DATE, sort="starts_on", width=12),
        Column("ends", label(Contract, "ends_on"), lambda c: c.ends_on, kind=DATE, sort="ends_on", width=12),
        Column("amount", _("Amount"), lambda c: c.amount, kind=MONEY, sort="amount", width=16),
        Column("paid", _("Paid"), lambda c: c.paid, kind=MONEY, sort="paid", width=16),
        Column("state", _("State"), lambda c: badge(c.state, c.get_state_display()), kind=BADGE, sort="state"),
    ]


def evaluation_columns(link: str, pk_of: Any = lambda e: e.pk, *, workflow: bool = False) -> list[Column]:
    """An evaluation's columns; `workflow` adds its due date and state (not on the portal)."""
    year = "contract__award__application__call__program__fiscal_year"
    return [
        Column(
            "contract",
            _("Contract"),
            lambda e: contract_title(e.contract),
            link=link_to(link, pk_of),
            ref=lambda e: e.contract.number,
            sort="contract__number",
            width=40,
        ),
        Column("number", label(Contract, "number"), lambda e: e.contract.number, shown=False, width=18),
        Column("agency", _("Agency"), lambda e: org_name(e.contract.agency), sort="contract__agency__name", width=24),
        Column(
            "year",
            _("Fiscal year"),
            lambda e: e.contract.award.application.call.program.fiscal_year,
            sort=year,
            width=10,
        ),
        Column("kind", _("Kind"), lambda e: e.get_kind_display(), sort="kind", width=10),
        Column("evaluator", _("Evaluator"), lambda e: org_name(e.evaluator), width=24),
        *([Column("due", _("Due on"), lambda e: e.due_on, kind=DATE, sort="due_on", width=12)] if workflow else []),
        Column("submitted", _("Submitted on"), lambda e: e.submitted_on, kind=DATE, sort="submitted_on", width=12),
        Column("score", _("Score"), lambda e: e.score, kind=NUMBER, sort="score", width=8),
        Column(
            "grade", _("Grade"), lambda e: badge(e.grade, e.get_grade_display()), kind=BADGE, sort="grade", width=10
        ),
        *(
            [Column("state", _("State"), lambda e: badge(e.state, e.get_state_display()), kind=BADGE, sort="state")]
            if workflow
            else []
        ),
    ]


# --- calls --------------------------------------------------------------------------------------------


def call_table(user: Any) -> Table:
    """Every call the user may see (drafts only to the offices concerned); the count of applications handed
    in only to the officers of its issuer or department, as the home pages show it."""
    offices = set(orgs_where(user, Role.OFFICER).values_list("pk", flat=True))
    everything = is_staff(user)

    def counted(call: Call) -> int | None:
        if everything or call.issuer_id in offices or call.program.department_id in offices:
            return int(getattr(call, "submitted_count", 0))
        return None

    def shape(calls: QuerySet[Call]) -> QuerySet[Call]:
        calls = funding.with_application_counts(calls.select_related("program", "issuer"))
        return calls.annotate(total_budget=F("funds") + F("matching_funds"))

    states, state_ok = choices_of(Call.State.choices)
    return Table(
        slug="calls",
        title=_("Calls"),
        visible=funding.calls_visible_to,
        shape=shape,
        columns=call_columns("call-detail", counted),
        filters=[
            Filter("state", _("State"), "state", states, state_ok),
            Filter("year", _("Fiscal year"), "program__fiscal_year", year_options("program__fiscal_year"), number),
            Filter("issuer", _("Issued by"), "issuer", org_options("issuer"), number),
            Filter(
                "category",
                _("Category"),
                "categories",
                category_options("categories"),
                number,
                through_pk=True,
            ),
        ],
        search=("title", "title_en", "reference"),
        order=("-opens_on", "reference"),
    )


# --- applications -------------------------------------------------------------------------------------


def application_table(user: Any) -> Table:
    """Applications the user may see: their own agency's and their community's (drafts included), those
    handed in to the offices' calls, those under their review, and the awarded ones once a call is decided.
    Scores and ranks only where the application page shows them."""
    scores_shown = applications.score_readers(user)

    states, state_ok = choices_of(Application.State.choices)
    return Table(
        slug="applications",
        title=_("Applications"),
        visible=applications.visible_to,
        shape=lambda rows: rows.select_related("call", "call__program", "lead_agency", "category"),
        columns=[
            Column(
                "title",
                _("Application"),
                lambda a: tr(a, "title"),
                link=link_to("application-detail"),
                ref=lambda a: a.reference,
                sort="title",
                width=40,
            ),
            Column("reference", _("Reference"), lambda a: a.reference, shown=False, width=18),
            Column("call", _("Call"), lambda a: tr(a.call, "title"), sort="call__opens_on", width=30),
            Column("agency", _("Lead agency"), lambda a: org_name(a.lead_agency), sort="lead_agency__name", width=24),
            Column("category", _("Category"), lambda a: tr(a.category, "name"), width=16),
            Column("requested", _("Requested"), lambda a: a.requested, kind=MONEY, sort="requested", width=16),
            Column("score", _("Score"), lambda a: a.score if scores_shown(a) else None, kind=NUMBER, width=10),
            Column("rank", _("Rank"), lambda a: a.rank if scores_shown(a) else None, kind=NUMBER, width=8),
            Column(
                "submitted",
                label(Application, "submitted_at"),
                lambda a: a.submitted_at,
                kind=DATE,
                sort="submitted_at",
                width=12,
            ),
            Column("state", _("State"), lambda a: badge(a.state, a.get_state_display()), kind=BADGE, sort="state"),
        ],
        filters=[
            Filter(
                "call",
                _("Call"),
                "call",
                related_options("call", Call, lambda c: tr(c, "title"), ("-opens_on",)),
                number,
            ),
            Filter("state", _("State"), "state", states, state_ok),
            Filter("agency", _("Lead agency"), "lead_agency", org_options("lead_agency"), number),
        ],
        search=("title", "title_en", "reference", "lead_agency__name", "lead_agency__name_en"),
        order=("-call__opens_on", "reference"),
    )


# --- contracts ----------------------------------------------------------------------------------------


def contract_table(user: Any) -> Table:
    """Contracts the user may see (agency staff, partner communities, the purchaser, the department, the
    offices over the communities served, the evaluator), with what has been paid on each."""

    def shape(rows: QuerySet[Contract]) -> QuerySet[Contract]:
        return contracts.with_paid(rows).select_related(
            "agency", "purchaser", "award__application", "award__application__call__program"
        )

    states, state_ok = choices_of(Contract.State.choices)
    year = "award__application__call__program__fiscal_year"
    return Table(
        slug="contracts",
        title=_("Contracts"),
        visible=contracts.visible_to,
        shape=shape,
        columns=contract_columns("contract-detail"),
        filters=[
            Filter("state", _("State"), "state", states, state_ok),
            Filter("year", _("Fiscal year"), year, year_options(year), number),
            Filter("agency", _("Agency"), "agency", org_options("agency"), number),
            Filter("community", _("Community"), "communities", org_options("communities"), number, through_pk=True),
        ],
        search=("number", "title", "agency__name", "agency__name_en", "award__application__title_en"),
        order=("-starts_on", "number"),
    )


# --- payments -----------------------------------------------------------------------------------------


def _contract_options(path: str) -> Any:
    return related_options(
        path, Contract, lambda c: f"{c.number} · {contract_title(c)}", order=("number",), related=["award__application"]
    )


def payment_table(user: Any) -> Table:
    """Payments of the tranches of the contracts the user may see: the department's and the street's own."""

    def shape(rows: QuerySet[Payment]) -> QuerySet[Payment]:
        return rows.select_related(
            "tranche",
            "tranche__contract__agency",
            "tranche__contract__purchaser",
            "tranche__contract__award__application",
        )

    return Table(
        slug="payments",
        title=_("Payments"),
        visible=contracts.payments_visible_to,
        shape=shape,
        columns=[
            Column("paid_on", label(Payment, "paid_on"), lambda p: p.paid_on, kind=DATE, sort="paid_on", width=12),
            Column(
                "contract",
                _("Contract"),
                lambda p: contract_title(p.tranche.contract),
                link=link_to("contract-detail", lambda p: p.tranche.contract_id),
                ref=lambda p: p.tranche.contract.number,
                sort="tranche__contract__number",
                width=40,
            ),
            Column("number", label(Contract, "number"), lambda p: p.tranche.contract.number, shown=False, width=18),
            Column(
                "agency",
                _("Agency"),
                lambda p: org_name(p.tranche.contract.agency),
                sort="tranche__contract__agency__name",
                width=24,
            ),
            Column("purchaser", _("Purchaser"), lambda p: org_name(p.tranche.contract.purchaser), width=24),
            Column(
                "tranche", _("Tranche"), lambda p: p.tranche.position, kind=NUMBER, sort="tranche__position", width=8
            ),
            Column("amount", _("Amount"), lambda p: p.amount, kind=MONEY, sort="amount", width=16),
        ],
        filters=[
            Filter("year", _("Year"), "paid_on__year", year_options("paid_on__year"), calendar_year),
            Filter("contract", _("Contract"), "tranche__contract", _contract_options("tranche__contract"), number),
            Filter(
                "agency", _("Agency"), "tranche__contract__agency", org_options("tranche__contract__agency"), number
            ),
        ],
        search=("tranche__contract__number", "tranche__contract__title", "tranche__contract__agency__name"),
        order=("-paid_on",),
        total="amount",
    )


# --- service records ----------------------------------------------------------------------------------


def record_table(user: Any) -> Table:
    """Service records of the contracts the user may see: the agency and its social workers, the purchaser,
    the department, the partner communities and the evaluator."""

    kinds, kind_ok = choices_of(ServiceKind.choices)
    return Table(
        slug="records",
        title=_("Service records"),
        visible=delivery.records_visible_to,
        shape=lambda rows: rows.select_related("contract", "contract__agency").annotate(evidence=Count("attachments")),
        columns=[
            Column("held_on", _("Date"), lambda r: r.held_on, kind=DATE, sort="held_on", width=12),
            Column(
                "title",
                _("Service"),
                lambda r: r.title,
                link=link_to("record-detail", lambda r: r.pk),
                sort="title",
                width=36,
            ),
            Column("kind", _("Kind"), lambda r: r.get_kind_display(), sort="kind", width=14),
            Column(
                "contract",
                _("Contract"),
                lambda r: r.contract.number,
                link=link_to("contract-detail", lambda r: r.contract_id),
                sort="contract__number",
                width=18,
            ),
            Column("agency", _("Agency"), lambda r: org_name(r.contract.agency), width=24),
            Column("location", _("Location"), lambda r: r.location, width=20),
            Column(
                "beneficiaries",
                _("Beneficiaries"),
                lambda r: r.beneficiaries,
                kind=NUMBER,
                sort="beneficiaries",
                width=10,
            ),
            Column("hours", _("Service hours"), lambda r: r.service_hours, kind=NUMBER, sort="service_hours", width=10),
            Column("volunteers", _("Volunteers"), lambda r: r.volunteers, kind=NUMBER, width=10),
            Column("volunteer_hours", _("Volunteer hours"), lambda r: r.volunteer_hours, kind=NUMBER, width=10),
            Column("residents", _("Resident participants"), lambda r: r.resident_participants, kind=NUMBER, width=10),
            Column("evidence", _("Evidence"), lambda r: r.evidence, kind=NUMBER, sort="evidence", width=10),
        ],
        filters=[
            Filter("contract", _("Contract"), "contract", _contract_options("contract"), number),
            Filter("kind", _("Kind"), "kind", kinds, kind_ok),
            Filter("held", _("Date"), "held_on", dates=True),
        ],
        search=("title", "location", "contract__number"),
        order=("-held_on", "-pk"),
    )


# --- expenditures -------------------------------------------------------------------------------------


def expenditure_table(user: Any) -> Table:
    """Expenditures on the contracts the user may see, with their budget line."""

    heads, head_ok = choices_of(BudgetHead.choices)

    def head(e: Expenditure) -> str:
        return str(dict(BudgetHead.choices).get(e.line.head, e.line.head))

    return Table(
        slug="expenditures",
        title=_("Expenditures"),
        visible=delivery.expenditures_visible_to,
        shape=lambda rows: rows.select_related("contract", "contract__agency", "line").annotate(
            evidence=Count("attachments")
        ),
        columns=[
            Column("spent_on", _("Date"), lambda e: e.spent_on, kind=DATE, sort="spent_on", width=12),
            Column(
                "contract",
                _("Contract"),
                lambda e: e.contract.number,
                link=link_to("contract-detail", lambda e: e.contract_id),
                sort="contract__number",
                width=18,
            ),
            Column("agency", _("Agency"), lambda e: org_name(e.contract.agency), width=24),
            Column("head", _("Head"), head, sort="line__head", width=16),
            Column("line", label(Expenditure, "line"), lambda e: e.line.description, width=24),
            Column(
                "description",
                _("Description"),
                lambda e: e.description,
                link=link_to("expenditure-detail", lambda e: e.pk),
                sort="description",
                width=36,
            ),
            Column("receipt", label(Expenditure, "receipt"), lambda e: e.receipt, width=16),
            Column("evidence", _("Evidence"), lambda e: e.evidence, kind=NUMBER, sort="evidence", width=10),
            Column("amount", _("Amount"), lambda e: e.amount, kind=MONEY, sort="amount", width=16),
        ],
        filters=[
            Filter("contract", _("Contract"), "contract", _contract_options("contract"), number),
            Filter("head", _("Head"), "line__head", heads, head_ok),
            Filter("spent", _("Date"), "spent_on", dates=True),
        ],
        search=("description", "receipt", "contract__number"),
        order=("-spent_on", "-pk"),
        total="amount",
    )


# --- evaluations --------------------------------------------------------------------------------------


def evaluation_table(user: Any) -> Table:
    """Evaluations of the contracts the user may see (the evaluator's own included)."""

    def shape(rows: QuerySet[Evaluation]) -> QuerySet[Evaluation]:
        return rows.select_related("contract__agency", "contract__award__application__call__program", "evaluator")

    kinds, kind_ok = choices_of(Evaluation.Kind.choices)
    states, state_ok = choices_of(Evaluation.State.choices)
    grades, grade_ok = choices_of(Grade.choices)
    year = "contract__award__application__call__program__fiscal_year"
    return Table(
        slug="evaluations",
        title=_("Evaluations"),
        visible=evaluation.visible_to,
        shape=shape,
        columns=evaluation_columns("evaluation-detail", workflow=True),
        filters=[
            Filter("kind", _("Kind"), "kind", kinds, kind_ok),
            Filter("state", _("State"), "state", states, state_ok),
            Filter("grade", _("Grade"), "grade", grades, grade_ok),
            Filter("year", _("Fiscal year"), year, year_options(year), number),
        ],
        search=("contract__number", "contract__title", "contract__agency__name", "contract__agency__name_en"),
        order=("-contract__starts_on", "contract__number", "kind"),
    )


TABLES = {
    "call-list": call_table,
    "application-list": application_table,
    "contract-list": contract_table,
    "payment-list": payment_table,
    "record-list": record_table,
    "expenditure-list": expenditure_table,
    "evaluation-list": evaluation_table,
}
