"""The bad-input corpus: every route of the app, found in its route table, gets hostile input
as each kind of person — NUL bytes, text that is not UTF-8, direction overrides, 10,000
characters, fields sent twice, JSON and plain-text bodies, files where text belongs, huge and
negative numbers — and must answer it without a server error (no 5xx), and, when it refuses,
without writing anything.

A write is seen by a checksum of every row of every table (the demo world plus the pieces a
route's path needs), taken after each request and compared with the one before: a refused
request (4xx, a redirect to log in, or a redirect carrying an error message) must leave all of
them as they were. Two kinds of bookkeeping are left out on purpose: when a session was last
seen (every request moves it), and the failed logins kept for throttling (a refused login
records itself by design).

Each person gets a fresh world. Every route is tried by every person with three kinds of input;
the kinds rotate so that across the people every route meets every kind."""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
from litestar.routes import HTTPRoute
from piccolo.querystring import QueryString

from portal import demo
from portal.core.tokens import new_token, token_hash
from portal.partners import website
from portal.piccolo_conf import DB
from portal.tenders.rules import manage_token
from tests.factories.accounts import PASSWORD, log_in
from tests.factories.database import reset_database
from tests.factories.organisations import insert_person
from tests.factories.web import csrf, post_form

ROOT = Path(__file__).resolve().parents[2]
KINDS_PER_ROUTE = 3  # per person; the kinds rotate over the people

# --- the routes, from the app's route table ------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # with its {name:type} parameters
    name: str
    parameters: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.name})"


def endpoints(app) -> list[Endpoint]:
    found = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in set(handler.http_methods) - {"HEAD", "OPTIONS"}:
                names = tuple(p.name for p in route.path_parameters.values())
                found.add(Endpoint(method, route.path, handler.name or route.path, names))
    return sorted(found, key=lambda e: (e.method != "GET", e.path, e.method))


# Steps that end something (a session, a link, a team...): last, so that the others still find
# what they act on.
ENDING = re.compile(r"logout|end_others|sessions\.end|stop|withdraw|refuse|decline|delete|remove")


def in_running_order(found: list[Endpoint]) -> list[Endpoint]:
    return sorted(found, key=lambda e: bool(ENDING.search(e.name)))


# --- the fields, from the code and the templates ---------------------------------------------

FORM_READ = re.compile(
    r"\.(?:text|name|value|raw_text|values|checkbox|choice|integer|day|amount|password|email)"
    r"\(\s*\"([a-z_]+)\""
)
TEMPLATE_FIELD = re.compile(r'(?:name="|m\.(?:field|select)\(")([a-z_]+)"')
QUERY_READ = re.compile(r"(?:query_params|params)\.(?:get|getall)\(\s*\"([a-z_]+)\"")
TABLE_FIELDS = [
    f"{currency}_{column}"
    for currency in ("CHF", "EUR")
    for column in ("name", "rate", "threshold")
]


def names_in(pattern: re.Pattern, *globs: str) -> set[str]:
    found = set()
    for glob in globs:
        for path in ROOT.glob(glob):
            found.update(pattern.findall(path.read_text()))
    return found


FIELDS = sorted(
    (names_in(FORM_READ, "portal/**/*.py") | names_in(TEMPLATE_FIELD, "templates/**/*.html"))
    - {"_csrf_token", "viewport", "clear_all"}
    | {"email", *TABLE_FIELDS}
)
QUERY_FIELDS = sorted(
    names_in(QUERY_READ, "portal/**/*.py")
    | {"next", "q", "country", "region", "language", "speciality", "page", "ref"}
    | {"action", "actor", "from", "to"}  # the audit log's filters, read with Form
    | {"cursor", "limit", "currency", "access"}  # the API's lists
)

# --- the corpus --------------------------------------------------------------------------------

LONG = "Zoë-" * 2_500  # 10,000 characters
BIDI = "Evil\u202egnp.exe\u2066x\u2069\u200b\ufeff"
CONTROL = "a\x1b[2J\r\nBcc: eve@example.com\x7f"


@dataclass(frozen=True)
class Body:
    content: bytes
    content_type: str | None


def form_of(pairs: list[tuple[str, str]]) -> Body:
    return Body(urlencode(pairs).encode(), "application/x-www-form-urlencoded")


def every_field(value: str) -> Callable[[str], Body]:
    return lambda token: form_of([("_csrf_token", token), *((f, value) for f in FIELDS)])


