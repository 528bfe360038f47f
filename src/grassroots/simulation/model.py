"""The project system run on synthetic agents, one fiscal year at a time (NumPy; no Django).

Agents are arrays, never Python objects per agent: residents (their community and their propensity to
take part), communities (street, residents, needs per category, self-action capacity), agencies
(professional capacity, social workers, reserves, strategy, home street, category), and the
(community, agency) pairs (tie length, the pair's last grade). Each year runs the real mechanism —
budget and envelopes, consultation, running multi-year contracts, calls, joint applications, review with noise and the
past-performance criterion, allocation by the platform's own solver (`awards.allocation.allocate`,
called per call), contracts, delivery, evaluation with the platform's grade boundaries
(`evaluation.grading`), tranches moved by the grade, and the incentive loop — then describes the year
as the governance metrics' `YearFacts` and measures it with `governance.metrics.compute`, the same
code the analytics use. docs/simulation.md states every rule and constant.

A won project is one contract over its term (`contract_years`): its whole amount is awarded from the
call of the year the term starts, counted once as a contract of that year (the governance contract's
"contracts whose term starts in that fiscal year"), and paid over the term by the platform's tranche
schedule (`funding.schedule`). Money is counted in whole cents (int64) so that the ledgers balance
exactly: every cent budgeted is spent on capacity building, awarded, carried or returned; every cent
awarded is paid, withheld, released by a termination, or still owed; every cent of a matching-funds
pool is drawn by a contract or left.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray

from grassroots.awards import allocation
from grassroots.evaluation import grading
from grassroots.funding import schedule
from grassroots.governance import metrics

from .params import EVALUATION_WEIGHTS, STRATEGIES, Value

#: The platform's payment schedule and final-grade rule (`funding.schedule`, the programs' defaults): the
#: last tranche is scaled by the final grade.
TRANCHE_PERCENTS = tuple(int(p) for p in schedule.TRANCHE_PERCENTS)
GRADE_FACTORS = schedule.GRADE_FACTORS
GRADES = (*(g for _b, g in grading.BOUNDARIES), "fail")  # best first, as the boundaries run
GOOD = float(next(b for b, g in grading.BOUNDARIES if g == "good"))
PASS = float(next(b for b, g in grading.BOUNDARIES if g == "pass"))

WIDE, SPECIALISE, PARTNER = 0, 1, 2
PRIORITISED_PER_COMMUNITY = 2  # needs a consultation ranks as priorities each year
PERFORMANCE_YEARS = 3  # the past-performance criterion reads this many years, as the platform's review
REQUEST_STEP = 10_000  # requests are whole hundreds of yuan (in cents)
IDLE_COST = 0.3  # share of a year's wage an unfunded social worker costs before leaving or being let go
LEDGER = (
    "carried_in",
    "budget",
    "capacity_building",
    "awarded",
    "released",
    "carried_out",
    "returned",
    "owed_in",
    "paid",
    "withheld",
    "owed_out",
    "matching_pool",
    "matching_funds",
    "matching_left",
)
# columns of City.projects, one row per running contract (cents)
AGENCY, COMMUNITY, CATEGORY, STREET, YEARLY, TERM, AGE, TRANCHE = range(8)  # TRANCHE.. : the three tranches
NEVER = -(10**6)  # the year of a record that does not exist

Array = NDArray[Any]


@dataclass
class YearResult:
    """One simulated year: the facts, their metrics, the ledger (cents) and a few state figures."""

    facts: metrics.YearFacts
    metrics: dict[str, float | None]
    ledger: dict[str, int]
    state: dict[str, float]
    agents: int  # agents simulated in the year (see City.agents)
    contract_amounts: list[int] = field(default_factory=list)  # cents, per contract of the year (whole term)


def _grade_index(scores: Array) -> Array:
    """The index into GRADES of each score, by `evaluation.grading`'s boundaries (best first)."""
    index = np.full(scores.shape, len(GRADES) - 1, dtype=np.int64)
    for i, (bound, _grade) in reversed(list(enumerate(grading.BOUNDARIES))):
        index[scores >= float(bound)] = i
    return index


