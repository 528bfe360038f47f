"""Importing service records and expenditures from .xlsx and CSV: all or nothing, every row error at once."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from grassroots import cli
from grassroots.contracts.models import Contract
from grassroots.core.audit import verify
from grassroots.core.errors import Forbidden
from grassroots.core.models import AuditEvent
from grassroots.delivery import imports
from grassroots.delivery import services as delivery_services
from grassroots.delivery.imports import ImportRefused
from grassroots.delivery.models import Expenditure, ServiceRecord
from tests import world as w

pytestmark = pytest.mark.django_db

D = Decimal
HEADERS = [
    "日期",
    "服务类型",
    "标题",
    "社工",
    "受益人数",
    "服务时长",
    "志愿者人数",
    "志愿服务时长",
    "居民参与人次",
    "地点",
    "备注",
]


@pytest.fixture(scope="module")
def contract_pk(module_world: w.World, django_db_blocker: Any) -> Iterator[int]:
    with w.kept_for_module(django_db_blocker) as unblocked:
        with unblocked():
            pk = w.funded_contract(w.reload(module_world), agency=1, requested="100000.00").pk
        yield pk


@pytest.fixture
def contract(contract_pk: int, world: w.World) -> Contract:
    return Contract.objects.get(pk=contract_pk)


def csv_bytes(rows: list[list[Any]], *, encoding: str = "utf-8", bom: bool = False) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def good_rows(world: w.World) -> list[list[Any]]:
    sw = world.social_workers[1]
    return [
        HEADERS,
        ["2025-06-01", "小组", "长者健康讲座", f"{sw[0].name}、{sw[1].name}", "20", "2", "3", "6", "25", "活动室", ""],
        ["2025/6/2", "case", "个案探访", "sw1_2", "1", "1.5", "", "", "", "", "家访"],
        ["2025年6月3日", "社区活动", "邻里节", f"{sw[0].name}; sw1_1", "120", "4", "10", "40", "150", "广场", ""],
    ]


def imported_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action__endswith=".imported").order_by("seq"))


def test_a_good_csv_file_imports_every_row_with_one_audit_event(world: w.World, contract: Contract) -> None:
    data = csv_bytes(good_rows(world), bom=True)
    count = delivery_services.import_service_records(world.managers[1], contract, data, "records.csv")
    assert count == 3
    records = {r.title: r for r in ServiceRecord.objects.filter(contract=contract)}
    assert set(records) == {"长者健康讲座", "个案探访", "邻里节"}
    talk = records["长者健康讲座"]
    assert (talk.kind, talk.held_on, talk.beneficiaries, talk.service_hours) == ("group", date(2025, 6, 1), 20, D("2"))
    assert talk.recorded_by is not None and talk.recorded_by.user == world.managers[1]
    assert set(talk.social_workers.all()) == set(world.social_workers[1][:2])
    visit = records["个案探访"]
    assert (visit.kind, visit.held_on, visit.service_hours, visit.volunteers) == ("case", date(2025, 6, 2), D("1.5"), 0)
    assert list(visit.social_workers.all()) == [world.social_workers[1][2]]
    assert records["邻里节"].kind == "community"
    assert set(records["邻里节"].social_workers.all()) == set(world.social_workers[1][:2])
    [event] = imported_events()
    assert event.action == "service_records.imported"
    assert event.after == {"count": 3, "sha256": hashlib.sha256(data).hexdigest(), "filename": "records.csv"}
    assert verify().ok


def test_a_good_xlsx_file_with_english_headers_and_typed_cells(world: w.World, contract: Contract) -> None:
    english = ["date", "kind", "title", "social_workers", "beneficiaries", "Service hours", "volunteers"]
    rows: list[list[Any]] = [
        english,
        [datetime(2025, 7, 1), "group", "亲子小组", "sw1_0;sw1_1", 12, 2.5, 2],
        [date(2025, 7, 2), "community", "义诊", world.social_workers[1][0].name, 80, 3, None],
    ]
    count = delivery_services.import_service_records(
        world.social_workers[1][0].user, contract, xlsx_bytes(rows), "r.xlsx"
    )
    assert count == 2
    group = ServiceRecord.objects.get(contract=contract, title="亲子小组")
    assert (group.held_on, group.beneficiaries, group.service_hours, group.volunteers) == (
        date(2025, 7, 1),
        12,
        D("2.5"),
        2,
    )
    assert group.social_workers.count() == 2
    assert ServiceRecord.objects.get(title="义诊").volunteers == 0


def test_a_gbk_csv_from_chinese_excel_is_read(world: w.World, contract: Contract) -> None:
    data = csv_bytes(good_rows(world), encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert delivery_services.import_service_records(world.managers[1], contract, data, "导出.csv") == 3
    assert ServiceRecord.objects.filter(contract=contract, location="广场").count() == 1


def test_every_row_error_is_reported_together_and_nothing_is_written(world: w.World, contract: Contract) -> None:
    sw = world.social_workers[1][0].name
    rows = [
        HEADERS,
        ["2025-06-01", "小组", "好的一行", sw, "1", "1", "", "", "", "", ""],  # row 2: fine
        ["2025-02-30", "小组", "坏日期", sw, "", "", "", "", "", "", ""],  # row 3
        ["2024-01-01", "讲座", "", sw, "", "", "", "", "", "", ""],  # row 4: out of term, kind, title
        ["2025-06-01", "个案", "外人", f"{sw}、社工00", "-3", "abc", "1.5", "1.234", "", "", ""],  # row 5
        ["2025-06-01", "个案", "没人", "", "", "", "", "", "", "", ""],  # row 6
        ["", "", "", "", "", "", "", "", "", "", ""],  # blank rows are skipped
        ["", "个案", "x" * 201, "nobody", "", "", "", "", "", "", ""],  # row 8
    ]
    with w.refused(ImportRefused, match="Nothing was imported: the file has 13 errors") as info:
        delivery_services.import_service_records(world.managers[1], contract, csv_bytes(rows), "bad.csv")
    found = {(e.row, e.column) for e in info.value.errors}
    assert found == {
        (3, "日期"),
        (4, "日期"),
        (4, "服务类型"),
        (4, "标题"),
        (5, "社工"),
        (5, "受益人数"),
        (5, "服务时长"),
        (5, "志愿者人数"),
        (5, "志愿服务时长"),
        (6, "社工"),
        (8, "日期"),
        (8, "标题"),
        (8, "社工"),
    }
    messages = {(e.row, e.column): e.message for e in info.value.errors}
    assert "outside the contract term" in messages[(4, "日期")]
    assert "社工00 is not a social worker of" in messages[(5, "社工")]
    assert "cannot be negative" in messages[(5, "受益人数")]
    assert "not a whole number" in messages[(5, "志愿者人数")]
    assert "two decimal places" in messages[(5, "志愿服务时长")]
    assert "At most 200 characters" in messages[(8, "标题")]
    assert "Row 5, column “社工”" in str(info.value)
    assert not ServiceRecord.objects.filter(contract=contract).exists()


def test_unknown_and_missing_columns_are_refused(world: w.World, contract: Contract) -> None:
    rows = [["日期", "标题", "社工", "颜色", "date"], ["2025-06-01", "x", "sw1_0", "红", "2025-06-01"]]
    with w.refused(ImportRefused) as info:
        delivery_services.import_service_records(world.managers[1], contract, csv_bytes(rows), "bad.csv")
    assert {(e.row, e.column, e.message.split(";")[0].split(".")[0]) for e in info.value.errors} == {
        (1, "颜色", "Unknown column"),
        (1, "date", "This column appears twice"),
        (1, "服务类型", "This column is missing"),
    }
    with w.refused(ImportRefused, match="no rows to import"):
        delivery_services.import_service_records(world.managers[1], contract, csv_bytes([HEADERS]), "empty.csv")
    with w.refused(ImportRefused, match="not a readable Excel workbook"):
        delivery_services.import_service_records(world.managers[1], contract, b"PK\x03\x04junk", "bad.xlsx")
    with w.refused(ImportRefused, match="Only Excel workbooks"):
        delivery_services.import_service_records(world.managers[1], contract, b"x", "records.pdf")


def test_expenditures_import_and_spend_lines_cumulatively(world: w.World, contract: Contract) -> None:
    assert contract.lines.get(head="activities").amount == D("40000.00")
    rows = [
        ["日期", "预算科目", "金额", "用途", "票据号"],
        ["2025-06-01", "活动费用", "30000.00", "活动物资", "FP1"],
        ["2025-06-02", "activities", "10000", "场地", ""],
        ["2025-06-03", "管理费", "1,000.50", "办公", "FP3"],
    ]
    count = delivery_services.import_expenditures(world.managers[1], contract, csv_bytes(rows), "spent.csv")
    assert count == 3
    activities = contract.lines.get(head="activities")
    assert delivery_services.spent_on_line(activities) == activities.amount
    [event] = imported_events()
    assert event.action == "expenditures.imported" and event.after["count"] == 3
    assert event.after["total"] == "41000.50"
    with w.refused(
        ImportRefused, match=r"Row 2, column “金额”: 0.01 is more than is left on the line “活动费用” \(0.00\)"
    ):
        delivery_services.import_expenditures(
            world.managers[1], contract, csv_bytes([rows[0], ["2025-06-04", "活动费用", "0.01", "x", ""]]), "more.csv"
        )


def test_an_overspend_across_the_rows_of_one_file_is_refused(world: w.World, contract: Contract) -> None:
    rows = [
        ["date", "line", "amount", "description", "receipt"],
        ["2025-06-01", "活动费用", "25000", "活动物资", ""],
        ["2025-06-02", "活动费用", "15000", "场地", ""],  # exactly the 40,000 of the line
        ["2025-06-03", "activities", "0.01", "再多一分", ""],  # row 4: one cent beyond
        ["2025-06-03", "餐费", "10", "午餐", ""],  # row 5: no such line
        ["2025-06-03", "管理费", "0", "零", ""],  # row 6: not positive
        ["2025-06-03", "管理费", "1.234", "", ""],  # row 7: three places, no description
    ]
    with w.refused(ImportRefused) as info:
        delivery_services.import_expenditures(world.managers[1], contract, xlsx_bytes(rows), "spent.xlsx")
    assert [(e.row, e.column) for e in info.value.errors] == [
        (4, "amount"),
        (5, "line"),
        (6, "amount"),
        (7, "amount"),
        (7, "description"),
    ]
    assert "more than is left" in info.value.errors[0].message
    assert not Expenditure.objects.filter(contract=contract).exists()


def test_only_the_agency_imports(world: w.World, contract: Contract) -> None:
    records = csv_bytes(good_rows(world))
    with w.refused(Forbidden):
        delivery_services.import_service_records(world.managers[0], contract, records, "r.csv")
    spending = csv_bytes([["日期", "预算科目", "金额", "用途"], ["2025-06-01", "活动费用", "1", "x"]])
    with w.refused(Forbidden):
        delivery_services.import_expenditures(world.managers[0], contract, spending, "e.csv")
    with w.refused(Forbidden, match="Only a manager"):
        delivery_services.import_expenditures(world.social_workers[1][0].user, contract, spending, "e.csv")


def test_the_templates_round_trip(world: w.World, contract: Contract) -> None:
    # The generic workbook: headers, an example row and an instructions sheet; fill in a real worker and import.
    book = load_workbook(io.BytesIO(imports.template_workbook("records")))
    sheet, notes = book.worksheets
    assert [c.value for c in sheet[1]] == HEADERS
    assert notes.max_row >= len(HEADERS) + 1 and notes["A2"].value == "日期"
    assert notes["D2"].value and "contract term" in str(notes["D2"].value)
    sheet["D2"] = world.social_workers[1][0].name
    out = io.BytesIO()
    book.save(out)
    assert delivery_services.import_service_records(world.managers[1], contract, out.getvalue(), "t.xlsx") == 1
    assert ServiceRecord.objects.get(contract=contract).title == "长者健康讲座"

    # The CSV templates with the contract's own example values import as they are.
    example = {"social_workers": "sw1_0", "held_on": str(contract.starts_on)}
    data = imports.template_csv("records", example)
    assert data.startswith(b"\xef\xbb\xbf")
    assert delivery_services.import_service_records(world.managers[1], contract, data, "t.csv") == 1
    spending = imports.template_workbook("expenditures", {"line": "活动费用"})
    assert delivery_services.import_expenditures(world.managers[1], contract, spending, "e.xlsx") == 1
    assert delivery_services.import_expenditures(
        world.managers[1], contract, imports.template_csv("expenditures"), "e.csv"
    )
    assert Expenditure.objects.filter(contract=contract).count() == 2
    with pytest.raises(ValueError):
        imports.template_csv("payments")


def test_the_command_line_imports_or_lists_every_error(
    world: w.World, contract: Contract, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "records.csv"
    good.write_bytes(csv_bytes(good_rows(world)))
    assert cli.main(["import-records", contract.number, str(good), "--as", "manager1"]) == 0
    assert "imported 3 records" in capsys.readouterr().out
    bad = tmp_path / "spent.csv"
    bad.write_bytes(
        csv_bytes([["日期", "预算科目", "金额", "用途"], ["2025-06-01", "活动费用", "-1", "x"], ["1", "2", "3", ""]])
    )
    before = Expenditure.objects.count()
    assert cli.main(["import-records", contract.number, str(bad), "--as", "manager1", "--kind", "expenditures"]) == 2
    err = capsys.readouterr().err
    assert "Row 2, column “金额”" in err and "Row 3, column “预算科目”" in err and "Row 3, column “用途”" in err
    assert Expenditure.objects.count() == before
    assert cli.main(["import-records", contract.number, str(good), "--as", "manager0"]) == 2
    assert cli.main(["import-records", "NO-SUCH", str(good), "--as", "manager1"]) == 2
