"""Where a chart's text lands: bounding boxes of every SVG text node, measured in Chromium.

Used by ``test_chart_layout_browser.py`` for charts in the running app (the browser draws them)
and for exported images (kaleido writes SVG with the same plotly.js; the SVG is then laid out in
the same browser). A text is a problem if it does not lie fully inside its image, or if an axis
title, tick label, legend entry or heading overlaps a text of another kind.
"""

from __future__ import annotations

# The kind of a text node, from the nearest ancestor (or own) class plotly gives it.
KINDS_JS = """
const KINDS = [
  ["xtick", "x-tick"], ["ytick", "y-tick"], ["g-xtitle", "axis-title"], ["g-ytitle", "axis-title"],
  ["g-x2title", "axis-title"], ["g-y2title", "axis-title"], ["legendtext", "legend"],
  ["g-gtitle", "heading"], ["annotation", "annotation"], ["cbaxis", "colorbar"],
  ["cbtitle", "colorbar"], ["colorbar", "colorbar"], ["node-label", "node"], ["textpoint", "value"],
  ["bartext", "value"], ["hm", "value"], ["scattergeo", "value"], ["scatterlayer", "value"],
];
function kindOf(node) {
  for (let el = node; el && el.tagName && el.tagName.toLowerCase() !== "svg"; el = el.parentNode) {
    const classes = (el.getAttribute && el.getAttribute("class") || "").split(/\\s+/);
    for (const [cls, kind] of KINDS) if (classes.includes(cls)) return kind;
  }
  return "other";
}
"""

# Boxes of the visible text nodes of every plotly chart (or SVG) under ``root``, relative to the
# chart's outer box (the first .main-svg of a plotly div, or the <svg> itself).
MEASURE_JS = (
    "(root) => {"
    + KINDS_JS
    + """
  const charts = Array.from(root.querySelectorAll(".js-plotly-plot, div.standalone > svg"));
  return charts.map((chart, index) => {
    const frame = (chart.tagName.toLowerCase() === "svg" ? chart
                   : chart.querySelector(".main-svg")).getBoundingClientRect();
    const texts = [];
    for (const node of chart.querySelectorAll("text")) {
      const content = (node.textContent || "").trim();
      if (!content) continue;
      const style = getComputedStyle(node);
      if (style.display === "none" || style.visibility === "hidden" || style.opacity === "0")
        continue;
      if (node.closest(".hoverlayer, .modebar-container, .hovertext, .spikeline")) continue;
      const box = node.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) continue;
      texts.push({text: content, kind: kindOf(node),
                  x0: box.left - frame.left, y0: box.top - frame.top,
                  x1: box.right - frame.left, y1: box.bottom - frame.top});
    }
    return {index, width: frame.width, height: frame.height, texts};
  });
}
"""
)

# Pairs of kinds that must never overlap (values inside bars or heatmap cells may touch ticks).
SEPARATE = {"x-tick", "y-tick", "axis-title", "legend", "heading", "colorbar", "annotation"}
TOLERANCE = 1.0  # px: anti-aliasing and rounding


def problems(chart: dict, name: str) -> list[str]:
    """What a presenter would notice: text cut at the edge, or labels on top of each other."""
    found = []
    width, height = chart["width"], chart["height"]
    for t in chart["texts"]:
        if (
            t["x0"] < -TOLERANCE
            or t["y0"] < -TOLERANCE
            or t["x1"] > width + TOLERANCE
            or t["y1"] > height + TOLERANCE
        ):
            found.append(
                f"{name}: {t['kind']} „{t['text'][:40]}“ outside the {width:.0f}×{height:.0f} "
                f"image (box {t['x0']:.0f},{t['y0']:.0f}–{t['x1']:.0f},{t['y1']:.0f})"
            )
    texts = [t for t in chart["texts"] if t["kind"] in SEPARATE]
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            if a["kind"] == b["kind"] and a["kind"] in {"x-tick", "y-tick", "legend", "colorbar"}:
                continue  # neighbours of one kind: plotly spaces them itself
            overlap_x = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
            overlap_y = min(a["y1"], b["y1"]) - max(a["y0"], b["y0"])
            if overlap_x > 2 and overlap_y > 2:
                found.append(
                    f"{name}: {a['kind']} „{a['text'][:30]}“ overlaps {b['kind']} "
                    f"„{b['text'][:30]}“"
                )
    return found


def measure_svgs(page, svgs: list[str]) -> list[dict]:
    """Lay out SVG images (as kaleido writes them) in the browser and measure their texts."""
    body = "".join(f'<div class="standalone" style="margin:0 0 8px 0">{svg}</div>' for svg in svgs)
    page.set_content(f"<!doctype html><html><body style='margin:0'>{body}</body></html>")
    return page.evaluate(MEASURE_JS, page.locator("body").element_handle())


def measure_page(page) -> list[dict]:
    """Measure every plotly chart on the current Streamlit page."""
    return page.evaluate(MEASURE_JS, page.locator("body").element_handle())
