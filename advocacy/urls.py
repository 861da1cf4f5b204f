"""The employee portal's sharing pages."""

from django.urls import path

from advocacy.views import connections, feed, onboarding, share, suggest

urlpatterns = [
    path("", feed.feed, name="home"),
    path("share/<int:item_id>/", share.share_dialog, name="share_dialog"),
    path("shares/", share.my_shares, name="my_shares"),
    path("shares/status/", share.share_status, name="share_status"),
    path("shares/<int:share_id>/retry/", share.share_retry_view, name="share_retry"),
    path("shares/<int:share_id>/cancel/", share.share_cancel_view, name="share_cancel"),
    path("shares/<int:share_id>/confirm/", share.share_confirm_view, name="share_confirm"),
    path("connections/", connections.connections, name="connections"),
    path("connections/<str:network>/connect/", connections.connect, name="connect"),
    path("connections/<str:network>/callback/", connections.connect_callback, name="connect_callback"),
    path("connections/<str:network>/disconnect/", connections.disconnect, name="disconnect"),
    path("connections/<str:network>/audience/", connections.set_audience, name="set_audience"),
    path("suggest/", suggest.suggest, name="suggest"),
    # The welcome steps after the invitation (advocacy/views/onboarding.py); the policy page is
    # also where anyone goes who has not accepted a new version of the policy yet.
    path("welcome/", onboarding.onboarding, name="onboarding"),
    path("welcome/policy/", onboarding.onboarding_policy, name="onboarding_policy"),
    path("welcome/topics/", onboarding.onboarding_topics, name="onboarding_topics"),
    path("welcome/connect/", onboarding.onboarding_connect, name="onboarding_connect"),
    path("welcome/share/", onboarding.onboarding_share, name="onboarding_share"),
    path("welcome/skip/", onboarding.onboarding_skip, name="onboarding_skip"),
    path("topics/", onboarding.topic_preferences, name="topic_preferences"),
]
