"""Organisations, the people in them (members), invitations and work teams."""

from piccolo.columns import Boolean, ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.access import Role
from portal.accounts.tables import Account
from portal.core.enums import PartnerStatus
from portal.core.reference import OrganisationKind


class Organisation(Table, tablename="organisation"):
    name = Varchar(length=200)
    kind = Varchar(length=20, default=OrganisationKind.COMPANY, choices=OrganisationKind)
    country = Varchar(length=2)
    currency = Varchar(length=3)  # CHF | EUR, fixed at creation
    registration_number = Varchar(length=60, default="")
    vat_number = Varchar(length=40, default="")
    website = Varchar(length=300, default="")
    # none | applicant | active | flagged: where the organisation stands in the programme
    partner_status = Varchar(length=20, default=PartnerStatus.NONE, choices=PartnerStatus)
    # an affiliate cannot be a partner (docs/rules.md, The partner programme)
    is_affiliate = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class Membership(Table, tablename="membership"):
    """A user's place in an organisation. Product-level access of plain users hangs off it."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade)
    account = ForeignKey(Account, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=30, choices=Role)
    billing_rights = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class Team(Table, tablename="team"):
    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade)
    name = Varchar(length=100)
    leader = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class TeamMember(Table, tablename="team_member"):
    """A team's member; an external user is one with no membership in the organisation."""

    team = ForeignKey(Team, on_delete=OnDelete.cascade)
    account = ForeignKey(Account, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Invitation(Table, tablename="invitation"):
    """An emailed invitation to join the organisation (or, with a team, only that team)."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    email = Varchar(length=320)
    role = Varchar(length=30, default=Role.USER, choices=Role)
    billing_rights = Boolean(default=False)
    team = ForeignKey(Team, on_delete=OnDelete.cascade, null=True, default=None)
    token_hash = Varchar(length=64, unique=True)
    invited_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    message = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    accepted_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class Referral(Table, tablename="referral"):
    """An affiliate's referral of a new customer, recorded when the customer signs up;
    commissions run 365 days from it. Its migrations are the partner programme's
    (portal/partners/piccolo_app.py registers it)."""

    affiliate = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    customer = ForeignKey(Organisation, on_delete=OnDelete.cascade, unique=True)
    referred_at = Timestamptz(default=TimestamptzNow())
