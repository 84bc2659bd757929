from tests.web.api.conftest import demo_world  # noqa: F401 (a fixture)
