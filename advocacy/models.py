"""Sharing & engagement domain models."""

from django.db import models


class Heartbeat(models.Model):
    """When a Chorus process last proved it was alive (``beat``, ``worker``)."""

    name = models.CharField(max_length=40, primary_key=True)
    last_seen = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"
