"""The money forms' parsers (portal/billing/forms.py, portal/billing/payments/forms.py): typed
values from good input, field errors from bad input of any kind, never an exception."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from litestar.datastructures import FormMultiDict, UploadFile

from portal.billing import forms
from portal.billing.payments import forms as payment_forms
from portal.billing.payments.services import PayoutRequest
from portal.billing.services import OrderRequest
from portal.forms import AMOUNT_PROBLEM, CONTROL_CHARACTERS, GIVEN_TWICE, NOT_TEXT, Form

A_FILE = UploadFile(content_type="text/plain", filename="notes.txt")


def test_ticked_invoices_are_read_as_ids():
    form = Form(FormMultiDict([("invoice", "7"), ("invoice", "12")]))
    assert forms.invoice_ids_from(form) == [7, 12]
    assert form.errors == {}


@pytest.mark.parametrize("odd", ["seven", "²", "1" * 10, "-3", "4.0"])
def test_an_invoice_value_that_is_no_id_is_refused(odd):
    form = Form(FormMultiDict([("invoice", "7"), ("invoice", odd)]))
    forms.invoice_ids_from(form)
    assert form.errors == {"invoices": "Choose the invoices to pay from the list."}


def test_an_order_is_one_product_unless_a_quantity_is_given():
    form = Form({"item": "3", "period": "yearly", "name": " Shop ", "warranty": "on"})
    assert forms.order_from(form, 40) == OrderRequest(40, 3, None, "yearly", "Shop", 1, True)
    assert form.errors == {}


def test_an_order_names_each_bad_field():
    form = Form({"period": "weekly", "quantity": "501", "name": "Shop\x00"})
    forms.order_from(form, 40)
    assert form.errors == {
        "item": "Choose a value.",
        "period": "Choose monthly or yearly from the list.",
        "name": CONTROL_CHARACTERS,
        "quantity": "Order from 1 to 500 products at once.",
    }


def test_an_order_of_none_or_of_a_number_in_words_is_refused():
    zero = Form({"item": "3", "period": "monthly", "quantity": "0"})
    forms.order_from(zero, 40)
    assert zero.errors == {"quantity": "Order from 1 to 500 products at once."}
    words = Form({"item": "3", "period": "monthly", "quantity": "three"})
    forms.order_from(words, 40)
    assert words.errors == {"quantity": "Enter a whole number."}


def test_an_order_with_a_name_too_long_is_refused():
    form = Form({"item": "3", "period": "monthly", "name": "x" * 201})
    forms.order_from(form, 40)
    assert form.errors == {"name": "Use at most 200 characters."}


def test_a_vat_rate_is_read_in_percent_and_stored_as_a_fraction():
    form = Form({"country": "DE", "rate": "19", "effective_from": "2027-01-01", "note": "Law"})
    entered = forms.vat_rate_from(form)
    assert form.errors == {}
    assert entered.as_rule().rate == Decimal("0.1900")
    assert entered.effective_from == date(2027, 1, 1) and entered.note == "Law"


def test_a_vat_rate_names_each_bad_field():
    form = Form({"country": "CH", "rate": "19,5", "effective_from": "1.1.2027"})
    forms.vat_rate_from(form)
    assert form.errors == {
        "country": "Choose an EU country from the list.",
        "rate": "Write the amount with a point for decimals and no comma, such as 1500.50.",
        "effective_from": "Enter a date as YYYY-MM-DD.",
    }


def test_a_vat_rate_needs_the_rate_and_its_first_day():
    form = Form({"country": "FR", "rate": " "})
    forms.vat_rate_from(form)
    assert form.errors == {
        "rate": "The rate is required.",
        "effective_from": "Enter the first day of the rate as YYYY-MM-DD.",
    }


def test_a_credit_takes_lines_or_the_whole_invoice_with_a_reason():
    lines = Form(FormMultiDict([("line", "4"), ("line", "5"), ("reason", "Billed twice")]))
    assert forms.credit_from(lines) == forms.Credit((4, 5), "Billed twice")
    whole = Form({"whole": "on", "line": "4", "reason": "Cancelled"})
    assert forms.credit_from(whole) == forms.Credit((), "Cancelled")
    assert lines.errors == whole.errors == {}


def test_a_credit_of_nothing_without_a_reason_is_refused():
    form = Form({"reason": "x" * 301})
    forms.credit_from(form)
    assert form.errors == {
        "lines": "Choose the lines to credit, or the whole invoice.",
        "reason": "Use at most 300 characters.",
    }


def test_a_deposit_reads_amount_currency_and_the_forms_key():
    form = Form({"amount": "1'500.50", "currency": "CHF", "submission": "k1"})
    assert payment_forms.deposit_from(form) == payment_forms.Deposit(
        Decimal("1500.50"), "CHF", "k1"
    )


def test_a_deposit_names_each_bad_field():
    form = Form({"amount": "lots", "currency": "USD", "submission": "k" * 41})
    payment_forms.deposit_from(form)
    assert form.errors == {
        "amount": AMOUNT_PROBLEM,
        "currency": "Choose CHF or EUR from the list.",
        "submission": "Use at most 40 characters.",
    }


def test_a_payout_reads_where_the_money_goes_and_the_confirmation():
    form = Form(
        {
            "payout_amount": "250",
            "payout_currency": "EUR",
            "method": "paypal",
            "destination": "pay@example.ch",
            "password": "pw",
            "code": "123456",
        }
    )
    entered = payment_forms.payout_from(form)
    assert form.errors == {}
    assert entered.request == PayoutRequest(Decimal(250), "EUR", "paypal", "pay@example.ch", "")
    assert (entered.password, entered.code) == ("pw", "123456")


def test_a_payout_with_nothing_filled_names_each_field():
    form = Form({})
    payment_forms.payout_from(form)
    assert form.errors == {
        "payout_amount": "The amount is required.",
        "payout_currency": "Choose CHF or EUR from the list.",
        "method": "Choose IBAN or PayPal from the list.",
        "destination": "The destination is required.",
        "password": "Enter the password.",
    }


def test_a_statement_must_be_a_file():
    text = Form({"file": "camt.054 pasted as text"})
    assert payment_forms.statement_from(text) is None
    assert text.errors == {"file": "Choose a camt.053 or camt.054 file."}
    upload = Form({"file": A_FILE})
    assert payment_forms.statement_from(upload) is A_FILE and upload.errors == {}


def test_an_assignment_names_the_organisation_by_its_id():
    form = Form({"organisation": "12", "note": "Paid with the wrong reference"})
    assert payment_forms.assignment_from(form) == payment_forms.Assignment(
        12, "Paid with the wrong reference"
    )
    odd = Form({"organisation": "Muster AG", "note": "a\x00b"})
    payment_forms.assignment_from(odd)
    assert odd.errors == {"organisation": "Enter a whole number.", "note": CONTROL_CHARACTERS}


def test_a_payout_export_chooses_a_method_and_a_currency():
    form = Form({"method": "cheque", "currency": "CHF"})
    payment_forms.payout_export_from(form)
    assert form.errors == {"method": "Choose a bank or PayPal export from the list."}


def test_a_json_body_read_as_a_form_gives_field_errors_not_an_exception():
    body = json.loads('{"amount": 1500, "currency": ["CHF", "EUR"], "submission": null}')
    form = Form(body)
    payment_forms.deposit_from(form)
    assert form.errors["amount"] == NOT_TEXT
    assert form.errors["currency"] == GIVEN_TWICE
    order = Form(json.loads('{"item": {"id": 3}, "period": "monthly", "quantity": 2}'))
    forms.order_from(order, 40)
    assert order.errors == {"item": NOT_TEXT, "quantity": NOT_TEXT}
