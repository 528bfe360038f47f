"""Recording services delivered and money spent under an active contract."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.applications.models import ServiceKind
from grassroots.contracts.models import Contract, ContractLine
from grassroots.core.audit import record
from grassroots.core.errors import KeyReused, RuleViolation, ValidationError
from grassroots.core.i18n import render_message
from grassroots.core.money import money, sum_of
from grassroots.core.permissions import require
from grassroots.orgs.models import Person, Role
from grassroots.orgs.selectors import acts_for, person_of, social_workers_of

from . import files
from .models import Attachment, Expenditure, ServiceRecord


def _require_agency_staff(actor: Any, contract: Contract) -> None:
    require(
        acts_for(actor, contract.agency, Role.MANAGER, Role.SOCIAL_WORKER),
        _("Only staff of %(org)s record its services.") % {"org": contract.agency.local_name},
    )


def _require_active(contract: Contract, day: date) -> None:
    if contract.state != Contract.State.ACTIVE:
        raise RuleViolation(_("The contract %(n)s is not active.") % {"n": contract.number})
    if not contract.starts_on <= day <= contract.ends_on:
        raise RuleViolation(
            _("%(d)s lies outside the contract term %(s)s to %(e)s.")
            % {"d": day, "s": contract.starts_on, "e": contract.ends_on}
        )
    if day > timezone.localdate():
        raise RuleViolation(_("%(d)s is still to come: record what has happened.") % {"d": day})


def _non_negative(value: Any, label: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise RuleViolation(_("%(f)s must be a number.") % {"f": label}) from None
    if number < 0 or not number.is_finite():
        raise RuleViolation(_("%(f)s cannot be negative.") % {"f": label})
    try:
        # Two places, as the column keeps it: the record answered now reads as it will when read again.
        return number.quantize(Decimal("0.01"))
    except ArithmeticError:
        raise RuleViolation(_("%(f)s must be a number.") % {"f": label}) from None


T = TypeVar("T")

#: The longest idempotency key an API client may send.
KEY_LENGTH = 80


def _digest(fields: dict[str, Any]) -> str:
    """A fingerprint of a write's normalised content: the same request sent again has the same one."""
    text = json.dumps(fields, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _checked_key(key: str) -> str:
    if len(key) > KEY_LENGTH or any(not c.isprintable() for c in key):
        raise RuleViolation(
            _("An idempotency key is at most %(n)d printable characters.") % {"n": KEY_LENGTH}, code="invalid_key"
        )
    return key


def _replay(model: Any, contract: Contract, key: str, digest: str) -> Any:
    """The row `key` already wrote for `contract`, if any; a key that wrote something else is refused."""
    if not key:
        return None
    existing = model.objects.filter(contract=contract, idempotency_key=key).first()
    if existing is not None and existing.request_digest != digest:
        raise KeyReused(
            _("The idempotency key “%(k)s” was already used for a different request on this contract.") % {"k": key},
            code="idempotency_key_reused",
        )
    return existing


def _written_once(model: Any, contract: Contract, key: str, digest: str, write: Callable[[], T]) -> T:
    """`write()`, unless `key` already wrote a row of `contract`: then that row, marked `replayed` (the API
    answers it 200, not 201). A request racing its twin under the same key loses on the unique constraint and
    returns the twin's row."""
    existing = _replay(model, contract, key, digest)
    if existing is None:
        try:
            with transaction.atomic():
                return write()
        except IntegrityError:
            existing = _replay(model, contract, key, digest)
            if existing is None:
                raise
    existing.replayed = True
    return cast(T, existing)


def _hours(value: Any) -> str:
    try:
        return format(Decimal(str(value)).normalize(), "f")
    except ArithmeticError:
        return str(value)


def _amount(value: Any) -> str:
    try:
        return str(money(value))
    except (ArithmeticError, ValidationError):
        return str(value)


@transaction.atomic
def record_service(
    actor: Any,
    contract: Contract,
    *,
    kind: str,
    held_on: date,
    title: str,
    social_workers: Sequence[Person],
    beneficiaries: int = 0,
    service_hours: Any = 0,
    volunteers: int = 0,
    volunteer_hours: Any = 0,
    resident_participants: int = 0,
    location: str = "",
    notes: str = "",
    beneficiary_codes: Sequence[str] = (),
    idempotency_key: str = "",
) -> ServiceRecord:
    """Record a service delivered. With an `idempotency_key`, the same request sent again returns the record it
    wrote instead of a second one (and a different request under that key is refused: `KeyReused`)."""
    _require_agency_staff(actor, contract)
    key = _checked_key(idempotency_key)
    digest = _digest(
        {
            "kind": kind,
            "held_on": held_on,
            "title": title.strip(),
            "social_workers": sorted(p.pk for p in social_workers),
            "beneficiaries": beneficiaries,
            "beneficiary_codes": list(beneficiary_codes),
            "service_hours": _hours(service_hours),
            "volunteers": volunteers,
            "volunteer_hours": _hours(volunteer_hours),
            "resident_participants": resident_participants,
            "location": location,
            "notes": notes,
        }
    )
    return _written_once(
        ServiceRecord,
        contract,
        key,
        digest,
        lambda: _record_service(
            actor,
            contract,
            kind=kind,
            held_on=held_on,
            title=title,
            social_workers=social_workers,
            beneficiaries=beneficiaries,
            service_hours=service_hours,
            volunteers=volunteers,
            volunteer_hours=volunteer_hours,
            resident_participants=resident_participants,
            location=location,
            notes=notes,
            beneficiary_codes=beneficiary_codes,
            key=key,
            digest=digest,
        ),
    )


def _record_service(
    actor: Any,
    contract: Contract,
    *,
    kind: str,
    held_on: date,
    title: str,
    social_workers: Sequence[Person],
    beneficiaries: int,
    service_hours: Any,
    volunteers: int,
    volunteer_hours: Any,
    resident_participants: int,
    location: str,
    notes: str,
    beneficiary_codes: Sequence[str],
    key: str,
    digest: str,
) -> ServiceRecord:
    _require_active(contract, held_on)
    if kind not in ServiceKind.values:
        raise RuleViolation(_("Unknown kind of service: %(k)s") % {"k": kind})
    if not title.strip():
        raise RuleViolation(_("A service record needs a title."))
    workers = set(social_workers_of(contract.agency).values_list("pk", flat=True))
    if not social_workers or any(p.pk not in workers for p in social_workers):
        raise RuleViolation(_("Name the agency's social workers who delivered the service."))
    for count, label in (
        (beneficiaries, _("Beneficiaries")),
        (volunteers, _("Volunteers")),
        (resident_participants, _("Resident participants")),
    ):
        if int(count) < 0:
            raise RuleViolation(_("%(f)s cannot be negative.") % {"f": label})
    codes = _anonymised(beneficiary_codes, int(beneficiaries))
    item = ServiceRecord.objects.create(
        contract=contract,
        kind=kind,
        held_on=held_on,
        title=title.strip(),
        beneficiaries=beneficiaries,
        beneficiary_codes=codes,
        service_hours=_non_negative(service_hours, _("Service hours")),
        volunteers=volunteers,
        volunteer_hours=_non_negative(volunteer_hours, _("Volunteer hours")),
        resident_participants=resident_participants,
        location=location,
        notes=notes,
        recorded_by=person_of(actor),
        idempotency_key=key,
        request_digest=digest if key else "",
    )
    item.social_workers.set(social_workers)
    record(actor, "service_record.added", item, after={"contract": contract.pk, "kind": kind, "on": held_on})
    return item


#: What identifies a person and so is no anonymised code: an identity card number (GB 11643, 18 characters)
#: or a mainland mobile number.
IDENTIFYING = re.compile(r"\d{17}[\dXx]|\+?(?:86)?1[3-9]\d{9}")
#: The longest anonymised beneficiary code.
CODE_LENGTH = 40


def _anonymised(codes: Sequence[str], beneficiaries: int) -> list[str]:
    """The beneficiary codes of a record, each once; never an identity card or phone number, never more codes
    than beneficiaries."""
    out = list(dict.fromkeys(str(c).strip() for c in codes if str(c).strip()))
    for code in out:
        if len(code) > CODE_LENGTH:
            raise RuleViolation(_("A beneficiary code has at most %(n)d characters.") % {"n": CODE_LENGTH})
        if IDENTIFYING.fullmatch(code):
            raise RuleViolation(
                _("A beneficiary code looks like an identity card or phone number: record anonymised codes only.")
            )
    if len(out) > beneficiaries:
        raise RuleViolation(
            _("There are more beneficiary codes (%(c)d) than beneficiaries (%(b)d).")
            % {"c": len(out), "b": beneficiaries}
        )
    return out


def spent_on_line(line: ContractLine) -> Decimal:
    return sum_of(Expenditure.objects.filter(line=line), "amount")


@transaction.atomic
def record_expenditure(
    actor: Any,
    contract: Contract,
    *,
    line: ContractLine,
    spent_on: date,
    amount: Any,
    description: str,
    receipt: str = "",
    idempotency_key: str = "",
) -> Expenditure:
    """Book money spent against a budget line; a line is never overspent.

    With an `idempotency_key`, the same request sent again (a retry after a lost answer) returns the expenditure
    it booked instead of booking the money twice; a different request under that key is refused (`KeyReused`).
    The line is locked first, so a retry racing its original waits for it and then finds its row.
    """
    require(
        acts_for(actor, contract.agency, Role.MANAGER),
        _("Only a manager of %(org)s books expenditures.") % {"org": contract.agency.local_name},
    )
    key = _checked_key(idempotency_key)
    digest = _digest(
        {
            "line": line.pk,
            "spent_on": spent_on,
            "amount": _amount(amount),
            "description": description.strip(),
            "receipt": receipt,
        }
    )
    if key:
        ContractLine.objects.select_for_update().get(pk=line.pk)
    return _written_once(
        Expenditure,
        contract,
        key,
        digest,
        lambda: _book(actor, contract, line, spent_on, amount, description, receipt, key, digest),
    )


def _book(
    actor: Any,
    contract: Contract,
    line: ContractLine,
    spent_on: date,
    amount: Any,
    description: str,
    receipt: str,
    key: str,
    digest: str,
) -> Expenditure:
    _require_active(contract, spent_on)
    line = ContractLine.objects.select_for_update().get(pk=line.pk)
    if line.contract_id != contract.pk:
        raise RuleViolation(_("The budget line belongs to another contract."))
    value = money(amount)
    if value <= 0:
        raise RuleViolation(_("An expenditure needs a positive amount."))
    if not description.strip():
        raise RuleViolation(_("Say what the money was spent on."))
    left = line.amount - spent_on_line(line)
    if value > left:
        raise RuleViolation(
            _("%(a)s is more than is left on the line “%(l)s” (%(left)s).") % {"a": value, "l": line, "left": left}
        )
    expenditure = Expenditure.objects.create(
        contract=contract,
        line=line,
        spent_on=spent_on,
        amount=value,
        description=description.strip(),
        receipt=receipt,
        recorded_by=person_of(actor),
        idempotency_key=key,
        request_digest=digest if key else "",
    )
    record(actor, "expenditure.booked", expenditure, after={"line": line.pk, "amount": value})
    return expenditure


def _store(actor: Any, upload: Any, kind: str, **owner: Any) -> Attachment:
    """Check an uploaded file by its content and size, then keep it with its owner."""
    head = upload.read(16)
    upload.seek(0)
    name = getattr(upload, "name", "") or "upload"
    content_type, problem = files.check(name, upload.size, head, kind, settings.GRASSROOTS["ATTACHMENT_MAX_BYTES"])
    if problem is not None:
        raise RuleViolation(render_message(problem.as_data()))
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        kind=kind,
        name=name[:200],
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=person_of(actor),
        **owner,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    record(
        actor,
        "attachment.added",
        attachment,
        after={"kind": kind, "sha256": attachment.sha256, **{k: v.pk for k, v in owner.items()}},
    )
    return attachment


@transaction.atomic
def attach_to_record(actor: Any, item: ServiceRecord, upload: Any, kind: str = Attachment.Kind.PHOTO) -> Attachment:
    """A photo or sign-in sheet as evidence of a service; the agency's staff add it while the contract runs."""
    _require_agency_staff(actor, item.contract)
    if item.contract.state != Contract.State.ACTIVE:
        raise RuleViolation(_("The contract %(n)s is not active.") % {"n": item.contract.number})
    if kind == Attachment.Kind.RECEIPT:
        raise RuleViolation(_("Receipts belong to expenditures, not to service records."))
    return _store(actor, upload, kind, record=item)


@transaction.atomic
def attach_receipt(actor: Any, expenditure: Expenditure, upload: Any) -> Attachment:
    require(
        acts_for(actor, expenditure.contract.agency, Role.MANAGER),
        _("Only a manager of %(org)s books expenditures.") % {"org": expenditure.contract.agency.local_name},
    )
    return _store(actor, upload, Attachment.Kind.RECEIPT, expenditure=expenditure)


# --- imports from Excel and CSV (the reading and checking is in `imports.py`) --------------------------

IMPORT_BATCH = 2000


def insert_rows(model: Any, names: Sequence[str], rows: list[tuple[Any, ...]], *, returning: bool = False) -> list[Any]:
    """Insert checked rows straight into `model`'s table, many per statement; the new keys when `returning`.

    The ORM's bulk_create spends most of a large import building model instances; the values here are
    already checked Python values, so only dates, decimals and JSON need the backend's adaptation. Every
    other column of the table gets its default (or the current time, for `auto_now_add`).
    """
    from django.db import connection
    from django.db.models import DateField, DecimalField, JSONField

    fields = [model._meta.get_field(name) for name in names]
    adapt = {i for i, f in enumerate(fields) if isinstance(f, DateField | DecimalField | JSONField)}
    given = {f.name for f in fields}
    extra = [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in given]
    constants = tuple(
        f.get_db_prep_save(
            timezone.now() if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False) else f.get_default(),
            connection,
        )
        for f in extra
    )
    if adapt or constants:
        rows = [
            tuple(fields[i].get_db_prep_save(v, connection) if i in adapt else v for i, v in enumerate(row)) + constants
            for row in rows
        ]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    width = len(fields) + len(extra)
    columns = ", ".join(quote(f.column) for f in [*fields, *extra])
    one = "(" + ", ".join(["%s"] * width) + ")"
    keys: list[Any] = []
    with connection.cursor() as cursor:
        if not returning:
            for start in range(0, len(rows), IMPORT_BATCH):
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES {one}", rows[start : start + IMPORT_BATCH])
        elif not connection.features.can_return_rows_from_bulk_insert:
            for row in rows:
                cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {one}", row)
                keys.append(cursor.lastrowid)
        else:
            per_statement = max(1, (connection.features.max_query_params or 30000) // width - 1)
            pk = quote(model._meta.pk.column)
            for start in range(0, len(rows), per_statement):
                chunk = rows[start : start + per_statement]
                params = [value for row in chunk for value in row]
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(chunk))} RETURNING {pk}", params
                )
                keys.extend(found[0] for found in cursor.fetchall())
    return keys


