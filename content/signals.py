"""Events other features hook into.

``content_published`` is sent exactly once per item, after the transaction that
published it commits, with ``item_id`` (int). Notifications (fan-out to advocates,
Slack) connect to it; nothing else publishes content.
"""

from django.dispatch import Signal

content_published = Signal()

# Sent after a curator accepts or rejects a suggestion, with ``suggestion_id``.
suggestion_reviewed = Signal()
