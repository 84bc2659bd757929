from tests.factories.directory import fresh_directory  # noqa: F401
