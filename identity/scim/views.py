"""The SCIM 2.0 endpoints (RFC 7644): plain Django views that translate HTTP to the services.

Every answer is ``application/scim+json``; every error has SCIM's shape
(``urn:ietf:params:scim:api:messages:2.0:Error``, ``status`` as a string, ``scimType``).
CSRF does not apply (no cookie authenticates here: ``identity.scim.auth``).
"""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError
from scim2_models import (
    Context,
    Error,
    InvalidSyntaxException,
    ListResponse,
    NotFoundException,
    NotImplementedException,
    PatchOp,
    ResourceType,
    ResponseParameters,
    Schema,
    SCIMException,
    SearchRequest,
)

from identity.models import ScimToken
from identity.scim import services
from identity.scim.auth import ScimDenied, scim_audit_context, scim_authenticate
from identity.scim.filters import filter_q
from identity.scim.resources import group_resource, scim_teams, scim_users, user_resource
from identity.scim.schema import (
    DEFAULT_COUNT,
    MAX_RESULTS,
    PROVIDER,
    RESOURCE_TYPES,
    SCHEMAS,
    SERVICE_PROVIDER_CONFIG,
    GroupResource,
    UserResource,
)

CONTENT_TYPE = "application/scim+json; charset=utf-8"

View = Callable[..., HttpResponse]


def scim_response(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    body = b"" if data is None else json.dumps(data, ensure_ascii=False).encode()
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPE if data is not None else None)
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(status: int, detail: str, scim_type: str | None = None,
                   headers: dict[str, str] | None = None) -> HttpResponse:
    error = Error(status=status, scim_type=scim_type, detail=detail)
    return scim_response(error.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE), status=status, headers=headers)


def _from_exception(exc: SCIMException) -> HttpResponse:
    error = exc.to_error()
    return error_response(error.status or 400, error.detail or str(exc), error.scim_type)


def _from_validation(exc: ValidationError) -> HttpResponse:
    error = Error.from_validation_errors(exc)[0]
    return error_response(error.status or 400, error.detail or "The request is not valid.", error.scim_type)


