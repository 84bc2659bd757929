"""Reminders before a date, each sent exactly once (the rule: jobs/rules.py, reminder_due).

A periodic job finds what has a deadline ahead (a collaboration's end, a product's renewal),
asks `reminder_due`, and sends only when `claim_reminder` wins inside the transaction that
queues the mail: however many workers run, and whether a job runs again after a failure,
one reminder per stage and deadline leaves. A new deadline (an extension) gets its own."""

from __future__ import annotations

from datetime import datetime

from piccolo.querystring import QueryString

from portal.piccolo_conf import DB


async def claim_reminder(topic: str, subject_id: int, deadline: datetime, days: int) -> bool:
    """True once only for (TOPIC, SUBJECT_ID, DEADLINE, DAYS): the caller sends the reminder
    in the same transaction, so a rolled-back send can be claimed again."""
    rows = await DB.run_querystring(
        QueryString(
            "INSERT INTO reminder_sent (topic, subject_id, deadline, days) VALUES ({}, {}, {}, {}) "
            "ON CONFLICT DO NOTHING RETURNING 1",
            topic,
            subject_id,
            deadline,
            days,
        )
    )
    return bool(rows)


async def reminders_sent(topic: str, subject_id: int, deadline: datetime) -> frozenset[int]:
    """The stages (days before) already sent for this deadline."""
    rows = await DB.run_querystring(
        QueryString(
            "SELECT days FROM reminder_sent WHERE topic = {} AND subject_id = {} AND deadline = {}",
            topic,
            subject_id,
            deadline,
        )
    )
    return frozenset(row["days"] for row in rows)
