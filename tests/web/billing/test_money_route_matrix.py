"""Every route of the prepaid account and of the staff's money pages, for every kind of
person, through HTTP. The expected answer comes from portal/access.py (one source of truth):
HIDDEN → 404, FORBIDDEN → 403, a visitor is sent to log in; when allowed, the page (200) or
the write's own answer (303, or 422 for what the state refuses). A refused request changes
none of the money tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal as D

import pytest
from piccolo.querystring import QueryString

from portal.access import (
    Action,
    Actor,
    Decision,
    OrganisationResource,
    Role,
    StaffResource,
    decide,
)
from portal.billing.rules import payment_reference
from portal.billing.tables import Invoice, LedgerEntry, PaymentRequest, Payout, PayoutExport
from portal.piccolo_conf import DB
from tests.factories.accounts import PASSWORD, logged_in_browser
from tests.factories.camt import Credit, camt
from tests.factories.organisations import insert_organisation, insert_person

MONEY_TABLES = [
    "ledger_entry",
    "ledger_balance",
    "payment_request",
    "bank_statement",
    "bank_entry",
    "payout",
    "payout_export",
    "invoice",
    "invoice_line",
    "programme_setting",
]


@dataclass(frozen=True)
class Someone:
    key: str
    role: Role | None  # None: a visitor
    billing_rights: bool = False
    staff: bool = False
    elsewhere: bool = False  # a member of another organisation


PEOPLE = [
    Someone("visitor", None),
    Someone("legal representative", Role.LEGAL_REPRESENTATIVE, True),
    Someone("user with billing rights", Role.USER, True),
    Someone("user without billing rights", Role.USER, False),
    Someone(
        "another organisation's legal representative",
        Role.LEGAL_REPRESENTATIVE,
        True,
        elsewhere=True,
    ),
    Someone("staff", Role.LEGAL_REPRESENTATIVE, True, staff=True, elsewhere=True),
]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    action: Action
    staff: bool = False
    owned: bool = False  # names the organisation's own deposit: another's is none of yours
    data: dict | None = None
    uploads_statement: bool = False


ROUTES = [
    Route("GET", "/billing/prepaid", Action.VIEW_BILLING),
    Route(
        "POST",
        "/billing/prepaid/deposit",
        Action.VIEW_BILLING,
        data={"amount": "25", "currency": "CHF"},
    ),
    Route("GET", "/billing/prepaid/deposits/{request}", Action.VIEW_BILLING, owned=True),
    Route(
        "GET", "/billing/prepaid/deposits/{request}/qr-bill.svg", Action.VIEW_BILLING, owned=True
    ),
    Route(
        "GET", "/billing/prepaid/deposits/{request}/qr-bill.pdf", Action.VIEW_BILLING, owned=True
    ),
    Route(
        "POST",
        "/billing/prepaid/payout",
        Action.VIEW_BILLING,
        data={
            "payout_amount": "5",
            "payout_currency": "CHF",
            "method": "paypal",
            "destination": "pay@example.ch",
            "password": PASSWORD,
        },
    ),
    Route(
        "POST",
        "/billing/invoices/pay",
        Action.VIEW_BILLING,
        owned=True,
        data={"invoice": "{invoice}"},
    ),
    Route("GET", "/staff/payments", Action.MANAGE_PAYMENTS, staff=True),
    Route(
        "POST",
        "/staff/payments/statements",
        Action.MANAGE_PAYMENTS,
        staff=True,
        uploads_statement=True,
    ),
    Route(
        "POST",
        "/staff/payments/entries/{entry}/assign",
        Action.MANAGE_PAYMENTS,
        staff=True,
        data={"organisation": "{organisation}", "note": "Found it"},
    ),
    Route(
        "POST",
        "/staff/payments/entries/{entry}/refund",
        Action.MANAGE_PAYMENTS,
        staff=True,
        data={"note": "Sent back"},
    ),
    Route(
        "POST",
        "/staff/payments/payouts/{payout}/approve",
        Action.MANAGE_PAYMENTS,
        staff=True,
        data={"note": ""},
    ),
    Route(
        "POST",
        "/staff/payments/payouts/{payout}/reject",
        Action.MANAGE_PAYMENTS,
        staff=True,
        data={"note": "Wrong holder"},
    ),
    Route(
        "POST",
        "/staff/payments/exports",
        Action.MANAGE_PAYMENTS,
        staff=True,
        data={"method": "paypal", "currency": "CHF"},
    ),
    Route("GET", "/staff/payments/exports/{export}", Action.MANAGE_PAYMENTS, staff=True),
    Route("GET", "/staff/vat-rates", Action.EDIT_PROGRAMME_SETTINGS, staff=True),
    Route(
        "POST",
        "/staff/vat-rates",
        Action.EDIT_PROGRAMME_SETTINGS,
        staff=True,
        data={"country": "DK", "rate": "25", "effective_from": "2030-01-01"},
    ),
    Route("GET", "/staff/invoices", Action.CREDIT_INVOICES, staff=True),
    Route("GET", "/staff/invoices/{invoice}", Action.CREDIT_INVOICES, staff=True),
    Route(
        "POST",
        "/staff/invoices/{invoice}/credit",
        Action.CREDIT_INVOICES,
        staff=True,
        data={"whole": "on", "reason": "Cancelled"},
    ),
]


def expected(someone: Someone, route: Route, ids: dict) -> set[int]:
    """What the person gets, decided by portal/access.py."""
    if someone.role is None:
        return {303}  # to the login page
    actor = Actor(
        0,
        ids["elsewhere"] if someone.elsewhere else ids["organisation"],
        someone.role,
        someone.billing_rights,
        is_staff=someone.staff,
    )
    # the prepaid pages are of the organisation one acts in: another's deposit or invoice is
    # none of one's business
    resource = StaffResource() if route.staff else OrganisationResource(actor.organisation_id)
    decision = decide(actor, route.action, resource)
    if decision is Decision.HIDDEN or (route.owned and someone.elsewhere):
        return {404}
    if decision is Decision.FORBIDDEN:
        return {403}
    return {200} if route.method == "GET" else {303, 422}


async def money_rows() -> dict[str, int]:
    sums = {}
    for table in MONEY_TABLES:
        rows = await DB.run_querystring(
            QueryString(
                f"SELECT md5(coalesce(string_agg(t::text, '' ORDER BY t::text), '')) "
                f"AS s FROM {table} t"
            )
        )
        sums[table] = rows[0]["s"]
    return sums


async def build(client) -> tuple[dict, dict]:
    ids = {
        "organisation": await insert_organisation("Muster AG"),
        "elsewhere": await insert_organisation("Other AG"),
    }
    browsers = {}
    for someone in PEOPLE:
        if someone.role is None:
            continue
        email = someone.key.replace(" ", ".").replace("'", "") + "@example.ch"
        organisation = ids["elsewhere"] if someone.elsewhere else ids["organisation"]
        account = await insert_person(email, organisation, someone.role.value)
        await DB.run_querystring(
            QueryString(
                "UPDATE membership SET billing_rights = {} WHERE account = {} RETURNING id",
                someone.billing_rights,
                account,
            )
        )
        if someone.staff:
            await DB.run_querystring(
                QueryString(
                    "UPDATE account SET is_staff = true WHERE id = {} RETURNING id", account
                )
            )
        browsers[someone.key] = await logged_in_browser(client, email)
    return ids, browsers


async def fill(ids: dict) -> None:
    """A fresh deposit, queued payment, payout, export and invoice for each request."""
    organisation = ids["organisation"]
    await LedgerEntry.insert(
        LedgerEntry(
            organisation=organisation,
            currency="CHF",
            kind="deposit",
            amount=D("100.00"),
            reference="Deposit",
        )
    )
    rows = await PaymentRequest.insert(
        PaymentRequest(
            organisation=organisation,
            currency="CHF",
            amount=D("10.00"),
            reference="",
        )
    ).returning(PaymentRequest.id)
    ids["request"] = rows[0]["id"]
    await PaymentRequest.update(
        {PaymentRequest.reference: payment_reference(ids["request"], qr_iban=False)}
    ).where(PaymentRequest.id == ids["request"])
    from portal.billing.payments.services import import_statement

    await import_statement(None, "q.xml", camt([Credit("3.00", "", f"Q-{ids['request']}")]))
    entry = await DB.run_querystring(
        QueryString("SELECT max(id) AS id FROM bank_entry WHERE status = 'queued'")
    )
    ids["entry"] = entry[0]["id"]
    rows = await Payout.insert(
        Payout(
            organisation=organisation,
            currency="CHF",
            amount=D("1.00"),
            method="paypal",
            destination="pay@example.ch",
        )
    ).returning(Payout.id)
    ids["payout"] = rows[0]["id"]
    rows = await PayoutExport.insert(
        PayoutExport(
            method="paypal", currency="CHF", file_name="p.csv", content="", payouts=0, total=D("0")
        )
    ).returning(PayoutExport.id)
    ids["export"] = rows[0]["id"]
    rows = await Invoice.insert(
        Invoice(
            number=f"INV-TEST-{ids['request']}",
            payer=organisation,
            client=organisation,
            currency="CHF",
            issued_on=date(2026, 12, 1),
            vat_rule="swiss_vat",
            vat_rate=D("0.081"),
            net=D("10.00"),
            vat=D("0.81"),
            gross=D("10.81"),
        )
    ).returning(Invoice.id)
    ids["invoice"] = rows[0]["id"]


def filled(template: str, ids: dict) -> str:
    for key, value in ids.items():
        template = template.replace("{" + key + "}", str(value))
    return template


@pytest.mark.parametrize("someone", PEOPLE, ids=lambda s: s.key)
async def test_every_money_route_answers_as_access_decides(client, db, someone):
    ids, browsers = await build(client)
    browser = browsers.get(someone.key, client)
    problems = []
    for route in ROUTES:
        await fill(ids)
        path = filled(route.path, ids)
        before = await money_rows()
        if route.method == "GET":
            response = await browser.get(path)
        else:
            if not browser.cookies.get("__Host-csrf"):
                await browser.get("/login")
            token = browser.cookies.get("__Host-csrf", "")
            data = {k: filled(v, ids) for k, v in (route.data or {}).items()}
            files = None
            if route.uploads_statement:
                content = camt([Credit("4.00", "", f"M-{ids['request']}-{someone.key}")])
                files = {"file": ("camt.xml", content, "application/xml")}
            response = await browser.post(path, data={"_csrf_token": token, **data}, files=files)
        wanted = expected(someone, route, ids)
        if response.status_code not in wanted:
            problems.append(f"{route.method} {route.path}: {response.status_code}, not {wanted}")
        refused = response.status_code in (403, 404) or (
            someone.role is None and response.headers.get("location", "").startswith("/login")
        )
        if refused and await money_rows() != before:
            problems.append(f"{route.method} {route.path}: refused, but it wrote")
    for other in browsers.values():
        await other.aclose()
    assert not problems, "\n".join(problems)
