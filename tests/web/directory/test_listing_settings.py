"""A partner's listing settings through HTTP: who may edit it, field errors, and the logo
upload — real images re-encoded, anything else a clear 422 (or 413 past the body limit)."""

import io
import re

import pytest
from PIL import Image

from portal.organisations.tables import Organisation
from tests.factories.accounts import sign_up
from tests.factories.directory import png_claiming
from tests.factories.organisations import colleague
from tests.factories.web import post_form

LISTING = {
    "published": "on",
    "description": "Websites, shops and mail for small companies around Lausanne.",
    "country": "CH",
    "region": "CH-VD",
    "languages": ["fr", "en"],
    "specialities": ["website_creation", "e_shop"],
    "website": "lausanne-web.example.ch",
}


async def set_status(name: str, status: str) -> None:
    await Organisation.update({Organisation.partner_status: status}).where(
        Organisation.name == name
    )


@pytest.fixture
async def partner(client, db):
    """The legal representative of an active partner, logged in."""
    await sign_up(client, "rep@lausanne-web.ch", organisation="Lausanne Web Sàrl")
    await set_status("Lausanne Web Sàrl", "active")
    return client


def png(size=(200, 100)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(output, format="PNG")
    return output.getvalue()


async def upload(client, data: bytes, filename="logo.png", content_type="image/png"):
    await client.get("/directory/listing")
    return await client.post(
        "/directory/listing/logo",
        data={"_csrf_token": client.cookies.get("__Host-csrf")},
        files={"logo": (filename, data, content_type)},
    )


async def test_a_partner_publishes_a_listing_that_visitors_find(partner, client):
    page = await client.get("/directory/listing")
    assert page.status_code == 200 and "Save the listing" in page.text
    response = await post_form(client, "/directory/listing", LISTING)
    assert response.status_code == 303
    page = (await client.get("/directory/listing")).text
    assert "Shown" in page and "/directory/lausanne-web-sarl" in page
    public = await client.get("/directory?language=fr&q=lausan")
    assert "Lausanne Web Sàrl" in public.text
    profile = await client.get("/directory/lausanne-web-sarl")
    assert "https://lausanne-web.example.ch" in profile.text and "Vaud" in profile.text


async def test_a_hidden_listing_is_not_shown(partner, client):
    await post_form(client, "/directory/listing", {**LISTING, "published": ""})
    assert "directory-card-name" not in (await client.get("/directory")).text
    assert (await client.get("/directory/lausanne-web-sarl")).status_code == 404
    assert "You chose not to appear" in (await client.get("/directory/listing")).text


async def test_an_applicant_prepares_its_listing_before_it_shows(client, db):
    await sign_up(client, "rep@early.ch", organisation="Early Bird AG")
    await set_status("Early Bird AG", "applicant")
    assert (await post_form(client, "/directory/listing", LISTING)).status_code == 303
    assert "Only active partners appear" in (await client.get("/directory/listing")).text
    assert "directory-card-name" not in (await client.get("/directory")).text
    await set_status("Early Bird AG", "active")
    assert 'directory-card-name">Early Bird AG<' in (await client.get("/directory")).text


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"description": "Too short"}, "description", "at least 20 characters"),
        ({"languages": []}, "languages", "at least one language"),
        ({"languages": ["xx"]}, "languages", "from the list"),
        ({"specialities": ["plumbing"]}, "specialities", "from the list"),
        ({"country": "Narnia"}, "country", "Choose a country"),
        ({"region": "CH-XX"}, "region", "canton from the list"),
        ({"country": "FR"}, "region", "choose the country first"),
        ({"website": "javascript:alert(1)"}, "website", "web address"),
        ({"description": "x" * 2001}, "description", "at most 2000"),
        ({"description": "Nul\x00 in the middle of twenty chars"}, "description", "control"),
    ],
)
async def test_bad_input_is_a_422_beside_the_field(partner, client, change, field, message):
    response = await post_form(client, "/directory/listing", {**LISTING, **change})
    assert response.status_code == 422
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert (await client.get("/directory")).text.count("directory-card-name") == 0


async def test_only_managers_of_a_programme_organisation_edit_a_listing(partner, client, db):
    async with colleague(client, "user@lausanne-web.ch", "user") as user:
        assert (await user.get("/directory/listing")).status_code == 403
        response = await post_form(user, "/directory/listing", LISTING)
        assert response.status_code == 403
    async with colleague(client, "admin@lausanne-web.ch", "administrator") as admin:
        assert (await post_form(admin, "/directory/listing", LISTING)).status_code == 303


async def test_an_organisation_outside_the_programme_is_sent_to_it(client, db):
    await sign_up(client, "rep@plain.ch", organisation="Plain Client AG")
    response = await client.get("/directory/listing")
    assert response.status_code == 403
    assert 'href="/programme"' in response.text
    assert (await post_form(client, "/directory/listing", LISTING)).status_code == 403


async def test_an_anonymous_visitor_is_asked_to_log_in(client, db):
    response = await client.get("/directory/listing")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


