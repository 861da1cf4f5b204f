"""Settings of the benchmark stack: production settings plus a URLconf with two limit views.

Only the harness's processes load this module (``DJANGO_SETTINGS_MODULE=bench.settings``);
production's URLs and settings are untouched.
"""

from chorus.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
