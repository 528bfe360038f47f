"""Documents of the evaluation stage: the evaluation report (PDF), the survey token sheet (PDF, one card
per token with its QR code), and an indicator system as a spreadsheet (.xlsx) to download and upload.

PDFs are set like the contract (see `core.pdf`): A4, the built-in Chinese font, ruled tables.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from grassroots.core.errors import RuleViolation
from grassroots.core.i18n import render_message
from grassroots.core.pdf import FONT, Kit, localized, printable

from . import computed, indicators, surveys
from .models import Finding, Source, SurveyQuestion
from .selectors import Report

# --- the evaluation report ---------------------------------------------------------------------------


def _points(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _day(value: Any) -> str:
    return value.isoformat() if value else "—"


def _project_title(contract: Any) -> str:
    application = contract.award.application
    if contract.title == application.title:
        return localized(application, "title")
    return str(contract.title)


def report_pdf(report: Report) -> bytes:
    """The evaluation report to print, sign and stamp: parties, the indicator tree with points, total and
    grade, summary, findings with their rectification, survey results, and the signature lines."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import KeepTogether

    kit = Kit()
    p, table, width = kit.p, kit.table, kit.width
    evaluation = report.evaluation
    contract = evaluation.contract
    communities = list(contract.communities.order_by("name"))
    levels = {
        level: ParagraphStyle(f"level{level}", parent=kit.cell, leftIndent=8 * (level - 1)) for level in (1, 2, 3, 4)
    }
    sources = dict(Source.choices)

    story: list[Any] = [
        p(_("Evaluation report"), kit.title),
        p(_project_title(contract), kit.subtitle),
        p(
            _("%(kind)s evaluation · contract number %(n)s")
            % {"kind": evaluation.get_kind_display(), "n": contract.number},
            kit.subtitle,
        ),
        p(_("1. Parties"), kit.heading),
        table(
            [
                [_("Party"), _("Organization"), _("Unified social credit code")],
                [_("Purchaser"), localized(contract.purchaser), contract.purchaser.uscc],
                [_("Service agency"), localized(contract.agency), contract.agency.uscc],
                [_("Third-party evaluator"), localized(evaluation.evaluator), evaluation.evaluator.uscc],
                *[[_("Partner community"), localized(c), c.uscc] for c in communities],
            ],
            [0.25 * width, 0.45 * width, 0.30 * width],
        ),
        p(_("2. Evaluation"), kit.heading),
        table(
            [
                [_("Kind"), evaluation.get_kind_display()],
                [_("State"), evaluation.get_state_display()],
                [
                    _("Contract term"),
                    _("from %(start)s to %(end)s")
                    % {"start": contract.starts_on.isoformat(), "end": contract.ends_on.isoformat()},
                ],
                [_("Due on"), _day(evaluation.due_on)],
                [_("Submitted on"), _day(evaluation.submitted_on)],
                [_("Indicator system"), localized(evaluation.system) if evaluation.system else "—"],
                [_("Total score"), _points(evaluation.score)],
                [_("Grade"), evaluation.get_grade_display() if evaluation.grade else "—"],
            ],
            [0.30 * width, 0.70 * width],
            header=False,
        ),
        p(_("3. Indicators and points"), kit.heading),
        table(
            [
                [_("Indicator"), _("Source"), _("Points"), _("Earned"), _("Basis and comment")],
                *[
                    [
                        p(localized(row.item), levels[min(row.level, 4)]),
                        sources.get(row.item.source, "") if row.item.is_leaf else "",
                        _points(row.item.weight),
                        _points(row.earned),
                        _basis_and_comment(row.item),
                    ]
                    for row in report.rows
                ],
                [_("Total"), "", "100.00", _points(evaluation.score), evaluation.get_grade_display()],
            ],
            [0.34 * width, 0.14 * width, 0.10 * width, 0.10 * width, 0.32 * width],
        ),
        p(_("4. Summary"), kit.heading),
        p(evaluation.summary or "—", kit.body),
        p(_("5. Findings and rectification"), kit.heading),
    ]
    if report.findings:
        story.append(
            table(
                [
                    [_("Finding"), _("Rectification required"), _("Rectify by"), _("State")],
                    *[[f.text, f.requirement or "—", _day(f.due_on), _finding_state(f)] for f in report.findings],
                ],
                [0.38 * width, 0.32 * width, 0.12 * width, 0.18 * width],
            )
        )
    else:
        story.append(p(_("No findings."), kit.body))
    if report.surveys:
        story.append(p(_("6. Satisfaction surveys"), kit.heading))
        for results in report.surveys:
            story.append(
                p(
                    _("%(title)s: %(responses)s responses of %(issued)s codes issued.")
                    % {
                        "title": localized(results.survey, "title"),
                        "responses": results.responses,
                        "issued": results.issued,
                    },
                    kit.body,
                )
            )
            rows = [
                [
                    localized(q.question, "text"),
                    "—" if q.mean is None else f"{q.mean:.2f}",
                    "—" if q.satisfied is None else f"{q.satisfied * 100:.0f}%",
                ]
                for q in results.questions
                if q.question.kind == SurveyQuestion.Kind.LIKERT
            ]
            if rows:
                story.append(
                    table(
                        [[_("Question"), _("Mean"), _("Satisfied")], *rows],
                        [0.70 * width, 0.15 * width, 0.15 * width],
                    )
                )
    story.append(
        KeepTogether(
            [
                p(_("Signatures and seals"), kit.heading),
                kit.signature_blocks(
                    [
                        _signature_block(kit, _("Third-party evaluator"), evaluation.evaluator),
                        _signature_block(kit, _("Purchaser (accepted)"), contract.purchaser),
                    ]
                ),
            ]
        )
    )
    return kit.build(
        story, title=f"{contract.number} {evaluation.get_kind_display()}", author=localized(evaluation.evaluator)
    )


