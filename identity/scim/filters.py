"""SCIM filters (RFC 7644 §3.4.2.2) as database queries.

scim2-models parses and checks the filter; :class:`_ToQ` turns its syntax tree into a
``Q``. Only what identity providers send is supported: comparisons on the attributes in
``USER_FIELDS`` / ``GROUP_FIELDS`` (``userName eq "ann@example.com"``, ``externalId eq``,
``emails[type eq "work" and value eq ...]``, ``displayName eq``, ``members[value eq ...]``),
joined by ``and``, ``or`` and ``not``. Anything else is a 400 ``invalidFilter`` that says
what is supported.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import Q
from scim2_models import InvalidFilterException, SCIMException, ScimFilter
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)
from scim2_models.path.visitor import FilterVisitor

from identity.scim.schema import GroupResource, UserResource

_ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"
_STRING_LOOKUPS = {
    CompareOperator.eq: "iexact", CompareOperator.co: "icontains",
    CompareOperator.sw: "istartswith", CompareOperator.ew: "iendswith",
}
_EXACT_LOOKUPS = {CompareOperator.eq: "exact"}


def _text(field: str, lookups: dict) -> Callable[[CompareOperator, Any], Q]:
    def build(op: CompareOperator, value: Any) -> Q:
        if op == CompareOperator.ne:
            return ~build(CompareOperator.eq, value)
        if op not in lookups or not isinstance(value, str):
            raise InvalidFilterException(detail=f"{op.value} is not supported on this attribute")
        return Q(**{f"{field}__{lookups[op]}": value})
    return build


def _id(field: str) -> Callable[[CompareOperator, Any], Q]:
    def build(op: CompareOperator, value: Any) -> Q:
        if op not in (CompareOperator.eq, CompareOperator.ne):
            raise InvalidFilterException(detail="only eq and ne are supported on id")
        try:
            q = Q(**{field: int(str(value))})
        except ValueError:
            q = Q(pk__in=[])  # not one of our ids: matches nothing
        return ~q if op == CompareOperator.ne else q
    return build


def _bool(field: str) -> Callable[[CompareOperator, Any], Q]:
    def build(op: CompareOperator, value: Any) -> Q:
        if op not in (CompareOperator.eq, CompareOperator.ne) or not isinstance(value, bool):
            raise InvalidFilterException(detail="compare active with eq true or eq false")
        return Q(**{field: value if op == CompareOperator.eq else not value})
    return build


# Filter attribute path (lowercase) -> how it becomes a query on User or Team.
USER_FIELDS: dict[str, Callable[[CompareOperator, Any], Q]] = {
    "id": _id("pk"),
    "username": _text("email", _STRING_LOOKUPS),
    "externalid": _text("provisioned__external_id", _EXACT_LOOKUPS),
    "emails": _text("email", _STRING_LOOKUPS),
    "emails.value": _text("email", _STRING_LOOKUPS),
    "active": _bool("is_active"),
    "title": _text("job_title", _STRING_LOOKUPS),
    f"{_ENTERPRISE}:department": _text("team__name", _STRING_LOOKUPS),
}
GROUP_FIELDS: dict[str, Callable[[CompareOperator, Any], Q]] = {
    "id": _id("pk"),
    "displayname": _text("name", _STRING_LOOKUPS),
    "externalid": _text("provisioned__external_id", _EXACT_LOOKUPS),
    "members": _id("members__pk"),
    "members.value": _id("members__pk"),
}


def _key(attr_path: AttrPath, prefix: str = "") -> str:
    name = f"{prefix}.{attr_path.attr}" if prefix else attr_path.attr
    if attr_path.sub_attr:
        name = f"{name}.{attr_path.sub_attr}"
    if attr_path.uri and attr_path.uri.lower() != "urn:ietf:params:scim:schemas:core:2.0:user" \
            and attr_path.uri.lower() != "urn:ietf:params:scim:schemas:core:2.0:group":
        name = f"{attr_path.uri}:{name}"
    return name.lower()


class _ToQ(FilterVisitor[Q]):
    def __init__(self, fields: dict[str, Callable[[CompareOperator, Any], Q]]) -> None:
        self.fields = fields
        self.prefix = ""  # inside a value selection: "emails", "members"

    def _field(self, attr_path: AttrPath) -> Callable[[CompareOperator, Any], Q]:
        key = _key(attr_path, self.prefix)
        build = self.fields.get(key)
        if build is None:
            supported = ", ".join(sorted(k for k in self.fields if ":" not in k))
            raise InvalidFilterException(detail=f"filtering on '{attr_path}' is not supported (only {supported})")
        return build

    def visit_comparison(self, node: Comparison) -> Q:
        if self.prefix == "emails" and node.attr_path.attr.lower() == "type":
            # Chorus holds one address per person, of type "work".
            if node.op != CompareOperator.eq or not isinstance(node.value, str):
                raise InvalidFilterException(detail="compare emails.type with eq")
            return Q() if node.value.lower() == "work" else Q(pk__in=[])
        if self.prefix == "emails" and node.attr_path.attr.lower() == "primary":
            return Q() if node.value is True else Q(pk__in=[])
        return self._field(node.attr_path)(node.op, node.value)

    def visit_present(self, node: Present) -> Q:
        raise InvalidFilterException(detail=f"'{node.attr_path} pr' is not supported")

    def visit_not(self, node: Not) -> Q:
        return ~self.visit(node.expr)

    def visit_logical_expr(self, node: LogicalExpr) -> Q:
        queries = [self.visit(term) for term in node.terms]
        combined = queries[0]
        for q in queries[1:]:
            combined = combined & q if node.op == LogicalOperator.and_ else combined | q
        return combined

    def visit_value_path(self, node: ValuePath) -> Q:
        if self.prefix:
            raise InvalidFilterException(detail="a value selection cannot be nested")
        self.prefix = node.attr_path.attr.lower()
        try:
            if self.prefix not in ("emails", "members"):
                raise InvalidFilterException(detail=f"filtering on '{node.attr_path}[...]' is not supported")
            return self.visit(node.val_filter)
        finally:
            self.prefix = ""


def filter_q(text: str, *, groups: bool = False) -> Q:
    """The ``Q`` a SCIM filter on Users (or Groups) stands for; ``InvalidFilterException``
    (400 ``invalidFilter``) for a filter that cannot be read or is not supported."""
    model = GroupResource if groups else UserResource
    try:
        ast = ScimFilter[model](text).ast
    except SCIMException as exc:
        raise InvalidFilterException(detail=f"The filter cannot be read: {exc}") from None
    except (ValueError, TypeError) as exc:
        raise InvalidFilterException(detail=f"The filter cannot be read: {exc}") from None
    return _ToQ(GROUP_FIELDS if groups else USER_FIELDS).visit(ast)
