"""The Swiss QR-bill of a deposit (the `qrbill` library): SVG for the page, PDF to print."""

from __future__ import annotations

import io
from decimal import Decimal

import cairosvg
from qrbill import QRBill

from portal.billing.rules import is_qr_iban
from portal.settings import HostAccount


def account_for(host: HostAccount, reference: str) -> str:
    """A QR reference is paid to the host's QR-IBAN; a creditor reference (RF…) to the deposit
    account when it is a plain IBAN, else to the host's other account: a request keeps an
    account its reference fits, even after the settings changed."""
    if reference.isdigit() or not is_qr_iban(host.qr_iban):
        return host.qr_iban
    return host.iban


def qr_bill(
    host: HostAccount, amount: Decimal, currency: str, reference: str, debtor: dict | None
) -> QRBill:
    return QRBill(
        account=account_for(host, reference),
        creditor={
            "name": host.name,
            "street": host.street,
            "house_num": host.house_number,
            "pcode": host.postcode,
            "city": host.city,
            "country": host.country,
        },
        amount=f"{amount:.2f}",
        currency=currency,
        reference_number=reference,
        additional_information="Deposit to the prepaid account",
        debtor=debtor,
        language="en",
    )


def svg(bill: QRBill, *, full_page: bool = False) -> str:
    out = io.StringIO()
    bill.as_svg(out, full_page=full_page)
    return out.getvalue()


def pdf(bill: QRBill) -> bytes:
    """An A4 page with the payment part at its foot, as banks and post offices expect."""
    return cairosvg.svg2pdf(bytestring=svg(bill, full_page=True).encode())
