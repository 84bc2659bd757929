"""Reading a delegation form (access kind, categories, products, who pays) into a Grant."""

from __future__ import annotations

from collections.abc import Mapping

from portal.clients.rules import FAMILIES, Access, BillingMode, Grant


def grant_from(data, errors: dict[str, str]) -> Grant:
    """DATA is the submitted form (a multi-dict: `families` and `products` repeat)."""
    access = str(data.get("access", ""))
    if access not in {a.value for a in Access}:
        errors.setdefault("access", "Choose full or restricted access.")
        access = Access.RESTRICTED
    billing = str(data.get("billing_mode", "") or "")
    if billing and billing not in {b.value for b in BillingMode}:
        errors.setdefault("billing_mode", "Choose who pays from the list.")
        billing = ""
    families = {str(f) for f in _all(data, "families")}
    if not families <= FAMILIES.keys():
        errors.setdefault("families", "Choose categories from the list.")
        families &= FAMILIES.keys()
    products = set()
    for raw in _all(data, "products"):
        if is_id(raw):
            products.add(int(raw))
        else:
            errors.setdefault("products", "Choose products from the list.")
    if access == Access.FULL:
        return Grant(Access.FULL, billing_mode=BillingMode(billing) if billing else None)
    return Grant(Access.RESTRICTED, frozenset(families), frozenset(products), BillingMode.CLIENT)


def is_id(raw) -> bool:
    """A row id as a form sends it: ASCII digits ("²".isdigit() is true, and int() refuses
    it), short enough for int() and the database."""
    text = str(raw)
    return text.isascii() and text.isdigit() and len(text) < 12


def _all(data, name: str) -> list:
    if hasattr(data, "getall"):
        return list(data.getall(name, []))
    value = data.get(name) if isinstance(data, Mapping) else None
    return [] if value is None else (value if isinstance(value, list) else [value])


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
