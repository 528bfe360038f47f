"""The review rules a call can set: conflicts found in the data, vacancies refilled, aggregation, disagreement,
past performance as a criterion, and the award caps and publicity period taken from the call."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from grassroots.applications.models import Application
from grassroots.awards import services as award_services
from grassroots.core.errors import Forbidden, RuleViolation
from grassroots.core.i18n import render_message
from grassroots.funding import services as funding_services
from grassroots.funding.models import Call, Criterion
from grassroots.review import services as review_services
from grassroots.review.models import Conflict, Review
from tests import world as w

D = Decimal
PERFORMANCE_CRITERIA = [
    ("需求契合度", "Fit to consulted needs", "40"),
    ("方案设计", "Project design", "40"),
    ("以往绩效", "Past performance", "20", "performance"),
]


def call_with(world: w.World, **kwargs: object) -> Call:
    """A street call whose settings the test chooses, criteria included."""
    program = w.open_program(world)
    envelope = funding_services.allocate_envelope(
        world.dept_officer, program=program, street=world.street, amount="600000.00"
    )
    call = funding_services.create_call(
        world.street_officer,
        program=program,
        envelope=envelope,
        title="试点申报指南",
        funds="300000.00",
        opens_on=w.CALL_OPENS,
        closes_on=w.CALL_CLOSES,
        categories=list(world.categories.values()),
        **kwargs,  # type: ignore[arg-type]
    )
    return funding_services.open_call(world.street_officer, call)


def active_reviewers(application: Application) -> set[int]:
    return set(
        Review.objects.filter(application=application)
        .exclude(state=Review.State.WITHDRAWN)
        .values_list("expert_id", flat=True)
    )


@pytest.mark.django_db
def test_past_teamwork_with_the_agency_is_a_conflict_within_the_look_back_only(world: w.World) -> None:
    program = w.open_program(world)
    call = w.open_street_call(world, program)
    application = w.submitted_application(world, call, agency=1)
    expert = world.experts[3]
    # The expert was a social worker of agency 1 until three years ago ...
    from grassroots.orgs.models import Membership

    Membership.objects.create(
        person=expert.person, organization=world.agencies[1], role="social_worker", until=date(2022, 6, 30)
    )
    assert review_services.detect_conflicts(expert, application, today=w.REVIEW_DAY) == [
        "worked with the applying agency 同心社工事务所 in the last 3 years"
    ]
    # ... which a look-back of two years no longer counts.
    call.conflict_years = 2
    call.save(update_fields=["conflict_years"])
    application.refresh_from_db()
    assert review_services.detect_conflicts(expert, application, today=w.REVIEW_DAY) == []


@pytest.mark.django_db
def test_a_declared_conflict_leaves_a_vacancy_that_is_refilled_without_conflict(world: w.World) -> None:
    call = w.open_street_call(world, w.open_program(world), reviewers_per_application=2)
    application = w.submitted_application(world, call, agency=1, category="youth")
    review_services.start_review(world.street_officer, call, today=w.REVIEW_DAY)
    first = Review.objects.filter(application=application).order_by("pk").first()
    assert first is not None
    review_services.declare_conflict(world.expert_user(first.expert), first, "我曾为该机构提供督导")
    assert review_services.vacancies(call) == {application.pk: 1}

    added = review_services.fill_vacancies(world.street_officer, call)

    assert added == 1 and review_services.vacancies(call) == {}
    assert first.expert_id not in active_reviewers(application)
    assert len(active_reviewers(application)) == 2
    assert Conflict.objects.filter(expert=first.expert, application=application, source="declared").exists()


@pytest.mark.django_db
def test_staff_add_a_conflict_by_hand_and_the_open_review_is_withdrawn(world: w.World) -> None:
    call = w.open_street_call(world, w.open_program(world), reviewers_per_application=1)
    application = w.submitted_application(world, call, agency=1)
    review_services.start_review(world.street_officer, call, today=w.REVIEW_DAY)
    review = Review.objects.get(application=application)
    with w.refused(Forbidden):
        review_services.add_conflict(world.manager_of(world.agencies[1]), review.expert, application, "亲属关系")
    review_services.add_conflict(world.street_officer, review.expert, application, "亲属关系")
    review.refresh_from_db()
    assert review.state == Review.State.WITHDRAWN
    with w.refused(RuleViolation, match="conflict of interest"):
        review_services.assign_by_hand(world.street_officer, application, review.expert)


@pytest.mark.django_db
def test_assigning_by_hand_respects_capacity(world: w.World) -> None:
    call = w.open_street_call(world, w.open_program(world), reviewers_per_application=1)
    application = w.submitted_application(world, call, agency=1)
    review_services.start_review(world.street_officer, call, today=w.REVIEW_DAY)
    expert = world.experts[4]
    expert.capacity = 0
    expert.save(update_fields=["capacity"])
    if Review.objects.filter(application=application, expert=expert).exists():
        pytest.skip("the solver picked this expert")
    with w.refused(RuleViolation, match="capacity"):
        review_services.assign_by_hand(world.street_officer, application, expert)


@pytest.mark.django_db
def test_the_calls_aggregation_and_disagreement_threshold_are_used(world: w.World) -> None:
    call = w.open_street_call(
        world,
        w.open_program(world),
        reviewers_per_application=3,
        aggregation="trimmed_mean",
        disagreement_threshold="15",
    )
    application = w.submitted_application(world, call, agency=1, category="elderly")
    review_services.start_review(world.street_officer, call, today=w.REVIEW_DAY)
    marks = iter(["90", "70", "40"])
    for review in Review.objects.filter(application=application).order_by("pk"):
        value = next(marks)
        review_services.submit_scores(
            world.expert_user(review.expert), review, {c.pk: value for c in call.criteria.all()}
        )
    review_services.close_panel(world.street_officer, call)
    application.refresh_from_db()
    assert application.score == D("70.00")  # the trimmed mean drops 90 and 40
    assert application.disagreement is True


@pytest.mark.django_db
def test_past_performance_is_read_from_evaluations_not_scored_by_reviewers(world: w.World) -> None:
    # Agency 1 has an evaluated contract of the previous year with a final score of 92.
    previous = w.open_program(world, title="2024年项目")
    previous.fiscal_year = 2024
    previous.save(update_fields=["fiscal_year"])
    contract = w.funded_contract(world, agency=1, program=previous)
    w.accept_milestone(world, contract, "final", date(2025, 3, 1))
    w.evaluate(world, contract, "final", "92", date(2025, 3, 5))

    call = call_with(world, reviewers_per_application=1, criteria=PERFORMANCE_CRITERIA)
    known = w.submitted_application(world, call, agency=1)
    newcomer = w.submitted_application(world, call, agency=2)
    review_services.start_review(world.street_officer, call, today=w.REVIEW_DAY)
    reviewer_criteria = list(call.criteria.filter(source=Criterion.Source.REVIEWERS))
    performance = call.criteria.get(source=Criterion.Source.PERFORMANCE)
    for review in Review.objects.filter(application__call=call):
        with w.refused(RuleViolation, match="Score every criterion"):
            review_services.submit_scores(
                world.expert_user(review.expert),
                review,
                {**{c.pk: "80" for c in reviewer_criteria}, performance.pk: "100"},
            )
        review_services.submit_scores(world.expert_user(review.expert), review, {c.pk: "80" for c in reviewer_criteria})
    review_services.close_panel(world.street_officer, call)
    known.refresh_from_db()
    newcomer.refresh_from_db()
    assert known.performance_score == D("92.00") and known.score == D("82.40")  # 0.8·80 + 0.2·92
    assert newcomer.performance_score == D("70.00") and newcomer.score == D("78.00")  # the call's default
    assert (known.rank, newcomer.rank) == (1, 2)


@pytest.mark.django_db
def test_a_call_without_a_reviewer_criterion_is_refused(world: w.World) -> None:
    with pytest.raises(RuleViolation, match="scored by the reviewers"):
        call_with(world, criteria=[("以往绩效", "Past performance", "100", "performance")])


@pytest.mark.django_db
def test_awards_follow_the_calls_rule_caps_and_publicity_period(world: w.World) -> None:
    call = w.open_street_call(
        world,
        w.open_program(world),
        funds="300000.00",
        reviewers_per_application=1,
        award_rule="max_total_score",
        max_awards_per_agency=1,
        category_caps={"youth": "50000.00"},
        publicity_days=7,
    )
    a = w.submitted_application(world, call, agency=1, requested="60000.00")
    b = w.submitted_application(world, call, agency=1, requested="50000.00", title="第二个项目")
    c = w.submitted_application(world, call, agency=2, requested="60000.00", category="youth")
    w.review_call(world, call, {a.pk: "90", b.pk: "85", c.pk: "88"})
    award_list = award_services.propose_awards(world.street_officer, call)
    assert award_list.rule == "max_total_score"
    assert {x.application_id for x in award_list.awards.all()} == {a.pk}
    reasons = {ref: render_message(v) for ref, v in award_list.reasons.items()}
    assert "most allowed" in reasons[b.reference] and "同心社工事务所" in reasons[b.reference]
    assert reasons[c.reference] == (
        "the request 60000.00 does not fit what is left (50000.00) of the cap for category youth"
    )
    award_services.start_publicity(world.street_officer, award_list, starts_on=date(2025, 3, 10))
    award_list.refresh_from_db()
    assert award_list.publicity_until == date(2025, 3, 19)  # seven working days after Monday 10 March


@pytest.mark.django_db
def test_rank_order_names_the_category_cap(world: w.World) -> None:
    call = w.open_street_call(
        world, w.open_program(world), reviewers_per_application=1, category_caps={"youth": "50000.00"}
    )
    c = w.submitted_application(world, call, agency=2, requested="60000.00", category="youth")
    w.review_call(world, call, {c.pk: "88"})
    award_list = award_services.propose_awards(world.street_officer, call)
    assert render_message(award_list.reasons[c.reference]) == (
        "the request 60000.00 does not fit what is left (50000.00) of the cap for category youth"
    )


@pytest.mark.django_db
def test_caps_must_name_the_calls_categories(world: w.World) -> None:
    program = w.open_program(world)
    with pytest.raises(RuleViolation, match="does not fund"):
        w.open_street_call(world, program, category_caps={"sports": "1000.00"})


@pytest.mark.django_db
def test_a_withdrawn_application_can_no_longer_be_scored(world: w.World) -> None:
    call = w.open_street_call(world, w.open_program(world), reviewers_per_application=1)
    application = w.submitted_application(world, call, agency=1)
    review_services.start_review(world.street_officer, call, today=w.REVIEW_DAY)
    from grassroots.applications import services as application_services

    application_services.withdraw(world.manager_of(world.agencies[1]), application, "机构人手不足")
    review = Review.objects.get(application=application)
    with w.refused(RuleViolation, match="no longer in the competition"):
        review_services.submit_scores(
            world.expert_user(review.expert), review, {c.pk: "80" for c in call.criteria.all()}
        )


@pytest.mark.django_db
def test_a_withdrawn_list_frees_the_call_for_a_corrected_one(world: w.World) -> None:
    call = w.open_street_call(world, w.open_program(world), reviewers_per_application=1)
    a = w.submitted_application(world, call, agency=1)
    w.review_call(world, call, {a.pk: "80"})
    first = award_services.propose_awards(world.street_officer, call, "rank_order")
    with w.refused(RuleViolation, match="already has an award list"):
        award_services.propose_awards(world.street_officer, call, "rank_order")
    with w.refused(RuleViolation, match="Say why"):
        award_services.withdraw_award_list(world.street_officer, first, " ")
    award_services.withdraw_award_list(world.street_officer, first, "排名计算有误")
    assert first.awards.get().state == "revoked"
    second = award_services.propose_awards(world.street_officer, call, "max_total_score")
    assert second.awards.get().application_id == a.pk


@pytest.mark.django_db
def test_an_upheld_objection_gives_the_applicant_its_reason(world: w.World) -> None:
    call = w.open_street_call(world, w.open_program(world), reviewers_per_application=1)
    a = w.submitted_application(world, call, agency=1)
    w.review_call(world, call, {a.pk: "80"})
    award_list = w.publicise(world, call)
    objection = award_services.raise_objection(
        world.residents[0][0], award_list, "该机构资质不符", award=award_list.awards.get()
    )
    award_services.answer_objection(world.street_officer, objection, uphold=True, response="经核实，异议成立")
    w.decide(world, award_list)
    a.refresh_from_db()
    assert a.state == Application.State.NOT_AWARDED
    from grassroots.core.models import AuditEvent

    event = AuditEvent.objects.filter(object_type="applications.application", object_id=str(a.pk)).last()
    assert event is not None and event.reason == "the award was revoked after an objection was upheld"


@pytest.mark.django_db
def test_the_largest_request_cannot_exceed_the_calls_budget(world: w.World) -> None:
    program = w.open_program(world)
    with pytest.raises(RuleViolation, match="largest request"):
        w.open_street_call(world, program, funds="300000.00", max_request="300000.01")


@pytest.mark.django_db
def test_reviewers_see_only_their_own_scores(world: w.World) -> None:
    from grassroots.review import selectors as review_selectors

    call = w.open_street_call(world, w.open_program(world), reviewers_per_application=2)
    application = w.submitted_application(world, call, agency=1, category="youth")
    review_services.start_review(world.street_officer, call, today=w.REVIEW_DAY)
    first, second = Review.objects.filter(application=application).order_by("pk")
    review_services.submit_scores(world.expert_user(first.expert), first, {c.pk: "77" for c in call.criteria.all()})
    mine = review_selectors.of_application(world.expert_user(second.expert), application)
    assert list(mine) == [second]  # not the first expert's submitted review
    officers = review_selectors.of_application(world.street_officer, application)
    assert set(officers) == {first, second}
    applicant = review_selectors.of_application(world.manager_of(world.agencies[1]), application)
    assert not applicant.exists()
