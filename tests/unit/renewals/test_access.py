"""access.decide on renewals (docs/rules.md, Renewals), against an oracle written from the rules:

- the renewals page of an organisation: every member sees it (a plain user, the products given
  to them; a collaborator of a partner, the clients given to them); a team guest does not;
- its own products' renewals (automatic renewal, the warranty, renew now): its managers and
  members with billing rights;
- a client's product, through a link: as ordering for the client — only a partner that may act
  for the client, for a product the grant covers (else HIDDEN), with full access (else
  FORBIDDEN)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.access import (
    MANAGERS,
    Action,
    Actor,
    ClientProductResource,
    Decision,
    OrganisationResource,
    decide,
)
from tests.unit.clients.test_link_access import (
    ALL_ACTORS,
    ALL_LINKS,
    ORGANISATIONS,
    client_product_rights,
)

ALLOWED, FORBIDDEN, HIDDEN = Decision.ALLOWED, Decision.FORBIDDEN, Decision.HIDDEN
RENEWAL_ACTIONS = [Action.VIEW_RENEWALS, Action.MANAGE_RENEWALS]


def expected(actor: Actor, action: Action, resource) -> Decision:
    if actor.organisation_id is None:
        return HIDDEN
    if isinstance(resource, ClientProductResource):
        rights = client_product_rights(actor, resource)
        if rights is None:
            return HIDDEN
        if action is Action.MANAGE_RENEWALS:
            return ALLOWED if Action.ORDER_FOR_CLIENT in rights else FORBIDDEN
        return FORBIDDEN
    if resource.organisation_id != actor.organisation_id or actor.role is None:
        return HIDDEN
    if action is Action.VIEW_RENEWALS:
        return ALLOWED
    return ALLOWED if actor.role in MANAGERS or actor.billing_rights else FORBIDDEN


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
    assert decide(actor, action, resource) is expected(actor, action, resource)
