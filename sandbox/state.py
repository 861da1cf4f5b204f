"""Everything the fake networks remember, in memory, per server instance.

One re-entrant lock guards it all: request handlers hold it for their whole (short)
check-then-act, so "is this a duplicate? then store it" is atomic even when many
threads post at once. Fault latency and hangs happen outside the lock.
"""

import hashlib
import itertools
import secrets
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .clock import Clock

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode()).digest()


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


@dataclass
class Member:
    """A fake LinkedIn member or X user; ids are derived from the name, so they are stable."""

    network: str
    id: str
    name: str
    email: str
    username: str
    followers: int
    following: int
    created_at: float

    @property
    def given_name(self) -> str:
        return self.name.split(" ")[0]

    @property
    def family_name(self) -> str:
        parts = self.name.split(" ", 1)
        return parts[1] if len(parts) > 1 else ""

    @property
    def urn(self) -> str:
        return f"urn:li:person:{self.id}"


@dataclass
class AuthCode:
    code: str
    network: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    member_id: str
    expires_at: float
    code_challenge: str | None = None
    challenge_method: str | None = None
    used: bool = False


@dataclass
class Token:
    value: str
    network: str
    kind: str  # "access" or "refresh"
    client_id: str
    member_id: str
    scopes: tuple[str, ...]
    issued_at: float
    expires_at: float | None
    revoked: bool = False
    rotated: bool = False  # an X refresh token that has been used (and so died)

    def status(self, now: float) -> str:
        if self.revoked:
            return "revoked"
        if self.rotated:
            return "rotated"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return "active"


@dataclass
class Image:
    id: str
    urn: str
    owner: str
    created_at: float
    upload_expires_at: float
    data: bytes | None = None
    content_type: str = "application/octet-stream"


@dataclass
class Post:
    id: str  # the URN on LinkedIn, the numeric id on X
    network: str
    author_id: str
    author_name: str
    author_username: str
    text: str  # as stored and shown (LinkedIn: after truncation and unescaping)
    raw_text: str  # as sent
    created_at: float
    deleted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "network": self.network,
            "author_id": self.author_id,
            "author_name": self.author_name,
            "author_username": self.author_username,
            "text": self.text,
            "raw_text": self.raw_text,
            "created_at": self.created_at,
            "deleted": self.deleted,
            "truncated": self.extra.get("truncated", False),
        }


@dataclass
class Window:
    """One fixed rate-limit window: what the x-rate-limit-* headers report."""

    limit: int
    remaining: int
    reset: int  # epoch seconds
    allowed: bool


