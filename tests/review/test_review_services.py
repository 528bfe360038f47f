"""Running a call's review: screening, conflicts, assignment, scoring once, closing the panel."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from grassroots.applications import services as application_services
from grassroots.applications.models import Application
from grassroots.core.errors import IllegalTransition, RuleViolation
from grassroots.core.i18n import render_message
from grassroots.funding.models import Call
from grassroots.orgs import services as org_services
from grassroots.review import services as review_services
from grassroots.review.models import Conflict, Review, Score
from tests import world as w

pytestmark = pytest.mark.django_db

D = Decimal


def scores_for(call: Call, value: object) -> dict[int, object]:
    return {c.pk: value for c in call.criteria.all()}


def test_start_review_screens_detects_conflicts_and_assigns(world: w.World) -> None:
    call = w.open_street_call(world, w.open_program(world), max_request="150000.00")
    own = w.submitted_application(world, call, agency=0)
    other = w.submitted_application(world, call, agency=1)
    greedy = w.submitted_application(world, call, agency=2, requested="150000.01")
    summary = review_services.start_review(world.street_officer, call, today=w.REVIEW_DAY)
    # experts[0] works for agency 0: its own application, and a competitor's in the same call
    assert summary == {"eligible": 2, "conflicts": 2, "reviews": 6}
    call.refresh_from_db()
    greedy.refresh_from_db()
    assert call.state == Call.State.REVIEW
    assert greedy.state == Application.State.INELIGIBLE
    assert [render_message(n) for n in greedy.eligibility_notes] == [
        "the request 150000.01 exceeds the call's largest request 150000.00"
    ]
    conflict = Conflict.objects.get(application=own)
    assert (conflict.expert, conflict.source) == (world.experts[0], Conflict.Source.DETECTED)
    assert "applying agency" in conflict.shown_reason()  # shown in the reader's language (English here)
    assert not Review.objects.filter(application=own, expert=world.experts[0]).exists()
    rival = Conflict.objects.get(application=other)
    assert rival.expert == world.experts[0] and "competes in the same call" in rival.shown_reason()
    with translation.override("zh-hans"):
        chinese = rival.shown_reason()
        assert "competes" not in chinese and chinese == rival.reason  # the key is kept in the site's language
        assert review_services.screen_conflicts([own, other], list(world.experts)) == 0  # no double in Chinese
    assert not Review.objects.filter(application=other, expert=world.experts[0]).exists()
    for application in (own, other):
        reviews = Review.objects.filter(application=application)
        assert reviews.count() == 3
        assert len({r.expert_id for r in reviews}) == 3


def test_a_pool_too_small_refuses_the_whole_review(world: w.World) -> None:
    call = w.open_street_call(world, w.open_program(world), reviewers_per_application=6)
    w.submitted_application(world, call, agency=1)
    with w.refused(RuleViolation, match="expert pool is too small"):
        review_services.start_review(world.street_officer, call, today=w.REVIEW_DAY)
    assert Call.objects.get(pk=call.pk).state == Call.State.OPEN  # closing the call was rolled back too


def test_starting_a_review_twice_is_an_illegal_transition(world: w.World) -> None:
    call = w.open_street_call(world, w.open_program(world))
    w.submitted_application(world, call, agency=1)
    review_services.start_review(world.street_officer, call, today=w.REVIEW_DAY)
    with w.refused(IllegalTransition):
        review_services.start_review(world.street_officer, call, today=w.REVIEW_DAY)


def test_memberships_and_declared_ties_are_conflicts(world: w.World) -> None:
    call = w.open_street_call(world, w.open_program(world))
    application = w.submitted_application(world, call, agency=1, communities=[world.communities[1]])
    resident_expert, street_expert, free_expert = world.experts[1], world.experts[2], world.experts[3]
    org_services.add_membership(
        world.dept_officer, person=resident_expert.person, organization=world.communities[1], role="resident"
    )
    org_services.declare_affiliation(
        world.dept_officer, expert=street_expert, organization=world.street, kind="employee"
    )
    detect = review_services.detect_conflicts
    assert detect(resident_expert, application, today=w.REVIEW_DAY) == ["resident of partner community 西园社区"]
    assert detect(street_expert, application, today=w.REVIEW_DAY) == [
        "employee of the street office S街道办事处, which oversees a partner community"
    ]
    assert detect(free_expert, application, today=w.REVIEW_DAY) == []
    assert detect(world.experts[0], application, today=w.REVIEW_DAY) == []  # works for another agency


def test_scores_are_weighted_by_the_criteria_and_kept_with_the_comment(world: w.World) -> None:
    call = w.open_street_call(world, w.open_program(world), reviewers_per_application=1)
    application = w.submitted_application(world, call, agency=1)
    review_services.start_review(world.street_officer, call, today=w.REVIEW_DAY)
    review = Review.objects.get(application=application)
    weights = {c.name: c.pk for c in call.criteria.all()}  # 40 / 30 / 30
    marks = {weights["需求契合度"]: "90", weights["方案设计"]: "80", weights["团队能力"]: "71"}
    review_services.submit_scores(world.expert_user(review.expert), review, marks, comment="方案扎实")
    review.refresh_from_db()
    assert review.state == Review.State.SUBMITTED
    assert review.total == D("81.30")  # 0.4·90 + 0.3·80 + 0.3·71
    assert review.comment == "方案扎实"
    assert review.submitted_at is not None
    assert Score.objects.filter(review=review).count() == 3


@pytest.fixture
def review(world: w.World) -> Review:
    """One review assigned on an open panel."""
    call = w.open_street_call(world, w.open_program(world), reviewers_per_application=1)
    application = w.submitted_application(world, call, agency=1)
    review_services.start_review(world.street_officer, call, today=w.REVIEW_DAY)
    return Review.objects.select_related("expert__person__user", "application__call").get(application=application)


def test_scoring_twice_is_an_illegal_transition(world: w.World, review: Review) -> None:
    expert = world.expert_user(review.expert)
    call = review.application.call
    review_services.submit_scores(expert, review, scores_for(call, "80"))
    with w.refused(IllegalTransition, match="cannot go from “Submitted” to “Submitted”"):
        review_services.submit_scores(expert, review, scores_for(call, "99"))
    assert Review.objects.get(pk=review.pk).total == D("80.00")


@pytest.mark.parametrize(
    ("value", "match"),
    [("101", "between 0 and 100"), ("-1", "between 0 and 100"), ("eighty", "must be a number")],
)
def test_a_score_outside_0_to_100_is_refused(world: w.World, review: Review, value: str, match: str) -> None:
    with w.refused(RuleViolation, match=match):
        review_services.submit_scores(
            world.expert_user(review.expert), review, scores_for(review.application.call, value)
        )


def test_every_criterion_and_only_those_are_scored(world: w.World, review: Review) -> None:
    scores = scores_for(review.application.call, "80")
    missing = dict(list(scores.items())[:-1])
    with w.refused(RuleViolation, match="Score every criterion"):
        review_services.submit_scores(world.expert_user(review.expert), review, missing)
    with w.refused(RuleViolation, match="Score every criterion"):
        review_services.submit_scores(world.expert_user(review.expert), review, {**scores, 999999: "80"})


def test_the_panel_closes_only_when_every_review_is_in(world: w.World, review: Review) -> None:
    call = review.application.call
    with w.refused(RuleViolation, match=r"1 review\(s\) are still open"):
        review_services.close_panel(world.street_officer, call)
    review_services.submit_scores(world.expert_user(review.expert), review, scores_for(call, "77"))
    ranking = review_services.close_panel(world.street_officer, call)
    assert [(a.pk, a.score, a.rank) for a in ranking] == [(review.application_id, D("77.00"), 1)]
    call.refresh_from_db()
    assert call.state == Call.State.AWARDING
    with w.refused(RuleViolation, match="not open for scoring|not under review"):
        review_services.close_panel(world.street_officer, call)


def test_a_declared_conflict_withdraws_the_review_and_another_expert_takes_over(world: w.World, review: Review) -> None:
    call = review.application.call
    first = review.expert
    review_services.declare_conflict(world.expert_user(first), review, "申报机构的理事是我的配偶")
    review.refresh_from_db()
    assert review.state == Review.State.WITHDRAWN
    assert Conflict.objects.filter(expert=first, application=review.application, source="declared").exists()
    with w.refused(RuleViolation, match="no submitted review"):
        review_services.close_panel(world.street_officer, call)
    with w.refused(RuleViolation, match="conflict of interest"):
        review_services.assign_by_hand(world.street_officer, review.application, first)
    other = next(e for e in world.experts if e.pk != first.pk and e.pk != world.experts[0].pk)
    replacement = review_services.assign_by_hand(world.street_officer, review.application, other)
    review_services.submit_scores(world.expert_user(other), replacement, scores_for(call, "66"))
    (ranked,) = review_services.close_panel(world.street_officer, call)
    assert ranked.score == D("66.00")


def test_ties_go_to_the_smaller_request(world: w.World) -> None:
    call = w.open_street_call(world, w.open_program(world), reviewers_per_application=1)
    dear = w.submitted_application(world, call, agency=1, requested="90000.00")
    cheap = w.submitted_application(world, call, agency=2, requested="60000.00")
    ranking = w.review_call(world, call, {dear.pk: "80", cheap.pk: "80"})
    assert [a.pk for a in ranking] == [cheap.pk, dear.pk]


def test_the_panel_can_trim_the_extreme_marks(world: w.World) -> None:
    call = w.open_street_call(world, w.open_program(world), reviewers_per_application=3)
    application = w.submitted_application(world, call, agency=1)
    review_services.start_review(world.street_officer, call, today=w.REVIEW_DAY)
    for review, value in zip(
        Review.objects.filter(application=application).order_by("pk"), ["40", "80", "95"], strict=True
    ):
        review_services.submit_scores(world.expert_user(review.expert), review, scores_for(call, value))
    (ranked,) = review_services.close_panel(world.street_officer, call, method="trimmed_mean")
    assert ranked.score == D("80.00")


def test_an_application_withdrawn_under_review_does_not_hold_the_panel_up(world: w.World) -> None:
    call = w.open_street_call(world, w.open_program(world), reviewers_per_application=1)
    withdrawn = w.submitted_application(world, call, agency=1)
    kept = w.submitted_application(world, call, agency=2)
    review_services.start_review(world.street_officer, call, today=w.REVIEW_DAY)
    application_services.withdraw(world.managers[1], Application.objects.get(pk=withdrawn.pk), "团队解散")
    review = Review.objects.get(application=kept)
    review_services.submit_scores(world.expert_user(review.expert), review, scores_for(call, "70"))
    assert [a.pk for a in review_services.close_panel(world.street_officer, call)] == [kept.pk]
