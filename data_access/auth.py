"""Who may do what: the roles, the acting person, where roles come from, the role table.

The app logs people in through the Jobcenter's identity provider (OpenID Connect, Streamlit's
``st.login``); this module knows nothing of Streamlit. It gets the claims of the ID token and
the settings and says which role a person has:

- ``betrachter``: every analysis page, the presentation, downloads of protected aggregates;
- ``datenverantwortung``: additionally imports (tables, HSDS provider directory, boundaries);
- ``administration``: additionally managing the role table.

A role comes either from a claim of the ID token (``TEILHABE_ROLE_SOURCE=claim``: e.g. the
claim ``groups``, whose values are mapped to roles by ``TEILHABE_ROLE_MAPPING``) or from the
table ``app_user`` (``TEILHABE_ROLE_SOURCE=table``, the default; managed with
``teilhabe users``). Several roles: the highest counts. No role: the person sees nothing.

Every function that changes data takes the acting person (``Actor``) and calls
``require_role`` first, so no page can forget the check. The command line acts as
``Actor.command_line()``: whoever can reach the database with its credentials holds all rights
anyway, and the import log names the operating-system user.
"""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, select, update

from data_access.models import AppUser
from data_access.settings import Settings

ROLES = ("betrachter", "datenverantwortung", "administration")  # increasing rights
VIEWER, DATA_STEWARD, ADMINISTRATOR = ROLES
ROLE_LABELS = {
    VIEWER: "Betrachter",
    DATA_STEWARD: "Datenverantwortung",
    ADMINISTRATOR: "Administration",
}
ANONYMOUS_LABEL = "Weboberfläche (ohne Anmeldung)"


class PermissionDenied(PermissionError):
    """The acting person lacks the role for this; the message says which role it needs."""


@dataclass(frozen=True)
class Actor:
    """The person acting: how they came in, who they are, their role (None: no role).

    ``kind`` is ``"oidc"`` (logged in through the identity provider), ``"cli"`` (the command
    line) or ``"anonymous"`` (the app without login).
    """

    kind: str
    role: str | None
    subject: str | None = None
    email: str | None = None
    name: str | None = None

    @classmethod
    def command_line(cls, user: str | None = None) -> Actor:
        """The command line: all rights; logged as the operating-system user."""
        if user is None:
            try:
                user = getpass.getuser()
            except Exception:  # noqa: BLE001 - no user name known (e.g. in a container)
                user = None
        return cls("cli", ADMINISTRATOR, name=user)

    @classmethod
    def anonymous(cls, *, imports_allowed: bool = False) -> Actor:
        """The app without login: a viewer, or a data steward where the installation allows
        anonymous imports (``TEILHABE_ANONYMOUS_IMPORTS``)."""
        return cls("anonymous", DATA_STEWARD if imports_allowed else VIEWER)

    @classmethod
    def from_claims(cls, claims: Mapping[str, object], role: str | None) -> Actor:
        """A logged-in person from the claims of their ID token."""

        def text(key: str) -> str | None:
            value = claims.get(key)
            return str(value) if value not in (None, "") else None

        return cls("oidc", role, text("sub"), text("email"), text("name"))

    def may(self, role: str) -> bool:
        """Whether this person holds ``role`` or a higher one."""
        return self.role in ROLES and ROLES.index(self.role) >= ROLES.index(role)

    @property
    def label(self) -> str:
        """Who, in a few words, for the import log and the sidebar."""
        if self.kind == "anonymous":
            return ANONYMOUS_LABEL
        return self.email or self.name or self.subject or "unbekannt"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role or "", "keine Rolle")


