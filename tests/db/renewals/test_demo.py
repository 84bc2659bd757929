"""A fresh demo shows every renewal state, and the renewal run finds it consistent: it tells
what is new (tonight's automatic renewal, reminders) and moves nothing backwards."""

from collections import Counter
from datetime import UTC, datetime

from portal import demo
from portal.products.tables import Product
from portal.renewals import lists, queries
from portal.renewals.rules import State
from portal.renewals.run import run_renewals
from tests.factories.renewals import SETTINGS


async def states() -> Counter:
    policies = await queries.policies()
    today = datetime.now(UTC).date()
    rows = await Product.raw("SELECT {} AS state FROM product p", lists.state_sql(today, policies))
    return Counter(row["state"] for row in rows)


async def test_a_fresh_demo_has_products_in_every_state(db):
    await demo.load(db, 40)

    found = await states()
    assert set(found) == {s.value for s in State} - {"cancelled"}

    summary = await run_renewals(SETTINGS, datetime.now(UTC))
    assert summary.renewed == {"automatic": 1}  # Bäckerei Huber's domain, from its balance
    # the run agrees with what the pages showed: only the renewed product moved
    assert await states() == found - Counter(due=1) + Counter(active=1)
    unpaid = await Product.raw(
        "SELECT count(*) AS n FROM renewal r JOIN invoice i ON i.id = r.invoice "
        "WHERE i.paid_at IS NULL"
    )
    assert unpaid[0]["n"] == 2
