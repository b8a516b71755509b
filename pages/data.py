"""Daten: import files (check first, then import), templates, data quality, import log."""

import streamlit as st

from teilhabe.formatting import format_as_of, format_count
from ui import components, imports, shell, tables

shell.require_router()
dataset = imports.loaded_dataset()
if dataset is None:
    st.title("Daten")
    st.info(
        "Die Datenbank enthält noch keine Leistungsdaten. Hier lassen sich die Tabellen "
        "importieren, am besten in der Reihenfolge der Auswahlliste: Kreise, Gemeinden, "
        "Anbieter, Leistungen, Personen, Leistungszeiträume, …",
        icon=":material/info:",
    )
else:
    components.page_header("Daten", dataset, dataset.as_of, "ganzer Datenbestand, ohne Filter")

import_tab, quality_tab, log_tab = st.tabs(["Import", "Datenqualität", "Importprotokoll"])

with import_tab:
    st.header("Datei importieren")
    st.caption(
        "Tabelle wählen, Datei hochladen (CSV mit Komma oder Semikolon, Excel oder Parquet), "
        "den Prüfbericht ansehen, dann importieren. Geprüft wird die ganze Datei, bevor etwas "
        "geschrieben wird; importiert wird alles oder nichts. Zeilen mit bekanntem Schlüssel "
        "werden aktualisiert, neue ergänzt, nichts wird gelöscht; dieselbe Datei zweimal "
        "ändert nichts."
    )
    if result := st.session_state.pop("import_result", None):
        if result["changed"]:
            st.success(
                f"**{result['file']}** importiert: {result['counts']}. Alle Seiten zeigen ab "
                "sofort den neuen Datenstand.",
                icon=":material/check_circle:",
            )
        else:
            st.info(
                f"**{result['file']}**: nichts zu ändern ({result['counts']}); die Datenbank "
                "war schon auf diesem Stand.",
                icon=":material/info:",
            )
    table = st.selectbox(
        "Tabelle",
        list(imports.TABLE_LABELS),
        format_func=imports.TABLE_LABELS.__getitem__,
        key="import_table",
        help="Tabellen, die auf andere verweisen, nach diesen importieren (die Reihenfolge der "
        "Liste passt).",
    )
    st.caption(imports.TABLE_DESCRIPTIONS[table])
    with st.expander(f"Spalten der Tabelle {imports.TABLE_LABELS[table]} und Vorlagen"):
        st.dataframe(imports.column_guide(table), hide_index=True, key="import_guide")
        st.caption(
            "Spaltennamen werden ohne Rücksicht auf Groß- und Kleinschreibung erkannt; "
            "Datumsangaben als 24.09.2013 oder 2013-09-24, Zahlen mit Dezimalkomma oder -punkt. "
            "Die Vorlagen "
            "enthalten die Überschriften und eine Beispielzeile."
        )
        with st.container(horizontal=True, gap="small"):
            st.download_button(
                "Vorlage CSV",
                data=imports.template_csv(table),
                file_name=imports.template_name(table, "csv"),
                mime=imports.CSV_MIME,
                key="template_csv",
                icon=":material/download:",
                on_click="ignore",
            )
            st.download_button(
                "Vorlage Excel",
                data=imports.template_xlsx(table),
                file_name=imports.template_name(table, "xlsx"),
                mime=imports.XLSX_MIME,
                key="template_xlsx",
                icon=":material/download:",
                on_click="ignore",
            )
    upload = st.file_uploader(
        "Datei", type=imports.UPLOAD_TYPES, key="import_file", help="CSV, Excel oder Parquet"
    )
    if upload is not None:
        content = upload.getvalue()
        report = imports.check_upload(
            imports.data_version(), table, upload.name, imports.file_hash(content), content
        )
        label = imports.TABLE_LABELS[table]
        if report.problems:
            count = len(report.problems)
            st.error(
                f"**{upload.name}** für {label}: {format_count(count)} "
                f"{'Problem' if count == 1 else 'Probleme'}. So wird die Datei nicht importiert; "
                "die Datenbank bleibt unverändert. Bitte die Datei korrigieren und erneut "
                "hochladen.",
                icon=":material/error:",
            )
            st.dataframe(imports.problems_frame(report), hide_index=True, key="import_problems")
            st.download_button(
                "Prüfbericht (CSV)",
                data=imports.problems_csv(report),
                file_name="pruefbericht.csv",
                mime=imports.CSV_MIME,
                key="problems_csv",
                icon=":material/download:",
                on_click="ignore",
            )
        else:
            st.success(
                f"**{upload.name}** für {label}: {format_count(report.rows)} "
                f"{'Zeile' if report.rows == 1 else 'Zeilen'} geprüft, keine Probleme. Beim "
                f"Import: {imports.counts_text(report)}.",
                icon=":material/fact_check:",
            )
        for note in report.notes:
            st.caption(note)
        if report.ok:
            # a callback, not the button's return value: the request survives any rerun
            st.button(
                "Importieren",
                type="primary",
                key="import_confirm",
                on_click=st.session_state.__setitem__,
                args=("import_requested", True),
            )
        if report.ok and st.session_state.pop("import_requested", False):
            done = imports.run_import(table, upload.name, content)
            if done.ok:
                st.session_state["import_result"] = {
                    "file": upload.name,
                    "counts": imports.counts_text(done),
                    "changed": done.changed,
                }
                st.rerun()
            st.error(
                "\n\n".join([done.failure_line(), *(str(p) for p in done.problems[:20])]),
                icon=":material/error:",
            )

