"""A request that PostgreSQL rolled back for a deadlock or a serialisation failure runs again
once, with the same form (portal/retries.py); a second conflict answers 503, try again."""

import asyncpg
import pytest
from litestar import MediaType, Request, Response, post

from portal.web import PUBLIC
from tests.factories.web import post_form


def conflicting_route(runs: list, conflicts: int, error=asyncpg.DeadlockDetectedError):
    """A form endpoint whose first CONFLICTS runs are rolled back as PostgreSQL would."""

    @post("/test/conflicting", opt=PUBLIC, status_code=200)
    async def conflicting(request: Request) -> Response:
        form = await request.form()
        runs.append(form.get("word"))
        if len(runs) <= conflicts:
            raise error("rolled back")
        return Response(f"saved {form.get('word')}", media_type=MediaType.TEXT)

    return conflicting


@pytest.mark.parametrize("error", [asyncpg.DeadlockDetectedError, asyncpg.SerializationError])
async def test_a_request_rolled_back_by_a_conflict_runs_again_with_its_form(app, client, error):
    runs = []
    app.register(conflicting_route(runs, conflicts=1, error=error))
    response = await post_form(client, "/test/conflicting", {"word": "grüezi"})

    assert (response.status_code, response.text) == (200, "saved grüezi")
    assert runs == ["grüezi", "grüezi"]
    assert response.headers["x-content-type-options"] == "nosniff"  # one whole answer


async def test_a_second_conflict_answers_503_with_retry_after(app, client):
    runs = []
    app.register(conflicting_route(runs, conflicts=2))

    response = await post_form(client, "/test/conflicting", {"word": "hoi"})

    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert "Nothing was saved; please try again." in response.text
    assert runs == ["hoi", "hoi"]  # once again, not more


async def test_an_ordinary_error_is_not_run_again(app, client):
    runs = []

    @post("/test/failing", opt=PUBLIC)
    async def failing(request: Request) -> Response:
        runs.append(1)
        raise RuntimeError("a bug")

    app.register(failing)
    response = await post_form(client, "/test/failing")
    assert response.status_code == 500
    assert runs == [1]
