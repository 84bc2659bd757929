"""The pandas shaping: line VAT that sums to each invoice, and the Summary's arithmetic."""

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.exports.frames import line_vat, summarise, totals_by_currency

RATES = [0, 810, 1900, 2000, 2100, 2300]


def invoice_frame(invoices) -> pd.DataFrame:
    """INVOICES: [(vat_rate, [amount cents…])]; invoice VAT computed the portal's way (once on
    the net, half-up)."""
    rows = []
    for invoice_id, (rate, amounts) in enumerate(invoices, 1):
        net = sum(amounts)
        vat = int(
            (Decimal(net) * Decimal(rate) / 10000).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        )
        for position, amount in enumerate(amounts, 1):
            rows.append(
                {
                    "invoice_id": invoice_id,
                    "amount": amount,
                    "vat_rate": rate,
                    "invoice_vat": vat,
                    "position": position,
                }
            )
    return pd.DataFrame(
        rows, columns=["invoice_id", "amount", "vat_rate", "invoice_vat", "position"]
    )


invoices = st.lists(
    st.tuples(st.sampled_from(RATES), st.lists(st.integers(0, 10**9), min_size=1, max_size=6)),
    max_size=20,
)


@settings(max_examples=200, deadline=None)  # pandas on a busy machine
@given(invoices, st.integers(1, 8), st.randoms())
def test_lines_vat_sums_to_each_invoice_to_the_cent(invoices, slice_rows, random):
    frame = invoice_frame(invoices)
    # the query returns an invoice's lines together, invoices in date order (not by id)
    ids = sorted(set(frame["invoice_id"]))
    renamed = dict(zip(ids, random.sample(ids, len(ids)), strict=True))
    frame["invoice_id"] = frame["invoice_id"].map(renamed)
    frame["vat"] = line_vat(frame, slice_rows)
    by_invoice = frame.groupby("invoice_id").agg(
        vat=("vat", "sum"), expected=("invoice_vat", "first")
    )
    assert (by_invoice["vat"] == by_invoice["expected"]).all()
    # every line's share is its own amount's VAT, up to the rounding of its invoice's lines
    for _, group in frame.groupby("invoice_id"):
        for row in group.itertuples():
            exact = Decimal(row.amount) * Decimal(row.vat_rate) / 10000
            assert abs(Decimal(row.vat) - exact) <= len(group)


def test_one_line_invoices_keep_their_vat():
    frame = invoice_frame([(810, [13338]), (810, [5]), (0, [100])])
    assert line_vat(frame).tolist() == [1080, 0, 0]


def test_two_lines_share_the_invoice_vat():
    frame = invoice_frame([(810, [10005, 3333])])  # 133.38 × 8.1 % = 10.80
    assert line_vat(frame).tolist() == [810, 270]


def test_an_invoice_is_never_split_between_slices():
    frame = invoice_frame([(810, [10005, 3333]), (810, [10005, 3333])])
    assert line_vat(frame, slice_rows=1).tolist() == [810, 270, 810, 270]


@pytest.mark.parametrize("slice_rows", [1, 2, 50_000])  # a client's lines across slices
def test_summary_groups_by_client_and_currency_with_totals(slice_rows):
    lines = pd.DataFrame(
        {
            "client_id": [2, 1, 1, 3, 3],
            "client_name": ["beta", "Alpha", "Alpha", "Gamma", "Gamma"],
            "currency": ["EUR", "CHF", "CHF", "CHF", "CHF"],
            "public_price": [1000, 10005, 3333, 5000, 0],
            "amount": [1000, 10005, 3333, 4000, 0],
            "discount": [0, 0, 0, 1000, 0],
            "cashback": [200, 2001, 667, 0, 4000],
            "vat": [0, 810, 270, 324, 0],
            "partner_paid": [True, False, False, True, False],
        }
    )
    summary = summarise(lines, slice_rows)
    assert summary["client_name"].tolist() == ["Alpha", "beta", "Gamma"]
    alpha = summary.iloc[0]
    assert (alpha["lines"], alpha["amount"], alpha["vat"], alpha["total"]) == (
        2,
        13338,
        1080,
        14418,
    )
    assert alpha["paid_by"] == "Client"
    assert summary.iloc[1]["paid_by"] == "Partner"
    assert summary.iloc[2]["paid_by"] == "Client and partner"
    totals = totals_by_currency(summary).set_index("currency")
    assert totals.loc["CHF", "amount"] == 17338
    assert totals.loc["CHF", "cashback"] == 6668
    assert totals.loc["EUR", "lines"] == 1
    assert totals.loc["CHF", "total"] == 17338 + 1404


def test_empty_summary():
    empty = pd.DataFrame(
        columns=[
            "client_id",
            "client_name",
            "currency",
            "public_price",
            "amount",
            "discount",
            "cashback",
            "vat",
            "partner_paid",
        ]
    )
    assert summarise(empty).empty
    assert totals_by_currency(summarise(empty)).empty
