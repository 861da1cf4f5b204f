from django.db import models
from django.db.models import Q


class EnrolmentSnapshot(models.Model):
    """Headcounts at the end of one UTC day, for the whole programme (``team`` empty) and
    per team. Participation for a past period divides by these, so enrolments and
    departures after the period never change its rate."""

    day = models.DateField()
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    employees = models.PositiveIntegerField(default=0, help_text="Active user accounts.")
    invited = models.PositiveIntegerField(default=0)
    enrolled = models.PositiveIntegerField(default=0, help_text="Advocates (opted in).")
    connected = models.PositiveIntegerField(default=0, help_text="Advocates with a working connection.")
    taken_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["day", "team"], name="enrolment_day_team"),
            models.UniqueConstraint(fields=["day"], condition=Q(team__isnull=True), name="enrolment_day_all"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.team or 'all'}: {self.enrolled} enrolled"
