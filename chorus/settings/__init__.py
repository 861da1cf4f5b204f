"""Chorus settings: one small module per concern, all read from the environment.

``DJANGO_SETTINGS_MODULE=chorus.settings`` for running, ``tests.settings``
for the test suite.
"""

from .analytics import *  # noqa: F403
from .api import *  # noqa: F403
from .base import *  # noqa: F403
from .celery import *  # noqa: F403
from .email import *  # noqa: F403
from .networks import *  # noqa: F403
from .notifications import *  # noqa: F403
from .observability import *  # noqa: F403
from .push import *  # noqa: F403
from .resilience import *  # noqa: F403
from .security import *  # noqa: F403
from .sso import *  # noqa: F403
from .webhooks import *  # noqa: F403

# Each concern contributes its own periodic tasks.
CELERY_BEAT_SCHEDULE.update(ANALYTICS_BEAT_SCHEDULE)  # noqa: F405
CELERY_BEAT_SCHEDULE.update(NOTIFICATIONS_BEAT_SCHEDULE)  # noqa: F405
CELERY_BEAT_SCHEDULE.update(WEBHOOKS_BEAT_SCHEDULE)  # noqa: F405
