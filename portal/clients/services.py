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
from portal.audit.services import record
from portal.audit.services import who_of as _who
from portal.clients import queries, rules
from portal.clients.rules import Access, BillingMode, Grant, LinkEvent, LinkStatus, Side
from portal.core.current import Current
from portal.core.tokens import new_token, token_hash
from portal.errors import Conflict, FormErrors, NotFound
from portal.forms import CONTROL_CHARACTERS_PROBLEM, has_control_characters
from portal.mail.services import Mail, queue_mail
from portal.organisations import queries as organisation_queries
from portal.organisations.services import INVITATION_LIFETIME
from portal.piccolo_conf import DB
from portal.settings import Settings
from portal.webhooks.events import emit
from portal.webhooks.rules import EventType


def _now() -> datetime:
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
    await queries.expire_overdue(organisation_id, _now())


async def load_link(current: Current, link_id: int, action: Action) -> dict:
    """The link, if the actor's organisation is one of its sides and access.py allows."""
    organisation = current.organisation_resource()
    await queries.expire_overdue(organisation.organisation_id, _now())
    link = await queries.link_seen_by(organisation.organisation_id, link_id)
    if link is None:
        raise NotFound()
    require(current.actor, action, link_resource(link))
    return link


async def _record_both(
    link: dict,
    current: Current,
    action: str,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    """One entry in each side's log, about the other side (its name is the subject, so each
    side can find its history with the other); the entry written in the other side's log
    names whom the actor acted for."""
    sides = {
        link["partner"]: link.get("client_name") or link.get("invited_email") or "",
        link["client"]: link.get("partner_name") or "",
    }
    for organisation_id, other_side in sides.items():
        if organisation_id is None:
            continue
        acting_for = current.organisation.id if organisation_id != current.organisation.id else None
        await record(organisation_id, _who(current, acting_for), action, other_side, before, after)


async def _mail_side(organisation_id: int, subject: str, body: str) -> None:
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


async def _tell_both(link: dict, event_type: EventType, payload: dict) -> None:
    """Each side's webhooks, in the change's transaction."""
    for organisation_id in (link["partner"], link.get("client")):
        await emit(event_type, organisation_id, payload)


def _covered(grant: Grant | None, products: dict[int, str]) -> set[int]:
    if grant is None:
        return set()
    return {pid for pid, family in products.items() if grant.covers(pid, family)}


def _link_url(settings: Settings, link: dict, side: Side) -> str:
    path = "/clients/" if side is Side.PARTNER else "/organisation/partners/"
    return f"{settings.base_url}{path}{link['id']}"


# --- a partner invites a client ------------------------------------------------------------


async def invite_client(
    settings: Settings, current: Current, email: str, requested: Grant, message: str
) -> int:
    partner = current.organisation_resource()
    require(current.actor, Action.INVITE_CLIENT, partner)
    # the partner names categories only: products are the client's to pick, and so is who pays
    requested = Grant(requested.access, requested.families)
    problems = {k: v for k, v in rules.grant_problems(requested).items() if k != "billing_mode"}
    if "products" in problems:
        problems["families"] = "Choose at least one category, or ask for full access."
        del problems["products"]
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
                "created_by": current.user_id,
                "expires_at": _now() + rules.INVITATION_LIFETIME,
            }
        )
        await record(
            partner.organisation_id,
            _who(current),
            "link.requested",
            email,
            after=rules.grant_snapshot(requested),
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
                + (f"\nTheir message:\n{message}\n" if message else "")
                + "\nYou decide what they may manage — you can grant other rights than "
                "requested. Review the request here (a legal representative of your "
                "organisation must answer; the link is valid for "
                f"{rules.INVITATION_LIFETIME.days} days):\n\n"
                f"{settings.base_url}/links/invitations/{token}\n",
            ),
            awaited=True,  # the link is the only way to the request
        )
    return link_id


async def open_invitation(token: str) -> dict:
    link = await queries.link_by_token(token_hash(token))
    if link is None:
        raise Conflict("This invitation link is not valid, or was answered already.")
    status = LinkStatus(link["status"])
    if rules.is_expired(status, link["expires_at"], _now()):
        raise Conflict("This invitation has expired. Ask the partner for a new one.")
    if status is not LinkStatus.AWAITING_CLIENT:
        raise Conflict(rules.STATUS_PROBLEMS[status])
    return link


