"""The billing feed's files for people: listed in "My reports", downloaded behind login."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import File

from portal.core.current import Current
from portal.database import storable_id
from portal.errors import Conflict, NotFound
from portal.exports.feed import rules, services

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


def feed_file(settings, row: dict, file_format: str) -> File:
    path = services.file_path(settings, row, file_format)
    if not path.is_file():
        raise Conflict("This file of the billing feed is missing on the server.")
    return File(
        path=path,
        media_type=MEDIA_TYPES[file_format],
        headers={"Cache-Control": "no-store"},
        content_disposition_type="attachment",
        filename=path.name,
    )


class FeedFilesController(Controller):
    path = "/exports/reports/feed"

    @get("/{version_id:int}/{file_format:str}", name="exports.feed.download")
    async def download(
        self,
        request: Request,
        current: NamedDependency[Current],
        version_id: FromPath[int],
        file_format: FromPath[str],
    ) -> File:
        if file_format not in rules.FORMATS or not storable_id(version_id):
            raise NotFound()
        row = await services.version_by_id(current, version_id)
        return feed_file(request.app.state.settings, row, file_format)


ROUTES = [FeedFilesController]
