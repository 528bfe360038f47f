"""Lists: one declared table over what a user may see, with filters, a search box, sorting, pagination and
downloads of the filtered table (CSV for any spreadsheet, .xlsx for Excel).

A `Table` names its columns (label, the value shown, the value downloaded, how to sort), its filters
and the fields its search box looks in. Its rows always come from a queryset that an app's selector has
already narrowed to what the user may see (`visible_to` and friends): filters and search only narrow it
further, and the choices a filter offers are read from those visible rows, so no list ever shows, or hints
at, what the user may not see.

    page = table.page(request)        # the HTML page's rows, filters, page links and download links
    table.download(request, "csv")    # the whole filtered table, not just the page
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import formats, timezone
from django.utils.functional import Promise

from grassroots.core import keys
from grassroots.core.money import format_cny, sum_of

PER_PAGE = 25

#: Column kinds: how a value is shown, aligned and written to a spreadsheet.
TEXT, MONEY, DATE, NUMBER, BADGE = "text", "money", "date", "number", "badge"

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


# --- how values look --------------------------------------------------------------------------------


def show_date(value: date | datetime | None) -> str:
    """A date as the reader's language writes it: 2026年11月25日, 25 Nov 2026."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return formats.date_format(value, "DATE_FORMAT")


def show_number(value: int | Decimal | float | None) -> str:
    """A count or a measure grouped by thousands: 12,345 · 1,234.5."""
    if value is None:
        return "—"
    if isinstance(value, Decimal):  # 2.00 → 2, 1.50 → 1.5: a measure, not an amount of money
        value = int(value) if value == value.to_integral_value() else value.normalize()
    return formats.number_format(value, use_l10n=True, force_grouping=True)


# --- declaring a table --------------------------------------------------------------------------------


Getter = Callable[[Any], Any]


@dataclass(frozen=True)
class Column:
    """One column: `value(row)` is what the page shows (a badge's value is `(css class, label)`).

    `export(row)` is what a download writes (by default the value; a badge's label), `link(row)` makes the
    cell a link and `ref(row)` adds a reference line under it. `sort` is the ORM expression the column
    sorts by (None: not sortable). A column with `shown=False` appears in downloads only; one with
    `downloaded=False` only on the page.
    """

    key: str
    label: str | Promise
    value: Getter
    kind: str = TEXT
    export: Getter | None = None
    link: Callable[[Any], str | None] | None = None
    ref: Getter | None = None
    sort: str | None = None
    width: int = 14  # characters, in the .xlsx
    shown: bool = True
    downloaded: bool = True

    @property
    def numeric(self) -> bool:
        return self.kind in (MONEY, NUMBER)

    def cell(self, row: Any) -> Cell:
        value = self.value(row)
        if self.kind == BADGE:
            css, text = value if value else ("", "—")
            return Cell(str(text), css=str(css), badge=True, href=self.link(row) if self.link else None)
        if self.kind == MONEY:
            text = format_cny(value)
        elif self.kind == DATE:
            text = show_date(value)
        elif self.kind == NUMBER:
            text = show_number(value)
        else:
            text = "—" if value in (None, "") else str(value)
        return Cell(
            text,
            href=self.link(row) if self.link else None,
            ref=str(self.ref(row) or "") if self.ref else "",
            numeric=self.numeric,
            nowrap=self.kind == DATE,
        )

    def exported(self, row: Any) -> Any:
        """The cell as a spreadsheet holds it: numbers as numbers, dates as dates, labels as text."""
        if self.export is not None:
            return self.export(row)
        value = self.value(row)
        if self.kind == BADGE:
            return str(value[1]) if value else ""
        if isinstance(value, datetime):
            return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
        if isinstance(value, Promise):
            return str(value)
        return value


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None
    ref: str = ""
    css: str = ""
    badge: bool = False
    numeric: bool = False
    nowrap: bool = False


Options = Callable[[QuerySet[Any]], Sequence[tuple[str, str]]]


