"""Building OCDS 1.1.5 releases, records and packages from plain data (no Django).

One call is one contracting process (one ocid). Releases are immutable: each has a stable id
`<ocid>-<stage>`, is dated when its state change happened (a model's date, or the audit log's moment of it),
never when it was exported, and says what changed at that moment only, so that every later export
repeats it unchanged and a new stage adds a new release:

- `planning`: the program and envelope the call draws on (`planning.budget`: the program's funds reserved
  for the call; the budget's project is the program);
- `tender`: the call (value = program funds plus the street's matching funds, period, method, criteria);
  `tenderCancellation` when it was cancelled;
- `tenderUpdate` once the call's first award list is publicised (no competitor sees another's application
  before the awards): the joint applications as bids (bids extension), each with the lead agency and its
  partner communities as tenderers, and summary statistics (codes of the extension's codelist);
- `award` when an award list's publicity begins (with the panel's aggregate score and the rank of each
  award: never a reviewer or a reviewer's own marks), `awardUpdate` when it is decided (or
  `awardCancellation` when it is withdrawn);
- `contract` when a contract is signed (a draft is not public), with the terms as signed, and a
  `contractAmendment` for each approved change of them (an extension), dated when it was approved, with the
  terms after it and an `amendments` entry linking the releases before and after it;
- `implementation` for each payment made (a transaction; payer: the department, payee: the agency) and
  each milestone accepted; `contractTermination` once the contract is completed or terminated.

Parties are identified by the unified social credit code under the org-id.guide scheme `CN-USCI`; amounts
are in CNY; dates carry the time zone. Nothing personal is published: no residents, beneficiaries,
survey answers, team members or reviewers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from .merge import compile_releases
from .schemas import EXTENSIONS, VERSION

SCHEME = "CN-USCI"
CURRENCY = "CNY"
CATEGORY_SCHEME = "X-GRASSROOTS-CATALOGUE"
ROLE_ORDER = ("buyer", "procuringEntity", "funder", "payer", "tenderer", "supplier", "payee")


@dataclass(frozen=True)
class Org:
    uscc: str
    name: str
    address: str = ""

    @property
    def party_id(self) -> str:
        return f"{SCHEME}-{self.uscc}"


@dataclass(frozen=True)
class Bid:
    id: str
    status: str  # the application's state
    lead: Org
    partners: tuple[Org, ...]
    requested: Decimal
    submitted_at: datetime | None


@dataclass(frozen=True)
class Award:
    id: str
    bid_id: str
    title: str
    amount: Decimal
    state: str  # proposed / confirmed / revoked
    supplier: Org
    category: tuple[str, str]  # code, name
    score: Decimal | None = None  # the panel's aggregate
    rank: int | None = None


@dataclass(frozen=True)
class AwardList:
    key: str
    state: str
    publicity_from: date | None
    publicity_until: date | None
    decided_on: date | None
    awards: tuple[Award, ...]
    withdrawn_at: datetime | None = None


@dataclass(frozen=True)
class Milestone:
    kind: str
    title: str
    due_on: date
    accepted_on: date | None


@dataclass(frozen=True)
class Payment:
    id: str
    paid_on: date
    amount: Decimal


@dataclass(frozen=True)
class Amendment:
    """An approved change of a contract's terms (an extension): the terms before and after it."""

    id: str
    approved_at: datetime
    rationale: str
    previous_ends_on: date
    ends_on: date
    due_on: tuple[tuple[str, date, date], ...] = ()  # each milestone it moved: kind, due before, due after


@dataclass(frozen=True)
class Contract:
    """A signed contract. `ends_on` and the milestones' `due_on` are the terms as signed, which its `contract`
    release keeps for good; each later change of them is one of `amendments`, in the order approved."""

    id: str
    award_id: str
    title: str
    state: str  # draft / active / completed / terminated
    amount: Decimal
    starts_on: date
    ends_on: date
    signed_on: date | None
    supplier: Org
    category: tuple[str, str]
    milestones: tuple[Milestone, ...]
    payments: tuple[Payment, ...]
    ended_at: datetime | None = None  # when it was completed or terminated (audit log), where known
    amendments: tuple[Amendment, ...] = ()


