"""The state the renewals pages filter by (SQL) is the state they show (rules.state_of), for
every stored status and step, around each date of the families' policies."""

from datetime import timedelta

from portal.products.tables import CatalogueItem, Product
from portal.renewals import lists, queries
from portal.renewals.rules import Step, policy_for, state_of
from tests.factories.renewals import TODAY, organisation


async def test_sql_and_python_agree_on_every_state(db):
    policies = await queries.policies()
    client = await organisation("Client AG")
    items = {i["code"]: i for i in await CatalogueItem.select()}
    cases = [
        Product(
            organisation=client,
            item=items[code]["id"],
            family=items[code]["family"],
            name=f"{code} {offset} {status} {step}",
            period="yearly",
            status=status,
            renewal_step=step,
            started_on=TODAY,
            renews_on=TODAY + timedelta(days=offset),
        )
        for code in ("domain-ch", "web-pro", "vps-lite")
        for offset in range(-60, 3)
        for status in ("active", "suspended", "expired", "cancelled")
        for step in (Step.NONE, Step.DUE, Step.GRACE, Step.SUSPENDED, Step.EXPIRED)
    ]
    for start in range(0, len(cases), 500):
        await Product.insert(*cases[start : start + 500])
    rows = await Product.raw(
        "SELECT p.id, p.family, p.status, p.renewal_step, p.renews_on, p.period, {} AS state "
        "FROM product p ORDER BY p.id",
        lists.state_sql(TODAY, policies),
    )
    assert len(rows) == len(cases)
    disagreements = [
        row
        for row in rows
        if row["state"]
        != state_of(
            row["status"],
            row["renewal_step"],
            row["renews_on"],
            TODAY,
            policy_for(policies, row["family"]),
            row["period"],
        )
    ]
    assert disagreements == []
