"""Login and roles in the app: who is here (``st.user``), their role, the gate before the pages.

With an ``[auth]`` section in ``.streamlit/secrets.toml`` (Streamlit's OpenID Connect login)
every page needs a logged-in person with a role; the role comes from the ID token's claims or
the role table (``data_access.auth.resolve_role``, as the settings say). Without ``[auth]`` the
app runs as before for anyone who can open it, as a viewer: the Daten page shows the data
quality and the import log, but no upload and no import, unless the installation allows
anonymous imports (``TEILHABE_ANONYMOUS_IMPORTS``). The data layer checks the role again on
every import (``data_access.auth.require_role``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError
from streamlit.navigation.page import StreamlitPage

from data_access.auth import (
    ADMINISTRATOR,
    DATA_STEWARD,
    ROLE_LABELS,
    Actor,
    resolve_role,
)
from data_access.db import DatabaseUnavailable, SchemaOutdated
from data_access.settings import ConfigurationError
from teilhabe.reporting.text import markdown_text
from ui import data

README_HINT = "README, Abschnitt „Anmeldung und Rollen“"


def login_configured() -> bool:
    """Whether ``.streamlit/secrets.toml`` has an ``[auth]`` section (login through OIDC)."""
    try:
        return "auth" in st.secrets
    except StreamlitSecretNotFoundError as error:  # a FileNotFoundError, so caught first
        if "pars" not in str(error).lower():
            return False  # no secrets file at all
        # a broken secrets file must not open the app without login
        st.error(
            f"Die Anmeldung ist nicht lesbar eingerichtet: {markdown_text(error)}",
            icon=":material/error:",
        )
        st.stop()


def providers() -> list[str | None]:
    """The configured identity providers: ``[None]`` for the unnamed ``[auth]`` provider,
    else the names of the ``[auth.NAME]`` sections."""
    section = st.secrets.get("auth", {})
    named = [name for name, value in section.items() if isinstance(value, Mapping)]
    return named if named and "client_id" not in section else [None]


def current_actor() -> Actor | None:
    """The person using the app now; None when login is configured and nobody is logged in.

    Without login: an anonymous viewer (or data steward, if the installation allows anonymous
    imports). Logged in: the person from the claims of their ID token, with the role from the
    claim or the role table (None: no role).
    """
    if not login_configured():
        try:
            allowed = data.settings().anonymous_imports
        except (ConfigurationError, DatabaseUnavailable, SchemaOutdated):
            allowed = False  # the pages show what is wrong with the database
        return Actor.anonymous(imports_allowed=allowed)
    if not st.user.get("is_logged_in"):
        return None
    claims = {key: value for key, value in st.user.to_dict().items() if key != "tokens"}
    try:
        role = resolve_role(data.settings(), data._engine(), claims)
    except (ConfigurationError, DatabaseUnavailable, SchemaOutdated) as error:
        st.error(str(error), icon=":material/error:")
        st.stop()
    return Actor.from_claims(claims, role)


def may_import(actor: Actor | None) -> bool:
    return actor is not None and actor.may(DATA_STEWARD)


def may_manage_users(actor: Actor | None) -> bool:
    return actor is not None and actor.kind == "oidc" and actor.may(ADMINISTRATOR)


def gate(pages: Sequence[StreamlitPage] = ()) -> Actor:
    """Let through only a person who may see the app; everyone else sees one screen.

    Not logged in (login configured): the login screen. Logged in without a role: a clear
    message, their identity (for the administration) and the logout button, nothing else.
    ``pages`` are the app's pages: their addresses (e.g. ``/data``) show the same screen, so
    a link to a page neither runs it nor ends in "page not found"; there is no navigation.
    """
    actor = current_actor()
    if actor is not None and actor.role is not None:
        return actor
    screen = _login_screen if actor is None else _no_role_screen
    title = "Anmeldung" if actor is None else "Kein Zugang"
    paths = [page.url_path for page in pages if page.url_path]
    st.navigation(
        [st.Page(screen, title=title, url_path="anmeldung", default=True)]
        + [st.Page(screen, title=title, url_path=path) for path in paths],
        position="hidden",
    ).run()
    st.stop()


def _login_screen() -> None:
    st.title("Teilhabe-Monitor")
    st.markdown(
        "Der Teilhabe-Monitor zeigt Sozialdaten (§ 35 SGB I) und ist nur für angemeldete "
        "Personen mit einer Rolle zugänglich. Bitte melden Sie sich mit Ihrem Konto des "
        "Jobcenters an."
    )
    for provider in providers():
        label = "Anmelden" if provider is None else f"Anmelden mit {provider}"
        st.button(
            label,
            type="primary",
            icon=":material/login:",
            key=f"login_{provider}",
            on_click=st.login,
            args=(provider,),
        )


def _no_role_screen() -> None:
    actor = current_actor()
    assert actor is not None
    st.title("Kein Zugang zum Teilhabe-Monitor")
    st.error(
        f"Sie sind als **{markdown_text(actor.label)}** angemeldet, haben im Teilhabe-Monitor "
        "aber keine Rolle. Ohne Rolle sind keine Seiten und keine Zahlen zugänglich.",
        icon=":material/block:",
    )
    identity = " · ".join(
        part
        for part in (
            f"E-Mail: {actor.email}" if actor.email else None,
            f"Kennung (sub): {actor.subject}" if actor.subject else None,
        )
        if part
    )
    st.markdown(
        "Bitte wenden Sie sich an die Administration des Teilhabe-Monitors und nennen Sie "
        f"diese Angaben, damit sie Ihnen eine Rolle gibt: {markdown_text(identity)}."
    )
    st.button("Abmelden", icon=":material/logout:", key="logout_no_role", on_click=st.logout)


def sidebar(actor: Actor) -> None:
    """Who is logged in (name, e-mail, role) and the logout button; or that nobody is."""
    if actor.kind == "oidc":
        st.markdown(f"**{markdown_text(actor.name or actor.email or actor.subject)}**")
        st.caption(
            (f"{markdown_text(actor.email)} · " if actor.email and actor.name else "")
            + f"Rolle: {ROLE_LABELS[actor.role] if actor.role else 'keine'}"
        )
        # a callback, not the button's return value: the request survives any rerun
        st.button("Abmelden", icon=":material/logout:", key="logout", on_click=st.logout)
    else:
        st.caption(
            "Ohne Anmeldung (lokale Installation)"
            + (" · Import ohne Anmeldung eingeschaltet" if actor.may(DATA_STEWARD) else "")
        )
