"""Partners with directory listings, written through the directory's own service (so that
their evidence is computed as in production) on organisations written straight to the
database."""

from __future__ import annotations

from datetime import UTC, datetime

from portal.access import Role
from portal.directory import cache, services
from portal.directory.forms import ListingInput
from portal.partners.queries import approve_registration
from tests.db.partners.world import VALID_UID, organisation, person


async def listed_partner(
    name: str,
    *,
    description: str = "We build websites and look after them for small companies.",
    country: str = "CH",
    region: str = "",
    languages: tuple[str, ...] = ("de",),
    specialities: tuple[str, ...] = ("website_creation",),
    status: str = "active",
    published: bool = True,
    registration_number: str = VALID_UID,
    website: str = "https://example.ch",
    email: str | None = None,
    approved: bool = True,
) -> int:
    """An organisation of STATUS with its listing saved by a legal representative."""
    organisation_id = await organisation(
        name,
        country=country,
        status=status,
        registration_number=registration_number,
        website=website,
    )
    if approved and status in ("active", "flagged"):  # the programme approved its numbers
        await approve_registration(organisation_id, registration_number, "", datetime.now(UTC))
    email = email or f"rep{organisation_id}@example.ch"
    representative = await person(organisation_id, email, Role.LEGAL_REPRESENTATIVE)
    representative = _in_programme(representative)
    await services.save_listing(
        representative,
        ListingInput(published, description, country, region, languages, specialities, website),
    )
    return organisation_id


def _in_programme(current):
    from dataclasses import replace

    return replace(current, actor=replace(current.actor, in_programme=True))


def forget_cached_pages() -> None:
    cache.clear()
