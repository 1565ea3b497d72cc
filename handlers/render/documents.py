"""Printable documents (PDF) for Synaq: A4 pages with a font that has every Kazakh letter.

One small API shared by every PDF the product makes (invite sheets, trial reports, parent
summaries, portfolios)::

    doc = Document(title="Journal", footer="Printed 27.11.2026")
    doc.heading("8А — Электромонтер")
    doc.paragraph("Бүгін мен ...")
    doc.fields([("Date", "27.11.2026 10:00–12:00"), ("Site", "…")])
    doc.table(["Pupil", "Consent"], [["Аружан", "yes"]], widths=[60, 30])
    doc.image(png_bytes, width=40)
    pdf_bytes = doc.output()

Texts are plain (not HTML): render msgids with ``Translator.plain``. The font is DejaVu Sans,
which ships with matplotlib (a dependency anyway), so no font needs installing on a school's
server; the core PDF fonts have no Cyrillic, let alone ә ғ қ ң ө ұ ү һ і.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.fonts import FontFace

# fontTools reports every font subset it makes at INFO: noise in a school server's log.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONT = "DejaVu"
MARGIN = 15.0  # mm
A4_WIDTH, A4_HEIGHT = 210.0, 297.0


@cache
def font_files() -> tuple[Path, Path]:
    """DejaVu Sans regular and bold from matplotlib's data folder."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
    if not regular.exists() or not bold.exists():  # a broken install, not a user's error
        raise FileNotFoundError(f"DejaVu Sans not found in {folder}")
    return regular, bold


def qr_png(data: str, scale: int = 8) -> bytes:
    """A QR picture of ``data`` (a link or a code) as PNG bytes."""
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()


class _Pdf(FPDF):
    footer_text: str = ""

    def footer(self) -> None:
        # Up to two lines of small text on the left, the page number on the right.
        self.set_y(-14)
        self.set_font(FONT, size=7)
        self.set_text_color(90, 90, 90)
        self.cell(0, 3.5, f"{self.page_no()}/{{nb}}", align="R")
        if self.footer_text:
            self.set_xy(self.l_margin, -14)
            self.multi_cell(self.epw - 14, 3.5, self.footer_text, align="L")
        self.set_text_color(0, 0, 0)


class Document:
    """An A4 document being written from top to bottom.

    ``title`` goes into the file's metadata and, unless ``show_title`` is False, as the first
    heading; ``footer`` is printed small on every page with the page number.
    """

    def __init__(self, title: str, footer: str = "", *, landscape: bool = False,
                 show_title: bool = True, created: datetime | None = None) -> None:
        pdf = _Pdf(orientation="L" if landscape else "P", unit="mm", format="A4")
        regular, bold = font_files()
        pdf.add_font(FONT, "", str(regular))
        pdf.add_font(FONT, "B", str(bold))
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(auto=True, margin=MARGIN + 3)
        pdf.footer_text = footer
        pdf.set_title(title)
        pdf.set_creator("Synaq")
        pdf.set_creation_date(created or datetime.now(UTC))
        pdf.alias_nb_pages()
        pdf.add_page()
        pdf.set_font(FONT, size=10)
        self.pdf = pdf
        if show_title:
            self.heading(title, level=0)

    # --- measures ---------------------------------------------------------------------------

    @property
    def width(self) -> float:
        """The usable width between the margins, in mm."""
        return float(self.pdf.epw)

    @property
    def y(self) -> float:
        return float(self.pdf.get_y())

    def space_left(self) -> float:
        return float(self.pdf.h - self.pdf.b_margin - self.pdf.get_y())

    def need(self, height: float) -> None:
        """Start a new page unless ``height`` mm fit on this one."""
        if self.space_left() < height:
            self.page_break()

    def page_break(self) -> None:
        self.pdf.add_page()

    def flowing(self, on: bool) -> None:
        """Whether text running past the bottom margin starts a new page (on, the default) or
        stays put (off: for pages laid out by coordinates, like a sheet of slips)."""
        self.pdf.set_auto_page_break(auto=on, margin=MARGIN + 3)

    # --- text -------------------------------------------------------------------------------

    def heading(self, text: str, level: int = 1) -> None:
        size = {0: 16.0, 1: 13.0, 2: 11.0}.get(level, 11.0)
        self.need(size * 1.2)
        if level and self.pdf.get_y() > self.pdf.t_margin + 1:
            self.pdf.ln(2)
        self.pdf.set_font(FONT, "B", size)
        self.pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1.5)
        self.pdf.set_font(FONT, size=10)

    def paragraph(self, text: str, size: float = 10, bold: bool = False,
                  color: tuple[int, int, int] = (0, 0, 0)) -> None:
        self.pdf.set_font(FONT, "B" if bold else "", size)
        self.pdf.set_text_color(*color)
        self.pdf.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_text_color(0, 0, 0)
        self.pdf.ln(1)
        self.pdf.set_font(FONT, size=10)

    def fields(self, pairs: Sequence[tuple[str, str]], label_width: float = 55) -> None:
        """Label → value lines (a card): labels bold on the left, values wrapping on the right."""
        self.table([], [[label, value] for label, value in pairs],
                   widths=[label_width, self.width - label_width], bold_first=True)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]],
              widths: Sequence[float] | None = None, size: float = 9,
              bold_first: bool = False) -> None:
        """A table that breaks across pages, repeating its header row."""
        if not rows and not headers:
            return
        columns = len(headers) if headers else len(rows[0])
        widths = list(widths) if widths else [self.width / columns] * columns
        self.pdf.set_font(FONT, size=size)
        first = FontFace(emphasis="BOLD") if bold_first else None
        with self.pdf.table(
            col_widths=widths, width=sum(widths), align="LEFT", text_align="LEFT",
            first_row_as_headings=bool(headers),
            headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
            line_height=size * 0.5, padding=1.2, borders_layout="ALL",
        ) as table:
            if headers:
                heading = table.row()
                for header in headers:
                    heading.cell(header)
            for values in rows:
                row = table.row()
                for i, value in enumerate(values):
                    row.cell(str(value), style=first if i == 0 else None)
        self.pdf.ln(2)
        self.pdf.set_font(FONT, size=10)

    # --- pictures ---------------------------------------------------------------------------

    def image(self, data: bytes, width: float, x: float | None = None,
              y: float | None = None) -> None:
        """A PNG or JPEG picture ``width`` mm wide; at the current position unless placed."""
        self.pdf.image(io.BytesIO(data), x=x if x is not None else self.pdf.get_x(),
                       y=y, w=width)

    def text_at(self, x: float, y: float, width: float, text: str, size: float = 10,
                bold: bool = False, align: str = "L") -> float:
        """Wrap ``text`` into a box at (x, y) ``width`` mm wide; returns the y below it."""
        self.pdf.set_xy(x, y)
        self.pdf.set_font(FONT, "B" if bold else "", size)
        self.pdf.multi_cell(width, size * 0.45, text, align=align, new_x="LEFT",
                            new_y="NEXT")
        self.pdf.set_font(FONT, size=10)
        return float(self.pdf.get_y())

    def dashed_rect(self, x: float, y: float, w: float, h: float) -> None:
        """A cut-out outline."""
        self.pdf.set_draw_color(150, 150, 150)
        self.pdf.set_dash_pattern(dash=1.5, gap=1.5)
        self.pdf.rect(x, y, w, h)
        self.pdf.set_dash_pattern()
        self.pdf.set_draw_color(0, 0, 0)

    def output(self) -> bytes:
        return bytes(self.pdf.output())
