"""A small world of the project system, built through the services only, and the stages of a funding year.

Only the superuser that bootstraps everything is created directly; every organization, person,
membership, expert, program, call, application, review, award and contract comes from a service
function, so the tests exercise the same doors as the web app, the API and the demo.

Dates are fixed (fiscal year 2025) so every run is the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, models, transaction

from grassroots.applications import services as application_services
from grassroots.applications.models import Application
from grassroots.awards import services as award_services
from grassroots.awards.models import Award, AwardList
from grassroots.contracts import services as contract_services
from grassroots.contracts.models import Contract, Milestone, Tranche
from grassroots.core.money import money, round_money
from grassroots.core.uscc import make_uscc
from grassroots.evaluation import services as evaluation_services
from grassroots.evaluation.models import Evaluation
from grassroots.funding import services as funding_services
from grassroots.funding.models import Call, Program, ServiceCategory
from grassroots.orgs import services as org_services
from grassroots.orgs.models import Expert, Organization, Person
from grassroots.review import services as review_services
from grassroots.review.models import Review

FY = 2025
DIVISION = "350102"  # the administrative division of the fictional W City district
CALL_OPENS = date(2025, 2, 1)
CALL_CLOSES = date(2025, 2, 28)
DRAFTED_ON = date(2025, 2, 10)  # the world's applications are written and handed in while the call is open
SUBMITTED_ON = date(2025, 2, 20)
OPEN_UNTIL = date(2099, 12, 31)  # the closing day of a call the pages and the API still apply to today
REVIEW_DAY = date(2025, 3, 3)
PUBLICITY_START = date(2025, 3, 10)  # a Monday; five working days end on 17 March
DECISION_DAY = date(2025, 3, 17)
CONTRACT_START = date(2025, 4, 1)
SIGNED_ON = date(2025, 3, 25)

#: Review criteria of every call built here: (name, English name, weight).
CRITERIA: list[tuple[str, str, str]] = [
    ("需求契合度", "Fit to consulted needs", "40"),
    ("方案设计", "Project design", "30"),
    ("团队能力", "Team capacity", "30"),
]

CATEGORIES: list[tuple[str, str, str]] = [
    ("elderly", "为老服务", "Services for older people"),
    ("youth", "青少年服务", "Youth services"),
    ("disability", "助残服务", "Disability services"),
]


def uscc(authority: str, kind: str, serial: int) -> str:
    """A valid unified social credit code with a readable serial number."""
    return make_uscc(authority, kind, DIVISION, f"GR{serial:07d}")


@dataclass
class World:
    """Who is who. Actors (the `actor` argument of services) are Django users; team members are Persons."""

    admin: Any
    department: Organization
    dept_officer: Any
    street: Organization
    street_officer: Any
    other_street: Organization
    other_street_officer: Any
    communities: list[Organization]  # communities[0:2] belong to `street`, communities[2] to `other_street`
    community_workers: list[Any]  # one per community
    residents: list[list[Any]]  # two per community
    agencies: list[Organization]
    managers: list[Any]  # one per agency
    social_workers: list[list[Person]]  # three per agency: intermediate, assistant, uncertified
    evaluator_org: Organization
    evaluator: Any
    experts: list[Expert]
    categories: dict[str, ServiceCategory]

    def officer_of(self, org: Organization) -> Any:
        """The officer who acts for a department or street."""
        officers = {
            self.department.pk: self.dept_officer,
            self.street.pk: self.street_officer,
            self.other_street.pk: self.other_street_officer,
        }
        return officers[org.pk]

    def manager_of(self, agency: Organization) -> Any:
        return self.managers[[a.pk for a in self.agencies].index(agency.pk)]

    def expert_user(self, expert: Expert) -> Any:
        return expert.person.user


def _person(actor: Any, org: Organization, role: str, username: str, name: str, **kwargs: Any) -> Person:
    person = org_services.add_person(actor, name=name, username=username, **kwargs)
    org_services.add_membership(actor, person=person, organization=org, role=role)
    return person


def build_world() -> World:
    """Register the organizations, people, roles and expert pool of a small district."""
    admin = get_user_model().objects.create_superuser("admin", "admin@example.org", None)
    categories = {code: funding_services.ensure_category(code, name, name_en) for code, name, name_en in CATEGORIES}

    department = org_services.register_organization(
        admin, kind="department", name="W市S区民政局", name_en="Civil Affairs Bureau", uscc=uscc("1", "1", 1)
    )
    officer = _person(admin, department, "officer", "dept_officer", "王科长").user
    register = org_services.register_organization

    street = register(
        officer, kind="street", name="S街道办事处", name_en="S Street Office", uscc=uscc("1", "1", 2), parent=department
    )
    other_street = register(
        officer, kind="street", name="T街道办事处", name_en="T Street Office", uscc=uscc("1", "1", 3), parent=department
    )
    street_officer = _person(officer, street, "officer", "s_officer", "李主任").user
    other_street_officer = _person(officer, other_street, "officer", "t_officer", "赵主任").user

    communities = [
        register(
            officer,
            kind="community",
            name=name,
            name_en=name_en,
            uscc=uscc("5", "5", 10 + i),
            parent=parent,
            residents=4000 + 1000 * i,
        )
        for i, (name, name_en, parent) in enumerate(
            [
                ("东湖社区", "Donghu Community", street),
                ("西园社区", "Xiyuan Community", street),
                ("南桥社区", "Nanqiao Community", other_street),
            ]
        )
    ]
    community_workers = [
        _person(officer, c, "community_worker", f"cw{i}", f"社区书记{i}").user for i, c in enumerate(communities)
    ]
    residents = [
        [_person(officer, c, "resident", f"resident{i}_{j}", f"居民{i}{j}", home_community=c).user for j in range(2)]
        for i, c in enumerate(communities)
    ]

    agencies = [
        register(officer, kind="agency", name=name, name_en=name_en, uscc=uscc("5", "2", 20 + i), founded=2010 + i)
        for i, (name, name_en) in enumerate(
            [("阳光社工服务中心", "Sunshine"), ("同心社工事务所", "Tongxin"), ("益众社会工作服务社", "Yizhong")]
        )
    ]
    managers = [_person(officer, a, "manager", f"manager{i}", f"总干事{i}").user for i, a in enumerate(agencies)]
    social_workers = [
        [
            _person(officer, a, "social_worker", f"sw{i}_{j}", f"社工{i}{j}", certificate=cert)
            for j, cert in enumerate(["intermediate", "assistant", "none"])
        ]
        for i, a in enumerate(agencies)
    ]

    evaluator_org = register(
        officer, kind="evaluator", name="明德评估中心", name_en="Mingde Evaluation", uscc=uscc("5", "2", 30)
    )
    evaluator = _person(officer, evaluator_org, "evaluator", "evaluator", "评估师").user

    expertise = [["elderly", "youth"], ["elderly"], ["youth", "disability"], ["disability", "elderly"], ["youth"]]
    experts = []
    for i, tags in enumerate(expertise):
        person = org_services.add_person(officer, name=f"专家{i}", username=f"expert{i}")
        experts.append(org_services.register_expert(officer, person=person, expertise=tags, capacity=6))
    # Expert 0 works for the first agency: the conflict screening must keep them off its applications.
    org_services.declare_affiliation(officer, expert=experts[0], organization=agencies[0], kind="employee")

    return World(
        admin=admin,
        department=department,
        dept_officer=officer,
        street=street,
        street_officer=street_officer,
        other_street=other_street,
        other_street_officer=other_street_officer,
        communities=communities,
        community_workers=community_workers,
        residents=residents,
        agencies=agencies,
        managers=managers,
        social_workers=social_workers,
        evaluator_org=evaluator_org,
        evaluator=evaluator,
        experts=experts,
        categories=categories,
    )


def reload(world: World) -> World:
    """The same world read afresh from the database (one query per model), so no test sees another's objects."""
    wanted: dict[type[models.Model], set[Any]] = {}

    def collect(value: Any) -> None:
        if isinstance(value, models.Model):
            wanted.setdefault(type(value), set()).add(value.pk)
        elif isinstance(value, list):
            for item in value:
                collect(item)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)

    def rebuild(value: Any) -> Any:
        if isinstance(value, models.Model):
            return loaded[type(value)][value.pk]
        if isinstance(value, list):
            return [rebuild(item) for item in value]
        if isinstance(value, dict):
            return {key: rebuild(item) for key, item in value.items()}
        return value

    for f in fields(world):
        collect(getattr(world, f.name))
    loaded = {model: model.objects.in_bulk(sorted(pks)) for model, pks in wanted.items()}
    return World(**{f.name: rebuild(getattr(world, f.name)) for f in fields(world)})


