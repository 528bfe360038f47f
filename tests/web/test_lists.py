"""The list pages: what each role sees, filters, search, sorting, pages, the CSV and .xlsx downloads, the
navigation to them, and dates and numbers in each language."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import NoReverseMatch, reverse
from openpyxl import load_workbook

from grassroots.contracts.models import Contract, ContractLine
from grassroots.delivery import services as delivery_services
from grassroots.funding.models import Call
from grassroots.orgs.models import Organization, Person
from grassroots.web import lists

from .conftest import WebWorld

pytestmark = pytest.mark.django_db

LISTS = [
    "call-list",
    "application-list",
    "contract-list",
    "payment-list",
    "record-list",
    "expenditure-list",
    "evaluation-list",
]


def get(client: Client, name: str, status: int = 200, language: str = "zh-hans", **params: Any) -> Any:
    response = client.get(reverse(name), params, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == status, (name, params, response.status_code)
    return response


def html(client: Client, name: str, **params: Any) -> str:
    return get(client, name, **params).content.decode()


def count(page: str) -> int:
    found = re.search(r'data-count="(\d+)"', page)
    assert found, "the page says how many rows it lists"
    return int(found.group(1))


def body_rows(page: str) -> list[str]:
    tbody = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    return re.findall(r"<tr>(.*?)</tr>", tbody, flags=re.S)


def csv_rows(response: Any) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff"), "a byte-order mark, so that Excel reads UTF-8"
    return list(csv.reader(io.StringIO(text[1:])))


def add_records(web: WebWorld, n: int, start: date = date(2025, 6, 1)) -> None:
    contract = Contract.objects.get(pk=web.pk["contract"])
    worker = Person.objects.get(user__username=web.users["sw_a"])
    for i in range(n):
        delivery_services.record_service(
            worker.user,
            contract,
            kind="case" if i % 2 else "group",
            held_on=date(start.year, start.month, 1 + i % 28),
            title=f"个案跟进 {i:02d}",
            social_workers=[worker],
            beneficiaries=1000 + i,
            service_hours="1.5",
        )


def add_expenditure(web: WebWorld, head: str = "activities", amount: str = "1234.50") -> None:
    contract = Contract.objects.get(pk=web.pk["contract"])
    line = ContractLine.objects.get(contract=contract, head=head)
    delivery_services.record_expenditure(
        web.user("mgr_a"),
        contract,
        line=line,
        spent_on=date(2025, 5, 20),
        amount=amount,
        description="活动物资采购",
        receipt="FP-0001",
    )


# --- every list answers its roles, and nobody who is not logged in ----------------------------------


@pytest.mark.parametrize("name", LISTS)
def test_each_list_renders_with_filters_and_downloads(web: WebWorld, name: str) -> None:
    page = html(web.client_for("staff"), name)
    assert page.count("<h1>") == 1
    assert 'role="search"' in page and '<label for="f-' in page
    assert "format=csv" in page and "format=xlsx" in page
    assert f'href="{reverse(name)}" data-nav="{name}" aria-current="page"' in page


@pytest.mark.parametrize("name", LISTS)
def test_lists_need_a_login_and_only_answer_reading(web: WebWorld, name: str) -> None:
    response = Client().get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert web.client_for("staff").post(reverse(name)).status_code == 405


# --- visibility: a list never shows what its reader may not see ------------------------------------


def test_calls_show_drafts_only_to_the_offices(web: WebWorld) -> None:
    for who in ("street", "dept", "staff"):
        assert web.text["draft_call"] in html(web.client_for(who), "call-list")
    for who in ("mgr_a", "mgr_b", "cw1", "resident", "expert"):
        page = html(web.client_for(who), "call-list")
        assert web.text["draft_call"] not in page and web.text["open_call"] in page
        assert count(page) == 2


def test_application_counts_only_for_the_calls_offices(web: WebWorld) -> None:
    rows = csv_rows(get(web.client_for("street"), "call-list", format="csv", state="open", language="en"))
    assert rows[0][rows[0].index("Handed in")] == "Handed in" and rows[1][rows[0].index("Handed in")] == "2"
    rows = csv_rows(get(web.client_for("mgr_b"), "call-list", format="csv", state="open", language="en"))
    assert rows[1][rows[0].index("Handed in")] == ""  # a competitor does not learn how many applied


def test_a_competitor_never_sees_another_agencys_applications_before_the_awards(web: WebWorld) -> None:
    page = html(web.client_for("mgr_b"), "application-list")
    assert web.text["app_a_open"] not in page  # submitted to the open call
    assert web.text["app_a_draft"] not in page  # a draft
    assert web.text["app_b_open"] in page  # its own
    assert web.text["app_a_awarded"] in page  # funded, once the call is decided
    assert web.text["app_b_rejected"] in page  # its own, not funded
    everything = csv_rows(get(web.client_for("mgr_b"), "application-list", format="csv"))
    assert not any(
        web.text["app_a_draft"] in cell or web.text["app_a_open"] in cell for row in everything for cell in row
    )
    # and no filter or search brings them back
    other = Organization.objects.get(name=web.text["agency_a"]).pk
    page = html(web.client_for("mgr_b"), "application-list", agency=other, q=web.text["app_a_open"])
    assert count(page) == 0 and not body_rows(page)


def test_applications_for_their_writers_and_the_offices(web: WebWorld) -> None:
    mine = html(web.client_for("mgr_a"), "application-list")
    assert web.text["app_a_draft"] in mine and web.text["app_a_open"] in mine
    partner = html(web.client_for("cw1"), "application-list")
    assert web.text["app_a_draft"] in partner and web.text["app_b_open"] not in partner
    office = html(web.client_for("street"), "application-list")
    assert web.text["app_a_open"] in office and web.text["app_b_open"] in office
    assert web.text["app_a_draft"] not in office  # drafts are the applicants' business
    # a filter offers only what the reader sees applications of: the expert, only the decided call's
    options = html(web.client_for("expert"), "application-list").split('id="f-call"')[1].split("</select>")[0]
    assert web.text["decided_call"] in options and web.text["open_call"] not in options


def test_scores_where_the_application_page_shows_them(web: WebWorld) -> None:
    rows = csv_rows(get(web.client_for("mgr_b"), "application-list", format="csv", state="awarded", language="en"))
    header, row = rows[0], rows[1]
    assert row[header.index("Score")] and row[header.index("Rank")] == "1"  # the call is decided
    rows = csv_rows(get(web.client_for("mgr_a"), "application-list", format="csv", state="submitted", language="en"))
    assert all(r[rows[0].index("Score")] == "" for r in rows[1:])


CONCERNED = ["mgr_a", "sw_a", "cw1", "street", "dept", "evaluator"]
NOT_CONCERNED = ["mgr_b", "sw_b", "cw2", "resident", "expert", "nobody"]


@pytest.mark.parametrize(("who", "sees"), [*((w, True) for w in CONCERNED), *((w, False) for w in NOT_CONCERNED)])
def test_contracts_payments_records_and_evaluations_follow_the_contract(web: WebWorld, who: str, sees: bool) -> None:
    client = web.client_for(who)
    for name, text in [
        ("contract-list", web.text["contract"]),
        ("payment-list", web.text["contract"]),
        ("record-list", web.text["record"]),
        ("evaluation-list", web.text["contract"]),
    ]:
        page = html(client, name)
        assert (text in page) is sees, (who, name)
        assert count(page) == (1 if sees else 0), (who, name)


def test_expenditures_follow_the_contract(web: WebWorld) -> None:
    add_expenditure(web)
    assert "活动物资采购" in html(web.client_for("mgr_a"), "expenditure-list")
    assert "活动物资采购" in html(web.client_for("street"), "expenditure-list")
    assert "活动物资采购" not in html(web.client_for("mgr_b"), "expenditure-list")


# --- filters, search and sorting ---------------------------------------------------------------


def test_call_filters_and_search(web: WebWorld) -> None:
    client = web.client_for("street")
    assert count(html(client, "call-list")) == 3
    assert count(html(client, "call-list", state="open")) == 1
    assert count(html(client, "call-list", state="decided", year=2025)) == 1
    assert count(html(client, "call-list", year=2024)) == 0
    street = Organization.objects.get(name=web.text["street"]).pk
    assert count(html(client, "call-list", issuer=street)) == 3
    open_call = Call.objects.get(pk=web.pk["open_call"])
    youth = open_call.categories.get().pk
    page = html(client, "call-list", category=youth)
    assert count(page) == 1 and web.text["open_call"] in page
    assert count(html(client, "call-list", q=open_call.reference)) == 1
    assert count(html(client, "call-list", q="youth growth")) == 1  # the English title, word by word
    assert count(html(client, "call-list", q="青少年 成长")) == 1
    page = html(client, "call-list", state="open")
    assert '<option value="open" selected>' in page and "data-clear" in page


def test_filters_ignore_what_they_do_not_know(web: WebWorld) -> None:
    client = web.client_for("street")
    for params in ({"state": "bogus"}, {"year": "twenty"}, {"issuer": "-3"}, {"sort": "password"}, {"page": "x"}):
        page = html(client, "call-list", **params)
        assert count(page) == 3, params
    assert count(html(client, "record-list", held_from="not a date")) == 1


HUGE = "9" * 23  # no key column holds it


@pytest.mark.parametrize(
    ("who", "name", "params"),
    [
        ("street", "call-list", {"issuer": HUGE}),
        ("street", "application-list", {"agency": HUGE}),
        ("dept", "contract-list", {"agency": HUGE, "community": HUGE}),
        ("dept", "payment-list", {"contract": HUGE, "agency": HUGE}),
        ("dept", "payment-list", {"year": "10000"}),
        ("dept", "payment-list", {"year": HUGE}),
        ("mgr_a", "record-list", {"contract": HUGE}),
        ("mgr_a", "expenditure-list", {"contract": HUGE}),
    ],
)
def test_numbers_no_key_can_hold_are_ignored_not_a_server_error(
    web: WebWorld, who: str, name: str, params: dict[str, str]
) -> None:
    get(web.client_for(who), name, **params)  # 200, the filter ignored
    get(web.client_for(who), name, **params, format="csv")


def test_application_filters(web: WebWorld) -> None:
    client = web.client_for("street")
    assert count(html(client, "application-list", call=web.pk["open_call"])) == 2
    assert count(html(client, "application-list", state="not_awarded")) == 1
    agency_b = Organization.objects.get(name_en="Tongxin Social Work").pk
    assert count(html(client, "application-list", agency=agency_b)) == 2
    assert count(html(client, "application-list", q="Silver mutual")) == 1


def test_contract_filters(web: WebWorld) -> None:
    client = web.client_for("street")
    c1 = Organization.objects.get(name=web.text["c1"]).pk
    c2 = Organization.objects.get(name=web.text["c2"]).pk
    assert count(html(client, "contract-list", community=c1)) == 1
    assert count(html(client, "contract-list", community=c2)) == 0
    assert count(html(client, "contract-list", state="active", year=2025)) == 1
    assert count(html(client, "contract-list", state="completed")) == 0
    assert count(html(client, "contract-list", q=web.text["contract"])) == 1


def test_payments_with_their_total(web: WebWorld) -> None:
    page = html(web.client_for("dept"), "payment-list", year=2025)
    assert count(page) == 1 and "¥28,500.00" in page and "data-total>¥28,500.00<" in page
    assert count(html(web.client_for("dept"), "payment-list", year=2026)) == 0
    assert count(html(web.client_for("dept"), "payment-list", contract=web.pk["contract"])) == 1


def test_record_filters_by_kind_and_dates(web: WebWorld) -> None:
    add_records(web, 4, start=date(2025, 7, 1))  # 1, 2, 3, 4 July: group, case, group, case
    client = web.client_for("sw_a")
    assert count(html(client, "record-list")) == 5
    assert count(html(client, "record-list", kind="case")) == 2
    assert count(html(client, "record-list", held_from="2025-07-02", held_to="2025-07-03")) == 2
    assert count(html(client, "record-list", held_to="2025-06-30")) == 1
    assert count(html(client, "record-list", contract=web.pk["contract"], q="个案跟进 03")) == 1


def test_expenditure_filters_and_total(web: WebWorld) -> None:
    add_expenditure(web, "activities", "1234.50")
    add_expenditure(web, "personnel", "20000")
    client = web.client_for("mgr_a")
    page = html(client, "expenditure-list")
    assert count(page) == 2 and "data-total>¥21,234.50<" in page
    page = html(client, "expenditure-list", head="personnel")
    assert count(page) == 1 and "data-total>¥20,000.00<" in page
    assert count(html(client, "expenditure-list", spent_from="2025-06-01")) == 0
    assert count(html(client, "expenditure-list", q="FP-0001")) == 2


def test_evaluation_filters(web: WebWorld) -> None:
    client = web.client_for("evaluator")
    assert count(html(client, "evaluation-list", kind="midterm", state="submitted", grade="good", year=2025)) == 1
    assert count(html(client, "evaluation-list", kind="final")) == 0
    assert count(html(client, "evaluation-list", grade="excellent")) == 0


def test_sorting_by_a_column_both_ways(web: WebWorld) -> None:
    add_records(web, 3, start=date(2025, 7, 1))
    client = web.client_for("sw_a")
    ascending = html(client, "record-list", sort="held_on")
    assert 'aria-sort="ascending"' in ascending and 'href="?sort=-held_on"' in ascending
    first = body_rows(ascending)[0]
    assert web.text["record"] in first  # 8 May comes before July
    descending = html(client, "record-list", sort="-held_on")
    assert 'aria-sort="descending"' in descending and web.text["record"] in body_rows(descending)[-1]


# --- pages ----------------------------------------------------------------------------------------


def test_pages_of_twenty_five_with_keyboard_links(web: WebWorld) -> None:
    add_records(web, 29)  # with the world's one: 30 records
    client = web.client_for("mgr_a")
    first = html(client, "record-list", kind="")
    assert count(first) == 30 and len(body_rows(first)) == lists.PER_PAGE
    nav = first.split('class="pagination"', 1)[1].split("</nav>", 1)[0]
    assert 'aria-current="page"' in nav and 'rel="next"' in nav and 'rel="prev"' not in nav
    assert re.search(r'<a href="\?kind=&amp;page=2"[^>]*>2</a>', nav)  # real links: Tab and Enter reach them
    second = html(client, "record-list", page=2)
    assert len(body_rows(second)) == 5 and 'rel="prev"' in second
    assert len(body_rows(html(client, "record-list", page=99))) == 5  # past the end: the last page
    # page links keep the filters; the filter form sends no page, so a new filter starts at page one
    contract = web.pk["contract"]
    filtered = html(client, "record-list", contract=contract, page=1)
    assert count(filtered) == 30 and f"?contract={contract}&amp;page=2" in filtered
    form = filtered.split('role="search"', 1)[1].split("</form>", 1)[0]
    assert 'name="page"' not in form


def test_page_links_leave_gaps_far_from_the_current_page() -> None:
    from django.core.paginator import Paginator
    from django.http import QueryDict

    page = Paginator(list(range(500)), 25).get_page(10)
    numbers = [link.number for link in lists.page_links(QueryDict("q=x"), page)]
    assert numbers == [1, None, 8, 9, 10, 11, 12, None, 20]
    assert lists.page_links(QueryDict(""), Paginator([1], 25).get_page(1)) == []


# --- downloads ------------------------------------------------------------------------------------


def test_csv_download_of_the_whole_filtered_table(web: WebWorld) -> None:
    add_records(web, 29)
    response = get(web.client_for("mgr_a"), "record-list", format="csv", kind="case", language="en")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="records-\d{8}\.csv"', response["Content-Disposition"])
    rows = csv_rows(response)
    header = rows[0]
    assert header[:4] == ["Date", "Service", "Kind", "Contract"]
    assert len(rows) == 1 + 14  # every page, only the case work
    row = rows[1]
    assert re.fullmatch(r"2025-06-\d\d", row[0])  # a date a spreadsheet reads
    assert row[2] == "Case work" and row[3] == web.text["contract"]
    assert re.fullmatch(r"10\d\d", row[header.index("Beneficiaries")])  # no thousands separator
    assert row[header.index("Service hours")] == "1.50"


def test_csv_in_chinese_keeps_chinese_text(web: WebWorld) -> None:
    response = get(web.client_for("dept"), "payment-list", format="csv", language="zh-hans")
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = csv_rows(response)
    assert rows[0][0] == "拨付日期" and rows[1][0] == "2025-04-25"
    assert rows[1][rows[0].index("金额")] == "28500.00"  # money as a plain number, no ¥ and no comma
    assert "银龄互助计划" in rows[1]


def test_xlsx_download_with_a_bold_header_widths_numbers_and_dates(web: WebWorld) -> None:
    add_expenditure(web, "activities", "1234.50")
    response = get(web.client_for("mgr_a"), "expenditure-list", format="xlsx", language="en")
    assert response["Content-Type"] == lists.XLSX_TYPE
    assert re.fullmatch(r'attachment; filename="expenditures-\d{8}\.xlsx"', response["Content-Disposition"])
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    assert header[0] == "Date" and "Amount" in header
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:{chr(64 + len(header))}2"
    assert sheet.column_dimensions["A"].width == 12 and sheet.column_dimensions["F"].width == 36
    row = [c for c in sheet[2]]
    assert isinstance(row[0].value, datetime) and row[0].value.date() == date(2025, 5, 20)
    assert row[0].number_format == lists.DATE_FORMAT
    amount = row[header.index("Amount")]
    assert amount.value == pytest.approx(1234.5) and amount.number_format == lists.MONEY_FORMAT
    assert row[header.index("Head")].value == "Activities"
    assert row[1].value == web.text["contract"]


def test_xlsx_in_chinese(web: WebWorld) -> None:
    response = get(web.client_for("street"), "contract-list", format="xlsx", language="zh-hans")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    assert header[0] == "合同"
    row = [c.value for c in sheet[2]]
    assert row[0] == "银龄互助计划" and Decimal(str(row[header.index("金额")])) == Decimal("95000")


def test_downloads_keep_the_filters_and_drop_the_page(web: WebWorld) -> None:
    page = html(web.client_for("street"), "call-list", state="open", page=1, sort="closes")
    assert 'href="?state=open&amp;sort=closes&amp;format=csv"' in page
    rows = csv_rows(get(web.client_for("street"), "call-list", format="csv", state="open", language="en"))
    assert len(rows) == 2 and rows[1][0] == "S Street youth growth"


# --- navigation ---------------------------------------------------------------------------------


def nav_of(web: WebWorld, who: str) -> list[str]:
    page = html(web.client_for(who), "call-list")
    nav = page.split('class="main-nav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'data-nav="([^"]+)"', nav)


def resolves(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


def test_navigation_follows_the_roles(web: WebWorld) -> None:
    programs = ["program-list"] if resolves("program-list") else []
    reviews = [n for n in ("review-list", "my-reviews") if resolves(n)][:1]
    simulator = ["simulation-home"]  # officers of a department or street office use the policy simulator
    governance = ["governance-index"]
    assert nav_of(web, "dept") == [
        "home",
        *programs,
        "call-list",
        "contract-list",
        "payment-list",
        "evaluation-list",
        *governance,
        *simulator,
    ]
    assert nav_of(web, "street") == [
        "home",
        "call-list",
        "application-list",
        "contract-list",
        "evaluation-list",
        *governance,
        *simulator,
    ]
    assert nav_of(web, "mgr_a") == [
        "home",
        "call-list",
        "application-list",
        "contract-list",
        "record-list",
        "expenditure-list",
    ]
    assert nav_of(web, "sw_a") == ["home", "record-list"]
    assert nav_of(web, "evaluator") == ["home", "evaluation-list"]
    assert nav_of(web, "expert") == ["home", *reviews]
    assert nav_of(web, "resident") == ["home", "community-needs"]
    assert nav_of(web, "cw1") == ["home", "application-list", "contract-list", "community-needs"]
    assert nav_of(web, "nobody") == ["home"]


def test_the_residents_needs_link_leads_to_their_community(web: WebWorld) -> None:
    community = Organization.objects.get(name=web.text["c1"]).pk
    url = reverse("community-needs", args=[community])
    page = web.client_for("resident").get(url).content.decode()
    assert f'href="{url}" data-nav="community-needs" aria-current="page"' in page


def test_home_marks_my_work_as_the_current_page(web: WebWorld) -> None:
    page = web.client_for("street").get(reverse("home")).content.decode()
    assert 'href="/" data-nav="home" aria-current="page"' in page
    assert page.count('aria-current="page"') == 1


# --- dates and numbers in each language ------------------------------------------------------------


def test_dates_and_money_in_chinese_and_english(web: WebWorld) -> None:
    client = web.client_for("dept")
    chinese = html(client, "payment-list", language="zh-hans")
    assert "2025年4月25日" in chinese and "¥28,500.00" in chinese and 'lang="zh-hans"' in chinese
    english = html(client, "payment-list", language="en")
    assert "25 Apr 2025" in english and "¥28,500.00" in english and 'lang="en"' in english


def test_numbers_are_grouped_by_thousands_in_both_languages(web: WebWorld) -> None:
    add_records(web, 1)
    for language in ("zh-hans", "en"):
        page = html(web.client_for("sw_a"), "record-list", language=language)
        assert "1,000" in page, language
    from django.utils import translation

    with translation.override("zh-hans"):
        assert lists.show_number(Decimal("1234567.5")) == "1,234,567.5"
        assert lists.show_number(Decimal("12.00")) == "12" and lists.show_number(None) == "—"
        assert lists.show_date(date(2026, 11, 25)) == "2026年11月25日"
    with translation.override("en"):
        assert lists.show_number(1234567) == "1,234,567"
        assert lists.show_date(date(2026, 11, 25)) == "25 Nov 2026"


def test_home_dates_follow_the_language(web: WebWorld) -> None:
    page = web.client_for("street").get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "30 Sep 2025" in page  # the mid-term evaluation's submission, awaiting acceptance
    page = web.client_for("street").get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "2025年9月30日" in page


def test_the_account_is_read_once_per_request(web: WebWorld, django_assert_max_num_queries: Any) -> None:
    user = get_user_model().objects.get(username=web.users["mgr_a"])
    client = Client()
    client.force_login(user)
    client.get(reverse("call-list"))  # warm up
    with django_assert_max_num_queries(12):
        client.get(reverse("call-list"))


def test_typed_text_never_runs_as_a_formula(web: WebWorld) -> None:
    contract = Contract.objects.get(pk=web.pk["contract"])
    worker = Person.objects.get(user__username=web.users["sw_a"])
    delivery_services.record_service(
        worker.user,
        contract,
        kind="group",
        held_on=date(2025, 7, 1),
        title='=HYPERLINK("http://example.org","x")',
        social_workers=[worker],
    )
    rows = csv_rows(get(web.client_for("sw_a"), "record-list", format="csv", kind="group", held_from="2025-07-01"))
    assert rows[1][1] == '\'=HYPERLINK("http://example.org","x")'
    response = get(web.client_for("sw_a"), "record-list", format="xlsx", kind="group", held_from="2025-07-01")
    cell = load_workbook(io.BytesIO(response.content)).active["B2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://example.org","x")'


def test_many_visible_rows_select_by_the_rule_itself(web: WebWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    add_records(web, 3)
    before = count(html(web.client_for("mgr_a"), "record-list", kind="case"))
    monkeypatch.setattr(lists, "KEYS_AT_ONCE", 1)  # more rows than that: the rule runs as a subquery
    assert count(html(web.client_for("mgr_a"), "record-list", kind="case")) == before == 1
    assert count(html(web.client_for("mgr_b"), "record-list")) == 0
