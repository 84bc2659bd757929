"""The client's address behind our reverse proxies, and only behind ours."""

import pytest

from portal.proxies import client_address, trusted_networks

OURS = trusted_networks("10.0.0.0/8, ::1")


def test_without_trusted_proxies_the_header_is_ignored():
    assert client_address("203.0.113.7", "198.51.100.1", ()) == "203.0.113.7"


def test_behind_our_proxy_the_address_it_received_from_counts():
    assert client_address("10.0.0.2", "198.51.100.1", OURS) == "198.51.100.1"


def test_a_chain_of_our_proxies_is_followed_to_the_first_outsider():
    header = "192.0.2.9, 198.51.100.1, 10.0.0.5"
    assert client_address("10.0.0.2", header, OURS) == "198.51.100.1"


def test_addresses_the_browser_wrote_itself_are_not_believed():
    # the browser sent "X-Forwarded-For: 10.0.0.9"; our proxy appended the real address
    assert client_address("10.0.0.2", "10.0.0.9, 198.51.100.1", OURS) == "198.51.100.1"


def test_a_stranger_cannot_choose_its_address():
    assert client_address("203.0.113.7", "198.51.100.1", OURS) == "203.0.113.7"


def test_ipv6_and_a_missing_header():
    assert client_address("::1", "2001:db8::1", OURS) == "2001:db8::1"
    assert client_address("::1", None, OURS) == "::1"


def test_a_bad_setting_is_refused_with_its_value():
    with pytest.raises(ValueError, match="'10.0.0.0/33'"):
        trusted_networks("10.0.0.0/33")


def test_a_dual_stack_server_sees_our_ipv4_proxy_as_mapped_ipv6():
    assert client_address("::ffff:10.0.0.2", "198.51.100.1", OURS) == "198.51.100.1"


def test_ports_are_not_part_of_the_address():
    assert client_address("10.0.0.2", "198.51.100.1:51234", OURS) == "198.51.100.1"
    assert client_address("10.0.0.2", "[2001:db8::1]:443", OURS) == "2001:db8::1"


def test_a_hop_that_is_no_address_stops_at_our_last_proxy():
    assert client_address("10.0.0.2", "198.51.100.1, unknown", OURS) == "10.0.0.2"
    assert client_address("10.0.0.2", "x" * 500, OURS) == "10.0.0.2"
