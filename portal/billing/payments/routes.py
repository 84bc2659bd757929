"""Pages of the prepaid account (every currency, deposits by QR-bill, payouts) and the staff's
payments (bank statements, the queue of unmatched payments, payout approval and export)."""

from __future__ import annotations

import secrets

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Stream
from schwifty import IBAN

from portal.access import Action, StaffResource, client_scope, require
from portal.billing import queries, rules, services
from portal.billing.payments import forms, qr
from portal.billing.payments import queries as payment_queries
from portal.billing.payments import services as payments
from portal.billing.payments.camt import MAX_FILE_BYTES
from portal.core.current import Current
from portal.downloads import csv_download
from portal.errors import Conflict, FormErrors
from portal.forms import Form
from portal.money import money
from portal.web import form_page, page, redirect, url_for

Me = NamedDependency[Current]
PREPAID = "billing/prepaid.html"
STAFF_PAYMENTS = "billing/staff_payments.html"
METHODS = forms.METHODS


class PrepaidController(Controller):
    path = "/billing/prepaid"

    @get("", name="billing.prepaid")
    async def prepaid(self, request: Request, current: Me) -> Response:
        return page(request, PREPAID, await _prepaid_context(request, current), fragment="entries")

    @get("/export.csv", name="billing.prepaid.csv")
    async def prepaid_csv(self, request: Request, current: Me) -> Stream:
        """Every entry of the account in one currency, newest first, streamed: nothing is cut
        off."""
        resource = services.billing_scope(current)
        default = current.organisation.currency
        chosen = str(request.query_params.get("currency") or default)
        currency = chosen if chosen in rules.CURRENCIES else default
        sql, arguments = queries.ledger_export_query(
            resource.organisation_id, currency, client_scope(current.actor)
        )
        return csv_download(sql, arguments, f"prepaid-account-{currency.lower()}.csv")

    @post("/deposit", name="billing.prepaid.deposit")
    async def deposit(self, request: Request, current: Me) -> Response:
        services.billing_scope(current)  # 404 without an organisation whose money one sees
        data = await request.form()
        form = Form(data)
        deposit = forms.deposit_from(form)
        amount, currency = deposit.amount, deposit.currency
        try:
            form.check()
            request_id = await payments.request_deposit(
                request.app.state.settings.host_account,
                current,
                amount,
                currency,
                deposit.submission,
            )
        except FormErrors as error:
            context = {**await _prepaid_context(request, current), "form": data}
            return form_page(request, PREPAID, context, error.errors)
        return redirect(
            request,
            url_for(request, "billing.prepaid.request", request_id=request_id),
            flash=f"Pay {money(amount, currency)} with the QR-bill below: your account is "
            "credited once the payment reaches the host's bank.",
        )

    @get("/deposits/{request_id:int}", name="billing.prepaid.request")
    async def payment_request(
        self, request: Request, current: Me, request_id: FromPath[int]
    ) -> Response:
        found = await payments.payment_request(current, request_id)
        host = request.app.state.settings.host_account
        account = IBAN(qr.account_for(host, found["reference"])).formatted
        return page(request, "billing/deposit.html", {"deposit": found, "account": account})

    @get("/deposits/{request_id:int}/qr-bill.svg", name="billing.prepaid.request.svg")
    async def qr_bill_svg(
        self, request: Request, current: Me, request_id: FromPath[int]
    ) -> Response:
        bill = await _qr_bill(request, current, request_id)
        download = request.query_params.get("download") == "1"
        return _file(qr.svg(bill).encode(), "image/svg+xml", f"qr-bill-{request_id}.svg", download)

    @get("/deposits/{request_id:int}/qr-bill.pdf", name="billing.prepaid.request.pdf")
    async def qr_bill_pdf(
        self, request: Request, current: Me, request_id: FromPath[int]
    ) -> Response:
        bill = await _qr_bill(request, current, request_id)
        return _file(qr.pdf(bill), "application/pdf", f"qr-bill-{request_id}.pdf", True)

    @post("/payout", name="billing.prepaid.payout")
    async def payout(self, request: Request, current: Me) -> Response:
        services.billing_scope(current)
        data = await request.form()
        form = Form(data)
        entered = forms.payout_from(form)
        payout = entered.request
        try:
            form.check()
            await payments.request_payout(
                current, payout, entered.password, entered.code, entered.submission
            )
        except FormErrors as error:
            found = {("payout_amount" if k == "amount" else k): v for k, v in error.errors.items()}
            context = {**await _prepaid_context(request, current), "form": data}
            return form_page(request, PREPAID, context, found)
        return redirect(
            request,
            url_for(request, "billing.prepaid"),
            flash=f"Your payout of {money(payout.amount, payout.currency)} is reserved on your "
            "account and waits for the host's approval.",
        )