def _refuse_inactive(contract: Contract) -> None:
    if contract.state != Contract.State.ACTIVE:
        raise RuleViolation(_("The contract %(n)s is not active.") % {"n": contract.number})


def import_service_records(
    actor: Any, contract: Contract, file: Any, filename: str = "", *, progress: Any = None
) -> int:
    """Import every service record of an .xlsx or CSV file, or none: all row errors are raised together.

    One transaction and one audit event (with the row count and the file's SHA-256) for the whole file.
    `progress(stage, done, total)` is called every few thousand rows. Returns the number of records.
    """
    from . import imports

    _require_agency_staff(actor, contract)
    data = imports.read_bytes(file)
    table = imports.read_table(data, filename)
    with transaction.atomic():
        contract = Contract.objects.select_related("agency").get(pk=contract.pk)
        _refuse_inactive(contract)
        workers = [
            (pk, name, login or "")
            for pk, name, login in social_workers_of(contract.agency).values_list("pk", "name", "user__username")
        ]
        rules = imports.RecordRules(
            contract.starts_on, contract.ends_on, contract.agency.name, workers, today=timezone.localdate()
        )
        checked = imports.check_records(table, rules, progress)
        if checked.errors:
            raise imports.ImportRefused(checked.errors)
        recorder = person_of(actor)
        recorder_pk = recorder.pk if recorder is not None else None
        rows = checked.rows
        names = (
            "contract",
            "kind",
            "held_on",
            "title",
            "beneficiaries",
            "service_hours",
            "volunteers",
            "volunteer_hours",
            "resident_participants",
            "location",
            "notes",
            "recorded_by",
        )
        link = ServiceRecord.social_workers.through
        for start in range(0, len(rows), IMPORT_BATCH):
            batch = rows[start : start + IMPORT_BATCH]
            keys = insert_rows(
                ServiceRecord,
                names,
                [
                    (
                        contract.pk,
                        r.kind,
                        r.held_on,
                        r.title,
                        r.beneficiaries,
                        r.service_hours,
                        r.volunteers,
                        r.volunteer_hours,
                        r.resident_participants,
                        r.location,
                        r.notes,
                        recorder_pk,
                    )
                    for r in batch
                ],
                returning=True,
            )
            insert_rows(
                link,
                ("servicerecord", "person"),
                [(key, worker) for key, r in zip(keys, batch, strict=True) for worker in r.social_workers],
            )
            if progress is not None:
                progress("written", start + len(batch), len(rows))
        record(
            actor,
            "service_records.imported",
            contract,
            after={"count": len(rows), "sha256": table.sha256, "filename": filename},
        )
    return len(rows)


