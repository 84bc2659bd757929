"""A tender's whole life driven through portal/tenders/services.py by hypothesis: a random sequence
of quotes, amendments, withdrawals, acceptances, the author withdrawing, the deadline passing and
the hourly job, each applied both to the database and to a small model written from docs/rules.md,
Tenders. After every step the database matches the model (the tender's stored status, each quote's
status and price) and the invariants hold: one accepted quote at most, and only in a decided tender;
nothing quoted or decided after the deadline. A refused step is a portal error (a clear 4xx) and
changes nothing.

Driven by a plain async loop under @given (the services run on the test's event loop, which a
RuleBasedStateMachine's synchronous rules cannot await); the pure rules have their own
RuleBasedStateMachine in tests/unit/tenders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.errors import PortalError
from portal.tenders import services
from portal.tenders.rules import quote_version
from portal.tenders.tables import Quote, Tender
from tests.factories.tenders import (
    SETTINGS,
    client_current,
    partner_current,
    posted_by_client,
    quote_input,
)

PARTNERS = 3  # the last one did not opt in for the category: it never reaches the tender


@dataclass
class World:
    author: object
    partners: list


class WorldOnce:
    def __init__(self) -> None:
        self.world: World | None = None

    async def get(self) -> World:
        if self.world is None:
            author = await client_current()
            partners = [
                await partner_current(
                    f"Partner {n} AG",
                    f"lr@partner{n}.example",
                    categories=("email",) if n < PARTNERS - 1 else ("e_shop",),
                )
                for n in range(PARTNERS)
            ]
            self.world = World(author, partners)
        await Tender.delete(force=True)  # each sequence starts from one fresh tender
        return self.world


@pytest.fixture
async def world_once(db):
    return WorldOnce()


@dataclass
class Model:
    status: str = "open"  # as stored: the job writes "expired" down
    past_deadline: bool = False
    quotes: dict[int, tuple[str, str]] = field(default_factory=dict)  # partner → status, price

    @property
    def open(self) -> bool:
        return self.status == "open" and not self.past_deadline


STEPS = st.one_of(
    st.tuples(st.just("quote"), st.integers(0, PARTNERS - 1), st.sampled_from(["900", "1200"])),
    st.tuples(st.just("amend"), st.integers(0, PARTNERS - 1), st.sampled_from(["800", "1500"])),
    st.tuples(st.just("withdraw quote"), st.integers(0, PARTNERS - 1)),
    st.tuples(st.just("accept"), st.integers(0, PARTNERS - 1)),
    st.tuples(st.just("withdraw tender")),
    st.tuples(st.just("deadline passes")),
    st.tuples(st.just("hourly job")),
)


async def apply(model: Model, world: World, tender_id: int, step) -> tuple[bool, bool]:
    """(what the model expects, what the services did): True = done, False = refused."""
    kind = step[0]
    if kind == "deadline passes":
        await Tender.update({Tender.deadline: datetime.now(UTC) - timedelta(seconds=1)}).where(
            Tender.id == tender_id
        )
        model.past_deadline = True
        return True, True
    if kind == "hourly job":
        closed = await services.close_expired_tenders(datetime.now(UTC), SETTINGS)
        expected = model.status == "open" and model.past_deadline
        if expected:
            model.status = "expired"
        return expected, closed == 1
    routed = kind in {"withdraw tender"} or step[1] < PARTNERS - 1
    author = services.Author(current=world.author)
    if kind == "withdraw tender":
        expected = model.open
        call = services.withdraw_tender(SETTINGS, author, tender_id)
        if expected:
            model.status = "withdrawn"
        return expected, await succeeds(call)
    partner, number = world.partners[step[1]], step[1]
    own = model.quotes.get(number)
    if kind == "quote":
        expected = routed and model.open and own is None
        done = await succeeds(
            services.submit_quote(SETTINGS, partner, tender_id, quote_input(step[2]))
        )
        if expected:
            model.quotes[number] = ("submitted", step[2])
        return expected, done
    if kind == "amend":
        expected = routed and model.open and own is not None and own[0] == "submitted"
        done = await succeeds(
            services.amend_quote(SETTINGS, partner, tender_id, quote_input(step[2]))
        )
        if expected:
            model.quotes[number] = ("submitted", step[2])
        return expected, done
    if kind == "withdraw quote":
        expected = routed and model.open and own is not None and own[0] == "submitted"
        done = await succeeds(services.withdraw_quote(SETTINGS, partner, tender_id))
        if expected:
            model.quotes[number] = ("withdrawn", own[1])
        return expected, done
    # accept: the author picks this partner's quote (a made-up id when it has none)
    row = (
        await Quote.select(Quote.id, Quote.updated_at)
        .where(Quote.partner == partner.organisation.id)
        .first()
    )
    quote_id = row["id"] if row else 2**31 - 1
    seen = quote_version(row["updated_at"]) if row else ""  # the quote as the author sees it
    expected = model.open and own is not None and own[0] == "submitted"
    done = await succeeds(services.accept_quote(SETTINGS, author, tender_id, quote_id, seen))
    if expected:
        for other, (status, price) in model.quotes.items():
            if status == "submitted":
                model.quotes[other] = ("accepted" if other == number else "declined", price)
        model.status = "decided"
    return expected, done


async def succeeds(call) -> bool:
    try:
        await call
    except PortalError as refused:
        assert refused.status_code in (403, 404, 409), refused
        return False
    return True


async def snapshot(world: World) -> dict:
    tender = await Tender.select(Tender.status).first()
    numbers = {p.organisation.id: n for n, p in enumerate(world.partners)}
    quotes = {
        numbers[q["partner"]]: (q["status"], f"{q['price']:.0f}")
        for q in await Quote.select(Quote.partner, Quote.status, Quote.price)
    }
    return {"status": tender["status"], "quotes": quotes}


MACHINE = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@MACHINE
@given(data=st.data())
async def test_any_sequence_of_steps_keeps_the_rules_of_tenders(world_once, data):
    world = await world_once.get()
    tender_id = await posted_by_client(world.author)
    model = Model()
    done_steps = []
    for _ in range(data.draw(st.integers(2, 14), label="length")):
        step = data.draw(STEPS, label="step")
        before = await snapshot(world)
        expected, done = await apply(model, world, tender_id, step)
        after = await snapshot(world)
        done_steps.append(step)
        context = f"after {done_steps}"
        assert done == expected, f"{context}: the services {'did' if done else 'refused'} it"
        if not done:
            assert after == before, f"{context}: refused, and yet something changed"
        assert after == {"status": model.status, "quotes": model.quotes}, context
        accepted = [n for n, (status, _) in after["quotes"].items() if status == "accepted"]
        assert len(accepted) <= 1, context
        assert bool(accepted) == (after["status"] == "decided"), context
