"""`productops user ...` and `productops token ...`: accounts, roles and API tokens.

The command line at the machine acts as an admin (`Access.cli`, docs/server.md), and its writes
are audited as `cli:OS_USER`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer

from productops.commands.common import FormatOption, err, known, open_workspace
from productops.errors import UsageError
from productops.registry.lookup import pick
from productops.render import Format, literal, render
from productops.schema.access import SCOPES
from productops.services.users import (
    Access,
    Token,
    User,
    add_user,
    authorize,
    create_token,
    disable_user,
    find_role,
    list_tokens,
    list_users,
    revoke_token,
    set_password,
    set_role,
)

if TYPE_CHECKING:
    from productops.workspace import Workspace

__all__ = ["token_app", "user_app"]

user_app = typer.Typer(
    help="Users of productops: add them, give them a role and teams, disable them.",
    no_args_is_help=True,
)
token_app = typer.Typer(
    help="API tokens for scripts: create (shown once), list, revoke.",
    no_args_is_help=True,
)

USER_COLUMNS = ["id", "display_name", "role", "teams", "has_password", "created_at", "disabled_at"]
TOKEN_COLUMNS = ["id", "user_id", "scope", "created_at", "expires_at", "last_used_at", "revoked_at"]
UserArgument = Annotated[
    str, typer.Argument(metavar="NAME", help="The user's name (or its start).")
]
TeamsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--team", "-t", help="A team the user belongs to (repeatable).", callback=known("team")
    ),
]


def _admin(ctx: typer.Context, read_only: bool = False) -> tuple[Workspace, Access]:
    """The workspace, and the command line's access, allowed to manage users and tokens."""
    access = Access.cli()
    authorize(access, "admin")
    return open_workspace(ctx, read_only=read_only), access


def _show_users(users: list[User], fmt: Format, title: str) -> None:
    rows = [{**asdict(u), "teams": ", ".join(u.teams)} for u in users]
    render(rows, USER_COLUMNS, fmt, title=title)


def _show_tokens(tokens: list[Token], fmt: Format, title: str) -> None:
    render([asdict(t) for t in tokens], TOKEN_COLUMNS, fmt, title=title)


def _read_password(where: str) -> str:
    """A password from standard input (its first line), never from an argument."""
    password = typer.get_text_stream("stdin").read().rstrip("\r\n")
    if not password:
        raise UsageError(f"{where}: standard input held no password")
    return password


@user_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name, e.g. ana.")],
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an admin.")] = False,
    role: Annotated[
        str | None, typer.Option("--role", help="admin, member (default) or viewer.")
    ] = None,
    team: TeamsOption = None,
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="Name shown in the web pages.")
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="Read a password (8 characters or more) from standard input."
        ),
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Add a user: a role (member unless --admin or --role) and the teams they write for."""
    chosen = find_role(role) if role is not None else None
    if admin and chosen not in (None, "admin"):
        raise UsageError(f"--admin and --role {chosen} disagree: give one of them")
    password = _read_password("--password-stdin") if password_stdin else None
    ws, access = _admin(ctx)
    made = add_user(
        ws,
        access.actor,
        name,
        role="admin" if admin else chosen or "member",
        teams=team or [],
        display_name=display_name,
        password=password,
    )
    _show_users([made], fmt, "user added")


@user_app.command("list")
def list_(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """List users: role, teams, whether they have a password, when added or disabled."""
    ws, _ = _admin(ctx, read_only=True)
    _show_users(list_users(ws), fmt, "users")


@user_app.command("disable")
def disable(ctx: typer.Context, name: UserArgument, fmt: FormatOption = Format.table) -> None:
    """Disable a user: no more sign-in, and their API tokens stop working."""
    ws, access = _admin(ctx)
    _show_users([disable_user(ws, access.actor, name)], fmt, "user disabled")


@user_app.command("password")
def password(ctx: typer.Context, name: UserArgument, fmt: FormatOption = Format.table) -> None:
    """Set a user's password, read from standard input (8 characters or more); the user's
    signed-in sessions end."""
    new = _read_password("user password")
    ws, access = _admin(ctx)
    _show_users([set_password(ws, access.actor, name, new)], fmt, "password set")


@user_app.command("role")
def role(
    ctx: typer.Context,
    name: UserArgument,
    new_role: Annotated[str, typer.Argument(metavar="ROLE", help="admin, member or viewer.")],
    team: TeamsOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Set a user's role, and with --team exactly the teams they belong to."""
    ws, access = _admin(ctx)
    changed = set_role(ws, access.actor, name, find_role(new_role), team)
    _show_users([changed], fmt, "user changed")


@token_app.command("create")
def create(
    ctx: typer.Context,
    name: UserArgument,
    scope: Annotated[
        str, typer.Option("--scope", help="read, or write (what the user's role allows).")
    ] = "read",
    expires_days: Annotated[
        int, typer.Option("--expires-days", help="Days until the token stops working (1-3650).")
    ] = 90,
) -> None:
    """Create an API token for a user and print it: it is shown this once, and only its hash
    is kept."""
    write = pick("scope", scope, SCOPES) == "write"
    ws, access = _admin(ctx)
    made = create_token(
        ws, access.actor, name, scope="write" if write else "read", expires_days=expires_days
    )
    token = made.token
    typer.echo(made.secret)
    expires = f", expires {token.expires_at:%Y-%m-%d}" if token.expires_at else ""
    err.print(
        literal(
            f"Token {token.id} for {token.user_id} ({token.scope}{expires}): copy it now, "
            "it is not shown again. Send it as `Authorization: Bearer TOKEN`."
        ),
        soft_wrap=True,
    )


@token_app.command("list")
def list_tokens_(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", "-u", help="Only this user's.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List API tokens: user, scope, expiry, last use, revocation (never the token)."""
    ws, _ = _admin(ctx, read_only=True)
    _show_tokens(list_tokens(ws, user), fmt, "API tokens")


@token_app.command("revoke")
def revoke(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(metavar="ID", help="The token's id, e.g. ana-1.")],
    fmt: FormatOption = Format.table,
) -> None:
    """Revoke an API token: it stops working at once."""
    ws, access = _admin(ctx)
    _show_tokens([revoke_token(ws, access.actor, token_id)], fmt, "token revoked")