@dataclass(frozen=True)
class Process:
    """Everything published about one call, read from the database by the selectors."""

    ocid: str
    reference: str
    title: str
    description: str
    state: str  # the call's state
    year: int
    opens_on: date
    closes_on: date
    funds: Decimal
    matching_funds: Decimal
    method: str
    eligibility: str
    criteria: tuple[tuple[str, Decimal], ...]
    categories: tuple[tuple[str, str], ...]
    program_key: str
    program_title: str
    program_budget: Decimal
    envelope_key: str | None
    envelope_amount: Decimal | None
    buyer: Org
    procuring: Org
    bids: tuple[Bid, ...] = ()
    bids_from: date | None = None  # when the bids became public: the first publicised award list's publicity
    cancelled_at: datetime | None = None  # when the call was cancelled (audit log), where known
    award_lists: tuple[AwardList, ...] = ()
    contracts: tuple[Contract, ...] = ()


@dataclass(frozen=True)
class Publisher:
    name: str
    uri: str
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))


# --- values ------------------------------------------------------------------------------------


def json_amount(amount: Decimal) -> int | float:
    """A CNY amount as a JSON number. The float's shortest repr is the amount's own digits (at most 14
    significant digits fit a money column, within the 15 a double reproduces), so the text is exact."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def value(amount: Decimal) -> dict[str, Any]:
    return {"amount": json_amount(amount), "currency": CURRENCY}


def day_start(day: date, zone: ZoneInfo) -> str:
    return datetime.combine(day, time.min, zone).isoformat()


def day_end(day: date, zone: ZoneInfo) -> str:
    return datetime.combine(day, time(23, 59, 59), zone).isoformat()


def moment(when: datetime, zone: ZoneInfo) -> str:
    return when.astimezone(zone).replace(microsecond=0).isoformat()


def reference(org: Org) -> dict[str, Any]:
    return {"id": org.party_id, "name": org.name}


def party(org: Org, roles: Iterable[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": org.party_id,
        "name": org.name,
        "identifier": {"scheme": SCHEME, "id": org.uscc, "legalName": org.name},
        "roles": [r for r in ROLE_ORDER if r in set(roles)],
    }
    if org.address:
        entry["address"] = {"streetAddress": org.address, "countryName": "中国"}
    return entry


BID_STATUS = {
    "submitted": "pending",
    "eligible": "valid",
    "awarded": "valid",
    "not_awarded": "valid",
    "ineligible": "disqualified",
    "withdrawn": "withdrawn",
}
AWARD_STATUS = {"proposed": "pending", "confirmed": "active", "revoked": "cancelled"}
CONTRACT_STATUS = {"draft": "pending", "active": "active", "completed": "terminated", "terminated": "terminated"}


# --- releases ----------------------------------------------------------------------------------


class _Builder:
    def __init__(self, process: Process, zone: ZoneInfo) -> None:
        self.p = process
        self.zone = zone
        self.releases: list[tuple[str, dict[str, Any], dict[str, tuple[Org, set[str]]]]] = []

    def add(
        self, suffix: str, when: str, tags: list[str], body: dict[str, Any], parties: Iterable[tuple[Org, str]]
    ) -> None:
        used: dict[str, tuple[Org, set[str]]] = {}
        for org, role in parties:
            used.setdefault(org.party_id, (org, set()))[1].add(role)
        release = {
            "ocid": self.p.ocid,
            "id": f"{self.p.ocid}-{suffix}",
            "date": when,
            "tag": tags,
            "initiationType": "tender",
            "language": "zh",
            **body,
        }
        self.releases.append((when, release, used))

    def done(self) -> list[dict[str, Any]]:
        """Sort by date (stable) and give each party the roles it has gathered up to each release, since a
        party's `roles` is replaced whole when releases merge."""
        ordered = sorted(self.releases, key=lambda item: datetime.fromisoformat(item[0]))
        seen: dict[str, set[str]] = {}
        out = []
        for _when, release, used in ordered:
            parties = []
            for pid, (org, roles) in used.items():
                gathered = seen.setdefault(pid, set())
                gathered |= roles
                parties.append(party(org, gathered))
            if parties:
                release["parties"] = parties
            out.append(release)
        return out


