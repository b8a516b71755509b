"""Text from data and links is text on every page and slide, in a real browser (issue 18).

The app runs on the demo data with a hostile payload in every text (``tests/hostile.py``):
provider, service, category, municipality and event names, the Jobcenter, the import log. On
every page and slide: no link to evil.example, nothing 90px big, no image from data, no bold
"fett", no red "rot", no LaTeX; plotly gets no raw markup from data and shows no entity as it
is; the payloads are there, literally, where the names are shown.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import REPO
from tests.hostile import ANCHOR, BIG

PHISH_PARAM = "%5BNeu%20anmelden%5D(https%3A%2F%2Fevil.example%2Fx)"
JOBCENTER = "**fett** Jobcenter :red[rot]"

INSPECT = r"""() => {
  const out = {};
  const href = a => (a.getAttribute('href') || '') + (a.getAttribute('xlink:href') || '');
  out.links = [...document.querySelectorAll('a')].filter(a => /evil\.example/.test(href(a)))
    .map(a => a.outerHTML.slice(0, 160));
  out.big = [...document.querySelectorAll('body *')]
    // the payload's text set big (a slide's own headline numbers are big by design)
    .filter(e => /BIG/.test(e.textContent || '') && parseFloat(getComputedStyle(e).fontSize) >= 60)
    .map(e => e.tagName + ': ' + (e.textContent || '').slice(0, 60));
  out.images = [...document.querySelectorAll('img')]
    .filter(i => i.getAttribute('src') === 'x' || i.hasAttribute('onerror'))
    .map(i => i.outerHTML);
  out.bold = [...document.querySelectorAll('b, strong')]
    .filter(e => e.textContent.trim() === 'fett').map(e => e.outerHTML);
  out.coloured = [...document.querySelectorAll('span')]
    .filter(e => e.textContent.trim() === 'rot').map(e => e.outerHTML.slice(0, 160));
  out.latex = [...document.querySelectorAll('.katex, math')].map(e => e.textContent);
  out.raw = [];
  const walk = (v, path) => {
    if (typeof v === 'string') {
      if (/<(a|span|img)[\s>]|<b>fett/i.test(v)) out.raw.push(path + ': ' + v.slice(0, 120));
    } else if (Array.isArray(v)) v.forEach(x => walk(x, path));
    else if (v && typeof v === 'object') for (const k of Object.keys(v)) walk(v[k], path + '.' + k);
  };
  document.querySelectorAll('.js-plotly-plot').forEach((gd, i) => {
    walk(gd.data, 'chart' + i + '.data'); walk(gd.layout, 'chart' + i + '.layout');
  });
  out.entities = [...document.querySelectorAll('svg text')].map(t => t.textContent)
    .filter(t => /&(quot|#\d+|lt|gt|amp);/.test(t));
  const flat = s => s.replaceAll('\u2060', '').replace(/\s+/g, ' ');
  out.text = flat(document.body.innerText);
  out.svg = flat([...document.querySelectorAll('svg text')].map(t => t.textContent).join(' '));
  return out;
}"""

SHOWN = r"""(literal) => {
  const flat = s => s.replaceAll('\u2060', '').replace(/\s+/g, ' ');
  const text = flat(document.body.innerText) + ' ' +
    flat([...document.querySelectorAll('svg text')].map(t => t.textContent).join(' '));
  return literal.every(l => text.includes(l));
}"""

PAGES = [
    ("/", [JOBCENTER]),
    (f"/?gemeinde={PHISH_PARAM}", [JOBCENTER, "[Neu anmelden](https://evil.example/x)"]),
    ("/integration", [JOBCENTER]),
    ("/barriers", [JOBCENTER]),
    ("/network_map", [JOBCENTER, f"{ANCHOR} MUN8", f"{BIG} MUN9"]),
    ("/network", [JOBCENTER]),
    (f"/network?angebot={PHISH_PARAM}", [JOBCENTER]),
    (
        "/data",
        ['=HYPERLINK("https://evil.example","x")[Jetzt anmelden](https://evil.example/phish).csv'],
    ),
    *[(f"/presentation?folie={n}", [JOBCENTER]) for n in (1, 2, 3, 4, 5)],
    ("/presentation?folie=6", [JOBCENTER, "[Jetzt anmelden](https://evil.example/phish) EVE2"]),
]


@pytest.fixture(scope="module")
def hostile_server(start_streamlit, hostile_sqlite_url) -> str:
    return start_streamlit(
        REPO / "app.py",
        env={
            "TEILHABE_DATABASE_URL": hostile_sqlite_url,
            "TEILHABE_CELL_KEY_SECRET": None,
            "TEILHABE_MIN_RATE_BASE": None,
            "TEILHABE_ANONYMOUS_IMPORTS": "true",  # the import tab with its texts, too
        },
    )


@pytest.mark.parametrize(("path", "literal"), PAGES, ids=[p for p, _ in PAGES])
def test_text_from_data_stays_text(
    hostile_server, page, open_app, save_screenshot, path: str, literal: list[str]
) -> None:
    open_app(page, f"{hostile_server}{path}")
    if path == "/data":  # the import log, where file names and persons are shown
        page.get_by_role("tab", name="Importprotokoll", exact=True).click()
        expect(page.get_by_text("Letzter Import:")).to_be_visible()
    try:  # charts and the map draw their labels after the script run
        page.wait_for_function(SHOWN, arg=literal, timeout=60_000)
    except Exception:
        pass  # the assertion below names what is missing
    found = page.evaluate(INSPECT)
    save_screenshot(page, "hostile" + path.replace("/", "_").split("%")[0])
    for key in ("links", "big", "images", "bold", "coloured", "latex", "raw", "entities"):
        assert found[key] == [], key
    for text in literal:
        assert text in found["text"] or text in found["svg"], text
    assert page.external_requests == []


def test_names_in_hover_texts_and_ticks_are_text(hostile_server, page, open_app) -> None:
    """The event star on the stock trend: its hover names the event literally, as text."""
    open_app(page, f"{hostile_server}/")
    chart = page.locator(".js-plotly-plot").first
    stars = chart.locator(".scatterlayer .trace").last.locator(".point")
    expect(stars).to_have_count(2)
    stars.last.hover(force=True)
    hover = chart.locator(".hoverlayer")
    expect(hover).to_contain_text("[Jetzt anmelden](https://evil.example/phish) EVE2")
    assert hover.locator("a").count() == 0
    # the Netzwerk page's bars of reach by category: hostile category names as tick labels
    open_app(page, f"{hostile_server}/presentation?folie=5")
    ticks = page.locator(".js-plotly-plot .ytick text")
    expect(ticks.first).to_be_attached()
    labels = " ".join(t.replace("\u2060", "") for t in ticks.all_text_contents())
    assert "CAT10" in labels and "<a" in labels and "<img" in labels
    assert page.locator(".js-plotly-plot a").count() == 0
