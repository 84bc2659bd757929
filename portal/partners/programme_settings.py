"""The programme's settings in the staff area (/staff/programme): the tier table and the
volume-discount table, each change a new version in force from now (billing prices with them)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency

from portal.access import Action, StaffResource, require
from portal.billing import queries as billing_queries
from portal.billing import services as billing_services
from portal.core.current import Current
from portal.errors import FormErrors
from portal.forms import Form
from portal.partners import forms
from portal.web import form_page, page, redirect, url_for

Me = NamedDependency[Current]


class ProgrammeSettingsController(Controller):
    """Staff edit the tier table and the volume-discount table; every version is kept."""

    path = "/staff/programme"

    @get("", name="partners.settings")
    async def show(self, request: Request, current: Me) -> Response:
        return page(request, "partners/programme_settings.html", await _settings_context(current))

    @post("/tiers", name="partners.settings.tiers")
    async def tiers(self, request: Request, current: Me) -> Response:
        form = Form(await request.form())
        tiers = {currency: forms.tier_rows(form, currency) for currency in ("CHF", "EUR")}
        note = form.text("note", max_length=300)
        try:
            form.check()
            await billing_services.update_tiers(current, tiers, note)
        except FormErrors as error:
            return form_page(
                request,
                "partners/programme_settings.html",
                await _settings_context(current),
                error.errors,
            )
        return redirect(
            request, url_for(request, "partners.settings"), flash="The new tier table is in force."
        )

    @post("/volume-discount", name="partners.settings.volume")
    async def volume(self, request: Request, current: Me) -> Response:
        form = Form(await request.form())
        steps = forms.volume_steps(form)
        note = form.text("note", max_length=300)
        try:
            form.check()
            await billing_services.update_volume_discount(current, steps, note)
        except FormErrors as error:
            return form_page(
                request,
                "partners/programme_settings.html",
                await _settings_context(current),
                error.errors,
            )
        return redirect(
            request,
            url_for(request, "partners.settings"),
            flash="The new volume-discount table is in force.",
        )


async def _settings_context(current: Current) -> dict:
    require(current.actor, Action.EDIT_PROGRAMME_SETTINGS, StaffResource())
    return {
        "tiers": {c: await billing_queries.tiers(c) for c in ("CHF", "EUR")},
        "steps": await billing_queries.volume_steps(),
        "tier_history": await billing_queries.setting_history("tiers"),
        "volume_history": await billing_queries.setting_history("volume_discount"),
    }
