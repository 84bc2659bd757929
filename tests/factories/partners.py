"""The partner programme: applicants, partners with managed volume, a website to check."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from portal.access import Actor, Role
from portal.accounts.tables import Account
from portal.clients.tables import PartnerLink
from portal.core.current import Current, OrganisationSummary
from portal.organisations.tables import Membership, Organisation
from portal.products.tables import CatalogueItem, CataloguePrice, Product
from portal.settings import Settings
from tests.factories.servers import free_port

SETTINGS = Settings(secret_key="test", base_url="https://portal.test")


VALID_UID = "CHE-116.281.710"


VALID_SIREN = "732829320"


async def organisation(
    name: str,
    *,
    country: str = "CH",
    currency: str = "CHF",
    status: str = "none",
    is_affiliate: bool = False,
    registration_number: str = "",
    website: str = "",
) -> int:
    rows = await Organisation.insert(
        Organisation(
            name=name,
            country=country,
            currency=currency,
            partner_status=status,
            is_affiliate=is_affiliate,
            registration_number=registration_number,
            website=website,
        )
    ).returning(Organisation.id)
    return rows[0]["id"]


async def person(
    organisation_id: int | None,
    email: str,
    role: Role | None = Role.LEGAL_REPRESENTATIVE,
    *,
    is_staff: bool = False,
) -> Current:
    """An account (a member of ORGANISATION_ID in ROLE, unless None) as a request sees it."""
    rows = await Account.insert(
        Account(
            email=email, full_name=email.split("@")[0].title(), password_hash="x", is_staff=is_staff
        )
    ).returning(Account.id)
    account_id = rows[0]["id"]
    summary = None
    if organisation_id is not None:
        await Membership.insert(
            Membership(
                organisation=organisation_id,
                account=account_id,
                role=role.value,
                billing_rights=True,
            )
        )
        row = await Organisation.select().where(Organisation.id == organisation_id).first()
        summary = OrganisationSummary(
            organisation_id, row["name"], row["currency"], row["country"], row["partner_status"]
        )
    return Current(
        session_id=0,
        user_id=account_id,
        email=email,
        full_name=email.split("@")[0].title(),
        totp_enabled=False,
        second_factor_pending=False,
        organisation=summary,
        organisations=((organisation_id, "x"),) if organisation_id else (),
        actor=Actor(
            account_id, organisation_id, role if organisation_id else None, True, is_staff=is_staff
        ),
    )


class Catalogue:
    """Offers created for one test, at exact yearly prices, removed afterwards."""

    def __init__(self) -> None:
        self.item_ids: list[int] = []

    async def offer(self, **yearly: str) -> int:
        """An offer priced per currency a year, e.g. offer(CHF="1999.99", EUR="1799.99")."""
        rows = await CatalogueItem.insert(
            CatalogueItem(
                code=f"test-{uuid.uuid4().hex[:12]}", family="web_hosting", name="Test hosting"
            )
        ).returning(CatalogueItem.id)
        item_id = rows[0]["id"]
        for currency, amount in yearly.items():
            await CataloguePrice.insert(
                CataloguePrice(
                    item=item_id, currency=currency, period="yearly", amount=Decimal(amount)
                )
            )
        self.item_ids.append(item_id)
        return item_id

    async def remove(self) -> None:
        if self.item_ids:
            await Product.delete().where(Product.item.is_in(self.item_ids))
            await CatalogueItem.delete().where(CatalogueItem.id.is_in(self.item_ids))


@pytest.fixture
async def catalogue(db) -> Catalogue:
    created = Catalogue()
    yield created
    await created.remove()


async def give_product(organisation_id: int, item_id: int, status: str = "active") -> int:
    item = await CatalogueItem.select().where(CatalogueItem.id == item_id).first()
    rows = await Product.insert(
        Product(
            organisation=organisation_id,
            item=item_id,
            family=item["family"],
            name=f"{item['code']}.example",
            period="yearly",
            status=status,
            started_on=date(2026, 1, 1),
            renews_on=date(2027, 1, 1),
        )
    ).returning(Product.id)
    return rows[0]["id"]


async def linked_client(partner_id: int, name: str, *item_ids: int, currency="CHF") -> int:
    """A client of PARTNER_ID under an active full-access link, owning one product of each
    offer in ITEM_IDS."""
    client_id = await organisation(name, currency=currency)
    for item_id in item_ids:
        await give_product(client_id, item_id)
    await PartnerLink.insert(
        PartnerLink(
            partner=partner_id,
            client=client_id,
            status="active",
            initiated_by="partner",
            requested_access="full",
            access="full",
            billing_mode="client",
            expires_at=datetime.now(UTC) + timedelta(days=30),
            decided_at=datetime.now(UTC),
        )
    )
    return client_id


async def status_of(organisation_id: int) -> str:
    row = (
        await Organisation.select(Organisation.partner_status)
        .where(Organisation.id == organisation_id)
        .first()
    )
    return row["partner_status"]


@dataclass
class LocalSite:
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def at(self, path: str) -> str:
        return self.url + path


class _Handler(BaseHTTPRequestHandler):
    """/ answers 200, /missing 404, /broken 500, /moved redirects to /, /loop forever,
    /slow answers after 2 s."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path == "/slow":
            time.sleep(2)
        status, location = {
            "/missing": (404, None),
            "/broken": (500, None),
            "/moved": (302, "/"),
            "/loop": (302, "/loop"),
        }.get(self.path, (200, None))
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<!doctype html><title>Local site</title>")

    def log_message(self, *args) -> None:
        return None


@pytest.fixture
def local_site() -> Iterator[LocalSite]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LocalSite(server.server_address[1])
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens."""
    return free_port()


@pytest.fixture
def private_checks(monkeypatch) -> None:
    """Let the website check reach 127.0.0.1, as tests must."""
    monkeypatch.setenv("PORTAL_ALLOW_PRIVATE_WEBSITE_CHECKS", "1")
