"""Input of products: the products a plain user is given."""

from __future__ import annotations

from portal.forms import Form

NO_PRODUCT_TICKED = "Tick the products this user may see, or remove them all with its button."


def given_products_from(form: Form) -> set[int]:
    """The ticked product ids; FORM holds the field error when none is ticked."""
    ticked = form.whole_set("products", form.values("products"), problem=NO_PRODUCT_TICKED)
    return {int(v) for v in ticked if v.isascii() and v.isdigit() and len(v) < 10}
