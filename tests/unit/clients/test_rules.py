"""Delegation rules (docs/rules.md, Delegation), without a database."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.clients.rules import (
    TRANSITIONS,
    Access,
    BillingMode,
    Delegation,
    Grant,
    InvalidTransition,
    LinkEvent,
    LinkStatus,
    coexistence_problem,
    covered_products,
    grant_problems,
    next_status,
    normalised,
)
from portal.products.rules import FAMILIES

PRODUCTS = {1: "web_hosting", 2: "web_hosting", 3: "domain", 4: "mail_service"}
FULL = Grant(Access.FULL, billing_mode=BillingMode.CLIENT)


def restricted(families=(), products=()) -> Grant:
    return Grant(Access.RESTRICTED, frozenset(families), frozenset(products), BillingMode.CLIENT)


def delegation(link_id: int, grant: Grant, name: str = "Other AG") -> Delegation:
    return Delegation(link_id, name, grant)


def test_full_access_covers_everything_and_may_order():
    assert covered_products(FULL, PRODUCTS) == frozenset(PRODUCTS)
    assert FULL.may_order


def test_restricted_access_covers_its_families_and_named_products_only():
    grant = restricted(families={"domain"}, products={1})
    assert covered_products(grant, PRODUCTS) == {1, 3}
    assert not grant.may_order


def test_full_access_needs_a_payer_and_no_selection():
    assert "billing_mode" in grant_problems(Grant(Access.FULL))
    assert "access" in grant_problems(
        Grant(Access.FULL, frozenset({"domain"}), billing_mode=BillingMode.PARTNER)
    )
    assert grant_problems(Grant(Access.FULL, billing_mode=BillingMode.PARTNER)) == {}


def test_restricted_access_needs_a_selection_and_the_client_pays():
    assert "products" in grant_problems(restricted())
    assert "billing_mode" in grant_problems(
        Grant(Access.RESTRICTED, frozenset({"domain"}), billing_mode=BillingMode.PARTNER)
    )
    assert (
        normalised(Grant(Access.RESTRICTED, frozenset({"domain"}))).billing_mode
        is BillingMode.CLIENT
    )


def test_a_client_delegates_only_its_own_products():
    assert "products" in grant_problems(restricted(products={99}), PRODUCTS)
    assert grant_problems(restricted(products={1}), PRODUCTS) == {}


def test_unknown_categories_are_refused():
    assert "families" in grant_problems(restricted(families={"spaceships"}))


def test_full_access_means_the_only_partner():
    others = [delegation(2, restricted(products={4}))]
    problem = coexistence_problem(FULL, 1, others, PRODUCTS)
    assert problem and "exactly one partner" in problem.message


def test_no_partner_can_join_a_client_with_a_full_access_partner():
    problem = coexistence_problem(restricted(products={4}), 1, [delegation(2, FULL)], PRODUCTS)
    assert problem and "full access" in problem.message


def test_restricted_partners_share_a_client_on_different_products():
    others = [delegation(2, restricted(families={"domain"}))]
    assert coexistence_problem(restricted(products={1, 4}), 1, others, PRODUCTS) is None


def test_a_product_is_never_delegated_to_two_partners():
    others = [delegation(2, restricted(families={"web_hosting"}))]
    problem = coexistence_problem(restricted(products={2}), 1, others, PRODUCTS)
    assert problem and problem.product_ids == {2}


def test_the_same_category_cannot_go_to_two_partners_even_without_products_yet():
    others = [delegation(2, restricted(families={"backup"}))]
    assert coexistence_problem(restricted(families={"backup"}), 1, others, PRODUCTS)


def test_a_link_does_not_conflict_with_itself_when_changed():
    mine = [delegation(1, restricted(families={"domain"}))]
    assert coexistence_problem(FULL, 1, mine, PRODUCTS) is None


grants = st.builds(
    lambda full, families, products: FULL if full else restricted(families, products),
    st.booleans(),
    st.sets(st.sampled_from(sorted(FAMILIES)), max_size=3),
    st.sets(st.sampled_from(sorted(PRODUCTS)), max_size=3),
)


@given(mine=grants, others=st.lists(grants, max_size=3))
def test_accepted_grants_never_share_a_product(mine, others):
    """Property: whatever the grants, once accepted no product is covered twice."""
    accepted: list[Delegation] = []
    for link_id, grant in enumerate([*others, mine], start=1):
        if coexistence_problem(grant, link_id, accepted, PRODUCTS) is None:
            accepted.append(delegation(link_id, grant))
    for product_id, family in PRODUCTS.items():
        holders = [d for d in accepted if d.grant.covers(product_id, family)]
        assert len(holders) <= 1
    fulls = [d for d in accepted if d.grant.is_full]
    assert not fulls or len(accepted) == 1


def test_link_lifecycle_transitions():
    assert next_status(LinkStatus.AWAITING_CLIENT, LinkEvent.CLIENT_GRANTS) is LinkStatus.ACTIVE
    assert next_status(LinkStatus.AWAITING_PARTNER, LinkEvent.PARTNER_ACCEPTS) is LinkStatus.ACTIVE
    assert next_status(LinkStatus.ACTIVE, LinkEvent.STOPPED) is LinkStatus.STOPPED


@given(status=st.sampled_from(list(LinkStatus)), event=st.sampled_from(list(LinkEvent)))
def test_only_listed_transitions_happen(status, event):
    if (status, event) in TRANSITIONS:
        assert next_status(status, event) is TRANSITIONS[(status, event)]
    else:
        with pytest.raises(InvalidTransition):
            next_status(status, event)


@pytest.mark.parametrize(
    "status", [LinkStatus.STOPPED, LinkStatus.REFUSED, LinkStatus.EXPIRED, LinkStatus.WITHDRAWN]
)
def test_ended_links_never_come_back(status):
    for event in LinkEvent:
        with pytest.raises(InvalidTransition):
            next_status(status, event)
