"""The directory's search and evidence, in SQL Piccolo cannot express: an accent-folding
function (the embedded server has no `unaccent` extension, so an immutable fold of our own),
the full-text document as a generated column with its GIN index, the ranking index, the
filters' indexes, and triggers that keep a listing in step with its organisation (name,
partner status) and bump the directory's version whenever a listing changes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-01T23:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "directory search, ranking and version"

FOLD_FROM = "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžſƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳØøĐđŁłÐð"
FOLD_TO = "aaaaaaceeeeiiiinooooouuuuyaaaaaaceeeeiiiinooooouuuuyyaaaaaaccccccccddeeeeeeeeeegggggggghhiiiiiiiiijjkkllllllnnnnnnoooooorrrrrrssssssssttttuuuuuuuuuuuuwwyyyzzzzzzsoouuaaiioouuuuuuuuuuaaaaggkkoooojggnnaaaaaaeeeeiiiioooorrrruuuusstthhaaeeooooooooyyooddlldd"

SQL = f"""
CREATE FUNCTION directory_fold(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT lower(translate(
    replace(replace(replace(replace(replace(value, 'ß', 'ss'), 'Æ', 'ae'), 'æ', 'ae'),
            'Œ', 'oe'), 'œ', 'oe'),
    '{FOLD_FROM}', '{FOLD_TO}'))
$$;

ALTER TABLE directory_listing ADD COLUMN search_document tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('simple'::regconfig, directory_fold(name)), 'A')
  || setweight(to_tsvector('simple'::regconfig, directory_fold(description)), 'B')
  || to_tsvector('simple'::regconfig, directory_fold(website))
) STORED;

ALTER TABLE directory_listing ADD CONSTRAINT directory_listing_region_in_country
  CHECK (region = '' OR region LIKE country || '-%');

CREATE INDEX directory_listing_search ON directory_listing USING gin (search_document)
  WHERE published AND partner_active;
CREATE INDEX directory_listing_rank ON directory_listing
  (rank_score DESC, rank_tiebreak, organisation) WHERE published AND partner_active;
CREATE INDEX directory_listing_place ON directory_listing
  (country, region, rank_score DESC, rank_tiebreak, organisation)
  WHERE published AND partner_active;
CREATE INDEX directory_listing_languages ON directory_listing USING gin (languages)
  WHERE published AND partner_active;
CREATE INDEX directory_listing_specialities ON directory_listing USING gin (specialities)
  WHERE published AND partner_active;

INSERT INTO directory_state (version, seed_week, refreshed_at) VALUES (1, 0, NULL);

CREATE FUNCTION directory_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE directory_state SET version = version + 1;
  RETURN NULL;
END $$;

CREATE TRIGGER directory_listing_inserted AFTER INSERT ON directory_listing
  FOR EACH STATEMENT EXECUTE FUNCTION directory_bump_version();
CREATE TRIGGER directory_listing_deleted AFTER DELETE ON directory_listing
  FOR EACH STATEMENT EXECUTE FUNCTION directory_bump_version();
CREATE TRIGGER directory_listing_truncated AFTER TRUNCATE ON directory_listing
  FOR EACH STATEMENT EXECUTE FUNCTION directory_bump_version();
CREATE TRIGGER directory_listing_changed AFTER UPDATE ON directory_listing
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION directory_bump_version();

CREATE FUNCTION directory_follow_organisation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE directory_listing
     SET name = NEW.name, partner_active = (NEW.partner_status = 'active')
   WHERE organisation = NEW.id
     AND (name IS DISTINCT FROM NEW.name
          OR partner_active IS DISTINCT FROM (NEW.partner_status = 'active'));
  RETURN NULL;
END $$;

CREATE TRIGGER directory_follows_organisation
  AFTER UPDATE OF name, partner_status ON organisation
  FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name
                     OR OLD.partner_status IS DISTINCT FROM NEW.partner_status)
  EXECUTE FUNCTION directory_follow_organisation();
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="directory", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