async def _qr_bill(request: Request, current: Current, request_id: int):
    """Organisations have no postal address in the portal: the payer's box stays blank."""
    found = await payments.payment_request(current, request_id)
    host = request.app.state.settings.host_account
    return qr.qr_bill(host, found["amount"], found["currency"], found["reference"], None)


def _file(content: bytes, media_type: str, name: str, download: bool) -> Response:
    disposition = "attachment" if download else "inline"
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


async def _prepaid_context(request: Request, current: Current) -> dict:
    resource = services.billing_scope(current)
    organisation_id = resource.organisation_id
    balances = await queries.balances(organisation_id)
    held = [row["currency"] for row in balances]
    default = current.organisation.currency
    chosen = str(request.query_params.get("currency") or default)
    currency = chosen if chosen in rules.CURRENCIES else default
    before = _entry_id(str(request.query_params.get("before") or ""))
    entries, has_next = await queries.ledger_entries(
        organisation_id, currency, before, client_scope(current.actor)
    )
    return {
        "currency": currency,
        "organisation_currency": default,
        "balances": balances or [{"currency": default, "balance": rules.ZERO, "entries": 0}],
        "currencies": sorted(set(held) | {default}),
        "entries": entries,
        "next_before": entries[-1]["id"] if has_next else None,
        "labels": rules.ENTRY_LABELS,
        "payout_statuses": rules.PAYOUT_STATUS_LABELS,
        "requests": await payment_queries.payment_requests_of(organisation_id),
        "payouts": await payment_queries.payouts_of(organisation_id),
        "methods": METHODS,
        "deposit_min": rules.DEPOSIT_MIN,
        "deposit_max": rules.DEPOSIT_MAX,
        "asks_second_factor": current.totp_enabled,
        "submission": secrets.token_urlsafe(16),  # a new key for each form shown
    }


def _entry_id(raw: str | None) -> int | None:
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= 10:
        value = int(raw)
        return value if value <= 2**31 - 1 else None
    return None


# --- staff -------------------------------------------------------------------------------------


