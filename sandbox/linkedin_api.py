"""LinkedIn's versioned REST API: posts, images, member post analytics, and the post page.

Faithful to the awkward parts: ``LinkedIn-Version`` is mandatory and retired versions
answer 426; a post is created with 201 and an EMPTY body, the id only in ``x-restli-id``;
unescaped reserved characters silently truncate the commentary; the daily throttle is a
429 without any rate-limit headers; a duplicate within ~10 minutes is a 422 that names the
existing post ("Content is a duplicate of urn:li:share:…") in errorDetails form.
"""

import datetime as dt
import re
import secrets
from typing import Any
from urllib.parse import quote, unquote

from .context import Route, Sandbox, route
from .errors import (
    LI_ANALYTICS_RESOURCE,
    li_access_denied,
    li_duplicate,
    li_error,
    li_throttled,
    li_unprocessable,
    li_version_error,
)
from .linkedin_oauth import authenticate
from .metrics import linkedin_metrics
from .pages import linkedin_post_page, not_found_page
from .state import Image, Member, Post, Token
from .text import parse_little_text
from .web import BadJson, Request, Response, empty_response, html_response, json_response

METRIC_TYPES = ("IMPRESSION", "MEMBERS_REACHED", "RESHARE", "REACTION", "COMMENT")
_LEGACY_METRIC_KEY = "com.linkedin.adsexternalapi.memberanalytics.v1.CreatorPostAnalyticsMetricTypeV1"
_REQUIRED_POST_FIELDS = ("author", "commentary", "visibility", "distribution", "lifecycleState")
_VISIBILITY = ("PUBLIC", "CONNECTIONS", "LOGGED_IN", "CONTAINER")
_LIFECYCLE = ("PUBLISHED", "DRAFT", "PUBLISH_REQUESTED")


def _version_error(ctx: Sandbox, header: str | None) -> Response | None:
    if not header:
        return li_error(
            400,
            "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
            code="VERSION_MISSING",
        )
    match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})?", header.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12:
        return li_version_error(header.strip())
    month = match.group(1) + match.group(2)
    now = dt.datetime.fromtimestamp(ctx.now(), dt.UTC)
    retired = month in ctx.config.linkedin_retired_versions or month < ctx.config.linkedin_oldest_active_version
    if retired or month > f"{now.year:04d}{now.month:02d}":  # future versions do not exist yet either
        return li_version_error(month + (match.group(3) or "01"))
    return None


def rest_auth(ctx: Sandbox, req: Request) -> tuple[Token, Member] | Response:
    """The gate in front of every /rest call: version, protocol header, then token."""
    if failure := _version_error(ctx, req.header("linkedin-version")):
        return failure
    if ctx.config.linkedin_require_restli_header and req.header("x-restli-protocol-version") != "2.0.0":
        return li_error(400, "X-Restli-Protocol-Version header must be 2.0.0", code="ILLEGAL_ARGUMENT")
    return authenticate(ctx, req)


def _json_body(req: Request) -> Any:
    if req.content_type != "application/json":
        return li_error(415, "Content-Type must be application/json", code="UNSUPPORTED_MEDIA_TYPE")
    try:
        return req.json()
    except BadJson as exc:
        return li_error(400, f"Unable to parse JSON request body: {exc}", code="BAD_REQUEST")


def _permission(token: Token, scope: str, resource: str) -> Response | None:
    if scope in token.scopes:
        return None
    return li_access_denied(f"Not enough permissions to access: {resource}")


def _utc_day_start(now: float) -> float:
    day = dt.datetime.fromtimestamp(now, dt.UTC).date()
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()


