"""The public API under /api/v1 (docs/rules.md, The API): JSON for programs, with a token
instead of a session. It reads and writes through the same services, queries and access.py
decisions as the pages, with the token's owner as the actor, narrowed by the token's scopes."""
