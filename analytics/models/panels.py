from django.db import models


class PanelSnapshot(models.Model):
    """The analytics page's panels that do not depend on the period (adoption funnel,
    connection health, campaign progress) as they stood at ``computed_at``: counting them
    reads every advocate, connection and posted share, so the page reads this row instead
    and says how old it is. Refreshed by ``metrics.panels_refresh`` (beat), or by the page
    when older than ``ANALYTICS_PANELS_MAX_AGE`` (``analytics.panels``). Rows keyed
    ``period:<quick period>`` hold the unfiltered page's figures for that period, counted
    for the UTC day in ``data["day"]`` (``analytics.pages``)."""

    key = models.CharField(max_length=40, primary_key=True)
    data = models.JSONField()
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key} @ {self.computed_at:%Y-%m-%d %H:%M}"
