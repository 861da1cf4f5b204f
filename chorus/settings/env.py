"""Reads the environment (and an optional ``.env`` file at the project root).

Every setting Chorus takes from outside comes through ``env`` so that there is
one place to look; ``.env.example`` lists every variable.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
_dotenv = BASE_DIR / ".env"
if _dotenv.is_file():
    # Existing environment variables win over the file.
    environ.Env.read_env(str(_dotenv), overwrite=False)

DEBUG: bool = env.bool("DEBUG", default=False)


def require(name: str, *, dev_default: str | None = None, hint: str = "") -> str:
    """Return a required variable; refuse to boot without it unless DEBUG gives a default."""
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG and dev_default is not None:
        return dev_default
    raise ImproperlyConfigured(
        f"{name} is not set. Chorus refuses to start without it when DEBUG is off. "
        f"Set {name} in the environment or in .env (see .env.example){hint}."
    )
