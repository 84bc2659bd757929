"""Moving a client to another partner (docs/rules.md, Delegation): the client makes a
single-use code for a named partner, valid 14 days; that partner redeems it, and in one
transaction the old collaboration ends and the new one starts with the same grant (or the one
the client chose), so the products are never without a manager in between."""

from __future__ import annotations

from dataclasses import dataclass

from portal.access import Action, require
from portal.audit.services import PORTAL, record, who_of
from portal.clients import queries, rules
from portal.clients.rules import Grant, LinkEvent, LinkStatus, Side
from portal.clients.services import (
    activate_grant,
    end_link,
    link_event,
    link_url,
    load_link,
    mail_side,
    snapshot_of,
    tell_both,
    utc_now,
)
from portal.core.current import Current
from portal.core.tokens import token_hash
from portal.core.urls import page_url
from portal.database import storable_id
from portal.errors import Conflict, FormErrors, NotFound
from portal.piccolo_conf import DB
from portal.settings import Settings
from portal.webhooks.rules import EventType


@dataclass(frozen=True)
class NewTransfer:
    transfer_id: int
    code: str  # shown once to the client; only its hash is kept
    partner_name: str


async def create_transfer(
    settings: Settings,
    current: Current,
    link_id: int,
    to_partner_id: int,
    new_grant: Grant | None,
) -> NewTransfer:
    """The client makes a code that moves this collaboration to TO_PARTNER_ID. NEW_GRANT: the
    access the new partner gets; None keeps the grant the link has when the code is used. A
    new code replaces the link's previous one."""
    link = await load_link(current, link_id, Action.CHANGE_LINK)
    if link["status"] != LinkStatus.ACTIVE:
        raise Conflict(rules.STATUS_PROBLEMS[LinkStatus(link["status"])])
    partner = await queries.programme_member(to_partner_id)
    if partner is None or to_partner_id in (link["client"], link["partner"]):
        raise FormErrors({"partner": "Choose another partner of the programme from the search."})
    if new_grant is not None:
        new_grant = rules.normalised(new_grant)
        problems = rules.grant_problems(new_grant, await queries.client_products(link["client"]))
        if problems:
            raise FormErrors(problems)
    code = rules.new_transfer_code()
    moment = utc_now()
    async with DB.transaction():
        await queries.lock_link(link_id, link["client"])
        previous = await queries.open_transfer_of_link(link_id)
        if previous is not None:
            await queries.update_transfer(previous["id"], {"cancelled_at": moment})
        transfer_id = await queries.insert_transfer(
            {
                "client": link["client"],
                "link": link_id,
                "to_partner": to_partner_id,
                "code_hash": token_hash(rules.normalised_code(code)),
                "new_grant": await snapshot_of(link["client"], new_grant),
                "created_by": current.user_id,
                "expires_at": moment + rules.TRANSFER_LIFETIME,
            }
        )
        await record(
            link["client"],
            who_of(current),
            "link.transfer_created",
            partner["name"],
            after={
                "from_partner": link["partner_name"],
                "expires_on": rules.end_day(moment + rules.TRANSFER_LIFETIME).isoformat(),
                "grant": await snapshot_of(link["client"], new_grant),
            },
            subject_role="partner",
            link_id=link_id,
        )
        await mail_side(
            to_partner_id,
            f"{current.organisation.name} wants to move to you",
            f"{current.full_name} of {current.organisation.name} made a transfer code so that "
            f"your organisation becomes their partner in place of their current one. Ask them "
            f"for the code, then enter it on your Clients page (a legal representative of your "
            f"organisation does it; the code is valid for {rules.TRANSFER_LIFETIME.days} days)."
            f"\n\n{page_url(settings, 'clients.index')}\n",
        )
    return NewTransfer(transfer_id, code, partner["name"])


async def cancel_transfer(current: Current, link_id: int, transfer_id: int) -> None:
    link = await load_link(current, link_id, Action.CHANGE_LINK)
    async with DB.transaction():
        locked = await queries.lock_link(link_id, link["client"])
        if locked["status"] != LinkStatus.ACTIVE:
            raise Conflict(rules.STATUS_PROBLEMS[LinkStatus(locked["status"])])
        transfer = await queries.lock_transfer(transfer_id) if storable_id(transfer_id) else None
        if transfer is None or transfer["link"] != link_id:
            raise NotFound()
        if transfer["redeemed_at"] is not None or transfer["cancelled_at"] is not None:
            raise Conflict("This transfer code was used or cancelled already.")
        await queries.update_transfer(transfer_id, {"cancelled_at": utc_now()})
        await record(
            link["client"],
            who_of(current),
            "link.transfer_cancelled",
            link["partner_name"],
            subject_role="partner",
            link_id=link_id,
        )


