"""Everything the fake networks remember, per server instance: in memory, and in a file if asked.

One re-entrant lock guards it all: request handlers hold it for their whole (short)
check-then-act, so "is this a duplicate? then store it" is atomic even when many
threads post at once. Fault latency and hangs happen outside the lock.

Persistence (``SandboxState(..., path=...)``; ``run_sandbox`` uses var/sandbox-state.json):
members, authorisation codes, tokens (with their absolute expiry times), posts, uploaded
images and the clock's offset are written as one JSON document after every request that
changed them -- to a temporary file, fsync'ed, then ``os.replace``d over the old one, so a
crash never leaves half a file and a restart right after a post keeps the post. A missing
file means a fresh start; an unreadable one is kept aside as ``<name>.corrupt`` and the
sandbox starts fresh with a warning. Rate-limit windows and request counts are not kept.
"""

import base64
import contextlib
import json
import logging
import os
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .clock import Clock
from .config import LINKEDIN_CLIENT_ID, X_CLIENT_ID
from .identity import default_email, digest, member_id, normalise_name, username
from .presets import parse_preset_token

logger = logging.getLogger("sandbox")

STATE_FORMAT = "chorus-sandbox-state"
STATE_VERSION = 1
_DEFAULT_CLIENT_IDS = {"linkedin": LINKEDIN_CLIENT_ID, "x": X_CLIENT_ID}


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
    """Apps' codes and tokens, members, posts, images and rate-limit counters.

    ``path``: the JSON file to keep them in across restarts (None: memory only).
    ``client_id_for``: the client id a preset (demo) token is bound to, per network.
    """

    def __init__(
        self,
        clock: Clock,
        preset_members: Iterable[str] = (),
        *,
        path: str | os.PathLike[str] | None = None,
        client_id_for: Callable[[str], str] | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self._presets = tuple(preset_members)
        self.path: Path | None = Path(path) if path else None
        self.client_id_for: Callable[[str], str] = client_id_for or _DEFAULT_CLIENT_IDS.__getitem__
        self._saved_fingerprint: str | None = None
        self._clear()
        self._reset_requests()
        if self.path is not None:
            self.load()

    def _clear(self) -> None:
        with self.lock:
            self.members: dict[tuple[str, str], Member] = {}
            self.codes: dict[str, AuthCode] = {}
            self.tokens: dict[str, Token] = {}
            self.images: dict[str, Image] = {}
            self._posts: dict[str, dict[str, Post]] = {"linkedin": {}, "x": {}}
            self._windows: dict[tuple[str, ...], tuple[float, int]] = {}
            self._next_sequence = 1
            self._add_preset_members()

    def _add_preset_members(self) -> None:
        for name in self._presets:
            self.member("linkedin", name)
            self.member("x", name)

    def reset(self) -> None:
        """Forget everything except the preset members, request counts too; delete the state file."""
        with self.lock:
            self._clear()
            self._reset_requests()
            if self.path is not None:
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
                self._saved_fingerprint = None

    # --- members ---
    def member(self, network: str, name: str, email: str | None = None) -> Member:
        """The member with this display name, created on first use (connect as anyone)."""
        name = normalise_name(name)
        new_id = member_id(network, name)
        with self.lock:
            existing = self.members.get((network, new_id))
            if existing:
                if email:
                    existing.email = email
                return existing
            raw = digest(network, name.casefold())
            member = Member(
                network=network,
                id=new_id,
                name=name,
                email=email or default_email(name),
                username=username(name, new_id),
                followers=50 + raw[8] * 20 + raw[9],
                following=20 + raw[10],
                created_at=1_400_000_000 + int.from_bytes(raw[11:14]) * 10,
            )
            self.members[(network, new_id)] = member
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
        """The token with this value on ``network``; a preset (demo) token is adopted on first sight."""
        if not value:
            return None
        with self.lock:
            token = self.tokens.get(value) or self._adopt_preset(value)
        return token if token is not None and token.network == network else None

    def _adopt_preset(self, value: str) -> Token | None:
        preset = parse_preset_token(value)
        if preset is None:
            return None
        member = self.member(preset.network, preset.name)
        token = Token(
            value=value, network=preset.network, kind=preset.kind, client_id=self.client_id_for(preset.network),
            member_id=member.id, scopes=preset.scopes, issued_at=self.clock.now(), expires_at=preset.expires_at,
        )
        self.tokens[value] = token
        return token

    # --- posts ---
    def next_snowflake(self) -> str:
        """An id that grows with time, like the real 19-digit ids of both networks."""
        with self.lock:
            sequence = self._next_sequence
            self._next_sequence += 1
        return str(((self.clock.ms() - 1_288_834_974_657) << 22) | (sequence & 0x3FFFFF))

    def add_post(self, post: Post) -> Post:
        with self.lock:
            self._posts[post.network][post.id] = post
        return post

    def delete_post(self, network: str, post_id: str) -> Post | None:
        """Mark a post deleted, as if its author deleted it on the network (None: no such post)."""
        with self.lock:
            post = self._posts[network].get(post_id)
            if post is not None:
                post.deleted = True
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

    # --- request counts ---
    def _reset_requests(self) -> None:
        with self.lock:
            self.requests: dict[str, int] = {}  # "network.group" -> requests seen (faulted ones too)
            self.faulted: dict[str, int] = {}  # "network.group" -> of those, answered by a fault
            self.requests_since = self.clock.now()

    def count_request(self, network: str, group: str) -> None:
        with self.lock:
            key = f"{network}.{group}"
            self.requests[key] = self.requests.get(key, 0) + 1

    def count_fault(self, network: str, group: str) -> None:
        with self.lock:
            key = f"{network}.{group}"
            self.faulted[key] = self.faulted.get(key, 0) + 1

    def request_counts(self, *, reset: bool = False) -> dict[str, Any]:
        """Requests seen per ``network.group`` since the last reset (served at /_sandbox/requests).

        Every request that reached a network route counts, including those a fault answered,
        dropped or hung; ``faulted`` says how many of them a fault took. ``reset=True``
        returns the counts and starts a new window, e.g. around a simulated outage.
        """
        with self.lock:
            networks: dict[str, int] = {}
            for key, count in self.requests.items():
                net = key.split(".", 1)[0]
                networks[net] = networks.get(net, 0) + count
            counts = {
                "since": self.requests_since,
                "now": self.clock.now(),
                "requests": dict(sorted(self.requests.items())),
                "faulted": dict(sorted(self.faulted.items())),
                "networks": dict(sorted(networks.items())),
                "total": sum(self.requests.values()),
            }
            if reset:
                self._reset_requests()
            return counts

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
                "faulted": dict(self.faulted),
                "requests_since": self.requests_since,
                "state_file": str(self.path) if self.path else None,
                "members": {
                    net: [{"id": m.id, "name": m.name, "username": m.username} for m in self.members_of(net)]
                    for net in self._posts
                },
            }

    # --- persistence ---
    def dump(self, *, with_image_data: bool = True) -> dict[str, Any]:
        """The JSON document of the state file (image bytes as base64)."""
        now = self.clock.now()
        with self.lock:
            images = []
            for image in self.images.values():
                item = asdict(image)
                data = item.pop("data")
                if with_image_data:
                    item["data"] = None if data is None else base64.b64encode(data).decode("ascii")
                else:  # cheap change detection: bytes cache their hash
                    item["data"] = None if data is None else [len(data), hash(data)]
                images.append(item)
            return {
                "format": STATE_FORMAT,
                "version": STATE_VERSION,
                "clock": self.clock.dump(),
                "next_sequence": self._next_sequence,
                "members": [asdict(m) for m in self.members.values()],
                # Codes live seconds to minutes; dead ones are not worth keeping.
                "codes": [asdict(c) for c in self.codes.values() if not c.used and c.expires_at > now],
                "tokens": [asdict(t) for t in self.tokens.values()],
                "images": images,
                "posts": {net: [asdict(p) for p in posts.values()] for net, posts in self._posts.items()},
            }

    def _fingerprint(self) -> str:
        return json.dumps(self.dump(with_image_data=False), sort_keys=True, ensure_ascii=False, default=str)

    def save(self, *, force: bool = False) -> bool:
        """Write the state file if anything changed since the last write; True if written.

        Atomic (temporary file in the same folder, fsync, ``os.replace``). A failed write
        is logged, never raised: the network keeps answering from memory.
        """
        if self.path is None:
            return False
        with self.lock:
            fingerprint = self._fingerprint()
            if not force and fingerprint == self._saved_fingerprint:
                return False
            text = json.dumps(self.dump(), ensure_ascii=False, indent=1)
            try:
                _write_atomically(self.path, text)
            except OSError as exc:
                logger.warning("sandbox: could not write the state file %s: %s", self.path, exc)
                return False
            self._saved_fingerprint = fingerprint
            return True

    def load(self) -> bool:
        """Read the state file; a missing one means a fresh start, a bad one is set aside."""
        if self.path is None:
            return False
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            logger.info("sandbox: no state file at %s yet; starting fresh", self.path)
            return False
        except OSError as exc:
            logger.warning("sandbox: cannot read the state file %s (%s); starting fresh", self.path, exc)
            return False
        with self.lock:
            try:
                self._restore(json.loads(text))
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                self._clear()
                aside = self.path.with_name(self.path.name + ".corrupt")
                with contextlib.suppress(OSError):
                    os.replace(self.path, aside)
                logger.warning(
                    "sandbox: the state file %s is unreadable (%s); starting fresh (the bad file is kept as %s)",
                    self.path, exc, aside,
                )
                return False
            self._saved_fingerprint = self._fingerprint()
        logger.info("sandbox: state loaded from %s", self.path)
        return True

    def _restore(self, doc: Any) -> None:
        """Replace the in-memory state by a dumped document; raises on any malformed part."""
        if not isinstance(doc, dict) or doc.get("format") != STATE_FORMAT:
            raise ValueError("not a sandbox state file")
        if doc.get("version") != STATE_VERSION:
            raise ValueError(f"state file version {doc.get('version')!r}, expected {STATE_VERSION}")
        members = [_build(Member, m) for m in doc["members"]]
        codes = [_build(AuthCode, c, tuples=("scopes",)) for c in doc["codes"]]
        tokens = [_build(Token, t, tuples=("scopes",)) for t in doc["tokens"]]
        images = []
        for raw in doc["images"]:
            raw = dict(raw)
            data = raw.pop("data", None)
            image = _build(Image, raw)
            image.data = None if data is None else base64.b64decode(data, validate=True)
            images.append(image)
        posts: dict[str, dict[str, Post]] = {"linkedin": {}, "x": {}}
        for net, items in doc["posts"].items():
            for item in items:
                post = _build(Post, item)
                if net not in posts or post.network != net:
                    raise ValueError(f"post {post.id} is filed under {net!r}")
                posts[net][post.id] = post
        sequence = int(doc.get("next_sequence", 1))
        clock = doc.get("clock") or {}
        # Everything parsed: now swap it in.
        self._clear()
        self.members = {(m.network, m.id): m for m in members}
        self.codes = {c.code: c for c in codes}
        self.tokens = {t.value: t for t in tokens}
        self.images = {i.id: i for i in images}
        self._posts = posts
        self._next_sequence = max(sequence, 1)
        self.clock.restore(clock)
        self._add_preset_members()


def _build(cls: type[Any], raw: Any, *, tuples: tuple[str, ...] = ()) -> Any:
    """A dataclass from its dumped dict; unknown or missing fields raise TypeError."""
    if not isinstance(raw, dict):
        raise TypeError(f"{cls.__name__} entry is not an object")
    values = dict(raw)
    for name in tuples:
        if name in values:
            values[name] = tuple(values[name])
    names = {f.name for f in fields(cls)}
    if set(values) - names:
        raise TypeError(f"unknown {cls.__name__} fields: {sorted(set(values) - names)}")
    return cls(**values)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
