"""Chorus settings: one small module per concern, all read from the environment.

``DJANGO_SETTINGS_MODULE=advocacy.settings`` for running, ``tests.settings``
for the test suite.
"""

from .base import *  # noqa: F403
from .celery import *  # noqa: F403
from .email import *  # noqa: F403
from .networks import *  # noqa: F403
from .security import *  # noqa: F403
