"""The Swiss QR-bill of a deposit (the `qrbill` library): SVG for the page, PDF to print."""

from __future__ import annotations

import io
from decimal import Decimal

import cairosvg
from qrbill import QRBill

from portal.settings import HostAccount


def account_for(host: HostAccount, reference: str) -> str:
    """A QR reference is paid to the host's QR-IBAN, a creditor reference (RF…) to its IBAN:
    a request keeps the account its reference was made for, whatever the settings say now."""
    return host.qr_iban if reference.isdigit() else host.iban


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
