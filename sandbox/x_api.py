"""X API v2: users/me, create/lookup/delete posts, a user's timeline, and the post page.

Faithful to the awkward parts: posting answers 201 with rate-limit and 24-hour headers;
duplicates are a 403 problem; lookups answer 200 with ``data`` for the found ids and an
``errors`` array for the rest (deleted or unknown posts); URLs come back as t.co links
with ``entities.urls[]`` (``url``, ``expanded_url``, ``unwound_url``, indices in code points
of the returned text); text comes back with ``&``, ``<``, ``>`` as HTML entities; 429 may
use the old body.
"""

import datetime as dt
import unicodedata
from typing import Any

from .context import Route, Sandbox, route
from .errors import (
    X_PROBLEM_BASE,
    rate_headers,
    x_duplicate,
    x_forbidden,
    x_invalid,
    x_invalid_request,
    x_problem,
    x_rate_limited,
    x_unauthorized,
)
from .linkedin_oauth import avatar
from .metrics import x_metrics
from .pages import not_found_page, x_post_page
from .state import Post, Token, Window
from .text import weighted_length, wrap_urls, x_escape
from .web import BadJson, Request, Response, html_response, json_response
from .x_oauth import user_token

APP = "app"  # the principal of an app-only bearer token
_TOO_LONG = (
    "Your Tweet text is too long. For more information on how Twitter determines text length "
    "see https://github.com/twitter/twitter-text."
)
_UNSUPPORTED_AUTH = (
    "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported authentication "
    "types are [OAuth 1.0a User Context, OAuth 2.0 User Context]."
)
_COMMON_HEADERS = [("api-version", "2.150")]
_PRIVATE_FIELDS = ("non_public_metrics", "organic_metrics")


def _auth(ctx: Sandbox, req: Request, *, app_ok: bool) -> Token | str | Response:
    bearer = req.bearer()
    if bearer and bearer == ctx.config.x_app_bearer_token:
        if app_ok:
            return APP
        return x_problem(
            403, "Unsupported Authentication", _UNSUPPORTED_AUTH, type_=f"{X_PROBLEM_BASE}/unsupported-authentication"
        )
    found = user_token(ctx, req)
    return found if found is not None else x_unauthorized()


def _limit(ctx: Sandbox, endpoint: str, principal: Token | str, limit: int) -> tuple[Window, list[tuple[str, str]]]:
    who = principal.member_id if isinstance(principal, Token) else APP
    window = ctx.state.hit((endpoint, who), limit, 900.0)
    access = "read-write" if isinstance(principal, Token) else "read"
    return window, [*rate_headers(window.limit, window.remaining, window.reset), ("x-access-level", access), *_COMMON_HEADERS]


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(epoch * 1000) % 1000:03d}Z"


def users_me(ctx: Sandbox, req: Request) -> Response:
    principal = _auth(ctx, req, app_ok=False)
    if isinstance(principal, Response):
        return principal
    assert isinstance(principal, Token)
    window, headers = _limit(ctx, "users/me", principal, ctx.config.x_users_me_per_window)
    if not window.allowed:
        return x_rate_limited(ctx.config, headers)
    if not {"users.read", "tweet.read"} <= set(principal.scopes):
        return x_forbidden("Missing scopes users.read and tweet.read")
    member = ctx.state.get_member("x", principal.member_id)
    if member is None:
        return x_unauthorized()
    data: dict[str, Any] = {"id": member.id, "name": member.name, "username": member.username}
    fields = set(req.query.get("user.fields", "").split(","))
    if "created_at" in fields:
        data["created_at"] = _iso(member.created_at)
    if "profile_image_url" in fields:
        data["profile_image_url"] = f"{ctx.base_url(req)}/x/avatar/{member.id}.svg"
    if "public_metrics" in fields:
        tweets = len(ctx.state.posts("x", author_id=member.id))
        data["public_metrics"] = {
            "followers_count": member.followers,
            "following_count": member.following,
            "tweet_count": tweets,
            "listed_count": member.followers // 100,
        }
        if ctx.config.x_new_metric_names:
            data["public_metrics"].update(like_count=0, media_count=0)
    return json_response(200, {"data": data}, headers)


