"""The PDF document of the report: font, page furniture and tables (fpdf2).

What the report says is ``reporting.pdf``; this module owns how a page looks: the font choice
(a system TrueType font with the German letters, else fpdf2's core font Helvetica with
``LATIN1_REPLACEMENTS``), A4 with margins, the footer with page number and confidentiality
note, headings that keep their text on the page, paragraphs and tables with a shaded heading row.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

logger = logging.getLogger(__name__)

# Characters outside Latin-1 that the app's texts use, for the core-font fallback.
LATIN1_REPLACEMENTS = {
    "≥": ">=",
    "≤": "<=",
    "–": "-",
    "—": "-",
    "−": "-",
    "„": '"',
    "“": '"',
    "”": '"',
    "‚": "'",
    "‘": "'",
    "’": "'",
    "…": "...",
    "→": "->",
    "€": "EUR",
    "•": "-",
}
# Needed of a TrueType font: German letters, the symbols of the texts, the digits.
REQUIRED_CHARACTERS = "äöüÄÖÜß≥–−„“§·\u00a0"
# Regular and bold face at the paths of common Linux distributions, best first.
FONT_CANDIDATES: tuple[tuple[str, str, str], ...] = (
    (
        "DejaVuSans",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",  # Debian, Ubuntu
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
    (
        "DejaVuSans",
        "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",  # Fedora
        "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf",
    ),
    (
        "DejaVuSans",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",  # Arch
        "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    ),
    (
        "DejaVuSans",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",  # Alpine, older Fedora
        "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    ),
    (
        "LiberationSans",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",  # Debian
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ),
    (
        "LiberationSans",
        "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",  # Fedora
        "/usr/share/fonts/liberation-sans/LiberationSans-Bold.ttf",
    ),
)
CORE_FONT = "Helvetica"


@dataclass(frozen=True)
class FontChoice:
    family: str
    regular: str | None  # None: fpdf2's core font (Latin-1 only)
    bold: str | None


@functools.cache
def report_font(candidates: tuple[tuple[str, str, str], ...] = FONT_CANDIDATES) -> FontChoice:
    """The first candidate whose two files exist and have every required character."""
    for family, regular, bold in candidates:
        if all(_covers(path) for path in (regular, bold)):
            return FontChoice(family, regular, bold)
    logger.info("Keine TrueType-Schrift gefunden; der Bericht nutzt %s (Latin-1).", CORE_FONT)
    return FontChoice(CORE_FONT, None, None)


def _covers(path: str) -> bool:
    if not Path(path).is_file():
        return False
    try:
        from fontTools.ttLib import TTFont  # fpdf2's own dependency

        with TTFont(path, lazy=True) as font:
            mapping = font.getBestCmap() or {}
    except Exception:  # a damaged or unreadable file is simply not used
        return False
    return all(ord(c) in mapping for c in REQUIRED_CHARACTERS)


def to_latin1(text: str) -> str:
    """Text for the core font: known replacements, anything else outside Latin-1 as "?"."""
    for character, replacement in LATIN1_REPLACEMENTS.items():
        text = text.replace(character, replacement)
    return text.encode("latin-1", errors="replace").decode("latin-1")


BLUE = (31, 95, 139)  # charts.COLOURS["elb"]
GREY = (91, 107, 122)
LIGHT = (236, 241, 246)
PAGE_MARGIN = 15  # mm


class ReportPDF(FPDF):
    """A4 portrait with the report's font, and footer with page number and confidentiality."""

    def __init__(self, font: FontChoice, footer_text: str, note: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.choice = font
        self.footer_text = footer_text
        self.footer_note = note
        if font.regular and font.bold:
            self.add_font(font.family, "", font.regular)
            self.add_font(font.family, "B", font.bold)
        self.set_margins(PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN)
        self.set_auto_page_break(True, margin=24)

    def normalize_text(self, text: str) -> str:
        if not self.is_ttf_font:
            text = to_latin1(text)
        return super().normalize_text(text)

    def use(self, size: float, bold: bool = False, colour: tuple[int, int, int] = (0, 0, 0)):
        self.set_font(self.choice.family, "B" if bold else "", size)
        self.set_text_color(*colour)

    def footer(self) -> None:
        self.set_y(-20)
        self.use(7, colour=GREY)
        self.multi_cell(0, 3.2, self.footer_note, align="L", new_x="LMARGIN", new_y="NEXT")
        self.use(7.5, colour=GREY)
        self.cell(0, 5, f"{self.footer_text} · Seite {self.page_no()} von {{nb}}", align="R")

    def keep(self, height: float) -> None:
        """Start a new page unless ``height`` mm fit below (but never on an empty page)."""
        if self.get_y() + height > self.page_break_trigger and self.get_y() > self.t_margin + 1:
            self.add_page()

    def heading(self, text: str, follows: float = 25) -> None:
        """A section heading, on a new page unless it and ``follows`` mm after it fit."""
        self.keep(13 + follows)
        self.ln(4)
        self.use(13, bold=True, colour=BLUE)
        self.cell(0, 8, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def paragraph(self, text: str, size: float = 9.5, colour=(0, 0, 0), bold=False) -> None:
        self.use(size, bold=bold, colour=colour)
        self.multi_cell(0, size * 0.48, text, align="L", new_x="LMARGIN", new_y="NEXT")


def table(
    pdf: ReportPDF,
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    widths: Sequence[float],
    numeric_from: int,
    last_bold: bool = False,
) -> None:
    """A table with a shaded heading row; columns from ``numeric_from`` on right-aligned."""
    pdf.use(8.5)
    align = tuple("LEFT" if i < numeric_from else "RIGHT" for i in range(len(headings)))
    style = FontFace(emphasis="BOLD", fill_color=LIGHT, color=(0, 0, 0))
    with pdf.table(
        col_widths=tuple(widths),
        width=sum(widths),
        align="LEFT",
        text_align=align,
        headings_style=style,
        line_height=4.6,
        borders_layout="HORIZONTAL_LINES",
        padding=(1, 1.2),
    ) as table:
        table.row(list(headings))
        for number, row in enumerate(rows):
            bold = last_bold and number == len(rows) - 1
            table.row(list(row), style=FontFace(emphasis="BOLD") if bold else None)
