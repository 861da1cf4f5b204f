"""``{% push_config as push %}``: what the preferences' push switch needs (notifications owns
push; the accounts page only includes its card)."""

import logging

from django import template

from notifications.services.push import vapid_keys

logger = logging.getLogger(__name__)
register = template.Library()


@register.simple_tag
def push_config() -> dict:
    try:
        keys = vapid_keys()
    except ValueError as exc:  # bad keys: the system check (notifications.apps) says so at boot
        logger.error("push is off: %s", exc)
        keys = None
    return {"enabled": keys is not None, "public_key": keys.public_key if keys else ""}
