"""The renewals pages' input: the filters of the list (lenient: anything odd means the
default), and the form that changes many products at once (strict: field errors)."""

from __future__ import annotations

from collections.abc import Mapping

from portal.errors import FormErrors
from portal.forms import Form
from portal.products.rules import FAMILIES
from portal.renewals.lists import Filter, Position, key_of
from portal.renewals.services import Change, Selection

MOST_TICKED = 1000  # products ticked at once (a page holds 50)
SCOPES = {"selected": "the ticked products", "matching": "every product that matches"}


def list_filters(params: Mapping[str, str]) -> dict:
    state = params.get("state") or ""
    family = params.get("family") or ""
    return {
        "state": Filter(state) if state in Filter._value2member_map_ else Filter.ALL,
        "family": family if family in FAMILIES else "",
    }


def position_of(params: Mapping[str, str]) -> Position:
    after, before = key_of(params.get("after")), key_of(params.get("before"))
    if before is not None:
        return Position(before=before)
    return Position(after=after)


def change_request(data) -> tuple[Selection, Change]:
    form = Form(data)
    what = form.choice("change", tuple(Change), label="what to change")
    scope = form.choice("scope", tuple(SCOPES), label="which products")
    state = form.choice("state", tuple(Filter), label="a filter")
    family = form.text("family", max_length=40)
    if family and family not in FAMILIES:
        form.add("family", "Choose a kind of product from the list.")
    ticked = [] if scope == "matching" else form.values("product")
    if len(ticked) > MOST_TICKED:
        form.add("product", f"Tick at most {MOST_TICKED} products, or choose all that match.")
    elif not all(value.isascii() and value.isdigit() and len(value) <= 10 for value in ticked):
        form.add("product", "Choose products from the list.")
    form.check()
    selection = Selection(
        product_ids=tuple(int(value) for value in ticked),
        matching=scope == "matching",
        state=Filter(state),
        family=family,
    )
    if not selection.matching and not selection.product_ids:
        raise FormErrors({"product": "Tick at least one product."})
    return selection, Change(what)
