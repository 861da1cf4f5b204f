"""Connections the demo can seed without a browser: deterministic tokens the sandbox accepts.

``preset_connection("linkedin", "Liam Carter")`` returns what a stored connection needs
(remote id, handle, display name, access token, refresh token, scopes) for the sandbox
member of that name. The sandbox recognises these tokens the first time it sees them --
on a fresh start, after a restart, even after ``/_sandbox/reset`` -- and from then on
treats them like tokens it issued itself: revoking one, or using an X refresh token (which
rotates), sticks and is kept in the state file.

Token format: ``sandbox-demo.<network>.<base64url JSON {"n": name, "k": kind, "s": scopes,
"e": expiry or null}>.<signature>``. The signature (HMAC-SHA256 with a fixed, public key)
only keeps typos and made-up strings out: any "random" token is still rejected as invalid.
"""

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .identity import member_id, normalise_name, username

PREFIX = "sandbox-demo"
_KEY = b"chorus-sandbox-preset-connections-v1"  # public: integrity against typos, not security
DEFAULT_SCOPES: dict[str, tuple[str, ...]] = {
    "linkedin": ("openid", "profile", "email", "w_member_social"),
    "x": ("tweet.read", "tweet.write", "users.read", "offline.access"),
}


@dataclass(frozen=True)
class PresetToken:
    network: str
    name: str
    kind: str  # "access" or "refresh"
    scopes: tuple[str, ...]
    expires_at: float | None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign(network: str, payload: str) -> str:
    return hmac.new(_KEY, f"{network}.{payload}".encode(), hashlib.sha256).hexdigest()[:20]


def preset_token(
    network: str,
    name: str,
    *,
    kind: str = "access",
    scopes: Iterable[str] | None = None,
    expires_at: float | None = None,
) -> str:
    """The token the sandbox will accept for member ``name`` (the same every time)."""
    if network not in DEFAULT_SCOPES:
        raise ValueError(f"unknown network {network!r}")
    if kind not in ("access", "refresh"):
        raise ValueError("kind must be access or refresh")
    claims = {
        "n": normalise_name(name),
        "k": kind,
        "s": list(DEFAULT_SCOPES[network] if scopes is None else scopes),
        "e": None if expires_at is None else int(expires_at),
    }
    payload = _b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{PREFIX}.{network}.{payload}.{_sign(network, payload)}"


def parse_preset_token(value: str | None) -> PresetToken | None:
    """The preset behind a token, or None for anything that is not a valid preset token."""
    if not value or not value.startswith(PREFIX + "."):
        return None
    parts = value.split(".")
    if len(parts) != 4:
        return None
    _, network, payload, signature = parts
    if network not in DEFAULT_SCOPES or not hmac.compare_digest(signature, _sign(network, payload)):
        return None
    try:
        claims: Any = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        name, kind, scopes, expires = claims["n"], claims["k"], claims["s"], claims.get("e")
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    if not isinstance(name, str) or kind not in ("access", "refresh") or not isinstance(scopes, list):
        return None
    return PresetToken(
        network=network, name=name, kind=kind, scopes=tuple(str(s) for s in scopes),
        expires_at=float(expires) if isinstance(expires, int | float) else None,
    )


def preset_connection(
    network: str, name: str, *, scopes: Iterable[str] | None = None, expires_at: float | None = None
) -> dict[str, Any]:
    """What a seeded connection for the sandbox member ``name`` should store.

    ``remote_id`` is the LinkedIn ``sub`` (author ``urn:li:person:{remote_id}``) or the X
    user id; ``handle`` the X username (empty on LinkedIn, as Chorus stores it after a
    real connect). X gets a refresh token when ``offline.access`` is among the scopes.
    ``expires_at`` (epoch seconds, optional) makes the sandbox expire the access token
    then; without it the token never expires.
    """
    chosen = tuple(DEFAULT_SCOPES[network] if scopes is None else scopes)
    name = normalise_name(name)
    remote_id = member_id(network, name)
    refresh = None
    if network == "x" and "offline.access" in chosen:
        refresh = preset_token(network, name, kind="refresh", scopes=chosen)
    return {
        "network": network,
        "remote_id": remote_id,
        "handle": username(name, remote_id) if network == "x" else "",
        "display_name": name,
        "access_token": preset_token(network, name, scopes=chosen, expires_at=expires_at),
        "refresh_token": refresh,
        "scopes": " ".join(chosen),
    }