def tweets_create(ctx: Sandbox, req: Request) -> Response:
    cfg = ctx.config
    principal = _auth(ctx, req, app_ok=False)
    if isinstance(principal, Response):
        return principal
    assert isinstance(principal, Token)
    window, headers = _limit(ctx, "tweets/create", principal, cfg.x_user_posts_per_window)
    user_day = ctx.state.hit(("tweets/day", principal.member_id), cfg.x_user_posts_per_day, 86_400.0, count=False)
    app_day = ctx.state.hit(("tweets/day", APP), cfg.x_app_posts_per_day, 86_400.0, count=False)
    if not window.allowed or not user_day.allowed or not app_day.allowed:
        return x_rate_limited(cfg, headers + _day_headers(user_day, app_day))
    if "tweet.write" not in principal.scopes:
        return x_forbidden("Missing scope tweet.write")
    try:
        body = req.json()
    except BadJson:
        return x_invalid_request("Request body is not valid JSON")
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip():
        return x_invalid_request("$.text: is missing but it is required")
    if weighted_length(text) > cfg.x_max_weighted_length:
        if cfg.x_too_long_status == 403:
            return x_problem(403, "Forbidden", _TOO_LONG, headers=headers)
        return x_problem(400, "Invalid Request", _TOO_LONG, type_=f"{X_PROBLEM_BASE}/invalid-request", headers=headers)
    normalised, now = unicodedata.normalize("NFC", text), ctx.now()
    for earlier in ctx.state.posts("x", author_id=principal.member_id):
        recent = cfg.x_duplicate_window is None or now - earlier.created_at <= cfg.x_duplicate_window
        if recent and unicodedata.normalize("NFC", earlier.raw_text) == normalised:
            return x_duplicate().with_headers(headers)
    member = ctx.state.get_member("x", principal.member_id)
    if member is None:
        return x_unauthorized()
    post_id = ctx.state.next_snowflake()
    shown, urls = wrap_urls(normalised, post_id) if cfg.x_wrap_urls else (normalised, [])
    ctx.state.add_post(
        Post(
            id=post_id, network="x", author_id=member.id, author_name=member.name, author_username=member.username,
            text=shown, raw_text=text, created_at=now, extra={"urls": urls},
        )
    )
    user_day = ctx.state.hit(("tweets/day", member.id), cfg.x_user_posts_per_day, 86_400.0)
    app_day = ctx.state.hit(("tweets/day", APP), cfg.x_app_posts_per_day, 86_400.0)
    location = ("location", f"{ctx.base_url(req)}/x/2/tweets/{post_id}")
    data = {"id": post_id, "text": x_escape(shown), "edit_history_tweet_ids": [post_id]}
    return json_response(201, {"data": data}, [location, *headers, *_day_headers(user_day, app_day)])


def _day_headers(user_day: Window, app_day: Window) -> list[tuple[str, str]]:
    return [
        *rate_headers(user_day.limit, user_day.remaining, user_day.reset, "x-user-limit-24hour"),
        *rate_headers(app_day.limit, app_day.remaining, app_day.reset, "x-app-limit-24hour"),
    ]


def _fields(req: Request) -> set[str]:
    """``tweet.fields`` (or the newer ``post.fields``), comma separated."""
    raw = ",".join(v for v in (req.query.get("tweet.fields"), req.query.get("post.fields")) if v)
    return {f.strip() for f in raw.split(",") if f.strip()}


def api_text(post: Post) -> tuple[str, list[dict[str, Any]]]:
    """The text as the API returns it (HTML-escaped) and its URL entities, indexed into that text."""
    text = x_escape(post.text)
    entities, position = [], 0
    for entity in post.extra.get("urls", []):
        start = text.find(entity["url"], position)
        if start < 0:
            continue
        position = start + len(entity["url"])
        entities.append(
            {**entity, "start": start, "end": position, "unwound_url": entity.get("unwound_url", entity["expanded_url"])}
        )
    return text, entities


def _user_fields(ctx: Sandbox, req: Request, member_id: str) -> dict[str, Any] | None:
    """A user object for ``includes.users`` (``expansions=author_id``)."""
    member = ctx.state.get_member("x", member_id)
    if member is None:
        return None
    user: dict[str, Any] = {"id": member.id, "name": member.name, "username": member.username}
    fields = set(req.query.get("user.fields", "").split(","))
    if "created_at" in fields:
        user["created_at"] = _iso(member.created_at)
    if "public_metrics" in fields:
        user["public_metrics"] = {
            "followers_count": member.followers, "following_count": member.following,
            "tweet_count": len(ctx.state.posts("x", author_id=member.id)), "listed_count": member.followers // 100,
        }
    return user


def _includes(ctx: Sandbox, req: Request, items: list[dict[str, Any]], authors: list[str]) -> dict[str, Any]:
    expansions = {e.strip() for e in req.query.get("expansions", "").split(",") if e.strip()}
    if "author_id" not in expansions or not items:
        return {}
    users = [u for a in dict.fromkeys(authors) if (u := _user_fields(ctx, req, a)) is not None]
    return {"includes": {"users": users}} if users else {}