async def grant_invitation(settings: Settings, current: Current, token: str, grant: Grant) -> int:
    """The client answers a partner's invitation, with the rights it chooses to give."""
    invitation = await open_invitation(token)
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
    async with DB.transaction():
        link = await queries.lock_link(invitation["id"], client.organisation_id)
        if link["status"] != LinkStatus.AWAITING_CLIENT:
            raise Conflict(rules.STATUS_PROBLEMS[LinkStatus(link["status"])])
        if await queries.open_link_between(link["partner"], client.organisation_id):
            raise Conflict(
                f"{invitation['partner_name']} is already your partner, or a request "
                f"between you is waiting."
            )
        link["client"] = client.organisation_id
        link |= {
            "partner_name": invitation["partner_name"],
            "client_name": current.organisation.name,
        }
        grant = await _activate(link, grant, LinkEvent.CLIENT_GRANTS)
        await _record_both(
            link,
            current,
            "link.granted",
            before={"requested": rules.grant_snapshot(queries.requested_grant_of(link))},
            after={"granted": rules.grant_snapshot(grant)},
        )
        await _tell_both(link, EventType.LINK_GRANTED, link_event(link, grant, granted_by="client"))
        await _mail_side(
            link["partner"],
            f"{current.organisation.name} answered your request",
            f"{current.organisation.name} accepted you as partner.\n\n"
            f"You asked for: {rules.describe(queries.requested_grant_of(link))}\n"
            f"They granted:  {rules.describe(grant)}\n\n"
            f"{_link_url(settings, link, Side.PARTNER)}\n",
        )
    return link["id"]


async def decline_invitation(current: Current, token: str) -> None:
    invitation = await open_invitation(token)
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
            link["id"], {"status": status, "token_hash": None, "decided_at": _now()}
        )
        await record(
            link["partner"],
            _who(current, client.organisation_id),
            "link.declined",
            current.organisation.name,
        )
        await _mail_side(
            link["partner"],
            f"{current.organisation.name} declined your request",
            f"{current.organisation.name} declined your request to manage their products.\n",
        )


# --- a client adds a partner ---------------------------------------------------------------


async def request_partner(
    settings: Settings, current: Current, partner_id: int, grant: Grant, message: str
) -> int:
    client = current.organisation_resource()
    require(current.actor, Action.ADD_PARTNER, client)
    partner = await queries.programme_member(partner_id)
    if partner is None or partner_id == client.organisation_id:
        raise FormErrors({"partner": "Choose a partner of the programme from the search."})
    products = await queries.client_products(client.organisation_id)
    grant = rules.normalised(grant)
    problems = rules.grant_problems(grant, products)
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
                "expires_at": _now() + rules.INVITATION_LIFETIME,
            }
        )
        link = {
            "id": link_id,
            "partner": partner_id,
            "client": client.organisation_id,
            "partner_name": partner["name"],
            "client_name": current.organisation.name,
        }
        await _record_both(link, current, "link.requested", after=rules.grant_snapshot(grant))
        await _tell_both(
            link,
            EventType.LINK_REQUESTED,
            link_event(link, requested_by="client", requested=rules.grant_snapshot(grant)),
        )
        await _mail_side(
            partner_id,
            f"{current.organisation.name} wants you as their partner",
            f"{current.full_name} of {current.organisation.name} would like your organisation to "
            f"manage their products with this access: {rules.describe(grant)}.\n"
            + (f"\nTheir message:\n{message}\n" if message else "")
            + f"\nAccept or refuse here:\n{_link_url(settings, link, Side.PARTNER)}\n",
        )
    return link_id


async def answer_request(settings: Settings, current: Current, link_id: int, accept: bool) -> None:
    """The partner accepts or refuses a client's request."""
    link = await load_link(current, link_id, Action.DECIDE_AS_PARTNER)
    async with DB.transaction():
        locked = await queries.lock_link(link_id, link["client"])
        if locked["status"] != LinkStatus.AWAITING_PARTNER:
            raise Conflict(rules.STATUS_PROBLEMS[LinkStatus(locked["status"])])
        if accept:
            grant = await _activate(
                locked, queries.requested_grant_of(locked), LinkEvent.PARTNER_ACCEPTS
            )
            await _record_both(
                link,
                current,
                "link.accepted",
                after=rules.grant_snapshot(grant),
            )
            await _tell_both(
                link, EventType.LINK_GRANTED, link_event(link, grant, granted_by="partner")
            )
        else:
            await queries.update_link(link_id, {"status": LinkStatus.REFUSED, "decided_at": _now()})
            await _record_both(link, current, "link.refused")
        verdict = "accepted" if accept else "refused"
        await _mail_side(
            link["client"],
            f"{link['partner_name']} {verdict} your request",
            f"{link['partner_name']} {verdict} to become your partner.\n\n"
            f"{_link_url(settings, link, Side.CLIENT)}\n",
        )


