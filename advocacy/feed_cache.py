"""What the feed shows of an item, kept per process while the feed's version token lasts.

Every advocate's feed page is mostly the same items: loading them (campaign, topics,
suggested texts: three queries), serialising them for the API and rendering their cards
for the portal is the same work for everyone who sees them. It is done once per process
per *feed version*: ``advocacy.models.FeedVersion.token``, which the database changes in
the same transaction as any change to what the feed shows of an item (triggers, see the
model). Each feed request reads the token first (``advocacy.selectors.feed_person``), then
whatever it does not find cached: what is cached under a token is at least as new as the
token, and any later change comes with a new one.

The order of a feed is cached too, per targeting (team, location, language), followed
topics and filters (``cached_order``), until the first of its items expires by the clock.
What stays per request, in that first query: the token, this person's followed topics,
connections and shares. Per-person parts of an item (the suggested text of their
variant, absolute URLs, "shared ✓") are applied to the cached parts cheaply.

The cache lives in the process (no Redis: a hung Redis never delays the feed, and nothing
is pickled): the last ``_GENERATIONS`` tokens, up to ``MAX_ITEMS`` items each.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from content.models import ContentItem

MAX_ITEMS = 2000  # per version; beyond it, items are loaded for the request and not kept
_GENERATIONS = 2  # the current token and the one before it (requests in flight at a change)


class CachedItem:
    """One item as every advocate sees it. ``item`` is shared between requests: read it,
    never set attributes on it. ``ready``: its relations the feed shows are loaded
    (``cached_items``' ``prepare``). ``parts`` holds what views derive from it once (the
    API's serialised fields, the portal's card), filled lazily by :meth:`part`."""

    __slots__ = ("item", "parts", "ready")

    def __init__(self, item: ContentItem, *, ready: bool = True) -> None:
        self.item = item
        self.ready = ready
        self.parts: dict[str, Any] = {}

    def part(self, name: str, build: Callable[[ContentItem], Any]) -> Any:
        try:
            return self.parts[name]
        except KeyError:
            value = self.parts[name] = build(self.item)
            return value


class _Generation:
    __slots__ = ("extra", "items", "token")

    def __init__(self, token: int) -> None:
        self.token = token
        self.items: dict[int, CachedItem] = {}
        self.extra: dict[str, Any] = {}


_generations: "OrderedDict[int, _Generation]" = OrderedDict()
_lock = threading.Lock()


def _generation(token: int | None) -> _Generation | None:
    if token is None:  # no version row: cache nothing
        return None
    with _lock:
        generation = _generations.get(token)
        if generation is None:
            generation = _generations[token] = _Generation(token)
            while len(_generations) > _GENERATIONS:
                _generations.popitem(last=False)
        else:
            _generations.move_to_end(token)
        return generation


def cached_items(token: int | None, ids: list[int], load: Callable[[list[int]], Iterable[ContentItem]],
                 prepare: Callable[[list[ContentItem]], None]) -> dict[int, CachedItem]:
    """The items ``ids`` of version ``token``: from the cache (``prepare`` loads, in one
    batch, the relations of those remembered without them), the missing ones through
    ``load`` (one batch). An id ``load`` does not return (gone meanwhile) is left out."""
    generation = _generation(token)
    if generation is None:
        return {item.pk: CachedItem(item) for item in load(ids)}
    found = {pk: generation.items[pk] for pk in ids if pk in generation.items}
    unready = [entry for entry in found.values() if not entry.ready]
    if unready:
        prepare([entry.item for entry in unready])
        for entry in unready:
            entry.ready = True
    missing = [pk for pk in ids if pk not in found]
    if missing:
        for item in load(missing):
            entry = found[item.pk] = CachedItem(item)
            if len(generation.items) < MAX_ITEMS:
                generation.items[item.pk] = entry
    return found


def remember_items(token: int | None, items: Iterable[ContentItem]) -> None:
    """Keep ``items`` (loaded without their relations: ``cached_items`` prepares them when
    asked for) for version ``token``, unless already kept."""
    generation = _generation(token)
    if generation is None:
        return
    for item in items:
        if item.pk not in generation.items and len(generation.items) < MAX_ITEMS:
            generation.items[item.pk] = CachedItem(item, ready=False)


def cached_value(token: int | None, name: str, build: Callable[[], Any]) -> Any:
    """Something else derived from the feed's tables only (the filters' topics and
    campaigns), built once per version."""
    generation = _generation(token)
    if generation is None:
        return build()
    try:
        return generation.extra[name]
    except KeyError:
        value = generation.extra[name] = build()
        return value


class FeedOrder:
    """The first rows of one feed (one targeting, followed topics and filters) in its order:
    ``rows`` are tuples of the order's columns ending with the id; ``complete`` when they
    are the whole feed; ``total`` how many items the whole feed has; ``valid_until`` the
    first expiry among them (the clock takes that item out: the order is made again)."""

    __slots__ = ("complete", "rows", "total", "valid_until")

    def __init__(self, rows: list[tuple], *, complete: bool, total: int, valid_until: Any) -> None:
        self.rows = rows
        self.complete = complete
        self.total = total
        self.valid_until = valid_until


MAX_ORDERS = 512  # per version: distinct (targeting, followed topics, filters) kept


def cached_order(token: int | None, key: tuple, now: Any, build: Callable[[], FeedOrder]) -> FeedOrder:
    """The order of the feed ``key`` names at version ``token``, made by ``build`` when this
    process has none (or the clock took an item of it out)."""
    generation = _generation(token)
    if generation is None:
        return build()
    orders = generation.extra.setdefault("orders", {})
    order = orders.get(key)
    if order is None or (order.valid_until is not None and now >= order.valid_until):
        order = build()
        if len(orders) >= MAX_ORDERS:
            orders.clear()
        orders[key] = order
    return order


def clear() -> None:
    """Forget everything (tests; never needed for correctness)."""
    with _lock:
        _generations.clear()
