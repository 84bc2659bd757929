import pytest

from portal.partners import website
from tests.factories.partners import catalogue, closed_port, local_site, private_checks  # noqa: F401


@pytest.fixture(autouse=True)
async def website_checks_settle():
    """No background check of one test may write into the next one's database."""
    yield
    await website.settle()
