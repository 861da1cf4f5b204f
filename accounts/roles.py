"""Roles are Django groups with permissions.

The four groups are created by a migration; their permissions are (re)synced after
every ``migrate`` because permissions of later apps only exist once those apps have
migrated. Add a permission here and the next ``migrate`` grants it.
"""

from typing import Any

ADVOCATE = "Advocate"
CURATOR = "Curator"
APPROVER = "Approver"
ADMIN = "Admin"
ROLES = (ADVOCATE, CURATOR, APPROVER, ADMIN)
# Roles that work in the Django admin (they get is_staff).
STAFF_ROLES = frozenset({CURATOR, APPROVER, ADMIN})

_CONTENT_EDIT = [
    "content.add_campaign", "content.change_campaign", "content.view_campaign",
    "content.add_topic", "content.change_topic", "content.view_topic",
    "content.add_contentitem", "content.change_contentitem", "content.view_contentitem",
    "content.add_sharetext", "content.change_sharetext", "content.delete_sharetext", "content.view_sharetext",
    "content.view_contentchange",
    "content.add_feedsource", "content.change_feedsource", "content.view_feedsource",
    "content.change_contentsuggestion", "content.view_contentsuggestion",
    "content.view_compliancesettings",
    "accounts.view_team", "accounts.view_user",
]

# The marketing analytics page and read access to what feeds it.
_ANALYTICS_VIEW = [
    "analytics.view_dashboard", "analytics.view_emvrate", "analytics.view_pointsrule",
    "analytics.view_pointsentry", "analytics.view_apiusage", "analytics.view_sharemetrics",
    "analytics.view_enrolmentsnapshot",
]

# Permission codenames ("app_label.codename") per role. Unknown ones are ignored
# (they appear when their app lands).
ROLE_PERMISSIONS: dict[str, list[str]] = {
    ADVOCATE: [],
    CURATOR: _CONTENT_EDIT + _ANALYTICS_VIEW,
    APPROVER: _CONTENT_EDIT + _ANALYTICS_VIEW + [
        "content.approve_contentitem",
        "content.publish_contentitem",
        # The audit log's content entries (core/audit_admin.py); Admins read all of it.
        "auditlog.view_logentry",
        "content.delete_contentitem",
        "content.delete_campaign",
        "content.change_compliancesettings",
    ],
    ADMIN: ["__all__"],
}


def sync_role_permissions(sender: Any = None, **kwargs: Any) -> None:
    """Create the role groups and grant their permissions (idempotent)."""
    # accounts.apps imports this module before models are loaded.
    from django.contrib.auth.models import Group, Permission

    using = kwargs.get("using", "default")
    all_perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.using(using).select_related("content_type")
    }
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        if codenames == ["__all__"]:
            wanted = [
                p for key, p in all_perms.items()
                if key.split(".")[0] in {"accounts", "content", "advocacy", "analytics", "notifications", "auth", "auditlog", "axes",
                                         "identity", "webhooks"}
            ]
        else:
            wanted = [all_perms[c] for c in codenames if c in all_perms]
        group.permissions.set(wanted)
