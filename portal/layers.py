"""The order in which the portal's packages depend on each other, lowest first.

A package imports only packages below it (or itself); nothing imports a composition root.
tests/unit/test_layers.py checks it on every import, including imports inside functions,
which only the few modules in LAZY_IMPORTS may use. README.md (Layout) explains the order."""

# "core": the infrastructure modules at the top of portal/ (settings, database, errors, forms,
# access, formatting, web...) and the portal/core/ package. Every other entry is a folder of
# portal/.
LAYERS = (
    "core",
    "jobs",  # the queue machinery only; each domain declares its jobs in its own jobs.py
    "mail",
    "accounts",
    "audit",
    "organisations",
    "webhooks",  # events every domain above emits in its own transactions
    "products",
    "clients",
    "billing",
    "renewals",
    "partners",
    "tenders",
    "directory",
    "exports",
    "api",  # the public API reads every domain
)

# The composition roots put the packages together; they may import anything.
ROOTS = ("app", "cli", "demo", "background", "audit_catalogue")

# Modules that import some of their dependencies inside functions, on purpose: what they load
# late is heavy, and the process that imports them mostly does not need it. Their late imports
# still follow LAYERS.
LAZY_IMPORTS = {
    "portal.cli": "the `portal` process starts the database, the web server and the job "
    "worker; it loads neither the app nor the jobs, which its child processes load",
    "portal.jobs.process": "the job worker's supervisor runs in the `portal serve` process; "
    "the worker itself (pgqueuer) loads in the child process",
    "portal.exports.command": "`portal export billing` checks its arguments before it loads "
    "pandas and connects to the database",
    "portal.exports.billing_report": "a report loads the writer of its format only (openpyxl "
    "for xlsx)",
    "portal.billing.payments.command": "`portal payments import` checks its file before the "
    "database is chosen: portal.piccolo_conf reads DATABASE_URL when it is imported",
}
