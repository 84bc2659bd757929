"""The tender's life as a hypothesis state machine: random sequences of confirmations,
quotes, amendments, withdrawals, acceptances, expiries and the passing of time, run through
the pure rules and checked against a model written from docs/rules.md, Tenders, after every step.

Model: unconfirmed → open (confirmed before the deadline) → decided (one quote accepted) /
withdrawn / expired (deadline passed). A past deadline closes the tender at once, written
down or not. Quotes change only while it is open; a partner answers once; one winner."""

from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from portal.tenders.rules import (
    QuoteEvent,
    QuoteStatus,
    TenderClosed,
    TenderEvent,
    TenderStatus,
    effective_status,
    may_submit_quote,
    next_quote_status,
    next_status,
)

PARTNERS = st.sampled_from(["a", "b", "c"])
START = datetime(2027, 1, 1, tzinfo=UTC)


class TenderLife(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.now = START
        self.deadline = START + timedelta(days=10)
        self.status = TenderStatus.UNCONFIRMED  # as stored
        self.quotes: dict[str, QuoteStatus] = {}
        self.ever_closed_as: TenderStatus | None = None

    # --- the model ------------------------------------------------------------------------

    def past_deadline(self) -> bool:
        return self.now >= self.deadline

    def model_open(self) -> bool:
        return self.status is TenderStatus.OPEN and not self.past_deadline()

    # --- steps ----------------------------------------------------------------------------

    @rule(hours=st.integers(min_value=0, max_value=24 * 6))
    def time_passes(self, hours):
        self.now += timedelta(hours=hours)

    @rule()
    def confirm(self):
        allowed = self.status is TenderStatus.UNCONFIRMED and not self.past_deadline()
        self._step(
            lambda: next_status(self.status, TenderEvent.CONFIRM, self.deadline, self.now),
            allowed,
            TenderStatus.OPEN,
        )

    @rule(partner=PARTNERS)
    def submit(self, partner):
        allowed = self.model_open() and partner not in self.quotes
        try:
            if partner in self.quotes:
                raise TenderClosed("answered already")  # the service's own check
            may_submit_quote(self.status, self.deadline, self.now)
        except TenderClosed:
            assert not allowed
            return
        assert allowed
        self.quotes[partner] = QuoteStatus.SUBMITTED

    @rule(partner=PARTNERS, event=st.sampled_from([QuoteEvent.AMEND, QuoteEvent.WITHDRAW]))
    def partner_changes_quote(self, partner, event):
        if partner not in self.quotes:
            return
        before = self.quotes[partner]
        allowed = self.model_open() and before is QuoteStatus.SUBMITTED
        try:
            after = next_quote_status(before, event, self.status, self.deadline, self.now)
        except TenderClosed:
            assert not allowed
            return
        assert allowed
        expected = QuoteStatus.SUBMITTED if event is QuoteEvent.AMEND else QuoteStatus.WITHDRAWN
        assert after is expected
        self.quotes[partner] = after

    @rule(partner=PARTNERS)
    def author_accepts(self, partner):
        if partner not in self.quotes:
            return
        allowed = self.model_open() and self.quotes[partner] is QuoteStatus.SUBMITTED
        try:  # as the service does: the tender first, then the chosen quote
            status = next_status(self.status, TenderEvent.ACCEPT_QUOTE, self.deadline, self.now)
            next_quote_status(
                self.quotes[partner], QuoteEvent.ACCEPT, self.status, self.deadline, self.now
            )
        except TenderClosed:
            assert not allowed
            return
        assert allowed and status is TenderStatus.DECIDED
        for other, quote in self.quotes.items():
            if quote is QuoteStatus.SUBMITTED:
                self.quotes[other] = next_quote_status(
                    quote,
                    QuoteEvent.ACCEPT if other == partner else QuoteEvent.DECLINE,
                    self.status,
                    self.deadline,
                    self.now,
                )
        self.status = status

    @rule()
    def author_withdraws(self):
        self._step(
            lambda: next_status(self.status, TenderEvent.WITHDRAW, self.deadline, self.now),
            self.model_open(),
            TenderStatus.WITHDRAWN,
        )

    @rule()
    def hourly_job_expires(self):
        allowed = self.status is TenderStatus.OPEN and self.past_deadline()
        self._step(
            lambda: next_status(self.status, TenderEvent.EXPIRE, self.deadline, self.now),
            allowed,
            TenderStatus.EXPIRED,
        )

    def _step(self, attempt, allowed, expected):
        try:
            status = attempt()
        except TenderClosed as refused:
            assert not allowed
            assert refused.detail  # told in words
            return
        assert allowed, f"{self.status} accepted a step the model refuses"
        assert status is expected
        self.status = status

    # --- what must always hold ------------------------------------------------------------

    @invariant()
    def one_winner_at_most_and_only_when_decided(self):
        winners = [p for p, q in self.quotes.items() if q is QuoteStatus.ACCEPTED]
        assert len(winners) <= 1
        assert bool(winners) == (self.status is TenderStatus.DECIDED)
        if self.status is TenderStatus.DECIDED:
            assert QuoteStatus.SUBMITTED not in self.quotes.values()

    @invariant()
    def a_past_deadline_reads_as_closed(self):
        seen = effective_status(self.status, self.deadline, self.now)
        if self.past_deadline():
            assert seen is not TenderStatus.OPEN
        assert (seen is TenderStatus.OPEN) == self.model_open()

    @invariant()
    def closed_is_final(self):
        if self.ever_closed_as is not None:
            assert self.status is self.ever_closed_as
        if self.status.is_closed:
            self.ever_closed_as = self.status

    @invariant()
    def no_quote_before_confirmation(self):
        if self.status is TenderStatus.UNCONFIRMED:
            assert not self.quotes

    @precondition(lambda self: self.status.is_closed or self.past_deadline())
    @rule(partner=PARTNERS, event=st.sampled_from(list(QuoteEvent)))
    def a_closed_tender_changes_no_quote(self, partner, event):
        quote = self.quotes.get(partner, QuoteStatus.SUBMITTED)
        try:
            next_quote_status(quote, event, self.status, self.deadline, self.now)
        except TenderClosed:
            return
        raise AssertionError("a closed tender let a quote change")


TestTenderLife = TenderLife.TestCase
TestTenderLife.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
