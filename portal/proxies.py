"""The browser's address behind reverse proxies: rate limits per address and the sessions'
"signed in from" need the visitor's address, not the proxy's."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def trusted_networks(text: str) -> tuple[Network, ...]:
    """PORTAL_TRUSTED_PROXIES: addresses or networks, comma-separated ('10.0.0.0/8, ::1')."""
    networks = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as error:
            message = f"PORTAL_TRUSTED_PROXIES: {item!r} is not an address or a network"
            raise ValueError(message) from error
    return tuple(networks)


def client_address(peer: str, forwarded_for: str | None, trusted: Iterable[Network]) -> str:
    """PEER, or when PEER is one of our proxies, the address it says it got the request from
    (the last one of X-Forwarded-For), and so on while that is a proxy of ours too. Addresses
    further left were written by the browser itself and may be forged: they are never read.
    A hop that is no address stops the walk at the last proxy of ours."""
    trusted = tuple(trusted)
    address = parsed_address(peer)
    if address is None:
        return peer[:64]
    hops = (forwarded_for or "").split(",")
    while hops and any(address in network for network in trusted):
        hop = parsed_address(hops.pop())
        if hop is None:
            break
        address = hop
    return str(address)


def parsed_address(text: str) -> IPAddress | None:
    """'198.51.100.1', '198.51.100.1:51234', '[2001:db8::1]:443' or '2001:db8::1'; an IPv4
    peer seen by a server listening on '::' (::ffff:10.0.0.2) is the IPv4 address it maps."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address
