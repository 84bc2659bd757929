"""The report's CSV read chunk by chunk into one frame: the same frame as read whole."""

import csv

import pandas as pd
import pytest

from portal.exports.frames import frame_from_csv

DTYPES = {"number": "object", "amount": "int64", "paid": "bool", "client": "category"}
DATES = ["day"]
OPTIONS = {
    "date_format": "%Y-%m-%d",
    "keep_default_na": False,
    "na_filter": False,
    "true_values": ["1"],
    "false_values": ["0"],
}
CLIENTS = ["Zeta", "Acme", "007", "", "7", "Acme", "1.50", "Zeta", "", "Émile\nSàrl"]


def written(path, rows) -> str:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["day", "number", "amount", "paid", "client"])
        writer.writerows(rows)
    return str(path)


def lines(count: int) -> list[list]:
    return [
        [f"2026-01-{n % 28 + 1:02d}", f"2026-{n:06d}", n * 101 - 500, n % 2, CLIENTS[n % 10]]
        for n in range(count)
    ]


@pytest.mark.parametrize("chunk_rows", [1, 3, 10, 11, 1000])
def test_chunks_give_the_frame_pandas_reads_whole(tmp_path, chunk_rows):
    path = written(tmp_path / "lines.csv", lines(10))
    chunked = frame_from_csv(path, 10, DTYPES, DATES, chunk_rows, **OPTIONS)
    whole = pd.read_csv(path, dtype=DTYPES, parse_dates=DATES, **OPTIONS)
    assert list(chunked.columns) == ["day", "number", "amount", "paid", "client"]
    for column in ("day", "amount", "paid"):
        assert chunked[column].dtype == whole[column].dtype
        assert chunked[column].tolist() == whole[column].tolist()
    assert chunked["number"].dtype == object
    assert chunked["number"].tolist() == whole["number"].tolist()
    assert isinstance(chunked["client"].dtype, pd.CategoricalDtype)
    assert chunked["client"].astype(str).tolist() == [CLIENTS[n % 10] for n in range(10)]


def test_an_empty_report_has_its_columns(tmp_path):
    frame = frame_from_csv(written(tmp_path / "none.csv", []), 0, DTYPES, DATES, **OPTIONS)
    assert frame.empty and list(frame.columns) == ["day", "number", "amount", "paid", "client"]
    assert frame["amount"].dtype == "int64"


@pytest.mark.parametrize("announced", [9, 11])
def test_a_file_that_does_not_hold_the_rows_announced_is_refused(tmp_path, announced):
    path = written(tmp_path / "lines.csv", lines(10))
    with pytest.raises(ValueError, match="announced"):
        frame_from_csv(path, announced, DTYPES, DATES, 3, **OPTIONS)
