"""The API's operations under /api/v1. Each handler reads or writes through the domain's own
services and queries, with the token's owner as the actor (access.py decides, narrowed by the
token's scopes, and the queries are scoped by the actor), and answers one of schemas.py's
structures. Lists page by cursor (paging.py); writes honour an Idempotency-Key."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.response import File

from portal.access import (
    Action,
    ApiArea,
    ApiLevel,
    OrganisationResource,
    client_scope,
    may,
    require,
    sees_every_product,
)
from portal.api import paging, schemas
from portal.api.auth import needs, token_use
from portal.api.idempotency import idempotent
from portal.api.problems import TOKEN_PROBLEMS, problems
from portal.api.schemas import money, rate
from portal.billing import queries as billing_queries
from portal.billing.records import Invoice
from portal.billing.services import billing_scope
from portal.clients import queries as link_queries
from portal.clients import services as link_services
from portal.core.current import Current
from portal.errors import FormErrors, NotFound
from portal.exports import queries as export_queries
from portal.exports.billing_report import ReportRequest, lines_scope, report_lines
from portal.exports.feed import rules as feed_rules
from portal.exports.feed import services as feed_services
from portal.exports.feed.routes import feed_file
from portal.products import queries as product_queries
from portal.tenders import services as tender_services
from portal.tenders.forms import quote_from
from portal.tenders.records import RoutedTender
from portal.web import url_for

Me = NamedDependency[Current]
Id = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
READ_PROBLEMS = problems(*TOKEN_PROBLEMS, 422)
SHOW_PROBLEMS = problems(*TOKEN_PROBLEMS, 404, 422)
WRITE_PROBLEMS = problems(*TOKEN_PROBLEMS, 404, 409, 415, 422)


def _ref(organisation_id: int | None, name: str | None) -> schemas.OrganisationRef | None:
    if organisation_id is None:
        return None
    return schemas.OrganisationRef(id=organisation_id, name=name or "")


# --- the organisation ------------------------------------------------------------------------


class OrganisationController(Controller):
    path = "/organisation"
    tags = ["Organisation"]

    @get(
        "",
        operation_id="getOrganisation",
        name="api.getOrganisation",
        summary="The organisation the token acts for",
        responses=READ_PROBLEMS,
    )
    async def show(self, current: Me) -> schemas.Organisation:
        organisation = current.organisation_resource()
        require(current.actor, Action.VIEW_ORGANISATION, organisation)
        summary = current.organisation
        return schemas.Organisation(
            id=summary.id,
            name=summary.name,
            country=summary.country,
            currency=summary.currency,
            partner_status=summary.partner_status,
            token_scopes=sorted(current.actor.scopes or ()),
        )


# --- clients and links -----------------------------------------------------------------------


def client_item(row: dict) -> schemas.Client:
    return schemas.Client(
        link_id=row["id"],
        client=schemas.OrganisationRef(id=row["client_id"], name=row["client_name"]),
        country=row["client_country"],
        access=row["access"],
        billing_mode=row["billing_mode"],
        families=list(row["families"] or []),
        product_count=row["product_count"],
        collaborators=list(row["collaborators"] or []),
        since=row["decided_at"],
    )


def _link(row: dict) -> schemas.Link:
    return schemas.Link(
        id=row["id"],
        partner=schemas.OrganisationRef(id=row["partner"], name=row["partner_name"]),
        client=_ref(row["client"], row.get("client_name")),
        status=row["status"],
        initiated_by=row["initiated_by"],
        access=row["access"] if row["status"] == "active" else None,
        families=list(row["families"] or []) if row["status"] == "active" else [],
        billing_mode=row["billing_mode"] if row["status"] == "active" else None,
        delegated_product_ids=sorted(row.get("product_ids") or []),
        created_at=row["created_at"],
        decided_at=row["decided_at"],
        ended_at=row.get("ended_at"),
    )


def _product(row: dict) -> schemas.Product:
    return schemas.Product(
        id=row["id"],
        name=row["name"],
        offer=row["offer"],
        family=row["family"],
        period=row["period"],
        status=row["status"],
        started_on=row["started_on"],
        renews_on=row["renews_on"],
    )


class ClientsController(Controller):
    """The partner's clients: the organisations whose products it manages."""

    path = "/clients"
    tags = ["Clients and links"]
    opt = needs(ApiArea.CLIENTS)

    @get(
        "",
        operation_id="listClients",
        name="api.listClients",
        summary="The partner's active clients that the token's owner sees, by name",
        responses=READ_PROBLEMS,
    )
    async def index(
        self,
        current: Me,
        cursor: paging.Cursor = None,
        limit: paging.Limit = paging.DEFAULT_LIMIT,
        access: Annotated[str | None, QueryParameter(pattern="^(full|restricted)$")] = None,
    ) -> schemas.ClientPage:
        partner = current.organisation_resource()
        require(current.actor, Action.VIEW_ORGANISATION, partner)
        clients = await link_queries.clients_of_partner(
            partner.organisation_id,
            paging.position(cursor, str, int),
            scope=client_scope(current.actor),
            access=access or "",
            size=limit,
        )
        return schemas.ClientPage(
            data=[client_item(row) for row in clients],
            next_cursor=paging.page_cursor(clients, "client_name", "id"),
        )


