"""The partner's dashboard (/partner/dashboard): the clients that need attention and the
collaborations ending soon, and for those who may see it the programme's money: managed volume
against the threshold, tier, cashback by month, prepaid balance."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency

from portal.access import Action, ClientScope, OrganisationResource, client_scope, may, require
from portal.billing import charts
from portal.billing import queries as billing_queries
from portal.billing import rules as billing_rules
from portal.clients.link_pages import ENDING_SOON
from portal.clients.queries import ending_soon_for_partner
from portal.clients.services import expire_overdue_for
from portal.core.current import Current
from portal.errors import NotFound
from portal.partners.rules import VOLUME_THRESHOLDS, volume_progress
from portal.renewals import services as renewal_services
from portal.web import page

Me = NamedDependency[Current]


class DashboardController(Controller):
    path = "/partner"

    @get("/dashboard", name="partners.dashboard")
    async def dashboard(self, request: Request, current: Me) -> Response:
        return page(request, "partners/dashboard.html", await _dashboard_context(current))


async def _dashboard_context(current: Current) -> dict:
    """Everyone of the organisation sees the clients given to them; the programme's money
    (managed volume, tier, cashback, prepaid balance) only those who may see it, and the
    invoices only those with billing rights."""
    if current.organisation is None:
        raise NotFound()
    resource = OrganisationResource(current.organisation.id)
    require(current.actor, Action.VIEW_ORGANISATION, resource)
    partner_id, currency = resource.organisation_id, current.organisation.currency
    scope = client_scope(current.actor)
    context = {
        "currency": currency,
        "sees_money": may(current.actor, Action.VIEW_PROGRAMME_MONEY, resource),
        "sees_invoices": may(current.actor, Action.VIEW_BILLING, resource),
        "waiting": await billing_queries.requests_waiting(partner_id, scope),
        "ending_soon": await _ending_soon(partner_id, scope),
    }
    sees_renewals = may(current.actor, Action.VIEW_CLIENT_RENEWALS, resource)
    context["renewals"] = await renewal_services.due_counts(current) if sees_renewals else None
    if context["sees_money"]:
        context |= await _programme_money(partner_id, currency, scope)
    if context["sees_invoices"]:
        context["recent"] = (await billing_queries.invoices_paid_by(partner_id, scope, size=5)).rows
    return context


async def _ending_soon(partner_id: int, scope: ClientScope) -> list[dict]:
    """The collaborations of the clients the person sees that end within 30 days."""
    await expire_overdue_for(partner_id)  # what ended meanwhile is not "ending soon"
    return await ending_soon_for_partner(partner_id, scope, datetime.now(UTC) + ENDING_SOON)


async def _programme_money(partner_id: int, currency: str, scope: ClientScope) -> dict:
    volume, clients = await billing_queries.managed_volume(partner_id)
    tiers = await billing_queries.tiers(currency)
    months = await billing_queries.benefits_by_month(partner_id, currency)
    return {
        "volume": volume,
        # how many clients count: a number about clients, for whoever sees them all
        "clients": clients if scope.every_client else None,
        "threshold": VOLUME_THRESHOLDS[currency],
        "progress": volume_progress(currency, volume),
        "tier": billing_rules.tier_for(tiers, volume),
        "next": billing_rules.next_tier(tiers, volume),
        "chart": charts.benefits_chart(months, currency, datetime.now(UTC).date()),
        "balances": await billing_queries.balances(partner_id),  # every currency it holds
    }