def _budget_description(p: Process) -> str:
    text = f"{p.program_title}（{p.year}年度，预算 ¥{p.program_budget:,.2f}）"
    if p.envelope_amount is not None:
        text += f"；{p.procuring.name}的资金包 ¥{p.envelope_amount:,.2f}"
    text += f"；本项目使用项目资金 ¥{p.funds:,.2f}"
    if p.matching_funds:
        text += f"，街道配套资金 ¥{p.matching_funds:,.2f}"
    return text + "。"


def _tender(p: Process, zone: ZoneInfo) -> dict[str, Any]:
    tender: dict[str, Any] = {
        "id": p.reference,
        "title": p.title,
        "status": "active",
        "procuringEntity": reference(p.procuring),
        "value": value(p.funds + p.matching_funds),
        "procurementMethod": p.method,
        "mainProcurementCategory": "services",
        "items": [
            {
                "id": code,
                "description": name,
                "classification": {"scheme": CATEGORY_SCHEME, "id": code, "description": name},
            }
            for code, name in p.categories
        ],
        "tenderPeriod": {"startDate": day_start(p.opens_on, zone), "endDate": day_end(p.closes_on, zone)},
        "submissionMethod": ["electronicSubmission"],
        "awardCriteria": "ratedCriteria",
    }
    if p.description:
        tender["description"] = p.description
    if p.criteria:
        tender["awardCriteriaDetails"] = "；".join(f"{name} {weight:g}%" for name, weight in p.criteria)
    if p.eligibility:
        tender["eligibilityCriteria"] = p.eligibility
    return tender


def _bids(p: Process, zone: ZoneInfo, when: str) -> dict[str, Any]:
    details = []
    for bid in p.bids:
        detail: dict[str, Any] = {
            "id": bid.id,
            "status": BID_STATUS.get(bid.status, "pending"),
            "tenderers": [reference(bid.lead), *(reference(c) for c in bid.partners)],
            "value": value(bid.requested),
        }
        if bid.submitted_at:
            detail["date"] = moment(bid.submitted_at, zone)
        details.append(detail)
    valid = [b for b in p.bids if BID_STATUS.get(b.status) == "valid"]
    counts = [
        ("bids", len(p.bids)),
        ("validBids", len(valid)),
        ("bidders", len({b.lead.uscc for b in p.bids})),
        ("disqualifiedBidders", len({b.lead.uscc for b in p.bids if b.status == "ineligible"})),
    ]
    statistics: list[dict[str, Any]] = [{"id": m, "measure": m, "value": n, "date": when} for m, n in counts]
    if valid:
        low, high = min(b.requested for b in valid), max(b.requested for b in valid)
        statistics += [
            {
                "id": "lowestValidBidValue",
                "measure": "lowestValidBidValue",
                "value": json_amount(low),
                "currency": CURRENCY,
            },
            {
                "id": "highestValidBidValue",
                "measure": "highestValidBidValue",
                "value": json_amount(high),
                "currency": CURRENCY,
            },
        ]
    return {"details": details, "statistics": statistics}


def _award(award: Award, status: str, zone: ZoneInfo, day: date | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": award.id,
        "title": award.title,
        "status": status,
        "value": value(award.amount),
        "suppliers": [reference(award.supplier)],
        "items": [
            {
                "id": award.category[0],
                "description": award.category[1],
                "classification": {
                    "scheme": CATEGORY_SCHEME,
                    "id": award.category[0],
                    "description": award.category[1],
                },
            }
        ],
        "relatedBid": award.bid_id,
    }
    if day:
        entry["date"] = day_start(day, zone)
    if award.score is not None:
        # Only the panel's aggregate (no reviewer, no reviewer's own marks), as the award list publishes it.
        note = f"评审委员会汇总得分 {award.score}（满分100）"
        entry["description"] = note + (f"，排名第{award.rank}" if award.rank is not None else "")
    return entry


def _milestones(contract: Contract, zone: ZoneInfo) -> list[dict[str, Any]]:
    """The milestones as signed: each is met later by a release of its own."""
    return [
        {
            "id": m.kind,
            "code": m.kind,
            "title": m.title,
            "type": "reporting",
            "dueDate": day_end(m.due_on, zone),
            "status": "scheduled",
        }
        for m in contract.milestones
    ]


def releases_of(p: Process, zone: ZoneInfo) -> list[dict[str, Any]]:
    """Every release of one process, in date order."""
    b = _Builder(p, zone)
    opened = day_start(p.opens_on, zone)
    budget: dict[str, Any] = {
        "id": p.envelope_key or p.program_key,
        "description": _budget_description(p),
        "amount": value(p.funds),
        "project": p.program_title,
        "projectID": p.program_key,
    }
    b.add(
        "planning",
        opened,
        ["planning"],
        {"buyer": reference(p.buyer), "planning": {"budget": budget}},
        [(p.buyer, "buyer")],
    )
    b.add(
        "tender",
        opened,
        ["tender"],
        {"buyer": reference(p.buyer), "tender": _tender(p, zone)},
        [(p.buyer, "buyer"), (p.procuring, "procuringEntity")],
    )
    if p.state == "cancelled":
        b.add(
            "tenderCancellation",
            moment(p.cancelled_at, zone) if p.cancelled_at else day_end(p.closes_on, zone),
            ["tenderCancellation"],
            {"tender": {"id": p.reference, "status": "cancelled"}},
            [],
        )
    if p.bids and p.bids_from:
        tenderers = {o.party_id: o for bid in p.bids for o in (bid.lead, *bid.partners)}
        published = day_start(p.bids_from, zone)
        b.add(
            "bids",
            published,
            ["tenderUpdate"],
            {
                "tender": {
                    "id": p.reference,
                    "numberOfTenderers": len(tenderers),
                    "tenderers": [reference(o) for o in tenderers.values()],
                },
                "bids": _bids(p, zone, published),
            },
            [(o, "tenderer") for o in tenderers.values()],
        )
    for award_list in p.award_lists:
        if award_list.publicity_from is None:
            continue  # a list is public from its publicity period on
        suppliers = [(a.supplier, "supplier") for a in award_list.awards]
        pending = [_award(a, "pending", zone, award_list.publicity_from) for a in award_list.awards]
        b.add(
            f"award-{award_list.key}",
            day_start(award_list.publicity_from, zone),
            ["award"],
            {"awards": pending},
            suppliers,
        )
        if award_list.state == "decided" and award_list.decided_on:
            final = [_award(a, AWARD_STATUS[a.state], zone, award_list.decided_on) for a in award_list.awards]
            live = any(a.state == "confirmed" for a in award_list.awards)
            tender = {
                "id": p.reference,
                "status": "complete" if live else "unsuccessful",
                "awardPeriod": {
                    "startDate": day_start(award_list.publicity_from, zone),
                    "endDate": day_end(award_list.decided_on, zone),
                },
            }
            b.add(
                f"decision-{award_list.key}",
                day_end(award_list.decided_on, zone),
                ["awardUpdate"],
                {"tender": tender, "awards": final},
                suppliers,
            )
        elif award_list.state == "withdrawn":
            cancelled = [_award(a, "cancelled", zone, None) for a in award_list.awards]
            b.add(
                f"withdrawal-{award_list.key}",
                moment(award_list.withdrawn_at, zone)
                if award_list.withdrawn_at
                else day_end(award_list.publicity_until or award_list.publicity_from, zone),
                ["awardCancellation"],
                {"awards": cancelled},
                suppliers,
            )
    for contract in p.contracts:
        _contract_releases(b, p, contract, zone)
    return b.done()


