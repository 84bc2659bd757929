"""How the entries of renewals read in the audit log (portal/audit/sentences.py): each step the
renewal run takes for a product, its renewals and warranty invoices, and the options people
switch. Each constant is one whole sentence."""

from __future__ import annotations

from portal.audit.sentences import Reading, day_text

REMINDED = "A reminder was sent: {subject} renews on {renews_on}."
DUE = "{subject} was due for renewal on {renews_on} and is not renewed."
GRACE = "{subject} is in its grace period: it was due for renewal on {renews_on}."
SUSPENDED = "{subject} was suspended: it was not renewed after its grace period."
EXPIRED = "{subject} expired: it was not renewed in time."
RENEWED_AUTOMATIC = (
    "{subject} was renewed automatically until {until} and paid from the prepaid balance "
    "(invoice {invoice})."
)
RENEWED_WARRANTY = (
    "{subject} was renewed under the renewal warranty until {until} (invoice {invoice})."
)
INVOICE_OVERDUE = "Invoice {invoice} of the renewal of {subject} under the warranty is overdue."
SUSPENDED_UNPAID = (
    "{subject} was suspended: invoice {invoice} of its renewal under the warranty is unpaid."
)
RESUMED = "{subject} runs again: invoice {invoice} of its renewal is paid."
OPTIONS = {
    ("automatic_renewal", True): "Automatic renewal of {subject} was turned on — by {actor}.",
    ("automatic_renewal", False): "Automatic renewal of {subject} was turned off — by {actor}.",
    ("renewal_warranty", True): "The renewal warranty of {subject} was turned on — by {actor}.",
    ("renewal_warranty", False): "The renewal warranty of {subject} was turned off — by {actor}.",
}
OPTIONS_CHANGED = "The renewal options of {subject} changed — by {actor}."


def _dated(template: str):
    return lambda read: read.fill(template, renews_on=day_text(read.after.get("renews_on")))


def _fixed(template: str):
    return lambda read: read.fill(template)


def _with_invoice(template: str):
    return lambda read: read.fill(template, invoice=read.after.get("invoice") or "")


def _renewed(read: Reading) -> str:
    template = RENEWED_WARRANTY if read.after.get("way") == "warranty" else RENEWED_AUTOMATIC
    return read.fill(
        template, until=day_text(read.after.get("until")), invoice=read.after.get("invoice") or ""
    )


def _options(read: Reading) -> str:
    for (column, value), template in OPTIONS.items():
        if read.after.get(column) is value:
            return read.fill(template)
    return read.fill(OPTIONS_CHANGED)


WRITERS = {
    "renewal.reminded": _dated(REMINDED),
    "renewal.due": _dated(DUE),
    "renewal.grace": _dated(GRACE),
    "renewal.suspended": _fixed(SUSPENDED),
    "renewal.expired": _fixed(EXPIRED),
    "renewal.renewed": _renewed,
    "renewal.invoice_overdue": _with_invoice(INVOICE_OVERDUE),
    "renewal.suspended_unpaid": _with_invoice(SUSPENDED_UNPAID),
    "renewal.resumed": _with_invoice(RESUMED),
    "renewal.options": _options,
}
