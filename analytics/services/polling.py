"""Engagement polling on a decaying schedule, in as few calls as the networks allow.

A beat sweep (``metrics.poll_due``) takes the shares whose ``next_poll_at`` has come
(about 1 h, 6 h, 24 h, 3 d, 7 d and 30 d after posting, then never) and reads them
per network:

- **X**: ``GET /2/tweets?ids=…`` with up to 100 ids per call and the app-only bearer
  token. X bills a read once per post per UTC day, so after a post's first day it is
  read at most once per UTC day; the cost (``X_COST_READ`` per billed read) is recorded
  in ``ApiUsage`` and counts towards the month's X budget, and reads pause when the
  budget is used up.
- **LinkedIn**: ``memberCreatorPostAnalytics`` with the author's token, one call per
  metric, only when the organisation's app is approved for it
  (``LINKEDIN_POST_ANALYTICS``) *and* the author's token carries
  ``r_member_postAnalytics``; otherwise the share is skipped without a call.

Shares whose author must reconnect (or disconnected) are skipped: a dead or withdrawn
connection means no reading on the employee's behalf. Each batch (an X chunk, a
LinkedIn author) succeeds or fails alone: a provider error delays that batch only.

What the providers refuse is remembered, so it is not asked for again and again:

- A metric refused with a 403 (the adapter's ``denied_metrics``) is recorded for that
  account with the scopes it had (``MetricsDenial``) and not asked for again until the
  account's scopes change (the employee reconnected, granting more). An account whose
  every metric is refused is skipped without a call.
- X posts it reports as unavailable (deleted, protected, not returned) stop being polled.

Budgets are charged for the HTTP calls the adapter actually made (``metrics_calls``),
never for the calls planned: a refused metric, a post found missing half-way or a batch
that failed early costs only what it really cost.

A sweep at scale (100,000 X posts and 10,000 LinkedIn authors, BENCHMARKS.md B5) writes
what it read in groups (``_Pending``: snapshots, the rows' totals and schedule, API usage,
one transaction per ``WRITE_ROWS`` rows) rather than a transaction per batch, reuses one
LinkedIn adapter (one HTTP connection) for every author, and decrypts only the LinkedIn
authors' tokens (X reads use the app's). Reads of a sweep that dies before writing them
are simply read again when their lease runs out.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import redis
from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from advocacy.models import AccountStatus, ProgrammeSettings, SocialAccount
from advocacy.services.sharing import x_month_spend
from advocacy.services.tokens import account_access_token, account_mark_needs_reconnect
from analytics.models import ApiUsage, EngagementSnapshot, MetricsDenial, ShareMetrics
from analytics.periods import next_utc_midnight, utc_day
from analytics.services.rollups import poll_schedule, share_days_rebuild
from core.bulk import bulk_update_values
from core.redis import get_redis
from core.retry import backoff
from networks import (
    AuthError,
    ConfigError,
    NetworkAdapter,
    NetworkError,
    PostMetrics,
    RejectedError,
)
from networks.linkedin import ANALYTICS_SCOPE, METRICS
from networks.registry import get_adapter

logger = logging.getLogger(__name__)

X_CHUNK = 100
WRITE_ROWS = 500  # reads written per transaction
FIRST_DAY = timedelta(days=1)
CONFIG_DELAY = timedelta(hours=1)
RETRY_WAIT = 15 * 60  # seconds, after a provider error without a Retry-After
RETRY_CAP = 6 * 3600
DEAD_ACCOUNT = {AccountStatus.NEEDS_RECONNECT, AccountStatus.REVOKED}


@dataclass
class PollResult:
    polled: int = 0
    skipped: int = 0
    delayed: int = 0
    deferred: int = 0  # X: already read today
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    errors: list[str] = field(default_factory=list)


def next_after(*, posted_at: datetime, moment: datetime, network: str) -> tuple[int, datetime | None]:
    """Stage and time of the next poll after a read at ``moment`` (None: finished).

    On X, once the post is a day old a second read on the same UTC day is moved to the
    next UTC midnight."""
    for stage, offset in enumerate(poll_schedule()):
        at = posted_at + offset
        if at > moment:
            if network == "x" and at - posted_at >= FIRST_DAY and utc_day(at) == utc_day(moment):
                at = next_utc_midnight(moment)
            return stage, at
    return len(poll_schedule()), None


def _backoff(retry_after: float | None) -> timedelta:
    """How long a batch the provider refused waits: the provider's window when it gives one,
    else ``RETRY_WAIT`` (jittered down to half, so batches failed together spread out).

    The window is also passed as the base so that the jitter is drawn below it: a window
    is then waited exactly, not stretched by our own guess, and never cut to the cap."""
    window = retry_after if retry_after and retry_after > 0 else None
    return timedelta(seconds=backoff(1, base=window or RETRY_WAIT, cap=RETRY_CAP, retry_after=window))


def engagement_poll_due(
    *, now: datetime | None = None, adapter_factory: Callable[[str], NetworkAdapter] = get_adapter
) -> PollResult:
    """Poll every share that is due. Safe to repeat: a share read now is scheduled for
    later before the sweep ends, and a sweep overlapping another reads nothing twice
    because each takes its rows with a conditional update (``_claim``)."""
    now = now or timezone.now()
    result = PollResult()
    due = _claim(now)
    if not due:
        return result
    pending = _Pending()
    by_network: dict[str, list[ShareMetrics]] = defaultdict(list)
    for row in due:
        account = row.share.account
        if account is None or account.status in DEAD_ACCOUNT:
            _skip(row, now, "The author's connection needs reconnecting: not polled.")
            result.skipped += 1
            continue
        by_network[row.share.network].append(row)
    pairs: set[tuple[int, date]] = set()
    try:
        if by_network.get("x"):
            pairs |= _poll_x(by_network["x"], now, adapter_factory, result, pending)
        if by_network.get("linkedin"):
            pairs |= _poll_linkedin(by_network["linkedin"], now, adapter_factory, result, pending)
    finally:
        pending.write()
    share_days_rebuild(pairs)
    return result


def _claim(now: datetime) -> list[ShareMetrics]:
    """Take the due rows: push their ``next_poll_at`` a little ahead first, so an
    overlapping sweep does not take them too. The real next time is set after the read."""
    ids = list(
        ShareMetrics.objects.filter(next_poll_at__lte=now).order_by("next_poll_at")
        .values_list("share_id", flat=True)[: settings.ANALYTICS_POLL_MAX_SHARES]
    )
    if not ids:
        return []
    lease = now + timedelta(minutes=15)
    ShareMetrics.objects.filter(share_id__in=ids, next_poll_at__lte=now).update(next_poll_at=lease)
    # The tokens stay encrypted here (two decryptions per row were a fifth of a large
    # sweep): X reads with the app's token, LinkedIn loads its authors' (``_with_tokens``).
    return list(
        ShareMetrics.objects.filter(share_id__in=ids, next_poll_at=lease)
        .select_related("share", "share__account")
        .defer("share__account__access_token", "share__account__refresh_token")
    )


def _skip(row: ShareMetrics, now: datetime, note: str) -> None:
    row.stage, row.next_poll_at = next_after(posted_at=row.share.posted_at, moment=now, network="")
    row.note = note
    row.save(update_fields=["stage", "next_poll_at", "note", "updated_at"])


def _delay(rows: list[ShareMetrics], until: datetime, note: str) -> None:
    ShareMetrics.objects.filter(share_id__in=[r.share_id for r in rows]).update(
        next_poll_at=until, note=note[:200], updated_at=timezone.now()
    )


# --------------------------------------------------------------------------- X


def x_month_read_spend(*, now: datetime | None = None) -> Decimal:
    now = now or timezone.now()
    total = ApiUsage.objects.filter(
        network="x", day__gte=utc_day(now).replace(day=1), day__lte=utc_day(now)
    ).aggregate(total=Sum("cost"))["total"]
    return total or Decimal("0")


def _x_budget_left(now: datetime) -> bool:
    budget = ProgrammeSettings.load().x_monthly_budget
    return x_month_spend(now=now) + x_month_read_spend(now=now) < budget


def _reserve_x_lookup(now: datetime) -> float:
    """0 if a lookup may be made now, else the seconds until the 15-minute window ends.
    Redis down: allowed (X's own 429 still protects us)."""
    window = int(now.timestamp()) // 900
    key = f"budget:x:lookup:{window}"
    try:
        client = get_redis()
        used = client.incr(key)
        client.expire(key, 1800)
    except redis.RedisError:
        return 0.0
    if used > settings.ANALYTICS_X_LOOKUPS_PER_15_MIN:
        return float((window + 1) * 900 - int(now.timestamp()))
    return 0.0


def _poll_x(rows, now, adapter_factory, result: PollResult, pending: "_Pending") -> set[tuple[int, date]]:
    today = utc_day(now)
    ready = []
    for row in rows:
        old_enough = now - row.share.posted_at >= FIRST_DAY
        if old_enough and row.last_read_day == today:
            # X bills once per post per UTC day: after the first day, one read a day.
            row.next_poll_at = next_utc_midnight(now)
            row.save(update_fields=["next_poll_at", "updated_at"])
            result.deferred += 1
        elif not row.share.remote_id:
            _skip(row, now, "No post id from X: nothing to poll.")
            result.skipped += 1
        else:
            ready.append(row)
    if not ready:
        return set()
    if not _x_budget_left(now):
        _delay(ready, next_utc_midnight(now), "The X budget for this month is used up: reading paused.")
        result.delayed += len(ready)
        return set()
    adapter = adapter_factory("x")
    pairs: set[tuple[int, date]] = set()
    for start in range(0, len(ready), X_CHUNK):
        chunk = ready[start:start + X_CHUNK]
        wait = _reserve_x_lookup(now)
        if wait:
            _delay(chunk, now + timedelta(seconds=wait), "Waiting for X's rate limit window.")
            result.delayed += len(chunk)
            continue
        adapter.metrics_calls = 0
        try:
            metrics = adapter.fetch_metrics(remote_ids=[r.share.remote_id for r in chunk])
        except NetworkError as exc:
            made = _calls_made(adapter)
            _settle_x_lookup(now, made)
            result.calls["x"] += made
            if made:
                pending.usage("x", today, calls=made, posts=0, billed=0, cost=Decimal("0"))
            result.delayed += len(chunk)
            result.errors.append(f"x: {exc}")
            delay = CONFIG_DELAY if isinstance(exc, ConfigError | AuthError) else _backoff(
                getattr(exc, "retry_after", None))
            logger.warning("X metrics batch of %d delayed: %s", len(chunk), exc)
            _delay(chunk, now + delay, f"X: {exc}")
            continue
        made = _calls_made(adapter)
        _settle_x_lookup(now, made)
        result.calls["x"] += made
        if adapter.denied_metrics:  # app-token reads: the app's access level, not an account's
            logger.warning("X refused metrics %s to Chorus's app", sorted(adapter.denied_metrics))
        billed = sum(1 for r in chunk if r.last_read_day != today) if made else 0
        pending.usage("x", today, calls=made, posts=len(chunk), billed=billed,
                      cost=billed * Decimal(str(settings.X_COST_READ)))
        # Deleted, protected or not returned: X will not give it to us later either.
        pairs |= _store(chunk, metrics, adapter.unavailable, now, "x", pending, stop_unavailable=True)
        result.polled += len(chunk)
    return pairs


def _calls_made(adapter: NetworkAdapter) -> int:
    """The HTTP calls the last ``fetch_metrics`` really made (the adapter counts them, also
    when it raised): what budgets are charged, never the calls planned."""
    return max(0, int(getattr(adapter, "metrics_calls", 0) or 0))


def _settle_x_lookup(now: datetime, made: int) -> None:
    """One lookup was reserved per chunk before the call: give back what was not used
    (no call at all) or take the extra ones (X's 400 for a bad id is followed by a retry)."""
    if made == 1:
        return
    key = f"budget:x:lookup:{int(now.timestamp()) // 900}"
    try:
        get_redis().incrby(key, made - 1)
    except redis.RedisError:
        pass


# --------------------------------------------------------------------------- LinkedIn


def _reserve_linkedin(now: datetime, calls: int) -> bool:
    key = f"budget:linkedin:analytics:{utc_day(now):%Y%m%d}"
    try:
        client = get_redis()
        used = client.incrby(key, calls)
        client.expire(key, 2 * 86400)
    except redis.RedisError:
        return True
    if used > settings.ANALYTICS_LINKEDIN_CALLS_PER_DAY:
        client.decrby(key, calls)
        return False
    return True


def _settle_linkedin(now: datetime, planned: int, made: int) -> None:
    """The day's budget was reserved for the calls planned: charge the calls made instead."""
    if planned == made:
        return
    try:
        get_redis().decrby(f"budget:linkedin:analytics:{utc_day(now):%Y%m%d}", planned - made)
    except redis.RedisError:
        pass


def _fetch_linkedin(adapter: NetworkAdapter, remote_ids: list[str], token, skip: frozenset[str]):
    """``fetch_metrics`` without the metrics already refused to this account: the adapter
    makes no call for them (``skip_metrics``)."""
    return adapter.fetch_metrics(remote_ids=remote_ids, token=token, skip_metrics=skip)


def _scope_key(scopes: str) -> frozenset[str]:
    return frozenset(scopes.replace(",", " ").split())


_UNKNOWN = object()


def _denied_metrics(account: SocialAccount, denial=_UNKNOWN) -> frozenset[str]:
    """The metrics this account's connection was refused, while its scopes are the ones it
    had then. New scopes (a reconnect that granted more): forgotten, and asked again.
    ``denial``: the account's ``MetricsDenial`` (or None) when already looked up."""
    if denial is _UNKNOWN:
        denial = MetricsDenial.objects.filter(account=account).first()
    if denial is None:
        return frozenset()
    if _scope_key(denial.scopes) != _scope_key(account.scopes):
        denial.delete()
        return frozenset()
    return denial.metric_set


def _record_denied(account: SocialAccount, metrics: set[str], now: datetime) -> None:
    """Remember refused metrics (adding to what this account was already refused)."""
    known = _denied_metrics(account)
    MetricsDenial.objects.update_or_create(
        account=account,
        defaults={"metrics": " ".join(sorted(known | metrics)), "scopes": account.scopes, "denied_at": now},
    )


def _with_tokens(account_ids: list[int]) -> dict[int, SocialAccount]:
    """The accounts with their (decrypted) tokens, a query per 2,000."""
    out: dict[int, SocialAccount] = {}
    for start in range(0, len(account_ids), 2000):
        out.update(SocialAccount.objects.in_bulk(account_ids[start:start + 2000]))
    return out


def _poll_linkedin(rows, now, adapter_factory, result: PollResult, pending: "_Pending") -> set[tuple[int, date]]:
    by_account: dict[int, list[ShareMetrics]] = defaultdict(list)
    for row in rows:
        account = row.share.account
        if not settings.LINKEDIN_POST_ANALYTICS:
            _skip(row, now, "LinkedIn post analytics are not enabled for this organisation: not polled.")
            result.skipped += 1
        elif ANALYTICS_SCOPE not in account.scope_set:
            _skip(row, now, "The author's LinkedIn connection has no analytics permission: not polled.")
            result.skipped += 1
        elif not row.share.remote_id:
            _skip(row, now, "No post id from LinkedIn: nothing to poll.")
            result.skipped += 1
        else:
            by_account[account.pk].append(row)
    pairs: set[tuple[int, date]] = set()
    accounts = _with_tokens(list(by_account))
    denials = {d.account_id: d for start in range(0, len(by_account), 2000)
               for d in MetricsDenial.objects.filter(account_id__in=list(by_account)[start:start + 2000])}
    adapter: NetworkAdapter | None = None  # one for every author: one HTTP connection, kept alive
    for account_id, batch in by_account.items():
        account = accounts.get(account_id)
        if account is None:  # disconnected meanwhile
            for row in batch:
                _skip(row, now, "The author's connection needs reconnecting: not polled.")
            result.skipped += len(batch)
            continue
        denied = _denied_metrics(account, denials.get(account_id))
        wanted = [m for m in METRICS if m not in denied]
        if not wanted:
            # Every metric was refused to these scopes: no call until they change.
            for row in batch:
                _skip(row, now, "LinkedIn refused this connection's post statistics (403): "
                                "not polled until it is reconnected with more permissions.")
            result.skipped += len(batch)
            continue
        planned = len(wanted) * len(batch)
        if not _reserve_linkedin(now, planned):
            _delay(batch, next_utc_midnight(now), "LinkedIn analytics budget for today is used up.")
            result.delayed += len(batch)
            continue
        adapter = adapter or adapter_factory("linkedin")
        adapter.metrics_calls = 0
        adapter.denied_metrics = set()
        adapter.unavailable = {}
        metrics: dict[str, PostMetrics] = {}
        failure: NetworkError | None = None
        try:
            token = account_access_token(account=account)
            metrics = _fetch_linkedin(adapter, [r.share.remote_id for r in batch], token, denied)
        except NetworkError as exc:
            failure = exc
        made = _calls_made(adapter)
        _settle_linkedin(now, planned, made)
        result.calls["linkedin"] += made
        if made or failure is None:
            pending.usage("linkedin", utc_day(now), calls=made, posts=0 if failure else len(batch), billed=0,
                          cost=Decimal("0"))
        refused = set(adapter.denied_metrics)
        if isinstance(failure, RejectedError) and failure.status == 403:
            refused |= set(METRICS)  # an adapter that raised its 403 instead of listing it
        if refused:
            _record_denied(account, refused, now)
        if isinstance(failure, AuthError):
            # account_access_token already marked it; a 401 from the analytics call did not.
            account_mark_needs_reconnect(account=account, reason=str(failure))
            for row in batch:
                _skip(row, now, "The author's LinkedIn connection needs reconnecting: not polled.")
            result.skipped += len(batch)
            continue
        if isinstance(failure, RejectedError) and failure.status == 403:
            for row in batch:
                _skip(row, now, "LinkedIn refused this connection's post statistics (403): "
                                "not polled until it is reconnected with more permissions.")
            result.skipped += len(batch)
            continue
        if failure is not None:
            delay = CONFIG_DELAY if isinstance(failure, ConfigError) else _backoff(
                getattr(failure, "retry_after", None))
            logger.warning("LinkedIn metrics of account %s delayed: %s", account.pk, failure)
            _delay(batch, now + delay, f"LinkedIn: {failure}")
            result.delayed += len(batch)
            result.errors.append(f"linkedin: {failure}")
            continue
        pairs |= _store(batch, metrics, adapter.unavailable, now, "linkedin", pending, not_read=denied | refused)
        result.polled += len(batch)
    return pairs


# --------------------------------------------------------------------------- storing


def _usage(network: str, day: date, *, calls: int, posts: int, billed: int, cost: Decimal) -> None:
    usage, _ = ApiUsage.objects.get_or_create(day=day, network=network)
    ApiUsage.objects.filter(pk=usage.pk).update(
        calls=F("calls") + calls, posts_read=F("posts_read") + posts,
        billed_reads=F("billed_reads") + billed, cost=F("cost") + cost,
    )


class _Pending:
    """What a sweep read and has not written yet: snapshots, the rows' new totals and
    schedule, and API usage per network and day. Written in one transaction every
    ``WRITE_ROWS`` rows and when the sweep ends (even one that failed half-way)."""

    def __init__(self) -> None:
        self.rows: list[ShareMetrics] = []
        self.snapshots: list[EngagementSnapshot] = []
        self.usages: dict[tuple[str, date], list] = {}

    def usage(self, network: str, day: date, *, calls: int, posts: int, billed: int, cost: Decimal) -> None:
        totals = self.usages.setdefault((network, day), [0, 0, 0, Decimal("0")])
        for i, value in enumerate((calls, posts, billed, cost)):
            totals[i] += value

    def add(self, rows: list[ShareMetrics], snapshots: list[EngagementSnapshot]) -> None:
        self.rows.extend(rows)
        self.snapshots.extend(snapshots)
        if len(self.rows) >= WRITE_ROWS:
            self.write()

    def write(self) -> None:
        if not (self.rows or self.snapshots or self.usages):
            return
        with transaction.atomic():
            EngagementSnapshot.objects.bulk_create(self.snapshots, batch_size=500)
            # One UPDATE … FROM (VALUES …) per 500 rows: Django's bulk_update (a CASE per
            # row and field) was 59 % of a sweep's CPU (BENCHMARKS.md, B5).
            bulk_update_values(
                self.rows,
                ["stage", "next_poll_at", "polls", "last_polled_at", "last_read_day", "reactions", "comments",
                 "reshares", "impressions", "members_reached", "note", "updated_at"],
                batch_size=500,
            )
            for (network, day), (calls, posts, billed, cost) in self.usages.items():
                _usage(network, day, calls=calls, posts=posts, billed=billed, cost=cost)
        self.rows, self.snapshots, self.usages = [], [], {}


# The counts a LinkedIn metric fills. A metric that was not read (skipped or refused) comes
# back as 0: the stored count stands instead, so no false "unlike" is recorded.
_COUNT_OF_METRIC = {"REACTION": "reactions", "COMMENT": "comments", "RESHARE": "reshares"}


def _store(rows: list[ShareMetrics], metrics: dict[str, PostMetrics], unavailable: dict[str, str],
           now: datetime, network: str, pending: _Pending, *, stop_unavailable: bool = False,
           not_read: frozenset[str] | set[str] = frozenset()) -> set[tuple[int, date]]:
    """A snapshot per post read, the latest totals and the schedule moved on (written by
    ``pending``).
    ``stop_unavailable``: a post the network calls unavailable is never polled again
    (otherwise only one it could not find). ``not_read``: metrics this read left out (their
    stored counts are kept). Returns the (share, day) pairs whose rollups changed."""
    kept = [_COUNT_OF_METRIC[m] for m in not_read if m in _COUNT_OF_METRIC]
    today = utc_day(now)
    snapshots, pairs = [], set()
    for row in rows:
        share = row.share
        read = metrics.get(share.remote_id)
        row.stage, row.next_poll_at = next_after(posted_at=share.posted_at, moment=now, network=network)
        row.polls += 1
        row.last_polled_at = row.updated_at = now
        if network == "x":
            row.last_read_day = today
        if read is None:
            reason = unavailable.get(share.remote_id, "not returned")
            row.note = f"Not available: {reason}"[:200]
            if stop_unavailable or "not find" in reason.lower() or "not found" in reason.lower():
                row.next_poll_at = None  # deleted (or protected): never again
            continue
        if kept:
            read = replace(read, **{count: getattr(row, count) for count in kept})
        first_impressions = row.impressions is None and read.impressions is not None
        snapshots.append(EngagementSnapshot(
            share_id=share.pk, taken_at=now, day=today, reactions=read.reactions, comments=read.comments,
            reshares=read.reshares, impressions=read.impressions, members_reached=read.members_reached,
            d_reactions=read.reactions - row.reactions, d_comments=read.comments - row.comments,
            d_reshares=read.reshares - row.reshares,
            d_impressions=(read.impressions - (row.impressions or 0)) if read.impressions is not None else 0,
        ))
        row.reactions, row.comments, row.reshares = read.reactions, read.comments, read.reshares
        if read.impressions is not None:
            row.impressions = read.impressions
        if read.members_reached is not None:
            row.members_reached = read.members_reached
        row.note = ""
        pairs.add((share.pk, today))
        if first_impressions:
            pairs.add((share.pk, row.posted_day))  # the potential-reach stand-in goes away
    pending.add(rows, snapshots)
    return pairs