# --- the stages of a funding year -------------------------------------------------------------


def open_program(
    world: World, *, budget: str = "1000000.00", title: str = "2025年社区服务项目", **kwargs: Any
) -> Program:
    program = funding_services.create_program(
        world.dept_officer,
        department=world.department,
        title=title,
        fiscal_year=FY,
        budget=budget,
        categories=world.categories.values(),
        **kwargs,
    )
    return funding_services.open_program(world.dept_officer, program)


def open_street_call(
    world: World,
    program: Program,
    *,
    envelope: str = "600000.00",
    funds: str = "300000.00",
    street: Organization | None = None,
    categories: Sequence[str] = ("elderly", "youth", "disability"),
    opens_on: date = CALL_OPENS,
    closes_on: date = CALL_CLOSES,
    **kwargs: Any,
) -> Call:
    """The street takes an envelope of the program and opens a call on it."""
    street = street or world.street
    env = funding_services.allocate_envelope(world.dept_officer, program=program, street=street, amount=envelope)
    call = funding_services.create_call(
        world.officer_of(street),
        program=program,
        envelope=env,
        title=f"{street.name}{FY}年服务项目申报指南",
        funds=funds,
        opens_on=opens_on,
        closes_on=closes_on,
        categories=[world.categories[c] for c in categories],
        criteria=CRITERIA,
        **kwargs,
    )
    return funding_services.open_call(world.officer_of(street), call)


