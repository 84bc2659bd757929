"""`portal api-token create`: an API token for a person, made by an operator (the command
line trusts whoever runs it, as `portal export` does), printed once on stdout."""

from __future__ import annotations

import argparse
import sys

from portal.access import ALL_SCOPES, ApiArea, ApiLevel, scope
from portal.accounts import queries, rules, services
from portal.errors import FormErrors

DEFAULT_SCOPES = [scope(area, ApiLevel.READ) for area in ApiArea]


def add_parser(commands) -> None:
    tokens = commands.add_parser("api-token", help="API tokens")
    actions = tokens.add_subparsers(dest="token_command", required=True)
    create = actions.add_parser("create", help="make a token and print it once")
    create.add_argument("--email", required=True, help="the person the token acts for")
    create.add_argument("--organisation", required=True, type=int, help="its number")
    create.add_argument("--name", required=True, help="what the token is for")
    create.add_argument(
        "--scope",
        action="append",
        metavar="AREA:LEVEL",
        help=f"repeatable: one of {', '.join(sorted(ALL_SCOPES))} (default: every area, read)",
    )
    create.add_argument("--expires-days", type=int, default=None, help="default: never")


def problems(args: argparse.Namespace) -> list[str]:
    found = []
    unknown = sorted(set(args.scope or ()) - ALL_SCOPES)
    if unknown:
        found.append(
            f"Unknown scope {', '.join(unknown)}: choose from {', '.join(sorted(ALL_SCOPES))}."
        )
    if args.expires_days is not None and not 1 <= args.expires_days <= 3650:
        found.append("--expires-days is from 1 to 3650 (or left out: the token never expires).")
    if not args.name.strip() or len(args.name) > rules.API_TOKEN_NAME_MAX:
        found.append(f"--name has 1 to {rules.API_TOKEN_NAME_MAX} characters.")
    return found


async def create(args: argparse.Namespace) -> int:
    account = await queries.account_by_email(args.email.strip())
    if account is None:
        print(f"No account has the address {args.email}.", file=sys.stderr)
        return 2
    request = services.TokenRequest(
        name=args.name.strip(),
        organisation_id=args.organisation,
        expires_in_days=args.expires_days,
        scopes=frozenset(args.scope or DEFAULT_SCOPES),
    )
    try:
        token = await services.create_api_token(
            account["id"], request, await queries.organisations_of(account["id"]), confirmed_by=None
        )
    except FormErrors as error:
        for message in error.errors.values():
            print(
                message.replace("your organisations", "the person's organisations"), file=sys.stderr
            )
        return 2
    print(
        f"Token {request.name!r} for {account['email']} ({', '.join(sorted(request.scopes))}); "
        "shown only now:",
        file=sys.stderr,
    )
    print(token)
    return 0
