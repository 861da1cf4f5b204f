"""Default points rules and a first EMV rate version per network (USD), so a fresh
install shows points and EMV. Rates are illustrative: admins add their own versions."""

import datetime
from decimal import Decimal

from django.db import migrations

POINTS = {"share": 10, "first_share": 25, "click": 1, "engagement": 2, "suggestion": 15}
RATES = [
    # network, CPC, CPM
    ("linkedin", Decimal("5.00"), Decimal("30.00")),
    ("x", Decimal("1.00"), Decimal("6.50")),
]


def forwards(apps, schema_editor):
    PointsRule = apps.get_model("analytics", "PointsRule")
    EmvRate = apps.get_model("analytics", "EmvRate")
    for kind, points in POINTS.items():
        PointsRule.objects.get_or_create(kind=kind, defaults={"points": points})
    for network, cpc, cpm in RATES:
        EmvRate.objects.get_or_create(
            network=network, currency="USD", effective_from=datetime.date(2000, 1, 1),
            defaults={"cpc": cpc, "cpm": cpm, "reaction_multiplier": Decimal("0"),
                      "note": "Illustrative paid-social averages shipped with Chorus; add your own version."},
        )


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