class PartnersController(Controller):
    """The client's side: its partners and the requests waiting for an answer."""

    path = "/partners"
    tags = ["Clients and links"]
    opt = needs(ApiArea.CLIENTS)

    @get(
        "",
        operation_id="listPartners",
        name="api.listPartners",
        summary="The organisation's partners and waiting requests, as its client",
        responses=READ_PROBLEMS,
    )
    async def index(self, current: Me) -> schemas.LinkPage:
        client = current.organisation_resource()
        require(current.actor, Action.VIEW_ORGANISATION, client)
        await link_services.expire_overdue_for(client.organisation_id)
        rows = [
            {**row, "client_name": current.organisation.name, "ended_at": None}
            for row in await link_queries.all_links_of_client(client.organisation_id)
            if may(current.actor, Action.VIEW_LINK, link_services.link_resource(row))
        ]
        return schemas.LinkPage(data=[_link(row) for row in rows], next_cursor=None)


class LinksController(Controller):
    path = "/links"
    tags = ["Clients and links"]
    opt = needs(ApiArea.CLIENTS)

    @get(
        "/{link_id:int}",
        operation_id="getLink",
        name="api.getLink",
        summary="A link, from either side",
        responses=SHOW_PROBLEMS,
    )
    async def show(self, current: Me, link_id: Id) -> schemas.Link:
        return _link(await link_services.load_link(current, link_id, Action.VIEW_LINK))

    @get(
        "/{link_id:int}/products",
        operation_id="listDelegatedProducts",
        name="api.listDelegatedProducts",
        summary="The client's products an active link delegates, as its partner acts on them",
        responses=SHOW_PROBLEMS,
    )
    async def products(
        self,
        current: Me,
        link_id: Id,
        cursor: paging.Cursor = None,
        limit: paging.Limit = paging.DEFAULT_LIMIT,
    ) -> schemas.ProductPage:
        link = await link_services.load_link(current, link_id, Action.ACT_FOR_CLIENT)
        if link["partner"] != current.organisation.id or link["status"] != "active":
            raise NotFound()
        products = await link_queries.delegated_products(
            link, paging.position(cursor, str, str, int), limit
        )
        return schemas.ProductPage(
            data=[_product(row) for row in products],
            next_cursor=paging.page_cursor(products, "family", "name", "id"),
        )

    @patch(
        "/{link_id:int}/products/{product_id:int}",
        operation_id="renameDelegatedProduct",
        name="api.renameDelegatedProduct",
        summary="Rename a client's product the link delegates",
        opt=needs(ApiArea.PRODUCTS, ApiLevel.WRITE),
        responses=WRITE_PROBLEMS,
        status_code=200,
    )
    async def rename(
        self,
        request: Request,
        current: Me,
        link_id: Id,
        product_id: Id,
        data: JSONBody[schemas.RenameProduct],
    ) -> Response[schemas.Product]:
        async def work():
            await link_services.rename_client_product(current, link_id, product_id, data.name)
            link = await link_queries.link_seen_by(current.organisation.id, link_id)
            return 200, _product(await product_queries.product_seen(link["client"], product_id))

        return await idempotent(request, token_use(request).token_id, work)


