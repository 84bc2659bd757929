from tests.directory_world import fresh_directory  # noqa: F401
