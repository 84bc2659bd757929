"""`portal serve | migrate | worker | demo | review-partners | export | payments`: the command
line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import signal
import sys
from pathlib import Path

from portal.settings import default_data_dir


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="portal", description="The Partner Portal.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="start the portal (embedded database by default)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2)
    serve.add_argument("--demo", action="store_true", help="load the demo data first if absent")
    serve.add_argument("--access-log", action="store_true")

    commands.add_parser("migrate", help="apply the database migrations")

    commands.add_parser("worker", help="run background jobs (reports, periodic clean-up)")

    demo = commands.add_parser("demo", help="load deterministic demo data")
    demo.add_argument(
        "--size",
        type=int,
        default=50,
        help="how many generated organisations besides the named ones",
    )

    commands.add_parser(
        "review-partners",
        help="the yearly review: flag partners below the volume threshold, clear recovered ones",
    )

    from portal.accounts import command as token_command
    from portal.billing.payments import command as payments_command
    from portal.exports import command as export_command

    export_command.add_parser(commands)
    payments_command.add_parser(commands)
    token_command.add_parser(commands)

    args = parser.parse_args(argv)
    try:
        status = _run(args)
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr, flush=True)
        status = INTERRUPTED
    # What the command started stops as it exits (the embedded database, by the exit
    # handlers): another Ctrl-C does not cut that short, nor the commands that do it (pg_ctl).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(status)


def _run(args: argparse.Namespace) -> int:
    if args.command == "export":  # checks its arguments before it starts anything
        from portal.exports import command as export_command

        return export_command.run(args, prepare_environment)
    if args.command == "payments":
        from portal.billing.payments import command as payments_command

        return payments_command.run(args, prepare_environment, _migrate)
    prepare_environment()
    if args.command == "serve":
        serve_portal(args)
    elif args.command == "migrate":
        asyncio.run(_migrate())
    elif args.command == "worker":
        from portal import background
        from portal.app import install_page_addresses
        from portal.jobs.process import run_worker_process

        install_page_addresses()  # the links in the mails the jobs write
        asyncio.run(_migrate())
        stopped_by = run_worker_process(background.all_jobs(), background.all_periodic())
        if stopped_by == signal.SIGINT:
            print("Stopped.", file=sys.stderr)
    elif args.command == "demo":
        asyncio.run(_migrate())
        _load_demo(args.size)
    elif args.command == "review-partners":
        from portal.app import install_page_addresses

        install_page_addresses()  # the links in the mails the review writes
        asyncio.run(_review_partners())
    elif args.command == "api-token":
        return asyncio.run(_create_api_token(args))
    return 0


# The exit status of a command interrupted by Ctrl-C (128 + SIGINT), as shells report it.
INTERRUPTED = 128 + signal.SIGINT


def prepare_environment() -> None:
    """Decide where the database is and make sure a secret key exists, in the environment,
    so that the server's worker processes inherit both."""
    data_dir = Path(os.environ.get("PORTAL_DATA_DIR") or default_data_dir())
    data_dir.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = _embedded_database_url(data_dir)
    if not os.environ.get("PORTAL_SECRET_KEY"):
        os.environ["PORTAL_SECRET_KEY"] = _stored_secret(data_dir / "secret_key")


def _embedded_database_url(data_dir: Path) -> str:
    from portal.database import ensure_database, start_embedded_postgres

    server = start_embedded_postgres(data_dir)
    # Kept for the life of this process; the server stops when it exits.
    globals()["_EMBEDDED_SERVER"] = server
    return ensure_database(server, "portal")


def _stored_secret(path: Path) -> str:
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


# Set by a command that brought the database up to date, for the processes it starts (the
# job worker beside `portal serve`): they check again, and say so only if they applied one.
MIGRATED_BY = "PORTAL_MIGRATED_BY"


async def _migrate() -> None:
    """Bring the database up to date, and say it in one line."""
    from portal import database

    database.bind(os.environ["DATABASE_URL"])
    applied = await database.migrate()
    if applied or os.environ.get(MIGRATED_BY) != str(os.getppid()):
        print(database.migration_summary(applied))
    os.environ[MIGRATED_BY] = str(os.getpid())


async def _review_partners() -> None:
    from datetime import UTC, datetime

    from portal.formatting import money
    from portal.partners.services import review_partners
    from portal.settings import Settings

    await _migrate()
    changes = await review_partners(Settings.from_env(), datetime.now(UTC))
    for change in changes:
        print(
            f"{change.name}: {change.before} → {change.after} "
            f"(manages {money(change.managed, change.currency)} a year)"
        )
    print(f"Yearly review done: {len(changes)} partner(s) changed.")


async def _create_api_token(args: argparse.Namespace) -> int:
    from portal.accounts import command as token_command

    found = token_command.problems(args)
    if found:
        print("\n".join(found), file=sys.stderr)
        return 2
    with contextlib.redirect_stdout(sys.stderr):  # stdout holds the token alone
        await _migrate()
    return await token_command.create(args)


async def _publish_billing_feed() -> None:
    """The demo's partners get last month's billing feed at once (the worker would within
    10 minutes)."""
    from datetime import UTC, datetime

    from portal import database
    from portal.exports.feed.services import publish_due
    from portal.settings import Settings

    database.bind(os.environ["DATABASE_URL"])
    await publish_due(Settings.from_env(), datetime.now(UTC))


def _load_demo(size: int) -> bool:
    from portal import demo

    loaded = asyncio.run(demo.load(os.environ["DATABASE_URL"], size))
    if loaded:
        print(f"Demo data loaded ({size} generated organisations besides the named ones).")
        asyncio.run(_publish_billing_feed())
    else:
        print("Demo data is already there.")
    return loaded


def serve_portal(args: argparse.Namespace) -> None:
    from portal import demo

    asyncio.run(_migrate())
    if args.demo:
        _load_demo(50)
        os.environ["PORTAL_DEVELOPMENT"] = "1"  # the staff's mail outbox page, for the demo
    _say_if_mail_is_held()
    url = f"http://{args.host}:{args.port}"
    os.environ.setdefault("PORTAL_BASE_URL", url)
    print(f"\nPartner Portal: {url}")
    if args.demo:
        print(demo.LOGINS_TEXT)
    sys.stdout.flush()
    from portal.jobs.process import SupervisedWorker

    worker = SupervisedWorker()  # background reports, mail, periodic jobs
    worker.start()
    try:
        _serve_web(args)  # until Ctrl-C or SIGTERM, which granian answers itself
    finally:
        with _ctrl_c_ignored():  # the job worker finishes its jobs in hand
            worker.stop()
    print("Stopped.", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _ctrl_c_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _say_if_mail_is_held() -> None:
    from portal.mail.rules import held_mail_notice
    from portal.settings import Settings

    settings = Settings.from_env()
    notice = held_mail_notice(settings.smtp_host, settings.development)
    if notice:
        print(notice, file=sys.stderr, flush=True)


# A web worker still answering requests this long after being told to stop is killed.
WEB_WORKER_STOP_SECONDS = 10


def _serve_web(args: argparse.Namespace) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        "portal.app:app_from_environment",
        factory=True,
        interface=Interfaces.ASGI,
        address=args.host,
        port=args.port,
        workers=args.workers,
        log_access=args.access_log,
        # a worker that dies (killed, out of memory) is replaced; the others serve meanwhile
        respawn_failed_workers=True,
        workers_kill_timeout=WEB_WORKER_STOP_SECONDS,
    ).serve()


if __name__ == "__main__":
    main()
