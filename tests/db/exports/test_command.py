"""`portal export billing` run as a process on the test database: files, errors, exit codes."""

import os
import subprocess
import sys

import openpyxl
import pytest

from tests.conftest import ROOT
from tests.exports_world import build_world


def export(database_url: str, tmp_path, *arguments: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
        "PORTAL_SECRET_KEY": "test-secret",
    }
    return subprocess.run(
        [sys.executable, "-m", "portal.cli", "export", "billing", *arguments],
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
    assert "5 lines written to" in done.stdout
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