# What a person could type in each field, so that a request gets past the checks of the fields
# that are fine to those of the one that is not, and into the services. Ids are the world's
# (filled in by plausible_values).
PLAUSIBLE = {
    "email": "pat@example.ch",
    "author_email": "pat@example.ch",
    "password": "Wrong-Horse-Battery-1",
    "current_password": "Wrong-Horse-Battery-1",
    "new_password": "Another-Horse-Battery-7",
    "new_password_again": "Another-Horse-Battery-7",
    "password_again": "Another-Horse-Battery-7",
    "full_name": "Zoë Müller",
    "name": "Zoë Müller",
    "organisation_name": "Müller Web AG",
    "author_name": "Zoë Müller",
    "author_company": "Müller Web AG",
    "author_phone": "+41 21 555 12 34",
    "title": "A new website for our bakery",
    "description": "We need a bilingual website with an online order form and opening hours.",
    "message": "Hello, we would like to work with you.",
    "timeline": "Three weeks",
    "reason": "Checked against the register.",
    "note": "Yearly review",
    "website": "https://example.ch",
    "registration_number": "",
    "vat_number": "",
    "amount": "100",
    "payout_amount": "10",
    "price": "1500",
    "budget_min": "1000",
    "budget_max": "5000",
    "count": "5",
    "rate": "10",
    "CHF_name": "Start",
    "CHF_rate": "15",
    "CHF_threshold": "2000",
    "EUR_name": "Start",
    "EUR_rate": "15",
    "EUR_threshold": "1800",
    "country": "CH",
    "currency": "CHF",
    "kind": "company",
    "language": "de",
    "languages": "de",
    "region": "CH-VD",
    "regions": "CH",
    "category": "website_creation",
    "categories": "hosting",
    "specialities": "hosting",
    "families": "domain",
    "access": "restricted",
    "billing_mode": "client",
    "role": "user",
    "decision": "approved",
    "method": "iban",
    "destination": "CH93 0076 2011 6238 5295 7",
    "payout_currency": "CHF",
    "holder": "Zoë Müller",
    "quantity": "2",
    "effective_from": "2027-01-01",
    "deadline": (datetime.now(UTC).date() + timedelta(days=20)).isoformat(),
    "period": "last_quarter",
    "format": "csv",
    "file_format": "csv",
    "clients": "all",
    "month": "2026-07",
    "quarter": "2026-Q2",
    "year": "2026",
    "period_start": "2026-01-01",
    "period_end": "2026-03-31",
    "from": "2026-01-01",
    "to": "2026-03-31",
    "code": "123456",
    "ends_on": (datetime.now(UTC).date() + timedelta(days=60)).isoformat(),
    "days": "90",
    "requested_days": "30",
    "length": "2",
    "unit": "hours",
    "keep_grant": "yes",
    "next": "/",
    "version": "1",
    "q": "web",
    "search": "web",
    **{box: "on" for box in ("terms", "commitment", "published", "monthly", "billing_rights")},
    **{box: "on" for box in ("sheet_per_client", "auto_extend")},
}
TEXT_FIELDS = {
    *("full_name", "name", "organisation_name", "author_name", "author_company", "title"),
    *("description", "message", "timeline", "reason", "note", "destination", "CHF_name"),
    *("EUR_name", "registration_number", "vat_number", "website", "q", "search"),
}
AMOUNT_FIELDS = {
    *("amount", "payout_amount", "price", "budget_min", "budget_max", "rate"),
    *(f"{currency}_{column}" for currency in ("CHF", "EUR") for column in ("rate", "threshold")),
}
WORLD_IDS: dict[str, str] = {}  # field → an id of the world being run (plausible_values)


def plausible_values() -> dict[str, str]:
    return {field: PLAUSIBLE.get(field, WORLD_IDS.get(field, "1")) for field in FIELDS}


def plausible_but(fields: set[str], value: str) -> Callable[[str], Body]:
    def body(token: str) -> Body:
        values = plausible_values() | {f: value for f in fields}
        return form_of([("_csrf_token", token), *values.items()])

    return body


def twice(token: str) -> Body:
    return form_of([("_csrf_token", token), *((f, v) for f in FIELDS for v in ("1", "2"))])


def not_utf8(token: str) -> Body:
    fields = "&".join(f"{f}=%FF%FEx%C3%28" for f in FIELDS)
    return Body(f"_csrf_token={token}&{fields}".encode(), "application/x-www-form-urlencoded")