def _basis_and_comment(item: Any) -> str:
    parts = []
    if item.basis:
        parts.append(render_message(item.basis))
    if item.overridden:
        parts.append(_("overridden (the data gave %(v)s)") % {"v": _points(item.computed_points)})
    if item.comment:
        parts.append(item.comment)
    return "; ".join(parts)


def _finding_state(finding: Finding) -> str:
    state = finding.get_state_display()
    if finding.closed_on:
        return f"{state} {finding.closed_on.isoformat()}"
    return str(state)


def _signature_block(kit: Kit, role: str, org: Any) -> list[Any]:
    return [
        kit.p(_("%(role)s: %(name)s") % {"role": role, "name": localized(org)}, kit.body),
        kit.p(_("(seal)"), kit.body),
        kit.p(_("Person in charge (signature): ____________"), kit.body),
        kit.p(_("Date: ______ year ____ month ____ day"), kit.body),
    ]


# --- the token sheet -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    serial: int
    handed_to: str
    token: str
    url: str  # the absolute address the QR code opens


CARD_INSTRUCTION = gettext_noop(
    "Scan the code, or open %(url)s and type the code below. Answers are anonymous; each code answers once."
)


def _both_languages(message: str, **params: Any) -> tuple[str, str]:
    """A sentence in Chinese and in English, for a card residents of either language read."""
    out = []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            text = _(message)
            out.append(text % params if params else text)
    return out[0], out[1]


#: What a line may break between: a Latin word with its trailing space, or any other single character.
_PIECES = re.compile(r"[A-Za-z0-9/:.,;'’()%_\-]+ *| +|.")