# --- the logo ------------------------------------------------------------------------------


async def test_a_logo_is_re_encoded_served_and_removed(partner, client):
    await post_form(client, "/directory/listing", LISTING)
    response = await upload(client, png((1200, 600)))
    assert response.status_code == 303
    profile = (await client.get("/directory/lausanne-web-sarl")).text
    src = re.search(r'src="(/directory/lausanne-web-sarl/logo\?v=\d+)"', profile).group(1)
    logo = await client.get(src)
    assert logo.status_code == 200 and logo.headers["content-type"] == "image/webp"
    assert "immutable" in logo.headers["cache-control"]
    with Image.open(io.BytesIO(logo.content)) as image:
        assert image.format == "WEBP" and image.size == (400, 200)
    again = await client.get(src, headers={"If-None-Match": logo.headers["etag"]})
    assert again.status_code == 304
    assert (await client.get("/directory/listing/logo")).status_code == 200
    assert (await post_form(client, "/directory/listing/logo/delete")).status_code == 303
    assert "/logo?v=" not in (await client.get("/directory/lausanne-web-sarl")).text
    assert (await client.get("/directory/lausanne-web-sarl/logo")).status_code == 404


async def test_a_logo_is_re_encoded_off_the_event_loop(partner, client, monkeypatch):
    """Re-encoding takes up to a second of CPU: in the handler it would stall every request
    of the worker meanwhile."""
    import threading

    from portal.directory import services

    threads = []
    real_reencode = services.reencode_logo

    def recorded(data: bytes):
        threads.append(threading.current_thread())
        return real_reencode(data)

    monkeypatch.setattr(services, "reencode_logo", recorded)
    await post_form(client, "/directory/listing", LISTING)
    assert (await upload(client, png((300, 300)))).status_code == 303
    assert threads and threads[0] is not threading.main_thread()


async def test_a_logo_uploaded_after_a_removal_gets_a_url_never_used_before(partner, client):
    """Logo URLs are cached for a year as immutable: a new logo must never reuse one."""
    await post_form(client, "/directory/listing", LISTING)
    seen = set()
    for colour in ((0, 0, 255), (255, 0, 0)):
        image = io.BytesIO()
        Image.new("RGB", (300, 300), colour).save(image, format="PNG")
        assert (await upload(client, image.getvalue())).status_code == 303
        profile = (await client.get("/directory/lausanne-web-sarl")).text
        src = re.search(r'src="(/directory/lausanne-web-sarl/logo\?v=\d+)"', profile).group(1)
        own = (await client.get("/directory/listing")).text
        assert re.search(r'src="/directory/listing/logo\?v=\d+"', own)
        logo = await client.get(src)
        seen |= {src, logo.headers["etag"]}
        assert (await post_form(client, "/directory/listing/logo/delete")).status_code == 303
        assert "/logo?v=" not in (await client.get("/directory/lausanne-web-sarl")).text
        assert "Upload a logo" in (await client.get("/directory/listing")).text
    assert len(seen) == 4


def bomb() -> bytes:
    return png_claiming(50_000, 50_000)


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "message"),
    [
        (b"%PDF-1.4 a document", "logo.png", "image/png", "not a PNG, JPEG or WebP"),
        (b"<svg onload='alert(1)'/>", "logo.svg", "image/svg+xml", "not a PNG, JPEG or WebP"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 1_200_000, "big.png", "image/png", "at most 1 MB"),
        (bomb(), "bomb.png", "image/png", "pixels"),
        (b"", "empty.png", "image/png", "Choose an image file"),
    ],
)
async def test_what_is_not_a_logo_is_a_clear_422(
    partner, client, data, filename, content_type, message
):
    await post_form(client, "/directory/listing", LISTING)
    response = await upload(client, data, filename, content_type)
    assert response.status_code == 422
    assert message in response.text and 'data-testid="logo-error"' in response.text
    assert "/logo?v=" not in (await client.get("/directory/lausanne-web-sarl")).text


async def test_a_body_past_the_portal_limit_is_a_413(partner, client):
    await post_form(client, "/directory/listing", LISTING)
    response = await upload(client, b"\x00" * (3 * 1024 * 1024))
    assert response.status_code == 413


async def test_a_logo_needs_a_listing_first(partner, client):
    response = await upload(client, png())
    assert response.status_code == 404


async def test_a_form_without_a_file_is_a_422(partner, client):
    await post_form(client, "/directory/listing", LISTING)
    response = await post_form(client, "/directory/listing/logo", {"logo": "not a file"})
    assert response.status_code == 422


async def test_a_directory_page_shows_a_flash_message_once(partner, client):
    saved = await post_form(client, "/directory/listing", LISTING)  # 303 with a flash
    assert saved.status_code == 303 and client.cookies.get("__Host-flash")
    first = await client.get("/directory/lausanne-web-sarl")
    assert 'class="flash flash-success"' in first.text
    assert not client.cookies.get("__Host-flash")  # the page ended the cookie
    again = await client.get("/directory/lausanne-web-sarl")
    assert 'class="flash' not in again.text
