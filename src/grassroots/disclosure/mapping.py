"""Reading an OCDS package for import, and what of it maps onto this platform's concepts. No database.

`read_package` refuses, with a clear message, whatever is not JSON or not an OCDS 1.1 release or record
package (validated against the vendored schemas), and compiles each process's releases (a record's
compiled release is used when it has one). `plan` turns one compiled release into plain `ProcessPlan`
data, noting in the report each part it cannot carry over (amounts not in CNY, a party without a unified
social credit code, a bid only invited...). The import service (`services.import_package`) then writes
the plans through the rules of the domain.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grassroots.core.errors import ValidationError
from grassroots.core.money import money
from grassroots.core.uscc import validate_uscc

from . import schemas
from .merge import compile_releases
from .ocds import CURRENCY, SCHEME


class PackageRefused(Exception):
    """The file is not an OCDS package this platform can read; nothing is imported."""


@dataclass(frozen=True)
class Unmapped:
    """Something of the package that the import could not carry over, and why."""

    ocid: str
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.ocid} {self.where}: {self.reason}" if self.where else f"{self.ocid}: {self.reason}"


#: What the report calls the objects it counts and the two kinds of package, in the reader's language.
OBJECT_NAMES = {
    "organization": gettext_lazy("organizations"),
    "program": gettext_lazy("programs"),
    "call": gettext_lazy("calls"),
    "bid": gettext_lazy("applications (bids)"),
    "award_list": gettext_lazy("award lists"),
    "award": gettext_lazy("awards"),
    "contract": gettext_lazy("contracts"),
    "payment": gettext_lazy("payments"),
    "milestone": gettext_lazy("milestones"),
    "envelope": gettext_lazy("envelopes"),
}
PACKAGE_NAMES = {"release package": gettext_lazy("release package"), "record package": gettext_lazy("record package")}


@dataclass
class ImportReport:
    """What an import did: the processes read, the objects created or found already imported, and what it
    could not map."""

    package: str = ""
    processes: list[str] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unchanged: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: Objects imported before that a later package moved on (an award confirmed, a contract signed...).
    moved: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unmapped: list[Unmapped] = field(default_factory=list)

    def skip(self, ocid: str, where: str, reason: str) -> None:
        """Note what could not be mapped, once: a party referred to many times is one line of its process."""
        entry = Unmapped(ocid, where, reason)
        if entry not in self.unmapped:
            self.unmapped.append(entry)

    def as_data(self) -> dict[str, Any]:
        return {
            "package": self.package,
            "processes": list(self.processes),
            "created": dict(self.created),
            "unchanged": dict(self.unchanged),
            "moved": dict(self.moved),
            "unmapped": [{"ocid": u.ocid, "where": u.where, "reason": u.reason} for u in self.unmapped],
        }

    def text(self) -> str:
        """The report in the active language."""

        def counts(numbers: dict[str, int]) -> str:
            shown = [f"{OBJECT_NAMES.get(kind, kind)} {n}" for kind, n in sorted(numbers.items()) if n]
            return _("; ").join(shown) or _("nothing")

        lines = [
            _("Imported %(n)d contracting process(es) from a %(kind)s.")
            % {"n": len(self.processes), "kind": PACKAGE_NAMES.get(self.package, self.package)},
            _("Created: %(c)s.") % {"c": counts(self.created)},
            _("Already imported: %(c)s.") % {"c": counts(self.unchanged)},
        ]
        if any(self.moved.values()):
            lines.append(_("Moved on by this package: %(c)s.") % {"c": counts(self.moved)})
        if self.unmapped:
            lines.append(_("Could not be mapped (%(n)d):") % {"n": len(self.unmapped)})
            lines += [f"  - {u}" for u in self.unmapped]
        else:
            lines.append(_("Everything was mapped."))
        return "\n".join(lines)


def _not_a_number(constant: str) -> Any:
    """JSON has no NaN or Infinity (Python's reader accepts them): no amount or anything else can be one."""
    raise PackageRefused(
        _("The file is not valid JSON: %(c)s is not a number JSON allows (no NaN or Infinity).") % {"c": constant}
    )


def read_package(data: bytes | str) -> tuple[str, list[dict[str, Any]]]:
    """The package's kind ("release package" or "record package") and one compiled release per ocid."""
    try:
        package = json.loads(data, parse_float=Decimal, parse_constant=_not_a_number)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PackageRefused(_("The file is not valid JSON: %(e)s") % {"e": exc}) from None
    if isinstance(package, dict) and "records" in package:
        kind, errors = "record package", schemas.record_package_errors(package, limit=5)
    elif isinstance(package, dict) and "releases" in package:
        kind, errors = "release package", schemas.release_package_errors(package, limit=5)
    else:
        raise PackageRefused(_("The file is JSON but not an OCDS package: it has neither “releases” nor “records”."))
    if errors:
        raise PackageRefused(
            _("The file is not a valid OCDS 1.1 %(kind)s: %(errors)s")
            % {"kind": kind, "errors": "; ".join(str(e) for e in errors)}
        )
    if kind == "release package":
        by_ocid: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for release in package["releases"]:
            by_ocid[release["ocid"]].append(release)
        return kind, [compile_releases(releases) for releases in by_ocid.values()]
    compiled = []
    for record in package["records"]:
        if isinstance(record.get("compiledRelease"), dict):
            compiled.append(record["compiledRelease"])
        elif all(isinstance(r, dict) and "ocid" in r for r in record["releases"]):
            compiled.append(compile_releases(record["releases"]))
        else:
            raise PackageRefused(
                _(
                    "The record of %(ocid)s only links to its releases and has no compiled release: "
                    "import the release package instead."
                )
                % {"ocid": record["ocid"]}
            )
    return kind, compiled


# --- plans ---------------------------------------------------------------------------------------


@dataclass
class PartyPlan:
    id: str
    name: str
    uscc: str | None
    address: str = ""


@dataclass
class BidPlan:
    id: str
    status: str
    tenderers: list[str]
    amount: Decimal | None
    submitted_at: datetime | None


@dataclass
class AwardPlan:
    id: str
    bid_id: str | None
    title: str
    status: str
    amount: Decimal | None
    suppliers: list[str]
    day: date | None
    category: tuple[str, str] | None


@dataclass
class MilestonePlan:
    id: str
    code: str
    due_on: date | None
    met_on: date | None


@dataclass
class TransactionPlan:
    id: str
    day: date
    amount: Decimal


@dataclass
class ContractPlan:
    id: str
    award_id: str
    title: str
    status: str
    amount: Decimal | None
    starts_on: date | None
    ends_on: date | None
    signed_on: date | None
    milestones: list[MilestonePlan]
    transactions: list[TransactionPlan]


@dataclass
class ProcessPlan:
    ocid: str
    scope: str  # the ocid prefix: who published it
    day: date  # of the compiled release
    reference: str
    title: str
    description: str
    status: str
    method: str
    eligibility: str
    total: Decimal | None  # tender.value: what the call may award
    funds: Decimal | None  # planning.budget.amount: the program's part
    program_key: str
    program_title: str
    opens_on: date | None
    closes_on: date | None
    buyer: str | None
    procuring: str | None
    categories: list[tuple[str, str]]
    parties: dict[str, PartyPlan]
    bids: list[BidPlan]
    awards: list[AwardPlan]
    contracts: list[ContractPlan]


def _moment(text: Any, zone: ZoneInfo) -> datetime | None:
    """An OCDS date-time; one without a zone (only in a compiled release that was not validated) is local."""
    if not isinstance(text, str):
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=zone)


