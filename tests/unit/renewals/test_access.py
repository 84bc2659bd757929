"""access.decide on renewals (docs/rules.md, Renewals), against an oracle written from the rules:

- the renewals page of an organisation: every member sees it (a plain user, the products given
  to them); a team guest does not; the page of a partner's clients' products likewise, in a
  partner only (a collaborator, the clients given to them);
- its own products' renewals (automatic renewal, the warranty, renew now): its managers and
  members with billing rights;
- a client's product, through a link: as ordering for the client — only a partner that may act
  for the client, for a product the grant covers (else HIDDEN), with full access (else
  FORBIDDEN)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.access import Action, ClientProductResource, OrganisationResource, decide
from tests.factories.access import (
    ALL_ACTORS,
    ALL_LINKS,
    ORGANISATIONS,
    expected_renewal_decision,
)

RENEWAL_ACTIONS = [Action.VIEW_RENEWALS, Action.VIEW_CLIENT_RENEWALS, Action.MANAGE_RENEWALS]


@settings(max_examples=3000, deadline=None, database=None)
@given(
    actor=st.sampled_from(ALL_ACTORS),
    action=st.sampled_from(RENEWAL_ACTIONS),
    resource=st.one_of(
        st.builds(ClientProductResource, st.sampled_from(ALL_LINKS), st.booleans(), st.booleans()),
        st.builds(OrganisationResource, st.sampled_from(ORGANISATIONS)),
    ),
)
def test_decide_agrees_with_the_oracle_on_renewals(actor, action, resource):
    assert decide(actor, action, resource) is expected_renewal_decision(actor, action, resource)
