"""Pages of webhooks, under /organisation/webhooks: the endpoints, one endpoint with its
deliveries and the endpoint's answers, and the secret shown once (on creation and rotation)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.core.current import Current
from portal.errors import FormErrors
from portal.forms import Form
from portal.paging import position_of
from portal.web import form_page, page, redirect, url_for
from portal.webhooks import forms, services

Me = NamedDependency[Current]
EVENT_CHOICES = forms.EVENT_CHOICES


class WebhooksController(Controller):
    path = "/organisation/webhooks"

    @get("", name="webhooks.index")
    async def index(self, request: Request, current: Me) -> Response:
        return page(request, "webhooks/index.html", await _index_context(current))

    @post("", name="webhooks.create")
    async def create(self, request: Request, current: Me) -> Response:
        data = await request.form()
        form = Form(data)
        entered = forms.endpoint_from(form)
        try:
            form.check()
            endpoint_id, secret = await services.create_endpoint(
                request.app.state.settings, current, entered
            )
        except FormErrors as error:
            context = {**await _index_context(current), "form": data}
            return form_page(request, "webhooks/index.html", context, error.errors)
        return _secret_page(request, endpoint_id, entered.url, secret, rotated=False)

    @get("/{endpoint_id:int}", name="webhooks.show")
    async def show(self, request: Request, current: Me, endpoint_id: FromPath[int]) -> Response:
        endpoint = await services.endpoint(current, endpoint_id)
        deliveries = await services.deliveries(endpoint, position_of(request.query_params))
        return page(
            request,
            "webhooks/show.html",
            {
                "endpoint": endpoint,
                "deliveries": deliveries,
                "events": EVENT_CHOICES,
            },
            fragment="deliveries",
        )

    @post("/{endpoint_id:int}/rotate", name="webhooks.rotate")
    async def rotate(self, request: Request, current: Me, endpoint_id: FromPath[int]) -> Response:
        secret = await services.rotate_secret(request.app.state.settings, current, endpoint_id)
        endpoint = await services.endpoint(current, endpoint_id)
        return _secret_page(request, endpoint_id, endpoint["url"], secret, rotated=True)

    @post("/{endpoint_id:int}/switch-off", name="webhooks.switch_off")
    async def switch_off(
        self, request: Request, current: Me, endpoint_id: FromPath[int]
    ) -> Response:
        await services.set_active(current, endpoint_id, False)
        return _back(request, endpoint_id, "The endpoint receives no more events.")

    @post("/{endpoint_id:int}/switch-on", name="webhooks.switch_on")
    async def switch_on(
        self, request: Request, current: Me, endpoint_id: FromPath[int]
    ) -> Response:
        await services.set_active(current, endpoint_id, True)
        return _back(request, endpoint_id, "The endpoint receives its events again.")

    @post("/{endpoint_id:int}/remove", name="webhooks.remove")
    async def remove(self, request: Request, current: Me, endpoint_id: FromPath[int]) -> Response:
        await services.remove(current, endpoint_id)
        return redirect(
            request,
            url_for(request, "webhooks.index"),
            flash="The endpoint is removed.",
            level="info",
        )

    @post("/deliveries/{delivery_id:int}/redeliver", name="webhooks.redeliver")
    async def redeliver(
        self, request: Request, current: Me, delivery_id: FromPath[int]
    ) -> Response:
        endpoint_id = await services.redeliver(current, delivery_id)
        return _back(request, endpoint_id, "The event is queued to be sent again.")


def _back(request: Request, endpoint_id: int, flash: str) -> Response:
    url = url_for(request, "webhooks.show", endpoint_id=endpoint_id)
    return redirect(request, url, flash=flash)


def _secret_page(request, endpoint_id: int, url: str, secret: str, *, rotated: bool) -> Response:
    return page(
        request,
        "webhooks/secret.html",
        {"endpoint_id": endpoint_id, "url": url, "secret": secret, "rotated": rotated},
    )


async def _index_context(current: Current) -> dict:
    return {"endpoints": await services.endpoints(current), "events": EVENT_CHOICES}


ROUTES = [WebhooksController]