def _render(ctx: Sandbox, post: Post, fields: set[str], principal: Token | str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A post as the v2 API shows it, plus field-authorisation errors for private metrics."""
    text, urls = api_text(post)
    data: dict[str, Any] = {"id": post.id, "text": text, "edit_history_tweet_ids": [post.id]}
    errors: list[dict[str, Any]] = []
    age = ctx.now() - post.created_at
    counts = x_metrics(post.id, age, ctx.config.metrics_tau)
    if "created_at" in fields:
        data["created_at"] = _iso(post.created_at)
    if "author_id" in fields:
        data["author_id"] = post.author_id
    if "entities" in fields and urls:
        data["entities"] = {"urls": urls}
    if "public_metrics" in fields:
        public = {k: counts[k] for k in ("retweet_count", "reply_count", "like_count", "quote_count", "bookmark_count", "impression_count")}
        if ctx.config.x_new_metric_names:
            public["repost_count"] = public["retweet_count"]
        data["public_metrics"] = public
    for name in [f for f in _PRIVATE_FIELDS if f in fields]:
        own = isinstance(principal, Token) and principal.member_id == post.author_id
        if own and age < 30 * 86_400:
            keys = ("impression_count", "url_link_clicks", "user_profile_clicks")
            if name == "organic_metrics":
                keys = (*keys, "like_count", "reply_count", "retweet_count")
            data[name] = {k: counts[k] for k in keys}
        else:
            errors.append(
                {
                    "value": post.id, "resource_id": post.id, "resource_type": "tweet", "field": name,
                    "parameter": "tweet.fields", "title": "Field Authorization Error",
                    "section": "data",
                    "detail": f"Sorry, you are not authorized to access '{name}' on the Tweet with ids: [{post.id}].",
                    "type": f"{X_PROBLEM_BASE}/not-authorized-for-field",
                }
            )
    return data, errors


def tweets_lookup(ctx: Sandbox, req: Request) -> Response:
    principal = _auth(ctx, req, app_ok=True)
    if isinstance(principal, Response):
        return principal
    window, headers = _limit(ctx, "tweets/lookup", principal, ctx.config.x_lookup_per_window)
    if not window.allowed:
        return x_rate_limited(ctx.config, headers)
    ids = [i for i in req.query.get("ids", "").split(",") if i]
    if not ids:
        return x_invalid_request("The `ids` query parameter can not be empty")
    if len(ids) > 100:
        return x_invalid_request(f"The number of values in the `ids` query parameter list [{len(ids)}] is not between 1 and 100")
    invalid = [
        {"parameters": {"ids": [value]}, "message": f"The `ids` query parameter value [{value}] does not match ^[0-9]{{1,19}}$"}
        for value in ids
        if not (value.isascii() and value.isdigit()) or len(value) > 19
    ]
    if invalid:
        return x_invalid(invalid)
    fields = _fields(req)
    data, errors, authors = [], [], []
    for post_id in dict.fromkeys(ids):
        post = ctx.state.post("x", post_id)
        if post is None or post.deleted:
            errors.append(_not_found(post_id, "tweet", "ids", f"Could not find tweet with ids: [{post_id}]."))
            continue
        item, field_errors = _render(ctx, post, fields, principal)
        data.append(item)
        authors.append(post.author_id)
        errors.extend(field_errors)
    body: dict[str, Any] = {}
    if data:
        body["data"] = data
        body.update(_includes(ctx, req, data, authors))
    if errors:
        body["errors"] = errors
    return json_response(200, body, headers)


def _not_found(value: str, resource: str, parameter: str, detail: str) -> dict[str, Any]:
    return {
        "value": value, "detail": detail, "title": "Not Found Error", "resource_type": resource,
        "parameter": parameter, "resource_id": value, "type": f"{X_PROBLEM_BASE}/resource-not-found",
    }


def user_timeline(ctx: Sandbox, req: Request, user_id: str) -> Response:
    """A user's recent posts, newest first: how Chorus checks whether an ambiguous post exists."""
    principal = _auth(ctx, req, app_ok=True)
    if isinstance(principal, Response):
        return principal
    window, headers = _limit(ctx, "users/tweets", principal, ctx.config.x_timeline_per_window)
    if not window.allowed:
        return x_rate_limited(ctx.config, headers)
    query = req.query
    try:
        max_results = int(query.get("max_results", "10"))
        offset = int(query.get("pagination_token", "0") or 0)
    except ValueError:
        return x_invalid_request("max_results and pagination_token must be numbers")
    if not 5 <= max_results <= 100:
        return x_invalid_request(
            f"The `max_results` query parameter value [{max_results}] is not between 5 and 100",
            {"max_results": [str(max_results)]},
        )
    excluded = {e.strip() for e in query.get("exclude", "").split(",") if e.strip()}
    if excluded - {"replies", "retweets"}:
        bad = sorted(excluded - {"replies", "retweets"})[0]
        return x_invalid_request(f"The `exclude` query parameter value [{bad}] is not one of [replies,retweets]",
                                 {"exclude": [bad]})
    bounds: dict[str, float] = {}
    for name in ("start_time", "end_time"):
        if query.get(name):
            try:
                bounds[name] = _parse_time(query[name])
            except ValueError:
                return x_invalid_request(f"Invalid '{name}':'{query[name]}'. '{name}' must be a valid RFC 3339 date-time",
                                         {name: [query[name]]})
    if ctx.state.get_member("x", user_id) is None:
        return json_response(200, {"errors": [_not_found(user_id, "user", "id", f"Could not find user with id: [{user_id}].")]}, headers)
    since, until = query.get("since_id"), query.get("until_id")
    posts = [
        p for p in reversed(ctx.state.posts("x", author_id=user_id))
        if (not since or int(p.id) > int(since)) and (not until or int(p.id) < int(until))
        and bounds.get("start_time", 0.0) <= p.created_at <= bounds.get("end_time", float("inf"))
    ]
    page = posts[offset : offset + max_results]
    fields = _fields(req)
    body: dict[str, Any] = {"meta": {"result_count": len(page)}}
    if page:
        body["data"] = [_render(ctx, p, fields, principal)[0] for p in page]
        body.update(_includes(ctx, req, body["data"], [p.author_id for p in page]))
        body["meta"].update(newest_id=page[0].id, oldest_id=page[-1].id)
    if offset + max_results < len(posts):
        body["meta"]["next_token"] = str(offset + max_results)
    return json_response(200, body, headers)


def _parse_time(value: str) -> float:
    """RFC 3339 (``2026-10-01T12:00:00Z``, optional fraction or offset) -> epoch seconds."""
    if "T" not in value:
        raise ValueError(value)
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(value)
    return parsed.timestamp()


def tweets_delete(ctx: Sandbox, req: Request, post_id: str) -> Response:
    principal = _auth(ctx, req, app_ok=False)
    if isinstance(principal, Response):
        return principal
    assert isinstance(principal, Token)
    window, headers = _limit(ctx, "tweets/delete", principal, ctx.config.x_delete_per_window)
    if not window.allowed:
        return x_rate_limited(ctx.config, headers)
    post = ctx.state.post("x", post_id)
    if post is None or post.deleted:
        return x_problem(404, "Not Found Error", f"Could not find tweet with id: [{post_id}].",
                         type_=f"{X_PROBLEM_BASE}/resource-not-found", headers=headers)
    if post.author_id != principal.member_id:
        return x_forbidden("You are not allowed to delete this Tweet.").with_headers(headers)
    post.deleted = True
    return json_response(200, {"data": {"deleted": True}}, headers)


def status_page(ctx: Sandbox, req: Request, username: str, post_id: str) -> Response:
    post = ctx.state.post("x", post_id)
    if post is None or post.deleted:
        return html_response(404, not_found_page("x"))
    return html_response(200, x_post_page(post))


def post_url(base: str, post: Post) -> str:
    return f"{base}/x/{post.author_username}/status/{post.id}"


def x_avatar(ctx: Sandbox, req: Request, member_id: str) -> Response:
    return avatar(ctx, req, member_id, network="x")


ROUTES: list[Route] = [
    route("GET", r"/x/2/users/me", "x", "profile", users_me),
    route("POST", r"/x/2/tweets", "x", "post", tweets_create),
    route("GET", r"/x/2/tweets", "x", "metrics", tweets_lookup),
    route("DELETE", r"/x/2/tweets/(?P<post_id>\d+)", "x", "post", tweets_delete),
    route("GET", r"/x/2/users/(?P<user_id>\d+)/tweets", "x", "lookup", user_timeline),
    route("GET", r"/x/avatar/(?P<member_id>\d+)\.svg", "x", "web", x_avatar),
    route("GET", r"/x/(?P<username>[A-Za-z0-9_]{1,15})/status/(?P<post_id>\d+)", "x", "web", status_page),
]
