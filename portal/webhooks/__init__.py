"""Webhooks (docs/rules.md, Webhooks): an organisation's https endpoints receive its events —
signed, queued in the transaction of the change, retried for a day, listed with their answers.
A service tells of a change with one call, inside its transaction: `events.emit(...)`."""
