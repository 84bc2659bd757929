"""The public partner directory: one listing per partner that opted in, its logo, and the
directory's version (bumped whenever what a visitor could see changes)."""

from piccolo.columns import (
    Array,
    Boolean,
    Bytea,
    ForeignKey,
    Integer,
    OnDelete,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.directory.rules import LAST_WINDOW
from portal.organisations.tables import Organisation


class DirectoryListing(Table, tablename="directory_listing"):
    """What the partner wrote (description, place, languages, specialities, website) and the
    evidence the portal keeps up to date (status, badge, ranking). The full-text document
    (`search_document`, a generated column) and the indexes live in the raw-SQL migration."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, unique=True)
    slug = Varchar(length=90, unique=True)
    published = Boolean(default=False)  # the partner opted in
    name = Varchar(length=200)  # the organisation's, kept in step by a trigger
    description = Text(default="")
    country = Varchar(length=2)
    region = Varchar(length=10, default="")
    languages = Array(Varchar(length=5), default=list)
    specialities = Array(Varchar(length=30), default=list)
    website = Varchar(length=300, default="")
    logo_version = Integer(default=0)  # > 0: the logo's; ≤ 0: none (minus the last one's)
    # evidence, never typed by the partner
    partner_active = Boolean(default=False)
    verified = Boolean(default=False)
    tier = Varchar(length=60, default="")
    active_clients = Integer(default=0)
    tenders_received = Integer(default=0)
    tenders_answered = Integer(default=0)
    rank_score = SmallInt(default=0)
    rank_tiebreak = Integer(default=0)
    rank_window = SmallInt(default=LAST_WINDOW)  # rules.rank_window of its place
    evidence_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class DirectoryLogo(Table, tablename="directory_logo"):
    """The logo as re-encoded by the portal (WebP, bounded size, no metadata)."""

    listing = ForeignKey(DirectoryListing, on_delete=OnDelete.cascade, unique=True)
    image = Bytea()
    media_type = Varchar(length=30, default="image/webp")
    width = Integer()
    height = Integer()
    uploaded_at = Timestamptz(default=TimestamptzNow())


class DirectoryState(Table, tablename="directory_state"):
    """One row: the directory's version (part of every ETag and cache key), the week whose
    seed orders ties, and when the evidence was last refreshed."""

    version = Integer(default=1)
    seed_week = Integer(default=0)
    refreshed_at = Timestamptz(null=True, default=None)