def token_sheet_pdf(survey: Any, cards: Sequence[Card], entry_url: str) -> bytes:
    """One card per token, eight to an A4 page, to cut apart and hand out: the survey's title in both
    languages, how to answer, the QR code of the answer page, and the code to type."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    Kit()  # registers the font
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setTitle(f"{survey.title} {survey.title_en}".strip())
    page.setAuthor(str(survey.evaluation.evaluator))
    columns, rows = 2, 4
    margin_x, margin_y = 15 * mm, 15 * mm
    card_w = (A4[0] - 2 * margin_x) / columns
    card_h = (A4[1] - 2 * margin_y) / rows
    qr_size = 30 * mm
    instruction_zh, instruction_en = _both_languages(CARD_INSTRUCTION, url=entry_url)
    title_en = survey.title_en or ""

    def wrap(text: str, font: str, size: float, width: float) -> list[str]:
        """Lines of at most `width`: Latin words kept whole, Chinese broken between any two characters."""
        lines, current = [], ""
        for piece in _PIECES.findall(text):
            if current and page.stringWidth(current + piece, font, size) > width:
                lines.append(current.rstrip())
                current = piece.lstrip()
            else:
                current += piece
        if current.strip():
            lines.append(current.rstrip())
        return lines

    def lines(text: str, size: float, width: float, at: float, x: float, most: int, leading: float) -> float:
        page.setFont(FONT, size)
        for line in wrap(printable(text), FONT, size, width)[:most]:
            at -= leading
            page.drawString(x, at, line)
        return at

    instructions = [instruction_zh] if instruction_zh == instruction_en else [instruction_zh, instruction_en]
    if not cards:
        page.setFont(FONT, 12)
        page.drawString(margin_x, A4[1] - margin_y - 12, printable(_("No unused codes are left in this survey.")))
    for index, card in enumerate(cards):
        slot = index % (columns * rows)
        if index and slot == 0:
            page.showPage()
        col, row = slot % columns, slot // columns
        x = margin_x + col * card_w
        y = A4[1] - margin_y - (row + 1) * card_h
        page.setDash(3, 3)
        page.setLineWidth(0.4)
        page.rect(x, y, card_w, card_h)
        page.setDash()
        pad = 4 * mm
        top = y + card_h - pad
        top = lines(survey.title, 12, card_w - qr_size - 3 * pad, top, x + pad, 2, 14)
        lines(title_en, 8, card_w - qr_size - 3 * pad, top - 2, x + pad, 3, 9.5)
        widget = QrCodeWidget(card.url, barLevel="M")
        x1, y1, x2, y2 = widget.getBounds()
        drawing = Drawing(qr_size, qr_size, transform=[qr_size / (x2 - x1), 0, 0, qr_size / (y2 - y1), 0, 0])
        drawing.add(widget)
        renderPDF.draw(drawing, page, x + card_w - pad - qr_size, y + card_h - pad - qr_size)
        top = y + card_h - pad - qr_size - 1 * mm
        for text in instructions:
            top = lines(text, 7.5, card_w - 2 * pad, top, x + pad, 3, 9)
        page.setFont("Courier-Bold", 16)
        page.drawString(x + pad, y + pad + 9, surveys.grouped(card.token))
        page.setFont(FONT, 7)
        label = _("No. %(n)s") % {"n": card.serial}
        if card.handed_to:
            label = f"{label} · {card.handed_to}"
        page.drawString(x + pad, y + pad, printable(label)[:60])
    page.showPage()
    page.save()
    return buffer.getvalue()


# --- indicator systems as spreadsheets ------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    field: str
    header: str  # the Chinese header the workbook writes
    english: str  # the English header, also accepted
    required: bool


COLUMNS: tuple[Column, ...] = (
    Column("code", "编码", "code", True),
    Column("parent", "上级编码", "parent code", True),
    Column("name", "名称", "name", True),
    Column("name_en", "英文名称", "English name", False),
    Column("weight", "分值", "points", True),
    Column("source", "来源", "source", True),
    Column("metric", "计算指标", "metric", True),
    Column("rubric", "评分标准", "rubric", False),
    Column("rubric_en", "英文评分标准", "English rubric", False),
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_NOISE = re.compile(r"[（(][^)）]*[)）]|[\s_\-*：:]+")


def _key(header: str) -> str:
    return _NOISE.sub("", header).lower()


def system_workbook(nodes: Sequence[indicators.Node], name: str, name_en: str) -> bytes:
    """The indicator system as one row per node, depth-first, with a sheet explaining the columns."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "指标体系"
    sheet.append([c.header for c in COLUMNS])
    for _level, n in indicators.ordered(nodes):
        sheet.append([n.code, n.parent, n.name, n.name_en, n.weight, n.source, n.metric, n.rubric, n.rubric_en])
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = 40 if column.field.startswith("rubric") else 16
    for row in sheet.iter_rows(min_row=2):
        for cell in row[7:9]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    notes = book.create_sheet(_("Instructions")[:31])
    notes.append([name, name_en])
    notes.append([])
    notes.append([_("Column"), _("English header"), _("Explanation")])
    for cell in notes[3]:
        cell.font = Font(bold=True)
    explanations = {
        "code": _("A unique code: letters, digits, “-” or “_”."),
        "parent": _("The code of the dimension it belongs to; empty at the top level."),
        "name": _("The indicator's name."),
        "name_en": _("Its English name (optional)."),
        "weight": _("Points: the top level adds up to 100, and each node's children to its points."),
        "source": _("For a scored indicator: manual, computed or survey; empty for a dimension."),
        "metric": _("For a computed or survey indicator: %(metrics)s.")
        % {"metrics": ", ".join([*computed.METRICS, *computed.SURVEY_METRICS])},
        "rubric": _("How the evaluator scores it."),
        "rubric_en": _("The rubric in English (optional)."),
    }
    for column in COLUMNS:
        notes.append([column.header, column.english, explanations[column.field]])
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 16
    notes.column_dimensions["C"].width = 90
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_system(data: bytes, filename: str) -> list[indicators.Node]:
    """The nodes of an uploaded workbook; a RuleViolation listing every header problem when its columns
    are not the download's (the tree itself is checked by the service that saves it)."""
    from grassroots.delivery.imports import read_table

    table = read_table(data, filename or "indicators.xlsx")
    known = {_key(header): c for c in COLUMNS for header in (c.header, c.english, c.field)}
    positions: dict[str, int] = {}
    errors = []
    for index, header in enumerate(table.headers):
        if not header:
            continue
        found = known.get(_key(header))
        if found is None:
            errors.append(_("Unknown column “%(h)s”.") % {"h": header})
        elif found.field in positions:
            errors.append(_("Column “%(h)s” appears twice.") % {"h": header})
        else:
            positions[found.field] = index
    for column in COLUMNS:
        if column.required and column.field not in positions:
            errors.append(_("Column “%(h)s” (%(en)s) is missing.") % {"h": column.header, "en": column.english})
    if errors:
        raise RuleViolation(errors)
    if not table.rows:
        raise RuleViolation(_("The workbook has no indicators below its header row."))

    def cell(cells: list[Any], field: str) -> str:
        index = positions.get(field)
        return _text(cells[index]) if index is not None and index < len(cells) else ""

    return [node_from(**{c.field: cell(cells, c.field) for c in COLUMNS}) for _number, cells in table.rows]


def node_from(
    *,
    code: str,
    parent: str,
    name: str,
    weight: str,
    name_en: str = "",
    source: str = "",
    metric: str = "",
    rubric: str = "",
    rubric_en: str = "",
) -> indicators.Node:
    """A node from typed text; points that are not a number are kept as typed, for the service to name."""
    points: Any = indicators.parse_weight(weight) or weight
    return indicators.Node(
        code=code.strip(),
        name=name.strip(),
        weight=points,
        parent=parent.strip(),
        name_en=name_en.strip(),
        source=source.strip().lower(),
        metric=metric.strip(),
        rubric=rubric.strip(),
        rubric_en=rubric_en.strip(),
    )
