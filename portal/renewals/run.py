"""The renewal run (docs/rules.md, Renewals): every product whose next step has come is
reminded, renewed (automatically from the prepaid balance, or under the warranty) or moved on
to grace, suspension or expiry; warranty invoices are followed until paid; the payers and the
partners are told in one digest each.

Idempotent and safe to run twice at once: a client's products are taken in batches, each in
its own transaction, the client locked first and then the batch's products; a product another
run has just handled no longer qualifies once its lock is granted. A batch never holds the locks
of more than one client. After an outage a product goes straight to where its dates are, once;
clients come in the order their earliest date came, and their products by date (in LANES lanes
at once, all the clients of one payer in one lane)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from portal.audit.services import insert_many
from portal.billing.rules import Orderer
from portal.clients import queries as link_queries
from portal.core.enums import ProductStatus
from portal.database import is_unavailable, retrying_conflicts
from portal.errors import Conflict, FormErrors
from portal.piccolo_conf import DB
from portal.renewals import invoicing, notices, queries
from portal.renewals.notices import Kind
from portal.renewals.rules import (
    InvoiceStep,
    Policy,
    Situation,
    Step,
    Way,
    invoice_plan,
    payer_is_partner,
    plan,
    policy_for,
    step_day,
    suspension_for_unpaid,
    warranty_due_on,
)
from portal.settings import Settings

log = logging.getLogger(__name__)

BATCH = 200  # products per transaction, all of one client
# Clients are worked in lanes at once, each lane its clients in date order. A payer's clients
# share a lane, so that renewals drawing on one prepaid balance come in the order of their dates.
LANES = 3
MAX_BATCHES_PER_CLIENT = 10_000
RUN = invoicing.RENEWAL_RUN

STEP_ACTIONS = {
    Step.REMINDED_30: "renewal.reminded",
    Step.REMINDED_7: "renewal.reminded",
    Step.REMINDED_1: "renewal.reminded",
    Step.DUE: "renewal.due",
    Step.GRACE: "renewal.grace",
    Step.SUSPENDED: "renewal.suspended",
    Step.EXPIRED: "renewal.expired",
}
STEP_NOTICES = {
    Step.DUE: Kind.DUE,
    Step.GRACE: Kind.GRACE,
    Step.SUSPENDED: Kind.SUSPENDED,
    Step.EXPIRED: Kind.EXPIRED,
}
INVOICE_NOTICES = {
    InvoiceStep.REMINDED: Kind.INVOICE_OVERDUE,
    InvoiceStep.SUSPENDED: Kind.SUSPENDED_UNPAID,
}
INVOICE_ACTIONS = {
    InvoiceStep.REMINDED: "renewal.invoice_overdue",
    InvoiceStep.SUSPENDED: "renewal.suspended_unpaid",
}


@dataclass
class Summary:
    """What a run did, for its log line and the tests."""

    products: int = 0
    steps: Counter = field(default_factory=Counter)
    renewed: Counter = field(default_factory=Counter)
    invoices: Counter = field(default_factory=Counter)
    mails: int = 0
    failed: int = 0  # clients whose work failed, left for the next run
    batches: int = 0  # transactions, each holding the locks of one client
    longest_batch: float = 0.0  # seconds the longest of them held its locks

    def add(self, other: Summary) -> None:
        self.products += other.products
        self.steps.update(other.steps)
        self.renewed.update(other.renewed)
        self.invoices.update(other.invoices)
        self.failed += other.failed
        self.batches += other.batches
        self.longest_batch = max(self.longest_batch, other.longest_batch)

    def timed(self, started: float) -> None:
        self.batches += 1
        self.longest_batch = max(self.longest_batch, time.perf_counter() - started)


async def run_renewals(settings: Settings, now: datetime) -> Summary:
    today = now.astimezone(UTC).date()
    policies = await queries.policies()
    summary = Summary()
    lanes: list[list[int]] = [[] for _ in range(LANES)]
    for client_id, payer_id in await queries.clients_with_work(today):
        lanes[payer_id % LANES].append(client_id)
    async with asyncio.TaskGroup() as group:  # a lane that fails stops the others
        working = [group.create_task(_work_lane(lane, today, policies)) for lane in lanes]
    for done in working:
        summary.add(done.result())
    for client_id in await queries.clients_with_invoices_to_check(today):
        summary.add(await _guarded(client_id, lambda c=client_id: _check_invoices(c, today)))
    summary.mails = await notices.send_waiting(settings)
    await queries.compact_day_counts(today)
    log.info(
        "Renewal run for %s: %d product(s) looked at, steps %s, renewed %s, invoices %s, "
        "%d mail(s); %d batch(es), the longest %.3f s.",
        today,
        summary.products,
        dict(summary.steps),
        dict(summary.renewed),
        dict(summary.invoices),
        summary.mails,
        summary.batches,
        summary.longest_batch,
    )
    return summary


async def _work_lane(clients: list[int], today: date, policies: dict[str, Policy]) -> Summary:
    """One lane's clients, one after the other, in date order."""
    done = Summary()
    for client_id in clients:
        done.add(await _guarded(client_id, lambda c=client_id: _look_at_client(c, today, policies)))
    return done


