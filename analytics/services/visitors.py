"""Who is asking for a tracked link — as little as the reports need, and no more.

- A *preview* (crawler, bot, HEAD request, browser prefetch) is told apart from a click.
- The visitor becomes a key: HMAC-SHA256 of IP and user agent under a random salt that
  exists for one UTC day. The same person on the same day gets the same key (unique
  clicks); tomorrow's key is unrelated, and once the salt is deleted (after two days)
  nobody can test an IP address against old keys. The IP is never written anywhere.
- The device class comes from the user agent, the referrer is cut down to its domain.
"""

import hashlib
import hmac
import re
import secrets
from datetime import date, timedelta
from urllib.parse import urlsplit

from crawlerdetect import CrawlerDetect
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from analytics.models import ClickKind, DailySalt, Device

# One detector per process: it only holds compiled regexes and an LRU cache of answers.
_crawlers = CrawlerDetect()

# Browsers announce speculative loads; none of them is a person clicking.
_PREFETCH_HEADERS = ("HTTP_PURPOSE", "HTTP_SEC_PURPOSE", "HTTP_X_PURPOSE", "HTTP_X_MOZ")
_PREFETCH_VALUES = ("prefetch", "prerender", "preview")

_TABLET = re.compile(r"iPad|Tablet|PlayBook|Silk|Kindle|Nexus (7|9|10)|SM-T\d|Android(?!.*Mobile)", re.I)
_MOBILE = re.compile(r"Mobi|iPhone|iPod|Android.*Mobile|Windows Phone|BlackBerry|BB10|Opera Mini|IEMobile", re.I)

# The salt of the current day, per process: it never changes once created, so caching
# it is safe; only the day it belongs to is kept.
_salt_cache: dict[date, bytes] = {}


def classify(request: HttpRequest) -> ClickKind:
    """A click, or which kind of preview."""
    if request.method == "HEAD":
        return ClickKind.HEAD
    meta = request.META
    for header in _PREFETCH_HEADERS:
        value = meta.get(header, "").lower()
        if value and any(word in value for word in _PREFETCH_VALUES):
            return ClickKind.PREFETCH
    agent = meta.get("HTTP_USER_AGENT", "").strip()
    # Every browser sends a user agent; a request without one is a script.
    if not agent or _crawlers.is_crawler(agent[:1000]):
        return ClickKind.BOT
    return ClickKind.CLICK


def device_class(user_agent: str) -> str:
    if not user_agent:
        return Device.UNKNOWN
    if _TABLET.search(user_agent):
        return Device.TABLET
    if _MOBILE.search(user_agent):
        return Device.MOBILE
    return Device.DESKTOP


def referrer_domain(referrer: str) -> str:
    """``https://www.linkedin.com/feed/?x=1`` → ``linkedin.com``. The path and query
    (which can identify a person) are dropped."""
    if not referrer:
        return ""
    try:
        host = urlsplit(referrer.strip()).hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")[:120]


def day_salt(day: date) -> bytes:
    """The random salt of ``day``, created by whichever process asks first."""
    cached = _salt_cache.get(day)
    if cached is not None:
        return cached
    row = DailySalt.objects.filter(day=day).first()
    if row is None:
        try:
            with transaction.atomic():
                row = DailySalt.objects.create(day=day, salt=secrets.token_hex(32))
        except IntegrityError:  # another process created it a moment ago
            row = DailySalt.objects.get(day=day)
    _salt_cache.clear()
    _salt_cache[day] = bytes.fromhex(row.salt)
    return _salt_cache[day]


def visitor_key(*, ip: str, user_agent: str, day: date) -> str:
    """32 hex characters; equal for the same IP and user agent on the same UTC day."""
    message = f"{ip}\n{user_agent}".encode("utf-8", "replace")
    return hmac.new(day_salt(day), message, hashlib.sha256).hexdigest()[:32]


def salts_purge(*, today: date) -> int:
    """Delete salts older than yesterday (yesterday's stays for clocks a little behind)."""
    deleted, _ = DailySalt.objects.filter(day__lt=today - timedelta(days=1)).delete()
    return deleted