# --- the organisation's own products ----------------------------------------------------------


class ProductsController(Controller):
    path = "/products"
    tags = ["Products"]
    opt = needs(ApiArea.PRODUCTS)

    @staticmethod
    def _seen_by(current: Current) -> tuple[OrganisationResource, int | None]:
        organisation = current.organisation_resource()
        require(current.actor, Action.VIEW_PRODUCTS, organisation)
        # a plain user sees only the products given to them (docs/rules.md, Roles and rights)
        return organisation, None if sees_every_product(current.role) else current.user_id

    @get(
        "",
        operation_id="listProducts",
        name="api.listProducts",
        summary="The organisation's own products",
        responses=READ_PROBLEMS,
    )
    async def index(
        self,
        current: Me,
        cursor: paging.Cursor = None,
        limit: paging.Limit = paging.DEFAULT_LIMIT,
    ) -> schemas.ProductPage:
        organisation, only_of = self._seen_by(current)
        products = await product_queries.products_of(
            organisation.organisation_id,
            paging.position(cursor, str, str, int),
            limit,
            only_of_member=only_of,
        )
        return schemas.ProductPage(
            data=[_product(row) for row in products],
            next_cursor=paging.page_cursor(products, "family", "name", "id"),
        )

    @get(
        "/{product_id:int}",
        operation_id="getProduct",
        name="api.getProduct",
        summary="One of the organisation's own products",
        responses=SHOW_PROBLEMS,
    )
    async def show(self, current: Me, product_id: Id) -> schemas.Product:
        organisation, only_of = self._seen_by(current)
        row = await product_queries.product_seen(
            organisation.organisation_id, product_id, only_of_member=only_of
        )
        if row is None:
            raise NotFound()
        return _product(row)


# --- invoices and the prepaid ledger ----------------------------------------------------------


def _invoice(invoice: Invoice) -> dict:
    return {
        "id": invoice.id,
        "number": invoice.number,
        "kind": invoice.kind,
        "issued_on": invoice.issued_on,
        "client": schemas.OrganisationRef(id=invoice.client_id, name=invoice.client_name),
        "currency": invoice.currency,
        "net": money(invoice.net),
        "vat": money(invoice.vat),
        "gross": money(invoice.gross),
        "vat_rule": invoice.vat_rule.value,
    }


class InvoicesController(Controller):
    path = "/invoices"
    tags = ["Invoices and ledger"]
    opt = needs(ApiArea.BILLING)

    @get(
        "",
        operation_id="listInvoices",
        name="api.listInvoices",
        summary="The invoices the organisation paid, newest first",
        responses=READ_PROBLEMS,
    )
    async def index(
        self,
        current: Me,
        cursor: paging.Cursor = None,
        limit: paging.Limit = paging.DEFAULT_LIMIT,
    ) -> schemas.InvoicePage:
        organisation = billing_scope(current)
        invoices = await billing_queries.invoices_paid_by(
            organisation.organisation_id,
            client_scope(current.actor),
            paging.position(cursor, date, int),
            limit,
        )
        return schemas.InvoicePage(
            data=[schemas.Invoice(**_invoice(row)) for row in invoices],
            next_cursor=paging.page_cursor(invoices, "issued_on", "id"),
        )

    @get(
        "/{invoice_id:int}",
        operation_id="getInvoice",
        name="api.getInvoice",
        summary="An invoice the organisation paid, with its lines",
        responses=SHOW_PROBLEMS,
    )
    async def show(self, current: Me, invoice_id: Id) -> schemas.InvoiceDetail:
        organisation = billing_scope(current)
        row = await billing_queries.invoice_of_payer(
            organisation.organisation_id, invoice_id, client_scope(current.actor)
        )
        if row is None:
            raise NotFound()
        lines = await billing_queries.invoice_lines(invoice_id)
        return schemas.InvoiceDetail(
            **_invoice(Invoice.from_row(row)),
            vat_rate=rate(row["vat_rate"]),
            paid_at=row["paid_at"],
            lines=[
                schemas.InvoiceLine(
                    position=line["position"],
                    description=line["description"],
                    family=line["family"],
                    service_from=line["service_from"],
                    service_to=line["service_to"],
                    ordered_by=line["ordered_by"],
                    public_price=money(line["public_price"]),
                    volume_rate=rate(line["volume_rate"]),
                    partner_rate=rate(line["partner_rate"]),
                    amount=money(line["amount"]),
                    cashback=money(line["cashback"]),
                    discount=money(line["discount"]),
                )
                for line in lines
            ],
        )


