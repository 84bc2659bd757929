"""Which errors mean "the database is away, try again" (503) or "run it again" (a conflict),
and which are bugs (500)."""

import asyncpg
import pytest

from portal.database import is_conflict, is_unavailable
from portal.errors import DatabaseUnavailable

AWAY = [
    DatabaseUnavailable("cannot connect to the database: [Errno 111] Connection refused"),
    asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
    asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle"),
    asyncpg.InterfaceError("connection is closed"),
    TimeoutError(),
    ConnectionResetError(104, "Connection reset by peer"),
]
BUGS = [
    asyncpg.exceptions.DataError("invalid input for query argument $1"),
    asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
    asyncpg.exceptions.UndefinedColumnError('column "nme" does not exist'),
    FileNotFoundError(2, "No such file or directory"),
    ValueError("a bug"),
]


@pytest.mark.parametrize("error", AWAY, ids=repr)
def test_a_database_away_is_told_apart(error):
    assert is_unavailable(error) and not is_conflict(error)


@pytest.mark.parametrize("error", BUGS, ids=repr)
def test_a_bug_is_not_mistaken_for_a_database_away(error):
    assert not is_unavailable(error) and not is_conflict(error)


@pytest.mark.parametrize(
    "error", [asyncpg.DeadlockDetectedError("deadlock"), asyncpg.SerializationError("could not")]
)
def test_deadlocks_and_serialisation_failures_are_conflicts(error):
    assert is_conflict(error) and not is_unavailable(error)


def _raised_while_handling(away: BaseException) -> Exception:
    try:
        try:
            raise away
        except BaseException:
            raise RuntimeError("the rollback failed too")  # noqa: B904 (the implicit context)
    except RuntimeError as error:
        return error


def test_a_failure_raised_while_the_database_was_away_is_the_database_away():
    assert is_unavailable(_raised_while_handling(DatabaseUnavailable("cannot connect")))
    explicit = ValueError("no answer")
    explicit.__cause__ = asyncpg.exceptions.AdminShutdownError("terminating connection")
    assert is_unavailable(explicit)


def test_a_group_with_the_database_away_in_it_is_the_database_away():
    group = ExceptionGroup("lanes", [ValueError("a bug"), TimeoutError()])
    assert is_unavailable(group)
    assert not is_unavailable(ExceptionGroup("lanes", [ValueError("a bug")]))


def test_a_bug_raised_on_its_own_stays_a_bug_after_an_earlier_outage_was_handled():
    try:
        raise DatabaseUnavailable("cannot connect")
    except DatabaseUnavailable:
        pass
    assert not is_unavailable(ValueError("a bug"))
