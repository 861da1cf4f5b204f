"""Who a sandbox member is, derived from the display name alone (no state needed).

The same name always gives the same LinkedIn ``sub`` / X user id and X username, on any
sandbox, before or after a restart. That is what lets the demo seed connections that the
sandbox recognises later (see ``presets``).
"""

import hashlib
import unicodedata

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def digest(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode()).digest()


def ascii_of(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def normalise_name(name: str) -> str:
    """Collapse whitespace, cap the length; an empty name becomes "Sandbox Member"."""
    return " ".join(name.split())[:80] or "Sandbox Member"


def member_id(network: str, name: str) -> str:
    """LinkedIn: a 10-character ``sub``; X: a 19-digit user id."""
    raw = digest(network, normalise_name(name).casefold())
    number = int.from_bytes(raw[:8])
    if network == "linkedin":
        return "".join(_BASE62[(number >> (6 * i)) % 62] for i in range(10))
    return str(10**18 + number % (9 * 10**18))


def username(name: str, member: str) -> str:
    """The X-style handle: the name's letters and digits, at most 15 characters."""
    letters = "".join(ch for ch in ascii_of(normalise_name(name)).title() if ch.isalnum())
    return letters[:15] or f"user{member[-6:]}"


def default_email(name: str) -> str:
    parts = ascii_of(normalise_name(name)).lower().split()
    return (".".join(p for p in (parts[0], parts[-1]) if p) if parts else "member") + "@example.com"