def posts_create(ctx: Sandbox, req: Request) -> Response:
    auth = rest_auth(ctx, req)
    if isinstance(auth, Response):
        return auth
    token, member = auth
    body = _json_body(req)
    if isinstance(body, Response):
        return body
    if not isinstance(body, dict):
        return li_error(400, "Request body must be a JSON object", code="BAD_REQUEST")
    if failure := _permission(token, "w_member_social", "partnerApiPostsExternal.CREATE.20251001"):
        return failure
    if failure := _validate_post(ctx, body, member):
        return failure
    cfg, now = ctx.config, ctx.now()
    parsed = parse_little_text(body["commentary"])
    mine = ctx.state.posts("linkedin", author_id=member.id)
    today = _utc_day_start(now)
    if sum(1 for p in mine if p.created_at >= today) >= cfg.linkedin_member_daily_posts:
        return li_throttled("Resource level throttle MEMBER DAY limit for calls to this resource is reached.")
    if cfg.linkedin_app_daily_posts is not None:
        if sum(1 for p in ctx.state.posts("linkedin") if p.created_at >= today) >= cfg.linkedin_app_daily_posts:
            return li_throttled("Resource level throttle APPLICATION DAY limit for calls to this resource is reached.")
    article_source = ((body.get("content") or {}).get("article") or {}).get("source")
    for earlier in reversed(mine):
        if now - earlier.created_at > cfg.linkedin_duplicate_window:
            break
        same_article = earlier.extra.get("content", {}).get("article", {}).get("source") == article_source
        if earlier.text == parsed.text and (parsed.text or same_article):
            return li_duplicate(earlier.id)
    kind = cfg.linkedin_post_urn_kind
    snowflake = ctx.state.next_snowflake()
    if kind == "alternate":
        kind = "share" if int(snowflake) % 2 == 0 else "ugcPost"
    urn = f"urn:li:{kind}:{snowflake}"
    stored = {k: v for k, v in body.items() if k != "commentary"}
    ctx.state.add_post(
        Post(
            id=urn, network="linkedin", author_id=member.id, author_name=member.name,
            author_username=member.username, text=parsed.text, raw_text=body["commentary"], created_at=now,
            extra={**stored, "truncated": parsed.truncated},
        )
    )
    return empty_response(201, [("x-restli-id", urn), ("X-RestLi-Protocol-Version", "2.0.0")])


def _validate_post(ctx: Sandbox, body: dict[str, Any], member: Member) -> Response | None:
    for name in _REQUIRED_POST_FIELDS:
        if name not in body:
            return li_unprocessable(f"ERROR :: /{name} :: field is required but not found and has no default value")
    if body["author"] != member.urn:
        return li_access_denied(f"Not enough permissions to create a post as {body['author']}")
    if not isinstance(body["commentary"], str):
        return li_unprocessable("ERROR :: /commentary :: expected a string")
    if len(body["commentary"]) > ctx.config.linkedin_max_commentary:
        return li_unprocessable(
            f"ERROR :: /commentary :: length {len(body['commentary'])} exceeds maximum {ctx.config.linkedin_max_commentary}"
        )
    if body["visibility"] not in _VISIBILITY:
        return li_unprocessable(f"ERROR :: /visibility :: {body['visibility']!r} is not a valid visibility")
    if body["lifecycleState"] not in _LIFECYCLE:
        return li_unprocessable(f"ERROR :: /lifecycleState :: {body['lifecycleState']!r} is not valid")
    distribution = body["distribution"]
    if not isinstance(distribution, dict) or "feedDistribution" not in distribution:
        return li_unprocessable("ERROR :: /distribution/feedDistribution :: field is required but not found")
    content = body.get("content")
    if content is None:
        return None
    article = content.get("article") if isinstance(content, dict) else None
    if not isinstance(article, dict):
        return li_unprocessable("ERROR :: /content :: only article content is supported by the sandbox")
    if not article.get("source"):
        return li_unprocessable("ERROR :: /content/article/source :: field is required but not found")
    thumbnail = article.get("thumbnail")
    if thumbnail is not None:
        image = ctx.state.images.get(str(thumbnail).rsplit(":", 1)[-1])
        if image is None or image.urn != thumbnail or image.data is None:
            return li_unprocessable(f"ERROR :: /content/article/thumbnail :: {thumbnail} is not an uploaded image")
    return None


def _post_json(post: Post) -> dict[str, Any]:
    created = int(post.created_at * 1000)
    fields = {k: v for k, v in post.extra.items() if k not in ("truncated", "author")}
    return {
        "id": post.id, "author": f"urn:li:person:{post.author_id}", "commentary": post.text, **fields,
        "createdAt": created, "publishedAt": created, "lastModifiedAt": created,
        "lifecycleStateInfo": {"isEditedByAuthor": False},
    }