async def _guarded(client_id: int, work) -> Summary:
    """A client's WORK; if it fails, it is left for the next run (logged), so that it holds up
    no other client. Without a database, the run stops."""
    try:
        return await retrying_conflicts(work)
    except Exception as error:
        if is_unavailable(error):
            raise
        log.exception("The renewals of client %s failed; the next run tries again.", client_id)
        return Summary(failed=1)


async def _look_at_client(client_id: int, today: date, policies: dict[str, Policy]) -> Summary:
    done = Summary()
    for _ in range(MAX_BATCHES_PER_CLIENT):
        started = time.perf_counter()
        async with DB.transaction():
            await link_queries.lock_client(client_id)
            products = await queries.products_to_check(client_id, today, BATCH)
            if not products:
                break
            batch = await _look_at_batch(client_id, products, today, policies)
        batch.summary.timed(started)
        done.add(batch.summary)
        if len(products) < BATCH:
            break
    return done


@dataclass
class Batch:
    """What one batch writes, in one statement each."""

    steps: list = field(default_factory=list)
    notices: list = field(default_factory=list)
    audit: list = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)


@dataclass(frozen=True)
class Product:
    """A product of the batch (a row of queries.products_to_check), and who pays for it."""

    row: dict
    client_id: int
    policy: Policy

    @property
    def id(self) -> int:
        return self.row["id"]

    @property
    def partner_pays(self) -> bool:
        return payer_is_partner(self.row["access"], self.row["billing_mode"])

    @property
    def payer_id(self) -> int:
        return self.row["managed_by"] if self.partner_pays else self.client_id

    @property
    def recipients(self) -> set[int]:
        return {self.payer_id, self.row["managed_by"]} - {None}

    def details(self, **more) -> dict:
        renews_on = self.row["renews_on"]
        payer = self.row["partner_name"] if self.partner_pays else self.row["client_name"]
        return {
            "product": f"{self.row['name']} ({self.row['offer']})",
            "payer": payer,
            "renews_on": renews_on.isoformat(),
            "suspended_on": step_day(Step.SUSPENDED, renews_on, self.policy).isoformat(),
            "expires_on": step_day(Step.EXPIRED, renews_on, self.policy).isoformat(),
            **more,
        }


async def _look_at_batch(
    client_id: int, rows: list[dict], today: date, policies: dict[str, Policy]
) -> Batch:
    batch = Batch()
    for row in rows:
        product = Product(row, client_id, policy_for(policies, row["family"]))
        await _look_at(product, today, batch)
    # A batch that renewed nothing has moved steps only, which the next run would take again
    # after a crash: its commit need not wait for the disk (queries.record_steps). A renewal's
    # invoice may be told to a webhook at once: it waits.
    durable = bool(batch.summary.renewed)
    await queries.record_steps(
        batch.steps, batch.notices, insert_many(RUN, batch.audit), durable=durable
    )
    return batch


@dataclass(frozen=True)
class Attempt:
    way: Way
    renewed: bool
    invoice: invoicing.Invoiced | None = None
    missing: Decimal | None = None
    until: date | None = None
    due_on: date | None = None


async def _look_at(product: Product, today: date, batch: Batch) -> None:
    row = product.row
    decided = plan(
        Situation(
            renews_on=row["renews_on"],
            period=row["period"],
            status=row["status"],
            step=Step(row["renewal_step"]),
            automatic=row["automatic_renewal"],
            warranty=row["renewal_warranty"],
            warranty_unpaid=row["warranty_unpaid"],
        ),
        today,
        product.policy,
    )
    batch.summary.products += 1
    short = None
    for way in decided.renew:
        attempt = await _renew(product, way, today)
        if attempt.renewed:
            _tell_renewal(product, attempt, batch)
            return
        if attempt.missing is not None:
            short = attempt
    batch.steps.append((product.id, decided.step, decided.status, decided.next_look))
    if decided.step > row["renewal_step"]:
        batch.summary.steps[decided.step.name.lower()] += 1
        batch.audit.append(
            (
                product.client_id,
                STEP_ACTIONS[decided.step],
                row["name"],
                {"renews_on": row["renews_on"].isoformat(), "status": decided.status},
            )
        )
    if decided.notice is not None:
        kind, details = _notice_of(product, decided.notice, short)
        _tell(product, kind, details, batch)


def _notice_of(product: Product, step: Step, short: Attempt | None) -> tuple[Kind, dict]:
    row = product.row
    if step < Step.DUE:
        if row["automatic_renewal"]:
            return Kind.REMINDER_AUTOMATIC, product.details()
        if row["renewal_warranty"]:
            return Kind.REMINDER_WARRANTY, product.details()
        return Kind.REMINDER_MANUAL, product.details()
    if short is not None and step <= Step.GRACE:
        return Kind.NO_MONEY, product.details(
            amount=str(short.invoice.gross),
            missing=str(short.missing),
            currency=short.invoice.currency,
        )
    return STEP_NOTICES[step], product.details()


