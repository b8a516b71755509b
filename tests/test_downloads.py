"""The download helpers of the pages: PNG per chart and the PDF report, both built on click."""

from __future__ import annotations

import io

import plotly.graph_objects as go
import pytest
import streamlit as st
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from teilhabe.demo import AS_OF
from teilhabe.protection import Protection
from teilhabe.reporting.images import PNG_MAGIC
from teilhabe.selection import Filters
from ui import downloads
from ui.data import Dataset
from ui.filters import Selection

DATASET = Dataset(
    version="test",
    as_of=AS_OF,
    synthetic=True,
    source="demo",
    protection=Protection(),
    jobcenter="Jobcenter Landkreis Heidenheim",
)


@pytest.fixture
def buttons(monkeypatch) -> list[dict]:
    """The download buttons drawn (their arguments), without a Streamlit run."""
    drawn: list[dict] = []

    def download_button(label: str, **kwargs) -> None:
        drawn.append({"label": label, **kwargs})

    monkeypatch.setattr(downloads.st, "download_button", download_button)
    monkeypatch.setattr(downloads.st, "plotly_chart", lambda *args, **kwargs: None)
    return drawn


def test_the_png_is_rendered_only_on_click(buttons, monkeypatch) -> None:
    rendered = []
    real = downloads._png.__wrapped__
    downloads._png.cache_clear()
    monkeypatch.setattr(downloads, "_png", lambda *args: rendered.append(args) or real(*args))
    figure = go.Figure(go.Bar(x=["a", "b"], y=[3, 5]))
    downloads.chart_with_download(figure, "probe", "probe-bild", title="Probe", note="Stichtag")
    assert rendered == []  # nothing rendered on the page run
    (button,) = buttons
    assert (button["label"], button["file_name"], button["mime"]) == (
        "PNG",
        "probe-bild.png",
        "image/png",
    )
    assert button["key"] == "download_probe_png" and button["on_click"] == "ignore"
    png = button["data"]()
    assert png.startswith(PNG_MAGIC)
    assert rendered[0][1:] == ("Probe", ("Stichtag",))


def test_the_report_button_builds_the_report_of_the_selection(
    buttons, monkeypatch, demo_engine, demo_cases
) -> None:
    cases = demo_cases
    monkeypatch.setattr(downloads.data, "report_inputs", lambda version: (demo_engine, cases))
    monkeypatch.setattr(downloads, "describe", lambda selection: "Gemeinden: Nattheim")
    selection = Selection(as_of=AS_OF, years=2, filters=Filters(municipalities=("08135026",)))
    downloads.report_download(DATASET, selection)
    (button,) = buttons
    assert (button["label"], button["file_name"], button["mime"]) == (
        "Bericht (PDF)",
        "teilhabe-bericht-2013-09.pdf",
        "application/pdf",
    )
    pdf = button["data"]()
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Stichtag: 30.09.2013" in text
    assert "Auswahl: Gemeinden: Nattheim" in text
    assert "Verläufe: 10/2011 bis 09/2013" in text
    assert "Zufallsüberlagerung" in text and "*" not in text  # the cell-key note, no stars
    assert button["data"]() is pdf  # a second click: the same file, not built again


def test_a_page_with_the_helpers_runs(monkeypatch, demo_sqlite_url) -> None:
    monkeypatch.setenv("TEILHABE_DATABASE_URL", demo_sqlite_url)
    st.cache_resource.clear()
    st.cache_data.clear()

    def page() -> None:
        import plotly.graph_objects as go

        from teilhabe.selection import Filters
        from ui import data, downloads
        from ui.filters import Selection

        dataset = data.dataset()
        chosen = Selection(as_of=dataset.as_of, years=5, filters=Filters())
        figure = go.Figure(go.Bar(x=["a"], y=[3]))
        note = downloads.chart_note(dataset, chosen)
        downloads.chart_with_download(figure, "probe", "probe", title="Probe", note=note)
        downloads.report_download(dataset, chosen)

    app = AppTest.from_function(page, default_timeout=60)
    app.run()
    assert not app.exception
    assert len(app.get("plotly_chart")) == 1
    labels = [button.proto.label for button in app.get("download_button")]
    assert labels == ["PNG", "Bericht (PDF)"]
