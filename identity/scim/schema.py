"""What the SCIM service is, and what it publishes about itself (RFC 7643 §5-7).

Requests are read with the standard models of scim2-models (``User`` with the enterprise
extension, ``Group``), so that everything an identity provider may send is understood. Chorus
keeps only some of it: the ``/Schemas`` endpoint publishes exactly the attributes Chorus
keeps (``USER_ATTRIBUTES``, ...), and those are what a response carries. The standard
attributes Chorus does not keep (phone numbers, addresses, a password, ...) are accepted and
ignored, so a provider's default attribute mapping does not fail; an attribute that no
standard schema defines is refused (400 ``invalidPath`` / ``invalidSyntax``).

How the attributes map:

=====================================  ==========================================================
``userName``                           the sign-in email (case-insensitive, unique)
``name.givenName/familyName/formatted``  kept as sent; ``displayName``, else ``name.formatted``,
``displayName``                          else "given family" makes the person's name in Chorus
``title``                              job title
``active``                             deactivation (``accounts.services.users.user_deactivate``)
``externalId``                         the provider's own id, kept as sent
``emails``                             read-only: the sign-in email (``userName`` is what changes it)
``groups``                             read-only: the person's team
enterprise ``department``              the person's team, by name (created if missing, see
                                       ``SCIM_DEPARTMENT_CREATES_TEAM``)
Group ``displayName``                  the team's name
Group ``members``                      the team's members (a person is in one team at a time)
=====================================  ==========================================================
"""

from typing import Any

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    Mutability,
    Patch,
    Required,
    ResourceType,
    Schema,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    User,
)

# The largest page a list answers with (``count`` above it is lowered to it).
MAX_RESULTS = 200
DEFAULT_COUNT = 100

UserResource = User[EnterpriseUser]
GroupResource = Group

# Microsoft Entra ID departs from RFC 7644 in two ways scim2-models knows about: a "remove"
# that names the value to remove in ``value``, and an "add"/"replace" on a filtered path
# that matches nothing (it means: create that entry).
POLICY = ScimPolicy(
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)

SERVICE_PROVIDER_CONFIG = ServiceProviderConfig(
    patch=Patch(supported=True),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_RESULTS),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=False),
    etag=ETag(supported=False),
    authentication_schemes=[
        AuthenticationScheme(
            type="oauthbearertoken",
            name="Bearer token",
            description="A SCIM token made by a Chorus Admin (Admin > SCIM tokens): "
                        "Authorization: Bearer scim_...",
            primary=True,
        )
    ],
)

PROVIDER = ScimProvider(
    models=[User, EnterpriseUser, Group],
    resource_types=[ResourceType.from_resource(UserResource), ResourceType.from_resource(GroupResource)],
    config=SERVICE_PROVIDER_CONFIG,
    policy=POLICY,
)

# Attribute -> the sub-attributes kept (None: a simple attribute), per published schema.
USER_ATTRIBUTES: dict[str, set[str] | None] = {
    "userName": None,
    "name": {"formatted", "familyName", "givenName"},
    "displayName": None,
    "title": None,
    "active": None,
    "emails": {"value", "type", "primary"},
    "groups": {"value", "$ref", "display"},
}
ENTERPRISE_ATTRIBUTES: dict[str, set[str] | None] = {"department": None}
GROUP_ATTRIBUTES: dict[str, set[str] | None] = {"displayName": None, "members": {"value", "$ref"}}
# Published read-only: derived from what Chorus holds, so a write to them changes nothing.
_READ_ONLY = {"emails", "groups"}
# Published required: a person is active or not, so "active" cannot be removed (a PATCH
# "remove" of it is a 400 ``mutability``). A request that leaves it out does not change it
# (a new person is active).
_REQUIRED = {"active"}


def _trimmed(schema: Schema, kept: dict[str, set[str] | None]) -> Schema:
    attributes = []
    for attribute in schema.attributes or []:
        if attribute.name not in kept:
            continue
        update: dict[str, Any] = {}
        subs = kept[attribute.name]
        read_only = attribute.name in _READ_ONLY
        if subs is not None:
            update["sub_attributes"] = [
                sub.model_copy(update={"mutability": Mutability.read_only} if read_only else {})
                for sub in attribute.sub_attributes or [] if sub.name in subs
            ]
        if read_only:
            update["mutability"] = Mutability.read_only
        if attribute.name in _REQUIRED:
            update["required"] = Required.true
        if attribute.name == "members":  # people only: a team holds no team
            update["sub_attributes"] = [
                sub.model_copy(update={"reference_types": ["User"]}) if sub.name == "$ref" else sub
                for sub in update["sub_attributes"]
            ]
        attributes.append(attribute.model_copy(update=update))
    return schema.model_copy(update={"attributes": attributes})


SCHEMAS: list[Schema] = [
    _trimmed(User.to_schema(), USER_ATTRIBUTES),
    _trimmed(EnterpriseUser.to_schema(), ENTERPRISE_ATTRIBUTES),
    _trimmed(Group.to_schema(), GROUP_ATTRIBUTES),
]
RESOURCE_TYPES: list[ResourceType] = list(PROVIDER.resource_types)
