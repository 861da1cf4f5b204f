from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from content.models import Network


class EmvRate(models.Model):
    """One version of the earned-media-value rates for a network and currency.

    A day's activity is valued with the version in force on that day (the latest
    ``effective_from`` on or before it). Versions are never edited: a new rate is a new
    version from today or later, so past reports keep their numbers.
    """

    network = models.CharField(max_length=10, choices=Network.choices)
    currency = models.CharField(max_length=3, default="USD", help_text="ISO 4217 code, e.g. USD, EUR, GBP.")
    effective_from = models.DateField(help_text="UTC day from which this version values activity.")
    cpc = models.DecimalField("CPC", max_digits=10, decimal_places=4, validators=[MinValueValidator(0)],
                              help_text="What a paid click costs on this network.")
    cpm = models.DecimalField("CPM", max_digits=10, decimal_places=4, validators=[MinValueValidator(0)],
                              help_text="What 1,000 paid impressions cost on this network.")
    reaction_multiplier = models.DecimalField(
        max_digits=6, decimal_places=3, default=Decimal("0"), validators=[MinValueValidator(0)],
        help_text="Each engagement (reaction, comment, reshare) is worth this many clicks. 0 leaves them out.",
    )
    note = models.CharField(max_length=200, blank=True, help_text="Where these rates come from.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "EMV rate version"
        ordering = ["network", "currency", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["network", "currency", "effective_from"], name="emvrate_version"),
        ]

    def __str__(self) -> str:
        return f"{self.get_network_display()} {self.currency} from {self.effective_from}"

    def clean(self) -> None:
        self.currency = (self.currency or "").upper()
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValidationError({"currency": "Use a three-letter ISO currency code, e.g. USD."})
