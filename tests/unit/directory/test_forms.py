"""The listing form's one table of fields (review item 5): what the form reads, shows and
stores all follow ListingInput."""

from litestar.datastructures import UploadFile

from portal.directory.forms import (
    LISTING_FIELDS,
    ListingInput,
    entered_values,
    form_values,
    listing_from,
    logo_from,
)
from portal.directory.queries import LISTING_COLUMNS
from portal.directory.tables import DirectoryListing
from portal.forms import Form

ENTERED = ListingInput(
    True,
    "We build web shops for craftsmen in Vaud.",
    "CH",
    "CH-VD",
    ("fr", "en"),
    ("website_creation", "e_shop"),
    "https://atelier.example",
)


class MultiDict(dict):
    """A submitted form: the repeated fields give several values."""

    def getall(self, name, default):
        value = self.get(name, default)
        return value if isinstance(value, list) else [value]


def test_every_field_is_stored_and_read_back():
    columns = {column._meta.name for column in DirectoryListing._meta.columns}
    loaded = {column._meta.name for column in LISTING_COLUMNS}
    assert set(LISTING_FIELDS) <= columns and set(LISTING_FIELDS) <= loaded


def test_a_listing_goes_round_the_form_unchanged():
    submitted = MultiDict(
        {
            name: ("on" if value else "") if name == "published" else value
            for name, value in entered_values(ENTERED).items()
        }
    )
    entered, errors = listing_from(submitted)
    assert errors == {} and entered == ENTERED


def test_the_form_shows_the_saved_listing_or_defaults_with_the_same_fields():
    saved = {**entered_values(ENTERED), "id": 7, "slug": "atelier"}
    assert form_values(saved, {}) == entered_values(ENTERED)
    defaults = form_values(None, {"country": "FR", "website": "https://x.example"})
    assert list(defaults) == list(LISTING_FIELDS)
    assert (defaults["country"], defaults["website"], defaults["published"]) == (
        "FR",
        "https://x.example",
        True,
    )


def test_a_logo_is_an_uploaded_file_and_text_is_no_logo():
    upload = UploadFile(content_type="image/png", filename="logo.png")
    assert logo_from(Form({"logo": upload})) is upload
    assert logo_from(Form({"logo": "data:image/png;base64,AAAA"})) is None
    assert logo_from(Form({})) is None
