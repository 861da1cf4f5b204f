"""Hooks into other apps' events."""

from django.dispatch import receiver

from analytics.services.points import points_for_suggestion
from content.signals import suggestion_reviewed


@receiver(suggestion_reviewed, dispatch_uid="analytics.points_for_suggestion")
def _award_suggestion(sender, suggestion_id: int, **kwargs) -> None:
    """An accepted suggestion earns points (the service checks it was accepted). Sent
    after commit; awarding inline is one small insert, and the unique ledger key makes a
    repeated signal harmless."""
    points_for_suggestion(suggestion_id=suggestion_id)
