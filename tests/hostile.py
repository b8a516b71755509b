"""Hostile text in the demo data (issue 18): every name, title and label that comes from data
gets a payload that would become a link, markup, a colour, a formula or an image if it were not
kept text.

``make_hostile(engine)`` overwrites the demo data's texts in place (one transaction) and returns
which payload went where, so tests can look for the literal text.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

# Each payload is something one of the renderers would interpret: Markdown links and emphasis,
# HTML (Streamlit's Markdown and plotly's labels), Streamlit's colour directive and LaTeX, and
# spreadsheet formulas.
PHISH_LINK = "[Jetzt anmelden](https://evil.example/phish)"
ANCHOR = '<a href="https://evil.example">x</a>'
BIG = '<span style="font-size:90px">BIG</span>'
BOLD_HTML = "<b>fett</b>"
BOLD_MD = "**fett**"
HYPERLINK = '=HYPERLINK("https://evil.example","x")'
PLUS = "+1+1"
AT = "@SUM(1)"
MINUS = "-2+3"
TAB = "\t=1"
LATEX = "$x$"
COLOUR = ":red[rot]"
IMAGE = "<img src=x onerror=alert(1)>"

PAYLOADS = (
    PHISH_LINK, ANCHOR, BIG, BOLD_HTML, BOLD_MD, HYPERLINK, PLUS, AT, MINUS, TAB, LATEX, COLOUR,
    IMAGE,
)  # fmt: skip
FORMULA_PAYLOADS = (HYPERLINK, PLUS, AT, MINUS, TAB)


def _name(payload: str, label: str) -> str:
    # A payload first (that is where a formula or a Markdown block would start), then a word
    # that keeps the names apart.
    return f"{payload} {label}"


def make_hostile(engine) -> dict[str, list[str]]:
    """Put the payloads into every text of the data that the app shows; returns
    ``{what: [texts]}`` (``provider``, ``service``, ``category``, ``municipality``, ``event``,
    ``location``, ``jobcenter``, ``import_file``, ``import_user``)."""
    placed: dict[str, list[str]] = {}
    with engine.begin() as conn:

        def rename(table: str, key: str, column: str, what: str, *, offset: int = 0) -> None:
            keys = [
                row[0] for row in conn.execute(text(f"SELECT {key} FROM {table} ORDER BY {key}"))
            ]
            placed[what] = []
            for position, value in enumerate(keys):
                payload = PAYLOADS[(position + offset) % len(PAYLOADS)]
                new = _name(payload, f"{what[:3].upper()}{position + 1}")
                conn.execute(
                    text(f"UPDATE {table} SET {column} = :new WHERE {key} = :key"),
                    {"new": new, "key": value},
                )
                placed[what].append(new)

        rename("provider", "id", "name", "provider")
        rename("service", "id", "name", "service", offset=3)
        rename("service_category", "code", "label", "category", offset=5)
        rename("municipality", "ags", "name", "municipality", offset=7)
        rename("network_event", "id", "title", "event", offset=len(PAYLOADS) - 1)
        rename("provider_location", "id", "name", "location", offset=2)
        conn.execute(text("UPDATE network_event SET location = :v"), {"v": BIG})
        conn.execute(text("UPDATE provider SET kind = :v WHERE id = 'P01'"), {"v": COLOUR})
        conn.execute(text("UPDATE provider SET street = :v"), {"v": f"{IMAGE} Weg 1"})
        conn.execute(text("UPDATE provider SET city = :v"), {"v": f"{LATEX} Stadt"})
        conn.execute(text("UPDATE provider SET website = :v"), {"v": "https://evil.example/site"})
        conn.execute(text("UPDATE provider SET phone = :v"), {"v": HYPERLINK})
        jobcenter = f"{BOLD_MD} Jobcenter {COLOUR}"
        conn.execute(text("UPDATE district SET jobcenter_name = :v"), {"v": jobcenter})
        placed["jobcenter"] = [jobcenter]
        file_name, user = f"{HYPERLINK}{PHISH_LINK}.csv", f"{ANCHOR} {AT}"
        conn.execute(
            text(
                "INSERT INTO import_log (imported_at, table_name, file_name, file_sha256, rows,"
                " added, updated, unchanged, imported_by, data_version, imported_by_subject,"
                " imported_by_email, imported_by_role) VALUES (:at, 'provider', :file, :sha,"
                " 1, 0, 1, 0, :user, NULL, :subject, :email, 'datenverantwortung')"
            ),
            {
                "at": dt.datetime(2026, 11, 30, 10, 0),
                "file": file_name,
                "sha": "0" * 64,
                "user": user,
                "subject": BIG,
                "email": f"{PLUS}@evil.example",
            },
        )
        placed["import_file"], placed["import_user"] = [file_name], [user]
    return placed
