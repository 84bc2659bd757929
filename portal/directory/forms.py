"""Reading a partner's listing form into typed values, or field errors."""

from __future__ import annotations

from dataclasses import dataclass, fields

from litestar.datastructures import UploadFile

from portal.core.reference import CANTONS, LANGUAGES, countries
from portal.directory.rules import DESCRIPTION_MAX, SPECIALITIES
from portal.forms import Form
from portal.organisations.rules import normalise_website


@dataclass(frozen=True)
class ListingInput:
    """The one table of a listing's fields, as the partner enters them: the form, the page
    that shows it, and the row that stores it all take their names from here."""

    published: bool
    description: str
    country: str
    region: str
    languages: tuple[str, ...]  # chosen several at once: they repeat in the form
    specialities: tuple[str, ...]
    website: str

    def values(self) -> dict:
        """Field name → value as stored and shown (lists for the repeated ones)."""
        return {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in ((name, getattr(self, name)) for name in LISTING_FIELDS)
        }


LISTING_FIELDS = tuple(field.name for field in fields(ListingInput))


def listing_from(data) -> tuple[ListingInput, dict[str, str]]:
    """DATA is the submitted form (a multi-dict: `languages` and `specialities` repeat)."""
    form = Form(data)
    published = form.checkbox("published")
    description = form.text(
        "description", max_length=DESCRIPTION_MAX, label="The description", multiline=True
    )
    country = form.choice("country", countries(), label="a country")
    region = form.text("region", max_length=10)
    if region and region not in CANTONS:
        form.add("region", "Choose a canton from the list.")
    elif region and country and not region.startswith(f"{country}-"):
        form.add("region", "A canton is a region of Switzerland; choose the country first.")
    languages = _chosen(form, "languages", LANGUAGES)
    specialities = _chosen(form, "specialities", SPECIALITIES)
    website, problem = normalise_website(form.text("website", max_length=300))
    if "website" not in form.errors:
        form.add("website", problem)
    if published:
        if len(description) < 20:
            form.add("description", "Describe your company in at least 20 characters.")
        if not languages:
            form.add("languages", "Choose at least one language you work in.")
        if not specialities:
            form.add("specialities", "Choose at least one speciality.")
    entered = ListingInput(
        published, description, country, region, languages, specialities, website
    )
    return entered, form.errors


def _chosen(form: Form, name: str, choices: dict) -> tuple[str, ...]:
    values = form.values(name, choices, label=name)
    if len(values) > len(choices):
        form.add(name, f"Choose {name} from the list.")
    return tuple(key for key in choices if key in values)


def form_values(listing: dict | None, organisation: dict) -> dict:
    """What the form shows: the saved listing, or sensible defaults before the first save."""
    if listing is None:
        return ListingInput(
            published=True,
            description="",
            country=organisation["country"],
            region="",
            languages=(),
            specialities=(),
            website=organisation["website"],
        ).values()
    return {name: listing[name] for name in LISTING_FIELDS}


def entered_values(entered: ListingInput) -> dict:
    return entered.values()


def logo_from(form: Form) -> UploadFile | None:
    """The uploaded logo; none (text where a file belongs) is refused by the service, which
    checks the image itself."""
    upload = form.value("logo")
    return upload if isinstance(upload, UploadFile) else None
