"""What every printed document shares: the built-in Chinese font, the paragraph and table styles, A4 pages.

Chinese text is set in reportlab's built-in CID font STSong-Light: the PDF viewer supplies the glyphs
(Adobe-GB1), so no font file is shipped or downloaded, and the text stays extractable. Contracts,
evaluation reports and survey token sheets are built with the same `Kit`, so they look alike.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import get_language

FONT = "STSong-Light"

#: Characters STSong-Light lacks (they would print as boxes), and the glyphs it has in their place.
SUBSTITUTES = str.maketrans({"\u00b7": "\u30fb", "\u2022": "\u30fb", "\u2027": "\u30fb", "\u00a5": "\uffe5"})


def printable(text: str) -> str:
    """`text` with the characters the built-in font lacks replaced by ones it has (· → ・, ¥ → ￥)."""
    return text.translate(SUBSTITUTES)


def register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def localized(obj: Any, attr: str = "name") -> str:
    """`obj.<attr>` in the reader's language: the English one when reading English and it is filled in."""
    if (get_language() or "").startswith("en"):
        english = getattr(obj, f"{attr}_en", "")
        if english:
            return str(english)
    return str(getattr(obj, attr))


class Kit:
    """The styles of a printed document and the helpers that set text and tables in them."""

    def __init__(self) -> None:
        from reportlab.lib.enums import TA_CENTER
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.lib.units import mm

        register_font()
        self.body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15, wordWrap="CJK")
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=9, leading=12)
        self.heading = ParagraphStyle("heading", parent=self.body, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4)
        self.title = ParagraphStyle(
            "title", parent=self.body, fontSize=16, leading=24, alignment=TA_CENTER, spaceAfter=4
        )
        self.subtitle = ParagraphStyle("subtitle", parent=self.body, alignment=TA_CENTER, spaceAfter=10)
        self.width = A4[0] - 40 * mm

    def p(self, text: Any, style: Any = None) -> Any:
        """A paragraph of plain text (escaped, with the font's substitutes)."""
        from reportlab.platypus import Paragraph

        return Paragraph(escape(printable(str(text))), style or self.cell)

    def table(self, rows: list[list[Any]], widths: list[float], *, header: bool = True) -> Any:
        """A ruled table; cells that are not flowables yet become paragraphs."""
        from reportlab.lib import colors
        from reportlab.platypus import Flowable, Table, TableStyle

        grid = Table([[c if isinstance(c, Flowable) else self.p(c) for c in row] for row in rows], colWidths=widths)
        style = [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
        grid.setStyle(TableStyle(style))
        return grid

    def build(self, story: list[Any], *, title: str, author: str) -> bytes:
        """The story on A4 pages with the margins of every document here."""
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.units import mm
        from reportlab.platypus import SimpleDocTemplate

        buffer = BytesIO()
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=20 * mm,
            rightMargin=20 * mm,
            topMargin=18 * mm,
            bottomMargin=18 * mm,
            title=title,
            author=author,
        )
        document.build(story)
        return buffer.getvalue()

    def signature_blocks(self, blocks: list[list[Any]], height_mm: float = 45) -> Any:
        """Boxes two to a row for signatures and seals; each block is a list of flowables."""
        from reportlab.lib import colors
        from reportlab.lib.units import mm
        from reportlab.platypus import Table, TableStyle

        blocks = list(blocks)
        if len(blocks) % 2:
            blocks.append([])
        rows = [[left, right] for left, right in zip(blocks[::2], blocks[1::2], strict=True)]
        grid = Table(rows, colWidths=[self.width / 2, self.width / 2], rowHeights=[height_mm * mm] * len(rows))
        grid.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 0.5, colors.black),
                    ("INNERGRID", (0, 0), (-1, -1), 0.5, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return grid
