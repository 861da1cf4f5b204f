"""Which URLs and addresses Chorus may fetch: the address policy behind the fetcher.

Curators paste links and feed addresses, so every fetch is a request that a user
aimed. Without a policy a link could make the server read its own admin ports, a
database on the private network or the cloud metadata service (169.254.169.254).
This module decides, from the parsed URL and from the *resolved* IP address, whether
a destination is acceptable, and explains a refusal in words a marketing user can
act on. It is applied to the address actually connected to, so DNS tricks cannot
slip past it.

The bottom half is the enforcement: urllib3 connection classes whose ``_new_conn``
resolves the host once, validates every answer and connects to a validated address,
while urllib3 keeps using the host name for the Host header, SNI and certificate
checks. ``core.fetcher`` builds HTTP (redirects, limits, types) on top.

Callers import the errors from ``core.fetcher``; they live here only so that
this module does not depend on it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH: Final = 2048
ALLOWED_SCHEMES: Final = ("http", "https")
DEFAULT_PORTS: Final = {"http": 80, "https": 443}

_CARRIER_GRADE_NAT = ipaddress.ip_network("100.64.0.0/10")
# NAT64 gateways translate these to the embedded IPv4 address on *their* network.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Deprecated "IPv4-compatible" IPv6 addresses (::a.b.c.d); some stacks still route them.
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class FetchError(Exception):
    """A URL could not be fetched; ``reason`` is safe to show to the person who pasted it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BadURL(FetchError):
    """The URL itself is unacceptable (scheme, credentials, length, syntax)."""


class BlockedAddress(FetchError):
    """The URL points at an address Chorus must not reach (private, loopback, ...)."""


@dataclass(frozen=True)
class Target:
    """A URL that passed the syntactic checks, split the way the transport needs it."""

    url: str
    scheme: str
    host: str  # lower-case, IDNA-encoded, IPv6 without brackets
    port: int
    request_target: str  # path and query, percent-encoded, never empty


def parse_target(url: str) -> Target:
    """Check everything about ``url`` that does not need DNS; raise ``BadURL`` if wrong.

    The same parse result is what the transport connects to, so there is no second
    parser that could read the host differently (the classic ``a@b`` / backslash games).
    """
    url = url.strip()
    if not url:
        raise BadURL("The link is empty.")
    if len(url) > MAX_URL_LENGTH:
        raise BadURL(f"The link is too long (over {MAX_URL_LENGTH} characters).")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise BadURL("The link contains control characters (such as a line break).")
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError as exc:
        raise BadURL("This does not look like a valid web address.") from exc
    if not scheme:
        raise BadURL("The link must start with http:// or https://.")
    if scheme not in ALLOWED_SCHEMES:
        raise BadURL(f"Chorus only fetches http:// and https:// links, not {scheme}: links.")
    try:
        parsed = parse_url(url)
    except LocationParseError as exc:
        raise BadURL("This does not look like a valid web address.") from exc
    if parsed.auth is not None:
        raise BadURL("Links with a user name or password in them are not fetched.")
    host = (parsed.host or "").strip("[]").rstrip(".").lower()
    if not host:
        raise BadURL("The link has no host name (such as example.com).")
    if "%" in host:
        # An IPv6 zone ID ("[fe80::1%25eth0]") names one of *this server's* network
        # interfaces: never a public web page, and urllib3 cannot connect to it anyway.
        raise BadURL("Links with an IPv6 zone ID (such as %eth0) point at this server's own network; "
                     "Chorus only fetches public web pages.")
    port = parsed.port or DEFAULT_PORTS[scheme]
    if not 0 < port < 65536:
        raise BadURL(f"The port {port} in the link is not valid.")
    return Target(url=url, scheme=scheme, host=host, port=port, request_target=parsed.request_uri or "/")


def _allow_list(
    also_allow: Iterable[str] = (),
) -> tuple[frozenset[str], tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]]:
    """Read ``FETCHER_ALLOWED_HOSTS`` now (not at import) so tests can override it, plus the
    caller's own ``also_allow`` entries (same forms: host names, IPs, CIDR networks)."""
    names: set[str] = set()
    networks = []
    for entry in [*(getattr(settings, "FETCHER_ALLOWED_HOSTS", []) or []), *also_allow]:
        entry = str(entry).strip().lower()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            names.add(entry.rstrip("."))
    return frozenset(names), tuple(networks)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address tunnels or translates to, if it has one."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # (server, client): the client is where packets end up
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _category(ip: IPAddress) -> str | None:
    """Describe why ``ip`` is not a public unicast address, or None when it is."""
    # Order matters: the most specific, most understandable description wins.
    if ip.is_unspecified:
        return "an unspecified address (it means 'this machine')"
    if ip.is_loopback:
        return "a loopback address (it means 'this server itself')"
    if ip.is_link_local:
        return "a link-local address (used, for example, by cloud metadata services)"
    if ip.version == 4 and ip in _CARRIER_GRADE_NAT:
        return "a carrier-grade NAT address (a provider's internal network)"
    if ip.is_multicast:
        return "a multicast address"
    if ip.version == 6 and ip.is_site_local:
        return "a site-local address (an internal network)"
    if ip.is_private:
        return "a private network address"
    if ip.is_reserved or not ip.is_global:
        return "a reserved address that is not on the public internet"
    return None


