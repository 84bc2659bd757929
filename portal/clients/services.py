"""Delegation use cases (docs/rules.md, Delegation): a partner invites a client or a client adds a
partner; the other side answers; the client changes what it delegates; either side stops. Each
change is decided by access.py and rules.py, written in one transaction under a lock on the client,
logged in both organisations' audit logs, and mailed to the other side: the mail is queued in that
transaction, so it leaves once the change is committed and never for one rolled back."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from portal.access import Action, ClientProductResource, LinkResource, require
from portal.accounts.services import confirm_password
from portal.audit.services import PORTAL, record
from portal.audit.services import who_of as _who
from portal.clients import queries, rules
from portal.clients.rules import (
    NO_END,
    Access,
    BillingMode,
    Ending,
    Grant,
    LinkEvent,
    LinkStatus,
    RequestStatus,
    Side,
)
from portal.core.current import Current
from portal.core.tokens import new_token, token_hash
from portal.core.urls import page_url
from portal.errors import Conflict, FormErrors, NotFound
from portal.forms import CONTROL_CHARACTERS_PROBLEM, has_control_characters
from portal.mail.services import Mail, queue_mail
from portal.organisations import queries as organisation_queries
from portal.organisations.services import INVITATION_LIFETIME
from portal.piccolo_conf import DB
from portal.settings import Settings
from portal.webhooks.events import emit
from portal.webhooks.rules import EventType


def utc_now() -> datetime:
    return datetime.now(UTC)


def link_resource(link: dict) -> LinkResource:
    return LinkResource(
        partner_id=link["partner"],
        client_id=link["client"],
        active=link["status"] == LinkStatus.ACTIVE,
        open=LinkStatus(link["status"]).is_open,
        initiated_by_partner=link["initiated_by"] == Side.PARTNER,
        assigned_user_ids=frozenset(link.get("assigned_user_ids") or ()),
        assigned_team_ids=frozenset(link.get("assigned_team_ids") or ()),
    )


async def expire_overdue_for(organisation_id: int) -> None:
    """Bring the organisation's links up to date before they are read: requests past their
    time expire, and what fell due ends (temporary full access, end dates) even if the
    periodic job has not run yet — access never outlives its end by a minute."""
    now = utc_now()
    if await queries.anything_due(organisation_id, now):
        await queries.expire_overdue(organisation_id, now)
        await settle_due(now, organisation_id)


async def load_link(current: Current, link_id: int, action: Action) -> dict:
    """The link, if the actor's organisation is one of its sides and access.py allows."""
    organisation = current.organisation_resource()
    await expire_overdue_for(organisation.organisation_id)
    link = await queries.link_seen_by(organisation.organisation_id, link_id)
    if link is None:
        raise NotFound()
    require(current.actor, action, link_resource(link))
    return link


