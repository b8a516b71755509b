"""``teilhabe users add|remove|list``: the role table, for installations that take roles from it.

With ``TEILHABE_ROLE_SOURCE=table`` (the default) a person logged in through the identity
provider gets the role this table gives their OIDC subject or e-mail address. The command line
acts with all rights (whoever can reach the database holds them anyway); the table records who
added an entry (the operating-system user).
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import Engine

from data_access.auth import ROLE_LABELS, ROLES, Actor, add_user, list_users, remove_user
from data_access.db import check_connection, create_db_engine, ensure_schema
from data_access.settings import Settings
from teilhabe.cli import common as cli_common


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``users`` with the subcommands of ``teilhabe``."""
    users = subparsers.add_parser(
        "users",
        help="Rollen der Personen verwalten (Rollentabelle)",
        description="Rollen für die Anmeldung über den Identitätsanbieter, wenn die Installation "
        "sie aus der Datenbank nimmt (TEILHABE_ROLE_SOURCE=table, Standard). Eine Person wird "
        "über ihre OIDC-Kennung (sub) oder ihre E-Mail-Adresse erkannt. Rollen: "
        + ", ".join(f"{role} ({label})" for role, label in ROLE_LABELS.items())
        + ".",
    )
    actions = users.add_subparsers(required=True, metavar="AKTION")
    add = actions.add_parser("add", help="einer Person eine Rolle geben (oder sie ändern)")
    add.add_argument("identity", metavar="KENNUNG", help="E-Mail-Adresse oder OIDC-Kennung (sub)")
    add.add_argument("--role", required=True, choices=ROLES, help="die Rolle")
    cli_common.add_database_option(add)
    add.set_defaults(handler=_add)
    remove = actions.add_parser("remove", help="einer Person die Rolle entziehen")
    remove.add_argument("identity", metavar="KENNUNG", help="E-Mail-Adresse oder OIDC-Kennung")
    cli_common.add_database_option(remove)
    remove.set_defaults(handler=_remove)
    listing = actions.add_parser("list", help="alle Personen mit Rolle auflisten")
    cli_common.add_database_option(listing)
    listing.set_defaults(handler=_list)
    return users


def _open(args: argparse.Namespace) -> tuple[Settings, Engine]:
    """The database with a current schema; never filled with demo data."""
    settings = cli_common.settings_from(args)
    engine = create_db_engine(settings.database_url)
    check_connection(engine)
    ensure_schema(engine, allow_upgrade=settings.uses_default_database)
    return settings, engine


def _note(settings: Settings) -> None:
    if settings.role_source != "table":
        print(
            "Hinweis: Diese Installation nimmt die Rollen aus dem ID-Token "
            f"(TEILHABE_ROLE_SOURCE={settings.role_source}, Claim „{settings.role_claim}“); "
            "die Rollentabelle gilt erst mit TEILHABE_ROLE_SOURCE=table.",
            file=sys.stderr,
        )


def _add(args: argparse.Namespace) -> int:
    settings, engine = _open(args)
    try:
        changed = add_user(engine, args.identity, args.role, actor=Actor.command_line())
    except ValueError as error:
        return cli_common.fail(str(error))
    finally:
        engine.dispose()
    label = ROLE_LABELS[args.role]
    print(
        f"{args.identity.strip()}: Rolle {args.role} ({label})"
        + (" vergeben." if changed else " hatte die Person schon.")
    )
    _note(settings)
    return cli_common.EXIT_OK


def _remove(args: argparse.Namespace) -> int:
    settings, engine = _open(args)
    try:
        removed = remove_user(engine, args.identity, actor=Actor.command_line())
    except ValueError as error:
        return cli_common.fail(str(error))
    finally:
        engine.dispose()
    if not removed:
        return cli_common.fail(f"{args.identity.strip()} steht nicht in der Rollentabelle.")
    print(f"{args.identity.strip()}: Rolle entzogen.")
    _note(settings)
    return cli_common.EXIT_OK


def _list(args: argparse.Namespace) -> int:
    settings, engine = _open(args)
    try:
        users = list_users(engine)
    finally:
        engine.dispose()
    if not users:
        print("Die Rollentabelle ist leer.")
    for user in users:
        added = f"{user['added_at']:%d.%m.%Y %H:%M} UTC"
        by = f" von {user['added_by']}" if user["added_by"] else ""
        print(f"{user['identity']}\t{user['role']}\t(seit {added}{by})")
    _note(settings)
    return cli_common.EXIT_OK
