"""Charts as PNG images, rendered offline: for chart downloads and the PDF report.

Kaleido renders a plotly figure in a headless Chromium (the Debian package ``chromium``, which
kaleido finds by itself). Nothing is fetched from the internet: plotly.js comes from the installed
plotly package (kaleido's default) and MathJax, which kaleido would otherwise load from a CDN, is
switched off (the app's charts use no LaTeX).

Starting Chromium takes about 2 s, each image then a few tenths of a second, so several images
are rendered in one browser (``figure_pngs``). No Streamlit here.
"""

from __future__ import annotations

import asyncio
import copy
import textwrap
import threading
from collections.abc import Sequence

import kaleido
import plotly.graph_objects as go

from teilhabe.reporting.chart_style import MUTED_TEXT, TARGETS, TOPOJSON_DIR, for_target

WIDTH = 1000  # layout pixels; the image has WIDTH * SCALE pixels
DEFAULT_HEIGHT = 450  # for figures without a height of their own
SCALE = 2  # sharp enough for print and projectors
TIMEOUT = 60  # seconds per image
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

Note = str | Sequence[str] | None  # text under a chart: one line or several


class ChartRenderError(RuntimeError):
    """The images could not be rendered (no Chromium, or it failed); message in German."""


def figure_png(
    figure: go.Figure,
    *,
    title: str | None = None,
    note: Note = None,
    width: int = WIDTH,
    height: int | None = None,
    scale: float = SCALE,
    target: str = "png",
) -> bytes:
    """One figure as PNG bytes (white background, fixed size); ``ChartRenderError`` on failure.

    ``title`` and ``note`` (a line or several, e.g. Stichtag and filters) are drawn into the
    image only, so that a downloaded picture says what it shows; the figure is not changed.
    """
    return figure_pngs(
        [figure],
        titles=[title],
        notes=[note],
        width=width,
        height=height,
        scale=scale,
        target=target,
    )[0]


def figure_pngs(
    figures: Sequence[go.Figure],
    *,
    titles: Sequence[str | None] | None = None,
    notes: Sequence[Note] | None = None,
    width: int = WIDTH,
    height: int | None = None,
    scale: float = SCALE,
    target: str = "png",
    image_format: str = "png",
) -> list[bytes]:
    """Several figures as PNG bytes (or SVG with ``image_format="svg"``), rendered in one
    Chromium (started once), in the chart style of ``target`` ("png" or "pdf")."""
    if not figures:
        return []
    titles = titles or [None] * len(figures)
    notes = notes or [None] * len(figures)
    specs = []
    for figure, title, note in zip(figures, titles, notes, strict=True):
        prepared = printable(figure, title=title, note=note, target=target, width=width)
        size = height or prepared["layout"].get("height") or DEFAULT_HEIGHT
        opts = {"format": image_format, "width": width, "height": size, "scale": scale}
        specs.append((prepared, opts))
    return _run(_render(specs))


def printable(
    figure: go.Figure,
    *,
    title: str | None = None,
    note: Note = None,
    target: str = "png",
    width: int = WIDTH,
) -> dict:
    """The figure as a plain dict for a static image: white background, optional heading.

    The chart style of ``target`` (``reporting.chart_style``: type sizes, margins grown to the
    labels, wrapped category labels). Hover-only parts stay as they are (they are simply not
    shown). The title and, under it in grey, the note lines go above the plot and the legend;
    the top margin is made for them.
    """
    styled = for_target(figure, target)
    spec = copy.deepcopy(styled.to_plotly_json())
    layout = spec.setdefault("layout", {})
    layout["paper_bgcolor"] = "white"
    layout.setdefault("plot_bgcolor", "white" if _has_no_axes(spec) else "#f4f6f8")
    layout.setdefault("font", {}).setdefault("family", "DejaVu Sans, Liberation Sans, Arial")
    lines = [note] if isinstance(note, str) else [line for line in note or [] if line]
    # long filter descriptions and titles wrap within the image (about 0.6 em per character)
    lines = [part for line in lines for part in textwrap.wrap(line, int(width / (12 * 0.6)))]
    size = TARGETS[target].title
    title_lines = textwrap.wrap(title or "", int(width / (size * 0.62)))
    if title or lines:
        heading: dict[str, object] = {
            "text": "<br>".join(_escape(line) for line in title_lines),
            "x": 0,
            "xref": "paper",
            "xanchor": "left",
            "yref": "container",
            "y": 1,
            "yanchor": "top",
            "pad": {"t": 12},
            "font": {"size": size},
        }
        if lines:
            heading["subtitle"] = {
                "text": "<br>".join(_escape(line) for line in lines),
                "font": {"size": 12, "color": MUTED_TEXT},
            }
        layout["title"] = heading
        margin = dict(layout.get("margin") or {})
        heading_height = (size * 1.3 * len(title_lines) + 12 if title else 16) + 17 * len(lines)
        margin["t"] = int(margin.get("t", 0) + heading_height + 8)
        layout["margin"] = margin
        _below_heading(layout, heading_height)
    return spec


def _below_heading(layout: dict, heading_height: float) -> None:
    """A legend above the plot moves under the heading (in pixels from the image's top)."""
    legend = layout.get("legend") or {}
    if legend.get("orientation") == "h" and legend.get("yanchor") == "bottom":
        legend.update({"yref": "container", "y": 1, "yanchor": "top"})
        legend["y"] = 1 - (heading_height + 4) / (layout.get("height") or DEFAULT_HEIGHT)
        layout["legend"] = legend


def _has_no_axes(spec: dict) -> bool:
    return all(trace.get("type") in {"sankey", "pie", "table"} for trace in spec.get("data", []))


def _escape(text: str) -> str:
    """Plain text for plotly's HTML-like labels."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def _render(specs: list[tuple[dict, dict]]) -> list[bytes]:
    try:
        async with kaleido.Kaleido(n=1, timeout=TIMEOUT, mathjax=False) as browser:
            topojson = TOPOJSON_DIR.as_uri() + "/"  # the map's empty world outline, offline
            return [
                await browser.calc_fig(spec, opts=opts, topojson=topojson) for spec, opts in specs
            ]
    except Exception as error:  # kaleido and choreographer raise many kinds
        raise ChartRenderError(
            f"Diagramme konnten nicht als Bild erzeugt werden ({type(error).__name__}: "
            f"{str(error).strip().splitlines()[0] if str(error).strip() else 'ohne Meldung'}). "
            "Ist Chromium installiert (Debian-Paket „chromium“)?"
        ) from error


def _run(coroutine):
    """Run the coroutine in its own thread and event loop (safe inside a running loop)."""
    result: dict[str, object] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coroutine)
        except BaseException as error:  # handed to the caller's thread
            result["error"] = error

    thread = threading.Thread(target=target, name="kaleido-render", daemon=True)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result["value"]
