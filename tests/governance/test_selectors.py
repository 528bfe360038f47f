"""The selector on the hand-made history of `conftest.py`: each fact and metric worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from grassroots.applications.models import Application, FundSource, MatchingFund
from grassroots.awards.models import Award, AwardList
from grassroots.contracts.models import Contract
from grassroots.contracts.selectors import signed
from grassroots.core.errors import RuleViolation
from grassroots.funding.models import Call, Program
from grassroots.governance import selectors
from grassroots.governance.metrics import ContractFact, YearFacts
from grassroots.orgs.models import Organization

pytestmark = pytest.mark.django_db


def org(pk: int) -> Organization:
    return Organization.objects.get(pk=pk)


def test_the_streets_two_years_of_facts(history, world, django_assert_max_num_queries):
    c0, c1, _c2 = history.communities
    a0, a1, a2 = history.agencies
    cat = history.categories
    street = org(history.street)
    with django_assert_max_num_queries(9):  # a fixed number of aggregating queries per year, whatever the rows
        found = selectors.facts(street, [2025, 2024])
    assert found[2024] == YearFacts(
        year=2024,
        communities=(c0, c1),
        residents=9000,  # 4,000 + 5,000
        # A1, A2 and A3 were submitted to K1 (A3 ineligible, but submitted)
        active_agencies=(a0, a1, a2),
        # K1: A1 awarded + A2 not awarded; A3 ineligible
        eligible_per_closed_call=(2,),
        eligible_applications=2,
        awarded_applications=1,
        contracts=(ContractFact(a0, (c0,), cat["elderly"], Decimal("100000.00"), Decimal("10000.00"), True),),
        volunteer_hours=15.5,  # k1's records of 2024: 10 + 5.5
        resident_participations=24,  # 20 + 4
        final_scores=(),  # k1's mid-term does not count
    )
    assert found[2025] == YearFacts(
        year=2025,
        communities=(c0, c1),
        residents=9000,
        # B1–B4, C1, C2, E1 to S's calls, F1 and G1 partnering c1 / c0 on the department's call
        active_agencies=(a0, a1, a2),
        # K2 (B1, B2, B3; B4 withdrawn) and K3 (C1, C2) in closing order; K5 was cancelled, K6 is the department's
        eligible_per_closed_call=(3, 2),
        # only K2 is decided: 3 eligible, B1 and B2 awarded
        eligible_applications=3,
        awarded_applications=2,
        contracts=(
            # k2: answers n1, which was consulted but not prioritised
            ContractFact(a0, (c0, c1), cat["elderly"], Decimal("200000.00"), Decimal("0.00"), False),
            # k3: matching is the community's 20,000 (the agency's own 5,000 is not matching)
            ContractFact(a1, (c1,), cat["youth"], Decimal("100000.00"), Decimal("20000.00"), True),
            # k5: the need it answers is c0's, not its partner c1's; k4 is T's, k6 a draft
            ContractFact(a2, (c1,), cat["youth"], Decimal("60000.00"), Decimal("0.00"), False),
        ),
        volunteer_hours=10.0,  # k1's 2 (held in 2025) + k2's 8; k4 is T's, k6 a draft
        resident_participations=13,  # 3 + 10
        # k1 final 85 (2025-03-20), k5 final 55; k3's is not accepted, k4's is T's
        final_scores=(85.0, 55.0),
    )


def test_the_streets_metrics(history):
    got = selectors.metrics_for(org(history.street), 2024, 2025)
    assert got[2025] == {
        # (3 + 2) / 2
        "applications_per_call": 2.5,
        # 2 of 3
        "success_rate": 0.666666666667,
        # a0 200,000, a1 100,000, a2 60,000 of 360,000: (5/9)² + (5/18)² + (1/6)² = 134/324
        "award_hhi": 0.413580246914,
        # c0 100,000 (half of k2), c1 100,000 + 100,000 + 60,000 = 260,000: (260 − 100) / (2 · 360)
        "community_gini": 0.222222222222,
        # (c0,a0), (c1,a0), (c1,a1), (c1,a2) of 2 × 3
        "linkage_density": 0.666666666667,
        # of the four, only (c0, a0) held k1 in 2024
        "tie_persistence": 0.25,
        # a0 serves c0 and c1, a1 and a2 serve c1: 4 / 3
        "agency_embeddedness": 1.33333333333,
        # 2024's k1 (c0, elderly) is contracted again by k2
        "project_continuation": 1.0,
        # 20,000 / (360,000 + 20,000) = 1/19
        "cofunding_share": 0.0526315789474,
        # 10 h × 1000 / 9000
        "volunteer_hours_per_1000": 1.11111111111,
        # 13 × 1000 / 9000
        "resident_participation_per_1000": 1.44444444444,
        # only k3
        "needs_alignment": 0.333333333333,
        # (85 + 55) / 2
        "mean_final_score": 70.0,
        # 55 fails
        "fail_rate": 0.5,
    }
    first = got[2024]
    assert first["tie_persistence"] is None  # nothing in 2023
    assert first["project_continuation"] is None
    assert first["success_rate"] == 0.5
    assert first["mean_final_score"] is None


def test_the_department_counts_every_street_and_its_own_calls(history):
    department = selectors.facts(org(history.department), [2025])[2025]
    assert department.communities == tuple(history.communities)
    assert department.residents == 15000
    # closing order: K2 (3) and K4 (1) on 28 February, K6 (F1, G1) on 15 March, K3 (2) on 30 September
    assert department.eligible_per_closed_call == (3, 1, 2, 2)
    assert (department.eligible_applications, department.awarded_applications) == (6, 5)  # K2, K4, K6 decided
    amounts = [c.amount for c in department.contracts]  # k2, k3, k4 (1 April), k5 (1 May)
    assert amounts == [Decimal(a) for a in ("200000.00", "100000.00", "50000.00", "60000.00")]
    assert department.volunteer_hours == 110.0  # 2 + 8 + T's 100
    assert department.resident_participations == 113
    assert sorted(department.final_scores) == [55.0, 85.0, 92.0]
    got = selectors.metrics_for(org(history.department), 2025)[2025]
    # a0 200,000, a1 100,000, a2 50,000 + 60,000 of 410,000
    assert got["award_hhi"] == pytest.approx((20**2 + 10**2 + 11**2) / 41**2, rel=1e-11)
    assert got["applications_per_call"] == 2.0
    assert got["success_rate"] == 0.833333333333


def test_the_other_street_sees_only_its_own(history):
    t = selectors.facts(org(history.other_street), [2025])[2025]
    assert t.communities == (history.communities[2],)
    assert t.eligible_per_closed_call == (1,)
    assert [c.agency for c in t.contracts] == [history.agencies[2]]
    assert (t.volunteer_hours, t.resident_participations, t.final_scores) == (100.0, 100, (92.0,))


def test_years_with_data_and_a_year_without(history):
    street = org(history.street)
    assert selectors.years_with_data(street) == (2024, 2025)
    empty = selectors.metrics_for(street, 2030)[2030]
    assert empty["award_hhi"] is None
    assert empty["linkage_density"] is None  # no agency was active
    assert empty["volunteer_hours_per_1000"] == 0.0  # residents, and no hours


def test_only_streets_and_departments_have_figures(history):
    with pytest.raises(RuleViolation, match="streets and departments"):
        selectors.facts(org(history.communities[0]), [2025])
    with pytest.raises(RuleViolation, match="first year"):
        selectors.series(org(history.street), 2025, 2024)


# ---- added rows on top of the history (each test's transaction rolls them back) ----------------------------


def _call(ref: str, issuer: int, closes: date, state: str, funds: str = "500000", matching: str = "0") -> Call:
    return Call.objects.create(
        program=Program.objects.get(title=f"P{closes.year}"),
        issuer_id=issuer,
        reference=ref,
        title=ref,
        funds=Decimal(funds),
        matching_funds=Decimal(matching),
        max_request=Decimal("300000"),
        opens_on=date(closes.year, 1, 1),
        closes_on=closes,
        state=state,
    )


def _application(ref: str, call: Call, agency: int, community: int, category: int, state: str) -> Application:
    app = Application.objects.create(
        call=call,
        lead_agency_id=agency,
        reference=ref,
        title=ref,
        category_id=category,
        requested=Decimal("100000"),
        state=state,
        submitted_at=datetime(call.closes_on.year, call.closes_on.month, 1, 10, tzinfo=UTC),
    )
    app.communities.set([community])
    return app


def _contract(
    app: Application, amount: str, starts: date, state: str, signed_on: date | None = None, matching: str = "0"
) -> Contract:
    award_list = AwardList.objects.create(call=app.call, state=AwardList.State.DECIDED, total=Decimal(amount))
    award = Award.objects.create(
        award_list=award_list, application=app, amount=Decimal(amount), state=Award.State.CONFIRMED
    )
    made = Contract.objects.create(
        award=award,
        number=f"x-{app.reference}",
        title=app.reference,
        purchaser=app.call.issuer,
        agency=app.lead_agency,
        category=app.category,
        amount=Decimal(amount),
        matching_funds=Decimal(matching),
        starts_on=starts,
        ends_on=date(starts.year + 1, starts.month, 1),
        state=state,
        signed_on=signed_on,
    )
    made.communities.set(app.communities.all())
    return made


def test_a_call_counts_its_applications_only_once_they_are_screened(history):
    a0, a1, _a2 = history.agencies
    c0, c1, _c2 = history.communities
    youth = history.categories["youth"]
    # K7 went under review without its eligibility screening (e.g. imported): one application still waits
    k7 = _call("K7", history.street, date(2025, 10, 15), Call.State.REVIEW)
    _application("H1", k7, a0, c0, youth, Application.State.ELIGIBLE)
    _application("H2", k7, a1, c1, youth, Application.State.SUBMITTED)
    # K8 is past its closing date but still open, and K9 only a draft: neither is closed
    for ref, state in (("K8", Call.State.OPEN), ("K9", Call.State.DRAFT)):
        _application(
            f"{ref}-1", _call(ref, history.street, date(2025, 6, 30), state), a0, c0, youth, Application.State.SUBMITTED
        )
    # K10 is screened; its draft was never submitted and does not count
    k10 = _call("K10", history.street, date(2025, 11, 30), Call.State.REVIEW)
    _application("J1", k10, a1, c0, youth, Application.State.ELIGIBLE)
    _application("J2", k10, a0, c1, youth, Application.State.DRAFT)
    found = selectors.year_facts(org(history.street), 2025)
    # K2 (3), K3 (2) and K10 (1); K7 is left out until screened (it read 1 before), K8 and K9 are not closed
    assert found.eligible_per_closed_call == (3, 2, 1)
    assert (found.eligible_applications, found.awarded_applications) == (3, 2)  # K2 alone is decided


def test_only_signed_contracts_are_contracts_of_the_year(history):
    a0, a1, _a2 = history.agencies
    c0, c1, _c2 = history.communities
    youth = history.categories["youth"]
    k5_call = Call.objects.get(reference="K5")
    never = _application("N1", k5_call, a0, c0, youth, Application.State.AWARDED)
    _contract(never, "70000", date(2025, 7, 1), Contract.State.TERMINATED)  # cancelled before the agency signed
    broken = _application("N2", k5_call, a1, c1, youth, Application.State.AWARDED)
    kept = _contract(broken, "30000", date(2025, 7, 1), Contract.State.TERMINATED, signed_on=date(2025, 6, 20))
    street = org(history.street)
    amounts = [c.amount for c in selectors.year_facts(street, 2025).contracts]
    # k2, k3 (1 April), k5 (1 May), then the one terminated after signing; not the draft k6 nor the unsigned one
    assert amounts == [Decimal(a) for a in ("200000.00", "100000.00", "60000.00", "30000.00")]
    c0_history = {h.year: h for h in selectors.history_of(org(c0))}
    assert c0_history[2025].contracts == 1  # k2 only
    a1_history = {h.year: h for h in selectors.history_of(org(a1))}
    assert a1_history[2025].contracts == 2 and a1_history[2025].amount == Decimal("130000.00")  # k3 and the kept one
    assert kept.pk in set(signed().values_list("pk", flat=True))


def test_street_matching_funds_pooled_in_a_call_are_shared_by_its_contracts(history):
    a0, _a1, _a2 = history.agencies
    c0, _c1, _c2 = history.communities
    youth = history.categories["youth"]
    # a budget of 300,000 programme funds + 100,000 street money: a quarter of each yuan awarded is the street's
    k11 = _call("K11", history.street, date(2025, 3, 10), Call.State.DECIDED, funds="300000", matching="100000")
    app = _application("M1", k11, a0, c0, youth, Application.State.AWARDED)
    MatchingFund.objects.create(application=app, source=FundSource.COMMUNITY, amount=Decimal("10000"))
    _contract(app, "200000", date(2025, 4, 15), Contract.State.ACTIVE, signed_on=date(2025, 4, 10), matching="10000")
    street = org(history.street)
    found = selectors.year_facts(street, 2025)
    pooled = {c.amount: c.pooled_matching for c in found.contracts}
    assert pooled[Decimal("200000.00")] == Decimal("50000.00")
    assert set(pooled.values()) == {Decimal("50000.00"), Decimal("0.00")}  # the other calls pooled nothing
    got = selectors.metrics_for(street, 2025)[2025]
    # matching: k3's 20,000 + 10,000 beside M1's amount + its pooled 50,000; budget: amounts 560,000 + 30,000
    assert got["cofunding_share"] == pytest.approx(80000 / 590000, rel=1e-11)
    row = selectors.dashboard(street, 2025, 2025, 2025).rows[0]
    assert (row.amount, row.matching) == (Decimal("560000.00"), Decimal("80000.00"))


def test_pooled_matching_is_the_streets_share_of_the_budget():
    assert selectors.pooled_matching(Decimal("200000"), Decimal("300000"), Decimal("100000")) == Decimal("50000.00")
    assert selectors.pooled_matching(Decimal("100"), Decimal("0"), Decimal("0")) == Decimal("0.00")
    assert selectors.pooled_matching(Decimal("100"), Decimal("0"), Decimal("100")) == Decimal("100.00")
    # 1/3 of 100.00, to the cent
    assert selectors.pooled_matching(Decimal("100"), Decimal("200"), Decimal("100")) == Decimal("33.33")


def test_ties_of_a_year_after_an_empty_year_persist_at_zero_and_before_the_first_year_are_unknown(history):
    """The other street's data begin in 2025: its 2025 tie persistence is null (2024 was not observed). A
    contract starting in 2027 after an empty 2026 carried no tie over: 0, not null."""
    street = org(history.other_street)
    assert selectors.metrics_for(street, 2025)[2025]["tie_persistence"] is None
    k4 = Contract.objects.get(pk=history.contracts["k4"])
    award_list = AwardList.objects.create(call=k4.award.award_list.call, state=AwardList.State.DECIDED, total=1)
    award = Award.objects.create(
        award_list=award_list, application=k4.award.application, amount=Decimal(1), state=Award.State.CONFIRMED
    )
    later = Contract.objects.create(
        award=award,
        number="k4-2027",
        title="k4-2027",
        purchaser=k4.purchaser,
        agency=k4.agency,
        category=k4.category,
        amount=Decimal(1),
        matching_funds=Decimal(0),
        starts_on=date(2027, 4, 1),
        ends_on=date(2028, 4, 1),
        state=Contract.State.ACTIVE,
    )
    later.communities.set(k4.communities.all())
    got = selectors.metrics_for(street, 2026, 2027)
    assert got[2026]["tie_persistence"] is None  # no pairs in 2026: no denominator
    assert got[2027]["tie_persistence"] == 0.0  # the pair held nothing in 2026


def test_a_need_of_a_partner_outside_the_street_does_not_align_the_streets_contract(history):
    """k2 (S Street, c0 and c1) answers no prioritised need of c0 or c1; had it a partner in the other street
    whose prioritised need it answers, it would be aligned there, not in S Street."""
    from grassroots.funding.models import ServiceCategory
    from grassroots.needs.models import Need

    k2 = Contract.objects.get(pk=history.contracts["k2"])
    outside = Organization.objects.get(pk=history.communities[2])
    assert outside.parent_id == history.other_street
    k2.communities.add(outside)
    need = Need.objects.create(
        community=outside,
        title="outside need",
        category=ServiceCategory.objects.get(pk=history.categories["elderly"]),
        raised_on=date(2023, 11, 1),
        state=Need.State.PRIORITISED,
        priority=1,
    )
    need.applications.add(k2.award.application)
    street = selectors.facts(org(history.street), [2025])[2025]
    [fact] = [f for f in street.contracts if f.amount == Decimal("200000.00")]
    assert fact.addresses_prioritised_need is False
    other = selectors.facts(org(history.other_street), [2025])[2025]
    [there] = [f for f in other.contracts if f.amount == Decimal("200000.00")]
    assert there.addresses_prioritised_need is True
