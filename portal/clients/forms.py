"""Reading a delegation form (access kind, categories, products, who pays) into a Grant."""

from __future__ import annotations

from portal.clients.rules import Access, BillingMode, Grant
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
