"""The few HTML pages a person sees: consent screens, error pages and "your post".

They are plain strings (no template engine: the sandbox imports nothing from Django) and
every value is escaped. The consent form posts back to the authorize URL with the
original parameters in hidden fields plus ``member`` / ``name`` and ``decision``.
"""

from collections.abc import Iterable
from html import escape

from .state import Member, Post

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;background:%(bg)s;margin:0;color:#1d2226}
.card{max-width:460px;margin:48px auto;background:#fff;border-radius:10px;padding:28px;
box-shadow:0 2px 10px rgba(0,0,0,.12)}
.brand{font-weight:700;font-size:22px;color:%(accent)s;margin-bottom:12px}
.sandbox{display:inline-block;font-size:11px;background:#fff3cd;color:#7a5b00;border-radius:4px;padding:2px 6px}
h1{font-size:19px;margin:10px 0}ul{padding-left:20px}li{margin:4px 0}
label{display:block;margin:6px 0}input[type=text],input[type=email]{width:100%%;padding:7px;
box-sizing:border-box;border:1px solid #bbb;border-radius:5px}
.buttons{display:flex;gap:10px;margin-top:18px}
button{flex:1;padding:10px;border-radius:20px;font-size:15px;font-weight:600;cursor:pointer}
.allow{background:%(accent)s;color:#fff;border:none}.cancel{background:#fff;color:#555;border:1px solid #999}
.post{white-space:pre-wrap;font-size:15px;line-height:1.45}.muted{color:#666;font-size:13px}
.article{border:1px solid #ddd;border-radius:8px;margin-top:12px;overflow:hidden}
.article img{width:100%%;display:block}.article div{padding:10px}
a{color:%(accent)s}
"""
THEMES = {"linkedin": {"bg": "#f4f2ee", "accent": "#0a66c2"}, "x": {"bg": "#f7f9f9", "accent": "#1d9bf0"}}
BRANDS = {"linkedin": "Linked<span style='background:#0a66c2;color:#fff;border-radius:3px;padding:0 3px'>in</span>",
          "x": "𝕏"}


def _page(network: str, title: str, body: str) -> str:
    style = _STYLE % THEMES[network]
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<meta name='viewport' content='width=device-width'><style>{style}</style></head><body>"
        f"<div class='card'><div class='brand'>{BRANDS[network]} <span class='sandbox'>sandbox</span></div>"
        f"{body}</div></body></html>"
    )


def authorize_page(
    *,
    network: str,
    action: str,
    app_name: str,
    scopes: Iterable[tuple[str, str]],
    hidden: dict[str, str],
    members: Iterable[Member],
    allow_label: str,
    cancel_label: str,
) -> str:
    """A consent screen: who asks, for what, as whom; Allow / Cancel."""
    scope_items = "".join(f"<li>{escape(desc)} <span class='muted'>({escape(s)})</span></li>" for s, desc in scopes)
    fields = "".join(
        f"<input type='hidden' name='{escape(k)}' value='{escape(v)}'>" for k, v in hidden.items()
    )
    choices = "".join(
        f"<label><input type='radio' name='member' value='{escape(m.name)}'{' checked' if i == 0 else ''}> "
        f"{escape(m.name)} <span class='muted'>{escape('@' + m.username if network == 'x' else m.email)}</span></label>"
        for i, m in enumerate(members)
    )
    body = (
        f"<h1>{escape(app_name)} would like to access your account</h1>"
        f"<p>This will allow {escape(app_name)} to:</p><ul>{scope_items}</ul>"
        f"<form method='post' action='{escape(action)}'>{fields}"
        f"<p><strong>Connect as</strong></p>{choices}"
        "<label>…or anyone else: <input type='text' name='name' placeholder='Full name'></label>"
        "<label>Email (optional): <input type='email' name='email'></label>"
        "<div class='buttons'>"
        f"<button class='cancel' type='submit' name='decision' value='cancel'>{escape(cancel_label)}</button>"
        f"<button class='allow' type='submit' name='decision' value='allow'>{escape(allow_label)}</button>"
        "</div></form>"
    )
    return _page(network, f"Authorize {app_name}", body)


def error_page(network: str, message: str) -> str:
    return _page(network, "Something went wrong", f"<h1>Something went wrong</h1><p>{escape(message)}</p>")


def not_found_page(network: str) -> str:
    return _page(network, "Not found", "<h1>This page doesn’t exist</h1><p>The post may have been deleted.</p>")


def linkedin_post_page(post: Post, image_url: str | None) -> str:
    article = post.extra.get("content", {}).get("article")
    card = ""
    if article:
        img = f"<img src='{escape(image_url)}' alt=''>" if image_url else ""
        card = (
            f"<a class='article' href='{escape(article.get('source', '#'))}' style='display:block'>{img}<div>"
            f"<strong>{escape(article.get('title', ''))}</strong><br>"
            f"<span class='muted'>{escape(article.get('description', ''))}</span></div></a>"
        )
    body = (
        f"<p><strong>{escape(post.author_name)}</strong><br><span class='muted'>{escape(post.id)}</span></p>"
        f"<div class='post'>{escape(post.text)}</div>{card}"
    )
    return _page("linkedin", f"{post.author_name} on LinkedIn", body)


def x_post_page(post: Post) -> str:
    body = (
        f"<p><strong>{escape(post.author_name)}</strong> <span class='muted'>@{escape(post.author_username)}</span></p>"
        f"<div class='post'>{escape(post.text)}</div>"
        f"<p class='muted'>Post {escape(post.id)}</p>"
    )
    return _page("x", f"{post.author_name} on X", body)


def index_page(posts: Iterable[tuple[Post, str]]) -> str:
    """The sandbox's home: recent posts on both networks with links to them."""
    rows = "".join(
        f"<li><a href='{escape(url)}'>{escape(p.network)}</a> · {escape(p.author_name)}: "
        f"{escape(p.text[:80])}</li>"
        for p, url in posts
    )
    body = (
        "<h1>Chorus sandbox networks</h1><p>A local LinkedIn and X for demos and tests. "
        "JSON: <a href='/_sandbox/state'>/_sandbox/state</a>, <a href='/_sandbox/faults'>/_sandbox/faults</a>.</p>"
        f"<ul>{rows or '<li>No posts yet.</li>'}</ul>"
    )
    return _page("linkedin", "Chorus sandbox", body)
