"""Fault injection: the failures real networks produce, on demand and repeatably.

A fault is a rule: a *kind* (what goes wrong), an optional *network* and endpoint *group*
it targets, and either a *probability* (drawn from a seeded RNG, so a test run is
repeatable) or a *count* ("the next N matching requests"), or both. Rules can be set in
Python on a running server, over ``/_sandbox/faults`` or from the command line.

The most important kind is ``drop_after_accept``: the post is stored, then the socket is
closed without a response. The client sees a connection error although the post exists
-- the case that produces double posts if the client simply retries. Its relatives
``timeout_after_accept``, ``error_after_accept`` and ``body_only_id`` also act after the
handler succeeded (the "after" kinds). ``revoked_after_exchange`` is armed by a successful
code exchange and fires on the next profile call made with the new token.
"""

import dataclasses
import random
import threading
from dataclasses import dataclass
from typing import Any

# kind -> what the client sees
KINDS: dict[str, str] = {
    "latency": "the response is delayed by latency_ms",
    "error": "a 5xx (status, or one of 500/502/503 at random)",
    "timeout": "the server hangs for hang_seconds, then closes the connection; nothing happens",
    "drop": "the connection is closed before the request is handled; nothing happens",
    "rate_limit": "429 with reset headers (LinkedIn never sends headers)",
    "rate_limit_bare": "429 without any rate-limit or Retry-After headers",
    "expired_token": "401 expired token (LinkedIn 65602); invalid_grant at token endpoints",
    "revoked_token": "401 revoked token (LinkedIn 65601); invalid_grant at token endpoints",
    "invalid_token": "401 invalid token (LinkedIn 65600)",
    "forbidden": "403 access denied / forbidden",
    "duplicate": (
        "the network's duplicate-post rejection (LinkedIn 422 naming the member's latest post with the "
        "same text, else urn:li:share:7000000000000000000; X 403); post group only"
    ),
    "version_retired": "LinkedIn 426 NONEXISTENT_VERSION; LinkedIn only",
    "drop_after_accept": "the request succeeds (the post is stored), then the connection is closed",
    "timeout_after_accept": "the request succeeds, then the server hangs and closes the connection",
    "error_after_accept": (
        "the request succeeds (the post is stored), then a 5xx is answered instead (status, default 500)"
    ),
    "body_only_id": (
        "LinkedIn post creation: 201 with the id only in the JSON body {\"id\": urn}, no x-restli-id header"
    ),
    "metrics_forbidden": (
        "metrics endpoints answer 403 (LinkedIn ACCESS_DENIED on memberCreatorPostAnalytics; "
        "X client-forbidden problem); metrics group only"
    ),
    "token_html": (
        "token endpoints answer an HTML maintenance page (text/html) with status 200, or the rule's "
        "status (e.g. 502); oauth group only"
    ),
    "revoked_after_exchange": (
        "after a successful code exchange, the first profile call with the new token answers 401 "
        "revoked (LinkedIn 65601); later calls succeed"
    ),
    "connect_forbidden": (
        "the profile call answers 403 (LinkedIn: app without the OpenID Connect product; "
        "X: client-forbidden problem); profile group only"
    ),
    "invalid_id": (
        "X post lookup answers 400 invalid-request naming the first id in ids as invalid; X metrics only"
    ),
}
# Act on a response the handler already produced (the request really happened).
AFTER_KINDS = frozenset({"drop_after_accept", "timeout_after_accept", "error_after_accept", "body_only_id"})
# Armed by one request, fired by a later one: never decided in ``before``/``after``.
ARMED_KINDS = frozenset({"revoked_after_exchange"})
NETWORKS = frozenset({"linkedin", "x"})
# "web" (HTML pages) and "control" (/_sandbox) are only hit by rules that name them.
GROUPS = frozenset({"oauth", "profile", "post", "media", "metrics", "lookup", "web", "control"})
_EXPLICIT_ONLY_GROUPS = frozenset({"web", "control"})


