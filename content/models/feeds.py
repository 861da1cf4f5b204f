from datetime import timedelta

from django.db import models
from django.utils import timezone

from accounts.models import Team


class FeedSource(models.Model):
    """An RSS/Atom feed whose new entries become drafts for curators to review."""

    name = models.CharField(max_length=160)
    url = models.URLField("feed URL", max_length=2000)
    is_active = models.BooleanField(default=True)
    default_campaign = models.ForeignKey(
        "content.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    default_topics = models.ManyToManyField("content.Topic", blank=True, related_name="+")
    default_content_type = models.CharField(max_length=24, default="industry_article")
    target_everyone = models.BooleanField(default=True)
    target_teams = models.ManyToManyField(Team, blank=True, related_name="+")
    poll_interval_minutes = models.PositiveIntegerField(default=60)
    daily_cap = models.PositiveIntegerField(default=10, help_text="At most this many new drafts per day.")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def schedule_next(self, now=None) -> None:
        now = now or timezone.now()
        self.next_poll_at = now + timedelta(minutes=max(self.poll_interval_minutes, 5))
