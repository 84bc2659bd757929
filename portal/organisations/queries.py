"""Reads and writes of organisations, members, invitations and teams — always scoped by the
organisation the actor acts in, so another tenant's row is never loaded."""

from __future__ import annotations

import json
from datetime import datetime

from portal.access import Role
from portal.accounts.tables import Account
from portal.database import CHANGE_LOCK, storable_id
from portal.organisations.tables import (
    Invitation,
    Membership,
    Organisation,
    Referral,
    Team,
    TeamMember,
)
from portal.paging import FIRST, Kind, Order, Page, Position, Window, read_page

PAGE_SIZE = 50


def _storable(*ids: int | None) -> bool:
    return storable_id(*ids)


async def organisation(organisation_id: int) -> dict | None:
    if not _storable(organisation_id):
        return None
    return await Organisation.select().where(Organisation.id == organisation_id).first()


async def lock_organisation(organisation_id: int) -> None:
    """Serialise role changes of one organisation (two legal representatives demoting each
    other at once must not leave it with none)."""
    await (
        Organisation.select(Organisation.id)
        .where(Organisation.id == organisation_id)
        .lock_rows(CHANGE_LOCK)
    )


async def insert_organisation(values: dict) -> int:
    rows = await Organisation.insert(Organisation(**values)).returning(Organisation.id)
    return rows[0]["id"]


async def update_organisation(organisation_id: int, values: dict) -> None:
    await Organisation.update(values).where(Organisation.id == organisation_id)


# --- members -------------------------------------------------------------------------------

# By name; the account id orders namesakes. The page's rows are chosen first, and their teams
# looked up for those rows only.
MEMBER_ORDER = Order(("a.full_name", "a.id"), ("full_name", "account_id"), (Kind.TEXT, Kind.ID))
MEMBERS_SQL = """
SELECT m.*, a.totp_secret IS NOT NULL AS totp_enabled,
       ARRAY(SELECT t.name FROM team_member tm JOIN team t ON t.id = tm.team
             WHERE tm.account = m.account_id AND t.organisation = m.organisation
             ORDER BY t.name) AS teams
FROM (SELECT m.id, m.organisation, m.role, m.billing_rights, m.created_at,
             a.id AS account_id, a.email, a.full_name
      FROM membership m JOIN account a ON a.id = m.account
      WHERE m.organisation = {{}} {keyset}
      ORDER BY {order} LIMIT {limit}) m
JOIN account a ON a.id = m.account_id
ORDER BY {outer_order}
"""


async def members(organisation_id: int, position: Position = FIRST) -> Page:
    async def fetch(window: Window) -> list[dict]:
        sql = MEMBERS_SQL.format(
            keyset=window.and_condition(),
            order=window.order_by,
            limit=window.limit,
            outer_order=window.order_by_keys("m"),
        )
        return await Membership.raw(sql, organisation_id, *window.arguments)

    return await read_page(MEMBER_ORDER.window(position, PAGE_SIZE), fetch)


async def member_choices(organisation_id: int) -> list[dict]:
    return await Membership.raw(
        """SELECT a.id, a.full_name, a.email FROM membership m JOIN account a ON a.id = m.account
           WHERE m.organisation = {} ORDER BY a.full_name LIMIT 1000""",
        organisation_id,
    )


async def membership(organisation_id: int, membership_id: int) -> dict | None:
    if not _storable(membership_id):
        return None
    rows = await Membership.raw(
        """SELECT m.id, m.role, m.billing_rights, a.id AS account_id, a.email, a.full_name
           FROM membership m JOIN account a ON a.id = m.account
           WHERE m.organisation = {} AND m.id = {}""",
        organisation_id,
        membership_id,
    )
    return rows[0] if rows else None


async def is_member(organisation_id: int, account_id: int) -> bool:
    if not _storable(account_id):
        return False
    return await Membership.exists().where(
        Membership.organisation == organisation_id, Membership.account == account_id
    )


async def count_legal_representatives(organisation_id: int) -> int:
    return await Membership.count().where(
        Membership.organisation == organisation_id, Membership.role == Role.LEGAL_REPRESENTATIVE
    )


async def insert_membership(
    organisation_id: int, account_id: int, role: str, billing_rights: bool
) -> None:
    await Membership.insert(
        Membership(
            organisation=organisation_id,
            account=account_id,
            role=role,
            billing_rights=billing_rights,
        )
    )


async def update_membership(membership_id: int, role: str, billing_rights: bool) -> None:
    await Membership.update(
        {Membership.role: role, Membership.billing_rights: billing_rights}
    ).where(Membership.id == membership_id)


async def delete_membership(organisation_id: int, membership_id: int, account_id: int) -> None:
    """The member leaves the organisation, its teams, and the lead of any of them."""
    await Membership.delete().where(Membership.id == membership_id)
    await TeamMember.delete().where(
        TeamMember.account == account_id,
        TeamMember.team.is_in(Team.select(Team.id).where(Team.organisation == organisation_id)),
    )
    await Team.update({Team.leader: None}).where(
        Team.organisation == organisation_id, Team.leader == account_id
    )