class SandboxState:
    """Apps' codes and tokens, members, posts, images and rate-limit counters."""

    def __init__(self, clock: Clock, preset_members: Iterable[str] = ()) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self._presets = tuple(preset_members)
        self.reset()

    def reset(self) -> None:
        """Forget everything except the preset members."""
        with self.lock:
            self.members: dict[tuple[str, str], Member] = {}
            self.codes: dict[str, AuthCode] = {}
            self.tokens: dict[str, Token] = {}
            self.images: dict[str, Image] = {}
            self._posts: dict[str, dict[str, Post]] = {"linkedin": {}, "x": {}}
            self._windows: dict[tuple[str, ...], tuple[float, int]] = {}
            self._sequence = itertools.count(1)
            self.requests: dict[str, int] = {}
            for name in self._presets:
                self.member("linkedin", name)
                self.member("x", name)

    # --- members ---
    def member(self, network: str, name: str, email: str | None = None) -> Member:
        """The member with this display name, created on first use (connect as anyone)."""
        name = " ".join(name.split())[:80] or "Sandbox Member"
        digest = _digest(network, name.casefold())
        if network == "linkedin":
            number = int.from_bytes(digest[:8])
            member_id = "".join(_BASE62[(number >> (6 * i)) % 62] for i in range(10))
        else:
            member_id = str(10**18 + int.from_bytes(digest[:8]) % (9 * 10**18))
        with self.lock:
            existing = self.members.get((network, member_id))
            if existing:
                if email:
                    existing.email = email
                return existing
            letters = "".join(ch for ch in _ascii(name).title() if ch.isalnum())
            parts = _ascii(name).lower().split()
            member = Member(
                network=network,
                id=member_id,
                name=name,
                email=email or (".".join(p for p in (parts[0], parts[-1]) if p) if parts else "member") + "@example.com",
                username=(letters[:15] or f"user{member_id[-6:]}"),
                followers=50 + digest[8] * 20 + digest[9],
                following=20 + digest[10],
                created_at=1_400_000_000 + int.from_bytes(digest[11:14]) * 10,
            )
            self.members[(network, member_id)] = member
            return member

    def get_member(self, network: str, member_id: str) -> Member | None:
        with self.lock:
            return self.members.get((network, member_id))

    def members_of(self, network: str) -> list[Member]:
        with self.lock:
            return [m for (net, _), m in self.members.items() if net == network]

    # --- codes and tokens ---
    def new_code(self, **fields: Any) -> AuthCode:
        code = AuthCode(code=secrets.token_urlsafe(32), **fields)
        with self.lock:
            self.codes[code.code] = code
        return code

    def issue_token(
        self, *, network: str, kind: str, client_id: str, member_id: str, scopes: Iterable[str], ttl: float | None
    ) -> Token:
        now = self.clock.now()
        prefix = "AQV" if network == "linkedin" else ""
        token = Token(
            value=prefix + secrets.token_urlsafe(48 if network == "linkedin" else 40),
            network=network,
            kind=kind,
            client_id=client_id,
            member_id=member_id,
            scopes=tuple(scopes),
            issued_at=now,
            expires_at=None if ttl is None else now + ttl,
        )
        with self.lock:
            self.tokens[token.value] = token
        return token

    def token(self, value: str | None, network: str) -> Token | None:
        if not value:
            return None
        with self.lock:
            token = self.tokens.get(value)
        return token if token is not None and token.network == network else None

    # --- posts ---
    def next_snowflake(self) -> str:
        """An id that grows with time, like the real 19-digit ids of both networks."""
        with self.lock:
            sequence = next(self._sequence)
        return str(((self.clock.ms() - 1_288_834_974_657) << 22) | (sequence & 0x3FFFFF))

    def add_post(self, post: Post) -> Post:
        with self.lock:
            self._posts[post.network][post.id] = post
        return post

    def posts(self, network: str, *, author_id: str | None = None, include_deleted: bool = False) -> list[Post]:
        """Posts of one network, oldest first (tests: ``server.state.posts("x")``)."""
        with self.lock:
            return [
                p
                for p in self._posts[network].values()
                if (include_deleted or not p.deleted) and (author_id is None or p.author_id == author_id)
            ]

    def post(self, network: str, post_id: str) -> Post | None:
        with self.lock:
            return self._posts[network].get(post_id)

    # --- rate limits ---
    def hit(self, key: tuple[str, ...], limit: int, window: float, *, count: bool = True) -> Window:
        """Count one call against a fixed window that starts at the first call after a reset."""
        now = self.clock.now()
        with self.lock:
            start, used = self._windows.get(key, (now, 0))
            if now >= start + window:
                start, used = now, 0
            allowed = used < limit
            if allowed and count:
                used += 1
            self._windows[key] = (start, used)
            return Window(limit=limit, remaining=max(limit - used, 0), reset=int(start + window), allowed=allowed)

    def count_request(self, network: str, group: str) -> None:
        with self.lock:
            key = f"{network}.{group}"
            self.requests[key] = self.requests.get(key, 0) + 1

    # --- inspection ---
    def snapshot(self) -> dict[str, Any]:
        """The JSON served at /_sandbox/state: what a test or a curious demo user wants to see."""
        with self.lock:
            posts = {net: [p.to_dict() for p in self.posts(net, include_deleted=True)] for net in self._posts}
            return {
                "now": self.clock.now(),
                "posts": posts,
                "counts": {
                    net: {
                        "posts": sum(1 for p in self.posts(net)),
                        "deleted_posts": sum(1 for p in self.posts(net, include_deleted=True) if p.deleted),
                        "members": len(self.members_of(net)),
                        "active_tokens": sum(
                            1
                            for t in self.tokens.values()
                            if t.network == net and t.status(self.clock.now()) == "active"
                        ),
                        "images": len(self.images) if net == "linkedin" else 0,
                    }
                    for net in self._posts
                },
                "requests": dict(self.requests),
                "members": {
                    net: [{"id": m.id, "name": m.name, "username": m.username} for m in self.members_of(net)]
                    for net in self._posts
                },
            }