def open_direct_call(world: World, program: Program, *, funds: str = "200000.00", **kwargs: Any) -> Call:
    """The department opens a call directly on the program (no envelope)."""
    call = funding_services.create_call(
        world.dept_officer,
        program=program,
        title=f"{FY}年区级直接申报指南",
        funds=funds,
        opens_on=CALL_OPENS,
        closes_on=CALL_CLOSES,
        categories=list(world.categories.values()),
        criteria=CRITERIA,
        **kwargs,
    )
    return funding_services.open_call(world.dept_officer, call)


def budget_lines(total: Decimal, management_share: str = "0.10") -> list[dict[str, Any]]:
    """Half personnel, the management fee as given (rounded down: 10% stays within a 10% cap), activities the rest."""
    management = (total * Decimal(management_share)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    personnel = round_money(total / 2)
    return [
        {"head": "personnel", "description": "社工人力成本", "amount": personnel},
        {"head": "activities", "description": "活动费用", "amount": total - personnel - management},
        {"head": "management", "description": "管理费", "amount": management},
    ]


def draft_application(
    world: World,
    call: Call,
    *,
    agency: int = 0,
    requested: str = "100000.00",
    category: str = "elderly",
    communities: Sequence[Organization] | None = None,
    management_share: str = "0.10",
    matching: str | None = None,
    needs: Iterable[Any] = (),
    title: str | None = None,
    on: date = DRAFTED_ON,
) -> Application:
    """A joint application by agency `agency` requesting exactly `requested` (matching funds come on top),
    written `on` that day (within the world's call dates)."""
    org = world.agencies[agency]
    workers = world.social_workers[agency]
    matching_funds = [{"source": "community", "provider": "社区共建", "amount": matching}] if matching else []
    total = money(requested) + (money(matching) if matching else Decimal(0))
    return application_services.create_draft(
        world.manager_of(org),
        call=call,
        lead_agency=org,
        title=title or f"{org.name}·{world.categories[category].name}项目",
        category=world.categories[category],
        communities=list(communities) if communities is not None else [world.communities[0]],
        team=[(workers[0], "lead"), (workers[1], "member")],
        indicators=[
            {"name": "小组活动节数", "measure": "sessions", "service_kind": "group", "unit": "节", "target": 12},
            {"name": "服务对象人数", "measure": "beneficiaries", "unit": "人", "target": 80},
        ],
        budget_lines=budget_lines(total, management_share),
        matching_funds=matching_funds,
        needs=needs,
        on=on,
    )


def submitted_application(world: World, call: Call, *, submitted_on: date = SUBMITTED_ON, **kwargs: Any) -> Application:
    application = draft_application(world, call, **kwargs)
    return application_services.submit(world.manager_of(application.lead_agency), application, on=submitted_on)


def score_everything(world: World, call: Call, scores: dict[int, str]) -> None:
    """Every assigned expert gives each criterion of application `pk` the score `scores[pk]`."""
    criteria = list(call.criteria.all())
    for review in Review.objects.filter(application__call=call, state=Review.State.ASSIGNED).select_related(
        "expert__person__user"
    ):
        value = scores[review.application_id]
        review_services.submit_scores(world.expert_user(review.expert), review, {c.pk: value for c in criteria})


def review_call(world: World, call: Call, scores: dict[int, str]) -> list[Application]:
    """Start the review, score every review as given and close the panel; returns the ranking."""
    officer = world.officer_of(call.issuer)
    review_services.start_review(officer, call, today=REVIEW_DAY)
    score_everything(world, call, scores)
    return review_services.close_panel(officer, call)


def publicise(world: World, call: Call, rule: str = "rank_order") -> AwardList:
    officer = world.officer_of(call.issuer)
    award_list = award_services.propose_awards(officer, call, rule)
    return award_services.start_publicity(officer, award_list, starts_on=PUBLICITY_START)


def decide(world: World, award_list: AwardList) -> AwardList:
    return award_services.decide(world.dept_officer, award_list, on=DECISION_DAY)


def signed_contract(world: World, award: Award) -> Contract:
    call = award.application.call
    contract = contract_services.draft_contract(world.officer_of(call.issuer), award, starts_on=CONTRACT_START)
    return contract_services.sign_contract(world.manager_of(contract.agency), contract, on=SIGNED_ON)


def funded_contract(
    world: World, *, agency: int = 1, requested: str = "100000.00", program: Program | None = None
) -> Contract:
    """The shortest way to an active contract: one application on a fresh street call, one reviewer."""
    program = program or open_program(world)
    call = open_street_call(world, program, reviewers_per_application=1)
    application = submitted_application(world, call, agency=agency, requested=requested)
    review_call(world, call, {application.pk: "85"})
    award_list = decide(world, publicise(world, call))
    return signed_contract(world, award_list.awards.get())


def milestone(contract: Contract, kind: str) -> Milestone:
    return Milestone.objects.get(contract=contract, kind=kind)


def tranche(contract: Contract, position: int) -> Tranche:
    return Tranche.objects.get(contract=contract, position=position)


def accept_milestone(world: World, contract: Contract, kind: str, on: date) -> Milestone:
    item = milestone(contract, kind)
    contract_services.submit_milestone(world.manager_of(contract.agency), item, f"{kind} report")
    return contract_services.review_milestone(world.officer_of(contract.purchaser), item, accept=True, on=on)


def pay(world: World, contract: Contract, position: int, on: date) -> Any:
    return contract_services.pay_tranche(
        world.dept_officer, tranche(contract, position), idempotency_key=f"{contract.number}-T{position}", on=on
    )


def evaluation_scores(evaluation: Evaluation, score: str) -> dict[str, dict[str, Any]]:
    """Every indicator scored about `score`% of its points (overriding the data's, with a comment), the
    cents left by rounding put on the largest, so the total is exactly `score`."""
    leaves = sorted(evaluation.items.filter(is_leaf=True), key=lambda i: -i.weight)
    share = Decimal(score) / 100
    points = {i.code: (i.weight * share).quantize(Decimal("0.01"), rounding=ROUND_DOWN) for i in leaves}
    points[leaves[0].code] += Decimal(score) - sum(points.values(), Decimal(0))
    return {code: {"points": value, "comment": "scored in the test"} for code, value in points.items()}


def evaluate(world: World, contract: Contract, kind: str, score: str, on: date) -> Evaluation:
    """Assign, submit and accept an evaluation with the total `score`."""
    purchaser_officer = world.officer_of(contract.purchaser)
    evaluation = evaluation_services.assign_evaluation(
        purchaser_officer, contract, evaluator=world.evaluator_org, kind=kind
    )
    evaluation_services.submit_evaluation(
        world.evaluator, evaluation, scores=evaluation_scores(evaluation, score), summary=f"{kind} findings", on=on
    )
    return evaluation_services.accept_evaluation(purchaser_officer, evaluation)


# --- looking at the database ------------------------------------------------------------------


DOMAIN_APPS = frozenset(
    {"core", "orgs", "needs", "funding", "applications", "review", "awards", "contracts", "delivery", "evaluation"}
)


def tracked_models() -> list[type[models.Model]]:
    """The domain tables (with their many-to-many tables), the audit log and the users."""
    user_model = get_user_model()
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in DOMAIN_APPS or model is user_model
    ]