CURRENCIES = ("CHF", "EUR")


class LedgerController(Controller):
    path = "/ledger"
    tags = ["Invoices and ledger"]
    opt = needs(ApiArea.BILLING)

    @get(
        "/balances",
        operation_id="getBalances",
        name="api.getBalances",
        summary="The prepaid account's balance in each currency",
        responses=READ_PROBLEMS,
    )
    async def balances(self, current: Me) -> schemas.Balances:
        organisation = billing_scope(current)
        return schemas.Balances(
            data=[
                schemas.Balance(
                    currency=currency,
                    balance=money(
                        await billing_queries.ledger_balance(organisation.organisation_id, currency)
                    ),
                )
                for currency in CURRENCIES
            ]
        )

    @get(
        "/entries",
        operation_id="listLedgerEntries",
        name="api.listLedgerEntries",
        summary="The prepaid account's entries in one currency, newest first",
        responses=READ_PROBLEMS,
    )
    async def entries(
        self,
        current: Me,
        currency: Annotated[str, QueryParameter(pattern="^(CHF|EUR)$")],
        cursor: paging.Cursor = None,
        limit: paging.Limit = paging.DEFAULT_LIMIT,
    ) -> schemas.LedgerPage:
        organisation = billing_scope(current)
        key = paging.decode(cursor, int)
        rows, has_next = await billing_queries.ledger_entries(
            organisation.organisation_id,
            currency,
            key[0] if key else None,
            client_scope(current.actor),
            limit,
        )
        return schemas.LedgerPage(
            data=[
                schemas.LedgerEntry(
                    id=row["id"],
                    kind=row["kind"],
                    amount=money(row["amount"]),
                    currency=currency,
                    # an entry about a client not given to the owner keeps its amount only
                    reference=row["reference"] if row["client_seen"] else None,
                    invoice_number=row["invoice_number"] if row["client_seen"] else None,
                    created_at=row["created_at"],
                )
                for row in rows
            ],
            next_cursor=paging.next_cursor(rows, has_next, "id"),
        )


# --- billing report lines ---------------------------------------------------------------------


class ReportsController(Controller):
    path = "/reports"
    tags = ["Reports and billing feed"]
    opt = needs(ApiArea.REPORTS)

    @get(
        "/lines",
        operation_id="listReportLines",
        name="api.listReportLines",
        summary="The partner's billing report lines for a period, in issue order",
        description="The lines the token's owner may export (docs: Billing reports), ordered "
        "by issue date, invoice and line; a period of at most 10 years.",
        responses=problems(*TOKEN_PROBLEMS, 404, 422),
    )
    async def lines(
        self,
        current: Me,
        period_from: Annotated[date, QueryParameter(name="from")],
        period_to: Annotated[date, QueryParameter(name="to")],
        cursor: paging.Cursor = None,
        limit: paging.Limit = paging.DEFAULT_LIMIT,
    ) -> schemas.ReportLinePage:
        organisation = current.organisation_resource()
        request = ReportRequest(
            partner_id=organisation.organisation_id,
            period_start=period_from,
            period_end=period_to,
            format="csv",
            requested_by=current.user_id,
        )
        clients, chosen = await lines_scope(current, request)
        rows, has_next = await export_queries.lines_page(
            report_lines(request, clients, chosen),
            after=paging.decode(cursor, date, int, int),
            size=limit,
        )
        return schemas.ReportLinePage(
            data=[report_line(row) for row in rows],
            next_cursor=paging.next_cursor(rows, has_next, "issued_on", "invoice_id", "position"),
        )


