"""The demo scenario "S Street, W City", built deterministically from a seed through the services.

One civil-affairs bureau, one street office, eight communities, six social-work agencies with about
forty social workers, an expert pool, one evaluator and residents. Fiscal year 2025 runs the whole
mechanism (needs and consultation → program → envelope → call → joint applications → review →
awards with publicity → contracts → delivery → evaluations and payments). In fiscal year 2026 the
first round's contracts are under way (reviewed with last year's performance records, delivering up
to mid-November, so dashboards show progress and alerts) and a second-round call is open. Every
object is made by the same service functions that the pages and the API call, so the demo also
exercises every rule.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from grassroots.applications import services as applications
from grassroots.applications.models import Application
from grassroots.awards import services as awards
from grassroots.awards.models import Award
from grassroots.contracts import services as contracts
from grassroots.contracts.models import Contract, Milestone, Tranche
from grassroots.core.uscc import make_uscc
from grassroots.delivery import services as delivery
from grassroots.evaluation import services as evaluation
from grassroots.evaluation.models import Evaluation
from grassroots.funding import services as funding
from grassroots.funding.models import Call, Criterion, ServiceCategory
from grassroots.needs import services as needs
from grassroots.needs.models import Need, Participant
from grassroots.orgs import services as orgs
from grassroots.orgs.models import Certificate, Expert, Organization, OrgKind, Person, Role
from grassroots.review import services as review
from grassroots.review.models import Review

from . import names

#: Printed on purpose: these are the demo's logins.
DEMO_PASSWORD = "grassroots-demo"
DEPARTMENT_CODE = make_uscc("1", "1", "330302", "MB0000001")

Progress = Callable[[str], None]
#: The running year's service records and spending are generated up to this day.
DELIVERED_UNTIL = date(2026, 11, 15)

#: A milestone's kind as the agency writes it in its report (the demo's reports are in Chinese).
KIND_NAMES = {"start": "启动", "midterm": "中期", "final": "末期"}


def report_of(milestone: Milestone) -> str:
    """The demo agency's milestone report, in Chinese whatever language the demo is built in."""
    kind = KIND_NAMES[milestone.kind]
    return f"{milestone.contract.number} {kind}节点报告：服务按计划推进，指标与预算执行情况见附表。"


#: How a budget line of each head is described in the demo's applications.
LINE_NAMES = {
    "personnel": "社工人力成本",
    "activities": "活动开展费用",
    "materials": "物资与宣传材料",
    "training": "督导与培训",
    "management": "机构管理费",
}


@dataclass
class Login:
    username: str
    role: str
    who: str


@dataclass
class World:
    admin: Any
    department: Organization
    street: Organization
    evaluator: Organization
    communities: list[Organization] = field(default_factory=list)
    agencies: list[Organization] = field(default_factory=list)
    categories: dict[str, ServiceCategory] = field(default_factory=dict)
    officer: Any = None
    street_officer: Any = None
    evaluator_user: Any = None
    community_workers: dict[int, Any] = field(default_factory=dict)
    managers: dict[int, Any] = field(default_factory=dict)
    workers: dict[int, list[Person]] = field(default_factory=dict)
    residents: dict[int, list[Person]] = field(default_factory=dict)
    experts: list[Expert] = field(default_factory=list)


def is_loaded() -> bool:
    return Organization.objects.filter(uscc=DEPARTMENT_CODE).exists()


