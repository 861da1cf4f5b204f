"""A remote post belongs to one share; outages are waited out.

- ``Share.first_attempt_at``: when the first publish request was about to be sent (a
  text-only share may only adopt a post created after it). Backfilled from the first
  ambiguous attempt, else the latest attempt.
- ``Share.unavailable_since``: when the share first found its network unavailable in the
  current set of attempts (the retry window counts from it).
- A unique constraint on ``(network, remote_id)`` for non-empty ids. Shares that already
  record the same post (reconciliation adopted an earlier share's post) are resolved first:
  the one that recorded it first keeps it, the others become *unconfirmed* with no id, so
  their employee is asked whether the post is on their profile.
"""

from django.db import migrations, models
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce

REASON = "We couldn't confirm that this share has a post of its own. Please check your profile."


def backfill_first_attempt(apps, schema_editor):
    Share = apps.get_model("advocacy", "Share")
    Share.objects.filter(first_attempt_at__isnull=True, posting_started_at__isnull=False).update(
        first_attempt_at=Coalesce(F("ambiguous_at"), F("posting_started_at"))
    )


def one_share_per_post(apps, schema_editor):
    Share = apps.get_model("advocacy", "Share")
    shared = (
        Share.objects.exclude(remote_id="").values("network", "remote_id")
        .annotate(n=Count("pk")).filter(n__gt=1)
    )
    for group in shared.iterator():
        holders = list(
            Share.objects.filter(network=group["network"], remote_id=group["remote_id"])
            .order_by(F("posted_at").asc(nulls_last=True), "pk").values_list("pk", flat=True)
        )
        Share.objects.filter(pk__in=holders[1:]).update(
            status="unconfirmed", remote_id="", remote_url="", error_message=REASON, error_code="unconfirmed"
        )


class Migration(migrations.Migration):

    dependencies = [
        ("advocacy", "0005_notification_to_notifications"),
    ]

    operations = [
        migrations.AddField(
            model_name="share",
            name="first_attempt_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="share",
            name="unavailable_since",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(backfill_first_attempt, migrations.RunPython.noop),
        migrations.RunPython(one_share_per_post, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="share",
            constraint=models.UniqueConstraint(
                condition=~Q(remote_id=""), fields=("network", "remote_id"), name="share_one_share_per_post"
            ),
        ),
    ]
