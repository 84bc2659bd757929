from tests.factories.directory import fresh_directory  # noqa: F401
from tests.factories.partners import catalogue  # noqa: F401