class _Builder:
    def __init__(self, seed: int, progress: Progress) -> None:
        self.rng = random.Random(seed)
        self.progress = progress
        self.password_hash = make_password(DEMO_PASSWORD)
        self.serial = 0
        self.used_names: set[str] = set()

    # -- people and organizations ---------------------------------------------------------------

    def code(self, authority: str, kind: str) -> str:
        self.serial += 1
        return make_uscc(authority, kind, "330302", f"MA{self.serial:07d}")

    def name(self) -> tuple[str, str]:
        while True:
            (s, s_en), (g, g_en) = self.rng.choice(names.SURNAMES), self.rng.choice(names.GIVEN)
            if f"{s}{g}" not in self.used_names or len(self.used_names) > 700:
                self.used_names.add(f"{s}{g}")
                return f"{s}{g}", f"{g_en} {s_en}"

    def person(self, actor: Any, username: str | None = None, **kwargs: Any) -> Person:
        name, name_en = self.name()
        return orgs.add_person(
            actor,
            name=name,
            name_en=name_en,
            username=username,
            password_hash=self.password_hash if username else None,
            **kwargs,
        )

    def world(self) -> World:
        User = get_user_model()
        admin = User.objects.create_superuser("admin", "admin@example.invalid", None)
        admin.password = self.password_hash
        admin.save(update_fields=["password"])
        department = orgs.register_organization(
            admin, kind=OrgKind.DEPARTMENT, name=names.DEPARTMENT[0], name_en=names.DEPARTMENT[1], uscc=DEPARTMENT_CODE
        )
        street = orgs.register_organization(
            admin,
            kind=OrgKind.STREET,
            name=names.STREET[0],
            name_en=names.STREET[1],
            uscc=self.code("1", "1"),
            parent=department,
        )
        evaluator = orgs.register_organization(
            admin,
            kind=OrgKind.EVALUATOR,
            name=names.EVALUATOR[0],
            name_en=names.EVALUATOR[1],
            uscc=self.code("5", "2"),
            founded=2012,
        )
        w = World(admin=admin, department=department, street=street, evaluator=evaluator)
        for code, name, name_en in names.CATEGORIES:
            w.categories[code] = funding.ensure_category(code, name, name_en)

        w.officer = self.staff(admin, department, Role.OFFICER, "bureau")
        w.street_officer = self.staff(admin, street, Role.OFFICER, "street")
        w.evaluator_user = self.staff(admin, evaluator, Role.EVALUATOR, "evaluator")

        for i, (name, name_en, population) in enumerate(names.COMMUNITIES, start=1):
            community = orgs.register_organization(
                admin,
                kind=OrgKind.COMMUNITY,
                name=name,
                name_en=name_en,
                uscc=self.code("5", "4"),
                parent=street,
                residents=population,
                address=f"S街道{name}",
            )
            w.communities.append(community)
            w.community_workers[community.pk] = self.staff(admin, community, Role.COMMUNITY_WORKER, f"community{i}")
            w.residents[community.pk] = []
            for j in range(1, 10):
                username = f"resident{i}" if j == 1 else f"resident{i}-{j}"
                resident = self.person(admin, username, home_community=community)
                orgs.add_membership(admin, person=resident, organization=community, role=Role.RESIDENT)
                w.residents[community.pk].append(resident)

        worker_no = 0
        for i, (name, name_en, _specialities, _quality) in enumerate(names.AGENCIES, start=1):
            agency = orgs.register_organization(
                admin,
                kind=OrgKind.AGENCY,
                name=name,
                name_en=name_en,
                uscc=self.code("5", "2"),
                founded=2008 + i,
                address="W市X区",
            )
            w.agencies.append(agency)
            w.managers[agency.pk] = self.staff(admin, agency, Role.MANAGER, f"agency{i}")
            w.workers[agency.pk] = []
            for _ in range(6 + i % 3):
                worker_no += 1
                certificate = self.rng.choice(
                    [
                        Certificate.ASSISTANT,
                        Certificate.INTERMEDIATE,
                        Certificate.INTERMEDIATE,
                        Certificate.SENIOR,
                        Certificate.NONE,
                    ]
                )
                worker = self.person(admin, f"worker{worker_no}", certificate=certificate)
                orgs.add_membership(admin, person=worker, organization=agency, role=Role.SOCIAL_WORKER)
                w.workers[agency.pk].append(worker)

        topics = [c for c, _n, _e in names.CATEGORIES]
        for k in range(1, 16):
            person = self.person(admin, f"expert{k}")
            expertise = self.rng.sample(topics, 3)
            w.experts.append(orgs.register_expert(admin, person=person, expertise=expertise, capacity=6))
        # A declared tie the conflict screening must honour.
        orgs.declare_affiliation(admin, expert=w.experts[1], organization=w.agencies[0], kind="board")
        return w

    def staff(self, admin: Any, org: Organization, role: str, username: str) -> Any:
        person = self.person(admin, username)
        orgs.add_membership(admin, person=person, organization=org, role=role)
        return person.user

    # -- needs and consultation -----------------------------------------------------------------

    def consult(self, w: World, year: int) -> dict[int, list[Need]]:
        prioritised: dict[int, list[Need]] = {}
        for community in w.communities:
            worker = w.community_workers[community.pk]
            residents = w.residents[community.pk]
            raised = []
            for category in self.rng.sample(list(names.NEEDS), 5):
                title, title_en = self.rng.choice(names.NEEDS[category])
                raiser = self.rng.choice(residents)
                raised.append(
                    needs.raise_need(
                        raiser.user,
                        community=community,
                        title=title,
                        title_en=title_en,
                        category=w.categories[category],
                        raised_on=date(year, 1, self.rng.randint(5, 25)),
                        people_affected=self.rng.randint(20, 400),
                        description=f"{community.name}居民反映：{title}。",
                    )
                )
            meeting = needs.plan_meeting(
                worker,
                community=community,
                title=f"{community.name}{year}年度民生项目议事会",
                held_on=date(year, 2, 20),
                agenda=raised,
                participants=[(r, Participant.Kind.RESIDENT) for r in residents[:8]],
                quorum=5,
                priorities=3,
                approvals=2,
            )
            needs.open_voting(worker, meeting)
            weights = [self.rng.random() + 0.2 for _ in raised]
            for resident in residents[:8]:
                chosen: set[int] = set()
                while len(chosen) < 2:
                    chosen.add(self.rng.choices(raised, weights=weights)[0].pk)
                needs.cast_ballot(resident.user, meeting, {pk: 1 for pk in chosen})
            needs.close_meeting(worker, meeting, minutes=f"{community.name}居民代表8人参会，按赞成投票法确定优先需求。")
            prioritised[community.pk] = list(Need.objects.filter(community=community, state=Need.State.PRIORITISED))
        return prioritised

    # -- applications ---------------------------------------------------------------------------

    def apply(
        self,
        w: World,
        call: Call,
        agency_index: int,
        communities: list[Organization],
        category: str,
        prioritised: dict[int, list[Need]],
        *,
        management_share: str = "0.08",
        submit: bool = True,
    ) -> Application:
        agency = w.agencies[agency_index]
        manager = w.managers[agency.pk]
        _n, _e, _spec, quality = names.AGENCIES[agency_index]
        workers = w.workers[agency.pk]
        team = self.rng.sample(workers, min(4, len(workers)))
        if all(p.certificate == Certificate.NONE for p in team):
            team[0] = next(p for p in workers if p.certificate != Certificate.NONE)
        cat = w.categories[category]
        size = Decimal(self.rng.randrange(100, 200) * 1000)
        shares = {
            "personnel": Decimal("0.50"),
            "activities": Decimal("0.25"),
            "materials": Decimal("0.10"),
            "training": Decimal("0.07"),
        }
        shares["management"] = Decimal(management_share)
        scale = sum(shares.values(), Decimal(0))
        lines = [
            {
                "head": head,
                "description": f"{cat.name}项目{LINE_NAMES[head]}",
                "amount": (size * share / scale).quantize(Decimal("1")),
            }
            for head, share in shares.items()
        ]
        matching = []
        if self.rng.random() < 0.4:
            matching.append(
                {
                    "source": "community",
                    "provider": communities[0].name,
                    "amount": Decimal(self.rng.randrange(5, 20) * 1000),
                }
            )
        answered = [n for c in communities for n in prioritised.get(c.pk, []) if n.category_id == cat.pk]
        if not answered and self.rng.random() < quality:
            answered = [n for c in communities for n in prioritised.get(c.pk, [])][:1]
        title = f"{'、'.join(c.name for c in communities)}{cat.name}项目"
        # Written in the call's first days and handed in a week or two later, never after it closed: the
        # days follow from how many applications the call already has (the seed's draws stay as they were).
        n = Application.objects.filter(call=call).count()
        drafted = min(call.closes_on, call.opens_on + timedelta(days=2 + n % 10))
        handed_in = min(call.closes_on, drafted + timedelta(days=5 + n % 7))
        application = applications.create_draft(
            manager,
            call=call,
            lead_agency=agency,
            title=title,
            title_en=f"{cat.name_en} in {', '.join(c.name_en for c in communities)}",
            category=cat,
            communities=communities,
            team=[(p, "lead" if i == 0 else "member") for i, p in enumerate(team)],
            indicators=[
                {
                    "name": "个案服务",
                    "kind": "output",
                    "service_kind": "case",
                    "measure": "sessions",
                    "unit": "次",
                    "target": 40,
                },
                {
                    "name": "小组活动",
                    "kind": "output",
                    "service_kind": "group",
                    "measure": "sessions",
                    "unit": "节",
                    "target": 24,
                },
                {
                    "name": "社区活动参与居民",
                    "kind": "output",
                    "service_kind": "community",
                    "measure": "residents",
                    "unit": "人次",
                    "target": 600,
                },
                {"name": "服务对象满意度", "kind": "outcome", "measure": "manual", "unit": "%", "target": 90},
            ],
            budget_lines=lines,
            matching_funds=matching,
            needs=answered,
            summary=f"由{agency.name}牵头，联合{'、'.join(c.name for c in communities)}开展{cat.name}。",
            objectives="回应居民议事确定的优先需求，培育社区自助互助能力。",
            term_months=12,
            on=drafted,
        )
        if submit:
            applications.submit(manager, application, on=handed_in)
        return application

    def applications_for(self, w: World, call: Call, prioritised: dict[int, list[Need]]) -> list[Application]:
        """Sixteen joint applications for about 2.2 million yuan against a budget of 1.4 million."""
        made = []
        for round_no in range(3):
            for index, (_n, _e, specialities, _q) in enumerate(names.AGENCIES):
                if round_no == 2 and index % 3 == 2:
                    continue
                category = specialities[round_no % len(specialities)]
                partners = self.rng.sample(w.communities, self.rng.choice([1, 1, 2]))
                fee = "0.16" if (round_no, index) == (1, 4) else "0.08"  # one over the 10% cap: ineligible
                made.append(self.apply(w, call, index, partners, category, prioritised, management_share=fee))
        return made

    # -- review and awards ----------------------------------------------------------------------

    def review_and_award(self, w: World, call: Call, year: int) -> list[Award]:
        review.start_review(w.street_officer, call, today=date(year, 4, 1))
        criteria = list(call.criteria.filter(source=Criterion.Source.REVIEWERS))  # not past performance
        for r in Review.objects.filter(application__call=call).select_related("application", "expert__person"):
            quality = names.AGENCIES[[a.pk for a in w.agencies].index(r.application.lead_agency_id)][3]
            harshness = (r.expert_id % 5 - 2) * 2
            scores = {
                c.pk: max(0, min(100, round(55 + 40 * quality + self.rng.gauss(0, 6) - harshness))) for c in criteria
            }
            review.submit_scores(r.expert.person.user, r, scores, comment="方案完整，建议加强成效评估设计。")
        review.close_panel(w.street_officer, call)
        award_list = awards.propose_awards(w.street_officer, call)  # the call's rule: largest total score
        awards.start_publicity(w.street_officer, award_list, starts_on=date(year, 5, 12), working_days=5)
        objector = w.residents[w.communities[3].pk][1]
        first = award_list.awards.first()
        objection = awards.raise_objection(objector.user, award_list, "希望说明评审专家的回避情况。", award=first)
        awards.answer_objection(
            w.street_officer, objection, uphold=False, response="评审前已进行利益冲突筛查，申报方董事会成员专家已回避。"
        )
        awards.decide(w.officer, award_list, on=date(year, 5, 20))
        return list(award_list.awards.filter(state=Award.State.CONFIRMED).select_related("application"))

    # -- contracts, delivery, evaluation --------------------------------------------------------

    def deliver(self, w: World, contract: Contract, quality: float, until: date) -> None:
        manager = w.managers[contract.agency_id]
        workers = [p for p in contract.award.application.team.all()]
        team = [m.person for m in workers]
        day = contract.starts_on + timedelta(days=3)
        kinds = ["case", "case", "group", "community"]
        while day <= min(until, contract.ends_on):
            kind = self.rng.choice(kinds)
            beneficiaries = {"case": 1, "group": self.rng.randint(6, 12), "community": self.rng.randint(30, 120)}[kind]
            volunteers = self.rng.randint(0, 8) if kind != "case" else 0
            delivery.record_service(
                team[0].user or manager,
                contract,
                kind=kind,
                held_on=day,
                title={"case": "个案跟进", "group": "小组活动", "community": "社区活动"}[kind],
                social_workers=self.rng.sample(team, min(2, len(team))),
                beneficiaries=beneficiaries,
                service_hours=Decimal(self.rng.choice([1, 2, 2, 3, 4])),
                volunteers=volunteers,
                volunteer_hours=Decimal(volunteers * self.rng.choice([1, 2, 3])),
                resident_participants=beneficiaries if kind == "community" else 0,
                location=self.rng.choice([c.name for c in contract.communities.all()]) + "党群服务中心",
            )
            day += timedelta(days=max(2, int(self.rng.expovariate(1 / (9 - 4 * quality)))))
        lines = list(contract.lines.all())
        months = max(1, (min(until, contract.ends_on) - contract.starts_on).days // 30)
        for month in range(months):
            spent_on = contract.starts_on + timedelta(days=30 * month + 15)
            for line in lines:
                amount = (line.amount * Decimal(str(0.7 + 0.25 * quality)) / 12).quantize(Decimal("0.01"))
                if amount > 0 and spent_on <= contract.ends_on:
                    delivery.record_expenditure(
                        manager,
                        contract,
                        line=line,
                        spent_on=spent_on,
                        amount=amount,
                        description=f"{line.description}（{spent_on:%Y年%m月}）",
                        receipt=f"FP{contract.pk:03d}{month:02d}{line.pk:04d}",
                    )

    def evaluate(self, w: World, contract: Contract, kind: str, quality: float, on: date) -> Evaluation:
        """An evaluation as the evaluator would do it: a resident survey for the final one, the data's
        indicators computed, the rest scored by judgement of the agency's quality, and findings."""
        item = evaluation.assign_evaluation(
            w.street_officer, contract, evaluator=w.evaluator, kind=kind, due_on=on + timedelta(days=10)
        )
        if kind == Evaluation.Kind.FINAL:
            self.survey(w, item, quality, answers=self.rng.randint(12, 20), close=True)
        evaluation.score_evaluation(w.evaluator_user, item, {}, on=on)  # the data's indicators first
        scores = {}
        for leaf in item.items.filter(is_leaf=True, points__isnull=True):  # the rest by judgement
            share = max(0.0, min(1.0, 0.5 + 0.48 * quality + self.rng.gauss(0, 0.06)))
            scores[leaf.code] = {
                "points": (leaf.weight * Decimal(str(round(share, 2)))).quantize(Decimal("0.1")),
                "evidence": "查阅服务台账与档案，访谈服务对象、社区居委会与社工",
            }
        findings: list[dict[str, Any]] = [{"text": "服务台账基本完整，活动记录与签到表相互印证。"}]
        if quality < 0.8:
            findings.append(
                {
                    "text": "部分个案缺少前后测评估，成效证据不足。",
                    "requirement": "补充在案个案的前后测量表并建立成效追踪表。",
                    "due_on": on + timedelta(days=30),
                }
            )
        evaluation.submit_evaluation(
            w.evaluator_user,
            item,
            scores=scores,
            summary="项目按计划推进；建议加强成效指标的过程记录。"
            if quality >= 0.7
            else "项目进度滞后，成效记录薄弱。",
            findings=findings,
            on=on,
        )
        evaluation.accept_evaluation(w.street_officer, item, on=on)
        for finding in item.findings.filter(state="open"):
            if finding.due_on and finding.due_on < DELIVERED_UNTIL:
                manager = w.managers[contract.agency_id]
                evaluation.report_rectification(
                    manager, finding, "已补充前后测量表并建立成效追踪表。", on=finding.due_on - timedelta(days=5)
                )
                if quality >= 0.75 or kind == Evaluation.Kind.MIDTERM:  # the weaker await the follow-up
                    evaluation.follow_up_rectification(
                        w.evaluator_user, finding, accepted=True, verdict="经抽查已整改到位。", on=finding.due_on
                    )
        return item

    def survey(self, w: World, item: Evaluation, quality: float, *, answers: int, close: bool) -> None:
        """A satisfaction survey: a printed sheet of tokens, `answers` residents answering anonymously."""
        survey = evaluation.create_survey(w.evaluator_user, item)
        tokens = evaluation.issue_tokens(w.evaluator_user, survey, 24, handed_to="项目服务对象与参与居民")
        evaluation.open_survey(w.evaluator_user, survey)
        questions = list(survey.questions.all())
        comments = ["社工很耐心，希望活动多一些。", "活动时间可以安排在周末。", "服务很有帮助。", "希望项目能继续。"]
        for token in tokens[:answers]:
            given: dict[int, Any] = {}
            for q in questions:
                if q.kind == "likert":
                    given[q.pk] = min(5, max(1, round(self.rng.gauss(2.6 + 2.4 * quality, 0.8))))
                elif self.rng.random() < 0.4:
                    given[q.pk] = self.rng.choice(comments)
            evaluation.answer_survey(token, given)
        if close:
            evaluation.close_survey(w.evaluator_user, survey)

    def milestone(self, w: World, contract: Contract, kind: str, on: date) -> None:
        milestone = contract.milestones.get(kind=kind)
        contracts.submit_milestone(w.managers[contract.agency_id], milestone, report_of(milestone))
        contracts.review_milestone(w.street_officer, milestone, accept=True, on=on)

    def pay_open(self, w: World, contract: Contract, on: date) -> None:
        for tranche in contract.tranches.filter(state=Tranche.State.PAYABLE):
            contracts.pay_tranche(
                w.officer, tranche, idempotency_key=f"demo-{contract.number}-{tranche.position}", on=on
            )

    # -- the two years --------------------------------------------------------------------------

    def round_of(
        self,
        w: World,
        year: int,
        prioritised: dict[int, list[Need]],
        *,
        second: bool = False,
        criteria: list[tuple[str, ...]] | None = None,
    ) -> Call:
        """A program of the year, the street's envelope of it and the call on that envelope, opened."""
        suffix, suffix_en = ("（第二批）", " (second round)") if second else ("", "")
        program = funding.create_program(
            w.officer,
            department=w.department,
            title=f"{year}年度X区政府购买社会工作服务项目{suffix}",
            title_en=f"X District purchase of social-work services, {year}{suffix_en}",
            fiscal_year=year,
            budget="800000.00" if second else "3000000.00",
            categories=w.categories.values(),
            eligibility="在本区登记、具备社会工作专业资质的社会组织；须联合至少一个社区申报。",
        )
        funding.open_program(w.officer, program)
        amount = "600000.00" if second else "1200000.00"
        envelope = funding.allocate_envelope(w.officer, program=program, street=w.street, amount=amount)
        call = funding.create_call(
            w.street_officer,
            program=program,
            envelope=envelope,
            title=f"S街道{year}年度{'第二批' if second else ''}社区服务项目申报指南",
            title_en=f"S Street community service projects {year}{', second round' if second else ''}",
            funds=amount,
            matching_funds="100000.00" if second else "200000.00",
            max_request="150000.00" if second else "200000.00",
            opens_on=date(year, 11, 1) if second else date(year, 3, 1),
            # the second round stays open for a month at least from the day the demo is built, so it takes
            # applications whenever someone tries the demo
            closes_on=max(date(year, 12, 20), timezone.localdate() + timedelta(days=30))
            if second
            else date(year, 3, 31),
            categories=w.categories.values(),
            criteria=criteria or names.CRITERIA,
            needs=[n for group in prioritised.values() for n in group],
            description="围绕居民议事确定的优先需求，面向社工机构与社区联合申报。",
            award_rule="max_total_score",
            max_awards_per_agency=3,
        )
        funding.open_call(w.street_officer, call)
        return call

    def contracts_of(self, w: World, confirmed: list[Award], year: int) -> list[tuple[Contract, float]]:
        made = []
        for award in confirmed:
            contract = contracts.draft_contract(w.street_officer, award, starts_on=date(year, 6, 1))
            contracts.sign_contract(w.managers[contract.agency_id], contract, on=date(year, 5, 28))
            quality = names.AGENCIES[[a.pk for a in w.agencies].index(contract.agency_id)][3]
            self.milestone(w, contract, Milestone.Kind.START, date(year, 7, 1))
            self.pay_open(w, contract, date(year, 7, 10))
            made.append((contract, quality))
        return made

    def completed_year(self, w: World, year: int) -> None:
        self.progress(f"  {year}: residents raise needs and consult …")
        prioritised = self.consult(w, year)
        self.progress(f"  {year}: program, envelope and call …")
        call = self.round_of(w, year, prioritised)
        self.progress(f"  {year}: joint applications …")
        self.applications_for(w, call, prioritised)
        self.progress(f"  {year}: review, awards and publicity …")
        confirmed = self.review_and_award(w, call, year)
        self.progress(f"  {year}: {len(confirmed)} contracts: delivery, evaluations and payments …")
        for contract, quality in self.contracts_of(w, confirmed, year):
            self.deliver(w, contract, quality, contract.ends_on)
            self.milestone(w, contract, Milestone.Kind.MIDTERM, date(year, 12, 1))
            self.evaluate(w, contract, Evaluation.Kind.MIDTERM, quality, date(year, 11, 25))
            self.pay_open(w, contract, date(year, 12, 10))
            self.milestone(w, contract, Milestone.Kind.FINAL, date(year + 1, 6, 5))
            self.evaluate(w, contract, Evaluation.Kind.FINAL, quality, date(year + 1, 6, 15))
            self.pay_open(w, contract, date(year + 1, 6, 30))

    def running_year(self, w: World, year: int) -> Call:
        """A year under way: first-round contracts delivering (one agency has stopped recording), and a
        second-round call open for applications. The first round reads last year's performance records."""
        self.progress(f"  {year}: residents raise needs and consult …")
        prioritised = self.consult(w, year)
        call = self.round_of(w, year, prioritised, criteria=names.CRITERIA_WITH_RECORD)
        self.progress(f"  {year}: first round: applications, review and awards …")
        self.applications_for(w, call, prioritised)
        confirmed = self.review_and_award(w, call, year)
        self.progress(f"  {year}: {len(confirmed)} contracts under way …")
        running = self.contracts_of(w, confirmed, year)
        weakest = min(quality for _c, quality in running)
        for contract, quality in running:
            stopped = quality == weakest  # the weakest agency stopped recording in the autumn: an alert to see
            self.deliver(w, contract, quality, date(year, 9, 20) if stopped else DELIVERED_UNTIL)
        self.progress(f"  {year}: mid-term reports: accepted, waiting for review, or not yet written …")
        for i, (contract, _quality) in enumerate(running):
            report = contract.milestones.get(kind=Milestone.Kind.MIDTERM)
            if i % 3 == 2:
                continue  # not written yet: the agency's home page asks for it
            contracts.submit_milestone(w.managers[contract.agency_id], report, report_of(report))
            if i % 3 == 0:  # accepted: the second tranche waits to be paid
                contracts.review_milestone(w.street_officer, report, accept=True, on=date(year, 11, 28))
        self.progress(f"  {year}: mid-term evaluations assigned; a resident survey under way …")
        for i, (contract, quality) in enumerate(running):
            midterm = evaluation.assign_evaluation(
                w.street_officer,
                contract,
                evaluator=w.evaluator,
                kind=Evaluation.Kind.MIDTERM,
                due_on=date(year, 12, 10),
            )
            if i == 0:
                self.survey(w, midterm, quality, answers=9, close=False)
        self.progress(f"  {year}: a second-round call open for applications …")
        second = self.round_of(w, year, prioritised, second=True, criteria=names.CRITERIA_WITH_RECORD)
        self.apply(w, second, 0, [w.communities[0]], "elderly", prioritised)
        self.apply(w, second, 2, [w.communities[2], w.communities[5]], "disability", prioritised)
        self.apply(w, second, 3, [w.communities[6]], "children", prioritised, submit=False)
        return second


def build(seed: int = 2024, progress: Progress = print) -> World:
    """Build the whole scenario in one transaction: all of it or none of it."""
    with transaction.atomic():
        builder = _Builder(seed, progress)
        progress("  organizations, people and the expert pool …")
        world = builder.world()
        builder.completed_year(world, 2025)
        builder.running_year(world, 2026)
    progress(
        f"  done: {Contract.objects.count()} contracts, {Application.objects.count()} applications, "
        f"{Person.objects.count()} people."
    )
    return world


def logins() -> list[Login]:
    """The demo's logins, read back from the database (so they print after a rebuild too)."""
    wanted = [
        ("admin", "staff (Django admin)"), ("bureau", "department officer"), ("street", "street officer"),
        ("community1", "community worker"), ("agency1", "agency manager"), ("worker1", "social worker"),
        ("expert1", "expert reviewer"), ("evaluator", "third-party evaluator"), ("resident1", "resident"),
    ]  # fmt: skip
    people = {
        p.user.username: p
        for p in Person.objects.filter(user__username__in=[u for u, _ in wanted]).select_related("user")
        if p.user is not None
    }
    result = []
    for username, role in wanted:
        person = people.get(username)
        if person is None:
            if username == "admin":
                result.append(Login(username, role, "administrator"))
            continue
        membership = person.memberships.select_related("organization").first()
        who = f"{person.name_en} · {membership.organization.name_en}" if membership else person.name_en
        result.append(Login(username, role, who))
    return result


def print_logins(out: Progress = print) -> None:
    out(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
    for login in logins():
        out(f"  {login.username:<12} {login.role:<24} {login.who}")
    out("  (also community2…8, agency2…6, worker2…44, expert2…15, resident2…8 and resident1-2…8-9)")