async def find_transfer(current: Current, code: str) -> dict:
    """The transfer a code of the actor's partner organisation opens, to confirm it."""
    partner = current.organisation_resource()
    require(current.actor, Action.INVITE_CLIENT, partner)
    compact = rules.normalised_code(code)
    transfer = await queries.transfer_by_code(token_hash(compact)) if compact else None
    if transfer is None:
        raise FormErrors({"code": rules.INVALID_CODE})
    problem = rules.transfer_problem(transfer, partner.organisation_id, utc_now())
    if problem is None and transfer["link_status"] != LinkStatus.ACTIVE:
        problem = "The collaboration this code moves has ended. Ask the client for a new code."
    if problem:
        raise FormErrors({"code": problem})
    return transfer


async def redeem_transfer(settings: Settings, current: Current, code: str) -> int:
    """The named partner takes the client over: in one transaction the old collaboration ends
    and the new one starts. Two redemptions at once: one wins, the other is told the code was
    used. The new link's id."""
    found = await find_transfer(current, code)
    partner_id = current.organisation.id
    client_id = found["client"]
    async with DB.transaction():
        old = await queries.lock_link(found["link"], client_id)
        transfer = await queries.lock_transfer(found["id"])
        problem = rules.transfer_problem(transfer, partner_id, utc_now())
        if problem:
            raise Conflict(problem)
        if old["status"] != LinkStatus.ACTIVE:
            raise Conflict(
                "The collaboration this code moves has ended. Ask the client for a new code."
            )
        if await queries.open_link_between(partner_id, client_id):
            raise Conflict(
                f"{found['client_name']} is your client already, or a request between you "
                "is waiting."
            )
        old = await queries.link_seen_by(client_id, old["id"])
        grant = await _grant_moved(old, transfer)
        await end_link(old, LinkEvent.TRANSFERRED, None)
        await queries.update_link(
            old["id"],
            {"ended_by": client_id, "ended_by_account": transfer["created_by"]},
        )
        new_id = await queries.insert_link(
            {
                "partner": partner_id,
                "client": client_id,
                "status": LinkStatus.AWAITING_CLIENT,
                "initiated_by": Side.CLIENT,
                "requested_access": grant.access,
                "requested_families": sorted(grant.families),
                "requested_products": sorted(grant.product_ids),
                "billing_mode": grant.billing_mode if grant.is_full else None,
                "created_by": transfer["created_by"],
                "expires_at": utc_now(),
            }
        )
        new = {**old, "id": new_id, "partner": partner_id, "status": LinkStatus.AWAITING_CLIENT}
        grant = await activate_grant(new, grant, LinkEvent.CLIENT_GRANTS)
        new_side = {**new, "partner_name": current.organisation.name}
        await tell_both(
            new_side, EventType.LINK_GRANTED, link_event(new_side, grant, granted_by="client")
        )
        await queries.update_link(new_id, _same_end(old, grant))
        await queries.update_transfer(
            transfer["id"],
            {"redeemed_at": utc_now(), "redeemed_by": current.user_id, "new_link": new_id},
        )
        await _record_move(current, old, new_id, grant)
        await mail_side(
            old["partner"],
            f"{old['client_name']} moved to another partner",
            f"{old['client_name']} moved to another partner of the programme. Your collaboration "
            f"with them ended today, and your organisation no longer manages their products.\n",
        )
        await mail_side(
            client_id,
            f"{current.organisation.name} is now your partner",
            f"{current.full_name} of {current.organisation.name} used your transfer code: "
            f"{current.organisation.name} now manages your products in place of "
            f"{old['partner_name']}, with this access: {rules.describe(grant)}.\n\n"
            f"{link_url(settings, {'id': new_id}, Side.CLIENT)}\n",
        )
    return new_id


async def _grant_moved(old: dict, transfer: dict) -> Grant:
    """The grant the new partner gets: the client's choice, else the old link's (the grant
    before any temporary full access)."""
    if transfer["new_grant"]:
        return rules.grant_from_snapshot(transfer["new_grant"])
    running = await queries.running_elevation(old["id"])
    if running is not None:
        return rules.grant_from_snapshot(running["previous"])
    return queries.grant_of(old)


def _same_end(old: dict, grant: Grant) -> dict:
    """The new collaboration ends when the old one would have: the client moved its partner,
    not the term it set (automatic extension stays for restricted access only)."""
    return {
        "ends_at": old["ends_at"],
        "end_set_at": old["end_set_at"],
        "auto_extend": bool(old["auto_extend"]) and not grant.is_full,
    }


async def _record_move(current: Current, old: dict, new_id: int, grant: Grant) -> None:
    """Three logs: the client's (it moved), the old partner's (the client left), the new
    partner's (the client came)."""
    client_id = old["client"]
    snapshot = await snapshot_of(client_id, grant)
    await record(
        client_id,
        who_of(current, current.organisation.id),
        "link.transferred",
        current.organisation.name,
        before={"partner": old["partner_name"]},
        after=snapshot,
        subject_role="partner",
        link_id=new_id,
    )
    await record(
        old["partner"],
        PORTAL,  # the client moved; the old partner is not told to whom
        "link.transferred_away",
        old["client_name"],
        subject_role="client",
        link_id=old["id"],
    )
    await record(
        current.organisation.id,
        who_of(current),
        "link.transferred_in",
        old["client_name"],
        after=snapshot,
        subject_role="client",
        link_id=new_id,
    )
