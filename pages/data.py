"""Daten: import files (check first, then import), templates, data quality, import log."""

import streamlit as st

from teilhabe.reporting.formatting import format_as_of
from teilhabe.reporting.text import markdown_text
from ui import components, imports, shell, tables

shell.require_router()
person = imports.actor()
if person is None or person.role is None:
    st.stop()  # not through the router's gate (app.py shows the login or the no-role message)
can_import = imports.may_import(person)
dataset = imports.loaded_dataset()
if dataset is None:
    st.title("Daten")
    st.info(
        "Die Datenbank enthält noch keine Leistungsdaten. "
        + (
            "Hier lassen sich die Tabellen importieren, am besten in der Reihenfolge der "
            "Auswahlliste: Kreise, Gemeinden, Anbieter, Leistungen, Personen, "
            "Leistungszeiträume, …"
            if can_import
            else "Importieren kann, wer die Rolle „Datenverantwortung“ hat."
        ),
        icon=":material/info:",
    )
else:
    components.page_header("Daten", dataset, dataset.as_of, "ganzer Datenbestand, ohne Filter")

if not can_import and not imports.login_configured():
    st.info(
        "**Import nur mit Anmeldung.** Ohne Anmeldung zeigt diese Seite die Datenqualität und "
        "das Importprotokoll; Dateien hochladen und importieren kann hier nur, wer sich über "
        "den Identitätsanbieter des Jobcenters anmeldet und die Rolle „Datenverantwortung“ "
        "hat. Die Anmeldung wird mit einem Abschnitt `[auth]` in `.streamlit/secrets.toml` "
        "eingerichtet (OpenID Connect, z. B. Keycloak oder Microsoft Entra ID; siehe README, "
        "Abschnitt „Anmeldung und Rollen“). Bis dahin importiert die Kommandozeile: "
        "`uv run teilhabe import TABELLE DATEI`.",
        icon=":material/lock:",
    )
elif not can_import:
    st.info(
        f"**Kein Import mit Ihrer Rolle.** Als {person.role_label} sehen Sie hier die "
        "Datenqualität und das Importprotokoll. Dateien importieren Personen mit der Rolle "
        "„Datenverantwortung“; die Rollen vergibt die Administration.",
        icon=":material/lock:",
    )
elif person.kind == "anonymous":
    st.warning(
        "**Import ohne Anmeldung ist eingeschaltet** (`TEILHABE_ANONYMOUS_IMPORTS`). Das ist "
        "nur für eine lokale Installation mit einer einzigen Person gedacht: Jede Person, die "
        "diese Seite öffnen kann, kann Daten ändern. Importe werden als „Weboberfläche (ohne "
        "Anmeldung)“ protokolliert.",
        icon=":material/warning:",
    )

can_manage = imports.may_manage_users(person)
TAB_NAMES = (
    (["Import"] if can_import else [])
    + ["Datenqualität", "Importprotokoll"]
    + (["Rollen"] if can_manage else [])
)
tabs = dict(zip(TAB_NAMES, st.tabs(TAB_NAMES), strict=True))