def _tell(product: Product, kind: Kind, details: dict, batch: Batch) -> None:
    for recipient in sorted(product.recipients):
        batch.notices.append(
            (recipient, product.id, product.client_id, kind, product.row["renews_on"], details)
        )


def _tell_renewal(product: Product, attempt: Attempt, batch: Batch) -> None:
    invoice = attempt.invoice
    details = product.details(
        new_renews_on=attempt.until.isoformat(),
        invoice=invoice.number,
        amount=str(invoice.gross),
        currency=invoice.currency,
        due_on=attempt.due_on.isoformat() if attempt.due_on else None,
    )
    kind = Kind.RENEWED_WARRANTY if attempt.way is Way.WARRANTY else Kind.RENEWED_AUTOMATIC
    _tell(product, kind, details, batch)
    batch.summary.renewed[attempt.way.value] += 1
    batch.audit.append(
        (
            product.client_id,
            "renewal.renewed",
            product.row["name"],
            {
                "way": attempt.way.value,
                "invoice": invoice.number,
                "until": details["new_renews_on"],
            },
        )
    )


async def _renew(product: Product, way: Way, today: date) -> Attempt:
    """Renew through billing, as a manual renewal by whoever orders under the agreement; the
    automatic way pays at once from the balance, or leaves nothing behind (a savepoint)."""
    savepoint = await DB.current_transaction.get().savepoint()
    orderer = Orderer.PARTNER if product.partner_pays else Orderer.CLIENT
    try:
        invoice_id = await invoicing.issue_renewal_invoice(product.client_id, product.id, orderer)
    except (Conflict, FormErrors) as refusal:
        await savepoint.rollback_to()
        log.warning("Product %s could not be renewed: %s", product.id, refusal)
        return Attempt(way, renewed=False)
    invoice = await invoicing.invoice(invoice_id)
    if way is Way.AUTOMATIC:
        missing = await invoicing.pay_from_balance(invoice)
        if missing > 0:
            await savepoint.rollback_to()
            return Attempt(way, renewed=False, invoice=invoice, missing=missing)
    due_on = warranty_due_on(today) if way is Way.WARRANTY else None
    await queries.insert_renewal(
        {
            "product": product.id,
            "client": product.client_id,
            "payer": invoice.payer,
            "renewed_from": product.row["renews_on"],
            "way": way.value,
            "invoice": invoice.id,
            "due_on": due_on,
            "invoice_step": InvoiceStep.OPEN if due_on else InvoiceStep.SETTLED,
            "next_check": invoice_plan(due_on, InvoiceStep.OPEN, False, today).next_look
            if due_on
            else None,
        }
    )
    await savepoint.release()
    until = await queries.renewed_until(product.id)
    return Attempt(way, renewed=True, invoice=invoice, until=until, due_on=due_on)


# --- warranty invoices ------------------------------------------------------------------------


async def _check_invoices(client_id: int, today: date) -> Summary:
    summary = Summary()
    started = time.perf_counter()
    async with DB.transaction():
        await link_queries.lock_client(client_id)
        rows = await queries.warranty_invoices_to_check(client_id, today)
        if not rows:
            return summary
        names = await queries.organisation_names(
            [
                client_id,
                *(r["payer"] for r in rows),
                *(r["managed_by"] for r in rows if r["managed_by"]),
            ]
        )
        steps, suspend, lift, told, audit = [], [], [], [], []
        for row in rows:
            decided = invoice_plan(
                row["due_on"], InvoiceStep(row["invoice_step"]), row["paid"], today
            )
            steps.append((row["id"], decided.step, decided.next_look))
            kind, action = None, None
            if decided.suspend and row["status"] == ProductStatus.ACTIVE:
                suspend.append(row["product"])
            if (
                decided.lift
                and row["status"] == ProductStatus.SUSPENDED
                and row["renewal_step"] < Step.SUSPENDED
            ):
                lift.append(row["product"])
                kind, action = Kind.RESUMED, "renewal.resumed"
            if decided.notice is not None:
                kind, action = INVOICE_NOTICES[decided.notice], INVOICE_ACTIONS[decided.notice]
            if kind is None:
                continue
            summary.invoices[action.removeprefix("renewal.")] += 1
            details = {
                "product": f"{row['name']} ({row['offer']})",
                "payer": names[row["payer"]],
                "invoice": row["invoice"],
                "amount": str(row["gross"]),
                "currency": row["currency"],
                "due_on": row["due_on"].isoformat(),
                "suspends_on": suspension_for_unpaid(row["due_on"]).isoformat(),
            }
            for recipient in sorted({row["payer"], row["managed_by"]} - {None}):
                told.append((recipient, row["product"], client_id, kind, row["renews_on"], details))
            audit.append((client_id, action, row["name"], {"invoice": row["invoice"]}))
        await queries.record_invoice_steps(steps)
        await queries.set_statuses(suspend, ProductStatus.SUSPENDED)
        await queries.set_statuses(lift, ProductStatus.ACTIVE)
        await queries.record_steps([], told, insert_many(RUN, audit))
    summary.timed(started)
    return summary
