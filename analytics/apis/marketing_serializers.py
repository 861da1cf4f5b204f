"""What the marketing analytics API answers: the analytics page's numbers, field by field,
each described with the page's own definition (``analytics.definitions``)."""

from rest_framework import serializers

from analytics.definitions import DEFINITIONS


def _means(key: str, extra: str = "") -> str:
    return DEFINITIONS[key][1] + (f" {extra}" if extra else "")


def _count(key: str, extra: str = "") -> serializers.IntegerField:
    return serializers.IntegerField(help_text=_means(key, extra))


class MarketingPeriodSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="First day (UTC), included.")
    end = serializers.DateField(help_text="Last day (UTC), included.")
    days = serializers.IntegerField(help_text="Length of the period in days.")


class MarketingEmvSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="ISO 4217 code of every amount here.")
    total = serializers.DecimalField(max_digits=18, decimal_places=2, help_text=_means("emv"))
    from_clicks = serializers.DecimalField(max_digits=18, decimal_places=2, help_text="The part valued from clicks.")
    from_engagements = serializers.DecimalField(
        max_digits=18, decimal_places=2, help_text="The part valued from engagements.")
    from_impressions = serializers.DecimalField(
        max_digits=18, decimal_places=2, help_text="The part valued from impressions the networks reported.")
    from_estimated = serializers.DecimalField(
        max_digits=18, decimal_places=2,
        help_text="The part valued from potential reach standing in for impressions (estimated).")
    estimated_share = serializers.IntegerField(help_text="Percent of the total that is estimated.")
    unvalued_days = serializers.IntegerField(
        help_text="Days × networks with activity but no EMV rate in force (valued at nothing).")


class MarketingKpiFiguresSerializer(serializers.Serializer):
    """The key numbers of one period (``analytics.selectors.dashboard.Kpis``)."""

    shares = _count("shares")
    active_advocates = _count("active_advocates")
    enrolled = serializers.IntegerField(help_text="Advocates enrolled at the end of the period (see participation).")
    enrolled_source = serializers.ChoiceField(
        choices=["snapshot", "live", "estimate"],
        help_text="Where `enrolled` comes from: the daily snapshot, counted live (today), or estimated from "
                  "opt-in dates (no snapshot that early).",
    )
    participation = serializers.FloatField(
        allow_null=True, help_text=_means("participation", "In percent; null when nobody is enrolled."))
    clicks = _count("clicks")
    unique_clicks = _count("unique_clicks")
    previews = _count("previews")
    clicks_per_share = serializers.FloatField(
        allow_null=True, help_text=_means("clicks_per_share", "Null without shares."))
    engagements = _count("engagements")
    impressions = _count("impressions")
    estimated_impressions = _count("estimated_impressions")
    potential_reach = _count("potential_reach")
    emv = MarketingEmvSerializer(help_text=_means("emv"))


class MarketingKpisSerializer(MarketingKpiFiguresSerializer):
    period = MarketingPeriodSerializer()
    previous = MarketingKpiFiguresSerializer(help_text="The same numbers for the period of the same length just before.")
    previous_period = MarketingPeriodSerializer()


class MarketingNetworkKpisSerializer(MarketingKpiFiguresSerializer):
    network = serializers.CharField(help_text="`linkedin` or `x`.")
    label = serializers.CharField(help_text="The network's display name.")


class MarketingNetworksSerializer(serializers.Serializer):
    period = MarketingPeriodSerializer()
    results = MarketingNetworkKpisSerializer(many=True)


class MarketingPointSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="First day of the bucket (UTC), within the period.")
    end = serializers.DateField(help_text="Last day of the bucket (UTC), within the period.")
    value = serializers.IntegerField(help_text="The metric summed over the bucket's days.")


class MarketingTimeseriesSerializer(serializers.Serializer):
    metric = serializers.CharField()
    interval = serializers.CharField()
    period = MarketingPeriodSerializer()
    points = MarketingPointSerializer(many=True, help_text="Every bucket of the period, quiet ones as 0, oldest first.")