def report_line(row: dict) -> schemas.ReportLine:
    return schemas.ReportLine(
        issued_on=row["issued_on"],
        invoice_id=row["invoice_id"],
        invoice_number=row["invoice_number"],
        position=row["position"],
        client=schemas.OrganisationRef(id=row["client_id"], name=row["client_name"]),
        product=row["product"],
        family=row["family"],
        service_from=row["service_from"],
        service_to=row["service_to"],
        public_price=money(row["public_price"]),
        volume_rate=rate(row["volume_rate"]),
        partner_rate=rate(row["partner_rate"]),
        amount=money(row["amount"]),
        discount=money(row["discount"]),
        cashback=money(row["cashback"]),
        vat_rule=row["vat_rule"],
        vat_rate=rate(row["vat_rate"]),
        invoice_vat=money(row["invoice_vat"]),
        currency=row["currency"],
        paid_by="partner" if row["partner_paid"] else "client",
        in_full=row["shown"],
    )


# --- tenders ----------------------------------------------------------------------------------


def _tender(tender: RoutedTender) -> dict:
    return {
        "id": tender.id,
        "title": tender.title,
        "category": tender.category,
        "budget_min": money(tender.budget_min) if tender.budget_min is not None else None,
        "budget_max": money(tender.budget_max) if tender.budget_max is not None else None,
        "currency": tender.currency,
        "language": tender.language,
        "country": tender.country,
        "region": tender.region,
        "deadline": tender.deadline,
        "status": tender.status_now.value,
        "new": tender.new,
        "quote_status": tender.quote_status.value if tender.quote_status else None,
    }