def posts_get(ctx: Sandbox, req: Request, urn: str) -> Response:
    auth = rest_auth(ctx, req)
    if isinstance(auth, Response):
        return auth
    post = ctx.state.post("linkedin", unquote(urn))
    if post is None or post.deleted:
        return li_error(404, f"Post {unquote(urn)} does not exist", code="NOT_FOUND")
    return json_response(200, _post_json(post))


def posts_delete(ctx: Sandbox, req: Request, urn: str) -> Response:
    auth = rest_auth(ctx, req)
    if isinstance(auth, Response):
        return auth
    _, member = auth
    post = ctx.state.post("linkedin", unquote(urn))
    if post is None or post.deleted:
        return li_error(404, f"Post {unquote(urn)} does not exist", code="NOT_FOUND")
    if post.author_id != member.id:
        return li_access_denied(f"Not enough permissions to delete {post.id}")
    post.deleted = True
    return empty_response(204)


def images_action(ctx: Sandbox, req: Request) -> Response:
    auth = rest_auth(ctx, req)
    if isinstance(auth, Response):
        return auth
    token, member = auth
    if req.query.get("action") != "initializeUpload":
        return li_error(400, "Unsupported action; expected action=initializeUpload", code="BAD_REQUEST")
    body = _json_body(req)
    if isinstance(body, Response):
        return body
    owner = (body.get("initializeUploadRequest") or {}).get("owner") if isinstance(body, dict) else None
    if not owner:
        return li_unprocessable("ERROR :: /initializeUploadRequest/owner :: field is required but not found")
    if failure := _permission(token, "w_member_social", "images.ACTION-initializeUpload.20251001"):
        return failure
    if owner != member.urn:
        return li_access_denied(f"Not enough permissions to upload images for {owner}")
    image_id = "D4E10AQ" + secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")
    expires = ctx.now() + ctx.config.linkedin_upload_ttl
    image = Image(id=image_id, urn=f"urn:li:image:{image_id}", owner=owner, created_at=ctx.now(), upload_expires_at=expires)
    ctx.state.images[image_id] = image
    return json_response(
        200,
        {
            "value": {
                "uploadUrlExpiresAt": int(expires * 1000),
                "uploadUrl": f"{ctx.base_url(req)}/linkedin/upload/{image_id}",
                "image": image.urn,
            }
        },
    )


def images_get(ctx: Sandbox, req: Request, urn: str) -> Response:
    auth = rest_auth(ctx, req)
    if isinstance(auth, Response):
        return auth
    image = ctx.state.images.get(unquote(urn).rsplit(":", 1)[-1])
    if image is None:
        return li_error(404, f"Image {unquote(urn)} does not exist", code="NOT_FOUND")
    body: dict[str, Any] = {"id": image.urn, "owner": image.owner, "status": "AVAILABLE" if image.data else "WAITING_UPLOAD"}
    if image.data:
        body["downloadUrl"] = f"{ctx.base_url(req)}/linkedin/media/{image.id}"
        body["downloadUrlExpiresAt"] = int((ctx.now() + 3600) * 1000)
    return json_response(200, body)


def upload(ctx: Sandbox, req: Request, image_id: str) -> Response:
    """PUT the bytes to the upload URL, with the same Bearer token."""
    auth = authenticate(ctx, req)
    if isinstance(auth, Response):
        return auth
    _, member = auth
    image = ctx.state.images.get(image_id)
    if image is None:
        return li_error(404, "Upload URL is not valid", code="NOT_FOUND")
    if image.owner != member.urn:
        return li_access_denied("The upload URL belongs to another member")
    if ctx.now() > image.upload_expires_at:
        return li_error(400, "Upload URL has expired", code="BAD_REQUEST")
    if not req.body:
        return li_error(400, "Upload body is empty", code="BAD_REQUEST")
    image.data = req.body
    image.content_type = req.content_type or "application/octet-stream"
    return empty_response(201)