def _split_cents(total: int, weights: Array) -> Array:
    """`total` cents split by `weights`, largest remainder first, adding up exactly."""
    n = len(weights)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    w = np.asarray(weights, dtype=float)
    w = np.full(n, 1.0 / n) if w.sum() <= 0 else w / w.sum()
    raw = w * total
    parts = np.floor(raw).astype(np.int64)
    short = int(total - parts.sum())
    if short:
        parts[np.argsort(-(raw - parts), kind="stable")[:short]] += 1
    return parts


def _cents(value: int) -> Decimal:
    return Decimal(int(value)).scaleb(-2)


def _draw(pool: Array, owner: Array, wanted: Array) -> Array:
    """What each claim draws from its owner's pool, claims served in order while the pool lasts: never
    more than asked, and the draws of one pool never add up to more than the pool."""
    n = len(owner)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(owner, kind="stable")
    who, want = owner[order], wanted[order]
    before = np.cumsum(want) - want
    first = np.searchsorted(who, who, side="left")
    before = before - before[first]  # what earlier claims on the same pool asked for
    drawn = np.zeros(n, dtype=np.int64)
    drawn[order] = np.clip(pool[who] - before, 0, want)
    return drawn


def _due_years(term: int) -> tuple[int, ...]:
    """In which year of a `term`-year contract (0 = the first) each tranche falls due, by the platform's
    milestone dates (`funding.schedule.milestone_due_dates`)."""
    starts = date(2001, 1, 1)
    ends = date(2001 + term, 1, 1) - timedelta(days=1)  # as contracts.services: the term's last day
    return tuple(d.year - starts.year for d in schedule.milestone_due_dates(starts, ends))