def _quote(row: dict | None) -> schemas.Quote | None:
    if row is None:
        return None
    return schemas.Quote(
        id=row["id"],
        status=row["status"],
        price=money(row["price"]),
        currency=row["currency"],
        timeline=row["timeline"],
        message=row["message"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class TendersController(Controller):
    """The tenders routed to the partner, and its quotes."""

    path = "/tenders"
    tags = ["Tenders"]
    opt = needs(ApiArea.TENDERS)

    @get(
        "",
        operation_id="listTenders",
        name="api.listTenders",
        summary="The tenders routed to the partner, newest first",
        responses=READ_PROBLEMS,
    )
    async def index(
        self,
        current: Me,
        cursor: paging.Cursor = None,
        limit: paging.Limit = paging.DEFAULT_LIMIT,
    ) -> schemas.TenderPage:
        inbox = await tender_services.inbox(current, paging.position(cursor, int), limit)
        return schemas.TenderPage(
            data=[schemas.Tender(**_tender(tender)) for tender in inbox.tenders],
            next_cursor=paging.page_cursor(inbox.tenders, "id"),
        )

    @get(
        "/{tender_id:int}",
        operation_id="getTender",
        name="api.getTender",
        summary="A tender routed to the partner, with the partner's quote",
        responses=SHOW_PROBLEMS,
    )
    async def show(self, current: Me, tender_id: Id) -> schemas.TenderDetail:
        return await _tender_detail(current, tender_id)

    @post(
        "/{tender_id:int}/quote",
        operation_id="submitQuote",
        name="api.submitQuote",
        summary="Answer a tender with a quote (once; the commitment must be given)",
        opt=needs(ApiArea.TENDERS, ApiLevel.WRITE),
        responses=WRITE_PROBLEMS,
        status_code=201,
    )
    async def quote(
        self, request: Request, current: Me, tender_id: Id, data: JSONBody[schemas.NewQuote]
    ) -> Response[schemas.TenderDetail]:
        entered, errors = quote_from(
            {
                "price": data.price,
                "currency": data.currency,
                "timeline": data.timeline,
                "message": data.message,
                "commitment": "on" if data.only_host_products else "",
            }
        )

        async def work():
            await tender_services.partner_view(current, tender_id)  # 404 before 422
            if errors:
                raise FormErrors(
                    {
                        ("only_host_products" if k == "commitment" else k): v
                        for k, v in errors.items()
                    }
                )
            settings = request.app.state.settings
            await tender_services.submit_quote(settings, current, tender_id, entered)
            return 201, await _tender_detail(current, tender_id)

        return await idempotent(request, token_use(request).token_id, work)


async def _tender_detail(current: Current, tender_id: int) -> schemas.TenderDetail:
    view = await tender_services.partner_view(current, tender_id)
    quote = view.quote
    # The tender as its inbox row would show it, with the partner's quote.
    tender = RoutedTender.from_row(
        {
            **view.tender,
            "status": view.status,
            "quote_status": quote["status"] if quote else None,
            "quote_price": quote["price"] if quote else None,
            "quote_currency": quote["currency"] if quote else None,
        },
        datetime.now(UTC),
    )
    return schemas.TenderDetail(
        **_tender(tender),
        description=view.tender["description"],
        may_answer=view.may_answer,
        quote=_quote(quote),
    )


# --- the billing feed -------------------------------------------------------------------------

Period = Annotated[str, PathParameter(pattern=r"^[0-9]{4}-[0-9]{2}$", examples=None)]
Version = Annotated[int, PathParameter(ge=1, le=100_000)]


def _feed_version(request: Request, row: dict) -> schemas.FeedVersion:
    period = feed_rules.period_label(row["period_start"])
    manifest = row["manifest"]
    return schemas.FeedVersion(
        period=period,
        version=row["version"],
        rows=row["rows"],
        corrections=row["corrections"],
        reason=row["reason"],
        created_at=row["created_at"],
        files=[
            schemas.FeedFile(
                format=f["format"],
                url=url_for(
                    request, f"api.feed.{f['format']}", period=period, version=row["version"]
                ),
                bytes=f["bytes"],
                sha256=f["sha256"],
            )
            for f in manifest["files"]
        ],
    )


class FeedController(Controller):
    """The billing feed: each closed month's lines as versioned files (managers only)."""

    path = "/feed"
    tags = ["Reports and billing feed"]
    opt = needs(ApiArea.REPORTS)

    @get(
        "",
        operation_id="listFeedVersions",
        name="api.listFeedVersions",
        summary="The billing feed's versions, newest month and version first",
        responses=READ_PROBLEMS,
    )
    async def index(
        self,
        request: Request,
        current: Me,
        cursor: paging.Cursor = None,
        limit: paging.Limit = paging.DEFAULT_LIMIT,
    ) -> schemas.FeedVersionPage:
        rows, has_next = await feed_services.versions(
            current, before=paging.decode(cursor, date, int), size=limit
        )
        return schemas.FeedVersionPage(
            data=[_feed_version(request, row) for row in rows],
            next_cursor=paging.next_cursor(rows, has_next, "period_start", "version"),
        )

    async def _row(self, current: Current, period: str, version: int) -> dict:
        start = feed_rules.period_of(period, date.today())
        if start is None:
            raise NotFound()
        return await feed_services.version(current, start, version)

    @get(
        "/{period:str}/{version:int}",
        operation_id="getFeedVersion",
        name="api.getFeedVersion",
        summary="One version of a month's billing feed, with its files' checksums",
        responses=SHOW_PROBLEMS,
    )
    async def show(
        self, request: Request, current: Me, period: Period, version: Version
    ) -> schemas.FeedVersion:
        return _feed_version(request, await self._row(current, period, version))

    @get(
        "/{period:str}/{version:int}/lines.csv",
        name="api.feed.csv",
        operation_id="getFeedCsv",
        summary="The version's lines as CSV (UTF-8, a header row)",
        media_type="text/csv",
        responses=SHOW_PROBLEMS,
    )
    async def csv(self, request: Request, current: Me, period: Period, version: Version) -> File:
        row = await self._row(current, period, version)
        return feed_file(request.app.state.settings, row, "csv")

    @get(
        "/{period:str}/{version:int}/lines.parquet",
        name="api.feed.parquet",
        operation_id="getFeedParquet",
        summary="The version's lines as Parquet (exact decimals)",
        media_type="application/vnd.apache.parquet",
        responses=SHOW_PROBLEMS,
    )
    async def parquet(
        self, request: Request, current: Me, period: Period, version: Version
    ) -> File:
        row = await self._row(current, period, version)
        return feed_file(request.app.state.settings, row, "parquet")


ROUTES = [
    FeedController,
    OrganisationController,
    ClientsController,
    PartnersController,
    LinksController,
    ProductsController,
    InvoicesController,
    LedgerController,
    ReportsController,
    TendersController,
]
