"""Reading a delegation form (access kind, categories, products, who pays) into a Grant."""

from __future__ import annotations

from datetime import timedelta

from portal.clients.rules import (
    Access,
    BillingMode,
    Ending,
    Grant,
    elevation_length,
    end_day_after,
)
from portal.forms import Form
from portal.products.rules import FAMILIES


def grant_from(form: Form) -> Grant:
    """The grant of a submitted form (`families` and `products` repeat); problems go to
    FORM's errors."""
    access = form.text("access")
    if access not in {a.value for a in Access}:
        form.add("access", "Choose full or restricted access.")
        access = Access.RESTRICTED
    billing = form.text("billing_mode")
    if billing and billing not in {b.value for b in BillingMode}:
        form.add("billing_mode", "Choose who pays from the list.")
        billing = ""
    families = set(form.values("families", FAMILIES, label="categories"))
    products = set()
    for raw in form.values("products"):
        if is_id(raw):
            products.add(int(raw))
        else:
            form.add("products", "Choose products from the list.")
    if access == Access.FULL:
        return Grant(Access.FULL, billing_mode=BillingMode(billing) if billing else None)
    return Grant(Access.RESTRICTED, frozenset(families), frozenset(products), BillingMode.CLIENT)


def is_id(raw) -> bool:
    """A row id as a form sends it: ASCII digits ("²".isdigit() is true, and int() refuses
    it), short enough for int() and the database."""
    text = str(raw)
    return text.isascii() and text.isdigit() and len(text) < 12


def grant_form_values(grant: Grant | None) -> dict:
    """A grant as the form shows it pre-filled."""
    if grant is None:
        return {"access": "restricted", "families": [], "products": [], "billing_mode": "client"}
    return {
        "access": grant.access.value,
        "families": sorted(grant.families),
        "products": sorted(grant.product_ids),
        "billing_mode": grant.billing_mode.value if grant.billing_mode else "client",
    }


def ending_from(form: Form) -> Ending:
    """The end date fields of a grant form: `ends_on` (a day, or empty for none) and
    `auto_extend`."""
    return Ending(form.day("ends_on"), form.checkbox("auto_extend"))


def ending_form_values(ending: Ending, requested_days: int | None = None, now=None) -> dict:
    """An ending as the form shows it; a partner's asked-for duration suggests the date."""
    if ending.ends_on is None and requested_days and now is not None:
        return {"ends_on": end_day_after(requested_days, now).isoformat(), "auto_extend": False}
    return {
        "ends_on": ending.ends_on.isoformat() if ending.ends_on else "",
        "auto_extend": ending.auto_extend,
    }


def optional_days(form: Form, name: str) -> int | None:
    """A number of days, or None when left empty."""
    if not form.text(name):
        return None
    return form.integer(name)


def elevation_length_from(form: Form) -> timedelta | None:
    """How long temporary full access is asked for: `length` hours or days (`unit`)."""
    amount = form.integer("length")
    unit = form.text("unit") or "hours"
    if amount is None:
        return None
    length = elevation_length(amount, unit)
    if isinstance(length, str):
        form.add("length", length)
        return None
    return length