def fingerprint() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every tracked table, in key order: equal fingerprints mean nothing was written.

    Plain SQL rather than the ORM: it is called twice around every refused request, and the raw rows
    are an even stricter comparison than converted values.
    """
    quote = connection.ops.quote_name
    rows = {}
    with connection.cursor() as cursor:
        for model in tracked_models():
            cursor.execute(f"SELECT * FROM {quote(model._meta.db_table)} ORDER BY {quote(model._meta.pk.column)}")
            rows[model._meta.label] = cursor.fetchall()
    return rows


@contextmanager
def refused(error: type[BaseException] | tuple[type[BaseException], ...], match: str | None = None) -> Iterator[Any]:
    """Expect `error` from the block and check that the database is exactly as it was before it."""
    before = fingerprint()
    with pytest.raises(error, match=match) as info:
        yield info
    after = fingerprint()
    changed = [label for label in before if before[label] != after[label]]
    assert not changed, f"a refused request wrote to {', '.join(changed)}"


@contextmanager
def kept_for_module(django_db_blocker: Any) -> Iterator[Any]:
    """Build something once for a whole test module, on top of the world, and roll it back after the module.

    Use in a module-scoped fixture: `with kept_for_module(django_db_blocker) as unblocked: with unblocked():
    ...build...` then `yield` the primary keys (never live objects: tests re-read them, so none sees
    another's in-memory changes). Each test still runs in its own savepoint inside this one.
    """
    with django_db_blocker.unblock():
        savepoint = transaction.atomic()
        savepoint.__enter__()
    try:
        yield django_db_blocker.unblock
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            savepoint.__exit__(None, None, None)
