"""What a partner's inbox says of each tender."""

from datetime import UTC, datetime

from portal.tenders.rules import is_new


def test_a_tender_is_new_until_the_partner_opened_it_or_quoted():
    opened = datetime(2026, 12, 3, tzinfo=UTC)
    assert is_new(None, None)
    assert not is_new(opened, None)
    assert not is_new(None, "submitted") and not is_new(None, "withdrawn")