with quality_tab:
    threshold = imports.threshold()
    version = imports.data_version()
    state = imports.data_state(version)
    st.header("Datenstand")
    if state["as_of"] is None:
        st.caption("Noch keine Leistungsdaten: kein Datenstand.")
    else:
        origin = (
            "beim Erzeugen oder Import festgelegt"
            if state["as_of_recorded"]
            else "aus den Daten abgeleitet: letzter Monat mit Beginn oder Ende eines "
            "Leistungsbezugs oder einer Integration"
        )
        st.markdown(f"**Datenstand {format_as_of(state['as_of'])}** ({origin}).")
    st.caption(
        f"Version der Daten: {state['data_version'] or 'keine'} · "
        f"{'synthetische Demodaten' if state['synthetic'] else 'echte (importierte) Daten'}"
    )
    st.header("Tabellen")
    st.dataframe(
        tables.german(
            imports.table_overview(version),
            {"label": "Tabelle", "rows": "Zeilen", "first": "von", "last": "bis"},
        ),
        hide_index=True,
        key="quality_tables",
    )
    st.caption("„von“ und „bis“: frühestes und spätestes Datum der Tabelle (Beginn, Datum, …).")
    gaps_column, missing_column = st.columns(2)
    with gaps_column:
        st.header("Lücken und Verweise")
        st.dataframe(
            tables.german(
                imports.gaps(version, threshold), {"check": "Prüfung", "count": "Anzahl"}
            ),
            hide_index=True,
            key="quality_gaps",
        )
    with missing_column:
        st.header("Leere Felder")
        st.dataframe(
            tables.german_rates(
                imports.missing_values(version, threshold),
                {"table": "Tabelle", "column": "Spalte", "missing": "leer", "share": "Anteil"},
            ),
            hide_index=True,
            key="quality_missing",
        )
    components.confidentiality_footnote(threshold)

with log_tab:
    st.header("Importprotokoll")
    log = imports.import_log()
    if log.is_empty():
        st.caption("Noch keine Importe.")
    else:
        st.dataframe(log, hide_index=True, key="import_log")
        st.caption(
            "Jeder Import mit Zeitpunkt, Datei, ihrer Prüfsumme (SHA-256), den Zeilenzahlen und "
            "wer ihn ausgelöst hat (Benutzer der Kommandozeile oder „Weboberfläche“); "
            "Probeläufe und abgelehnte Dateien werden nicht protokolliert."
        )
