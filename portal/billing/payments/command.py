"""`portal payments import FILE`: import a bank statement (camt.053 or camt.054) as staff do
on the payments page, from the command line (a bank's file drop, a scheduled task)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from portal.billing.payments.camt import MAX_FILE_BYTES


def add_parser(commands) -> None:
    payments = commands.add_parser("payments", help="the host's payments: import bank statements")
    actions = payments.add_subparsers(dest="payments_command", required=True)
    importing = actions.add_parser(
        "import", help="import a camt.053 or camt.054 file: credit the deposits it pays"
    )
    importing.add_argument("file", type=Path, help="the statement file (XML)")


def run(args: argparse.Namespace, prepare_environment: Callable[[], None], migrate) -> int:
    """Check the file before anything starts; then import it and say what happened."""
    path: Path = args.file
    if not path.is_file():
        print(f"No such file: {path}", file=sys.stderr)
        return 2
    if path.stat().st_size > MAX_FILE_BYTES:
        print(f"{path} is larger than 50 MB.", file=sys.stderr)
        return 2
    data = path.read_bytes()
    prepare_environment()
    return asyncio.run(_import(path.name, data, migrate))


async def _import(name: str, data: bytes, migrate) -> int:
    from portal.billing.payments.services import import_statement
    from portal.errors import FormErrors
    from portal.piccolo_conf import DB

    await migrate()
    await DB.start_connection_pool(min_size=1, max_size=2)
    try:
        result = await import_statement(None, name, data)
    except FormErrors as refused:
        print(" ".join(refused.errors.values()), file=sys.stderr)
        return 1
    finally:
        await DB.close_connection_pool()
    print(f"{name}: {result.summary}")
    return 0