def _day(text: Any, zone: ZoneInfo) -> date | None:
    when = _moment(text, zone)
    return when.astimezone(zone).date() if when else None


def _text(value: Any, limit: int) -> str:
    return str(value).strip()[:limit] if value not in (None, "") else ""


class _Reader:
    def __init__(self, compiled: dict[str, Any], report: ImportReport, zone: ZoneInfo) -> None:
        self.c = compiled
        self.ocid = str(compiled["ocid"])
        self.report = report
        self.zone = zone

    def skip(self, where: str, reason: str) -> None:
        self.report.skip(self.ocid, where, reason)

    def amount(self, node: Any, where: str) -> Decimal | None:
        if not isinstance(node, dict) or node.get("amount") is None:
            return None
        if node.get("currency") != CURRENCY:
            self.skip(where, _("the amount is in %(c)s, not CNY") % {"c": node.get("currency") or "?"})
            return None
        try:
            return money(node["amount"])
        except ValidationError as exc:
            self.skip(where, "; ".join(exc.messages))
            return None

    def party(self, node: dict[str, Any], index: int) -> PartyPlan | None:
        pid = node.get("id")
        if pid is None:
            self.skip(f"parties[{index}]", _("a party without an id cannot be referred to"))
            return None
        identifiers = [node.get("identifier") or {}, *(node.get("additionalIdentifiers") or [])]
        uscc = None
        for identifier in identifiers:
            if isinstance(identifier, dict) and identifier.get("scheme") == SCHEME and identifier.get("id"):
                try:
                    uscc = validate_uscc(str(identifier["id"]))
                    break
                except ValidationError as exc:
                    self.skip(f"parties[{index}]", "; ".join(exc.messages))
        name = _text(node.get("name") or (node.get("identifier") or {}).get("legalName"), 200)
        address = node.get("address") or {}
        return PartyPlan(str(pid), name or str(pid), uscc, _text(address.get("streetAddress"), 300))

    def plan(self) -> ProcessPlan:
        c, zone = self.c, self.zone
        tender = c.get("tender") or {}
        budget = (c.get("planning") or {}).get("budget") or {}
        parties = {}
        for index, node in enumerate(c.get("parties") or []):
            entry = self.party(node, index)
            if entry:
                parties[entry.id] = entry
        categories = []
        for item in tender.get("items") or []:
            classification = item.get("classification") or {}
            code = _text(classification.get("id") or item.get("id"), 40)
            if code:
                categories.append(
                    (code, _text(classification.get("description") or item.get("description"), 100) or code)
                )
        period = tender.get("tenderPeriod") or {}
        bids = []
        for index, bid in enumerate((c.get("bids") or {}).get("details") or []):
            bids.append(
                BidPlan(
                    id=str(bid["id"]),
                    status=bid.get("status") or "pending",
                    tenderers=[str(t.get("id")) for t in bid.get("tenderers") or [] if t.get("id") is not None],
                    amount=self.amount(bid.get("value"), f"bids.details[{index}].value"),
                    submitted_at=_moment(bid.get("date"), zone),
                )
            )
        awards = []
        for index, award in enumerate(c.get("awards") or []):
            items = award.get("items") or []
            classification = (items[0].get("classification") or {}) if items else {}
            awards.append(
                AwardPlan(
                    id=str(award["id"]),
                    bid_id=str(award["relatedBid"]) if award.get("relatedBid") is not None else None,
                    title=_text(award.get("title"), 200),
                    status=award.get("status") or "pending",
                    amount=self.amount(award.get("value"), f"awards[{index}].value"),
                    suppliers=[str(s.get("id")) for s in award.get("suppliers") or [] if s.get("id") is not None],
                    day=_day(award.get("date"), zone),
                    category=(_text(classification.get("id"), 40), _text(classification.get("description"), 100))
                    if classification.get("id")
                    else None,
                )
            )
        contracts = []
        for index, contract in enumerate(c.get("contracts") or []):
            implementation = contract.get("implementation") or {}
            transactions = []
            for t_index, txn in enumerate(implementation.get("transactions") or []):
                where = f"contracts[{index}].implementation.transactions[{t_index}]"
                amount = self.amount(txn.get("value") or txn.get("amount"), where)
                day = _day(txn.get("date"), zone)
                if amount is None:
                    if not (txn.get("value") or txn.get("amount")):
                        self.skip(where, _("a transaction without an amount"))
                    continue
                if day is None:
                    self.skip(where, _("a transaction without a date"))
                    continue
                transactions.append(TransactionPlan(str(txn["id"]), day, amount))
            milestones = [
                MilestonePlan(
                    str(m["id"]),
                    _text(m.get("code") or m.get("id"), 40),
                    _day(m.get("dueDate"), zone),
                    _day(m.get("dateMet"), zone) if m.get("status") == "met" else None,
                )
                for m in implementation.get("milestones") or contract.get("milestones") or []
            ]
            contract_period = contract.get("period") or {}
            contracts.append(
                ContractPlan(
                    id=str(contract["id"]),
                    award_id=str(contract["awardID"]),
                    title=_text(contract.get("title"), 200),
                    status=contract.get("status") or "pending",
                    amount=self.amount(contract.get("value"), f"contracts[{index}].value"),
                    starts_on=_day(contract_period.get("startDate"), zone),
                    ends_on=_day(contract_period.get("endDate"), zone),
                    signed_on=_day(contract.get("dateSigned"), zone),
                    milestones=milestones,
                    transactions=transactions,
                )
            )
        if tender.get("documents"):
            self.skip("tender.documents", _("documents are not imported"))
        if c.get("relatedProcesses"):
            self.skip("relatedProcesses", _("related processes are not imported"))
        buyer = (c.get("buyer") or {}).get("id")
        procuring = (tender.get("procuringEntity") or {}).get("id")
        total = self.amount(tender.get("value"), "tender.value")
        funds = self.amount(budget.get("amount"), "planning.budget.amount")
        return ProcessPlan(
            ocid=self.ocid,
            scope="-".join(self.ocid.split("-")[:2]),
            day=_day(c.get("date"), zone) or date.today(),
            reference=_text(tender.get("id"), 40),
            title=_text(tender.get("title"), 200) or self.ocid[:200],
            description=_text(tender.get("description"), 5000),
            status=tender.get("status") or "",
            method=tender.get("procurementMethod") or "open",
            eligibility=_text(tender.get("eligibilityCriteria"), 5000),
            total=total,
            funds=funds,
            program_key=_text(budget.get("projectID") or budget.get("id") or self.ocid, 300),
            program_title=_text(budget.get("project") or tender.get("title"), 200) or self.ocid[:200],
            opens_on=_day(period.get("startDate"), zone),
            closes_on=_day(period.get("endDate"), zone),
            buyer=str(buyer) if buyer is not None else None,
            procuring=str(procuring) if procuring is not None else None,
            categories=categories,
            parties=parties,
            bids=bids,
            awards=awards,
            contracts=contracts,
        )


def plan(compiled: dict[str, Any], report: ImportReport, zone: ZoneInfo) -> ProcessPlan:
    """What of one compiled release this platform can carry; the rest goes into `report`."""
    return _Reader(compiled, report, zone).plan()