async def record_both(
    link: dict,
    current: Current | None,
    action: str,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    """One entry in each side's log, about the other side (its name is the subject, so each
    side can find its history with the other); the entry written in the other side's log
    names whom the actor acted for. CURRENT None: the portal itself acted (an end date came)."""
    sides = {
        link["partner"]: (link.get("client_name") or link.get("invited_email") or "", "client"),
        link["client"]: (link.get("partner_name") or "", "partner"),
    }
    for organisation_id, (other_side, role) in sides.items():
        if organisation_id is None:
            continue
        if current is None:
            who = PORTAL
        else:
            acting_for = (
                current.organisation.id if organisation_id != current.organisation.id else None
            )
            who = _who(current, acting_for)
        await record(
            organisation_id,
            who,
            action,
            other_side,
            before,
            after,
            subject_role=role,
            link_id=link["id"],
        )


async def snapshot_of(client_id: int | None, grant: Grant | None) -> dict | None:
    """GRANT as the audit log keeps it, its products named as they are now."""
    if grant is None or client_id is None:
        return rules.grant_snapshot(grant)
    return rules.grant_snapshot(grant, await queries.product_names(client_id, grant.product_ids))


async def mail_side(organisation_id: int, subject: str, body: str) -> None:
    """Tell the side's legal representatives, inside the change's transaction."""
    for email in await queries.legal_representative_emails(organisation_id):
        await queue_mail(Mail(email, subject, body))


def link_event(link: dict, grant: Grant | None = None, **more) -> dict:
    """What a webhook says of a link (docs/rules.md, Webhooks): both sides, its state and
    the access granted."""
    return {
        "link_id": link["id"],
        "partner": {"id": link["partner"], "name": link.get("partner_name") or ""},
        "client": {"id": link["client"], "name": link.get("client_name") or ""}
        if link.get("client")
        else None,
        "grant": rules.grant_snapshot(grant),
        **more,
    }


async def tell_both(link: dict, event_type: EventType, payload: dict) -> None:
    """Each side's webhooks, in the change's transaction."""
    for organisation_id in (link["partner"], link.get("client")):
        await emit(event_type, organisation_id, payload)


def _covered(grant: Grant | None, products: dict[int, str]) -> set[int]:
    if grant is None:
        return set()
    return {pid for pid, family in products.items() if grant.covers(pid, family)}


def link_url(settings: Settings, link: dict, side: Side) -> str:
    page = "clients.show" if side is Side.PARTNER else "clients.partner"
    return page_url(settings, page, link_id=link["id"])


# --- a partner invites a client ------------------------------------------------------------


async def invite_client(
    settings: Settings,
    current: Current,
    email: str,
    requested: Grant,
    message: str,
    requested_days: int | None = None,
) -> int:
    """REQUESTED_DAYS: how long the partner asks to manage the client's products (the
    client sets the end date), None for no end."""
    partner = current.organisation_resource()
    require(current.actor, Action.INVITE_CLIENT, partner)
    # the partner names categories only: products are the client's to pick, and so is who pays
    requested = Grant(requested.access, requested.families)
    problems = {k: v for k, v in rules.grant_problems(requested).items() if k != "billing_mode"}
    if "products" in problems:
        problems["families"] = "Choose at least one category, or ask for full access."
        del problems["products"]
    if requested_days is not None and rules.duration_problem(requested_days):
        problems["requested_days"] = rules.duration_problem(requested_days)
    if problems:
        raise FormErrors(problems)
    token = new_token()
    async with DB.transaction():
        link_id = await queries.insert_link(
            {
                "partner": partner.organisation_id,
                "status": LinkStatus.AWAITING_CLIENT,
                "initiated_by": Side.PARTNER,
                "invited_email": email,
                "token_hash": token_hash(token),
                "message": message,
                "requested_access": requested.access,
                "requested_families": sorted(requested.families),
                "requested_products": [],
                "requested_days": requested_days,
                "created_by": current.user_id,
                "expires_at": utc_now() + rules.INVITATION_LIFETIME,
            }
        )
        await record(
            partner.organisation_id,
            _who(current),
            "link.requested",
            email,
            after=_with_days(rules.grant_snapshot(requested), requested_days),
            subject_role="client",
            link_id=link_id,
        )
        await emit(
            EventType.LINK_REQUESTED,
            partner.organisation_id,
            link_event(
                {
                    "id": link_id,
                    "partner": partner.organisation_id,
                    "partner_name": current.organisation.name,
                    "client": None,
                },
                requested_by="partner",
                requested=rules.grant_snapshot(requested),
                invited_email=email,
            ),
        )
        await queue_mail(
            Mail(
                email,
                f"{current.organisation.name} asks to manage your products on the Partner Portal",
                f"Hello,\n\n{current.full_name} of {current.organisation.name} asks to become "
                f"your partner with this access: {rules.describe(requested)}.\n"
                + (f"They ask for it for {requested_days} days.\n" if requested_days else "")
                + (f"\nTheir message:\n{message}\n" if message else "")
                + "\nYou decide what they may manage — you can grant other rights than "
                "requested. Review the request here (a legal representative of your "
                "organisation must answer; the link is valid for "
                f"{rules.INVITATION_LIFETIME.days} days):\n\n"
                f"{page_url(settings, 'clients.invitation', token=token)}\n",
            ),
            awaited=True,  # the link is the only way to the request
        )
    return link_id


async def open_invitation(token: str) -> dict:
    link = await queries.link_by_token(token_hash(token))
    if link is None:
        raise Conflict("This invitation link is not valid, or was answered already.")
    status = LinkStatus(link["status"])
    if rules.is_expired(status, link["expires_at"], utc_now()):
        raise Conflict("This invitation has expired. Ask the partner for a new one.")
    if status is not LinkStatus.AWAITING_CLIENT:
        raise Conflict(rules.STATUS_PROBLEMS[status])
    return link


async def grant_invitation(
    settings: Settings, current: Current, token: str, grant: Grant, ending: Ending = NO_END
) -> int:
    """The client answers a partner's emailed invitation, with the rights it chooses to give
    and, if it likes, an end date."""
    invitation = await open_invitation(token)
    return await _grant_invitation(settings, current, invitation, grant, ending)


async def grant_delivered_invitation(
    settings: Settings, current: Current, link_id: int, grant: Grant, ending: Ending = NO_END
) -> int:
    """The same answer from the client's inbox, once the invitation was delivered to it."""
    invitation = await _delivered_invitation(current, link_id)
    return await _grant_invitation(settings, current, invitation, grant, ending)


async def _delivered_invitation(current: Current, link_id: int) -> dict:
    link = await load_link(current, link_id, Action.DECIDE_AS_CLIENT)
    if link["status"] != LinkStatus.AWAITING_CLIENT:
        raise Conflict(rules.STATUS_PROBLEMS[LinkStatus(link["status"])])
    return link


async def _grant_invitation(
    settings: Settings, current: Current, invitation: dict, grant: Grant, ending: Ending
) -> int:
    client = current.organisation_resource()
    if invitation["partner"] == client.organisation_id:
        raise FormErrors(
            {
                "organisation": "An organisation cannot be its own partner. Switch to "
                "the client organisation first."
            }
        )
    resource = LinkResource(
        invitation["partner"], client.organisation_id, active=False, initiated_by_partner=True
    )
    require(current.actor, Action.DECIDE_AS_CLIENT, resource)
    problems = rules.ending_problems(ending, rules.normalised(grant), utc_now())
    if problems:
        raise FormErrors(problems)
    async with DB.transaction():
        link = await queries.lock_link(invitation["id"], client.organisation_id)
        if link["status"] != LinkStatus.AWAITING_CLIENT:
            raise Conflict(rules.STATUS_PROBLEMS[LinkStatus(link["status"])])
        if await queries.open_link_between(link["partner"], client.organisation_id, link["id"]):
            raise Conflict(
                f"{invitation['partner_name']} is already your partner, or a request "
                f"between you is waiting."
            )
        link["client"] = client.organisation_id
        link |= {
            "partner_name": invitation["partner_name"],
            "client_name": current.organisation.name,
        }
        grant = await activate_grant(link, grant, LinkEvent.CLIENT_GRANTS)
        await _set_ending(link["id"], ending)
        requested = queries.requested_grant_of(link)
        await record_both(
            link,
            current,
            "link.granted",
            before={"requested": await snapshot_of(link["client"], requested)},
            after={"granted": _with_ending(await snapshot_of(link["client"], grant), ending)},
        )
        await tell_both(link, EventType.LINK_GRANTED, link_event(link, grant, granted_by="client"))
        await mail_side(
            link["partner"],
            f"{current.organisation.name} answered your request",
            f"{current.organisation.name} accepted you as partner.\n\n"
            f"You asked for: {rules.describe(requested)}\n"
            f"They granted:  {rules.describe(grant)}\n"
            + (
                f"Until:         {rules.end_day(ending.ends_at).isoformat()}\n"
                if ending.ends_at
                else ""
            )
            + f"\n{link_url(settings, link, Side.PARTNER)}\n",
        )
    return link["id"]


def _with_ending(snapshot: dict | None, ending: Ending) -> dict | None:
    """A grant's snapshot with its end date (ISO day), when it has one."""
    if snapshot is None or ending.ends_on is None:
        return snapshot
    return {**snapshot, "ends_on": ending.ends_on.isoformat(), "auto_extend": ending.auto_extend}


def _with_days(snapshot: dict | None, days: int | None) -> dict | None:
    if snapshot is None or days is None:
        return snapshot
    return {**snapshot, "days": days}


async def _set_ending(link_id: int, ending: Ending) -> None:
    await queries.update_link(
        link_id,
        {
            "ends_at": ending.ends_at,
            "end_set_at": utc_now() if ending.ends_at else None,
            "auto_extend": ending.auto_extend,
        },
    )


async def deliver_invitation(current: Current | None, token: str) -> None:
    """Someone opened a partner's emailed invitation while acting in an organisation: it is
    that organisation's to answer from now on, and waits in its inbox (so a client who signed
    up from the mail finds it again). Only the token's holder can do this; opening it in
    another organisation moves it there. Nothing happens for the partner itself, or when the
    two are linked already."""
    if current is None or current.organisation is None:
        return
    invitation = await open_invitation(token)
    organisation_id = current.organisation.id
    if organisation_id in (invitation["partner"], invitation["client"]):
        return
    async with DB.transaction():
        await queries.lock_client(organisation_id)
        link = await queries.lock_link(invitation["id"], None)
        if link["status"] != LinkStatus.AWAITING_CLIENT:
            return
        if await queries.open_link_between(link["partner"], organisation_id, link["id"]):
            return
        await queries.update_link(link["id"], {"client": organisation_id})


async def decline_invitation(current: Current, token: str) -> None:
    await _decline_invitation(current, await open_invitation(token))


async def decline_delivered_invitation(current: Current, link_id: int) -> None:
    await _decline_invitation(current, await _delivered_invitation(current, link_id))


async def _decline_invitation(current: Current, invitation: dict) -> None:
    client = current.organisation_resource()
    require(
        current.actor,
        Action.DECIDE_AS_CLIENT,
        LinkResource(invitation["partner"], client.organisation_id, active=False),
    )
    async with DB.transaction():
        link = await queries.lock_link(invitation["id"], invitation["client"])
        status = rules.next_status(LinkStatus(link["status"]), LinkEvent.DECLINED)
        await queries.update_link(
            link["id"], {"status": status, "token_hash": None, "decided_at": utc_now()}
        )
        seen = {
            "id": link["id"],
            "partner": link["partner"],
            # the declining organisation's own log too, once the invitation was delivered to it
            "client": client.organisation_id if link["client"] else None,
            "partner_name": invitation["partner_name"],
            "client_name": current.organisation.name,
        }
        await record_both(seen, current, "link.declined")
        await mail_side(
            link["partner"],
            f"{current.organisation.name} declined your request",
            f"{current.organisation.name} declined your request to manage their products.\n",
        )


# --- a client adds a partner ---------------------------------------------------------------


async def request_partner(
    settings: Settings,
    current: Current,
    partner_id: int,
    grant: Grant,
    message: str,
    ending: Ending = NO_END,
) -> int:
    client = current.organisation_resource()
    require(current.actor, Action.ADD_PARTNER, client)
    partner = await queries.programme_member(partner_id)
    if partner is None or partner_id == client.organisation_id:
        raise FormErrors({"partner": "Choose a partner of the programme from the search."})
    products = await queries.client_products(client.organisation_id)
    grant = rules.normalised(grant)
    problems = rules.grant_problems(grant, products) | rules.ending_problems(
        ending, grant, utc_now()
    )
    if problems:
        raise FormErrors(problems)
    async with DB.transaction():
        await queries.lock_client(client.organisation_id)
        if await queries.open_link_between(partner_id, client.organisation_id):
            raise FormErrors(
                {
                    "partner": f"{partner['name']} is already your partner, or a "
                    f"request between you is waiting."
                }
            )
        await _refuse_conflicts(client.organisation_id, None, grant, products)
        link_id = await queries.insert_link(
            {
                "partner": partner_id,
                "client": client.organisation_id,
                "status": LinkStatus.AWAITING_PARTNER,
                "initiated_by": Side.CLIENT,
                "message": message,
                "requested_access": grant.access,
                "requested_families": sorted(grant.families),
                "requested_products": sorted(grant.product_ids),
                "billing_mode": grant.billing_mode if grant.is_full else None,
                "created_by": current.user_id,
                "expires_at": utc_now() + rules.INVITATION_LIFETIME,
                "ends_at": ending.ends_at,
                "end_set_at": utc_now() if ending.ends_at else None,
                "auto_extend": ending.auto_extend,
            }
        )
        link = {
            "id": link_id,
            "partner": partner_id,
            "client": client.organisation_id,
            "partner_name": partner["name"],
            "client_name": current.organisation.name,
        }
        await record_both(
            link,
            current,
            "link.requested",
            after=_with_ending(await snapshot_of(client.organisation_id, grant), ending),
        )
        await tell_both(
            link,
            EventType.LINK_REQUESTED,
            link_event(link, requested_by="client", requested=rules.grant_snapshot(grant)),
        )
        await mail_side(
            partner_id,
            f"{current.organisation.name} wants you as their partner",
            f"{current.full_name} of {current.organisation.name} would like your organisation to "
            f"manage their products with this access: {rules.describe(grant)}.\n"
            + (f"\nTheir message:\n{message}\n" if message else "")
            + f"\nAccept or refuse here:\n{link_url(settings, link, Side.PARTNER)}\n",
        )
    return link_id


async def answer_request(settings: Settings, current: Current, link_id: int, accept: bool) -> None:
    """The partner accepts or refuses a client's request."""
    link = await load_link(current, link_id, Action.DECIDE_AS_PARTNER)
    async with DB.transaction():
        locked = await queries.lock_link(link_id, link["client"])
        if locked["status"] != LinkStatus.AWAITING_PARTNER:
            raise Conflict(rules.STATUS_PROBLEMS[LinkStatus(locked["status"])])
        if accept and locked["ends_at"] is not None and locked["ends_at"] <= utc_now():
            raise Conflict(
                "The end date the client chose has passed. Refuse this request; the client "
                "may ask again."
            )
        if accept:
            grant = await activate_grant(
                locked, queries.requested_grant_of(locked), LinkEvent.PARTNER_ACCEPTS
            )
            await record_both(
                link,
                current,
                "link.accepted",
                after=_with_ending(
                    await snapshot_of(link["client"], grant), rules.ending_of(locked)
                ),
            )
            await tell_both(
                link, EventType.LINK_GRANTED, link_event(link, grant, granted_by="partner")
            )
        else:
            await queries.update_link(
                link_id, {"status": LinkStatus.REFUSED, "decided_at": utc_now()}
            )
            await record_both(link, current, "link.refused")
        verdict = "accepted" if accept else "refused"
        await mail_side(
            link["client"],
            f"{link['partner_name']} {verdict} your request",
            f"{link['partner_name']} {verdict} to become your partner.\n\n"
            f"{link_url(settings, link, Side.CLIENT)}\n",
        )


async def withdraw_request(current: Current, link_id: int) -> None:
    """The side that asked takes its pending request back."""
    link = await load_link(current, link_id, Action.WITHDRAW_REQUEST)
    async with DB.transaction():
        locked = await queries.lock_link(link_id, link["client"])
        status = rules.next_status(LinkStatus(locked["status"]), LinkEvent.WITHDRAWN)
        await queries.update_link(
            link_id, {"status": status, "token_hash": None, "ended_at": utc_now()}
        )
        await record_both(link, current, "link.withdrawn")


# --- activation, changes, stop -------------------------------------------------------------


async def activate_grant(link: dict, grant: Grant, event: LinkEvent) -> Grant:
    """Make LINK active with GRANT, inside the caller's transaction."""
    client_id = link["client"]
    await queries.lock_client(client_id)
    products = await queries.client_products(client_id)
    grant = rules.normalised(grant)
    problems = rules.grant_problems(grant, products)
    if problems:
        raise FormErrors(problems)
    await _refuse_conflicts(client_id, link["id"], grant, products)
    status = rules.next_status(LinkStatus(link["status"]), event)
    try:
        values = {
            "client": client_id,
            "status": status,
            "access": grant.access,
            "families": sorted(grant.families),
            "token_hash": None,
            "billing_mode": grant.billing_mode if grant.is_full else None,
        }
        if event is not LinkEvent.CHANGED:
            values["decided_at"] = utc_now()
        await queries.update_link(link["id"], values)
        await queries.replace_delegated_products(link["id"], client_id, sorted(grant.product_ids))
    except asyncpg.UniqueViolationError as error:
        raise Conflict(_constraint_message(error)) from error
    return grant


def _constraint_message(error: asyncpg.UniqueViolationError) -> str:
    constraint = getattr(error, "constraint_name", "") or ""
    if "full" in constraint:
        return "This client already has a full-access partner. Only one is possible."
    if "delegated_product" in constraint:
        return "One of these products was just delegated to another partner."
    return "This partner and client are already linked."


async def _refuse_conflicts(
    client_id: int, link_id: int | None, grant: Grant, products: dict[int, str]
) -> None:
    delegations = [
        rules.Delegation(row["id"], row["partner_name"], queries.grant_of(row))
        for row in await queries.live_delegations(client_id)
    ]
    problem = rules.coexistence_problem(grant, link_id or 0, delegations, products)
    if problem:
        raise FormErrors({"access": problem.message})


async def change_grant(
    settings: Settings,
    current: Current,
    link_id: int,
    grant: Grant,
    answering: int | None = None,
) -> None:
    """Only the client changes access kind, product selection or billing mode. ANSWERING: the
    partner's request for other access this change answers (it is then approved)."""
    link = await load_link(current, link_id, Action.CHANGE_LINK)
    before = queries.grant_of(link)
    async with DB.transaction():
        locked = await queries.lock_link(link_id, link["client"])
        locked["client"] = link["client"]
        if await queries.running_elevation(link_id):
            raise Conflict(
                "The partner has temporary full access: end it first, then change the access."
            )
        grant = await activate_grant(locked, grant, LinkEvent.CHANGED)
        if answering is not None:
            await _approve_change_request(current, link, answering)
        if grant == before:
            return
        ending_before = rules.ending_of(locked)
        if grant.is_full and ending_before.auto_extend:  # never for full access
            await queries.update_link(link_id, {"auto_extend": False})
        await _record_grant_change(link, current, before, grant)
        await tell_changes(link, before, grant)
        await mail_side(
            link["partner"],
            f"{link['client_name']} changed your access",
            f"{link['client_name']} changed what your organisation manages for them.\n\n"
            f"Before: {rules.describe(before)}\nNow:    {rules.describe(grant)}\n\n"
            f"It applies from now on.\n{link_url(settings, link, Side.PARTNER)}\n",
        )


async def tell_changes(link: dict, before: Grant | None, after: Grant) -> None:
    """The change of access, and the products it delegates or withdraws, to both sides."""
    await tell_both(
        link, EventType.LINK_CHANGED, link_event(link, after, before=rules.grant_snapshot(before))
    )
    products = await queries.client_products(link["client"])
    was, now = _covered(before, products), _covered(after, products)
    for event_type, product_ids in (
        (EventType.PRODUCT_DELEGATED, now - was),
        (EventType.PRODUCT_WITHDRAWN, was - now),
    ):
        if product_ids:
            await tell_both(link, event_type, link_event(link, after, product_ids=product_ids))


async def _record_grant_change(
    link: dict, current: Current | None, before: Grant | None, after: Grant
) -> None:
    """The client's change of a live grant, written to both logs."""
    await record_both(
        link,
        current,
        "link.changed",
        before=await snapshot_of(link["client"], before),
        after=await snapshot_of(link["client"], after),
    )


async def _approve_change_request(current: Current, link: dict, request_id: int) -> None:
    request = await queries.lock_request(request_id)
    if request is None or request["link"] != link["id"] or request["kind"] != "change":
        raise NotFound()
    problem = rules.request_problem(
        RequestStatus(request["status"]), request["expires_at"], utc_now()
    )
    if problem:
        raise Conflict(problem)
    await queries.update_request(
        request_id,
        {
            "status": RequestStatus.APPROVED,
            "decided_at": utc_now(),
            "decided_by": current.user_id,
        },
    )


async def withdraw_product(
    settings: Settings, current: Current, link_id: int, product_id: int
) -> None:
    """The client takes one product back from a restricted partner. A product covered by a
    whole category turns that category into the list of its other products."""
    link = await load_link(current, link_id, Action.CHANGE_LINK)
    # only a live grant delegates anything: an ended link keeps its last grant for the record
    grant = queries.grant_of(link) if link["status"] == LinkStatus.ACTIVE else None
    product = await queries.product_of_client(link["client"], product_id)
    if product is None or grant is None or not grant.covers(product_id, product["family"]):
        raise NotFound()
    if grant.is_full:
        raise FormErrors(
            {
                "access": "With full access the partner manages every product. Change "
                "the access to restricted to choose products."
            }
        )
    products = await queries.client_products(link["client"])
    family_products = {pid for pid, fam in products.items() if fam == product["family"]}
    families = grant.families - {product["family"]}
    named = (
        grant.product_ids | (family_products if product["family"] in grant.families else set())
    ) - {product_id}
    if not families and not named:
        raise FormErrors(
            {"products": "This is the last delegated product: stop the collaboration instead."}
        )
    await change_grant(
        settings,
        current,
        link_id,
        Grant(Access.RESTRICTED, frozenset(families), frozenset(named), BillingMode.CLIENT),
    )


async def stop_link(settings: Settings, current: Current, link_id: int, password: str) -> dict:
    """Either side ends the collaboration, confirming with the account password; access ends
    at once."""
    link = await load_link(current, link_id, Action.STOP_LINK)
    await confirm_password(current.user_id, password)
    async with DB.transaction():
        locked = await queries.lock_link(link_id, link["client"])
        rules.next_status(LinkStatus(locked["status"]), LinkEvent.STOPPED)
        await end_link(link, LinkEvent.STOPPED, current)
    return link


async def end_link(link: dict, event: LinkEvent, current: Current | None) -> None:
    """The one way a live collaboration ends, inside the caller's transaction with the link
    locked: stopped by a side (CURRENT), at its end date (None), or moved to another partner.
    Access ends at once; running temporary full access ends with it (the link keeps, for the
    record, the grant it had before); pending requests and transfer codes go."""
    now = utc_now()
    status = rules.next_status(LinkStatus(link["status"]), event)
    grant = queries.grant_of(link)
    elevation = await queries.running_elevation(link["id"])
    if elevation is not None:
        await _close_elevation(elevation, now, current)
        previous = rules.grant_from_snapshot(elevation["previous"])
        await _write_grant(link["id"], link["client"], previous)
    await queries.update_link(
        link["id"],
        {
            "status": status,
            "ended_at": now,
            "ended_by": current.organisation.id if current else None,
            "ended_by_account": current.user_id if current else None,
        },
    )
    await queries.end_delegation(link["id"])
    await queries.close_open_requests(link["id"], now)
    if event is LinkEvent.TRANSFERRED:  # the transfer writes its own entries and mails
        await tell_both(link, EventType.LINK_STOPPED, link_event(link, grant, ended="transferred"))
        return
    snapshot = await snapshot_of(link["client"], grant)
    if event is LinkEvent.STOPPED:
        await record_both(link, current, "link.stopped", before=snapshot)
        await tell_both(
            link,
            EventType.LINK_STOPPED,
            link_event(link, grant, stopped_by=current.organisation.id),
        )
        other = link["client"] if current.organisation.id == link["partner"] else link["partner"]
        await mail_side(
            other,
            f"{current.organisation.name} ended your collaboration",
            f"{current.organisation.name} ended the collaboration between "
            f"{link['partner_name']} (partner) and {link['client_name']} (client). The partner's "
            f"access ended at once.\n",
        )
        return
    await record_both(
        link,
        None,
        "link.ended",
        before={**(snapshot or {}), "ends_on": rules.end_day(link["ends_at"]).isoformat()},
    )
    await tell_both(link, EventType.LINK_STOPPED, link_event(link, grant, ended="end_date"))
    for side in (link["partner"], link["client"]):
        await mail_side(
            side,
            f"The collaboration between {link['partner_name']} and {link['client_name']} ended",
            f"The collaboration between {link['partner_name']} (partner) and "
            f"{link['client_name']} (client) reached its end date, "
            f"{rules.end_day(link['ends_at']).isoformat()}, and ended: the partner no longer "
            f"manages the client's products.\n",
        )


async def _write_grant(link_id: int, client_id: int, grant: Grant) -> None:
    """Put GRANT on the link as it was (temporary full access reverting): the products that
    still exist, without the checks a new grant passes — it is the grant the client gave, and
    no other partner could take a product while this one had full access."""
    existing = await queries.product_names(client_id, grant.product_ids)
    await queries.update_link(
        link_id,
        {
            "access": grant.access,
            "families": sorted(grant.families),
            "billing_mode": grant.billing_mode if grant.is_full else None,
        },
    )
    await queries.replace_delegated_products(link_id, client_id, sorted(existing))


# --- temporary full access ending, end dates coming -------------------------------------------


async def _close_elevation(elevation: dict, now: datetime, current: Current | None) -> None:
    """Mark temporary full access over: at its end (CURRENT None) or early, by a side."""
    await queries.update_request(
        elevation["id"],
        {
            "status": RequestStatus.ENDED,
            "ended_at": min(now, elevation["ends_at"]),
            "ended_by": current.organisation.id if current else None,
            "ended_by_account": current.user_id if current else None,
        },
    )


async def revert_elevation(link: dict, elevation: dict, current: Current | None) -> Grant:
    """End temporary full access, inside the caller's transaction with the client locked:
    the link gets back exactly the grant it had before. CURRENT: the side that ended it early;
    None: its time ran out."""
    now = utc_now()
    previous = rules.grant_from_snapshot(elevation["previous"])
    await _close_elevation(elevation, now, current)
    await _write_grant(link["id"], link["client"], previous)
    await tell_changes(link, rules.ELEVATED, previous)
    action = "link.elevation_ended" if current is None else "link.elevation_ended_early"
    await record_both(
        link,
        current,
        action,
        before=await snapshot_of(link["client"], rules.ELEVATED),
        after=elevation["previous"],
    )
    until = elevation["ends_at"].isoformat(timespec="minutes")
    for side in (link["partner"], link["client"]):
        if current is None:
            subject = f"Temporary full access of {link['partner_name']} ended"
            body = (
                f"The temporary full access of {link['partner_name']} to "
                f"{link['client_name']}'s products ended as planned ({until} UTC). "
            )
        else:
            subject = f"{current.organisation.name} ended the temporary full access"
            body = (
                f"{current.full_name} of {current.organisation.name} ended the temporary full "
                f"access of {link['partner_name']} to {link['client_name']}'s products early. "
            )
        await mail_side(
            side,
            subject,
            body + f"The access is back to what it was before: {rules.describe(previous)}.\n",
        )
    return previous


async def settle_due(now: datetime, organisation_id: int | None = None) -> int:
    """End what is due at NOW, each in its own transaction under the client's lock: temporary
    full access whose time is up goes back to the grant before, then collaborations at their
    end date end (or are extended automatically); requests left unanswered expire. For one
    organisation's links (a request reading them) or for all (the periodic job). Idempotent:
    what another worker or request settled first is skipped. The number of changes made."""
    changes = 0
    for due in await queries.due_elevations(now, organisation_id):
        async with DB.transaction():
            link = await _locked_with_names(due["link"], due["client"])
            elevation = await queries.lock_request(due["id"])
            if elevation["status"] == RequestStatus.ACTIVE and elevation["ends_at"] <= now:
                await revert_elevation(link, elevation, None)
                changes += 1
    for due in await queries.due_endings(now, organisation_id):
        async with DB.transaction():
            link = await _locked_with_names(due["id"], due["client"])
            if link["status"] != LinkStatus.ACTIVE or not link["ends_at"] or link["ends_at"] > now:
                continue
            await _end_or_extend(link, now)
            changes += 1
    await queries.expire_requests(now, organisation_id)
    return changes


async def _locked_with_names(link_id: int, client_id: int) -> dict:
    """The link locked (client first), with both sides' names and its products."""
    await queries.lock_link(link_id, client_id)
    return await queries.link_seen_by(client_id, link_id)


async def _end_or_extend(link: dict, now: datetime) -> None:
    """At its end date a collaboration ends, or is extended if the client asked for it and
    the grant is restricted — during temporary full access, the grant it goes back to: an
    extended link keeps its temporary full access to its own end, an ended one loses it."""
    elevation = await queries.running_elevation(link["id"])
    standing = (
        rules.grant_from_snapshot(elevation["previous"]) if elevation else queries.grant_of(link)
    )
    if link["auto_extend"] and not standing.is_full:
        new_end = rules.automatic_end(link["ends_at"], now)
        await queries.update_link(link["id"], {"ends_at": new_end, "end_set_at": now})
        before = rules.end_day(link["ends_at"]).isoformat()
        after = rules.end_day(new_end).isoformat()
        await record_both(
            link,
            None,
            "link.extended_automatically",
            before={"ends_on": before},
            after={"ends_on": after, "days": rules.AUTO_EXTENSION_DAYS},
        )
        for side in (link["partner"], link["client"]):
            await mail_side(
                side,
                f"The collaboration between {link['partner_name']} and {link['client_name']} "
                f"was extended",
                f"The collaboration between {link['partner_name']} (partner) and "
                f"{link['client_name']} (client) reached its end date, {before}, and was "
                f"extended automatically by {rules.AUTO_EXTENSION_DAYS} days: it now ends on "
                f"{after}. The client can change this at any time.\n",
            )
        return
    await end_link(link, LinkEvent.END_DATE_REACHED, None)


async def set_ending(current: Current, link_id: int, ending: Ending) -> None:
    """The client sets, moves or removes the end date, and turns automatic extension on or off
    (never for full access)."""
    link = await load_link(current, link_id, Action.CHANGE_LINK)
    async with DB.transaction():
        locked = await queries.lock_link(link_id, link["client"])
        if locked["status"] != LinkStatus.ACTIVE:
            raise Conflict(rules.STATUS_PROBLEMS[LinkStatus(locked["status"])])
        grant = queries.grant_of(link)
        if await queries.running_elevation(link_id):  # judged by the grant it goes back to
            grant = rules.grant_from_snapshot(
                (await queries.running_elevation(link_id))["previous"]
            )
        problems = rules.ending_problems(ending, grant, utc_now())
        if problems:
            raise FormErrors(problems)
        before = rules.ending_of(locked)
        if before == ending:
            return
        await _set_ending(link_id, ending)
        await record_both(
            link, current, "link.end_date_changed", before=_ending(before), after=_ending(ending)
        )
        await mail_side(
            link["partner"],
            f"{link['client_name']} changed the end date of your collaboration",
            f"{link['client_name']} changed when your collaboration ends.\n\n"
            f"Before: {_ending_text(before)}\nNow:    {_ending_text(ending)}\n",
        )


def _ending(ending: Ending) -> dict:
    return {
        "ends_on": ending.ends_on.isoformat() if ending.ends_on else None,
        "auto_extend": ending.auto_extend,
    }


def _ending_text(ending: Ending) -> str:
    if ending.ends_on is None:
        return "no end date"
    extension = (
        f", then extended automatically by {rules.AUTO_EXTENSION_DAYS} days"
        if ending.auto_extend
        else ""
    )
    return f"ends on {ending.ends_on.isoformat()}{extension}"


async def extend_link(current: Current, link_id: int, days: int) -> None:
    """The client moves the end date DAYS later, in one step."""
    link = await load_link(current, link_id, Action.CHANGE_LINK)
    async with DB.transaction():
        locked = await queries.lock_link(link_id, link["client"])
        if locked["status"] != LinkStatus.ACTIVE:
            raise Conflict(rules.STATUS_PROBLEMS[LinkStatus(locked["status"])])
        await extend_within(link, locked["ends_at"], days, current)


async def extend_within(link: dict, ends_at: datetime | None, days: int, current: Current) -> None:
    """Inside the caller's transaction, the link locked: its end date DAYS later."""
    problem = rules.extension_problem(ends_at, days, utc_now())
    if problem:
        raise FormErrors({"days": problem})
    new_end = rules.extended_end(ends_at, days)
    await queries.update_link(link["id"], {"ends_at": new_end, "end_set_at": utc_now()})
    before, after = rules.end_day(ends_at).isoformat(), rules.end_day(new_end).isoformat()
    await record_both(
        link,
        current,
        "link.extended",
        before={"ends_on": before},
        after={"ends_on": after, "days": days},
    )
    await mail_side(
        link["partner"],
        f"{link['client_name']} extended your collaboration",
        f"{link['client_name']} extended your collaboration by {days} days: it now ends on "
        f"{after} instead of {before}.\n",
    )


async def assign_collaborators(
    current: Current,
    link_id: int,
    account_ids: set[int],
    team_ids: set[int],
    members: set[int],
    teams: set[int],
) -> None:
    """The partner's legal representatives choose who acts for this client. MEMBERS and
    TEAMS are the partner's own (ids from elsewhere are refused)."""
    link = await load_link(current, link_id, Action.ASSIGN_COLLABORATORS)
    if not account_ids <= members or not team_ids <= teams:
        raise FormErrors({"collaborators": "Choose collaborators and teams of your organisation."})
    before = await _assignees(link["assigned_user_ids"] or [], link["assigned_team_ids"] or [])
    async with DB.transaction():
        await queries.replace_assignments(link_id, sorted(account_ids), sorted(team_ids))
        await record(
            link["partner"],
            _who(current),
            "link.collaborators_set",
            link["client_name"] or link["invited_email"],  # a pending invitation: no client yet
            before=before,
            after=await _assignees(account_ids, team_ids),
            subject_role="client",
            link_id=link_id,
        )


async def _assignees(account_ids, team_ids) -> dict:
    """Who acts for a client, by id and by name, as the audit log keeps it."""
    people_names, team_names = await queries.names_of_people_and_teams(account_ids, team_ids)
    return {
        "people": sorted(account_ids),
        "teams": sorted(team_ids),
        "people_names": people_names,
        "team_names": team_names,
    }


# --- a partner acting inside the client ----------------------------------------------------


async def rename_client_product(current: Current, link_id: int, product_id: int, name: str) -> None:
    link = await load_link(current, link_id, Action.ACT_FOR_CLIENT)
    product = await queries.product_of_client(link["client"], product_id)
    grant = queries.grant_of(link)
    covered = (
        product is not None and grant is not None and grant.covers(product_id, product["family"])
    )
    require(
        current.actor,
        Action.MANAGE_CLIENT_PRODUCT,
        ClientProductResource(link_resource(link), covered, grant.may_order if grant else False),
    )
    name = name.strip()
    if not name or len(name) > 200:
        raise FormErrors({"name": "Give the product a name of 1 to 200 characters."})
    if has_control_characters(name):  # the pages' forms refuse them before; the API reaches here
        raise FormErrors({"name": CONTROL_CHARACTERS_PROBLEM})
    async with DB.transaction():
        await queries.rename_product(product_id, name)
        await record_both(
            link,
            current,
            "client.product_renamed",
            before={"name": product["name"]},
            after={"name": name},
        )


async def invite_client_user(
    settings: Settings, current: Current, link_id: int, email: str
) -> None:
    """A partner manages the client's users: its people acting for the client may invite a
    plain user into it (the client's legal representatives keep the roles that carry rights);
    an outside guest of one of its teams may not bring anyone in."""
    link = await load_link(current, link_id, Action.INVITE_CLIENT_USER)
    token = new_token()
    async with DB.transaction():
        if await organisation_queries.pending_invitation_for(
            link["client"], email, None, utc_now()
        ):
            raise FormErrors({"email": "An invitation to this address is already waiting."})
        await organisation_queries.insert_invitation(
            {
                "organisation": link["client"],
                "email": email,
                "role": "user",
                "billing_rights": False,
                "team": None,
                "token_hash": token_hash(token),
                "invited_by": current.user_id,
                "message": "",
                "expires_at": utc_now() + INVITATION_LIFETIME,
            }
        )
        await record_both(
            link,
            current,
            "client.user_invited",
            after={"email": email, "role": "user", "by_partner": link["partner_name"]},
        )
        await queue_mail(
            Mail(
                email,
                f"You are invited to {link['client_name']} on the Partner Portal",
                f"Hello,\n\n{current.full_name} of {link['partner_name']}, partner of "
                f"{link['client_name']}, invites you to join {link['client_name']} on the "
                f"Partner Portal.\n\nAccept here:\n"
                f"{page_url(settings, 'organisations.invitation', token=token)}\n",
            ),
            awaited=True,  # the link is the way in
        )
