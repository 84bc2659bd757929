"""The browser's address behind reverse proxies: rate limits per address and the sessions'
"signed in from" need the visitor's address, not the proxy's."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


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
    further left were written by the browser itself and may be forged: they are never read."""
    trusted = tuple(trusted)
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    address = peer
    while hops and _is_trusted(address, trusted):
        address = hops.pop()
    return address


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)
