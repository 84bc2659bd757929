"""The database between tests: every table the migrations made starts empty again, and the rows
the migrations themselves wrote (the catalogue, the programme's settings) are put back.

The tables are the Piccolo apps' (portal/piccolo_conf.py) and those the migrations create in
SQL (the job queue's); none is named here, so a new table is emptied without anyone listing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from piccolo.querystring import QueryString

from portal.piccolo_conf import APP_REGISTRY, DB

# Left as the tests leave them, with the reason.
KEPT = {
    # The directory's version only grows, like a sequence: a page cached for a version (in the
    # test process, in the browser tests' server) must never be served for another test's data.
    "directory_state",
    "migration",  # Piccolo's record of the migrations applied
}


@dataclass
class Schema:
    emptied: list[str] = field(default_factory=list)
    seeded: dict[str, str] = field(default_factory=dict)  # table -> its rows as JSON


SCHEMA = Schema()


def registry_tables() -> set[str]:
    return {
        table._meta.tablename
        for app in APP_REGISTRY.app_configs.values()
        for table in app.table_classes
    }


async def _rows(sql: str, *values) -> list:
    return await DB.run_querystring(QueryString(sql, *values))


async def remember_what_the_migrations_made() -> None:
    """Once, right after migrating: every table, and the rows the migrations wrote."""
    made = {
        row["name"]
        for row in await _rows(
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
        )
    }
    missing = registry_tables() - made
    assert not missing, f"tables of the Piccolo apps that no migration made: {missing}"
    SCHEMA.emptied, SCHEMA.seeded = [], {}
    for table in sorted(made - KEPT):
        rows = await _rows(f"SELECT json_agg(t) AS rows FROM {table} t")
        if rows[0]["rows"] is None:
            SCHEMA.emptied.append(table)
        else:
            SCHEMA.seeded[table] = rows[0]["rows"]


async def reset_database() -> None:
    """Every table as the migrations left it (see KEPT)."""
    tables = [*SCHEMA.emptied, *SCHEMA.seeded]
    await DB.run_ddl(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    for table, rows in SCHEMA.seeded.items():
        await _rows(
            f"INSERT INTO {table} SELECT * FROM json_populate_recordset(NULL::{table}, {{}})",
            rows,
        )
        await _rows("SELECT setval(pg_get_serial_sequence({}, 'id'), max(id)) FROM " + table, table)
