"""Organisations' redundant indexes: membership (organisation), team (organisation) and
team_member (team) lead membership_one_per_person, team_name_unique and
team_member_once."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import ForeignKey

ID = "2026-12-03T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "organisation indexes for big tenants"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="organisations", description=DESCRIPTION)
    manager.alter_column(
        table_class_name="Membership",
        tablename="membership",
        column_name="organisation",
        db_column_name="organisation",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
    )
    manager.alter_column(
        table_class_name="Team",
        tablename="team",
        column_name="organisation",
        db_column_name="organisation",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
    )
    manager.alter_column(
        table_class_name="TeamMember",
        tablename="team_member",
        column_name="team",
        db_column_name="team",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
    )

    return manager