def import_section() -> None:
    st.header("Datei importieren")
    st.caption(
        "Tabelle wählen, Datei hochladen (CSV mit Komma oder Semikolon, Excel oder Parquet), "
        "den Prüfbericht ansehen, dann importieren. Geprüft wird die ganze Datei, bevor etwas "
        "geschrieben wird; importiert wird alles oder nichts. Zeilen mit bekanntem Schlüssel "
        "werden aktualisiert, neue ergänzt, nichts wird gelöscht; dieselbe Datei zweimal "
        "ändert nichts."
    )
    if result := st.session_state.pop("import_result", None):
        file = markdown_text(result["file"])
        if result["changed"]:
            st.success(
                f"**{file}** importiert: {result['counts']}. Alle Seiten zeigen ab "
                "sofort den neuen Datenstand.",
                icon=":material/check_circle:",
            )
        else:
            st.info(
                f"**{file}**: nichts zu ändern ({result['counts']}); die Datenbank "
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
    limit = imports.max_upload_mb()
    # a new key after each successful import empties the uploader (no second "Importieren")
    round_ = st.session_state.get("import_round", 0)
    upload = st.file_uploader(
        "Datei",
        type=imports.UPLOAD_TYPES,
        key="import_file" if not round_ else f"import_file_{round_}",
        help=f"CSV, Excel oder Parquet, höchstens {limit} MB",
    )
    st.caption(
        f"{imports.limits_text()} Größere Dateien importiert die Kommandozeile "
        "(`uv run teilhabe import TABELLE DATEI`)."
    )
    if upload is not None:
        content = upload.getvalue()
        report = imports.check_upload(table, upload.name, content)
        imports.show_check(report, upload.name, imports.TABLE_LABELS[table])
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
                st.session_state["import_round"] = round_ + 1
                st.rerun()
            st.error(
                "\n\n".join(
                    markdown_text(line)
                    for line in [done.failure_line(), *(str(p) for p in done.problems[:20])]
                ),
                icon=":material/error:",
            )


if can_import:
    with tabs["Import"]:
        import_section()

with tabs["Datenqualität"]:
    protection = imports.protection()
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
        f"Version der Daten: {markdown_text(state['data_version'] or 'keine')} · "
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
                imports.gaps(version, protection), {"check": "Prüfung", "count": "Anzahl"}
            ),
            hide_index=True,
            key="quality_gaps",
        )
    with missing_column:
        st.header("Leere Felder")
        st.dataframe(
            tables.german_rates(
                imports.missing_values(version, protection),
                {"table": "Tabelle", "column": "Spalte", "missing": "leer", "share": "Anteil"},
            ),
            hide_index=True,
            key="quality_missing",
        )
    components.confidentiality_footnote(protection)

with tabs["Importprotokoll"]:
    st.header("Importprotokoll")
    log = imports.import_log()
    if log.is_empty():
        st.caption("Noch keine Importe.")
    else:
        st.markdown(imports.latest_import_line(log))
        st.dataframe(log, hide_index=True, key="import_log")
        st.caption(
            "Jeder Import mit Zeitpunkt, Datei, ihrer Prüfsumme (SHA-256), den Zeilenzahlen und "
            "wer ihn ausgelöst hat: die angemeldete Person (E-Mail, Rolle und Kennung beim "
            "Identitätsanbieter), der Benutzer der Kommandozeile oder „Weboberfläche (ohne "
            "Anmeldung)“. Probeläufe und abgelehnte Dateien werden nicht protokolliert."
        )


def roles_section() -> None:
    st.header("Rollen")
    source, claim, mapping = imports.role_source()
    labels = imports.role_options()
    if source == "claim":
        st.info(
            f"Die Rollen kommen aus dem Claim „{markdown_text(claim)}“ des ID-Tokens "
            "(`TEILHABE_ROLE_SOURCE=claim`); vergeben werden sie beim Identitätsanbieter über "
            "die Gruppen. Zuordnung der Gruppen zu Rollen:",
            icon=":material/info:",
        )
        st.dataframe(
            {"Gruppe": [g for g, _ in mapping], "Rolle": [labels[r] for _, r in mapping]},
            hide_index=True,
            key="role_mapping",
        )
        return
    if message := st.session_state.pop("role_message", None):
        (st.success if message[0] else st.error)(markdown_text(message[1]))
    st.caption(
        "Wer sich anmeldet, wird über die Kennung (sub) beim Identitätsanbieter oder die "
        "E-Mail-Adresse erkannt. Änderungen gelten ab dem nächsten Klick der Person. "
        "Dasselbe auf der Kommandozeile: `uv run teilhabe users add|remove|list`."
    )
    st.dataframe(imports.users(), hide_index=True, key="role_table")
    # callbacks, not the buttons' return values: the request survives any rerun
    with st.form("role_add", clear_on_submit=True, border=True):
        st.text_input("E-Mail-Adresse oder Kennung (sub)", key="role_identity")
        st.selectbox("Rolle", list(labels), format_func=labels.__getitem__, key="role_new")
        st.form_submit_button(
            "Rolle vergeben", icon=":material/person_add:", on_click=imports.give_role_request
        )
    known = imports.identities()
    if known:
        with st.container(horizontal=True, vertical_alignment="bottom"):
            st.selectbox("Person", known, key="role_remove_identity")
            st.button(
                "Rolle entziehen",
                icon=":material/person_remove:",
                key="role_remove",
                on_click=imports.take_role_request,
            )


if can_manage:
    with tabs["Rollen"]:
        roles_section()
