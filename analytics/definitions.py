"""What every number means. Shown as tooltips and in the "Definitions" panel; the
README's "Analytics definitions" section says the same."""

DEFINITIONS: dict[str, tuple[str, str]] = {
    "shares": ("Shares", "Shares posted to LinkedIn or X in the period (by posting time, UTC days)."),
    "active_advocates": ("Active advocates", "Advocates who posted at least one share in the period."),
    "participation": (
        "Participation rate",
        "Active advocates ÷ advocates enrolled at the end of the period. The enrolled count comes from the "
        "daily enrolment snapshot of that day, so people who join later never change a past period's rate.",
    ),
    "clicks": (
        "Clicks",
        "Visits through the tracked links (/r/…) in the period. Link-preview crawlers, bots, HEAD requests and "
        "browser prefetches are counted as previews, not clicks.",
    ),
    "unique_clicks": (
        "Unique clicks",
        "Distinct visitors per share per UTC day, summed over the days. A visitor is a keyed hash of IP address "
        "and browser under a salt that changes every UTC day (no IP address is stored), so the same person on "
        "two days counts twice.",
    ),
    "clicks_per_share": ("Clicks per share", "Clicks in the period ÷ shares posted in the period."),
    "engagements": (
        "Engagements",
        "Reactions + comments + reshares the networks reported, gained during the period (difference between "
        "polls). LinkedIn reports them only when your LinkedIn app has post analytics.",
    ),
    "impressions": (
        "Impressions",
        "Times the posts were seen, as reported by the network and gained during the period. Networks that "
        "report none add nothing here (see estimated impressions).",
    ),
    "estimated_impressions": (
        "Estimated impressions",
        "For shares whose network reports no impressions, their potential reach stands in. Used for EMV and "
        "always shown apart from reported impressions.",
    ),
    "potential_reach": (
        "Potential reach",
        "Sum of each sharer's audience (followers or connections) saved at the moment they shared, over the "
        "shares posted in the period. An upper bound, not people reached.",
    ),
    "emv": (
        "Earned media value",
        "Clicks × CPC + engagements × CPC × reaction multiplier + impressions ÷ 1000 × CPM, each day valued with "
        "the rate version (per network and currency) in force that day. Where a network reports no impressions, "
        "potential reach stands in (labelled estimated).",
    ),
    "previews": ("Previews", "Requests from link-preview crawlers, bots, HEAD requests and prefetches."),
    "points": (
        "Points",
        "Earned for sharing (by default: share 10, first share bonus 25, unique click 1, engagement 2, "
        "accepted suggestion 15; marketing can change the rules). Each event is awarded once.",
    ),
    "rank": (
        "Rank",
        "Position by points in the period. Equal points share a rank and the next rank skips (1, 2, 2, 4). "
        "People who opted out of leaderboards are not ranked.",
    ),
    "x_spend": (
        "X spend",
        "Estimated X API spend this calendar month: posts (X charges more for a post with a link) plus metric "
        "reads (billed once per post per UTC day), at the prices in the settings.",
    ),
}


def tooltips() -> dict[str, str]:
    return {key: text for key, (_, text) in DEFINITIONS.items()}