@dataclass
class FaultRule:
    kind: str
    network: str | None = None
    group: str | None = None
    probability: float = 1.0
    count: int | None = None  # remaining applications; None = no limit
    status: int | None = None  # for "error"
    latency_ms: int = 0  # for "latency"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(sorted(KINDS))}")
        if self.network is not None and self.network not in NETWORKS:
            raise ValueError(f"unknown network {self.network!r}")
        if self.group is not None and self.group not in GROUPS:
            raise ValueError(f"unknown endpoint group {self.group!r}; known: {', '.join(sorted(GROUPS))}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")

    def targets(self, network: str, group: str) -> bool:
        if self.network is not None and self.network != network:
            return False
        if self.group is None:
            return group not in _EXPLICIT_ONLY_GROUPS
        return self.group == group

    def meaningful_for(self, network: str, group: str, status: int | None = None) -> bool:
        """Some kinds only exist on one network or endpoint; elsewhere they are skipped.

        ``status`` is the handler's status for the "after" kinds (None before the handler).
        """
        kind = self.kind
        if kind == "version_retired":
            return network == "linkedin" and group not in ("oauth", "profile")  # /v2/userinfo is unversioned
        if kind == "duplicate":
            return group == "post"
        if kind == "body_only_id":
            return network == "linkedin" and group == "post" and status == 201
        if kind == "metrics_forbidden":
            return group == "metrics"
        if kind == "token_html":
            return group == "oauth"
        if kind in ("connect_forbidden", "revoked_after_exchange"):
            return group == "profile"
        if kind == "invalid_id":
            return network == "x" and group == "metrics"
        return True


@dataclass
class FaultDecision:
    latency_seconds: float = 0.0
    rule: FaultRule | None = None


