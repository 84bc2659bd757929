"""The renewals pages: an organisation's own products (/renewals) and the products a partner
manages for its clients (/partner/renewals), each with its filters, its changes of many
products at once, and the CSV of the list."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Stream

from portal.core.current import Current
from portal.errors import Conflict, FormErrors
from portal.products.rules import FAMILIES
from portal.renewals import forms, lists, queries, services
from portal.renewals.lists import Filter, Owner
from portal.renewals.rules import State
from portal.renewals.services import Change
from portal.web import form_page, page, push_url, redirect, url_for

Me = NamedDependency[Current]

DONE = {
    Change.AUTOMATIC_ON: "Automatic renewal is now on. Products changed: {count}.",
    Change.AUTOMATIC_OFF: "Automatic renewal is now off. Products changed: {count}.",
    Change.WARRANTY_ON: "The renewal warranty is now on. Products changed: {count}.",
    Change.WARRANTY_OFF: "The renewal warranty is now off. Products changed: {count}.",
    Change.RENEW_NOW: (
        "Renewed, each with its invoice to whoever pays under your agreement. Products "
        "renewed: {count}."
    ),
}
LEFT_ALONE = "Products of clients who gave you restricted access were left as they were: {count}."
CSV_COLUMNS = (
    "Client",
    "Product",
    "Offer",
    "Kind",
    "Period",
    "Renews on",
    "State",
    "Automatic renewal",
    "Renewal warranty",
    "Payer",
)
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # as billing reports (docs/rules.md)
STATE_BADGES = {
    State.ACTIVE: "ok",
    State.DUE: "warn",
    State.GRACE: "warn",
    State.SUSPENDED: "danger",
    State.EXPIRED: "danger",
    State.CANCELLED: "",
}


class RenewalsController(Controller):
    path = "/renewals"

    @get("", name="renewals.index")
    async def index(self, request: Request, current: Me) -> Response:
        owner = await services.own_renewals(current)
        return await _page(request, current, owner)

    @post("/change", name="renewals.change")
    async def change(self, request: Request, current: Me) -> Response:
        owner = await services.own_renewals(current)
        return await _change(request, current, owner)

    @get("/csv", name="renewals.csv")
    async def csv(self, request: Request, current: Me) -> Stream:
        owner = await services.own_renewals(current)
        return await _csv(request, owner, "renewals.csv")


class ManagedRenewalsController(Controller):
    path = "/partner/renewals"

    @get("", name="renewals.partner")
    async def index(self, request: Request, current: Me) -> Response:
        owner = await services.managed_renewals(current)
        return await _page(request, current, owner)

    @post("/change", name="renewals.partner.change")
    async def change(self, request: Request, current: Me) -> Response:
        owner = await services.managed_renewals(current)
        return await _change(request, current, owner)

    @get("/csv", name="renewals.partner.csv")
    async def csv(self, request: Request, current: Me) -> Stream:
        owner = await services.managed_renewals(current)
        return await _csv(request, owner, "client-renewals.csv")


def _names(owner: Owner) -> dict[str, str]:
    prefix = "renewals.partner" if owner.partner else "renewals"
    return {"page": prefix if owner.partner else "renewals.index", "prefix": prefix}


async def _page(
    request: Request,
    current: Current,
    owner: Owner,
    *,
    filters: dict | None = None,
    errors: dict | None = None,
) -> Response:
    filters = filters or forms.list_filters(request.query_params)
    position = forms.position_of(request.query_params)
    policies = await queries.policies()
    today = services.today()
    listed = await lists.renewals_page(
        owner, filters["state"], filters["family"], today, policies, position
    )
    names = _names(owner)
    for row in listed.rows:
        row["manageable"] = (
            services.may_manage_client_product(current, row)
            if owner.partner
            else services.may_manage_own(current)
        )
    query = {"state": filters["state"].value, "family": filters["family"]}
    query = {k: v for k, v in query.items() if v and v != Filter.ALL}
    base = url_for(request, names["page"])
    context = {
        "partner_side": owner.partner,
        "rows": listed.rows,
        "filters": filters,
        "filter_choices": list(Filter),
        "families": FAMILIES,
        "page_url": base,
        "query": urlencode(query),
        "next_url": f"{base}?{urlencode({**query, 'after': listed.next_token})}"
        if listed.next_token
        else None,
        "previous_url": f"{base}?{urlencode({**query, 'before': listed.previous_token})}"
        if listed.previous_token
        else None,
        "change_url": url_for(request, names["prefix"] + ".change"),
        "csv_url": f"{url_for(request, names['prefix'] + '.csv')}?{urlencode(query)}",
        "changes": list(Change),
        "state_badges": STATE_BADGES,
        "may_change": any(row["manageable"] for row in listed.rows),
        "today": today,
    }
    if errors is not None:
        return form_page(request, "renewals/index.html", context, errors)
    response = page(request, "renewals/index.html", context, fragment="renewals")
    # a filter changed in place: the address bar shows the list's own address
    response.headers.update(push_url(f"{base}?{context['query']}" if context["query"] else base))
    return response


async def _change(request: Request, current: Current, owner: Owner) -> Response:
    data = await request.form()
    filters = forms.list_filters(data)
    try:
        selection, what = forms.change_request(data)
        outcome = await services.change(current, owner, selection, what)
    except FormErrors as error:
        return await _page(request, current, owner, filters=filters, errors=error.errors)
    except Conflict as error:  # billing refused a renewal: nothing was renewed
        errors = {"change": error.detail}
        return await _page(request, current, owner, filters=filters, errors=errors)
    message = DONE[what].format(count=outcome.changed)
    if outcome.left:
        message += " " + LEFT_ALONE.format(count=outcome.left)
    query = {"state": filters["state"].value, "family": filters["family"]}
    query = {k: v for k, v in query.items() if v and v != Filter.ALL}
    target = url_for(request, _names(owner)["page"])
    return redirect(request, f"{target}?{urlencode(query)}" if query else target, flash=message)


async def _csv(request: Request, owner: Owner, filename: str) -> Stream:
    """Every product of the filter, in date order, streamed a thousand rows at a time."""
    filters = forms.list_filters(request.query_params)
    policies = await queries.policies()
    batches = lists.csv_rows(owner, filters["state"], filters["family"], services.today(), policies)
    return Stream(
        _csv_chunks(batches),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "cache-control": "no-store",
        },
    )


async def _csv_chunks(batches: AsyncIterator[list[dict]]) -> AsyncIterator[bytes]:
    yield "\ufeff".encode()  # Excel then reads the file as UTF-8
    yield _csv_lines([CSV_COLUMNS])
    async for rows in batches:
        yield _csv_lines(_csv_row(row) for row in rows)


def _csv_row(row: dict) -> tuple:
    return (
        _text(row["client_name"]),
        _text(row["name"]),
        _text(row["offer"]),
        FAMILIES.get(row["family"], row["family"]),
        row["period"],
        row["renews_on"].isoformat(),
        row["state"].label,
        "on" if row["automatic_renewal"] else "off",
        "on" if row["renewal_warranty"] else "off",
        _text(row["payer_name"]),
    )


def _text(value: str) -> str:
    """Text a spreadsheet shows as it is: never a formula."""
    return "'" + value if value.startswith(CSV_FORMULA_STARTS) else value


def _csv_lines(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()


ROUTES = [RenewalsController, ManagedRenewalsController]
