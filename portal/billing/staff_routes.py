"""Staff pages of money: the VAT rates with their history, and credit notes of invoices."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.access import Action, StaffResource, require
from portal.billing import credit_notes, forms, queries, rules, services
from portal.core.current import Current
from portal.core.reference import countries
from portal.errors import Conflict, FormErrors, NotFound
from portal.forms import Form
from portal.web import form_page, page, redirect, url_for

Me = NamedDependency[Current]
VAT_PAGE = "billing/staff_vat.html"
INVOICE_PAGE = "billing/staff_invoice.html"


class VatRatesController(Controller):
    path = "/staff/vat-rates"

    @get("", name="billing.staff.vat")
    async def show(self, request: Request, current: Me) -> Response:
        return page(request, VAT_PAGE, await _vat_context(current))

    @post("", name="billing.staff.vat.add")
    async def add(self, request: Request, current: Me) -> Response:
        require(current.actor, Action.EDIT_PROGRAMME_SETTINGS, StaffResource())
        data = await request.form()
        form = Form(data)
        entered = forms.vat_rate_from(form)
        country, day = entered.country, entered.effective_from
        try:
            form.check()
            await services.add_vat_rate(current, entered.as_rule(), entered.note)
        except FormErrors as error:
            context = {**await _vat_context(current), "form": data}
            return form_page(request, VAT_PAGE, context, error.errors)
        return redirect(
            request,
            url_for(request, "billing.staff.vat"),
            flash=f"The rate of {countries().get(country, country)} from {day:%d %b %Y} is saved.",
        )


async def _vat_context(current: Current) -> dict:
    require(current.actor, Action.EDIT_PROGRAMME_SETTINGS, StaffResource())
    table = await queries.vat_table()
    today = datetime.now(UTC).date()
    started = {}
    for rate in table:  # each country's rate in force is the latest started
        if rate.effective_from <= today:
            known = started.get(rate.country)
            started[rate.country] = max(known or rate, rate, key=lambda r: r.effective_from)
    rows = [
        {
            "country": countries().get(rate.country, rate.country),
            "rate": rate.rate,
            "effective_from": rate.effective_from,
            "in_force": started.get(rate.country) == rate,
        }
        for rate in sorted(table, key=lambda r: (r.country, r.effective_from))
    ]
    return {
        "countries": {c: countries().get(c, c) for c in sorted(rules.EU_COUNTRIES)},
        "rows": rows,
        "history": await queries.setting_history("vat_rates"),
        "swiss_rate": rules.SWISS_VAT_RATE,
    }


class StaffInvoicesController(Controller):
    """Staff find any invoice by its number and credit it, whole or some lines."""

    path = "/staff/invoices"

    @get("", name="billing.staff.invoices")
    async def find(self, request: Request, current: Me) -> Response:
        require(current.actor, Action.CREDIT_INVOICES, StaffResource())
        number = (request.query_params.get("number") or "").strip()[:40]
        if number:
            invoice_id = await queries.invoice_id_by_number(number)
            if invoice_id is not None:
                target = url_for(request, "billing.staff.invoice", invoice_id=invoice_id)
                return redirect(request, target)
            errors = {"number": "No invoice has this number."}
            return form_page(request, INVOICE_PAGE, {"found": None, "number": number}, errors)
        return page(request, INVOICE_PAGE, {"found": None, "number": ""})

    @get("/{invoice_id:int}", name="billing.staff.invoice")
    async def show(self, request: Request, current: Me, invoice_id: FromPath[int]) -> Response:
        found = await credit_notes.invoice_for_staff(current, invoice_id)
        return page(request, INVOICE_PAGE, {"found": found, "number": ""})

    @post("/{invoice_id:int}/credit", name="billing.staff.invoice.credit")
    async def credit(self, request: Request, current: Me, invoice_id: FromPath[int]) -> Response:
        require(current.actor, Action.CREDIT_INVOICES, StaffResource())
        form = Form(await request.form())
        credit = forms.credit_from(form)
        try:
            form.check()
            note_id = await credit_notes.issue_credit_note(
                current, invoice_id, list(credit.line_ids), credit.reason
            )
        except (FormErrors, Conflict, NotFound) as error:
            if isinstance(error, NotFound):
                raise
            found = error.errors if isinstance(error, FormErrors) else {"lines": error.detail}
            context = {"found": await credit_notes.invoice_for_staff(current, invoice_id)}
            return form_page(request, INVOICE_PAGE, {**context, "number": ""}, found)
        return redirect(
            request,
            url_for(request, "billing.staff.invoice", invoice_id=note_id),
            flash="The credit note is issued; cashback on it is reversed.",
        )


ROUTES = [VatRatesController, StaffInvoicesController]
