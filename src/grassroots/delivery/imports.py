"""Import of service records and expenditures from Excel (.xlsx) and CSV files, and their templates.

This module only reads and checks: it turns a file into plain rows (`read_table`), and plain rows plus the
plain facts of a contract (`RecordRules`, `ExpenditureRules`) into checked rows or a list of row errors
(`check_records`, `check_expenditures`). It touches no database; the writing, with its permission check,
transaction and audit event, is `services.import_service_records` and `services.import_expenditures`.

Columns carry Chinese headers; English aliases (and a few common variants) are accepted. CSV files may be
UTF-8 (with or without BOM) or GBK/GB18030, as Chinese Excel saves them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from grassroots.applications.models import ServiceKind
from grassroots.core.errors import RuleViolation, ValidationError
from grassroots.core.money import money

RECORDS = "records"
EXPENDITURES = "expenditures"
KINDS = (RECORDS, EXPENDITURES)

#: Spreadsheet row of the header; the first data row is 2, as Excel numbers them.
HEADER_ROW = 1
MAX_INT = 2147483647
MAX_HOURS = Decimal("999999.99")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Column:
    field: str
    header: str  # the Chinese header the template writes
    aliases: tuple[str, ...]  # English and other accepted spellings
    required: bool
    help: Promise
    example: str


RECORD_COLUMNS: tuple[Column, ...] = (
    Column(
        "held_on",
        "日期",
        ("date", "held_on", "服务日期", "活动日期"),
        True,
        gettext_lazy("Date of the service, within the contract term, e.g. 2025-06-01."),
        "2025-06-01",
    ),
    Column(
        "kind",
        "服务类型",
        ("kind", "type", "类型"),
        True,
        gettext_lazy("个案 (case), 小组 (group) or 社区 (community)."),
        "小组",
    ),
    Column(
        "title",
        "标题",
        ("title", "服务名称", "活动名称", "名称"),
        True,
        gettext_lazy("What the service was, at most 200 characters."),
        "长者健康讲座",
    ),
    Column(
        "social_workers",
        "社工",
        ("social_workers", "social workers", "workers", "服务社工"),
        True,
        gettext_lazy("The agency's social workers who delivered it: names or login names separated by 、 or ;."),
        "张三、李四",
    ),
    Column(
        "beneficiaries",
        "受益人数",
        ("beneficiaries", "服务人数"),
        False,
        gettext_lazy("Number of beneficiaries, a whole number (0 when empty)."),
        "20",
    ),
    Column(
        "service_hours",
        "服务时长",
        ("service_hours", "service hours", "hours"),
        False,
        gettext_lazy("Hours of service, up to two decimal places (0 when empty)."),
        "2",
    ),
    Column(
        "volunteers",
        "志愿者人数",
        ("volunteers", "志愿者"),
        False,
        gettext_lazy("Number of volunteers, a whole number (0 when empty)."),
        "3",
    ),
    Column(
        "volunteer_hours",
        "志愿服务时长",
        ("volunteer_hours", "volunteer hours"),
        False,
        gettext_lazy("Volunteer hours, up to two decimal places (0 when empty)."),
        "6",
    ),
    Column(
        "resident_participants",
        "居民参与人次",
        ("resident_participants", "resident participants", "participants", "居民参与"),
        False,
        gettext_lazy("Resident participations (person-times), a whole number (0 when empty)."),
        "25",
    ),
    Column(
        "location",
        "地点",
        ("location", "place", "服务地点"),
        False,
        gettext_lazy("Where it took place, at most 200 characters."),
        "东湖社区活动室",
    ),
    Column("notes", "备注", ("notes", "remarks"), False, gettext_lazy("Anything else worth noting."), ""),
)

EXPENDITURE_COLUMNS: tuple[Column, ...] = (
    Column(
        "spent_on",
        "日期",
        ("date", "spent_on", "支出日期"),
        True,
        gettext_lazy("Date of the expenditure, within the contract term, e.g. 2025-06-01."),
        "2025-06-01",
    ),
    Column(
        "line",
        "预算科目",
        ("line", "budget line", "head", "科目"),
        True,
        gettext_lazy("The contract's budget line: its description or its head (e.g. activities)."),
        "活动费用",
    ),
    Column(
        "amount",
        "金额",
        ("amount", "支出金额"),
        True,
        gettext_lazy("Amount in yuan, positive, at most two decimal places; never more than is left on the line."),
        "1200.50",
    ),
    Column(
        "description",
        "用途",
        ("description", "purpose", "摘要"),
        True,
        gettext_lazy("What the money was spent on, at most 200 characters."),
        "活动物资",
    ),
    Column(
        "receipt",
        "票据号",
        ("receipt", "receipt number", "票据编号", "发票号"),
        False,
        gettext_lazy("Number of the receipt or invoice, at most 60 characters."),
        "FP20250601001",
    ),
)


def columns_of(kind: str) -> tuple[Column, ...]:
    if kind == RECORDS:
        return RECORD_COLUMNS
    if kind == EXPENDITURES:
        return EXPENDITURE_COLUMNS
    raise ValueError(f"unknown kind of import: {kind!r} (use {' or '.join(KINDS)})")


# --- errors ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int  # spreadsheet row (1 is the header); 0 for the file as a whole
    column: str  # the header as written in the file, or "" for the row as a whole
    message: str

    def __str__(self) -> str:
        if not self.row:
            return self.message
        if not self.column:
            return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}
        return _("Row %(row)s, column “%(column)s”: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class ImportRefused(RuleViolation):
    """The file was refused; `errors` lists every problem found, and nothing was imported."""

    #: The message lists at most this many errors; `errors` holds them all.
    SHOWN = 200

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        count = len(self.errors)
        lines = [
            ngettext(
                "Nothing was imported: the file has %(n)d error.",
                "Nothing was imported: the file has %(n)d errors.",
                count,
            )
            % {"n": count}
        ]
        lines += [str(error) for error in self.errors[: self.SHOWN]]
        if count > self.SHOWN:
            lines.append(_("… and %(n)d more.") % {"n": count - self.SHOWN})
        self.text = "\n".join(lines)
        super().__init__(self.text)

    def __str__(self) -> str:
        return self.text


class _Bad(Exception):
    """A cell that cannot be read; carries the message for its row error."""


# --- reading files -----------------------------------------------------------------------------------


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (spreadsheet row number, cells), empty rows left out
    sha256: str = ""


def read_bytes(file: bytes | IO[bytes] | Any) -> bytes:
    """The content of `file`: bytes, a binary file object or an uploaded file."""
    if isinstance(file, bytes | bytearray | memoryview):
        return bytes(file)
    if hasattr(file, "chunks"):  # Django's UploadedFile
        return b"".join(file.chunks())
    data = file.read()
    if isinstance(data, str):
        raise TypeError("open the file in binary mode")
    return bytes(data)


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _is_blank(cells: Iterable[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Chinese Excel saves CSV in the ANSI code page, GBK; GB18030 is its superset.
    return data.decode("gb18030")


def _read_csv(data: bytes) -> list[list[Any]]:
    try:
        text = _decode(data)
    except UnicodeDecodeError:
        raise ImportRefused(
            [RowError(0, "", _("The CSV file is neither UTF-8 nor GBK text; save it again as CSV (UTF-8)."))]
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _read_xlsx(data: bytes) -> list[list[Any]]:
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        raise ImportRefused([RowError(0, "", _("The file is not a readable Excel workbook (.xlsx)."))]) from None
    with archive:
        try:
            return _read_first_sheet(archive)
        except Exception:  # an unusual workbook (strict OOXML, odd parts): let openpyxl read it
            return _read_xlsx_openpyxl(data)


def _read_xlsx_openpyxl(data: bytes) -> list[list[Any]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise ImportRefused([RowError(0, "", _("The file is not a readable Excel workbook (.xlsx)."))]) from None
    try:
        sheet = book.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _read_first_sheet(archive: Any) -> list[list[Any]]:
    """The cells of the first worksheet, read with the standard library's C XML parser.

    openpyxl reads about 25,000 cells a second; this reads values only (shared strings, inline strings,
    numbers, booleans, and numbers in a date format as datetimes), several times faster.
    """
    from xml.etree import ElementTree

    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
    from openpyxl.utils.cell import column_index_from_string
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    properties = book.find(f"{_MAIN}workbookPr")
    epoch = (
        CALENDAR_MAC_1904
        if properties is not None and properties.get("date1904") in ("1", "true")
        else CALENDAR_WINDOWS_1900
    )
    first = book.find(f"{_MAIN}sheets/{_MAIN}sheet")
    assert first is not None
    relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    target = next(
        r.get("Target", "") for r in relations.iter(f"{_PKG_REL}Relationship") if r.get("Id") == first.get(f"{_REL}id")
    )
    path = target.lstrip("/") if target.startswith("/") else "xl/" + target

    names = set(archive.namelist())
    shared: list[str] = []
    if "xl/sharedStrings.xml" in names:
        for item in ElementTree.fromstring(archive.read("xl/sharedStrings.xml")).iter(f"{_MAIN}si"):
            plain = item.find(f"{_MAIN}t")
            if plain is not None:
                shared.append(plain.text or "")
            else:  # rich text: the runs' texts, without the phonetic guides
                shared.append("".join(t.text or "" for run in item.iter(f"{_MAIN}r") for t in run.iter(f"{_MAIN}t")))
    dated: set[int] = set()
    if "xl/styles.xml" in names:
        styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
        formats = {int(k): v for k, v in BUILTIN_FORMATS.items()}
        for fmt in styles.iter(f"{_MAIN}numFmt"):
            formats[int(fmt.get("numFmtId", "0"))] = fmt.get("formatCode", "")
        xfs = styles.find(f"{_MAIN}cellXfs")
        for index, xf in enumerate(xfs if xfs is not None else []):
            if is_date_format(formats.get(int(xf.get("numFmtId", "0")), "")):
                dated.add(index)

    columns: dict[str, int] = {}
    rows: list[list[Any]] = []
    row_tag, cell_tag, value_tag = f"{_MAIN}row", f"{_MAIN}c", f"{_MAIN}v"
    with archive.open(path) as sheet:
        for _event, element in ElementTree.iterparse(sheet, events=("end",)):
            if element.tag != row_tag:
                continue
            number = int(element.get("r") or len(rows) + 1)
            while len(rows) < number - 1:
                rows.append([])  # rows Excel leaves out are empty
            cells: list[Any] = []
            for cell in element.iter(cell_tag):
                ref = cell.get("r")
                if ref:
                    letters = ref.rstrip("0123456789")
                    position = columns.get(letters)
                    if position is None:
                        position = columns[letters] = column_index_from_string(letters) - 1
                    if position > len(cells):
                        cells.extend([None] * (position - len(cells)))
                kind = cell.get("t", "n")
                found = cell.find(value_tag)
                raw = found.text if found is not None else None
                value: Any
                if kind == "inlineStr":
                    value = "".join(t.text or "" for t in cell.iter(f"{_MAIN}t"))
                elif raw is None:
                    value = None
                elif kind == "s":
                    value = shared[int(raw)]
                elif kind in ("str", "e"):
                    value = raw
                elif kind == "b":
                    value = raw == "1"
                elif kind == "d":
                    value = datetime.fromisoformat(raw)
                else:
                    value = float(raw) if any(c in raw for c in ".eE") else int(raw)
                    if int(cell.get("s", "0")) in dated:
                        value = from_excel(value, epoch)
                cells.append(value)
            rows.append(cells)
            element.clear()
    return rows


def read_table(data: bytes, filename: str = "") -> Table:
    """Read an .xlsx or .csv file into a header and non-empty rows numbered as in the spreadsheet."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")) or (not name.endswith((".csv", ".txt")) and data.startswith(b"PK\x03\x04")):
        raw = _read_xlsx(data)
    elif name.endswith((".csv", ".txt")) or not name or "." not in name.rsplit("/", 1)[-1]:
        raw = _read_csv(data)
    else:
        raise ImportRefused(
            [RowError(0, "", _("Only Excel workbooks (.xlsx) and CSV files can be imported: %(f)s") % {"f": filename})]
        )
    header_cells = raw[0] if raw else []
    headers = ["" if cell is None else str(cell).strip() for cell in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    rows = [(number, cells) for number, cells in enumerate(raw[1:], start=HEADER_ROW + 1) if not _is_blank(cells)]
    return Table(headers, rows, file_hash(data))


_HEADER_NOISE = re.compile(r"[（(][^)）]*[)）]|[\s_\-*：:]+")


def _key(header: str) -> str:
    return _HEADER_NOISE.sub("", header).lower()


def map_columns(headers: Sequence[str], columns: Sequence[Column]) -> tuple[dict[str, int], list[RowError]]:
    """Which position holds each field; errors for unknown, repeated and missing required columns."""
    by_key: dict[str, Column] = {}
    for column in columns:
        for spelling in (column.header, column.field, *column.aliases):
            by_key[_key(spelling)] = column
    positions: dict[str, int] = {}
    errors: list[RowError] = []
    for index, header in enumerate(headers):
        if not header:
            continue
        found = by_key.get(_key(header))
        if found is None:
            errors.append(
                RowError(
                    HEADER_ROW,
                    header,
                    _("Unknown column; the columns are: %(c)s.") % {"c": "、".join(c.header for c in columns)},
                )
            )
        elif found.field in positions:
            errors.append(RowError(HEADER_ROW, header, _("This column appears twice.")))
        else:
            positions[found.field] = index
    for column in columns:
        if column.required and column.field not in positions:
            errors.append(RowError(HEADER_ROW, column.header, _("This column is missing.")))
    return positions, errors


# --- reading cells -----------------------------------------------------------------------------------


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    return str(value).strip()


def _limited(value: Any, limit: int) -> str:
    result = text(value)
    if len(result) > limit:
        raise _Bad(_("At most %(n)d characters (this one has %(m)d).") % {"n": limit, "m": len(result)})
    return result


_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2958466:
        return _EXCEL_EPOCH + timedelta(days=int(value))  # an Excel serial day number
    raw = text(value)
    if not raw:
        raise _Bad(_("A date is needed."))
    found = _DATE.match(raw)
    if found is None and re.fullmatch(r"\d{8}", raw):
        found = re.match(r"(\d{4})(\d{2})(\d{2})", raw)
    if found is not None:
        try:
            return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
        except ValueError:
            pass
    raise _Bad(_("“%(v)s” is not a date; write it as 2025-06-01.") % {"v": raw})


def _decimal(value: Any) -> Decimal:
    """A decimal from a cell; a float from Excel is taken at its shortest representation, to the cent if close."""
    if isinstance(value, float):
        exact = Decimal(repr(value))
        rounded = exact.quantize(CENT)
        return rounded if abs(exact - rounded) < Decimal("0.000001") else exact
    return Decimal(text(value).replace(",", ""))


def parse_count(value: Any) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    if isinstance(value, bool):
        raise _Bad(_("“%(v)s” is not a whole number.") % {"v": value})
    if isinstance(value, int):
        number = Decimal(value)
    else:
        try:
            number = _decimal(value)
        except (InvalidOperation, ValueError):
            raise _Bad(_("“%(v)s” is not a whole number.") % {"v": text(value)}) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise _Bad(_("“%(v)s” is not a whole number.") % {"v": text(value)})
    if number < 0:
        raise _Bad(_("It cannot be negative."))
    if number > MAX_INT:
        raise _Bad(_("The number %(v)s is too large.") % {"v": text(value)})
    return int(number)


def parse_hours(value: Any) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal("0.00")
    if isinstance(value, bool):
        raise _Bad(_("“%(v)s” is not a number.") % {"v": value})
    try:
        number = Decimal(value) if isinstance(value, int) else _decimal(value)
    except (InvalidOperation, ValueError):
        raise _Bad(_("“%(v)s” is not a number.") % {"v": text(value)}) from None
    if not number.is_finite():
        raise _Bad(_("“%(v)s” is not a number.") % {"v": text(value)})
    if number < 0:
        raise _Bad(_("It cannot be negative."))
    if number > MAX_HOURS:
        raise _Bad(_("The number %(v)s is too large.") % {"v": text(value)})
    if number != number.quantize(CENT):
        raise _Bad(_("At most two decimal places: %(v)s") % {"v": text(value)})
    return number.quantize(CENT)


def parse_amount(value: Any) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _Bad(_("An amount is needed."))
    try:
        amount = money(_decimal(value) if isinstance(value, float) else value)
    except ValidationError as exc:
        raise _Bad(" ".join(exc.messages)) from None
    if amount <= 0:
        raise _Bad(_("An expenditure needs a positive amount."))
    return amount


_KINDS: dict[str, str] = {
    "个案": ServiceKind.CASE,
    "个案工作": ServiceKind.CASE,
    "个案服务": ServiceKind.CASE,
    "case": ServiceKind.CASE,
    "casework": ServiceKind.CASE,
    "小组": ServiceKind.GROUP,
    "小组工作": ServiceKind.GROUP,
    "小组活动": ServiceKind.GROUP,
    "group": ServiceKind.GROUP,
    "groupwork": ServiceKind.GROUP,
    "社区": ServiceKind.COMMUNITY,
    "社区活动": ServiceKind.COMMUNITY,
    "社区工作": ServiceKind.COMMUNITY,
    "community": ServiceKind.COMMUNITY,
    "communityactivity": ServiceKind.COMMUNITY,
    "communitywork": ServiceKind.COMMUNITY,
}


def parse_kind(value: Any) -> str:
    raw = text(value)
    found = _KINDS.get(re.sub(r"\s+", "", raw).lower())
    if found is None:
        raise _Bad(_("“%(v)s” is not a kind of service; write 个案, 小组 or 社区.") % {"v": raw})
    return str(found)


_SEPARATORS = re.compile(r"[、;；,，/\n]+")


# --- checking rows -----------------------------------------------------------------------------------


@dataclass
class RecordRules:
    """What a service record must respect, as plain data (read from the contract by the service)."""

    starts_on: date
    ends_on: date
    agency: str
    #: The agency's current social workers: (person id, name, login name or "").
    workers: Sequence[tuple[int, str, str]]
    #: No row may be dated after this day (None: no such check).
    today: date | None = None


@dataclass(slots=True)
class RecordRow:
    row: int
    kind: str
    held_on: date
    title: str
    social_workers: list[int]
    beneficiaries: int
    service_hours: Decimal
    volunteers: int
    volunteer_hours: Decimal
    resident_participants: int
    location: str
    notes: str


@dataclass
class LineInfo:
    pk: int
    head: str
    description: str
    left: Decimal  # the line's amount less what is already spent on it


@dataclass
class ExpenditureRules:
    starts_on: date
    ends_on: date
    lines: Sequence[LineInfo]
    today: date | None = None


@dataclass(slots=True)
class ExpenditureRow:
    row: int
    spent_on: date
    line: int
    amount: Decimal
    description: str
    receipt: str


@dataclass
class Checked:
    rows: list[Any] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


Progress = Callable[[str, int, int], None]
PROGRESS_EVERY = 10000


def _term_check(day: date, starts_on: date, ends_on: date, today: date | None = None) -> None:
    """A day within the contract's term, and not yet to come (what is recorded has happened)."""
    if not starts_on <= day <= ends_on:
        raise _Bad(_("%(d)s lies outside the contract term %(s)s to %(e)s.") % {"d": day, "s": starts_on, "e": ends_on})
    if today is not None and day > today:
        raise _Bad(_("%(d)s is still to come: record what has happened.") % {"d": day})


class _Row:
    """Reads the cells of one row, collecting an error per bad cell instead of stopping at the first."""

    __slots__ = ("cells", "errors", "headers", "number", "ok", "positions")

    def __init__(
        self, number: int, cells: list[Any], positions: dict[str, int], headers: list[str], errors: list[RowError]
    ) -> None:
        self.number, self.cells, self.positions, self.headers, self.errors = number, cells, positions, headers, errors
        self.ok = True

    def raw(self, name: str) -> Any:
        index = self.positions.get(name)
        if index is None or index >= len(self.cells):
            return None
        value = self.cells[index]
        return value.strip() if isinstance(value, str) else value

    def get(self, name: str, parse: Callable[[Any], Any], default: Any = None) -> Any:
        try:
            return parse(self.raw(name))
        except _Bad as exc:
            self.fail(name, str(exc))
            return default

    def fail(self, name: str, message: str) -> None:
        index = self.positions.get(name)
        self.errors.append(RowError(self.number, self.headers[index] if index is not None else "", message))
        self.ok = False


def _no_rows(table: Table, errors: list[RowError]) -> None:
    if not table.rows and not errors:
        errors.append(RowError(0, "", _("The file holds no rows to import.")))


def _required_text(limit: int, missing: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        result = _limited(value, limit)
        if not result:
            raise _Bad(missing)
        return result

    return parse


def check_records(table: Table, rules: RecordRules, progress: Progress | None = None) -> Checked:
    """Check every row of a service-record file against the rules; all errors are collected."""
    positions, errors = map_columns(table.headers, RECORD_COLUMNS)
    result = Checked(errors=errors)
    if errors:
        return result
    _no_rows(table, errors)
    by_login = {login.lower(): pk for pk, _name, login in rules.workers if login}
    by_name: dict[str, list[int]] = {}
    for pk, name, _login in rules.workers:
        by_name.setdefault(name.strip(), []).append(pk)
    cache: dict[str, list[int] | str] = {}  # the cell text → ids, or the error message

    def workers(value: Any) -> list[int]:
        raw = text(value)
        known = cache.get(raw)
        if known is None:
            known = _resolve_workers(raw, by_login, by_name, rules.agency)
            cache[raw] = known
        if isinstance(known, str):
            raise _Bad(known)
        return known

    def held_on(value: Any) -> date:
        day = parse_date(value)
        _term_check(day, rules.starts_on, rules.ends_on, rules.today)
        return day

    title = _required_text(200, _("A service record needs a title."))
    location = _limited_parser(200)
    total = len(table.rows)
    for done, (number, cells) in enumerate(table.rows, start=1):
        row = _Row(number, cells, positions, table.headers, errors)
        item = RecordRow(
            number,
            row.get("kind", parse_kind, ""),
            row.get("held_on", held_on),
            row.get("title", title, ""),
            row.get("social_workers", workers, []),
            row.get("beneficiaries", parse_count, 0),
            row.get("service_hours", parse_hours),
            row.get("volunteers", parse_count, 0),
            row.get("volunteer_hours", parse_hours),
            row.get("resident_participants", parse_count, 0),
            row.get("location", location, ""),
            text(row.raw("notes")),
        )
        if row.ok:
            result.rows.append(item)
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
            progress("checked", done, total)
    return result


def _limited_parser(limit: int) -> Callable[[Any], str]:
    return lambda value: _limited(value, limit)


def _resolve_workers(raw: str, by_login: dict[str, int], by_name: dict[str, list[int]], agency: str) -> list[int] | str:
    names = [part.strip() for part in _SEPARATORS.split(raw) if part.strip()]
    if not names:
        return _("Name the agency's social workers who delivered the service.")
    found: list[int] = []
    for name in names:
        pk = by_login.get(name.lower())
        if pk is None:
            matches = by_name.get(name, [])
            if len(matches) > 1:
                return _("%(n)s names more than one social worker of %(org)s; write the login name instead.") % {
                    "n": name,
                    "org": agency,
                }
            if not matches:
                return _("%(n)s is not a social worker of %(org)s.") % {"n": name, "org": agency}
            pk = matches[0]
        if pk not in found:
            found.append(pk)
    return found


def check_expenditures(table: Table, rules: ExpenditureRules, progress: Progress | None = None) -> Checked:
    """Check every row of an expenditure file; the rows spend each line in file order, never beyond it."""
    positions, errors = map_columns(table.headers, EXPENDITURE_COLUMNS)
    result = Checked(errors=errors)
    if errors:
        return result
    _no_rows(table, errors)
    keys: dict[str, list[LineInfo]] = {}
    for line in rules.lines:
        for key in {line.description.strip().lower(), line.head.strip().lower()}:
            if key:
                keys.setdefault(key, []).append(line)
    left = {line.pk: line.left for line in rules.lines}
    names = "、".join(line.description for line in rules.lines)

    def budget_line(value: Any) -> LineInfo:
        raw = text(value)
        if not raw:
            raise _Bad(_("Name the budget line."))
        matches = keys.get(raw.lower(), [])
        if len(matches) != 1:
            raise _Bad(
                _("“%(v)s” is not a budget line of the contract; the lines are: %(l)s.") % {"v": raw, "l": names}
            )
        return matches[0]

    def spent_on(value: Any) -> date:
        day = parse_date(value)
        _term_check(day, rules.starts_on, rules.ends_on, rules.today)
        return day

    description = _required_text(200, _("Say what the money was spent on."))
    receipt = _limited_parser(60)
    total = len(table.rows)
    for done, (number, cells) in enumerate(table.rows, start=1):
        row = _Row(number, cells, positions, table.headers, errors)
        day = row.get("spent_on", spent_on)
        line = row.get("line", budget_line)
        amount = row.get("amount", parse_amount)
        what = row.get("description", description, "")
        note = row.get("receipt", receipt, "")
        if line is not None and amount is not None:
            if amount > left[line.pk]:
                row.fail(
                    "amount",
                    _("%(a)s is more than is left on the line “%(l)s” (%(left)s).")
                    % {"a": amount, "l": line.description, "left": left[line.pk]},
                )
            else:
                left[line.pk] -= amount
        if row.ok:
            result.rows.append(ExpenditureRow(number, day, line.pk, amount, what, note))
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
            progress("checked", done, total)
    return result


# --- templates ---------------------------------------------------------------------------------------


def example_row(kind: str, example: dict[str, str] | None = None) -> list[str]:
    """The template's example row; `example` overrides cells by field (a real date, worker or line)."""
    given = example or {}
    return [given.get(column.field, column.example) for column in columns_of(kind)]


def template_csv(kind: str, example: dict[str, str] | None = None) -> bytes:
    """A CSV template (UTF-8 with BOM, so Excel opens it right): the headers and an example row."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.header for column in columns_of(kind)])
    writer.writerow(example_row(kind, example))
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def template_workbook(kind: str, example: dict[str, str] | None = None) -> bytes:
    """An .xlsx template: the headers and an example row, and a second sheet explaining each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    columns = columns_of(kind)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "服务记录" if kind == RECORDS else "支出"
    sheet.append([column.header for column in columns])
    sheet.append(example_row(kind, example))
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        sheet.cell(row=2, column=index).number_format = "@"  # text, so dates and numbers stay as typed
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = max(12, 2 * len(column.header) + 4)
    sheet.freeze_panes = "A2"

    notes = book.create_sheet(_("Instructions")[:31])
    notes.append([_("Column"), _("English alias"), _("Required"), _("Explanation"), _("Example")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in columns:
        notes.append(
            [column.header, column.field, _("yes") if column.required else _("no"), str(column.help), column.example]
        )
    notes.append([])
    notes.append(
        [
            _(
                "Fill one row per item on the first sheet, from row 2 (the example row may be overwritten). "
                "If any row is wrong, nothing is imported and every error is listed with its row and column."
            )
        ]
    )
    for letter, width in zip("ABCDE", (14, 22, 10, 70, 20), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2, max_col=4):
        row[3].alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