async def withdraw_request(current: Current, link_id: int) -> None:
    """The side that asked takes its pending request back."""
    link = await load_link(current, link_id, Action.WITHDRAW_REQUEST)
    async with DB.transaction():
        locked = await queries.lock_link(link_id, link["client"])
        status = rules.next_status(LinkStatus(locked["status"]), LinkEvent.WITHDRAWN)
        await queries.update_link(
            link_id, {"status": status, "token_hash": None, "ended_at": _now()}
        )
        await _record_both(link, current, "link.withdrawn")


# --- activation, changes, stop -------------------------------------------------------------


async def _activate(link: dict, grant: Grant, event: LinkEvent) -> Grant:
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
            values["decided_at"] = _now()
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


async def change_grant(settings: Settings, current: Current, link_id: int, grant: Grant) -> None:
    """Only the client changes access kind, product selection or billing mode."""
    link = await load_link(current, link_id, Action.CHANGE_LINK)
    before = queries.grant_of(link)
    async with DB.transaction():
        locked = await queries.lock_link(link_id, link["client"])
        locked["client"] = link["client"]
        grant = await _activate(locked, grant, LinkEvent.CHANGED)
        if grant == before:
            return
        await _record_both(
            link,
            current,
            "link.changed",
            before=rules.grant_snapshot(before),
            after=rules.grant_snapshot(grant),
        )
        await _tell_changes(link, before, grant)
        await _mail_side(
            link["partner"],
            f"{link['client_name']} changed your access",
            f"{link['client_name']} changed what your organisation manages for them.\n\n"
            f"Before: {rules.describe(before)}\nNow:    {rules.describe(grant)}\n\n"
            f"It applies from now on.\n{_link_url(settings, link, Side.PARTNER)}\n",
        )


async def _tell_changes(link: dict, before: Grant | None, after: Grant) -> None:
    """The change of access, and the products it delegates or withdraws, to both sides."""
    await _tell_both(
        link, EventType.LINK_CHANGED, link_event(link, after, before=rules.grant_snapshot(before))
    )
    products = await queries.client_products(link["client"])
    was, now = _covered(before, products), _covered(after, products)
    for event_type, product_ids in (
        (EventType.PRODUCT_DELEGATED, now - was),
        (EventType.PRODUCT_WITHDRAWN, was - now),
    ):
        if product_ids:
            await _tell_both(link, event_type, link_event(link, after, product_ids=product_ids))


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
        status = rules.next_status(LinkStatus(locked["status"]), LinkEvent.STOPPED)
        await queries.update_link(
            link_id, {"status": status, "ended_at": _now(), "ended_by": current.organisation.id}
        )
        await queries.end_delegation(link_id)
        await _record_both(
            link,
            current,
            "link.stopped",
            before=rules.grant_snapshot(queries.grant_of(link)),
        )
        await _tell_both(
            link,
            EventType.LINK_STOPPED,
            link_event(link, queries.grant_of(link), stopped_by=current.organisation.id),
        )
        other = link["client"] if current.organisation.id == link["partner"] else link["partner"]
        await _mail_side(
            other,
            f"{current.organisation.name} ended your collaboration",
            f"{current.organisation.name} ended the collaboration between "
            f"{link['partner_name']} (partner) and {link['client_name']} (client). The partner's "
            f"access ended at once.\n",
        )
    return link


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
    before = {
        "people": sorted(link["assigned_user_ids"] or []),
        "teams": sorted(link["assigned_team_ids"] or []),
    }
    async with DB.transaction():
        await queries.replace_assignments(link_id, sorted(account_ids), sorted(team_ids))
        await record(
            link["partner"],
            _who(current),
            "link.collaborators_set",
            link["client_name"] or link["invited_email"],  # a pending invitation: no client yet
            before=before,
            after={"people": sorted(account_ids), "teams": sorted(team_ids)},
        )


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
        await _record_both(
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
        if await organisation_queries.pending_invitation_for(link["client"], email, None, _now()):
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
                "expires_at": _now() + INVITATION_LIFETIME,
            }
        )
        await _record_both(
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
                f"Partner Portal.\n\nAccept here:\n{settings.base_url}/invitations/{token}\n",
            ),
            awaited=True,  # the link is the way in
        )