def scim_endpoint(*methods: str) -> Callable[[View], View]:
    """Authenticate, allow ``methods`` only, and turn every failure into a SCIM error."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                token = scim_authenticate(request)
            except ScimDenied as denied:
                headers = {"WWW-Authenticate": 'Bearer realm="scim"'} if denied.status == 401 else {}
                if denied.retry_after:
                    headers["Retry-After"] = str(int(denied.retry_after + 0.999))
                return error_response(denied.status, denied.detail, headers=headers)
            if request.method not in methods:
                return error_response(405, f"{request.method} is not allowed here (only {', '.join(methods)}).",
                                      headers={"Allow": ", ".join(methods)})
            try:
                with scim_audit_context(request), PROVIDER:
                    return view(request, token, *args, **kwargs)
            except SCIMException as exc:
                return _from_exception(exc)
            except ValidationError as exc:
                return _from_validation(exc)

        return wrapped

    return decorate


def _body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object, or a 400 ``invalidSyntax`` (413 when too large)."""
    try:
        raw = request.body
    except RequestDataTooBig:
        raise _TooLarge() from None
    try:
        data = json.loads(raw or b"null")
    except (ValueError, RecursionError):
        raise InvalidSyntaxException(detail="The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise InvalidSyntaxException(detail="The body must be a JSON object.")
    return data


class _TooLarge(SCIMException):
    status = 413
    _default_detail = "The request body is too large."


def _response_parameters(request: HttpRequest) -> ResponseParameters:
    params = {k: request.GET[k] for k in ("attributes", "excludedAttributes") if request.GET.get(k)}
    return ResponseParameters.model_validate(params)


# --- discovery -------------------------------------------------------------------------


@scim_endpoint("GET")
def service_provider_config(request: HttpRequest, token: ScimToken) -> HttpResponse:
    return scim_response(SERVICE_PROVIDER_CONFIG.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _listed(items: list[Any], kind: type) -> dict[str, Any]:
    return ListResponse[kind](total_results=len(items), start_index=1, items_per_page=len(items),
                              resources=items).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


@scim_endpoint("GET")
def resource_types(request: HttpRequest, token: ScimToken) -> HttpResponse:
    return scim_response(_listed(RESOURCE_TYPES, ResourceType))


@scim_endpoint("GET")
def resource_type(request: HttpRequest, token: ScimToken, resource_id: str) -> HttpResponse:
    for item in RESOURCE_TYPES:
        if item.id == resource_id:
            return scim_response(item.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    raise NotFoundException(detail=f"No ResourceType {resource_id}.")


@scim_endpoint("GET")
def schemas(request: HttpRequest, token: ScimToken) -> HttpResponse:
    return scim_response(_listed(SCHEMAS, Schema))


@scim_endpoint("GET")
def schema(request: HttpRequest, token: ScimToken, schema_id: str) -> HttpResponse:
    for item in SCHEMAS:
        if item.id.lower() == schema_id.lower():
            return scim_response(item.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    raise NotFoundException(detail=f"No Schema {schema_id}.")


# --- lists -----------------------------------------------------------------------------


def _search(data: dict[str, Any], kind: type) -> SearchRequest:
    return SearchRequest[kind].model_validate(data, scim_ctx=Context.SEARCH_REQUEST)


def _page(search: SearchRequest) -> tuple[int, int]:
    start = max(1, search.start_index or 1)
    count = DEFAULT_COUNT if search.count is None else min(max(0, search.count), MAX_RESULTS)
    return start, count


def _user_list(search: SearchRequest) -> HttpResponse:
    users = scim_users()
    if search.filter:
        users = users.filter(filter_q(str(search.filter)))
    users = users.select_related("team", "team__provisioned", "provisioned").order_by("pk").distinct()
    start, count = _page(search)
    total = users.count()
    page = list(users[start - 1:start - 1 + count]) if count else []
    listing = ListResponse[UserResource](
        total_results=total, start_index=start, items_per_page=len(page),
        resources=[user_resource(u) for u in page] or None,
    )
    return scim_response(listing.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=search))


def _wants_members(search: ResponseParameters) -> bool:
    named = [str(a).lower() for a in search.attributes or []]
    excluded = [str(a).lower() for a in search.excluded_attributes or []]
    return not any(a.endswith("members") for a in excluded) and (
        not named or any("members" in a for a in named))


def _group_list(search: SearchRequest) -> HttpResponse:
    teams = scim_teams()
    if search.filter:
        teams = teams.filter(filter_q(str(search.filter), groups=True))
    teams = teams.select_related("provisioned").order_by("pk").distinct()
    start, count = _page(search)
    total = teams.count()
    page = list(teams[start - 1:start - 1 + count]) if count else []
    members: dict[int, list[int]] = {team.pk: [] for team in page}
    if page and _wants_members(search):
        for team_id, user_id in scim_users().filter(team__in=page).order_by("pk").values_list("team_id", "pk"):
            members[team_id].append(user_id)
    listing = ListResponse[GroupResource](
        total_results=total, start_index=start, items_per_page=len(page),
        resources=[group_resource(t, member_ids=members[t.pk]) for t in page] or None,
    )
    return scim_response(listing.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=search))


def _query(request: HttpRequest) -> dict[str, str]:
    return {k: v for k, v in request.GET.items()
            if k in ("filter", "startIndex", "count", "attributes", "excludedAttributes", "sortBy", "sortOrder")}


def _created(resource: Any, location: str) -> HttpResponse:
    return scim_response(resource.model_dump(scim_ctx=Context.RESOURCE_CREATION_RESPONSE), status=201,
                         headers={"Location": location})


# --- Users -----------------------------------------------------------------------------


@scim_endpoint("GET", "POST")
def users(request: HttpRequest, token: ScimToken) -> HttpResponse:
    if request.method == "GET":
        return _user_list(_search(_query(request), UserResource))
    resource = UserResource.model_validate(_body(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    created = user_resource(services.scim_user_create(resource=resource, token=token))
    return _created(created, created.meta.location)


@scim_endpoint("POST")
def users_search(request: HttpRequest, token: ScimToken) -> HttpResponse:
    return _user_list(_search(_body(request), UserResource))


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def user(request: HttpRequest, token: ScimToken, user_id: str) -> HttpResponse:
    if request.method == "DELETE":
        services.scim_user_delete(user_id=user_id, token=token)
        return scim_response(None, status=204)
    if request.method == "GET":
        found = user_resource(services.scim_user_get(user_id))
        return scim_response(found.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE,
                                              response_parameters=_response_parameters(request)))
    if request.method == "PUT":
        resource = UserResource.model_validate(_body(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
        changed = services.scim_user_replace(user_id=user_id, resource=resource, token=token)
        context = Context.RESOURCE_REPLACEMENT_RESPONSE
    else:
        patch = PatchOp[UserResource].model_validate(_body(request), scim_ctx=Context.RESOURCE_PATCH_REQUEST)
        changed = services.scim_user_patch(user_id=user_id, patch=patch, token=token)
        context = Context.RESOURCE_PATCH_RESPONSE
    return scim_response(user_resource(changed).model_dump(scim_ctx=context))


# --- Groups ----------------------------------------------------------------------------


@scim_endpoint("GET", "POST")
def groups(request: HttpRequest, token: ScimToken) -> HttpResponse:
    if request.method == "GET":
        return _group_list(_search(_query(request), GroupResource))
    resource = GroupResource.model_validate(_body(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    created = group_resource(services.scim_group_create(resource=resource, token=token))
    return _created(created, created.meta.location)


@scim_endpoint("POST")
def groups_search(request: HttpRequest, token: ScimToken) -> HttpResponse:
    return _group_list(_search(_body(request), GroupResource))


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def group(request: HttpRequest, token: ScimToken, group_id: str) -> HttpResponse:
    if request.method == "DELETE":
        services.scim_group_delete(team_id=group_id, token=token)
        return scim_response(None, status=204)
    if request.method == "GET":
        params = _response_parameters(request)
        team = services.scim_group_get(group_id)
        found = group_resource(team, member_ids=None if _wants_members(params) else [])
        return scim_response(found.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=params))
    if request.method == "PUT":
        resource = GroupResource.model_validate(_body(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
        changed = services.scim_group_replace(team_id=group_id, resource=resource, token=token)
        context = Context.RESOURCE_REPLACEMENT_RESPONSE
    else:
        patch = PatchOp[GroupResource].model_validate(_body(request), scim_ctx=Context.RESOURCE_PATCH_REQUEST)
        changed = services.scim_group_patch(team_id=group_id, patch=patch, token=token)
        context = Context.RESOURCE_PATCH_RESPONSE
    return scim_response(group_resource(changed).model_dump(scim_ctx=context))


# --- the rest --------------------------------------------------------------------------


@scim_endpoint("POST")
def search_all(request: HttpRequest, token: ScimToken) -> HttpResponse:
    raise NotImplementedException(detail="Search one resource type at a time: /Users/.search or /Groups/.search.")


@scim_endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def not_found(request: HttpRequest, token: ScimToken, rest: str = "") -> HttpResponse:
    raise NotFoundException(detail=f"There is no SCIM endpoint at /{rest}.")
