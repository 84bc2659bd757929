"""`portal export billing` run as a process on the test database: files, errors, exit codes."""

import os
import subprocess
import sys

import openpyxl
import pytest

from portal.directory.tables import DirectoryListing
from tests.factories.exports import build_world
from tests.factories.servers import ROOT


def export(database_url: str, tmp_path, *arguments: str) -> subprocess.CompletedProcess:
    return portal(database_url, tmp_path, "export", "billing", *arguments)


def portal(database_url: str, tmp_path, *arguments: str, **env) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
        "PORTAL_SECRET_KEY": "test-secret",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "portal.cli", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
async def world(db):
    return await build_world()


async def test_a_workbook_for_every_client(db, world, tmp_path):
    output = tmp_path / "q3.xlsx"
    done = export(
        db,
        tmp_path,
        "--partner",
        str(world.partner),
        "--from",
        "2026-07-01",
        "--to",
        "2026-09-30",
        "--output",
        str(output),
        "--sheet-per-client",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "The database is up to date."  # one line of it
    assert "5 lines written to" in done.stdout and len(done.stdout.splitlines()) == 2
    workbook = openpyxl.load_workbook(output)
    assert workbook.sheetnames[:2] == ["Summary", "Lines"] and len(workbook.sheetnames) == 6
    assert not list(tmp_path.glob(".*.partial"))


async def test_a_csv_for_chosen_clients_as_a_collaborator(db, world, tmp_path):
    output = tmp_path / "alpha.csv"
    done = export(
        db,
        tmp_path,
        "--partner",
        str(world.partner),
        "--from",
        "2026-07-01",
        "--to",
        "2026-09-30",
        "--client",
        str(world.full_client),
        "--output",
        str(output),
        "--as",
        "helper@muster.ch",
    )
    assert done.returncode == 0, done.stderr
    text = output.read_bytes().decode("utf-8-sig")
    assert text.count("\r\n") == 3 and "Alpha Bäckerei AG" in text


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (["--from", "2026-09-30", "--to", "2026-07-01"], 2, "before the start date"),
        (["--from", "2000-01-01", "--to", "2026-07-01"], 2, "at most 10 years"),
        (["--output-ext", "pdf"], 2, "must end in .xlsx or .csv"),
        (["--from", "2026-02-30"], 2, "is not a date"),
        (["--client", "OTHER"], 3, "not found"),
        (["--partner", "999999"], 3, "no partner 999999"),
        (["--partner", "no-such-partner"], 3, "no partner at the directory address"),
        (["--partner", "Not a slug!"], 2, "neither an organisation number nor"),
        (["--as", "plain@muster.ch"], 4, "may not export"),
    ],
)
async def test_clear_errors_and_exit_codes(db, world, tmp_path, arguments, code, message):
    values = {"--partner": str(world.partner), "--from": "2026-07-01", "--to": "2026-09-30"}
    output = tmp_path / "out.xlsx"
    extra = []
    pairs = list(zip(arguments[::2], arguments[1::2], strict=True))
    for flag, value in pairs:
        if flag == "--output-ext":
            output = tmp_path / f"out.{value}"
        elif flag == "--client":
            extra += ["--client", str(world.other_client)]
        elif flag in values:
            values[flag] = value
        else:
            extra += [flag, value]
    flat = [item for pair in values.items() for item in pair]
    done = export(db, tmp_path, *flat, "--output", str(output), *extra)
    assert done.returncode == code, (done.stdout, done.stderr)
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not output.exists()


async def test_the_partner_is_named_by_its_number_or_its_directory_address(db, world, tmp_path):
    await DirectoryListing.insert(
        DirectoryListing(organisation=world.partner, slug="muster-web-ag-7", country="CH")
    )
    period = ["--from", "2026-07-01", "--to", "2026-09-30"]
    written = []
    addresses = (
        "muster-web-ag-7",
        "Muster-Web-AG-7",
        "https://portal.example/partners/muster-web-ag-7/",
    )
    for partner in addresses:
        output = tmp_path / f"{len(written)}.csv"
        done = export(db, tmp_path, "--partner", partner, *period, "--output", str(output))
        assert done.returncode == 0, done.stderr
        written.append(output.read_bytes())
    by_number = tmp_path / "by-number.csv"
    export(db, tmp_path, "--partner", str(world.partner), *period, "--output", str(by_number))
    assert written == [by_number.read_bytes()] * len(addresses)


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("report.pdf", "must end in .xlsx or .csv"),
        ("folder.xlsx/", "is a folder; name the file to write in it"),
        ("missing/q3.xlsx", "There is no folder"),
        ("/proc/q3.xlsx", "cannot be written to"),
    ],
)
def test_a_bad_output_is_refused_in_one_line_before_anything_starts(tmp_path, output, message):
    (tmp_path / "folder.xlsx").mkdir()
    nowhere = "postgresql://portal@127.0.0.1:9/nothing"  # no server: the check comes first
    arguments = ["--partner", "1", "--from", "2026-07-01", "--to", "2026-09-30"]
    done = export(nowhere, tmp_path, *arguments, "--output", str(tmp_path / output))
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
    assert done.stdout == ""


async def test_commands_say_in_one_line_that_the_database_is_up_to_date(db, tmp_path):
    done = portal(db, tmp_path, "migrate")
    assert (done.returncode, done.stdout) == (0, "The database is up to date.\n"), done.stderr
    # a process the command started (the worker beside `portal serve`) checks again quietly
    quiet = portal(db, tmp_path, "migrate", PORTAL_MIGRATED_BY=str(os.getpid()))
    assert (quiet.returncode, quiet.stdout) == (0, "")