def import_expenditures(actor: Any, contract: Contract, file: Any, filename: str = "", *, progress: Any = None) -> int:
    """Import every expenditure of an .xlsx or CSV file, or none; no line is spent beyond what is left on it,
    counting the rows of the file in their order. One transaction and one audit event. Returns the count."""
    from grassroots.core.money import total

    from . import imports

    require(
        acts_for(actor, contract.agency, Role.MANAGER),
        _("Only a manager of %(org)s books expenditures.") % {"org": contract.agency.local_name},
    )
    data = imports.read_bytes(file)
    table = imports.read_table(data, filename)
    with transaction.atomic():
        contract = Contract.objects.select_related("agency").get(pk=contract.pk)
        _refuse_inactive(contract)
        lines = list(ContractLine.objects.select_for_update().filter(contract=contract).order_by("pk"))
        infos = [
            imports.LineInfo(line.pk, line.head, line.description, line.amount - spent_on_line(line)) for line in lines
        ]
        rules = imports.ExpenditureRules(contract.starts_on, contract.ends_on, infos, today=timezone.localdate())
        checked = imports.check_expenditures(table, rules, progress)
        if checked.errors:
            raise imports.ImportRefused(checked.errors)
        recorder = person_of(actor)
        recorder_pk = recorder.pk if recorder is not None else None
        rows = checked.rows
        names = ("contract", "line", "spent_on", "amount", "description", "receipt", "recorded_by")
        for start in range(0, len(rows), IMPORT_BATCH):
            batch = rows[start : start + IMPORT_BATCH]
            insert_rows(
                Expenditure,
                names,
                [(contract.pk, r.line, r.spent_on, r.amount, r.description, r.receipt, recorder_pk) for r in batch],
            )
            if progress is not None:
                progress("written", start + len(batch), len(rows))
        record(
            actor,
            "expenditures.imported",
            contract,
            after={
                "count": len(rows),
                "total": total([row.amount for row in rows]),
                "sha256": table.sha256,
                "filename": filename,
            },
        )
    return len(rows)
