"""The directory's search reads one GIN index: the words and the facets (the filters' tokens
and the ranking window), two generated columns, so that every condition of a search is
answered inside the index and only the listings that match are read.

The words hold every prefix of every word (up to rules.PREFIX_MAX letters): a visitor's
prefix is then one exact key of the index, where a prefix query (`web:*`) made GIN merge
the lists of every word it begins, a cost that grew with the directory. Weights are gone:
the ranking comes from evidence, never from the text. The ranking index leads with the
window. The next evidence refresh computes the windows."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T03:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "directory facets and one search index"

SQL = """
CREATE FUNCTION directory_words(document text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT array_to_tsvector(ARRAY(
    SELECT left(word, n)
    FROM unnest(tsvector_to_array(to_tsvector('simple'::regconfig, directory_fold(document))))
         AS word,
         generate_series(1, least(length(word), 24)) AS n))
$$;

CREATE FUNCTION directory_facets(
  languages varchar[], specialities varchar[], country varchar, region varchar,
  rank_window smallint
) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ARRAY(SELECT 'l:' || code FROM unnest(languages) AS code)
      || ARRAY(SELECT 's:' || code FROM unnest(specialities) AS code)
      || ('c:' || country)
      || CASE WHEN region = '' THEN '{}'::text[] ELSE ARRAY['r:' || region] END
      || ('w:' || rank_window)
$$;

ALTER TABLE directory_listing ADD COLUMN facets text[] GENERATED ALWAYS AS (
  directory_facets(languages, specialities, country, region, rank_window)
) STORED;

DROP INDEX directory_listing_search, directory_listing_place, directory_listing_languages,
  directory_listing_specialities, directory_listing_rank;

ALTER TABLE directory_listing DROP COLUMN search_document;
ALTER TABLE directory_listing ADD COLUMN search_document tsvector GENERATED ALWAYS AS (
  directory_words(name || ' ' || description || ' ' || website)
) STORED;

CREATE INDEX directory_listing_find ON directory_listing USING gin (search_document, facets)
  WHERE published AND partner_active;
CREATE INDEX directory_listing_rank ON directory_listing
  (rank_window, rank_score DESC, rank_tiebreak, organisation) WHERE published AND partner_active;

-- A search reads its ranking windows in order (UNION ALL under a LIMIT): a parallel plan
-- could interleave them.
ALTER TABLE directory_listing SET (parallel_workers = 0);

UPDATE directory_state SET refreshed_at = NULL;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="directory", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