@dataclass(frozen=True)
class Filter:
    """A select of choices (`lookup` = the chosen value), or a date range (`lookup__gte` / `__lte`).

    `options(visible)` lists the (value, label) choices from the visible rows. `clean(text)` turns the
    query-string value into what the lookup takes, or None to ignore it. A filter over a many-to-many
    relation (`through_pk=True`) narrows by primary key, so no row is listed twice and no sum doubles.
    """

    name: str
    label: str | Promise
    lookup: str
    options: Options | None = None
    clean: Callable[[str], Any] = str
    dates: bool = False
    through_pk: bool = False

    @property
    def params(self) -> tuple[str, ...]:
        return (f"{self.name}_from", f"{self.name}_to") if self.dates else (self.name,)

    def apply(self, rows: QuerySet[Any], query: QueryDict) -> tuple[QuerySet[Any], bool]:
        """`rows` narrowed by what the query string chose; whether it chose anything valid."""
        if self.dates:
            start, end = _day(query.get(self.params[0], "")), _day(query.get(self.params[1], ""))
            if start is not None:
                rows = rows.filter(**{f"{self.lookup}__gte": start})
            if end is not None:
                rows = rows.filter(**{f"{self.lookup}__lte": end})
            return rows, start is not None or end is not None
        text = query.get(self.name, "").strip()
        if not text:
            return rows, False
        try:
            value = self.clean(text)
        except (TypeError, ValueError):
            return rows, False
        if value is None:
            return rows, False
        if self.through_pk:
            return rows.filter(pk__in=rows.model._default_manager.filter(**{self.lookup: value}).values("pk")), True
        return rows.filter(**{self.lookup: value}), True


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def number(text: str) -> int | None:
    """A primary key or a fiscal year from the query string (anything else is ignored)."""
    return keys.key(text)


def calendar_year(text: str) -> int | None:
    """A year of dates (a `__year` lookup) from the query string: one the calendar has, else ignored."""
    value = keys.key(text)
    return value if value is not None and value <= 9999 else None


def choices_of(choices: Iterable[tuple[str, Any]]) -> tuple[Options, Callable[[str], str | None]]:
    """A filter over a field's `TextChoices`: the options and the check that a value is one of them."""
    listed = [(str(value), label) for value, label in choices]
    known = {value for value, _label in listed}
    return (lambda rows: [(v, str(label)) for v, label in listed]), (lambda text: text if text in known else None)


def related_options(
    path: str,
    model: type[Model],
    label: Callable[[Any], str],
    order: Sequence[str] = ("pk",),
    related: Sequence[str] = (),
) -> Options:
    """The related objects at `path` (a foreign key or many-to-many) of the visible rows, as choices;
    `related` is what `label` reads of each."""

    def options(rows: QuerySet[Any]) -> list[tuple[str, str]]:
        ids = rows.order_by().values(path)
        found = model._default_manager.filter(pk__in=ids).select_related(*related).order_by(*order)
        return [(str(obj.pk), label(obj)) for obj in found]

    return options


def year_options(path: str) -> Options:
    """The distinct years at `path` (an integer year, or `<date field>__year`) of the visible rows, latest first."""

    def options(rows: QuerySet[Any]) -> list[tuple[str, str]]:
        years = {y for y in rows.order_by().values_list(path, flat=True).distinct() if y is not None}
        return [(str(y), str(y)) for y in sorted(years, reverse=True)]

    return options


#: Up to this many visible rows, their keys are read once and the page's queries (count, page, the filters'
#: choices, the total) select by key; beyond it they repeat the visibility rule as a subquery.
KEYS_AT_ONCE = 2000


