"""The feed's periodic job: publish what is due, every 10 minutes (UTC)."""

from portal.exports.feed.services import publish_due
from portal.jobs.registry import Periodic

PERIODIC = [Periodic("exports.publish_billing_feed", "*/10 * * * *", publish_due)]
