"""Input of clients and their partners: a delegation form (access kind, categories, products,
who pays) read into a Grant, and the forms of both sides' requests and answers. Each parser
reads a Form into typed values; the problems stay in the form's errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from portal.clients.rules import (
    REASON_LONGEST,
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


# --- the partner's requests -------------------------------------------------------------------

MESSAGE_MAX = 1000
NO_COLLABORATOR = (
    "Tick the collaborators or teams who act for this client, or remove them all with its button."
)


def asked_grant_from(form: Form) -> Grant:
    """The access a partner asks for: categories only (the client picks products, and who
    pays), so the form has no such fields and an error there could not even be shown."""
    grant = grant_from(form)
    form.errors.pop("products", None)
    form.errors.pop("billing_mode", None)
    return grant


@dataclass(frozen=True)
class ClientInvitation:
    email: str
    message: str
    requested_days: int | None
    grant: Grant
    template_id: int | None  # a saved set of categories, standing for the ticked ones


def client_invitation_from(form: Form) -> ClientInvitation:
    email = form.email()
    message = form.text("message", max_length=MESSAGE_MAX, multiline=True)
    requested_days = optional_days(form, "requested_days")
    template = form.text("template")
    grant = asked_grant_from(form)
    template_id = None
    if template and not is_id(template):
        form.add("template", "Choose a template from the list.")
    elif template:
        form.errors.pop("families", None)
        template_id = int(template)
    return ClientInvitation(email, message, requested_days, grant, template_id)


def collaborators_from(form: Form) -> tuple[set[int], set[int]]:
    """The people and teams ticked (`people` and `teams` repeat); both empty only through
    the form's "remove all" button."""
    people, teams = form.values("people"), form.values("teams")
    if form.errors or not all(is_id(value) for value in [*people, *teams]):
        # never read garbage as "nobody"
        form.errors.clear()
        form.add("collaborators", "Choose collaborators and teams from the list.")
        return set(), set()
    if not form.whole_set("collaborators", [*people, *teams], problem=NO_COLLABORATOR):
        return set(), set()  # emptied by its button; an empty submission is an error
    return {int(value) for value in people}, {int(value) for value in teams}


@dataclass(frozen=True)
class ElevationRequest:
    length: timedelta | None
    reason: str


def elevation_request_from(form: Form) -> ElevationRequest:
    length = elevation_length_from(form)
    reason = form.text(
        "reason",
        required=True,
        max_length=REASON_LONGEST,
        multiline=True,
        label="The reason",
    )
    return ElevationRequest(length, reason)


@dataclass(frozen=True)
class ManyRequest:
    """The same request to each ticked client: more days, or other access (`template`: a
    template's id, or "full")."""

    link_ids: tuple[int, ...]
    kind: str
    days: int | None
    template: str


def many_request_from(form: Form) -> ManyRequest:
    raw_links = form.values("links")
    if not all(is_id(value) for value in raw_links):
        form.add("links", "Tick the clients to ask.")
    kind = form.choice("kind", {"extension": "", "change": ""}, label="what to ask")
    days = form.integer("days") if kind == "extension" else None
    template = form.text("template") if kind == "change" else ""
    if kind == "change" and template != "full" and not is_id(template):
        form.add("template", "Choose the access to ask for from the list.")
    link_ids = tuple(int(value) for value in raw_links if is_id(value))
    return ManyRequest(link_ids, kind, days, template)


@dataclass(frozen=True)
class NewTemplate:
    name: str
    families: frozenset[str]


def template_from(form: Form) -> NewTemplate:
    name = form.name("name", max_length=100)
    return NewTemplate(name, frozenset(form.values("families", FAMILIES, label="categories")))


def transfer_code_from(form: Form) -> str:
    return form.text("code", max_length=40)


# --- the client's answers ---------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerRequest:
    partner_id: int | None
    message: str
    grant: Grant
    ending: Ending


def partner_request_from(form: Form) -> PartnerRequest:
    """A client asks a partner to manage what it grants."""
    partner_id = form.integer("partner")
    message = form.text("message", max_length=MESSAGE_MAX, multiline=True)
    return PartnerRequest(partner_id, message, grant_from(form), ending_from(form))


@dataclass(frozen=True)
class GrantChange:
    grant: Grant
    answering: int | None  # the partner's request this change answers


def grant_change_from(form: Form) -> GrantChange:
    grant = grant_from(form)
    answering = form.text("request")
    if answering and not is_id(answering):
        form.add("request", "This request no longer exists.")
        answering = ""
    return GrantChange(grant, int(answering) if answering else None)


@dataclass(frozen=True)
class Confirmation:
    """The password, and the second factor's code when on, that confirm temporary full access."""

    password: str
    code: str


def confirmation_from(form: Form) -> Confirmation:
    return Confirmation(form.password("password"), form.text("code", max_length=20))


@dataclass(frozen=True)
class TransferRequest:
    """A client moved to another partner: the one chosen, or the words to find it; the
    access it gets (None: the current one, kept)."""

    search: str
    partner_id: int | None
    grant: Grant | None


def transfer_request_from(form: Form) -> TransferRequest:
    search = form.text("q", max_length=100)
    partner_id = form.integer("partner", required=False)
    keep = form.text("keep_grant") != "no"
    grant = None if keep else grant_from(form)
    return TransferRequest(search, partner_id, grant)