async def role_counts(organisation_id: int) -> dict[str, int]:
    rows = await Membership.raw(
        "SELECT role, count(*) AS n FROM membership WHERE organisation = {} GROUP BY role",
        organisation_id,
    )
    return {row["role"]: row["n"] for row in rows}


async def account_organisation(account_id: int, organisation_id: int) -> bool:
    """Whether the account may act in the organisation: a member, or a guest of one of its
    teams."""
    rows = await Membership.raw(
        """SELECT 1 FROM membership WHERE account = {} AND organisation = {}
           UNION ALL
           SELECT 1 FROM team_member tm JOIN team t ON t.id = tm.team
           WHERE tm.account = {} AND t.organisation = {} LIMIT 1""",
        account_id,
        organisation_id,
        account_id,
        organisation_id,
    )
    return bool(rows)


# --- invitations ---------------------------------------------------------------------------


async def pending_invitations(organisation_id: int, now: datetime) -> list[dict]:
    rows = await Invitation.raw(
        """SELECT i.id, i.email, i.role, i.billing_rights, i.created_at, i.expires_at,
                  t.name AS team_name, a.full_name AS invited_by
           FROM invitation i LEFT JOIN team t ON t.id = i.team
           LEFT JOIN account a ON a.id = i.invited_by
           WHERE i.organisation = {} AND i.accepted_at IS NULL AND i.revoked_at IS NULL
             AND i.expires_at > {}
           ORDER BY i.created_at DESC LIMIT 200""",
        organisation_id,
        now,
    )
    return rows


async def pending_invitation_for(
    organisation_id: int, email: str, team_id: int | None, now: datetime
) -> dict | None:
    query = Invitation.select(Invitation.id).where(
        Invitation.organisation == organisation_id,
        Invitation.email == email,
        Invitation.accepted_at.is_null(),
        Invitation.revoked_at.is_null(),
        Invitation.expires_at > now,
    )
    query = query.where(
        Invitation.team.is_null() if team_id is None else Invitation.team == team_id
    )
    return await query.first()


async def insert_invitation(values: dict) -> int:
    rows = await Invitation.insert(Invitation(**values)).returning(Invitation.id)
    return rows[0]["id"]


async def invitation_by_token(token_hash: str) -> dict | None:
    rows = await Invitation.raw(
        """SELECT i.*, o.name AS organisation_name, t.name AS team_name,
                  a.full_name AS invited_by_name
           FROM invitation i JOIN organisation o ON o.id = i.organisation
           LEFT JOIN team t ON t.id = i.team LEFT JOIN account a ON a.id = i.invited_by
           WHERE i.token_hash = {}""",
        token_hash,
    )
    return rows[0] if rows else None


async def lock_invitation(invitation_id: int) -> dict | None:
    return (
        await Invitation.select()
        .where(Invitation.id == invitation_id)
        .lock_rows(CHANGE_LOCK)
        .first()
    )


async def invitation_in(organisation_id: int, invitation_id: int) -> dict | None:
    if not _storable(invitation_id):
        return None
    return (
        await Invitation.select()
        .where(Invitation.id == invitation_id, Invitation.organisation == organisation_id)
        .first()
    )


async def mark_invitation(invitation_id: int, **values: datetime) -> None:
    await Invitation.update(values).where(Invitation.id == invitation_id)


async def renew_invitation(invitation_id: int, token_hash: str, expires_at: datetime) -> None:
    await Invitation.update(
        {Invitation.token_hash: token_hash, Invitation.expires_at: expires_at}
    ).where(Invitation.id == invitation_id)


# --- teams ---------------------------------------------------------------------------------

# By name (unique in an organisation whatever the case), then id.
TEAM_ORDER = Order(("lower(t.name)", "t.id"), ("sort_name", "id"), (Kind.TEXT, Kind.ID))
TEAMS_SQL = """
SELECT t.*, l.full_name AS leader_name,
       (SELECT count(*) FROM team_member tm WHERE tm.team = t.id) AS member_count
FROM (SELECT t.id, t.name, lower(t.name) AS sort_name, t.created_at, t.leader AS leader_id
      FROM team t
      WHERE t.organisation = {{}} AND ({{}} OR t.id = ANY({{}}::int[])) {keyset}
      ORDER BY {order} LIMIT {limit}) t
LEFT JOIN account l ON l.id = t.leader_id
ORDER BY {outer_order}
"""


async def teams(
    organisation_id: int, position: Position = FIRST, only: frozenset[int] | None = None
) -> Page:
    """A page of the organisation's teams; ONLY: just these (a team guest sees their own)."""

    async def fetch(window: Window) -> list[dict]:
        sql = TEAMS_SQL.format(
            keyset=window.and_condition(),
            order=window.order_by,
            limit=window.limit,
            outer_order=window.order_by_keys("t"),
        )
        return await Team.raw(
            sql, organisation_id, only is None, list(only or ()), *window.arguments
        )

    return await read_page(TEAM_ORDER.window(position, PAGE_SIZE), fetch)


