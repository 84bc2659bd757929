from tests.db.partners.world import catalogue  # noqa: F401
from tests.directory_world import fresh_directory  # noqa: F401
