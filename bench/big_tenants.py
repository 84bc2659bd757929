"""Issue 18's benchmark: every list of the portal at its first, middle and last page, and every
download, for big tenants (bench/big_tenants_data.py: a partner with 5,000 clients and 100,000
products, a client with 1,000,000 audit events, 100,000 ledger entries, 50,000 invoices,
20,000 products...), portal against the floor reference (bench/big_tenants_reference.py).

    python -m bench.big_tenants                  # demo data at 10x and 100x (500, 5,000 orgs)
    python -m bench.big_tenants --lists audit,clients --no-load
    python -m bench.big_tenants --small          # a tenth of the big tenants, for a quick look

What a run does (the method is bench/README.md's; the machine is shared, so what is compared is
measured in the same moments):

1. Two databases, the demo data at --size and at 10x --size, each with the big tenants (COPY).
2. The portal and the reference on the large one, the portal on the small one (granian, 2
   workers each).
3. Per list, one paired sequential run: 500 requests to each of its first, middle and last
   page in the portal and in the reference, and its last page in the portal on the small
   database, in turn by blocks of 25. The middle page starts after the key of the list's
   middle row (read with SQL); the last page is ?last=1.
4. wrk (-t2 -c32 -d10s after a 2-s warm-up) on each list's last page, portal and reference.
5. EXPLAIN of each list's query (first and last page) at both sizes, as a custom plan
   (ANALYZE, BUFFERS) and as the generic plan prepared statements fall back to.
6. The downloads through the web: the audit log's CSV, the ledger's CSV and the big partner's
   5,000-line billing report (xlsx and csv): time to the first byte, total time, size, and the
   peak memory the server's processes grew by; against the same SQL streamed by raw asyncpg
   (COPY) for the CSVs.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import re
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlencode

from bench import big_tenants_data as data
from bench import big_tenants_reference as floor
from bench import harness
from bench.harness import format_table, say, verdict
from portal.demo import DEMO_PASSWORD
from portal.paging import Order

MAX_P99_MS = 25.0
MAX_SCALE_RATIO = 1.3
MIN_THROUGHPUT_RATIO = 0.60
FIRST_BYTE_MS = 100.0
PAGES = ("first", "middle", "last")
APPS = {"portal": harness.PORTAL_FACTORY, "reference": floor.FACTORY}


@dataclass(frozen=True)
class ListPage:
    """A list of the benchmark: who reads it, where, the text its real page holds, and the
    SQL that finds its middle row (FROM and WHERE, with $n for ARGS(ids))."""

    name: str
    who: str  # partner | client | inbox
    path: str  # with {link} or {tender} from the ids
    marker: str
    query: str  # the reference's ListQuery (its order)
    rows_from: str
    args: tuple[str, ...]
    prefix: str = ""  # of its paging parameters, for a page's second list


LISTS = [
    ListPage("clients", "partner", "/clients", 'id="client-list"', "clients",
             "FROM partner_link l JOIN organisation c ON c.id = l.client "
             "WHERE l.partner = $1 AND l.status = 'active'", ("big_partner",)),
    ListPage("client products", "partner", "/clients/{link}", "Bench Big Client AG",
             "link_products", "FROM product p WHERE p.organisation = $1", ("big_client",)),
    ListPage("partners", "client", "/organisation/partners", "<h1>Partners</h1>", "partners",
             "FROM partner_link l JOIN organisation p ON p.id = l.partner WHERE l.client = $1 "
             "AND l.status IN ('awaiting_partner', 'active')", ("big_client",)),
    ListPage("products", "client", "/products", "<h1>Products</h1>", "products",
             "FROM product p WHERE p.organisation = $1", ("big_client",)),
    ListPage("invoices", "client", "/billing", "<h1>Invoices</h1>", "invoices",
             "FROM invoice i WHERE i.payer = $1", ("big_client",)),
    ListPage("audit log", "client", "/organisation/audit", "<h1>Audit log</h1>", "audit",
             "FROM audit_event WHERE organisation = $1", ("big_client",)),
    ListPage("tenders", "client", "/tenders/mine", "<h1>Your tenders</h1>", "tenders",
             "FROM tender t WHERE t.author_organisation = $1", ("big_client",)),
    ListPage("quotes", "client", "/tenders/mine/{tender}", 'data-testid="quotes"', "quotes",
             "FROM quote q WHERE q.tender = $1 AND q.status <> 'withdrawn'", ("first_tender",)),
    ListPage("tender inbox", "inbox", "/partner/tenders", 'id="inbox"', "inbox",
             "FROM tender_recipient r WHERE r.partner = $1", ("inbox_partner",)),
    ListPage("reports", "inbox", "/exports/reports", "<h1>My reports</h1>", "reports",
             "FROM report_file WHERE organisation = $1 AND requested_by = $2",
             ("inbox_partner", "inbox_account")),
    ListPage("members", "client", "/organisation/members", "<h1>Members</h1>", "members",
             "FROM membership m JOIN account a ON a.id = m.account WHERE m.organisation = $1",
             ("big_client",)),
    ListPage("teams", "client", "/organisation/teams", "<h1>Work teams</h1>", "teams",
             "FROM team t WHERE t.organisation = $1", ("big_client",)),
    ListPage("sessions", "client", "/account/sessions", "<h1>My sessions</h1>", "sessions",
             "FROM web_session WHERE account = $1 AND ended_at IS NULL "
             "AND NOT second_factor_pending", ("big_client_account",)),
    ListPage("ended collaborations", "partner", "/clients", 'id="ended"', "ended",
             "FROM partner_link l WHERE l.partner = $1 "
             "AND l.status IN ('stopped', 'ended', 'transferred')", ("big_partner",), "ended_"),
    ListPage("webhook deliveries", "client", "/organisation/webhooks/{endpoint}",
             'id="deliveries"', "deliveries", "FROM webhook_delivery d WHERE d.endpoint = $1",
             ("endpoint",)),
]  # fmt: skip
LOGINS = {
    "partner": data.big_partner.BIG_PARTNER_EMAIL,
    "client": data.BIG_CLIENT_EMAIL,
    "inbox": data.INBOX_PARTNER_EMAIL,
}


def main(argv: list[str] | None = None) -> None:
    args = parse_arguments(argv)
    sizes = data.Sizes()
    if args.small:
        sizes = replace(
            sizes,
            **{
                name: getattr(sizes, name) // 10
                for name in sizes.__dataclass_fields__
                if name != "report_lines"
            },
        )
    chosen = [entry for entry in LISTS if not args.lists or entry.query in args.lists]
    load_average = os.getloadavg()
    say(f"load average at the start: {load_average}")
    with harness.embedded_postgres() as postgres:
        databases = {}
        for label, size in (("10x", args.size), ("100x", args.size * 10)):
            started = time.perf_counter()
            url = harness.demo_database(postgres, size)
            ids = harness_run(data.add_big_tenants(url, sizes))
            databases[label] = (url, ids)
            say(f"{label}: {size} demo organisations and the big tenants in "
                f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        plans = harness_run(query_plans(databases, chosen)) if not args.no_plans else {}
        results = measure(args, postgres, databases, chosen)
    report(args, sizes, results["counts"], plans, results, load_average, os.getloadavg())


def harness_run(coroutine):
    return asyncio.run(coroutine)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.big_tenants", description=__doc__)
    parser.add_argument("--size", type=int, default=500, help="demo organisations at 10x")
    parser.add_argument("--small", action="store_true", help="a tenth of the big tenants")
    parser.add_argument(
        "--lists", type=lambda text: set(text.split(",")), default=set(),
        help="only these lists (clients, link_products, partners, products, invoices, "
        "audit, tenders, quotes, inbox, reports, members, teams, sessions, ended, "
        "deliveries)",
    )  # fmt: skip
    parser.add_argument("--no-load", action="store_true", help="no wrk, sequential runs only")
    parser.add_argument("--no-plans", action="store_true", help="no EXPLAIN")
    parser.add_argument("--no-downloads", action="store_true", help="no download")
    return parser.parse_args(argv)


# --- the pages ----------------------------------------------------------------------------------


def path_of(entry: ListPage, ids: data.BigTenants) -> str:
    return entry.path.format(link=ids.link, tender=ids.first_tender, endpoint=ids.endpoint)


async def list_sizes(url: str, ids: data.BigTenants, chosen: list[ListPage]) -> dict:
    """Per list: its rows, and the token of its middle row."""
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        found = {}
        for entry in chosen:
            order: Order = floor.LISTS[entry.query].order
            values = [getattr(ids, name) for name in entry.args]
            count = await connection.fetchval(f"SELECT count(*) {entry.rows_from}", *values)
            keys = ", ".join(
                f"{expression} AS {key}"
                for expression, key in zip(order.expressions, order.keys, strict=True)
            )
            window = order.window(floor.FIRST, 1)
            middle = await connection.fetchrow(
                f"SELECT {keys} {entry.rows_from} ORDER BY {window.order_by} "
                f"OFFSET {count // 2} LIMIT 1",
                *values,
            )
            found[entry.name] = {"rows": count, "middle": order.token(dict(middle))}
        return found
    finally:
        await connection.close()


def page_path(entry: ListPage, ids, counts: dict, page: str) -> str:
    base = path_of(entry, ids)
    if page == "middle":
        return f"{base}?{urlencode({entry.prefix + 'after': counts[entry.name]['middle']})}"
    if page == "last":
        return f"{base}?{entry.prefix}last=1"
    return base


def measure(args, postgres, databases, chosen: list[ListPage]) -> dict:
    url, ids = databases["100x"]
    small_url, small_ids = databases["10x"]
    counts = harness_run(list_sizes(url, ids, chosen))
    small_counts = harness_run(list_sizes(small_url, small_ids, chosen))
    results: dict = {"lists": {}, "load": {}, "downloads": {}}
    with ExitStack() as stack:
        servers = {
            app: stack.enter_context(harness.granian_server(factory, url))
            for app, factory in APPS.items()
        }
        small = stack.enter_context(harness.granian_server(harness.PORTAL_FACTORY, small_url))
        cookies = {who: harness.log_in(servers["portal"].base_url, email, DEMO_PASSWORD)
                   for who, email in LOGINS.items()}  # fmt: skip
        small_cookies = {who: harness.log_in(small.base_url, email, DEMO_PASSWORD)
                         for who, email in LOGINS.items()}  # fmt: skip
        for entry in chosen:
            say(f"{entry.name}: paired sequential run ...")
            results["lists"][entry.name] = measure_list(
                entry, servers, small, cookies, small_cookies, (ids, counts),
                (small_ids, small_counts),
            )  # fmt: skip
            if not args.no_load:
                results["load"][entry.name] = measure_load(
                    entry, servers, cookies, ids, counts, postgres.get_pid()
                )
        if not args.no_downloads:
            results["downloads"] = measure_downloads(url, ids, servers["portal"], cookies)
    results["counts"] = counts
    return results


def measure_list(entry, servers, small, cookies, small_cookies, large, tiny) -> dict:
    ids, counts = large
    small_ids, small_counts = tiny
    cookie = cookies[entry.who]
    targets, sizes = [], {}
    for page in PAGES:
        path = page_path(entry, ids, counts, page)
        for app, server in servers.items():
            sizes[app, page] = harness.check_page(server.base_url, path, cookie, entry.marker)
            targets.append(((app, page), server.base_url, path, cookie))
    last = page_path(entry, small_ids, small_counts, "last")
    harness.check_page(small.base_url, last, small_cookies[entry.who], entry.marker)
    targets.append((("portal 10x", "last"), small.base_url, last, small_cookies[entry.who]))
    figures = run_paired(targets)
    return {
        f"{app}/{page}": {**figures[app, page].__dict__, "bytes": sizes.get((app, page))}
        for app, page in figures
    }


def run_paired(targets, block: int = harness.SEQUENTIAL_BLOCK) -> dict:
    """One request at a time on each target (key, base URL, path, cookie) in turn, BLOCK each,
    500 each: the targets live through the same moments of the shared machine."""
    connections = [harness._connection(base) for _, base, _, _ in targets]
    timings: list[list[float]] = [[] for _ in targets]
    try:
        for connection, (_, _, path, cookie) in zip(connections, targets, strict=True):
            harness._timed_requests(
                connection, path, {"Cookie": cookie}, harness.PLAIN_GET, harness.SEQUENTIAL_WARM_UP
            )
        for _ in range(0, harness.SEQUENTIAL_REQUESTS, block):
            for connection, kept, (_, _, path, cookie) in zip(
                connections, timings, targets, strict=True
            ):
                kept += harness._timed_requests(
                    connection, path, {"Cookie": cookie}, harness.PLAIN_GET, block
                )
    finally:
        for connection in connections:
            connection.close()
    return {
        key: harness._sequential_figures(kept)
        for (key, _, _, _), kept in zip(targets, timings, strict=True)
    }


def measure_load(entry, servers, cookies, ids, counts, database_pid) -> dict:
    path = page_path(entry, ids, counts, "last")
    say(f"{entry.name}: wrk on the last page ...")
    return {
        app: harness.measure_endpoint(
            server, path, cookies[entry.who], entry.marker, database_pid
        ).as_dict()
        for app, server in servers.items()
    }


# --- query plans --------------------------------------------------------------------------------


async def query_plans(databases: dict, chosen: list[ListPage]) -> dict:
    """Per size, list and page (first, last): the custom plan (EXPLAIN ANALYZE, BUFFERS) and
    the generic one (the statement prepared, generic plans forced)."""
    import asyncpg

    list_sql = await floor.capture_list_sql()
    plans: dict = {}
    for label, (url, ids) in databases.items():
        connection = await asyncpg.connect(url)
        try:
            for entry in chosen:
                query = floor.LISTS[entry.query]
                link = await _link(connection, ids)
                fixed = query.fixed(_ids_for(entry, ids, link))
                for page in ("first", "last"):
                    sql = list_sql[entry.query, page]
                    custom = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *fixed)
                    generic = await _generic_plan(connection, sql, fixed)
                    plans[f"{label} {entry.name} {page}"] = {
                        "custom": "\n".join(row[0] for row in custom),
                        "generic": generic,
                    }
        finally:
            await connection.close()
    return plans


async def _link(connection, ids: data.BigTenants) -> dict:
    row = await connection.fetchrow("SELECT * FROM partner_link WHERE id = $1", ids.link)
    return dict(row)


def _ids_for(entry: ListPage, ids: data.BigTenants, link: dict) -> dict:
    owner = {
        "partner": (ids.big_partner, None),
        "client": (ids.big_client, ids.big_client_account),
        "inbox": (ids.inbox_partner, ids.inbox_account),
    }[entry.who]
    return {
        "organisation": owner[0], "account": owner[1], "currency": "CHF",
        "tender": ids.first_tender, "link_row": link, "endpoint": ids.endpoint,
    }  # fmt: skip


async def _generic_plan(connection, sql: str, arguments: tuple) -> str:
    literals = [
        await connection.fetchval("SELECT quote_nullable($1::text)", _text(value))
        for value in arguments
    ]
    await connection.execute(f"PREPARE bench_list AS {sql}")
    try:
        await connection.execute("SET plan_cache_mode = force_generic_plan")
        rows = await connection.fetch(f"EXPLAIN EXECUTE bench_list({', '.join(literals)})")
    finally:
        await connection.execute("RESET plan_cache_mode; DEALLOCATE bench_list")
    return "\n".join(row[0] for row in rows)


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return "{" + ",".join(map(str, value)) + "}"
    return str(value)


def plan_summary(plan: str) -> str:
    """A plan in a few words: the indexes it reads, whether it sorts, its buffers and time."""
    indexes = sorted(set(re.findall(r"(?:Index|Index Only) Scan(?: Backward)? using (\w+)", plan)))
    sorts = "SORT" if re.search(r"^\s*(->\s*)?Sort ", plan, re.MULTILINE) else "no sort"
    seq = (
        "SEQ SCAN " + ",".join(sorted(set(re.findall(r"Seq Scan on (\w+)", plan))))
        if ("Seq Scan" in plan)
        else ""
    )
    buffers = re.search(r"Buffers: shared hit=(\d+)", plan)
    timing = re.search(r"Execution Time: ([\d.]+) ms", plan)
    parts = [", ".join(indexes) or "-", sorts, seq]
    if buffers:
        parts.append(f"{buffers[1]} buffers")
    if timing:
        parts.append(f"{timing[1]} ms")
    return "; ".join(part for part in parts if part)


# --- downloads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Download:
    status: int
    first_byte_ms: float
    seconds: float
    megabytes: float
    server_growth_mb: float


def download(server, path: str, cookie: str, body: str | None = None) -> Download:
    """One download: the time to its first byte, the whole, and how far the server's
    processes grew meanwhile (their resident memory, sampled every 10 ms)."""
    before = _resident_mb(server.pid)
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _resident_mb(server.pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    host, port = server.base_url.rsplit("/", 1)[1].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=600)
    headers = {"Cookie": cookie}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        started = time.perf_counter()
        connection.request("POST" if body is not None else "GET", path, body=body, headers=headers)
        response = connection.getresponse()
        first = response.read(1)
        first_byte = time.perf_counter() - started
        size = len(first)
        while chunk := response.read(256 * 1024):
            size += len(chunk)
        total = time.perf_counter() - started
    finally:
        connection.close()
        done.set()
        sampler.join()
    return Download(response.status, first_byte * 1000, total, size / 2**20, peak[0] - before)


def _resident_mb(root: int) -> float:
    total = 0
    for pid in harness.process_tree(root):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


async def copy_floor(url: str, sql: str, arguments: list) -> dict:
    """The floor of a CSV download: the same SQL streamed by raw asyncpg (COPY), counted."""
    import asyncpg
    from piccolo.querystring import QueryString

    text, values = QueryString(sql, *arguments).compile_string(engine_type="postgres")
    connection = await asyncpg.connect(url)
    first: list[float] = []
    size = [0]
    started = time.perf_counter()

    async def sink(chunk: bytes) -> None:
        if not first:
            first.append(time.perf_counter() - started)
        size[0] += len(chunk)

    try:
        await connection.copy_from_query(text, *values, output=sink, format="csv", header=True)
    finally:
        await connection.close()
    return {
        "first_byte_ms": first[0] * 1000 if first else None,
        "seconds": time.perf_counter() - started,
        "megabytes": size[0] / 2**20,
    }


# The audit log's floor: its entries by one ordered query, as COPY streams them (the portal
# adds each entry's sentence, read a batch at a time along the same index).
AUDIT_FLOOR_SQL = """SELECT created_at, id, actor, actor_name, action, subject, before, after,
       acting_for_id, subject_role, link_id
