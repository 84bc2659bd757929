"""The programme's commands: `portal review-partners` (the yearly review, run by a scheduler)
and the demo's staff account."""

from __future__ import annotations

import asyncio
import os
import sys

from portal import demo
from portal.accounts.tables import Account
from tests.factories.partners import linked_client, organisation, status_of
from tests.factories.servers import ROOT


async def test_portal_review_partners_flags_a_partner_below_the_threshold(
    db, database_url, catalogue, tmp_path
):
    below = await organisation("Below AG", status="active")
    await linked_client(below, "Small client", await catalogue.offer(CHF="1999.99"))
    enough = await organisation("Enough AG", status="active")
    await linked_client(enough, "Big client", await catalogue.offer(CHF="2000.00"))
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PORTAL_SECRET_KEY": "test-secret",
        "PORTAL_DATA_DIR": str(tmp_path),
    }
    env.pop("SMTP_HOST", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "portal.cli",
        "review-partners",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    text = output.decode()
    assert process.returncode == 0, text
    assert "Below AG: active → flagged (manages CHF\xa01’999.99 a year)" in text
    assert "1 partner(s) changed" in text
    assert await status_of(below) == "flagged"
    assert await status_of(enough) == "active"


async def test_the_demo_has_one_staff_account(db, database_url):
    assert await demo.load(database_url, 2)
    staff = await Account.select(Account.email).where(Account.is_staff.eq(True))
    assert staff == [{"email": demo.STAFF.email}]
    assert demo.STAFF.email in demo.LOGINS_TEXT


async def test_the_worker_runs_the_yearly_review_on_the_first_of_january(settings, catalogue):
    from datetime import UTC, datetime

    from portal.background import all_periodic

    review = next(task for task in all_periodic() if task.name == "partners.yearly_review")
    assert review.cron == "0 4 1 1 *"  # 04:00 UTC on 1 January
    below = await organisation("Below AG", status="active")
    await linked_client(below, "Small client", await catalogue.offer(CHF="1999.99"))

    await review.run(settings, datetime(2027, 1, 1, 4, tzinfo=UTC))

    assert await status_of(below) == "flagged"
