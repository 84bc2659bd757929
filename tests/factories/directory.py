"""The public directory: listed partners, and a directory fresh for each test."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime

import pytest

from portal.access import Role
from portal.directory import cache, services
from portal.directory.forms import ListingInput
from portal.directory.tables import DirectoryState
from portal.partners.queries import approve_registration
from tests.factories.partners import VALID_UID, organisation, person


@pytest.fixture(autouse=True)
async def fresh_directory(db):
    """Each test starts with a directory never refreshed and an empty page cache."""
    await DirectoryState.update(
        {DirectoryState.seed_week: 0, DirectoryState.refreshed_at: None}, force=True
    )
    cache.clear()
    yield
    cache.clear()


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
    representative = in_programme(representative)
    await services.save_listing(
        representative,
        ListingInput(published, description, country, region, languages, specialities, website),
    )
    return organisation_id


def in_programme(current):
    from dataclasses import replace

    return replace(current, actor=replace(current.actor, in_programme=True))


def forget_cached_pages() -> None:
    cache.clear()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims WIDTH × HEIGHT pixels: a decompression bomb's shape."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )
