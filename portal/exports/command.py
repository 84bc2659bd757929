"""`portal export billing`: the same report from the command line, with a progress bar.

Run by an operator on the server, so without `--as` it exports what the partner's legal
representatives would get; with `--as EMAIL` exactly what that account may export. The
partner is named by its organisation number or its directory address; a bad output is
refused before anything starts (the database, the export)."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from portal.errors import Forbidden, FormErrors, NotFound

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_FORBIDDEN = 0, 1, 2, 3, 4


def add_parser(commands) -> None:
    export = commands.add_parser("export", help="export reports")
    kinds = export.add_subparsers(dest="report", required=True)
    billing = kinds.add_parser(
        "billing",
        help="a partner's billing report (Excel or CSV)",
        description="Write a partner's billing report for a period: .xlsx or .csv by the "
        "output's extension.",
    )
    billing.add_argument(
        "--partner",
        type=_partner,
        required=True,
        metavar="ID|SLUG",
        help="the organisation's number, or its address in the partner directory",
    )
    billing.add_argument("--from", dest="start", type=_day, required=True, metavar="YYYY-MM-DD")
    billing.add_argument("--to", dest="end", type=_day, required=True, metavar="YYYY-MM-DD")
    billing.add_argument(
        "--client",
        dest="clients",
        type=int,
        action="append",
        default=[],
        metavar="ID",
        help="only this client (repeat for several); all clients by default",
    )
    billing.add_argument("--output", type=Path, required=True, metavar="FILE.xlsx|FILE.csv")
    billing.add_argument("--sheet-per-client", action="store_true")
    billing.add_argument("--as", dest="account", metavar="EMAIL", help="export as this account")
    billing.add_argument("--quiet", action="store_true", help="no progress bar")


SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _partner(text: str) -> int | str:
    """An organisation number (digits), or a directory slug (the end of /directory/SLUG)."""
    text = text.strip().rstrip("/").rsplit("/", 1)[-1]
    if text.isascii() and text.isdigit():
        return int(text)
    if SLUG.fullmatch(text.lower()) and len(text) <= 90:
        return text.lower()
    raise argparse.ArgumentTypeError(
        f"{text!r} is neither an organisation number nor a directory address such as "
        "alpine-web-studio-gmbh-1"
    )


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date such as 2026-07-01") from None


def run(args: argparse.Namespace, prepare: Callable[[], None] = lambda: None) -> int:
    """Check the arguments, then PREPARE (start the database…) and export."""
    problem = output_problem(args.output)
    if problem:
        return _fail(EXIT_USAGE, problem)
    prepare()
    file_format = args.output.suffix.lower().lstrip(".")
    try:
        report = asyncio.run(_load(args, file_format))
    except FormErrors as error:
        return _fail(EXIT_USAGE, " ".join(error.errors.values()))
    except NotFound:
        return _fail(EXIT_NOT_FOUND, _not_found(args))
    except Forbidden:
        if args.account:
            return _fail(EXIT_FORBIDDEN, f"{args.account} may not export this partner's billing.")
        return _fail(EXIT_FORBIDDEN, f"Organisation {args.partner} is not in the programme.")
    _write(report, args.output, quiet=args.quiet)
    print(f"{report.line_count:,} lines written to {args.output}")
    return EXIT_OK


def output_problem(output: Path) -> str | None:
    """Why OUTPUT cannot be written, found before any work: its extension, a folder in its
    place, a missing or read-only folder."""
    if output.is_dir():
        return f"{output} is a folder; name the file to write in it, such as {output / 'q3.xlsx'}."
    if output.suffix.lower() not in (".xlsx", ".csv"):
        return f"The output must end in .xlsx or .csv: {output}."
    if not output.parent.is_dir():
        return f"There is no folder {output.parent}."
    try:  # as the export will: a file beside the output, renamed at the end
        with tempfile.NamedTemporaryFile(dir=output.parent, prefix=f".{output.name}."):
            pass
    except OSError as error:
        return f"The folder {output.parent} cannot be written to ({error.strerror})."
    return None


def _not_found(args) -> str:
    if args.clients:
        return (
            f"Partner {args.partner} or one of the clients {', '.join(map(str, args.clients))} "
            "was not found (a client must be one of the partner's)."
        )
    named = f"no partner {args.partner}"
    if isinstance(args.partner, str):
        named = f"no partner at the directory address {args.partner}"
    return f"There is {named}" + (f" that {args.account} belongs to." if args.account else ".")


async def _load(args, file_format: str):
    from portal import database
    from portal.core.current import actor_in
    from portal.exports import queries
    from portal.exports.billing_report import ReportRequest, load_report, partner_view

    database.bind(os.environ["DATABASE_URL"])
    print(database.migration_summary(await database.migrate()))
    partner_id = await _partner_id(args.partner)
    who, account_id = await partner_view(partner_id), None
    if args.account:
        account_id = await queries.account_id(args.account)
        who = await actor_in(account_id, partner_id) if account_id else None
        if who is None:
            raise NotFound()
    request = ReportRequest(
        partner_id=partner_id,
        period_start=args.start,
        period_end=args.end,
        client_ids=tuple(dict.fromkeys(args.clients)),
        format=file_format,
        sheet_per_client=args.sheet_per_client,
        requested_by=account_id,
    )
    return await load_report(who, request)


async def _partner_id(partner: int | str) -> int:
    if isinstance(partner, int):
        return partner
    from portal.directory.queries import organisation_of_slug

    found = await organisation_of_slug(partner)
    if found is None:
        raise NotFound()
    return found


def _write(report, output: Path, *, quiet: bool) -> None:
    """Into a temporary file beside the output, renamed at the end: an interrupted export
    never leaves half a file under the requested name."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from portal.exports.billing_report import write_report

    partial = output.with_name(f".{output.name}.partial")
    try:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            disable=quiet or not sys.stderr.isatty(),
            console=None,
            transient=False,
        ) as bar:
            task = bar.add_task("Writing rows", total=max(report.line_count, 1))
            write_report(
                report, partial, lambda done, total: bar.update(task, completed=done, total=total)
            )
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)


def _fail(code: int, message: str) -> int:
    print(f"portal export billing: {message}", file=sys.stderr)
    return code
