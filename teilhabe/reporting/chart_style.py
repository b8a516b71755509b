"""One chart style for every place a chart appears: page, slide, PNG download and PDF report.

Plotly only (no Streamlit), so that the app (``reporting.charts``), the images
(``reporting.images``) and the report share it. A figure is built once by ``reporting.charts``
and then styled for its target:
font sizes per target, margins that grow with the labels (plotly's ``automargin`` measures the
rendered tick labels and axis titles), the legend above the plot where it cannot collide with
rotated date labels, and category labels wrapped onto several lines instead of being cut.

Colours: one colour per figure across the app (ELB is always blue, LZB always orange, ...), and a
colour-blind-safe categorical palette (Paul Tol's "muted" scheme plus a dark grey) for up to ten
barriers or service categories; lines also differ in marker symbol and dash, so that they can be
told apart without colour.
"""

from __future__ import annotations

import copy
import textwrap
from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go

# plotly.js geo (the district map) asks for a world outline even when it draws none: an empty
# one, served by Streamlit from static/ (relative URL: works under server.baseUrlPath too) and
# read by kaleido from the folder.
TOPOJSON_URL = "app/static/topojson/"
TOPOJSON_DIR = Path(__file__).resolve().parents[2] / "static" / "topojson"

TEXT = "#1b2a38"  # the app theme's text colour (contrast 14.6:1 on white)
MUTED_TEXT = "#4a5561"  # captions and notes (7.4:1 on white)
FONT_FAMILY = "DejaVu Sans, Liberation Sans, Arial, sans-serif"

# One colour per figure, wherever it is drawn (pages, slides, PNG, PDF).
FIGURE_COLOURS = {
    "elb": "#1f5f8b",  # blue
    "lzb": "#c45a1c",  # orange (3.9:1 on white: visible as a line or bar)
    "lzb_4y_plus": "#7a3b69",  # plum
    "integration_rate": "#2e7d4f",  # green: K2 and the other integration figures
    "reach": "#4b6378",  # slate: network reach and events
    "event": "#5b6b7a",
}
# Paul Tol's colour-blind-safe "muted" scheme (9 colours) and a dark grey: up to ten categories.
CATEGORICAL = (
    "#332288",
    "#117733",
    "#44AA99",
    "#88CCEE",
    "#DDCC77",
    "#CC6677",
    "#AA4499",
    "#882255",
    "#999933",
    "#555555",
)
SYMBOLS = (
    "circle",
    "square",
    "diamond",
    "triangle-up",
    "x",
    "star",
    "cross",
    "triangle-down",
    "pentagon",
    "hexagon",
)
DASHES = ("solid", "dash", "dot", "dashdot")


@dataclass(frozen=True)
class Target:
    """Where a chart is shown: type sizes in layout pixels, and a fixed size for images."""

    font: int  # ticks, value labels, legend
    title: int  # heading drawn into an exported image
    width: int | None = None  # None: as wide as the page's column
    wrap: int = 22  # characters per line of a category label


TARGETS = {
    "screen": Target(font=13, title=16),
    "slide": Target(font=20, title=26, wrap=24),
    "png": Target(font=14, title=18, width=1000),
    # the report prints 800 layout pixels across 180 mm: 15 px are about 10 pt
    "pdf": Target(font=15, title=18, width=800, wrap=24),
}


def colour(index: int) -> str:
    return CATEGORICAL[index % len(CATEGORICAL)]