class City:
    """The synthetic city and its state; `step()` runs one fiscal year."""

    def __init__(self, params: Mapping[str, Value], years: int, rng: np.random.Generator) -> None:
        self.p = params
        self.rng = rng
        self.year = 0
        P = params
        S, C, R, K = int(P["streets"]), int(P["communities"]), int(P["residents"]), int(P["categories"])
        self.S, self.C, self.R, self.K = S, C, R, K
        self.size = float(P["project_size"])
        self.wage = float(P["wage"])
        self.wpp = float(P["workers_per_project"])
        w = np.array([float(P[n]) for n in EVALUATION_WEIGHTS])
        self.weights = w / w.sum()
        s = np.array([float(P[n]) for n in STRATEGIES])
        self.strategy_mix = s / s.sum()
        self.intensity = float(P["competition_intensity"])
        self.price_weight = 0.5 * self.intensity
        self.pp_weight = float(P["past_performance_weight"])

        # communities: a street each (every street has one), residents by a lognormal size
        self.street = np.sort(np.concatenate([np.arange(S), rng.integers(0, S, C - S)]))
        spread = rng.lognormal(0.0, 0.4, C)
        sizes = rng.multinomial(R - C, spread / spread.sum()) + 1
        self.residents = sizes.astype(np.int64)
        self.resident_community = np.repeat(np.arange(C), self.residents)
        self.propensity = rng.beta(1.5, 6.0, R)
        self.base_need = rng.gamma(2.0, 1.0, (C, K))
        self.need = self.base_need.copy()
        self.capacity = rng.beta(2.0, 5.0, C)
        self.street_residents = np.bincount(self.street, weights=self.residents, minlength=S)
        members = [np.flatnonzero(self.street == s) for s in range(S)]
        width = max(len(m) for m in members)
        self.street_members = np.full((S, width), -1, dtype=np.int64)
        for street, m in enumerate(members):
            self.street_members[street, : len(m)] = m

        # agencies: room for the entrants of every year
        entrants = float(P["entrants_per_year"])
        self.room = int(P["agencies"]) + math.ceil(2 * entrants * years + 6 * math.sqrt(2 * entrants * years)) + 8
        A = self.room
        self.active = np.zeros(A, dtype=bool)
        self.prof = np.zeros(A)
        self.workers = np.zeros(A, dtype=np.int64)
        self.reserves = np.zeros(A)
        self.strategy = np.zeros(A, dtype=np.int64)
        self.speciality = np.zeros(A, dtype=np.int64)
        self.home = np.zeros(A, dtype=np.int64)
        self.losses = np.zeros(A, dtype=np.int64)
        self.last_revenue = np.zeros(A)
        self.perf_sum = np.zeros((A, years))
        self.perf_count = np.zeros((A, years))
        self.used = 0
        self._found(int(P["agencies"]), initial=True)

        # pairs and incumbents
        self.tie = np.zeros((C, A), dtype=np.int64)
        self.pair_score = np.full((C, A), np.nan)
        self.pair_year = np.full((C, A), NEVER, dtype=np.int64)  # the year of the pair's last final score
        self.incumbent = np.full((C, K), -1, dtype=np.int64)
        self.incumbent_score = np.zeros((C, K))
        self.incumbent_year = np.full((C, K), NEVER, dtype=np.int64)  # the year the incumbent was graded

        # running contracts (columns AGENCY..TRANCHE+2), the tranches' due years by term, and what they still owe
        self.projects = np.zeros((0, TRANCHE + 3), dtype=np.int64)
        self.due = np.array([(0, 0, 0), *(_due_years(term) for term in range(1, 4))], dtype=np.int64)
        self.previous_facts: metrics.YearFacts | None = None
        self.carried = np.zeros(S, dtype=np.int64)  # cents each street carries into the next year

    # -- agencies ----------------------------------------------------------------------------------

    def _found(self, n: int, initial: bool = False) -> None:
        n = min(n, self.room - self.used)
        if n <= 0:
            return
        rng = self.rng
        idx = np.arange(self.used, self.used + n)
        self.used += n
        self.active[idx] = True
        mean_workers = int(self.p["initial_workers"]) if initial else 3
        self.workers[idx] = 1 + rng.poisson(max(mean_workers - 1, 0), n)
        self.prof[idx] = rng.beta(3.0, 3.0, n) if initial else rng.beta(2.0, 4.0, n)
        self.reserves[idx] = self.workers[idx] * self.wage * 0.75
        self.strategy[idx] = rng.choice(3, size=n, p=self.strategy_mix)
        self.speciality[idx] = rng.integers(0, self.K, n)
        self.home[idx] = rng.integers(0, self.S, n)
        self.losses[idx] = 0
        self.last_revenue[idx] = 0.0

    def _owed(self, projects: Array) -> Array:
        """What each running contract has still to pay at the start of its year `AGE`: the tranches not yet
        due and the last one (always paid at the final evaluation)."""
        tranches = projects[:, TRANCHE : TRANCHE + 3]
        due = self.due[projects[:, TERM]]
        later = due[:, :2] >= projects[:, AGE, None]
        return (tranches[:, :2] * later).sum(axis=1) + tranches[:, 2]

    def keeps_partner(self, communities: Array, categories: Array, agencies: Array) -> Array:
        """With joint credit: whether each community refuses `agencies` in a category because it keeps the
        active partner whose final grade there was good or better, for `joint_credit_years` years after it."""
        inc = self.incumbent[communities, categories]
        keeps = (inc >= 0) & (inc != agencies) & (self.incumbent_score[communities, categories] >= GOOD)
        keeps &= self.active[np.maximum(inc, 0)]
        since = self.year - self.incumbent_year[communities, categories]
        return keeps & (since <= int(self.p["joint_credit_years"]))

    def _past_performance(self, agencies: Array) -> Array:
        """Mean final score of the last PERFORMANCE_YEARS years; the default where there is none."""
        t = self.year
        lo = max(0, t - PERFORMANCE_YEARS)
        total = self.perf_sum[agencies, lo:t].sum(axis=1)
        count = self.perf_count[agencies, lo:t].sum(axis=1)
        default = float(self.p["performance_default"])
        return np.where(count > 0, total / np.maximum(count, 1), default)

    # -- one fiscal year ---------------------------------------------------------------------------

    def step(self) -> YearResult:
        P, rng, t = self.p, self.rng, self.year
        S, C, K = self.S, self.C, self.K
        ledger = dict.fromkeys(LEDGER, 0)

        # 1. the department's budget: capacity building off the top, envelopes to streets by residents
        budget = round(float(P["budget"]) * (1 + float(P["budget_growth"])) ** t * 100)
        ledger["budget"] = budget
        building = int(budget * float(P["capacity_building_share"]))
        live = np.flatnonzero(self.active)
        if len(live) and building:
            training = _split_cents(building, np.ones(len(live)))
            gain = 0.5 * (training / 100) / self.size
            self.prof[live] += np.minimum(gain, 1.0) * (1 - self.prof[live])
            ledger["capacity_building"] = building
        else:
            building = 0
        envelopes = _split_cents(budget - building, self.street_residents) + self.carried
        ledger["carried_in"] = int(self.carried.sum())

        # 2. consultation: each community ranks its needs; weak consultation sees them through noise
        strength = float(P["consultation_strength"])
        observed = self.need * np.exp(rng.normal(0.0, 1.0 - strength, (C, K)))
        top = np.argsort(-observed, axis=1)[:, :PRIORITISED_PER_COMMUNITY]
        prioritised = np.zeros((C, K), dtype=bool)
        np.put_along_axis(prioritised, top, True, axis=1)
        observed_norm = observed / observed.max(axis=1, keepdims=True)

        # 3. running contracts of earlier years continue: their whole amount was awarded when their term began
        running = self.projects
        ledger["owed_in"] = int(self._owed(running).sum())

        # 4. calls: each street bundles its envelope into calls on the categories its consultation ranks
        street_of = np.eye(S, dtype=float)[self.street]
        need_score = street_of.T @ (prioritised * observed_norm)
        need_score /= np.maximum(need_score.max(axis=1, keepdims=True), 1e-12)
        mixed = strength * need_score + (1 - strength) * rng.random((S, K))
        L = int(P["calls_per_street"])
        call_cat = np.argsort(-mixed, axis=1)[:, :L].ravel()
        call_street = np.repeat(np.arange(S), L)
        call_funds = np.concatenate([_split_cents(int(envelopes[s]), np.ones(L)) for s in range(S)])
        n_calls = len(call_cat)

        # 5. joint applications: each agency picks calls by its strategy, then a consenting community
        agencies = live
        nA = len(agencies)
        allowed = np.ones((nA, n_calls), dtype=bool)
        strat = self.strategy[agencies]
        allowed[strat == SPECIALISE] = call_cat[None, :] == self.speciality[agencies[strat == SPECIALISE], None]
        allowed[strat == PARTNER] = call_street[None, :] == self.home[agencies[strat == PARTNER], None]
        keys = np.where(allowed, rng.random((nA, n_calls)), -1.0)
        ranked = np.argsort(-keys, axis=1)
        wanted = np.minimum(int(P["bids_per_agency"]), 1 + self.workers[agencies] // 2)
        take = np.arange(n_calls)[None, :] < wanted[:, None]
        take &= np.take_along_axis(keys, ranked, axis=1) >= 0
        rows, cols = np.nonzero(take)
        b_agency = agencies[rows]
        b_call = ranked[rows, cols]
        b_cat = call_cat[b_call]

        unit_cost = 1 - 0.25 * self.workers / (self.workers + 20.0)
        margin = 0.2 * (1 - self.intensity)
        pressed = (self.reserves < 0.5 * self.workers * self.wage) * 0.15 * self.intensity
        price = self.size * unit_cost[b_agency] * (1 + margin - pressed[b_agency]) * rng.lognormal(0, 0.05, len(b_call))
        term = int(P["contract_years"])  # an application asks for its whole term: the yearly price times the years
        b_request = np.maximum(np.round(price * 100 / REQUEST_STEP), 1).astype(np.int64) * REQUEST_STEP * term

        cand = self.street_members[call_street[b_call]]
        valid = cand >= 0
        safe = np.where(valid, cand, 0)
        fam = 1 - np.exp(-self.tie[safe, b_agency[:, None]] / 2.0)
        tie_weight = np.where(self.strategy[b_agency] == PARTNER, 2.0, 0.5)[:, None]
        cat = b_cat[:, None]
        utility = observed_norm[safe, cat] + 0.5 * prioritised[safe, cat] + tie_weight * fam
        utility = utility + rng.gumbel(0.0, 0.3, utility.shape)
        if P["joint_credit"]:
            valid &= ~self.keeps_partner(safe, cat, b_agency[:, None])
        if P["needs_alignment_required"]:
            valid &= prioritised[safe, cat]
        ratio = float(P["matching_ratio"])
        community_pool = np.zeros(C, dtype=np.int64)  # what each community can raise this year (cents)
        if ratio > 0:
            raise_cap = float(P["charity_per_resident"]) * self.residents * (0.3 + self.capacity) * 100
            community_pool = np.floor(raise_cap).astype(np.int64)
            valid &= community_pool[safe] >= np.round(ratio * b_request[:, None])
        utility = np.where(valid, utility, -np.inf)
        pick = np.argmax(utility, axis=1)
        submitted = valid[np.arange(len(pick)), pick]
        b_agency, b_call, b_cat, b_request = (
            b_agency[submitted],
            b_call[submitted],
            b_cat[submitted],
            b_request[submitted],
        )
        b_comm = cand[submitted, pick[submitted]]
        nb = len(b_agency)

        # 6. review: merit through a noisy panel, price against the call's lowest request, past performance
        fam_b = 1 - np.exp(-self.tie[b_comm, b_agency] / 2.0)
        merit = (
            50
            + 30 * self.prof[b_agency]
            + 10 * fam_b
            + 5 * prioritised[b_comm, b_cat]
            + 5 * observed_norm[b_comm, b_cat]
            + rng.normal(0, float(P["review_noise"]), nb)
        )
        lowest = np.full(n_calls, np.iinfo(np.int64).max)
        np.minimum.at(lowest, b_call, b_request)
        price_score = 100 * lowest[b_call] / b_request
        past = self._past_performance(b_agency)
        if P["joint_credit"]:  # the pair's own record, read over the same years as the agency's
            pair = self.pair_score[b_comm, b_agency]
            recent = t - self.pair_year[b_comm, b_agency] <= PERFORMANCE_YEARS
            past = np.where(recent & ~np.isnan(pair), pair, past)
        quality_weight = 1 - self.price_weight - self.pp_weight
        score = quality_weight * merit + self.price_weight * price_score + self.pp_weight * past
        score_cents = np.round(np.clip(score, 0, 100) * 100).astype(np.int64)

        # 7. awards: the platform's allocation, call by call
        funded = np.zeros(nb, dtype=bool)
        rule = str(P["allocation_rule"])
        min_score = Decimal(str(P["min_score"]))
        per_agency = int(P["max_awards_per_agency"]) or None
        by_call = np.argsort(b_call, kind="stable")
        bounds = np.searchsorted(b_call[by_call], np.arange(n_calls + 1))
        eligible_per_call = np.diff(bounds)
        left = np.zeros(n_calls, dtype=np.int64)
        award_order: list[int] = []  # funded bids, call by call in the allocation's order
        for j in range(n_calls):
            members = by_call[bounds[j] : bounds[j + 1]]
            bids = [
                allocation.Bid(
                    str(i),
                    _cents(b_request[i]),
                    _cents(score_cents[i]),
                    str(b_agency[i]),
                    str(b_comm[i]),
                    str(b_cat[i]),
                )
                for i in members
            ]
            result = allocation.allocate(rule, bids, _cents(call_funds[j]), min_score, per_agency)
            won = np.array([int(i) for i in result.funded], dtype=np.int64)
            funded[won] = True
            award_order.extend(int(i) for i in won)
            left[j] = int(call_funds[j]) - int(b_request[won].sum())
        # what no call awarded goes back to the street (carried over or returned at the end of the year)
        unspent = np.bincount(call_street, weights=left, minlength=S).astype(np.int64)

        # 8. contracts of the year: one per award, over the whole term, its amount split into the platform's
        # tranches; matching funds drawn from the street's and the community's pools of the year
        won = np.array(award_order, dtype=np.int64)
        amount = b_request[won]
        tranches = amount[:, None] * np.array(TRANCHE_PERCENTS[:-1], dtype=np.int64) // 100
        tranches = np.column_stack([tranches, amount - tranches.sum(axis=1)])
        new = (
            np.column_stack(
                [
                    b_agency[won],
                    b_comm[won],
                    b_cat[won],
                    call_street[b_call[won]],
                    amount // term,
                    np.full(len(won), term),
                    np.zeros(len(won)),
                    tranches,
                ]
            )
            .astype(np.int64)
            .reshape(-1, TRANCHE + 3)
        )
        ledger["awarded"] = int(amount.sum())
        street_share = float(P["street_matching"])
        street_pool = np.floor(street_share * envelopes).astype(np.int64)
        from_street = _draw(street_pool, new[:, STREET], np.round(street_share * amount).astype(np.int64))
        from_community = _draw(community_pool, new[:, COMMUNITY], np.round(ratio * amount).astype(np.int64))
        new_matching = from_street + from_community
        ledger["matching_pool"] = int(street_pool.sum() + community_pool.sum())
        ledger["matching_funds"] = int(new_matching.sum())
        ledger["matching_left"] = ledger["matching_pool"] - ledger["matching_funds"]

        # the contracts delivering this year: the running ones and the new
        year_projects = np.vstack([running, new])
        k_agency, k_comm, k_cat = year_projects[:, AGENCY], year_projects[:, COMMUNITY], year_projects[:, CATEGORY]
        k_amount = year_projects[:, YEARLY]  # a year of service
        k_age, k_term = year_projects[:, AGE], year_projects[:, TERM]
        nk = len(k_amount)

        # 9. delivery: outputs need staff and money; outcomes need ties, capacity and real needs
        funds_of = np.bincount(k_agency, weights=k_amount / 100, minlength=self.room)
        needed = funds_of / self.size * self.wpp
        staffing = np.minimum(1.0, self.workers / np.maximum(needed, 1e-9))
        adequacy = np.minimum(1.0, (k_amount / 100) / (self.size * unit_cost[k_agency]))
        fam_k = 1 - np.exp(-self.tie[k_comm, k_agency] / 2.0)
        true_need = self.need[k_comm, k_cat] / self.need[k_comm].max(axis=1)
        cap_k = self.capacity[k_comm]
        outputs = np.clip(
            0.45 + 0.35 * self.prof[k_agency] + 0.2 * staffing[k_agency] - 0.6 * (1 - adequacy)
            + rng.normal(0, 0.07, nk), 0, 1
        )  # fmt: skip
        outcomes = np.clip(
            0.1 + 0.25 * self.prof[k_agency] + 0.3 * fam_k + 0.15 * cap_k + 0.2 * true_need - 0.6 * (1 - adequacy)
            + rng.normal(0, 0.08, nk), 0, 1
        )  # fmt: skip
        satisfaction = np.clip(0.3 + 0.3 * true_need + 0.25 * outcomes + 0.15 * cap_k + rng.normal(0, 0.08, nk), 0, 1)

        # residents take part where services run, more where the community organises itself
        slots = np.bincount(k_comm, weights=(k_amount / 100) / 100 * (0.5 + 0.5 * outcomes), minlength=C)
        rc = self.resident_community
        weight = self.propensity / self.propensity.mean()
        lam = (slots / self.residents)[rc] * weight * (0.5 + self.capacity[rc])
        taken = rng.poisson(lam)
        participations = int(taken.sum())
        hours = np.where(taken >= 2, 2.0 * taken * self.capacity[rc], 0.0)
        volunteer_hours = float(hours.sum())
        self.propensity += 0.02 * (taken > 0) * (1 - self.propensity) - 0.01 * self.propensity
        per_community = np.bincount(rc, weights=taken, minlength=C) / self.residents

        # needs met by outcomes fall; all needs drift back towards their base level with shocks
        relief = np.zeros((C, K))
        np.add.at(relief, (k_comm, k_cat), 0.5 * outcomes * (k_amount / 100) / self.size)
        self.need *= np.exp(-relief)
        self.need += 0.25 * (self.base_need - self.need) + rng.normal(0, 0.1, (C, K)) * self.base_need
        self.need = np.maximum(self.need, 0.05)
        # self-action capacity grows with participation, more so with lasting partners
        fam_c = np.bincount(k_comm, weights=fam_k, minlength=C) / np.maximum(np.bincount(k_comm, minlength=C), 1)
        growth = 0.1 * np.minimum(per_community, 1.0) * (0.5 + fam_c) + 0.02 * strength
        self.capacity = np.clip(self.capacity + growth * (1 - self.capacity) - 0.05 * self.capacity, 0, 1)

        # 10. evaluation on the program's weights, every year of the term. A contract ends with its final
        # evaluation: at the end of its term, or earlier when a year's evaluation fails (termination with
        # settlement). Tranches due in this year of the term are paid; the last one at the final evaluation,
        # scaled by its grade; a terminated contract's tranches not yet due are released to its street.
        raw = 100 * (self.weights[0] * outputs + self.weights[1] * outcomes + self.weights[2] * satisfaction)
        raw += rng.normal(0, float(P["evaluation_noise"]), nk)
        score = np.round(np.clip(raw, 0, 100), 2)
        ends = (k_age == k_term - 1) | (score < PASS)
        grade = _grade_index(score)
        factors = np.array([round(float(GRADE_FACTORS[g]) * 100) for g in GRADES], dtype=np.int64)
        k_tranches = year_projects[:, TRANCHE : TRANCHE + 3]
        due = self.due[k_term]
        last = k_tranches[:, 2]
        last_paid = np.where(ends, (last * factors[grade] + 50) // 100, 0)
        paid = (k_tranches[:, :2] * (due[:, :2] == k_age[:, None])).sum(axis=1) + last_paid
        withheld = np.where(ends, last - last_paid, 0)
        released = (k_tranches[:, :2] * ((due[:, :2] > k_age[:, None]) & ends[:, None])).sum(axis=1)
        ledger["paid"] = int(paid.sum())
        ledger["withheld"] = int(withheld.sum())
        k_street = year_projects[:, STREET]
        unspent += np.bincount(k_street, weights=released, minlength=S).astype(np.int64)
        final = score[ends]  # the final evaluations of the year

        # 11. the incentive loop: final evaluations become records for the next reviews, the pair's record and
        # the community's incumbent; ties grow with every year a pair holds a running contract
        f_agency, f_comm, f_cat = k_agency[ends], k_comm[ends], k_cat[ends]
        np.add.at(self.perf_sum[:, t], f_agency, final)
        np.add.at(self.perf_count[:, t], f_agency, 1)
        self.pair_score[f_comm, f_agency] = final
        self.pair_year[f_comm, f_agency] = t
        self.incumbent[f_comm, f_cat] = f_agency
        self.incumbent_score[f_comm, f_cat] = final
        self.incumbent_year[f_comm, f_cat] = t
        had = np.zeros((C, self.room), dtype=bool)
        had[k_comm, k_agency] = True
        self.tie = np.where(had, self.tie + 1, 0)
        continuing = year_projects[~ends].copy()
        continuing[:, AGE] += 1
        self.projects = continuing

        # 12. agencies: revenue against the cost of delivery and of idle staff; social workers stay or leave
        # with funding stability; unfunded teams shrink; agencies that lose too long or go broke close
        revenue = np.bincount(k_agency, weights=paid / 100, minlength=self.room)
        cost = np.bincount(k_agency, weights=self.size * unit_cost[k_agency], minlength=self.room)
        live = np.flatnonzero(self.active)
        target = np.ceil(funds_of[live] / self.size * self.wpp).astype(np.int64)
        idle = np.maximum(self.workers[live] - target, 0)
        self.reserves[live] += revenue[live] - cost[live] - IDLE_COST * idle * self.wage
        previous = self.last_revenue[live]
        instability = np.abs(revenue[live] - previous) / np.maximum(np.maximum(revenue[live], previous), self.wage)
        leaving = rng.binomial(self.workers[live], np.clip(0.06 + 0.3 * instability, 0, 1))
        leave_share = leaving / np.maximum(self.workers[live], 1)
        worked = funds_of[live] > 0
        prof = self.prof[live]
        prof = prof + 0.05 * worked * (1 - prof) - 0.5 * leave_share * np.maximum(prof - 0.25, 0)
        self.prof[live] = np.clip(prof, 0.05, 1.0)
        staff = self.workers[live] - leaving
        shrunk = np.where(staff > target, staff - (staff - target + 1) // 2, staff)
        self.workers[live] = np.maximum(shrunk, target)
        self.last_revenue[live] = revenue[live]
        awarded_to = np.bincount(k_agency, minlength=self.room)[live] > 0
        has_project = np.zeros(self.room, dtype=bool)
        has_project[self.projects[:, AGENCY]] = True
        self.losses[live] = np.where(awarded_to | has_project[live], 0, self.losses[live] + 1)
        closes = (self.reserves[live] < 0) | (self.losses[live] >= int(P["exit_after_losses"]))
        closes |= self.workers[live] == 0
        self.active[live[closes]] = False
        # a closed agency's contracts end: what they still owe is released to their streets
        gone = ~self.active[self.projects[:, AGENCY]]
        dropped = self.projects[gone]
        released = np.concatenate([released, self._owed(dropped)])
        unspent += np.bincount(dropped[:, STREET], weights=self._owed(dropped), minlength=S).astype(np.int64)
        self.projects = self.projects[~gone]
        ledger["released"] = int(released.sum())
        ledger["owed_out"] = int(self._owed(self.projects).sum())
        # what no call awarded and what terminations released is carried to the street's next year, or returned
        if P["carry_over"]:
            self.carried = unspent
            ledger["carried_out"] = int(unspent.sum())
        else:
            self.carried = np.zeros(S, dtype=np.int64)
            ledger["returned"] = int(unspent.sum())

        bids_of = np.bincount(self.strategy[b_agency], minlength=3)
        wins_of = np.bincount(self.strategy[b_agency[funded]], minlength=3)
        rates = np.where(bids_of > 0, wins_of / np.maximum(bids_of, 1), -1.0)
        losers = live[(~awarded_to) & ~closes]
        switch = losers[rng.random(len(losers)) < float(P["strategy_adaptation"])]
        if len(switch) and rates.max() >= 0:
            self.strategy[switch] = int(np.argmax(rates))
        success = float(funded.sum()) / nb if nb else 0.5
        self._found(int(rng.poisson(float(P["entrants_per_year"]) * 2 * success)))

        # 13. the year as the governance metrics see it: the contracts of the year are those whose term starts
        # in it, each counted once with its whole amount; the final scores those of the year's final evaluations
        n_new = len(new)
        active_ids = np.union1d(np.unique(b_agency), np.unique(new[:, AGENCY]))
        facts = metrics.YearFacts(
            year=t + 1,
            communities=tuple(range(C)),
            residents=self.R,
            active_agencies=tuple(int(a) for a in active_ids),
            eligible_per_closed_call=tuple(int(n) for n in eligible_per_call),
            eligible_applications=nb,
            awarded_applications=int(funded.sum()),
            contracts=tuple(
                metrics.ContractFact(
                    agency=int(new[i, AGENCY]),
                    communities=(int(new[i, COMMUNITY]),),
                    category=int(new[i, CATEGORY]),
                    amount=_cents(amount[i]),
                    matching_funds=_cents(new_matching[i]),
                    addresses_prioritised_need=bool(prioritised[new[i, COMMUNITY], new[i, CATEGORY]]),
                )
                for i in range(n_new)
            ),
            volunteer_hours=volunteer_hours,
            resident_participations=participations,
            final_scores=tuple(float(s) for s in final),
        )
        values = metrics.compute(facts, self.previous_facts)
        self.previous_facts = facts
        self.year += 1
        active_now = np.flatnonzero(self.active)
        state = {
            "active_agencies": float(len(active_now)),
            "social_workers": float(self.workers[active_now].sum()),
            "mean_capacity": float(self.capacity.mean()),
            "mean_professional_capacity": float(self.prof[active_now].mean()) if len(active_now) else 0.0,
            "running": float(len(running)),  # contracts of earlier years still running this year
            "share_wide": float(np.mean(self.strategy[active_now] == WIDE)) if len(active_now) else 0.0,
            "share_specialise": float(np.mean(self.strategy[active_now] == SPECIALISE)) if len(active_now) else 0.0,
            "share_partner": float(np.mean(self.strategy[active_now] == PARTNER)) if len(active_now) else 0.0,
        }
        return YearResult(facts, values, ledger, state, self.agents(), [int(a) for a in amount])

    def agents(self) -> int:
        """Agents simulated this year: residents, communities, streets, the department, active agencies
        and their social workers."""
        live = self.active
        return self.R + self.C + self.S + 1 + int(live.sum()) + int(self.workers[live].sum())


def simulate(params: Mapping[str, Value], years: int, seed: int | np.random.SeedSequence) -> list[YearResult]:
    """Run `years` years of a validated parameter set from one seed; the same seed gives the same years."""
    rng = np.random.default_rng(seed)
    city = City(params, years, rng)
    return [city.step() for _ in range(years)]
