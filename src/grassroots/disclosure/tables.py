"""The portal's lists (programs, calls, award lists, contracts, evaluations, organizations): the list machinery
of `web.lists` over what `selectors` makes public, the same for every visitor, logged in or not."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet
from django.utils.translation import gettext_lazy as _

from grassroots.awards.models import AwardList
from grassroots.contracts.models import Contract
from grassroots.contracts.selectors import with_paid
from grassroots.evaluation.models import Evaluation, Grade
from grassroots.funding.models import Call, ProcurementMethod, Program
from grassroots.orgs.models import OrgKind
from grassroots.web.lists import (
    BADGE,
    DATE,
    MONEY,
    NUMBER,
    Column,
    Filter,
    Table,
    choices_of,
    number,
    year_options,
)
from grassroots.web.tables import (
    badge,
    call_columns,
    category_options,
    contract_columns,
    evaluation_columns,
    link_to,
    org_name,
    org_options,
)
from grassroots.web.templatetags.web_tags import tr

from . import selectors


def _public(rows: Any) -> Any:
    """The portal's rows do not depend on who looks."""
    return lambda _user: rows()


def program_table() -> Table:
    states, state_ok = choices_of(Program.State.choices)
    methods, method_ok = choices_of(ProcurementMethod.choices)
    return Table(
        slug="programs",
        title=_("Programs"),
        visible=_public(selectors.programs),
        shape=lambda rows: rows.select_related("department"),
        columns=[
            Column(
                "title", _("Program"), lambda p: tr(p, "title"), link=link_to("open-program"), sort="title", width=40
            ),
            Column("department", _("Department"), lambda p: org_name(p.department), width=24),
            Column("year", _("Fiscal year"), lambda p: p.fiscal_year, sort="fiscal_year", width=10),
            Column("method", _("Procurement method"), lambda p: p.get_method_display(), width=20),
            Column("budget", _("Budget"), lambda p: p.budget, kind=MONEY, sort="budget", width=16),
            Column("state", _("State"), lambda p: badge(p.state, p.get_state_display()), kind=BADGE, sort="state"),
        ],
        filters=[
            Filter("year", _("Fiscal year"), "fiscal_year", year_options("fiscal_year"), number),
            Filter("method", _("Procurement method"), "method", methods, method_ok),
            Filter("category", _("Category"), "categories", category_options("categories"), number, through_pk=True),
            Filter("state", _("State"), "state", states, state_ok),
        ],
        search=("title", "title_en", "department__name", "department__name_en"),
        order=("-fiscal_year", "title"),
        total="budget",
    )


def call_table() -> Table:
    states, state_ok = choices_of([c for c in Call.State.choices if c[0] != Call.State.DRAFT])
    return Table(
        slug="calls",
        title=_("Calls"),
        visible=_public(selectors.calls),
        shape=lambda rows: rows.select_related("program", "issuer").annotate(
            total_budget=F("funds") + F("matching_funds")
        ),
        columns=call_columns("open-call"),
        filters=[
            Filter("state", _("State"), "state", states, state_ok),
            Filter("year", _("Fiscal year"), "program__fiscal_year", year_options("program__fiscal_year"), number),
            Filter("issuer", _("Issued by"), "issuer", org_options("issuer"), number),
            Filter("category", _("Category"), "categories", category_options("categories"), number, through_pk=True),
        ],
        search=("title", "title_en", "reference"),
        order=("-opens_on", "reference"),
    )


