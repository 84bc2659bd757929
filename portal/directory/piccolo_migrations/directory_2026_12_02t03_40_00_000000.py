"""One GIN index per ranking window (partial on the window), in place of one for the whole
directory: a GIN scan reads the whole list of every key it looks up (every listing with
'French', every one whose words begin with 'web'), so a search that read two windows of a
10,000-partner directory read those lists twice at full length. Each window's index holds
its own listings only, so a search reads about as much at 10,000 partners as at 1,000.

The facets lose their window token (the index's predicate says the window now). Windows
are now the first 200 places, the next 2,000, the next 20,000 and the rest
(rules.WINDOW_SIZES; a test checks an index exists for each)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T03:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "directory: one search index per ranking window"

WINDOWS = 4
INDEXES = "\n".join(
    f"""CREATE INDEX directory_listing_find_{window} ON directory_listing
  USING gin (search_document, facets)
  WHERE published AND partner_active AND rank_window = {window};"""
    for window in range(1, WINDOWS + 1)
)

SQL = f"""
DROP INDEX directory_listing_find;
ALTER TABLE directory_listing DROP COLUMN facets;
DROP FUNCTION directory_facets(varchar[], varchar[], varchar, varchar, smallint);

CREATE FUNCTION directory_facets(
  languages varchar[], specialities varchar[], country varchar, region varchar
) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ARRAY(SELECT 'l:' || code FROM unnest(languages) AS code)
      || ARRAY(SELECT 's:' || code FROM unnest(specialities) AS code)
      || ('c:' || country)
      || CASE WHEN region = '' THEN '{{}}'::text[] ELSE ARRAY['r:' || region] END
$$;
ALTER TABLE directory_listing ADD COLUMN facets text[] GENERATED ALWAYS AS (
  directory_facets(languages, specialities, country, region)
) STORED;

{INDEXES}

ALTER TABLE directory_listing ALTER COLUMN rank_window SET DEFAULT {WINDOWS};
UPDATE directory_listing SET rank_window = {WINDOWS} WHERE rank_window > {WINDOWS};
UPDATE directory_state SET refreshed_at = NULL;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="directory", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
