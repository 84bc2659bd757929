"""How the run's transactions commit: a batch that only moves steps (reminders, grace...)
does not wait for the disk, since the next run would take the same steps again after a crash;
a batch that renewed a product, whose invoice may already be told to a webhook, waits."""

from datetime import timedelta

from portal.piccolo_conf import DB
from portal.products.tables import Product
from portal.renewals import queries, run
from tests.factories.renewals import DATE, organisation, product


async def synchronous_commit_after_batch(client: int, day) -> str:
    """The commit setting the client's batch leaves to its transaction."""
    policies = await queries.policies()
    async with DB.transaction():
        rows = await queries.products_to_check(client, day, run.BATCH)
        assert rows
        await run._look_at_batch(client, rows, day, policies)
        [setting] = await Product.raw("SHOW synchronous_commit")
        return setting["synchronous_commit"]


async def test_a_batch_of_steps_does_not_wait_for_the_disk(db):
    client = await organisation("Client AG")
    await product(client, "web-pro", DATE)

    assert await synchronous_commit_after_batch(client, DATE - timedelta(days=7)) == "off"
    assert await synchronous_commit_after_batch(client, DATE + timedelta(days=2)) == "off"


async def test_a_batch_that_renewed_waits_for_the_disk(db):
    client = await organisation("Client AG")
    await product(client, "web-pro", DATE - timedelta(days=3))  # only a step
    await product(client, "web-pro", DATE, warranty=True)  # renewed under the warranty

    assert await synchronous_commit_after_batch(client, DATE) == "on"