def award_list_table() -> Table:
    states, state_ok = choices_of([c for c in AwardList.State.choices if c[0] in selectors.PUBLIC_LIST_STATES])
    year = "call__program__fiscal_year"
    return Table(
        slug="awards",
        title=_("Award lists"),
        visible=_public(selectors.award_lists),
        shape=lambda rows: rows.select_related("call", "call__program", "call__issuer"),
        columns=[
            Column(
                "call",
                _("Call"),
                lambda a: tr(a.call, "title"),
                link=link_to("open-award-list"),
                ref=lambda a: a.call.reference,
                sort="call__title",
                width=40,
            ),
            Column("issuer", _("Issued by"), lambda a: org_name(a.call.issuer), width=24),
            Column("year", _("Fiscal year"), lambda a: a.call.program.fiscal_year, sort=year, width=10),
            Column("from", _("Publicity from"), lambda a: a.publicity_from, kind=DATE, sort="publicity_from", width=12),
            Column("until", _("Publicity until"), lambda a: a.publicity_until, kind=DATE, width=12),
            Column("decided", _("Decided on"), lambda a: a.decided_on, kind=DATE, sort="decided_on", width=12),
            Column("total", _("Total awarded"), lambda a: a.total, kind=MONEY, sort="total", width=16),
            Column("state", _("State"), lambda a: badge(a.state, a.get_state_display()), kind=BADGE, sort="state"),
        ],
        filters=[
            Filter("state", _("State"), "state", states, state_ok),
            Filter("year", _("Fiscal year"), year, year_options(year), number),
            Filter("issuer", _("Issued by"), "call__issuer", org_options("call__issuer"), number),
        ],
        search=("call__title", "call__title_en", "call__reference"),
        order=("-publicity_from", "-pk"),
        total="total",
    )


def contract_table() -> Table:
    states, state_ok = choices_of([c for c in Contract.State.choices if c[0] in selectors.SIGNED])
    year = "award__application__call__program__fiscal_year"

    def shape(rows: QuerySet[Contract]) -> QuerySet[Contract]:
        return with_paid(rows).select_related("agency", "purchaser", "category", "award__application__call__program")

    return Table(
        slug="contracts",
        title=_("Contracts"),
        visible=_public(selectors.contracts),
        shape=shape,
        columns=contract_columns("open-contract", category=True),
        filters=[
            Filter("year", _("Fiscal year"), year, year_options(year), number),
            Filter("state", _("State"), "state", states, state_ok),
            Filter("category", _("Category"), "category", category_options("category"), number),
            Filter("agency", _("Agency"), "agency", org_options("agency"), number),
            Filter("community", _("Community"), "communities", org_options("communities"), number, through_pk=True),
        ],
        search=("number", "title", "agency__name", "agency__name_en", "award__application__title_en"),
        order=("-starts_on", "number"),
        total="amount",
    )


def evaluation_table() -> Table:
    kinds, kind_ok = choices_of(Evaluation.Kind.choices)
    grades, grade_ok = choices_of(Grade.choices)
    year = "contract__award__application__call__program__fiscal_year"
    return Table(
        slug="evaluations",
        title=_("Evaluation grades"),
        visible=_public(selectors.evaluations),
        shape=lambda rows: rows.select_related(
            "contract__agency", "contract__award__application__call__program", "evaluator"
        ),
        columns=evaluation_columns("open-contract", lambda e: e.contract_id),
        filters=[
            Filter("year", _("Fiscal year"), year, year_options(year), number),
            Filter("kind", _("Kind"), "kind", kinds, kind_ok),
            Filter("grade", _("Grade"), "grade", grades, grade_ok),
            Filter("agency", _("Agency"), "contract__agency", org_options("contract__agency"), number),
        ],
        search=("contract__number", "contract__title", "contract__agency__name", "contract__agency__name_en"),
        order=("-submitted_on", "-pk"),
    )


def organization_table() -> Table:
    kinds, kind_ok = choices_of(OrgKind.choices)
    return Table(
        slug="organizations",
        title=_("Organizations"),
        visible=_public(selectors.organizations),
        shape=lambda rows: rows.select_related("parent"),
        columns=[
            Column("name", _("Name"), org_name, link=link_to("open-organization"), sort="name", width=36),
            Column("kind", _("Kind"), lambda o: o.get_kind_display(), sort="kind", width=20),
            Column("uscc", _("Unified social credit code"), lambda o: o.uscc, width=22),
            Column("parent", _("Under"), lambda o: org_name(o.parent), width=24),
            Column("founded", _("Year founded"), lambda o: o.founded, kind=NUMBER, sort="founded", width=10),
        ],
        filters=[Filter("kind", _("Kind"), "kind", kinds, kind_ok)],
        search=("name", "name_en", "uscc"),
        order=("kind", "name"),
    )


TABLES = {
    "open-programs": program_table,
    "open-calls": call_table,
    "open-award-lists": award_list_table,
    "open-contracts": contract_table,
    "open-evaluations": evaluation_table,
    "open-organizations": organization_table,
}