def line_look(index: int) -> dict:
    """Colour, marker symbol and dash of the index-th line of a multi-line chart."""
    return {
        "line": {"color": colour(index), "width": 2.5, "dash": DASHES[index // 3 % len(DASHES)]},
        "marker": {"color": colour(index), "symbol": SYMBOLS[index % len(SYMBOLS)], "size": 8},
    }


def wrap(label: object, width: int = 22) -> str:
    """A category label broken onto lines of about ``width`` characters (plotly's ``<br>``).

    Only between words: the label is already escaped for plotly (``html_text``), and a break
    inside ``&lt;`` would show the entity's pieces. The label stays whole (hover texts and
    exports show what the axis shows); horizontal bar charts grow to fit the lines.
    """
    text = str(label).replace("<br>", " ")  # styled again for another target: wrap anew
    if len(text) <= width:
        return text
    return "<br>".join(textwrap.wrap(text, width=width, break_long_words=False))


def _label_lines(labels: list[str]) -> int:
    return max((label.count("<br>") + 1 for label in labels), default=1)


def _fit_rows(figure: go.Figure, rows: int, lines: int, font: int) -> None:
    """Raise the height of a horizontal bar chart so that wrapped labels do not overlap."""
    needed = rows * (lines * font * 1.3 + 8) + 120  # plus the margins and the value axis
    current = figure.layout.height or 450  # plotly's default height
    if needed > current:
        figure.update_layout(height=round(needed))


def _style_bars(figure: go.Figure, trace, spec: Target) -> None:
    """Value labels not clipped; category labels wrapped, with room for their lines."""
    trace.update(cliponaxis=False, textfont_size=spec.font)
    horizontal = trace.orientation == "h"
    categories = trace.y if horizontal else trace.x
    if categories is None or not all(isinstance(c, str) for c in categories):
        return
    # under a vertical bar a label has the bar's width: narrower lines, no rotation
    width = spec.wrap if horizontal else max(12, spec.wrap // 2 + 2)
    wrapped = [wrap(c, width) for c in categories]
    trace.update(**({"y": wrapped} if horizontal else {"x": wrapped}))
    if horizontal:  # each bar's row as high as its label's lines
        _fit_rows(figure, len(wrapped), _label_lines(wrapped), spec.font)


def styled(figure: go.Figure, target: str = "screen", *, height: int | None = None) -> go.Figure:
    """``figure`` in the style of ``target`` ("screen", "slide", "png" or "pdf"), in place.

    Every axis gets ``automargin`` (the margins grow to the measured tick labels and titles),
    the fonts their target size, category labels are wrapped, bar value labels are not clipped.
    """
    spec = TARGETS[target]
    layout = figure.layout
    figure.update_layout(
        font={"family": FONT_FAMILY, "size": spec.font, "color": TEXT},
        hoverlabel={"font": {"size": max(13, spec.font - 2)}},
        legend={"font": {"size": spec.font, "color": TEXT}},
        paper_bgcolor="#ffffff",
        margin={"autoexpand": True},
    )
    if height is not None:
        figure.update_layout(height=height)
    if layout.legend.orientation == "h":
        # above the plot: below it, the legend would collide with (rotated) date labels
        figure.update_layout(
            legend={"x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom", "title": None}
        )
    # explicit colours: Streamlit's chart theme would grey the ticks out (below 4.5:1)
    axis = {
        "automargin": True,
        "title_standoff": 10,
        "tickfont": {"color": TEXT, "size": spec.font},
        "title_font": {"color": TEXT, "size": spec.font},
    }
    # x labels a little below the axis: the y axis' "0" must not touch the first date
    figure.update_xaxes(**axis, ticklabelstandoff=8)
    figure.update_yaxes(**axis)
    for trace in figure.data:
        if trace.type == "bar":
            _style_bars(figure, trace, spec)
        elif trace.type == "heatmap":
            trace.update(
                x=[wrap(c, 14) for c in trace.x] if trace.x is not None else None,
                y=[wrap(c, spec.wrap) for c in trace.y] if trace.y is not None else None,
                textfont={"size": max(12, spec.font - 2)},
            )
        if "colorbar" in trace and trace.type != "sankey":
            trace.update(
                colorbar={
                    "tickfont": {"color": TEXT, "size": spec.font},
                    "title_font_size": spec.font,
                }
            )
        if trace.type == "scattergeo" and trace.mode == "text":  # names on the map
            trace.update(textfont={"size": max(12, spec.font - 3)})
        if trace.type == "sankey":
            trace.update(textfont={"size": spec.font, "color": TEXT})
    return figure


def for_target(figure: go.Figure, target: str, *, height: int | None = None) -> go.Figure:
    """A styled copy: the page's figure stays as it is."""
    return styled(go.Figure(copy.deepcopy(figure.to_dict())), target, height=height)