class Faults:
    """The active fault rules plus three global knobs; safe to change from any thread."""

    def __init__(
        self,
        *,
        seed: int = 0,
        latency_ms: int = 0,
        error_rate: float = 0.0,
        hang_seconds: float = 30.0,
        rules: list[FaultRule] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._rng = random.Random(seed)  # noqa: S311  (repeatable fault draws, not security)
        self.latency_ms = latency_ms  # added to every non-web request
        self.error_rate = error_rate  # probability of a random 5xx on every non-web request
        self.hang_seconds = hang_seconds  # how long "timeout" hangs: longer than client timeouts
        self.rules: list[FaultRule] = list(rules or [])
        self._armed: dict[str, set[str]] = {}  # network -> access tokens owed one "revoked" answer

    # --- configuring ---
    def add(self, kind: str, **options: Any) -> FaultRule:
        rule = FaultRule(kind=kind, **options)
        with self._lock:
            self.rules.append(rule)
        return rule

    def next(self, kind: str, n: int = 1, **options: Any) -> FaultRule:
        """Shorthand: the next ``n`` matching requests get this fault."""
        return self.add(kind, count=n, **options)

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self._armed.clear()
            self.latency_ms = 0
            self.error_rate = 0.0

    def reseed(self, seed: int) -> None:
        with self._lock:
            self._seed = seed
            self._rng = random.Random(seed)  # noqa: S311

    @property
    def seed(self) -> int:
        return self._seed

    def update(self, values: dict[str, Any]) -> None:
        """Apply a JSON document: scalar knobs are set, ``rules`` replaces, ``add`` appends."""
        known = {"latency_ms", "error_rate", "hang_seconds", "seed", "rules", "add", "clear"}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        if values.get("clear"):
            self.clear()
        replace = [FaultRule(**r) for r in values["rules"]] if "rules" in values else None
        added = [FaultRule(**r) for r in values.get("add", [])]
        if "seed" in values:
            self.reseed(int(values["seed"]))
        with self._lock:
            if "latency_ms" in values:
                self.latency_ms = int(values["latency_ms"])
            if "error_rate" in values:
                self.error_rate = float(values["error_rate"])
            if "hang_seconds" in values:
                self.hang_seconds = float(values["hang_seconds"])
            if replace is not None:
                self.rules = replace
            self.rules.extend(added)

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "seed": self._seed,
                "latency_ms": self.latency_ms,
                "error_rate": self.error_rate,
                "hang_seconds": self.hang_seconds,
                "rules": [dataclasses.asdict(r) for r in self.rules],
                "armed": {net: len(tokens) for net, tokens in self._armed.items() if tokens},
                "kinds": KINDS,
            }

    # --- deciding ---
    def before(self, network: str, group: str) -> FaultDecision:
        """Called before a request is handled: the latency to add and the fault to answer with."""
        decision = FaultDecision()
        with self._lock:
            if group not in _EXPLICIT_ONLY_GROUPS:
                decision.latency_seconds = self.latency_ms / 1000.0
            for rule in list(self.rules):
                if rule.kind in AFTER_KINDS or rule.kind in ARMED_KINDS or not rule.targets(network, group):
                    continue
                if not rule.meaningful_for(network, group) or not self._fires(rule):
                    continue
                if rule.kind == "latency":
                    decision.latency_seconds += rule.latency_ms / 1000.0
                    self._consume(rule)
                elif decision.rule is None:
                    decision.rule = rule
                    self._consume(rule)
            if decision.rule is None and group not in _EXPLICIT_ONLY_GROUPS and self.error_rate > 0:
                if self._rng.random() < self.error_rate:
                    decision.rule = FaultRule("error", status=self._rng.choice((500, 502, 503)))
        return decision

    def after(self, network: str, group: str, status: int | None = None) -> FaultRule | None:
        """Called after a request succeeded with ``status``: should the response be replaced or withheld?"""
        with self._lock:
            for rule in list(self.rules):
                if rule.kind not in AFTER_KINDS or not rule.targets(network, group):
                    continue
                if rule.meaningful_for(network, group, status) and self._fires(rule):
                    self._consume(rule)
                    return rule
        return None

    def arm_after_exchange(self, network: str, access_token: str) -> bool:
        """A code exchange on ``network`` just issued ``access_token``: owe it a revoked answer?"""
        with self._lock:
            for rule in list(self.rules):
                if rule.kind in ARMED_KINDS and rule.targets(network, "profile") and self._fires(rule):
                    self._consume(rule)
                    self._armed.setdefault(network, set()).add(access_token)
                    return True
        return False

    def take_armed(self, network: str, access_token: str | None) -> bool:
        """True (once) if this token is owed a revoked answer on its first profile call."""
        if not access_token:
            return False
        with self._lock:
            armed = self._armed.get(network, set())
            if access_token in armed:
                armed.discard(access_token)
                return True
        return False

    def random_status(self) -> int:
        with self._lock:
            return self._rng.choice((500, 502, 503))

    def _fires(self, rule: FaultRule) -> bool:
        if rule.count is not None and rule.count <= 0:
            return False
        return rule.probability >= 1.0 or self._rng.random() < rule.probability

    def _consume(self, rule: FaultRule) -> None:
        if rule.count is not None:
            rule.count -= 1
            if rule.count <= 0 and rule in self.rules:
                self.rules.remove(rule)


def parse_fault_spec(spec: str) -> dict[str, Any]:
    """``kind=drop_after_accept,network=x,group=post,count=1`` (or just ``kind``) -> rule fields.

    The compact form for ``run_sandbox --fault`` and the SANDBOX_FAULTS environment variable.
    """
    fields: dict[str, Any] = {}
    for index, part in enumerate(p.strip() for p in spec.split(",") if p.strip()):
        key, sep, value = part.partition("=")
        if not sep:
            if index:
                raise ValueError(f"expected key=value in fault spec, got {part!r}")
            key, value = "kind", part
        key = key.strip()
        if key in ("count", "status", "latency_ms"):
            fields[key] = int(value)
        elif key == "probability":
            fields[key] = float(value)
        elif key in ("kind", "network", "group"):
            fields[key] = value.strip()
        else:
            raise ValueError(f"unknown fault spec key {key!r}")
    FaultRule(**fields)  # validate now, with a clear message
    return fields
