import pytest
from piccolo.querystring import QueryString

from portal.piccolo_conf import DB
from tests.factories.api import demo_world  # noqa: F401 (a fixture)


@pytest.fixture(autouse=True)
async def without_the_demo_endpoint(demo_world):  # noqa: F811 (the fixture imported above)
    """The demo's CRM endpoint is not the test's receiver: gone before each test."""
    await DB.run_querystring(QueryString("DELETE FROM webhook_endpoint"))
    await DB.run_querystring(QueryString("DELETE FROM webhook_event"))
    return demo_world