class StaffPaymentsController(Controller):
    """The host's staff: bank statements in, unmatched payments, payouts out."""

    path = "/staff/payments"

    @get("", name="billing.staff.payments")
    async def index(self, request: Request, current: Me) -> Response:
        return page(request, STAFF_PAYMENTS, await _staff_context(current))

    @post(
        "/statements",
        name="billing.staff.payments.import",
        request_max_body_size=MAX_FILE_BYTES + 65536,
    )
    async def import_statement(self, request: Request, current: Me) -> Response:
        require(current.actor, Action.MANAGE_PAYMENTS, StaffResource())
        form = Form(await request.form())
        upload = forms.statement_from(form)
        try:
            form.check()
            result = await payments.import_statement(
                current, upload.filename or "statement.xml", await upload.read()
            )
        except FormErrors as error:
            return form_page(request, STAFF_PAYMENTS, await _staff_context(current), error.errors)
        return redirect(
            request,
            url_for(request, "billing.staff.payments"),
            flash=f"Statement imported: {result.summary}",
        )

    @post("/entries/{entry_id:int}/assign", name="billing.staff.payments.assign")
    async def assign(self, request: Request, current: Me, entry_id: FromPath[int]) -> Response:
        require(current.actor, Action.MANAGE_PAYMENTS, StaffResource())
        form = Form(await request.form())
        assignment = forms.assignment_from(form)
        return await _staff_write(
            request,
            current,
            form,
            lambda: payments.assign_bank_entry(
                current, entry_id, assignment.organisation_id, assignment.note
            ),
            "The payment is credited to the organisation's prepaid account.",
        )

    @post("/entries/{entry_id:int}/refund", name="billing.staff.payments.refund")
    async def refund(self, request: Request, current: Me, entry_id: FromPath[int]) -> Response:
        require(current.actor, Action.MANAGE_PAYMENTS, StaffResource())
        form = Form(await request.form())
        note = forms.note_from(form)
        return await _staff_write(
            request,
            current,
            form,
            lambda: payments.refund_bank_entry(current, entry_id, note),
            "The payment is marked as refunded to its payer.",
        )

    @post("/payouts/{payout_id:int}/approve", name="billing.staff.payouts.approve")
    async def approve(self, request: Request, current: Me, payout_id: FromPath[int]) -> Response:
        return await _decide(request, current, payout_id, True)

    @post("/payouts/{payout_id:int}/reject", name="billing.staff.payouts.reject")
    async def reject(self, request: Request, current: Me, payout_id: FromPath[int]) -> Response:
        return await _decide(request, current, payout_id, False)

    @post("/exports", name="billing.staff.payouts.export")
    async def export(self, request: Request, current: Me) -> Response:
        require(current.actor, Action.MANAGE_PAYMENTS, StaffResource())
        form = Form(await request.form())
        chosen = forms.payout_export_from(form)
        host = request.app.state.settings.host_account
        return await _staff_write(
            request,
            current,
            form,
            lambda: payments.export_payouts(host, current, chosen.method, chosen.currency),
            "The file is ready: download it below and hand it to the bank or PayPal.",
        )

    @get("/exports/{export_id:int}", name="billing.staff.payouts.export.download")
    async def download(self, request: Request, current: Me, export_id: FromPath[int]) -> Response:
        found = await payments.payout_export(current, export_id)
        media = "application/xml" if found["method"] == "iban" else "text/csv; charset=utf-8"
        return _file(found["content"].encode(), media, found["file_name"], True)


async def _decide(request: Request, current: Current, payout_id: int, approve: bool) -> Response:
    require(current.actor, Action.MANAGE_PAYMENTS, StaffResource())
    form = Form(await request.form())
    note = forms.note_from(form)
    settings = request.app.state.settings
    done = "The payout is approved." if approve else "The payout is rejected; the amount is back."
    return await _staff_write(
        request,
        current,
        form,
        lambda: payments.decide_payout(settings, current, payout_id, approve, note),
        done,
    )


async def _staff_write(request: Request, current: Current, form: Form, work, done: str):
    """Run WORK once the form is valid; back on the staff's page with what happened."""
    try:
        form.check()
        await work()
    except (FormErrors, Conflict) as error:
        found = error.errors if isinstance(error, FormErrors) else {"payments": error.detail}
        return form_page(request, STAFF_PAYMENTS, await _staff_context(current), found)
    return redirect(request, url_for(request, "billing.staff.payments"), flash=done)


async def _staff_context(current: Current) -> dict:
    require(current.actor, Action.MANAGE_PAYMENTS, StaffResource())
    queue = await payment_queries.bank_queue()
    for entry in queue:
        entry["reason_text"] = payments.unmatched_reason_text(entry["reason"])
    return {
        "statements": await payment_queries.statements(),
        "queue": queue,
        "requested": await payment_queries.payouts_with_status("requested"),
        "approved": await payment_queries.payouts_with_status("approved"),
        "exports": await payment_queries.exports(),
        "methods": METHODS,
        "currencies": rules.CURRENCIES,
    }


ROUTES = [PrepaidController, StaffPaymentsController]
