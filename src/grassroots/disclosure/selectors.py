"""Reads for open data: which calls are public, and each call as the plain `ocds.Process` the builder takes.

`processes()` reads calls in chunks with a fixed number of queries per chunk (about a dozen, whatever
the chunk's size), so an export of many thousands of processes streams in bounded memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import translation

from grassroots.applications.models import Application
from grassroots.awards.models import Award, AwardList
from grassroots.contracts.models import ChangeRequest, Contract, Milestone, Payment
from grassroots.funding.models import Call, Criterion
from grassroots.orgs.models import Organization

from . import ocds
from .models import OcdsLink

PUBLIC_STATES = (Call.State.OPEN, Call.State.REVIEW, Call.State.AWARDING, Call.State.DECIDED)


def ocid_prefix() -> str:
    return str(settings.OPEN_DATA["OCID_PREFIX"])


def publisher() -> ocds.Publisher:
    return ocds.Publisher(
        name=str(settings.OPEN_DATA["PUBLISHER"]),
        uri=str(settings.OPEN_DATA["PUBLIC_URL"]),
        zone=ZoneInfo(settings.TIME_ZONE),
    )


def public_calls(*, year: int | None = None, calls: Sequence[str] = ()) -> QuerySet[Call]:
    """Calls whose process is public: opened (a draft is not), or cancelled after anyone applied.

    `calls` narrows to these references or ocids.
    """
    applied = Application.objects.filter(call=OuterRef("pk")).exclude(state=Application.State.DRAFT)
    rows = Call.objects.filter(Q(state__in=PUBLIC_STATES) | (Q(state=Call.State.CANCELLED) & Exists(applied)))
    if year is not None:
        rows = rows.filter(program__fiscal_year=year)
    if calls:
        rows = rows.filter(pk__in=[c.pk for c in (call_for(ref) for ref in calls) if c is not None])
    return rows.order_by("pk")


def call_for(key: str) -> Call | None:
    """The call an ocid (ours: "<prefix>-<reference>"; an imported one: as it came) or a reference names."""
    link = OcdsLink.objects.filter(kind=OcdsLink.Kind.CALL, ocds_id=key).first()
    if link is not None:
        return Call.objects.filter(pk=link.object_id).first()
    prefix = ocid_prefix() + "-"
    reference = key.removeprefix(prefix)
    return Call.objects.filter(reference=reference).first()


def public_call(ocid: str) -> Call | None:
    call = call_for(ocid)
    if call is None or not public_calls().filter(pk=call.pk).exists():
        return None
    return call if ocid_of(call) == ocid else None


def ocid_of(call: Call) -> str:
    imported = OcdsLink.objects.filter(kind=OcdsLink.Kind.CALL, object_id=call.pk).values_list("ocds_id", flat=True)
    return imported.first() or f"{ocid_prefix()}-{call.reference}"


def _ids(
    calls: Iterable[int], applications: Iterable[int], awards: Iterable[int], payments: Iterable[int]
) -> dict[tuple[str, int], str]:
    """The OCDS ids imported objects came with: (kind, pk) → id (an imported call's is its ocid)."""
    wanted = Q()
    for kind, pks in (("call", calls), ("bid", applications), ("award", awards), ("payment", payments)):
        pks = list(pks)
        if pks:
            wanted |= Q(kind=kind, object_id__in=pks)
    if not wanted:
        return {}
    return {
        (kind, pk): ident
        for kind, pk, ident in OcdsLink.objects.filter(wanted).values_list("kind", "object_id", "ocds_id")
    }


def _org(org: Organization) -> ocds.Org:
    return ocds.Org(uscc=org.uscc, name=org.name, address=org.address)


def processes(calls: QuerySet[Call], chunk: int = 500) -> Iterator[ocds.Process]:
    """Each call of `calls` as a `Process`, reading `chunk` calls at a time."""
    ids = list(calls.values_list("pk", flat=True))
    with translation.override(settings.LANGUAGE_CODE):
        for start in range(0, len(ids), chunk):
            yield from _chunk(ids[start : start + chunk])


def _chunk(ids: list[int]) -> list[ocds.Process]:
    calls = list(Call.objects.filter(pk__in=ids).select_related("program__department", "envelope", "issuer"))
    criteria: dict[int, list[tuple[str, Any]]] = defaultdict(list)
    for call_id, name, weight in Criterion.objects.filter(call_id__in=ids).values_list("call_id", "name", "weight"):
        criteria[call_id].append((name, weight))
    categories: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for call_id, code, name in Call.categories.through.objects.filter(call_id__in=ids).values_list(
        "call_id", "servicecategory__code", "servicecategory__name"
    ):
        categories[call_id].append((code, name))
    applications = list(
        Application.objects.filter(call_id__in=ids)
        .exclude(state=Application.State.DRAFT)
        .select_related("lead_agency")
        .order_by("pk")
    )
    partners: dict[int, list[ocds.Org]] = defaultdict(list)
    for link in (
        Application.communities.through.objects.filter(application__in=applications)
        .select_related("organization")
        .order_by("organization__uscc")
    ):
        partners[link.application_id].append(_org(link.organization))
    award_lists = list(AwardList.objects.filter(call_id__in=ids).order_by("pk"))
    awards = list(
        Award.objects.filter(award_list__in=award_lists)
        .select_related("application__lead_agency", "application__category")
        .order_by("pk")
    )
    contracts = list(
        Contract.objects.filter(award__in=awards)
        .select_related("agency", "category", "award__award_list")
        .order_by("pk")
    )
    milestones: dict[int, list[Milestone]] = defaultdict(list)
    for milestone in Milestone.objects.filter(contract__in=contracts).order_by("due_on", "pk"):
        milestones[milestone.contract_id].append(milestone)
    payments: dict[int, list[tuple[int, int, Any, Any]]] = defaultdict(list)
    for pk, contract_id, position, paid_on, amount in (
        Payment.objects.filter(tranche__contract__in=contracts)
        .order_by("tranche__position")
        .values_list("pk", "tranche__contract_id", "tranche__position", "paid_on", "amount")
    ):
        payments[contract_id].append((pk, position, paid_on, amount))
    ended: dict[int, datetime] = {
        contract_id: when
        for contract_id, when in ChangeRequest.objects.filter(
            contract__in=contracts, kind=ChangeRequest.Kind.TERMINATION, state=ChangeRequest.State.APPLIED
        ).values_list("contract_id", "requested_at")
    }
    ids_of = _ids(
        ids,
        [a.pk for a in applications],
        [a.pk for a in awards],
        [pk for rows in payments.values() for pk, *_rest in rows],
    )
    programs = _program_keys({c.program_id for c in calls})
    zone = ZoneInfo(settings.TIME_ZONE)
    prefix = ocid_prefix()

    bid_id = {a.pk: ids_of.get(("bid", a.pk), a.reference) for a in applications}
    for award in awards:  # an award's application is public with the award even if it were filtered out above
        bid_id.setdefault(award.application_id, ids_of.get(("bid", award.application_id), award.application.reference))
    award_id = {a.pk: ids_of.get(("award", a.pk), f"award-{a.pk}") for a in awards}
    by_call_apps: dict[int, list[Application]] = defaultdict(list)
    for application in applications:
        by_call_apps[application.call_id].append(application)
    by_list: dict[int, list[Award]] = defaultdict(list)
    for award in awards:
        by_list[award.award_list_id].append(award)
    by_call_lists: dict[int, list[AwardList]] = defaultdict(list)
    for award_list in award_lists:
        by_call_lists[award_list.call_id].append(award_list)
    by_call_contracts: dict[int, list[Contract]] = defaultdict(list)
    for contract in contracts:
        by_call_contracts[contract.award.award_list.call_id].append(contract)

    out = []
    for call in calls:
        program = call.program
        out.append(
            ocds.Process(
                ocid=ids_of.get(("call", call.pk), f"{prefix}-{call.reference}"),
                reference=call.reference,
                title=call.title,
                description=call.description,
                state=call.state,
                year=program.fiscal_year,
                opens_on=call.opens_on,
                closes_on=call.closes_on,
                funds=call.funds,
                matching_funds=call.matching_funds,
                method=program.method,
                eligibility=program.eligibility,
                criteria=tuple(criteria[call.pk]),
                categories=tuple(categories[call.pk]),
                program_key=programs.get(program.pk, f"program-{program.pk}"),
                program_title=program.title,
                program_budget=program.budget,
                envelope_key=f"envelope-{call.envelope_id}" if call.envelope_id else None,
                envelope_amount=call.envelope.amount if call.envelope else None,
                buyer=_org(program.department),
                procuring=_org(call.issuer),
                bids=tuple(
                    ocds.Bid(
                        id=bid_id[a.pk],
                        status=a.state,
                        lead=_org(a.lead_agency),
                        partners=tuple(partners[a.pk]),
                        requested=a.requested,
                        submitted_at=a.submitted_at,
                        score=a.score,
                        rank=a.rank,
                    )
                    for a in by_call_apps[call.pk]
                ),
                panel_closed=call.state in (Call.State.AWARDING, Call.State.DECIDED),
                award_lists=tuple(
                    ocds.AwardList(
                        key=str(award_list.pk),
                        state=award_list.state,
                        publicity_from=award_list.publicity_from,
                        publicity_until=award_list.publicity_until,
                        decided_on=award_list.decided_on,
                        awards=tuple(
                            ocds.Award(
                                id=award_id[a.pk],
                                bid_id=bid_id[a.application_id],
                                title=a.application.title,
                                amount=a.amount,
                                state=a.state,
                                supplier=_org(a.application.lead_agency),
                                category=(a.application.category.code, a.application.category.name),
                            )
                            for a in by_list[award_list.pk]
                        ),
                    )
                    for award_list in by_call_lists[call.pk]
                ),
                contracts=tuple(
                    ocds.Contract(
                        id=c.number,
                        award_id=award_id[c.award_id],
                        title=c.title,
                        state=c.state,
                        amount=c.amount,
                        starts_on=c.starts_on,
                        ends_on=c.ends_on,
                        signed_on=c.signed_on,
                        supplier=_org(c.agency),
                        category=(c.category.code, c.category.name),
                        milestones=tuple(
                            ocds.Milestone(m.kind, str(m.get_kind_display()), m.due_on, m.accepted_on)
                            for m in milestones[c.pk]
                        ),
                        payments=tuple(
                            ocds.Payment(ids_of.get(("payment", pk), f"tranche-{position}"), paid_on, amount)
                            for pk, position, paid_on, amount in payments[c.pk]
                        ),
                        ended_on=ended[c.pk].astimezone(zone).date() if c.pk in ended else None,
                    )
                    for c in by_call_contracts[call.pk]
                ),
            )
        )
    return out


def _program_keys(program_ids: set[int]) -> dict[int, str]:
    """Imported programs keep the key (the budget's projectID) they came with."""
    content_type = ContentType.objects.get_by_natural_key("funding", "program")
    return dict(
        OcdsLink.objects.filter(
            kind=OcdsLink.Kind.PROGRAM, content_type=content_type, object_id__in=program_ids
        ).values_list("object_id", "ocds_id")
    )
