"""The affiliate programme (/affiliate): an organisation that is no partner joins it, then
earns commissions on the orders of the customers its referral link brought."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency

from portal.access import Action, may
from portal.billing import queries as billing_queries
from portal.billing import rules as billing_rules
from portal.billing import services as billing_services
from portal.core.current import Current
from portal.core.enums import PartnerStatus
from portal.errors import Conflict
from portal.partners import queries, services
from portal.partners.rules import may_become_affiliate
from portal.products import queries as product_queries
from portal.web import form_page, page, redirect, url_for

Me = NamedDependency[Current]


class AffiliateController(Controller):
    """An affiliate's earnings: commissions on its referred customers' orders."""

    path = "/affiliate"

    @get("", name="partners.affiliate")
    async def earnings(self, request: Request, current: Me) -> Response:
        resource = billing_services.billing_scope(current)
        organisation = await product_queries.organisation_for_billing(resource.organisation_id)
        is_affiliate = await queries.is_affiliate(resource.organisation_id)
        if not is_affiliate:
            return page(request, "partners/affiliate.html", await _joining_context(current))
        orders = await billing_queries.referred_orders(resource.organisation_id)
        schedule = billing_rules.commission_schedule(
            billing_rules.ReferredOrder(o["day"], o["amount"], o["referred_on"]) for o in orders
        )
        earned = sum((c.commission for c in schedule), billing_rules.ZERO)
        paid = await billing_queries.paid_out(resource.organisation_id, organisation["currency"])
        return page(
            request,
            "partners/affiliate.html",
            {
                "is_affiliate": True,
                "schedule": schedule[::-1][:100],
                "earned": earned,
                "paid": paid,
                "due": earned - paid,
                "currency": organisation["currency"],
                "payout_due": billing_rules.affiliate_payout_due(earned - paid),
                "rate": billing_rules.affiliate_rate(earned),
                "referrals": await billing_queries.referrals_of(resource.organisation_id),
                "referral_link": _referral_link(request, resource.organisation_id),
            },
        )

    @post("/join", name="partners.affiliate.join")
    async def join(self, request: Request, current: Me) -> Response:
        try:
            await services.join_affiliate_programme(current)
        except Conflict as error:
            context = await _joining_context(current)
            return form_page(request, "partners/affiliate.html", context, {"join": error.detail})
        return redirect(
            request,
            url_for(request, "partners.affiliate"),
            flash="Welcome to the affiliate programme. Share your referral link to start earning.",
        )


def _referral_link(request: Request, affiliate_id: int) -> str:
    """Sign-up through this link records the affiliate's referral."""
    signup = url_for(request, "organisations.signup")
    return f"{request.app.state.settings.base_url}{signup}?ref={affiliate_id}"


async def _joining_context(current: Current) -> dict:
    """What an organisation that is not an affiliate sees: whether and how it may become one."""
    resource = current.organisation_resource()
    organisation = await queries.organisation(resource.organisation_id)
    status = PartnerStatus(organisation["partner_status"])
    return {
        "is_affiliate": False,
        "currency": organisation["currency"],
        "may_join": may(current.actor, Action.JOIN_AFFILIATE_PROGRAMME, resource),
        "is_partner": not may_become_affiliate(status),
    }
