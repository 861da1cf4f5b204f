"""Tracked short links: every share gets ``SITE_URL/r/<code>`` (``Share.link_code``), which
redirects to the item's URL with UTM tags. The redirect view, which also records the
click, is ``analytics.views.redirect``.

The redirect is the busiest page Chorus serves, so each web process remembers where a code
goes (``link_cached`` / ``link_remember``) and a click reads no database. Such an entry is
trusted only together with the *links generation*: a random token in Redis
(``GENERATION_KEY``), replaced (``links_changed``, after commit) whenever a destination may
have moved — an item's link or campaign changed, a campaign's UTM tag changed, a share's
item or network changed, an item, campaign or person deleted. An entry remembers the token
read *before* its database read, and is used only while the token is still the one Redis
holds, as last read by the click's own Redis round trip (``analytics.services.clicks``:
each click's, or each batch's when clicks are shipped in the background, then at most
``LINK_CACHE_CHECK_SECONDS`` ago). The change also touches a machine-wide stamp
(``links_stamp``) every click compares with the one seen at that read, so the processes of
the machine that made the change follow it at once; other machines within
``LINK_CACHE_CHECK_SECONDS``. Redis unreachable: no entry is trusted (the database
answers). A lost replacement (Redis down at the moment of the change) is bounded by
``LINK_CACHE_SECONDS``.
"""

import logging
import os
import time
import uuid
from typing import NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from advocacy.models import Share
from content.models import Campaign, ContentItem
from core.redis import machine_stamp, web_redis

logger = logging.getLogger(__name__)

GENERATION_KEY = "links:generation"


class CachedLink(NamedTuple):
    share_id: int
    target: str
    generation: str  # the links generation this entry was read under
    expires: float  # time.monotonic()


# Per process: link code -> where it goes. Only ever used with a matching generation.
_cache: dict[str, CachedLink] = {}


def tracked_target(*, url: str, network: str, campaign: str, code: str) -> str:
    """The item URL with UTM tags added; the URL's own query parameters are kept."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("utm_")]
    query += [
        ("utm_source", network),
        ("utm_medium", "employee_advocacy"),
        ("utm_campaign", campaign or "chorus"),
        ("utm_content", code),
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def is_web_url(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) address with a host: the only kind ``/r/`` follows."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and not any(
        ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url
    )


def link_resolve(code: str) -> tuple[int, str] | None:
    """``(share id, target URL with UTM tags)`` for a link code, or None: one indexed query.

    No open redirect: the target is always the stored item URL, never a parameter.
    """
    share = (
        Share.objects.filter(link_code=code)
        .select_related("item__campaign")
        .only("id", "network", "link_code", "item__url", "item__campaign__utm_campaign")
        .first()
    )
    if share is None or not share.item.url or not is_web_url(share.item.url):
        return None  # never send a visitor to ftp:, javascript:, data: ... (stored before validation)
    campaign = share.item.campaign.utm_campaign if share.item.campaign else ""
    return share.pk, tracked_target(url=share.item.url, network=share.network, campaign=campaign, code=share.link_code)


def link_cached(code: str) -> CachedLink | None:
    """This process's entry for ``code`` (not expired), to be checked against the generation."""
    entry = _cache.get(code)
    if entry is None:
        return None
    if entry.expires <= time.monotonic():
        _cache.pop(code, None)
        return None
    return entry


def link_remember(code: str, share_id: int, target: str, generation: str) -> None:
    """Remember ``code`` -> ``(share_id, target)``, read from the database after ``generation``
    was read from Redis."""
    if len(_cache) >= settings.LINK_CACHE_SIZE:
        _cache.pop(next(iter(_cache)), None)  # the oldest entry (dicts keep insertion order)
    _cache[code] = CachedLink(share_id, target, generation, time.monotonic() + settings.LINK_CACHE_SECONDS)


def link_forget(code: str) -> None:
    """Drop this process's entry for ``code`` (it leads nowhere now)."""
    _cache.pop(code, None)


def links_forget() -> None:
    """Drop this process's entries."""
    _cache.clear()


def links_changed() -> None:
    """A destination may have moved: once the current transaction commits, every process
    stops trusting what it remembers (a new links generation)."""
    _cache.clear()
    transaction.on_commit(_new_generation)


def links_stamp() -> int:
    """The machine-wide "a destination changed" stamp (a nanosecond mtime; 0: none)."""
    path = machine_stamp("links")
    if path is None:
        return 0
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def _touch_stamp() -> None:
    path = machine_stamp("links")
    if path is None:
        return
    try:
        path.touch(mode=0o600)
        now = time.time_ns()
        os.utime(path, ns=(now, now))
    except OSError as exc:
        logger.warning("tracked links: could not stamp a changed destination for this machine: %s", exc)


def _new_generation() -> None:
    _cache.clear()
    try:
        with web_redis() as client:
            client.set(GENERATION_KEY, uuid.uuid4().hex)
    except redis.RedisError as exc:
        # While Redis is unreachable no process trusts its entries; those read before are
        # used again once it answers, for at most LINK_CACHE_SECONDS.
        logger.warning("tracked links: could not announce a changed destination (%s); other processes "
                       "may follow the old one for up to %.0f s", type(exc).__name__, settings.LINK_CACHE_SECONDS)
    # Second: a reader takes the stamp, then the generation, so whoever sees the new stamp
    # also sees the new generation (see analytics.services.clicks).
    _touch_stamp()


# --- what moves a destination ---------------------------------------------------------------


def _touches(update_fields, fields: set[str]) -> bool:
    return update_fields is None or bool(fields & set(update_fields))


def _item_saved(sender, instance, created, update_fields=None, raw=False, **kwargs) -> None:
    if not created and not raw and _touches(update_fields, {"url", "campaign", "campaign_id"}):
        links_changed()


def _campaign_saved(sender, instance, created, update_fields=None, raw=False, **kwargs) -> None:
    if not created and not raw and _touches(update_fields, {"utm_campaign"}):
        links_changed()


def _share_saved(sender, instance, created, update_fields=None, raw=False, **kwargs) -> None:
    if not created and not raw and _touches(update_fields, {"item", "item_id", "network", "link_code"}):
        links_changed()


def _deleted(sender, instance, **kwargs) -> None:
    links_changed()  # an item's shares go with it; a campaign's items lose its UTM tag


def connect() -> None:
    """Called from ``AdvocacyConfig.ready``. A share is deleted only with its item or its
    person (Chorus has no other way), so their deletions stand for the shares': a receiver
    on Share's own deletion would make every cascade load the shares one by one."""
    post_save.connect(_item_saved, sender=ContentItem, dispatch_uid="advocacy.links.item_saved")
    post_save.connect(_campaign_saved, sender=Campaign, dispatch_uid="advocacy.links.campaign_saved")
    post_save.connect(_share_saved, sender=Share, dispatch_uid="advocacy.links.share_saved")
    for model in (ContentItem, Campaign, settings.AUTH_USER_MODEL):
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"advocacy.links.deleted.{getattr(model, '__name__', model)}")