FROM audit_event WHERE organisation = {} ORDER BY created_at DESC, id DESC"""


def measure_downloads(url: str, ids: data.BigTenants, server, cookies: dict) -> dict:
    from portal.billing.queries import ledger_export_query

    results = {}
    say("downloads: the audit log's CSV ...")
    results["audit log csv"] = {
        "portal": download(server, "/organisation/audit/export.csv", cookies["client"]).__dict__,
        "floor": harness_run(copy_floor(url, AUDIT_FLOOR_SQL, [ids.big_client])),
    }
    say("downloads: the ledger's CSV ...")
    results["ledger csv"] = {
        "portal": download(server, "/billing/prepaid/export.csv", cookies["client"]).__dict__,
        "floor": harness_run(
            copy_floor(url, *ledger_export_query(ids.big_client, "CHF", floor.EVERY_CLIENT))
        ),
    }
    csrf = cookies["partner"].split(";")[0].split("=", 1)[1]
    start, end = data.REPORT_PERIOD
    for file_format in ("xlsx", "csv"):
        say(f"downloads: the billing report ({file_format}) ...")
        body = urlencode(
            {"period": "range", "period_start": start.isoformat(), "period_end": end.isoformat(),
             "clients": "all", "format": file_format, "_csrf_token": csrf}
        )  # fmt: skip
        download(server, "/exports", cookies["partner"], body)  # the writer process starts
        results[f"billing report {file_format}"] = {
            "portal": download(server, "/exports", cookies["partner"], body).__dict__
        }
    return results


# --- the report ---------------------------------------------------------------------------------


def report(args, sizes, counts, plans, results, load_before, load_after) -> None:
    print(f"load average: {load_before[0]:.2f} at the start, {load_after[0]:.2f} at the end")
    print("big tenants: " + ", ".join(f"{k} {v:,}" for k, v in sizes.__dict__.items()))
    print()
    rows, targets = [], []
    for name, figures in results["lists"].items():
        rows_count = counts[name]["rows"]
        first = figures["portal/first"]
        for page in PAGES:
            portal, ref = figures[f"portal/{page}"], figures[f"reference/{page}"]
            rows.append(
                [name if page == "first" else "", f"{rows_count:,}" if page == "first" else "",
                 page, portal["p50_ms"], portal["p99_ms"], ref["p50_ms"], ref["p99_ms"],
                 f"{portal['p50_ms'] / ref['p50_ms']:.2f}",
                 f"{portal['p50_ms'] / first['p50_ms']:.2f}", portal["bytes"]]
            )  # fmt: skip
            p99 = portal["p99_ms"]
            targets.append([f"{name} {page}: seq p99 < {MAX_P99_MS:.0f} ms", f"{p99:.2f} ms",
                            verdict(p99 < MAX_P99_MS)])  # fmt: skip
        small = figures["portal 10x/last"]["p50_ms"]
        ratio = figures["portal/last"]["p50_ms"] / small
        targets.append([f"{name} last: p50 100x/10x <= {MAX_SCALE_RATIO}", f"{ratio:.2f}",
                        verdict(ratio <= MAX_SCALE_RATIO)])  # fmt: skip
    print(format_table(
        ["list", "rows", "page", "portal p50", "portal p99", "ref p50", "ref p99",
         "p50 portal/ref", "p50 page/first", "bytes"], rows))  # fmt: skip
    if results["load"]:
        print()
        load_rows = []
        for name, by_app in results["load"].items():
            portal, ref = by_app["portal"]["load"], by_app["reference"]["load"]
            ratio = portal["requests_per_s"] / ref["requests_per_s"]
            load_rows.append([name, portal["requests_per_s"], ref["requests_per_s"],
                              f"{ratio:.2f}", portal["p99_ms"], portal["errors"]])  # fmt: skip
            targets.append([f"{name} last: req/s >= {MIN_THROUGHPUT_RATIO:.0%} of reference",
                            f"{ratio:.0%}", verdict(ratio >= MIN_THROUGHPUT_RATIO)])  # fmt: skip
        print(format_table(["list (last page)", "portal req/s", "ref req/s", "portal/ref",
                            "load p99 ms", "errors"], load_rows))  # fmt: skip
    if results["downloads"]:
        print()
        download_rows = []
        for name, by_app in results["downloads"].items():
            portal, floor_figures = by_app["portal"], by_app.get("floor")
            download_rows.append(
                [name, portal["status"], portal["first_byte_ms"], portal["seconds"],
                 portal["megabytes"], portal["server_growth_mb"],
                 floor_figures["first_byte_ms"] if floor_figures else "",
                 floor_figures["seconds"] if floor_figures else ""]
            )  # fmt: skip
            targets.append([f"{name}: first byte < {FIRST_BYTE_MS:.0f} ms",
                            f"{portal['first_byte_ms']:.1f} ms",
                            verdict(portal["first_byte_ms"] < FIRST_BYTE_MS)])  # fmt: skip
        print(format_table(["download", "status", "first byte ms", "seconds", "MB",
                            "server grew MB", "floor first byte ms", "floor seconds"],
                           download_rows))  # fmt: skip
    if plans:
        print()
        print(format_table(["plan", "custom (EXPLAIN ANALYZE)", "generic"], [
            [name, plan_summary(plan["custom"]), plan_summary(plan["generic"])]
            for name, plan in plans.items()
        ]))  # fmt: skip
    print()
    print(format_table(["target", "figure", "verdict"], targets))
    path = harness.write_results(
        "big_tenants",
        {"load_average": [load_before, load_after], "sizes": sizes.__dict__,
         "counts": counts, "results": results, "plans": plans, "targets": targets,
         "arguments": {k: sorted(v) if isinstance(v, set) else v
                       for k, v in vars(args).items()}},
    )  # fmt: skip
    print(f"\nWritten to {path.relative_to(harness.ROOT)}")


if __name__ == "__main__":
    main()
