"""A tiny "company website" for the demo, served by the sandbox process under /site/.

Demo items link here, so after ``make run`` link previews fill in, tracked links land
on a real page, and feed import has an RSS feed to read (``/site/feed.xml``). Plain
WSGI and the standard library only: the sandbox does not load Django.
"""

import html
import io
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from PIL import Image, ImageDraw

from demo.catalog import ITEMS
from demo.fonts import demo_font

COMPANY = "Chorus Demo Co."
COLOURS = ["#3b4cca", "#0f9d76", "#c2410c", "#7c3aed", "#0a66c2", "#b91c1c", "#0e7490", "#4d7c0f"]

# Extra articles that only the RSS feed announces (feed import turns them into drafts).
FEED_ONLY = [
    ("blog/observability-budget", "How we cut our observability bill by 40%"),
    ("blog/incident-reviews", "Blameless incident reviews, three years in"),
    ("news/new-office-lisbon", "We're opening an office in Lisbon"),
    ("blog/platform-team-topology", "Team topologies for platform engineering"),
]


def _titles() -> dict[str, str]:
    pages = {path: title for title, path, *_ in ITEMS if path}
    pages.update(dict(FEED_ONLY))
    return pages


def _colour(path: str) -> str:
    return COLOURS[sum(path.encode()) % len(COLOURS)]


def _page(path: str, title: str, base: str) -> bytes:
    t = html.escape(title)
    desc = html.escape(f"{title}. Read the full story from {COMPANY}.")
    image = f"{base}/site/img/{path}.png"
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{t} | {COMPANY}</title>
<meta name="description" content="{desc}">
<meta property="og:title" content="{t}"><meta property="og:description" content="{desc}">
<meta property="og:image" content="{html.escape(image)}"><meta property="og:site_name" content="{COMPANY}">
<meta property="og:type" content="article"><meta name="twitter:card" content="summary_large_image">
<link rel="canonical" href="{base}/site/{html.escape(path)}">
<style>body{{font-family:system-ui,sans-serif;max-width:760px;margin:40px auto;padding:0 16px;color:#1f2933}}
header{{background:{_colour(path)};color:#fff;padding:32px;border-radius:12px}}</style></head>
<body><header><p>{COMPANY}</p><h1>{t}</h1></header>
<p>{desc}</p><p>This page is part of the local Chorus demo. In a real installation your tracked links
lead to your own website; the UTM tags in this page's address tell your analytics where the visit came from.</p>
</body></html>"""
    return body.encode()


def _image(path: str, title: str) -> bytes:
    img = Image.new("RGB", (1200, 627), _colour(path))
    draw = ImageDraw.Draw(img)
    draw.text((80, 260), title[:40], fill="white", font=demo_font(54))
    draw.text((80, 340), title[40:80], fill="white", font=demo_font(54))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def _feed(base: str) -> bytes:
    now = datetime.now(UTC)
    entries = []
    for n, (path, title) in enumerate(FEED_ONLY):
        entries.append(
            f"<item><title>{html.escape(title)}</title><link>{base}/site/{path}</link>"
            f"<guid>{base}/site/{path}</guid><description>{html.escape(title)} — from our blog.</description>"
            f"<pubDate>{format_datetime(now - timedelta(days=n))}</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{COMPANY} blog</title><link>{base}/site/</link><description>News and ideas</description>"
        + "".join(entries) + "</channel></rss>"
    ).encode()


def demo_site(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """WSGI app for paths under /site/."""
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    base = f"http://{host}"
    path = environ.get("PATH_INFO", "").removeprefix("/site").strip("/")
    titles = _titles()
    if path == "feed.xml":
        body, ctype = _feed(base), "application/rss+xml; charset=utf-8"
    elif path.startswith("img/") and path.endswith(".png") and path[4:-4] in titles:
        body, ctype = _image(path[4:-4], titles[path[4:-4]]), "image/png"
    elif path in titles:
        body, ctype = _page(path, titles[path], base), "text/html; charset=utf-8"
    elif path == "":
        links = "".join(f'<li><a href="/site/{p}">{html.escape(t)}</a></li>' for p, t in sorted(titles.items()))
        body, ctype = f"<!doctype html><title>{COMPANY}</title><h1>{COMPANY}</h1><ul>{links}</ul>".encode(), \
            "text/html; charset=utf-8"
    else:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    start_response("200 OK", [("Content-Type", ctype), ("Content-Length", str(len(body)))])
    return [body]
