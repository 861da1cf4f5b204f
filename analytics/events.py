"""Events of the analytics layer, for the layers above it to hear (``analytics.signals``
holds analytics' own receivers of other layers' events).

- ``clicks_recorded(counts, first_at, last_at)``: a flush of the click buffer moved clicks
  into the database. ``counts`` maps a share id to ``{"clicks": n, "previews": m}`` (human
  clicks, and crawler/HEAD/prefetch previews) for the records of this flush; ``first_at``
  and ``last_at`` are the earliest and latest click times (aware datetimes). One per flush,
  never one per click. A batch replayed after a crash is counted again here (the database
  absorbs it), so listeners get at-least-once counts.
"""

from django.dispatch import Signal

clicks_recorded = Signal()