class MarketingTeamRowSerializer(serializers.Serializer):
    team = serializers.IntegerField(source="team_id", allow_null=True,
                                    help_text="The team's id; null for people in no team.")
    name = serializers.CharField()
    shares = _count("shares")
    clicks = _count("clicks")
    unique_clicks = _count("unique_clicks")
    engagements = _count("engagements")
    potential_reach = _count("potential_reach")
    active_advocates = _count("active_advocates")
    enrolled = serializers.IntegerField(help_text="The team's advocates enrolled at the end of the period.")
    participation = serializers.FloatField(allow_null=True, help_text=_means("participation", "In percent."))


class MarketingTeamsSerializer(serializers.Serializer):
    period = MarketingPeriodSerializer()
    results = MarketingTeamRowSerializer(many=True, help_text="Every team (quiet ones too), by clicks, then shares.")


class MarketingCampaignRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="campaign.pk")
    name = serializers.CharField(source="campaign.name")
    slug = serializers.CharField(source="campaign.slug")
    status = serializers.CharField(source="campaign.status", help_text="`planned`, `active` or `ended`.")
    goal_shares = serializers.IntegerField(source="campaign.goal_shares", allow_null=True)
    goal_clicks = serializers.IntegerField(source="campaign.goal_clicks", allow_null=True)
    shares = serializers.IntegerField(help_text="Shares posted for the campaign's items, over its whole life.")
    clicks = serializers.IntegerField(help_text="Clicks on those shares, over the campaign's whole life.")
    shares_percent = serializers.IntegerField(allow_null=True, help_text="Percent of the shares goal (null: none).")
    clicks_percent = serializers.IntegerField(allow_null=True, help_text="Percent of the clicks goal (null: none).")


class MarketingContentRowSerializer(serializers.Serializer):
    item = serializers.IntegerField(source="item_id")
    title = serializers.SerializerMethodField()
    campaign = serializers.CharField(source="item__campaign__name", allow_null=True, default=None)
    shares = _count("shares")
    clicks = _count("clicks")
    unique_clicks = _count("unique_clicks")
    engagements = _count("engagements")
    potential_reach = _count("potential_reach")

    def get_title(self, row: dict) -> str:
        return row.get("item__title") or row.get("item__preview_title") or ""


class MarketingContentSerializer(serializers.Serializer):
    period = MarketingPeriodSerializer()
    results = MarketingContentRowSerializer(many=True, help_text="Items by clicks, then shares.")


class MarketingAdvocateRowSerializer(serializers.Serializer):
    user = serializers.IntegerField(source="user_id")
    name = serializers.CharField(source="user__full_name", default="")
    email = serializers.EmailField(source="user__email", default="")
    team = serializers.CharField(source="user__team__name", allow_null=True, default=None)
    shares = _count("shares")
    clicks = _count("clicks")
    unique_clicks = _count("unique_clicks")
    engagements = _count("engagements")
    potential_reach = _count("potential_reach")


class MarketingAdvocatesSerializer(serializers.Serializer):
    period = MarketingPeriodSerializer()
    results = MarketingAdvocateRowSerializer(many=True, help_text="Advocates by clicks, then shares.")
    hidden_advocates = serializers.IntegerField(
        help_text="Advocates with activity left out because they opted out of leaderboards.")


class MarketingFunnelStepSerializer(serializers.Serializer):
    label = serializers.CharField()
    count = serializers.IntegerField()
    percent_of_first = serializers.IntegerField(help_text="Percent of the invited.")
    help = serializers.CharField(help_text="What the step counts.")


class MarketingFunnelSerializer(serializers.Serializer):
    results = MarketingFunnelStepSerializer(many=True, help_text="Invited → enrolled → connected → shared, as of now.")


class MarketingAttentionSerializer(serializers.Serializer):
    user = serializers.IntegerField(source="user_id")
    name = serializers.CharField(source="user.full_name")
    email = serializers.EmailField(source="user.email")
    team = serializers.CharField(source="user.team.name", allow_null=True, default=None)
    network = serializers.CharField()
    status = serializers.CharField(help_text="`reconnect`, `expiring` or `active` (expiring without refresh).")
    expires_at = serializers.DateTimeField(allow_null=True)


class MarketingConnectionHealthSerializer(serializers.Serializer):
    counts = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text="Connections per network, then per status.",
    )
    attention = MarketingAttentionSerializer(many=True, help_text="The first connections that need their owner.")
    attention_total = serializers.IntegerField(
        help_text="Connections that need their owner: reconnect, or expiring within 7 days.")
