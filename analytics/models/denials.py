from django.db import models


class MetricsDenial(models.Model):
    """Metrics a network refused (403) to one connected account, and the scopes the account
    had then. Polling leaves those metrics alone until the account's scopes change (the
    employee reconnected and granted more), instead of asking again at every poll."""

    account = models.OneToOneField("advocacy.SocialAccount", on_delete=models.CASCADE, primary_key=True,
                                   related_name="+")
    metrics = models.CharField(max_length=200, help_text="The refused metrics, space-separated.")
    scopes = models.CharField(max_length=500, blank=True, help_text="The account's scopes when they were refused.")
    denied_at = models.DateTimeField()

    class Meta:
        verbose_name = "refused metrics"
        verbose_name_plural = "refused metrics"

    def __str__(self) -> str:
        return f"account {self.account_id}: {self.metrics}"

    @property
    def metric_set(self) -> frozenset[str]:
        return frozenset(self.metrics.split())

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())