async def team_choices(organisation_id: int) -> list[dict]:
    """Every team of the organisation, by name: what a form offers to choose from."""
    return await Team.raw(
        "SELECT id, name FROM team WHERE organisation = {} ORDER BY lower(name), id",
        organisation_id,
    )


async def team(organisation_id: int, team_id: int) -> dict | None:
    """The team, and whether it acts for clients: given a link that is open (awaiting an answer
    or active)."""
    if not _storable(team_id):
        return None
    rows = await Team.raw(
        """SELECT t.*, EXISTS (
                  SELECT 1 FROM client_assignment a JOIN partner_link l ON l.id = a.link
                  WHERE a.team = t.id
                    AND l.status IN ('awaiting_client', 'awaiting_partner', 'active')
               ) AS acts_for_clients
           FROM team t WHERE t.id = {} AND t.organisation = {}""",
        team_id,
        organisation_id,
    )
    return rows[0] if rows else None


async def team_name_taken(organisation_id: int, name: str, except_id: int | None = None) -> bool:
    """The same comparison as the unique index team_name_unique: lower(name)."""
    rows = await Team.raw(
        """SELECT 1 FROM team WHERE organisation = {} AND lower(name) = lower({})
           AND id <> {} LIMIT 1""",
        organisation_id,
        name,
        except_id or 0,
    )
    return bool(rows)


async def team_members(organisation_id: int, team_id: int) -> list[dict]:
    return await TeamMember.raw(
        """SELECT a.id AS account_id, a.full_name, a.email, tm.created_at,
                  m.role, m.id IS NULL AS external
           FROM team_member tm JOIN account a ON a.id = tm.account
           LEFT JOIN membership m ON m.account = a.id AND m.organisation = {}
           WHERE tm.team = {} ORDER BY a.full_name""",
        organisation_id,
        team_id,
    )


async def insert_team(organisation_id: int, name: str) -> int:
    rows = await Team.insert(Team(organisation=organisation_id, name=name)).returning(Team.id)
    return rows[0]["id"]


async def update_team(team_id: int, values: dict) -> None:
    await Team.update(values).where(Team.id == team_id)


async def delete_team(team_id: int) -> None:
    await Team.delete().where(Team.id == team_id)


async def in_team(team_id: int, account_id: int) -> bool:
    if not _storable(team_id, account_id):
        return False
    return await TeamMember.exists().where(
        TeamMember.team == team_id, TeamMember.account == account_id
    )


async def add_to_team(team_id: int, account_id: int) -> None:
    await TeamMember.raw(
        "INSERT INTO team_member (team, account) VALUES ({}, {}) ON CONFLICT DO NOTHING",
        team_id,
        account_id,
    )


async def remove_from_team(team_id: int, account_id: int) -> None:
    await TeamMember.delete().where(TeamMember.team == team_id, TeamMember.account == account_id)
    await Team.update({Team.leader: None}).where(Team.id == team_id, Team.leader == account_id)


async def account_email(account_id: int | None) -> str | None:
    """How the audit log names a person: by email (ids mean nothing to a reader)."""
    if account_id is None or not _storable(account_id):
        return None
    row = await Account.select(Account.email).where(Account.id == account_id).first()
    return row["email"] if row else None


async def team_count(organisation_id: int) -> int:
    return await Team.count().where(Team.organisation == organisation_id)


# The overview page's figures in one round trip (the page is the most visited one).
DASHBOARD_SQL = """
SELECT o.id, o.name, o.country, o.currency, o.kind,
       (SELECT coalesce(json_object_agg(r.role, r.n), json_build_object())
          FROM (SELECT role, count(*) AS n FROM membership WHERE organisation = o.id
                GROUP BY role) r) AS role_counts,
       (SELECT count(*) FROM team WHERE organisation = o.id) AS team_count,
       (SELECT count(*) FROM invitation i WHERE i.organisation = o.id
          AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > {})
           AS pending_invitations
FROM organisation o WHERE o.id = {}
"""


async def dashboard_summary(organisation_id: int, now: datetime) -> dict:
    rows = await Organisation.raw(DASHBOARD_SQL, now, organisation_id)
    summary = rows[0]
    summary["role_counts"] = json.loads(summary["role_counts"])
    return summary


async def insert_referral(affiliate_id: int, customer_id: int) -> None:
    """The affiliate whose link brought a new organisation; commissions run from here for 365
    days. An unknown id or a non-affiliate is ignored (a referral link is public and may be
    made up)."""
    if not storable_id(affiliate_id) or affiliate_id == customer_id:
        return
    affiliate = (
        await Organisation.select(Organisation.id)
        .where(Organisation.id == affiliate_id, Organisation.is_affiliate.eq(True))
        .first()
    )
    if affiliate is not None:
        await Referral.insert(Referral(affiliate=affiliate_id, customer=customer_id))