def _contract_releases(b: _Builder, p: Process, c: Contract, zone: ZoneInfo) -> None:
    core: dict[str, Any] = {
        "id": c.id,
        "awardID": c.award_id,
        "title": c.title,
        "status": "active" if c.signed_on else "pending",
        "period": {"startDate": day_start(c.starts_on, zone), "endDate": day_end(c.ends_on, zone)},
        "value": value(c.amount),
        "items": [
            {
                "id": c.category[0],
                "description": c.category[1],
                "classification": {"scheme": CATEGORY_SCHEME, "id": c.category[0], "description": c.category[1]},
            }
        ],
        "implementation": {"milestones": _milestones(c, zone)},
    }
    if c.signed_on:
        core["dateSigned"] = day_start(c.signed_on, zone)
    signed = c.signed_on or c.starts_on
    b.add(f"contract-{c.id}", day_start(signed, zone), ["contract"], {"contracts": [core]}, [(c.supplier, "supplier")])
    _amendments(b, p, c, zone)
    for pay in c.payments:
        transaction = {
            "id": pay.id,
            "date": day_start(pay.paid_on, zone),
            "value": value(pay.amount),
            "payer": reference(p.buyer),
            "payee": reference(c.supplier),
        }
        b.add(
            f"payment-{c.id}-{pay.id}",
            day_end(pay.paid_on, zone),
            ["implementation"],
            {"contracts": [{"id": c.id, "awardID": c.award_id, "implementation": {"transactions": [transaction]}}]},
            [(p.buyer, "payer"), (c.supplier, "payee")],
        )
    for m in c.milestones:
        if m.accepted_on is None:
            continue
        met = {"id": m.kind, "status": "met", "dateMet": day_start(m.accepted_on, zone)}
        b.add(
            f"milestone-{c.id}-{m.kind}",
            day_end(m.accepted_on, zone),
            ["implementation"],
            {"contracts": [{"id": c.id, "awardID": c.award_id, "implementation": {"milestones": [met]}}]},
            [],
        )
    if c.state in ("completed", "terminated"):
        last = max(
            [pay.paid_on for pay in c.payments] + [m.accepted_on for m in c.milestones if m.accepted_on], default=None
        )
        b.add(
            f"end-{c.id}",
            moment(c.ended_at, zone) if c.ended_at else day_end(last or _ends_on(c), zone),
            ["contractTermination"],
            {"contracts": [{"id": c.id, "awardID": c.award_id, "status": CONTRACT_STATUS[c.state]}]},
            [],
        )


def _ends_on(c: Contract) -> date:
    """The contract's end date now: as signed, or as its last amendment set it."""
    return c.amendments[-1].ends_on if c.amendments else c.ends_on


def _amendments(b: _Builder, p: Process, c: Contract, zone: ZoneInfo) -> None:
    """One `contractAmendment` release per approved change: the terms after it, and the amendment naming the
    release it amends (the signed contract's, or the previous amendment's) and itself."""
    titles = {m.kind: m.title for m in c.milestones}
    amends = f"{p.ocid}-contract-{c.id}"
    for a in c.amendments:
        suffix = f"amendment-{c.id}-{a.id}"
        release_id = f"{p.ocid}-{suffix}"
        when = moment(a.approved_at, zone)
        changes = [f"合同结束日期由{a.previous_ends_on.isoformat()}延长至{a.ends_on.isoformat()}"]
        changes += [
            f"{titles.get(kind, kind)}里程碑截止日期由{before.isoformat()}改为{after.isoformat()}"
            for kind, before, after in a.due_on
        ]
        terms: dict[str, Any] = {
            "id": c.id,
            "awardID": c.award_id,
            "period": {"startDate": day_start(c.starts_on, zone), "endDate": day_end(a.ends_on, zone)},
            "value": value(c.amount),
            "amendments": [
                {
                    "id": a.id,
                    "date": when,
                    "rationale": a.rationale,
                    "description": "；".join(changes) + "。",
                    "amendsReleaseID": amends,
                    "releaseID": release_id,
                }
            ],
        }
        if a.due_on:
            terms["implementation"] = {
                "milestones": [{"id": kind, "dueDate": day_end(after, zone)} for kind, _before, after in a.due_on]
            }
        b.add(suffix, when, ["contractAmendment"], {"contracts": [terms]}, [])
        amends = release_id


# --- packages and records ----------------------------------------------------------------------


def package_head(publisher: Publisher, uri: str, published: datetime) -> dict[str, Any]:
    return {
        "uri": uri,
        "version": VERSION,
        "extensions": list(EXTENSIONS),
        "publishedDate": moment(published, publisher.zone),
        "publisher": {"name": publisher.name, "uri": publisher.uri},
    }


def record_of(releases: list[dict[str, Any]], package_uri: str) -> dict[str, Any]:
    """A record linking to its releases in the release package at `package_uri`, with the compiled release."""
    return {
        "ocid": releases[0]["ocid"],
        "releases": [{"url": f"{package_uri}#{r['id']}", "date": r["date"], "tag": r["tag"]} for r in releases],
        "compiledRelease": compile_releases(releases),
    }


def release_package(head: dict[str, Any], processes: Iterable[list[dict[str, Any]]]) -> dict[str, Any]:
    return {**head, "releases": [r for releases in processes for r in releases]}


def record_package(head: dict[str, Any], records: Iterable[dict[str, Any]], release_package_uri: str) -> dict[str, Any]:
    return {**head, "packages": [release_package_uri], "records": list(records)}