@dataclass(frozen=True)
class Table:
    """A list page: its rows, columns, filters and search.

    `visible(user)` is an app's visibility rule (a queryset of what the user may see); `shape(rows)` adds
    what the columns read (select_related, annotations) to rows of that model.
    """

    slug: str  # the download's file name
    title: str | Promise
    visible: Callable[[Any], QuerySet[Any]]
    columns: Sequence[Column]
    shape: Callable[[QuerySet[Any]], QuerySet[Any]] = lambda rows: rows
    filters: Sequence[Filter] = ()
    search: Sequence[str] = ()  # fields the search box looks in (icontains)
    order: Sequence[str] = ("-pk",)  # the default order
    total: str | None = None  # a money field whose sum over the filtered rows the page shows
    per_page: int = PER_PAGE

    # -- narrowing ------------------------------------------------------------------------------------

    def _sorted(self, rows: QuerySet[Any], query: QueryDict) -> tuple[QuerySet[Any], str]:
        wanted = query.get("sort", "")
        key = wanted.removeprefix("-")
        column = next((c for c in self.columns if c.key == key and c.sort), None)
        if column is None or column.sort is None:
            return rows.order_by(*self.order, "-pk"), ""
        descending = wanted.startswith("-")
        return rows.order_by(f"-{column.sort}" if descending else column.sort, "-pk"), wanted

    def _searched(self, rows: QuerySet[Any], text: str) -> QuerySet[Any]:
        for term in text.split()[:8]:
            condition = Q()
            for path in self.search:
                condition |= Q(**{f"{path}__icontains": term})
            rows = rows.filter(condition)
        return rows

    def rows(self, user: Any) -> QuerySet[Any]:
        """What `user` may see, shaped for the columns. Building a visibility rule into SQL costs more than
        running it, and a page runs several queries over the same rows: so the rule runs once."""
        rule = self.visible(user)
        keys = list(rule.order_by().values_list("pk", flat=True)[: KEYS_AT_ONCE + 1])
        chosen = keys if len(keys) <= KEYS_AT_ONCE else rule.values("pk")
        return self.shape(rule.model._default_manager.filter(pk__in=chosen))

    def narrowed(self, user: Any, query: QueryDict) -> tuple[QuerySet[Any], QuerySet[Any], str, bool]:
        """(visible rows, rows after filters and search in order, the sort key applied, whether narrowed)."""
        visible = self.rows(user)
        rows, narrowed = visible, False
        for f in self.filters:
            rows, chose = f.apply(rows, query)
            narrowed |= chose
        text = query.get("q", "").strip()
        if text and self.search:
            rows, narrowed = self._searched(rows, text), True
        rows, sort = self._sorted(rows, query)
        return visible, rows, sort, narrowed

    # -- the page ---------------------------------------------------------------------------------------

    def page(self, request: HttpRequest) -> ListPage:
        query = request.GET
        visible, rows, sort, narrowed = self.narrowed(request.user, query)
        paginator = Paginator(rows, self.per_page)
        page = paginator.get_page(query.get("page"))
        shown = [c for c in self.columns if c.shown]
        controls = [
            FilterControl(
                f,
                [(v, label, v == query.get(f.name, "")) for v, label in (f.options(visible) if f.options else [])],
                query.get(f.params[0], ""),
                query.get(f.params[1], "") if f.dates else "",
            )
            for f in self.filters
        ]
        total = None
        if self.total is not None:
            total = sum_of(rows.order_by(), self.total)
        return ListPage(
            table=self,
            headers=[Header(c, _sort_link(query, c, sort)) for c in shown],
            rows=[[c.cell(row) for c in shown] for row in page.object_list],
            page=page,
            links=page_links(query, page),
            filters=controls,
            search=query.get("q", ""),
            sort=sort,
            narrowed=narrowed,
            total=total,
            downloads={kind: _with(query, format=kind, page=None) for kind in ("csv", "xlsx")},
            clear=_with(QueryDict(), sort=sort or None),
        )

    # -- downloads -----------------------------------------------------------------------------------

    def download(self, request: HttpRequest, kind: str) -> HttpResponse:
        """The whole filtered table (every page) as CSV or .xlsx, in the order of the page."""
        _visible, rows, _sort, _narrowed = self.narrowed(request.user, request.GET)
        columns = [c for c in self.columns if c.downloaded]
        stamp = timezone.localdate().strftime("%Y%m%d")
        if kind == "xlsx":
            response = HttpResponse(to_xlsx(str(self.title), columns, _each(rows)), content_type=XLSX_TYPE)
        else:
            response = HttpResponse(to_csv(columns, _each(rows)), content_type=CSV_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{self.slug}-{stamp}.{kind}"'
        return response


def _each(rows: QuerySet[Any]) -> Iterator[Any]:
    """The rows in chunks (a download may be long); prefetches are made per chunk."""
    return rows.iterator(chunk_size=2000)


@dataclass(frozen=True)
class Header:
    column: Column
    sort: SortLink | None


@dataclass(frozen=True)
class SortLink:
    href: str
    state: str  # "ascending", "descending" or "none" (aria-sort)


@dataclass(frozen=True)
class FilterControl:
    filter: Filter
    options: list[tuple[str, str, bool]]  # (value, label, selected)
    value: str  # the date range's start (a select's value is in `options`)
    end: str = ""


@dataclass(frozen=True)
class PageLink:
    number: int | None  # None: a gap (…)
    href: str = ""
    current: bool = False


@dataclass
class ListPage:
    table: Table
    headers: list[Header]
    rows: list[list[Cell]]
    page: Page[Any]
    links: list[PageLink]
    filters: list[FilterControl]
    search: str
    sort: str
    narrowed: bool
    total: Decimal | None
    downloads: dict[str, str]
    clear: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def previous(self) -> str | None:
        return _page_href(self, self.page.previous_page_number()) if self.page.has_previous() else None

    @property
    def next(self) -> str | None:
        return _page_href(self, self.page.next_page_number()) if self.page.has_next() else None


def _page_href(listing: ListPage, number: int) -> str:
    return next((link.href for link in listing.links if link.number == number), "")


def _with(query: QueryDict, **changes: Any) -> str:
    """The query string with `changes` (None removes a key), as `?…` (or "?" when empty)."""
    params = query.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


def _sort_link(query: QueryDict, column: Column, sort: str) -> SortLink | None:
    if not column.sort:
        return None
    if sort == column.key:
        return SortLink(_with(query, sort=f"-{column.key}", page=None), "ascending")
    if sort == f"-{column.key}":
        return SortLink(_with(query, sort=column.key, page=None), "descending")
    return SortLink(_with(query, sort=column.key, page=None), "none")


def page_links(query: QueryDict, page: Page[Any], around: int = 2) -> list[PageLink]:
    """The first and last page, the pages around this one, and gaps between them."""
    last = page.paginator.num_pages
    if last <= 1:
        return []
    wanted = {1, last, *range(max(1, page.number - around), min(last, page.number + around) + 1)}
    links: list[PageLink] = []
    previous = 0
    for number in sorted(wanted):
        if number > previous + 1:
            links.append(PageLink(None))
        links.append(PageLink(number, _with(query, page=number), number == page.number))
        previous = number
    return links


# --- writing spreadsheets ---------------------------------------------------------------------------


#: What a spreadsheet would take for the start of a formula in a text cell (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str | Promise):
        text = str(value)
        # typed text (a title, a description) must never run as a formula when the file is opened
        return f"'{text}" if text.startswith(FORMULA_START) else text
    return str(value)


def to_csv(columns: Sequence[Column], rows: Iterable[Any]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens Chinese text correctly; amounts without ¥ or
    thousands separators and dates as YYYY-MM-DD, so that spreadsheets read them as numbers and dates."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(c.label) for c in columns])
    for row in rows:
        writer.writerow([_plain(c.exported(row)) for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
SHEET_TITLE_BAD = str.maketrans({c: " " for c in "[]:*?/\\"})


def to_xlsx(title: str, columns: Sequence[Column], rows: Iterable[Any]) -> bytes:
    """An Excel workbook: a bold, frozen header row with filters, set column widths, amounts as numbers
    in the money format and dates as dates (written row by row, so a long table stays small in memory)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title.translate(SHEET_TITLE_BAD)[:31] or "Sheet1")
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=str(column.label))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        cells: list[Any] = []
        for column in columns:
            value = column.exported(row)
            if isinstance(value, Promise):
                value = str(value)
            if column.kind == MONEY and value is not None:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = MONEY_FORMAT
                cells.append(cell)
            elif isinstance(value, date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = DATE_FORMAT
                cells.append(cell)
            elif isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # typed text, never a formula
                cells.append(cell)
            else:
                cells.append(value)  # plain values need no cell object (much faster)
        sheet.append(cells)
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(1, len(columns)))}{count + 1}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