def require_role(actor: Actor | None, role: str, action: str) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` holds ``role`` (or a higher one).

    ``action`` names what was refused, in German ("Der Import", "Das Ändern der Rollen").
    """
    if not isinstance(actor, Actor):
        raise PermissionDenied(f"{action} ist ohne angemeldete Person mit Rolle nicht erlaubt.")
    if not actor.may(role):
        raise PermissionDenied(
            f"{action} ist der Rolle „{ROLE_LABELS[role]}“ vorbehalten; "
            f"{actor.label} hat {_role_text(actor)}."
        )


def _role_text(actor: Actor) -> str:
    return f"die Rolle „{actor.role_label}“" if actor.role else "keine Rolle"


def highest_role(roles: Iterable[str | None]) -> str | None:
    """The highest of the roles (unknown names and None are ignored); None if there is none."""
    known = [ROLES.index(role) for role in roles if role in ROLES]
    return ROLES[max(known)] if known else None


# --- Roles from the ID token -----------------------------------------------------------------


def role_from_claims(
    claims: Mapping[str, object], claim: str, mapping: Iterable[tuple[str, str]]
) -> str | None:
    """The role the ID token's ``claim`` gives: each of its values (a list, or one string) is
    mapped by ``mapping`` (group → role); a value that is itself a role's name counts as that
    role. The highest role wins."""
    value = claims.get(claim)
    if value is None:
        return None
    if isinstance(value, str):
        values = [value]
    else:
        values = list(value) if isinstance(value, list | tuple | set | frozenset) else []
    groups = dict(mapping)
    return highest_role(groups.get(str(v), str(v)) for v in values)


# --- The role table --------------------------------------------------------------------------


def normalize_identity(text: str) -> str:
    """An entry of the role table: an e-mail address in lower case, or an OIDC subject as is."""
    text = text.strip()
    if not text:
        raise ValueError("Eine leere Kennung ist keine Person.")
    if len(text) > 255:
        raise ValueError("Die Kennung ist länger als 255 Zeichen.")
    return text.lower() if "@" in text else text


def role_from_table(engine: Engine, claims: Mapping[str, object]) -> str | None:
    """The role the table ``app_user`` gives the person: by their subject, else by their
    e-mail (unless the provider says it is not verified)."""
    identities = []
    if claims.get("sub"):
        identities.append(str(claims["sub"]).strip())
    email = claims.get("email")
    if email and claims.get("email_verified") is not False:
        identities.append(str(email).strip().lower())
    if not identities:
        return None
    with engine.connect() as connection:
        rows = dict(
            connection.execute(
                select(AppUser.identity, AppUser.role).where(AppUser.identity.in_(identities))
            ).all()
        )
    # the subject is the stronger match: it cannot be reassigned to someone else
    for identity in identities:
        if identity in rows:
            return rows[identity] if rows[identity] in ROLES else None
    return None


def resolve_role(settings: Settings, engine: Engine, claims: Mapping[str, object]) -> str | None:
    """The role of a logged-in person, from where the installation takes roles."""
    if settings.role_source == "claim":
        return role_from_claims(claims, settings.role_claim, settings.role_mapping)
    return role_from_table(engine, claims)


def list_users(engine: Engine) -> list[dict[str, object]]:
    """The role table, sorted by identity: identity, role, added_at (UTC), added_by."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(AppUser.identity, AppUser.role, AppUser.added_at, AppUser.added_by).order_by(
                AppUser.identity
            )
        ).all()
    return [row._asdict() for row in rows]


def add_user(engine: Engine, identity: str, role: str, *, actor: Actor) -> bool:
    """Give a person (e-mail or OIDC subject) a role; returns False when it was already so.

    Needs the role ``administration``.
    """
    require_role(actor, ADMINISTRATOR, "Das Vergeben von Rollen")
    if role not in ROLES:
        raise ValueError(f"Unbekannte Rolle {role!r}; möglich: {', '.join(ROLES)}.")
    identity = normalize_identity(identity)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    by = actor.label[:120]
    with engine.begin() as connection:
        current = connection.execute(
            select(AppUser.role).where(AppUser.identity == identity)
        ).scalar()
        if current == role:
            return False
        if current is None:
            connection.execute(
                insert(AppUser).values(identity=identity, role=role, added_at=now, added_by=by)
            )
        else:
            connection.execute(
                update(AppUser)
                .where(AppUser.identity == identity)
                .values(role=role, added_at=now, added_by=by)
            )
    return True


def remove_user(engine: Engine, identity: str, *, actor: Actor) -> bool:
    """Take a person's role away; returns False when the table did not name them.

    Needs the role ``administration``.
    """
    require_role(actor, ADMINISTRATOR, "Das Entziehen von Rollen")
    identity = normalize_identity(identity)
    with engine.begin() as connection:
        removed = connection.execute(delete(AppUser).where(AppUser.identity == identity))
    return bool(removed.rowcount)
