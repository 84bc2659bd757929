"""Requests the server makes to addresses its users give — an applicant's website (the
programme's criterion 2), an organisation's webhook endpoints: which addresses it never
reaches (SSRF; docs/rules.md, The website check), one filter for both.

The filter is checked twice: when the address is typed (a name or an IP address that is
plainly private or local is refused with a field error), and before every request, on every
address the host name resolves to (`refuse_private_hosts`, an httpx request hook), so that a
name pointing at a private network is never fetched."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx

# The networks of a closed installation (RFC 1918, unique local and the deprecated site-local
# IPv6, the local-use NAT64 prefix), nothing else private.
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "fc00::/7",
        "fec0::/10",
        "64:ff9b:1::/48",
    )
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# Names that only mean something inside a network: special-use (RFC 6761, 6762, 8375, the
# reserved .internal) and the ones private networks commonly use.
LOCAL_NAMES = (
    "localhost",
    "local",
    "localdomain",
    "internal",
    "intranet",
    "private",
    "corp",
    "home",
    "lan",
    "home.arpa",
)


def carried_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible
    ::a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4 2002:aabb:ccdd::): packets to it end up there."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64 or (ip in IPV4_COMPATIBLE and int(ip) > 1):  # :: and ::1 are themselves
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refused_address(address: str, *, allow_private: bool = False) -> bool:
    """Whether the server must not fetch ADDRESS for a user (SSRF): anything that is not a
    public unicast address. An IPv6 address that carries an IPv4 one is judged by the IPv4
    address (a NAT64 route to a public site is fine; ::ffff:10.0.0.1 or 2002:a00:1:: is the
    private 10.0.0.1); Teredo (2001::/32) hides its client's address and is never fetched.
    ALLOW_PRIVATE lets loopback and private networks through (tests and closed
    installations), never link-local (cloud metadata lives there)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.teredo is not None:
            return True
        ip = carried_ipv4(ip) or ip
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified:
        return True
    private = any(ip in network for network in PRIVATE_NETWORKS)
    if allow_private and (ip.is_loopback or private):
        return False
    return private or not ip.is_global


def is_local_name(host: str) -> bool:
    """A name that only means something inside a network (`intranet.local`, `localhost`)."""
    host = host.rstrip(".").lower()
    return any(host == name or host.endswith("." + name) for name in LOCAL_NAMES)


class RefusedAddress(Exception):
    """The address leads to a network the server does not reach for users."""


def private_hosts_hook(
    *, allow_private: bool, schemes: frozenset[str] = frozenset({"http", "https"})
):
    """An httpx request hook that refuses, before each request (redirects included), a scheme
    other than SCHEMES and a host any of whose addresses is refused (`refused_address`).
    A host that resolves differently a moment later could still slip through; the requests
    the portal makes carry nothing secret and read little back."""

    async def refuse_private_hosts(request: httpx.Request) -> None:
        url = request.url
        if url.scheme not in schemes:
            raise RefusedAddress("not a web address")
        port = url.port or (443 if url.scheme == "https" else 80)
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(url.host, port, type=socket.SOCK_STREAM)
        refused = any(refused_address(info[4][0], allow_private=allow_private) for info in infos)
        if not infos or refused:
            raise RefusedAddress("not a public address")

    return refuse_private_hosts