def address_problem(ip: IPAddress) -> str | None:
    """Why ``ip`` may not be fetched (a phrase such as "a private network address"), or None.

    ``is_global`` alone is not enough: multicast, site-local and addresses embedding
    IPv4 (mapped, 6to4, Teredo, NAT64) can look global while reaching internal hosts.
    """
    if ip.version == 6:
        inner = _embedded_ipv4(ip)
        inner_problem = _category(inner) if inner is not None else None
        if inner_problem:
            return f"an IPv6 form of {inner}, which is {inner_problem}"
    return _category(ip)


def is_allowed_anyway(host: str, ip: IPAddress, also_allow: Iterable[str] = ()) -> bool:
    """True when the operator put this host name or address on ``FETCHER_ALLOWED_HOSTS``
    (or on the caller's ``also_allow``, e.g. ``SSO_ALLOWED_HOSTS`` for single sign-on)."""
    names, networks = _allow_list(also_allow)
    if host.lower().rstrip(".") in names:
        return True
    candidates = [ip]
    if ip.version == 6 and ip.ipv4_mapped is not None:
        candidates.append(ip.ipv4_mapped)
    return any(c.version == net.version and c in net for c in candidates for net in networks)


def _as_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_address(host: str, ip: IPAddress, also_allow: Iterable[str] = ()) -> None:
    """Raise ``BlockedAddress`` unless ``ip`` (resolved from ``host``) may be connected to."""
    if is_allowed_anyway(host, ip, also_allow):
        return
    problem = address_problem(ip)
    if problem is None:
        return
    if _as_ip(host) == ip:
        subject = f"The address {host} is"
    else:
        subject = f"The address {host} leads to {ip}, which is"
    raise BlockedAddress(f"{subject} {problem}; Chorus only fetches public web pages.")


def resolve(host: str, port: int, also_allow: Iterable[str] = ()) -> list[tuple[socket.AddressFamily, tuple]]:
    """Resolve ``host`` once and validate every answer; return (family, sockaddr) pairs.

    Every answer must pass: a name that mixes public and private answers is either a
    misconfiguration or an attempt to win a race, and neither should be fetched.
    Numeric forms such as ``2130706433`` or ``0x7f.1`` come back normalised from
    ``getaddrinfo``, which is why the check runs on its answer and not on the URL.
    """
    try:
        answers = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"The host name {host} could not be found. Check the link for typos.") from exc
    if not answers:
        raise FetchError(f"The host name {host} could not be found. Check the link for typos.")
    resolved = []
    for family, _type, _proto, _canon, sockaddr in answers:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        check_address(host, ip, also_allow)
        resolved.append((family, sockaddr))
    return resolved


# --- enforcement: connections that only go where the policy allows -------------------------


class ConnectionBudget(Protocol):
    """What the pinned connections need from the caller's deadline."""

    def remaining(self) -> float: ...
    def check(self, host: str) -> None: ...
    def too_slow(self, host: str) -> FetchError: ...
    def watch(self, sock: socket.socket) -> None: ...


def _connect(family: socket.AddressFamily, sockaddr: tuple, timeout: float) -> socket.socket:
    """Open a TCP connection to an already validated address (a seam for tests)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(timeout)
        sock.connect(sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


def _pinned_socket(
    host: str, port: int, budget: ConnectionBudget, also_allow: Iterable[str] = ()
) -> socket.socket:
    """Resolve ``host`` once, validate every answer, connect to a validated address."""
    addresses = resolve(host, port, also_allow)  # raises BlockedAddress / FetchError
    failure: OSError | None = None
    for family, sockaddr in addresses:
        budget.check(host)
        try:
            sock = _connect(family, sockaddr, budget.remaining())
        except TimeoutError as exc:
            raise budget.too_slow(host) from exc
        except OSError as exc:
            failure = exc
            continue
        budget.watch(sock)
        return sock
    raise FetchError(f"Chorus could not connect to {host} ({_os_error_text(failure)}).")


class _PinnedMixin:
    """Replaces urllib3's own resolve-and-connect with ``_pinned_socket``."""

    def __init__(
        self, *args: Any, deadline: ConnectionBudget, also_allow: Iterable[str] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._chorus_deadline = deadline
        self._chorus_also_allow = tuple(also_allow)

    def _new_conn(self) -> socket.socket:
        return _pinned_socket(self.host, self.port, self._chorus_deadline,  # type: ignore[attr-defined]
                              self._chorus_also_allow)

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self._chorus_deadline.watch(self.sock)  # type: ignore[attr-defined]  # the TLS socket, if any


class _PinnedHTTPConnection(_PinnedMixin, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedMixin, HTTPSConnection):
    pass


class PinnedHTTPConnectionPool(HTTPConnectionPool):
    """A urllib3 pool whose connections go only to addresses the policy accepted.

    Pass ``deadline=`` (a ``ConnectionBudget``) and optionally ``also_allow=`` (allow-list
    entries on top of ``FETCHER_ALLOWED_HOSTS``); they reach each connection via conn_kw.
    """

    ConnectionCls = _PinnedHTTPConnection


class PinnedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


def _os_error_text(exc: OSError | None) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "the connection was refused"
    return "the network could not reach it"