def multipart(parts: list[tuple[str, bytes, str | None]]) -> Body:
    boundary = "corpus-boundary-7d1f"
    chunks = []
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"'
        if filename:
            disposition += f'; filename="{filename}"'
        chunks.append(
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + value + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return Body(b"".join(chunks), f"multipart/form-data; boundary={boundary}")


def multipart_not_utf8(token: str) -> Body:
    fields = [(f, b"\xff\x00\xfe", None) for f in FIELDS]
    return multipart([("_csrf_token", token.encode(), None), *fields])


def files_for_text(token: str) -> Body:
    files = [(f, b"x", f"{f}.txt") for f in FIELDS]
    return multipart([("_csrf_token", token.encode(), None), *files])


def as_json(token: str) -> Body:
    return Body(json.dumps({f: "" for f in FIELDS}).encode(), "application/json")


def as_text(token: str) -> Body:
    return Body(b"_csrf_token=" + token.encode() + b"&name=x", "text/plain")


FORM_CORPUS: dict[str, Callable[[str], Body]] = {
    "NUL": every_field("Bron\x00ze"),
    "not UTF-8": not_utf8,
    "multipart not UTF-8, NUL": multipart_not_utf8,
    "bidi controls": every_field(BIDI),
    "10,000 characters": every_field(LONG),
    "control characters": every_field(CONTROL),
    "every field twice": twice,
    "JSON": as_json,
    "text/plain": as_text,
    "files where text belongs": files_for_text,
    "huge numbers": every_field("9" * 40),
    "numbers that are not": every_field("1e999"),
    "negative numbers": every_field("-1"),
    "empty": every_field(""),
    "plausible": plausible_but(set(), ""),
    "plausible, text with NUL": plausible_but(TEXT_FIELDS, "Bron\x00ze"),
    "plausible, text of 10,000 characters": plausible_but(TEXT_FIELDS, LONG),
    "plausible, text with bidi controls": plausible_but(TEXT_FIELDS, BIDI),
    "plausible, amounts with a comma": plausible_but(AMOUNT_FIELDS, "1,000"),
    "plausible, huge amounts": plausible_but(AMOUNT_FIELDS, "9" * 40),
    "plausible, negative amounts": plausible_but(AMOUNT_FIELDS, "-100"),
}


# Input no form sends is answered alike everywhere, before any route reads it.
ANSWERED_ALIKE = {
    ("POST", "JSON"): 415,
    ("POST", "text/plain"): 415,
    ("POST", "not UTF-8"): 400,
    ("POST", "multipart not UTF-8, NUL"): 400,
    ("GET", "NUL"): 400,
    ("GET", "not UTF-8"): 400,
}


def query_with(value: str) -> str:
    return urlencode([(f, value) for f in QUERY_FIELDS])


QUERY_CORPUS: dict[str, Callable[[], str]] = {
    "NUL": lambda: query_with("a\x00b"),
    "not UTF-8": lambda: "&".join(f"{f}=%FF%FE" for f in QUERY_FIELDS),
    "bidi controls": lambda: query_with(BIDI),
    "1,000 characters": lambda: query_with(LONG[:1_000]),  # a URL has room for no more
    "control characters": lambda: query_with(CONTROL),
    "every field twice": lambda: urlencode([(f, v) for f in QUERY_FIELDS for v in ("1", "2")]),
    "huge numbers": lambda: query_with("9" * 40),
    "numbers that are not": lambda: query_with("1e999"),
    "negative numbers": lambda: query_with("-1"),
    "empty": lambda: query_with(""),
    "odd next": lambda: urlencode({"next": "/\u3000/x", "q": "/\\evil.example"}),
}

# --- the world ---------------------------------------------------------------------------------

PEOPLE = {  # who → (email, the organisation they act in, by name)
    "visitor": None,
    "legal representative": ("alice@demo.partner-portal.test", "Alpine Web Studio GmbH"),
    "client's legal representative": ("huber@demo.partner-portal.test", "Bäckerei Huber AG"),
    "administrator": ("bruno@demo.partner-portal.test", "Alpine Web Studio GmbH"),
    "plain user": ("david@demo.partner-portal.test", "Alpine Web Studio GmbH"),
    "team guest": ("gina@guest.example", "Alpine Web Studio GmbH"),
    "staff": ("staff@demo.partner-portal.test", None),
}


@dataclass
class World:
    """The demo world, and the ids and tokens that fill the routes' paths."""

    ids: dict[str, int | str] = field(default_factory=dict)

    def path_of(self, endpoint: Endpoint) -> str:
        path = endpoint.path
        for name in endpoint.parameters:
            value = self.value_for(endpoint, name)
            path = re.sub(r"\{" + name + r":[a-z]+\}", quote(str(value), safe=""), path)
        return path

    def value_for(self, endpoint: Endpoint, name: str):
        path = endpoint.path
        if name == "token":
            for prefix in ("/password/reset", "/invitations", "/links/invitations"):
                if path.startswith(prefix + "/"):
                    return self.ids[prefix]
            return self.ids["/tenders/confirm" if "confirm" in path else "/tenders/manage"]
        if name == "link_id" and re.search(r"/(accept|refuse)$", path):
            return self.ids["awaiting link"]
        if name == "product_id" and path.startswith("/products/"):
            return self.ids["own product"]
        if name == "tender_id" and path.startswith("/tenders/mine"):
            return self.ids["client's tender"]
        if name == "quote_id" and path.startswith("/tenders/manage"):
            return self.ids["visitor's quote"]
        if name == "file_path":
            return "app.css"
        if name == "period":
            return "2026-01"
        if name in {"version", "token_id"}:
            return 1
        if name == "file_format":
            return "csv"
        if name == "path":  # the OpenAPI router's answer to the addresses it does not know
            return "x"
        if name == "rest":  # the old addresses, which redirect to the new ones
            return self.ids["report_id" if path.startswith("/my-reports/") else "slug"]
        return self.ids[name]


async def scalar(sql: str, *args):
    rows = await DB.run_querystring(QueryString(sql, *args))
    return next(iter(rows[0].values())) if rows else None


async def build_world(db_url: str) -> World:
    assert await demo.load(db_url, 0)
    world = World()
    ids = world.ids
    alpine = await scalar("SELECT id FROM organisation WHERE name = 'Alpine Web Studio GmbH'")
    huber = await scalar("SELECT id FROM organisation WHERE name = 'Bäckerei Huber AG'")
    david = await scalar("SELECT id FROM account WHERE email LIKE 'david@%'")
    guest = await insert_person("gina@guest.example")
    web_team = await scalar(
        "SELECT id FROM team WHERE organisation = {} AND name = 'Web team'", alpine
    )
    await scalar(
        "INSERT INTO team_member (team, account) VALUES ({}, {}) RETURNING 1", web_team, guest
    )
    ids["team_id"], ids["account_id"] = web_team, david
    ids["membership_id"] = await scalar(
        "SELECT id FROM membership WHERE organisation = {} AND account = {}", alpine, david
    )
    link = await scalar(
        "SELECT id FROM partner_link WHERE partner = {} AND client = {} AND status = 'active'",
        alpine,
        huber,
    )
    ids["link_id"] = link
    await _delegation_requests(world, alpine, huber, link)
    ids["product_id"] = await scalar(
        "SELECT id FROM product WHERE organisation = {} LIMIT 1", huber
    )
    ids["own product"] = await scalar(
        "INSERT INTO product (organisation, item, family, name, period, status, started_on, "
        "renews_on) SELECT {}, id, family, 'alpine.example', 'yearly', 'active', "
        "'2026-01-01', '2027-01-01' FROM catalogue_item WHERE code = 'domain-ch' RETURNING id",
        alpine,
    )
    ids["invoice_id"] = await scalar("SELECT id FROM invoice ORDER BY id LIMIT 1")
    # the demo's money: Alpine's deposit awaiting payment, the payment waiting for staff, the
    # payout awaiting approval, and a payout file
    ids["request_id"] = await scalar(
        "SELECT id FROM payment_request WHERE organisation = {} AND status = 'pending'", alpine
    )
    ids["entry_id"] = await scalar("SELECT id FROM bank_entry WHERE status = 'queued'")
    ids["payout_id"] = await scalar("SELECT id FROM payout WHERE status = 'requested'")
    ids["export_id"] = await scalar(
        "INSERT INTO payout_export (method, currency, file_name, content, payouts, total) "
        "VALUES ('paypal', 'CHF', 'paypal.csv', '', 0, 0) RETURNING id"
    )
    ids["session_id"] = 1
    ids["slug"] = await scalar("SELECT slug FROM directory_listing WHERE organisation = {}", alpine)
    ids["organisation_id"] = await scalar(
        "INSERT INTO organisation (name, country, currency, partner_status) "
        "VALUES ('Review AG', 'CH', 'CHF', 'review') RETURNING id"
    )
    await _tokens(world, alpine, huber)
    await _tenders(world, alpine)
    item = await scalar("SELECT id FROM catalogue_item WHERE code = 'domain-ch'")
    WORLD_IDS.clear()
    WORLD_IDS.update(
        organisation_id=str(alpine),
        partner=str(alpine),
        item=str(item),
        account=str(david),
        leader=str(david),
        people=str(david),
        teams=str(web_team),
        products=str(ids["product_id"]),
        client_ids=str(huber),
        commitments="supports_clients",
        links=str(ids["link_id"]),
        template=str(ids["template_id"]),
        request=str(ids["request_id"]),
    )
    ids["endpoint_id"] = await scalar(
        "INSERT INTO webhook_endpoint (organisation, url, event_types, secret) "
        "VALUES ({}, 'https://hooks.example.ch/x', ARRAY['link.stopped'], 'sealed') RETURNING id",
        alpine,
    )
    event = await scalar(
        "INSERT INTO webhook_event (public_id, organisation, event_type, payload) "
        "VALUES ('evt_corpus', {}, 'link.stopped', '{{}}') RETURNING id",
        alpine,
    )
    ids["delivery_id"] = await scalar(
        "INSERT INTO webhook_delivery (event, endpoint, status) VALUES ({}, {}, 'delivered') "
        "RETURNING id",
        event,
        ids["endpoint_id"],
    )
    ids["version_id"] = await scalar(
        "INSERT INTO billing_feed_version (organisation, period_start, version, manifest, folder) "
        "VALUES ({}, '2026-01-01', 1, '{{\"files\": []}}', 'feeds/none') RETURNING id",
        alpine,
    )
    ids["report_id"] = await scalar(
        "INSERT INTO report_file (organisation, requested_by, parameters, period_start, "
        "period_end, file_format, status, error) SELECT {}, id, jsonb_build_object(), "
        "'2026-01-01', '2026-03-31', 'xlsx', 'failed', 'no disk' FROM account "
        "WHERE email LIKE 'alice@%' "
        "RETURNING id",
        alpine,
    )
    return world


async def _tokens(world: World, alpine: int, huber: int) -> None:
    ids, now = world.ids, datetime.now(UTC)
    for key in ("/invitations", "/links/invitations", "/password/reset", "/tenders/confirm"):
        ids[key] = new_token()
    ids["invitation_id"] = await scalar(
        "INSERT INTO invitation (organisation, email, role, token_hash, expires_at) "
        "VALUES ({}, 'ines@example.ch', 'user', {}, {}) RETURNING id",
        alpine,
        token_hash(ids["/invitations"]),
        now + timedelta(days=14),
    )
    await scalar(
        "INSERT INTO partner_link (partner, status, initiated_by, invited_email, token_hash, "
        "requested_access, requested_families, families, expires_at) VALUES ({}, "
        "'awaiting_client', 'partner', 'huber@demo.partner-portal.test', {}, 'restricted', "
        "ARRAY['domain'], ARRAY[]::varchar[], {}) RETURNING id",
        alpine,
        token_hash(ids["/links/invitations"]),
        now + timedelta(days=30),
    )
    # (Lumière's own invitation waits in the demo's Hotel Bellevue inbox)
    third = await scalar("SELECT id FROM organisation WHERE name = 'Bäckerei Huber AG'")
    ids["awaiting link"] = await scalar(
        "INSERT INTO partner_link (partner, client, status, initiated_by, requested_access, "
        "requested_families, families, expires_at) VALUES ((SELECT id FROM organisation WHERE "
        "name = 'Lumière Digital SARL'), {}, 'awaiting_partner', 'client', 'restricted', "
        "ARRAY['domain'], ARRAY[]::varchar[], {}) RETURNING id",
        third,
        now + timedelta(days=30),
    )
    await scalar(
        "INSERT INTO password_reset (token_hash, account, expires_at) SELECT {}, id, {} "
        "FROM account WHERE email LIKE 'chloe@%' RETURNING id",
        token_hash(ids["/password/reset"]),
        now + timedelta(hours=1),
    )
    await scalar(
        "UPDATE tender SET confirm_token_hash = {} WHERE status = 'unconfirmed' RETURNING id",
        token_hash(ids["/tenders/confirm"]),
    )


async def _delegation_requests(world: World, alpine: int, huber: int, link: int) -> None:
    """A partner's request waiting on the link, a transfer code of the client, and a request
    template of the partner: the ids the delegation routes' paths need."""
    ids, now = world.ids, datetime.now(UTC)
    ids["request_id"] = await scalar(
        "INSERT INTO link_request (link, kind, status, requested_access, expires_at) "
        "VALUES ({}, 'change', 'pending', 'full', {}) RETURNING id",
        link,
        now + timedelta(days=30),
    )
    ids["transfer_id"] = await scalar(
        "INSERT INTO link_transfer (client, link, to_partner, code_hash, expires_at) VALUES "
        "({}, {}, (SELECT id FROM organisation WHERE name = 'Lumière Digital SARL'), {}, {}) "
        "RETURNING id",
        huber,
        link,
        token_hash("K7QM2XRDPW9THC4N"),
        now + timedelta(days=14),
    )
    ids["template_id"] = await scalar(
        "INSERT INTO request_template (partner, name, families) VALUES ({}, 'Corpus', "
        "ARRAY['web_hosting']) RETURNING id",
        alpine,
    )


async def _tenders(world: World, alpine: int) -> None:
    ids = world.ids
    received = await scalar(
        "SELECT t.id FROM tender t JOIN tender_recipient r ON r.tender = t.id "
        "WHERE r.partner = {} AND t.status = 'open' ORDER BY t.id LIMIT 1",
        alpine,
    )
    ids["tender_id"] = received
    ids["quote_id"] = await scalar("SELECT id FROM quote WHERE tender = {}", received) or 1
    ids["client's tender"] = received  # posted by Bäckerei Huber, sent to Alpine
    visitor = await DB.run_querystring(
        QueryString(
            "SELECT id, manage_nonce FROM tender WHERE manage_nonce IS NOT NULL ORDER BY id LIMIT 1"
        )
    )
    tender = visitor[0]
    ids["/tenders/manage"] = manage_token("test-secret-key", tender["id"], tender["manage_nonce"])
    ids["visitor's quote"] = (
        await scalar("SELECT id FROM quote WHERE tender = {} ORDER BY id LIMIT 1", tender["id"])
        or 1
    )


# --- the checksum of every table ---------------------------------------------------------------

LEFT_OUT_TABLES = {"login_failure"}  # a refused login records itself, for throttling
LEFT_OUT_COLUMNS = {  # every request moves them
    "web_session": {"last_seen_at"},
    "api_token": {"last_used_at", "last_used_ip", "minute_started_at", "minute_requests"},
}


async def checksum_sql() -> str:
    tables = await DB.run_querystring(
        QueryString(
            "SELECT table_name AS name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
    )
    parts = []
    for table in (row["name"] for row in tables):
        if table in LEFT_OUT_TABLES:
            continue
        row = "t"
        if table in LEFT_OUT_COLUMNS:
            columns = await DB.run_querystring(
                QueryString(
                    "SELECT column_name AS name FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND table_name = {} ORDER BY ordinal_position",
                    table,
                )
            )
            kept = [c["name"] for c in columns if c["name"] not in LEFT_OUT_COLUMNS[table]]
            row = "(" + ", ".join(f"t.{c}" for c in kept) + ")"
        parts.append(
            f"SELECT '{table}' AS name, md5(coalesce(string_agg(md5({row}::text), '' "
            f"ORDER BY md5({row}::text)), '')) AS sum FROM {table} t"
        )
    return " UNION ALL ".join(parts)


async def checksums(sql: str) -> dict[str, str]:
    await website.settle()  # a website check started by a request writes its result
    return {row["name"]: row["sum"] for row in await DB.run_querystring(QueryString(sql))}


# --- sending -----------------------------------------------------------------------------------


def refused(response: httpx.Response) -> bool:
    """A 4xx, a redirect to log in, or a redirect whose flash message is an error."""
    if response.status_code >= 400:
        return True
    if response.headers.get("location", "").startswith("/login?next="):
        return True
    if response.headers.get("hx-redirect", "").startswith("/login?next="):
        return True
    flash = response.cookies.get("__Host-flash")
    if flash:
        try:
            level, _message = json.loads(base64.urlsafe_b64decode(flash.encode()))
        except ValueError:
            return False
        return level == "error"
    return False


# --- the API: a token instead of a session, JSON instead of forms ----------------------------

API_PREFIX = "/api/v1/"


def is_api(endpoint: Endpoint) -> bool:
    return endpoint.path.startswith(API_PREFIX) and endpoint.name != "api.docs"


def api_json(value) -> Callable[[], Body]:
    return lambda: Body(json.dumps({f: value for f in API_FIELDS}).encode(), "application/json")


API_FIELDS = ["name", "price", "currency", "timeline", "message", "only_host_products"]
API_CORPUS: dict[str, Callable[[], Body]] = {
    "NUL": api_json("Bron\x00ze"),
    "bidi controls": api_json(BIDI),
    "10,000 characters": api_json(LONG),
    "control characters": api_json(CONTROL),
    "huge numbers": api_json(int("9" * 40)),
    "numbers where text belongs": api_json(12),
    "lists": api_json([1, "a"]),
    "objects": api_json({"a": {"b": None}}),
    "nulls": api_json(None),
    "empty object": lambda: Body(b"{}", "application/json"),
    "not JSON": lambda: Body(b"{'name': ", "application/json"),
    "not UTF-8": lambda: Body(b'{"name": "\xff\xfe"}', "application/json"),
    "a form": lambda: Body(b"name=x", "application/x-www-form-urlencoded"),
    "text/plain": lambda: Body(b"name=x", "text/plain"),
    "plausible": lambda: Body(
        json.dumps(
            {
                "name": "Zoë's shop",
                "price": "1500.00",
                "currency": "CHF",
                "timeline": "Two weeks",
                "message": "Hello",
                "only_host_products": True,
            }
        ).encode(),
        "application/json",
    ),  # fmt: skip
}
API_ANSWERED_ALIKE = {"a form": 415, "text/plain": 415}


class Tokens:
    """A person's API tokens, a new one before the last reaches its minute's limit."""

    def __init__(self, login: tuple | None) -> None:
        self.login, self.token, self.used = login, None, 0
        self.made = False  # a new token was just made (a write of its own, before the request)

    async def header(self) -> dict[str, str]:
        from portal.access import ALL_SCOPES
        from portal.accounts import queries as account_queries
        from portal.accounts import services as account_services

        self.made = False
        if self.login is None:
            return {}
        if self.token is None or self.used >= 50:
            self.made = True
            email, organisation = self.login
            account = await account_queries.account_by_email(email)
            organisation = organisation or next(
                iter(await account_queries.organisations_of(account["id"])), 0
            )
            request = account_services.TokenRequest("corpus", organisation, None, ALL_SCOPES)
            self.token = await account_services.create_api_token(
                account["id"], request, {organisation}, confirmed_by=None
            )
            self.used = 0
        self.used += 1
        return {"Authorization": f"Bearer {self.token}"}


async def send_api(client, world: World, endpoint: Endpoint, kind: str, headers: dict[str, str]):
    path = world.path_of(endpoint)
    if endpoint.method == "GET":
        return await client.get(path + "?" + QUERY_CORPUS[kind](), headers=headers)
    body = API_CORPUS[kind]()
    headers["content-type"] = body.content_type
    return await client.request(endpoint.method, path, content=body.content, headers=headers)


async def send(browser, world: World, endpoint: Endpoint, kind: str, htmx: bool):
    headers = {"HX-Request": "true"} if htmx else {}
    path = world.path_of(endpoint)
    if endpoint.method == "GET":
        return await browser.get(path + "?" + QUERY_CORPUS[kind](), headers=headers)
    body = FORM_CORPUS[kind](csrf(browser))
    if body.content_type:
        headers["content-type"] = body.content_type
    if kind in {"JSON", "text/plain"}:
        headers["x-csrftoken"] = csrf(browser)  # past CSRF, to the form guard
    return await browser.request(endpoint.method, path, content=body.content, headers=headers)


def kinds_for(corpus: dict, person_index: int, endpoint_index: int) -> list[str]:
    names = list(corpus)
    start = person_index * KINDS_PER_ROUTE + endpoint_index
    return [names[(start + n) % len(names)] for n in range(KINDS_PER_ROUTE)]


async def browser_of(client, person: str, login: tuple | None):
    browser = httpx.AsyncClient(transport=client._transport, base_url=client.base_url)
    await browser.get("/login")  # the CSRF cookie
    if login is not None:
        await sign_in(browser, *login)
    return browser


async def sign_in(browser, email: str, organisation_id: int | None) -> None:
    password = PASSWORD if email == "gina@guest.example" else demo.DEMO_PASSWORD
    response = await log_in(browser, email, password)
    assert response.status_code == 303, response.text
    if organisation_id is not None:
        chosen = {"organisation_id": str(organisation_id)}
        switched = await post_form(browser, "/organisations/switch", chosen)
        assert switched.status_code == 303, switched.text


async def still_signed_in(browser) -> bool:
    return (await browser.get("/account/security")).status_code == 200


# --- the test ------------------------------------------------------------------------------------


def test_the_corpus_knows_the_fields_and_every_kind_reaches_every_route():
    assert {"full_name", "name", "amount", "website", "categories", "CHF_name"} <= set(FIELDS)
    assert {"q", "search", "page", "next"} <= set(QUERY_FIELDS)
    for corpus in (FORM_CORPUS, QUERY_CORPUS, API_CORPUS):
        for endpoint_index in range(len(corpus)):
            seen = {
                kind
                for person_index in range(len(PEOPLE))
                for kind in kinds_for(corpus, person_index, endpoint_index)
            }
            assert seen == set(corpus)


async def test_the_checksum_sees_a_write(client, db):
    sql = await checksum_sql()
    before = await checksums(sql)
    await scalar("INSERT INTO login_failure (throttle_key) VALUES ('ip:x') RETURNING id")
    await scalar("UPDATE programme_setting SET note = note || '.' RETURNING id")
    after = await checksums(sql)
    assert [name for name in before if before[name] != after[name]] == ["programme_setting"]


def answering_website(monkeypatch) -> None:
    """The website check answers at once, without the network (a plausible form names
    https://example.ch)."""
    from portal.partners.rules import WebsiteCheck

    async def answered(url: str) -> WebsiteCheck:
        return WebsiteCheck(url, True, "HTTP 200", datetime.now(UTC))

    monkeypatch.setattr(website, "probe", answered)


async def test_bad_input_never_fails_and_a_refusal_never_writes(app, client, db, monkeypatch):
    answering_website(monkeypatch)
    found = in_running_order(endpoints(app))
    assert len(found) > 100 and {e.method for e in found} == {"GET", "POST", "PATCH"}
    problems: list[str] = []
    tried = 0
    answers: Counter = Counter()
    for person_index, (person, login) in enumerate(PEOPLE.items()):
        await reset_database()
        world = await build_world(db)
        if login is not None:  # the organisation by its id: a request may rename it
            email, organisation = login
            login = (
                email,
                await scalar("SELECT id FROM organisation WHERE name = {}", organisation),
            )
        sql = await checksum_sql()
        browser = await browser_of(client, person, login)
        try:
            current = await checksums(sql)
            tokens = Tokens(login)
            for endpoint_index, endpoint in enumerate(found):
                api = is_api(endpoint)
                corpus = QUERY_CORPUS if endpoint.method == "GET" else FORM_CORPUS
                if api and endpoint.method != "GET":
                    corpus = API_CORPUS
                for kind in kinds_for(corpus, person_index, endpoint_index):
                    htmx = (person_index + endpoint_index) % 2 == 0
                    if api:
                        headers = await tokens.header()
                        if tokens.made:  # the token's own rows are not the request's doing
                            current = await checksums(sql)
                        response = await send_api(client, world, endpoint, kind, headers)
                        expected = None
                        if endpoint.method != "GET" and login is not None:
                            expected = API_ANSWERED_ALIKE.get(kind)
                        if endpoint.method == "GET" and kind in {"NUL", "not UTF-8"}:
                            expected = 400
                    else:
                        response = await send(browser, world, endpoint, kind, htmx)
                        expected = ANSWERED_ALIKE.get((endpoint.method, kind))
                    tried += 1
                    answers[response.status_code] += 1
                    after = await checksums(sql)
                    label = f"{person}: {endpoint} with {kind}"
                    if response.status_code >= 500:
                        problems.append(f"{label}: {response.status_code}")
                    elif expected and response.status_code != expected:
                        problems.append(f"{label}: {response.status_code}, not {expected}")
                    elif refused(response) and after != current:
                        changed = sorted(t for t in after if after[t] != current.get(t))
                        status = response.status_code
                        problems.append(f"{label}: refused ({status}) but wrote {changed}")
                    current = after
                    if login is None:  # the visitor stays one, whatever it signed up for
                        browser.cookies.delete("__Host-session")
                    wrote = not refused(response) and endpoint.method != "GET"
                    if login is not None and wrote and not await still_signed_in(browser):
                        await sign_in(browser, *login)
                        current = await checksums(sql)
        finally:
            await browser.aclose()
    assert not problems, f"{len(problems)} of {tried} requests:\n" + "\n".join(problems)
    # the corpus got past the doors: forms refused field by field, and writes that went through
    assert answers[422] > 200 and answers[303] > 150 and answers[200] > 500, answers
