from tests.factories.api import demo_world  # noqa: F401 (a fixture)