def media(ctx: Sandbox, req: Request, image_id: str) -> Response:
    image = ctx.state.images.get(image_id)
    if image is None or image.data is None:
        return Response(404, b"not found", [("Content-Type", "text/plain")])
    return Response(200, image.data, [("Content-Type", image.content_type)])


def analytics(ctx: Sandbox, req: Request) -> Response:
    auth = rest_auth(ctx, req)
    if isinstance(auth, Response):
        return auth
    token, member = auth
    if failure := _permission(token, "r_member_postAnalytics", LI_ANALYTICS_RESOURCE):
        return failure
    query = req.query
    if query.get("q") != "entity":
        return li_error(400, "Unsupported finder; expected q=entity", code="BAD_REQUEST")
    metric = query.get("queryType", "")
    if metric not in METRIC_TYPES:
        return li_error(400, f"Invalid queryType {metric!r}", code="BAD_REQUEST")
    if query.get("aggregation", "TOTAL") != "TOTAL":
        return li_error(400, "The sandbox supports aggregation=TOTAL only", code="BAD_REQUEST")
    match = re.fullmatch(r"\((share|ugc):(.+)\)", unquote(query.get("entity", "")))
    if match is None:
        return li_error(400, "entity must be (share:urn) or (ugc:urn)", code="BAD_REQUEST")
    key, urn = match.group(1), unquote(match.group(2))
    if urn.startswith("urn:li:share:") != (key == "share") or not re.fullmatch(r"urn:li:(share|ugcPost):\d+", urn):
        return li_error(400, f"entity key {key} does not match {urn}", code="BAD_REQUEST")
    post = ctx.state.post("linkedin", urn)
    if post is None or post.deleted:
        return li_error(404, f"Post {urn} does not exist", code="NOT_FOUND")
    if post.author_id != member.id:
        return li_access_denied(f"Not enough permissions to access analytics of {urn}")
    count = linkedin_metrics(post.id, ctx.now() - post.created_at, ctx.config.metrics_tau)[metric]
    metric_type: Any = {_LEGACY_METRIC_KEY: metric} if ctx.config.linkedin_legacy_metric_type else metric
    return json_response(
        200,
        {
            "paging": {"start": 0, "count": 10, "links": []},
            "elements": [{"count": count, "metricType": metric_type, "targetEntity": {key: urn}}],
        },
    )


def post_page(ctx: Sandbox, req: Request, urn: str) -> Response:
    post = ctx.state.post("linkedin", unquote(urn))
    if post is None or post.deleted:
        return html_response(404, not_found_page("linkedin"))
    thumbnail = post.extra.get("content", {}).get("article", {}).get("thumbnail")
    image_url = f"/linkedin/media/{thumbnail.rsplit(':', 1)[-1]}" if thumbnail else None
    return html_response(200, linkedin_post_page(post, image_url))


def post_url(base: str, post: Post) -> str:
    return f"{base}/linkedin/feed/update/{quote(post.id, safe=':')}/"


ROUTES: list[Route] = [
    route("POST", r"/linkedin/rest/posts", "linkedin", "post", posts_create),
    route("GET", r"/linkedin/rest/posts/(?P<urn>[^/]+)", "linkedin", "lookup", posts_get),
    route("DELETE", r"/linkedin/rest/posts/(?P<urn>[^/]+)", "linkedin", "post", posts_delete),
    route("POST", r"/linkedin/rest/images", "linkedin", "media", images_action),
    route("GET", r"/linkedin/rest/images/(?P<urn>[^/]+)", "linkedin", "media", images_get),
    route("PUT", r"/linkedin/upload/(?P<image_id>[A-Za-z0-9_-]+)", "linkedin", "media", upload),
    route("GET", r"/linkedin/media/(?P<image_id>[A-Za-z0-9_-]+)", "linkedin", "web", media),
    route("GET", r"/linkedin/rest/memberCreatorPostAnalytics", "linkedin", "metrics", analytics),
    route("GET", r"/linkedin/feed/update/(?P<urn>[^/]+)/?", "linkedin", "web", post_page),
]
