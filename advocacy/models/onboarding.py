"""Onboarding: the social media policy employees accept, the topics they follow, and
where each new employee is in the welcome steps."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class PolicyVersion(models.Model):
    """One wording of the company's social media policy. Saving a new text in programme
    settings adds a version (``advocacy.services.onboarding.policy_publish``); versions are
    never edited or deleted, so every acceptance points at the exact text accepted."""

    number = models.PositiveIntegerField(unique=True)
    text = models.TextField(help_text="Empty: no policy to accept from this version on.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"Social media policy, version {self.number}"


class PolicyAcceptance(models.Model):
    """An employee accepted one version of the policy, at ``accepted_at`` (kept for audit)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="policy_acceptances")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-accepted_at"]
        constraints = [models.UniqueConstraint(fields=["user", "version"], name="one_acceptance_per_version")]

    def __str__(self) -> str:
        return f"{self.user} accepted version {self.version.number}"


class TopicFollow(models.Model):
    """An employee follows a topic: its items come first in their feed and digest. Required
    topics are followed by everyone without a row."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="topic_follows")
    topic = models.ForeignKey("content.Topic", on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "topic"], name="follow_topic_once")]

    def __str__(self) -> str:
        return f"{self.user} follows {self.topic}"


class Onboarding(models.Model):
    """A new employee's welcome steps: started when they accept the invitation (or first
    sign in through single sign-on), finished when they share or skip the last step."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="onboarding")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Onboarding of {self.user}"
