"""The fault suite's verdict on shares and the sandbox's posts (ops/client.py verify_posts)."""

from ops.chaos_report import p95, render
from ops.client import verify_posts


def share(pk: int, marker: str, *, status: str = "posted", network: str = "x", remote_id: str = "") -> dict:
    return {"id": pk, "status": status, "network": network, "remote_id": remote_id or f"p{pk}",
            "text": f"Chaos check {marker}: worth a read."}


def post(pk: str, text: str, *, deleted: bool = False) -> dict:
    return {"id": pk, "text": text, "raw_text": text, "deleted": deleted}


def marker_of(row: dict) -> str:
    return row["text"].split()[2].rstrip(":")


def test_each_posted_share_with_its_own_post_passes():
    shares = [share(1, "cx0001-0-000"), share(2, "cx0001-0-001", status="failed", remote_id="-")]
    posts = {"x": [post("p1", "Chaos check cx0001-0-000: worth a read. http://t.co/1")]}
    assert verify_posts(shares, posts, marker_of) == {"posted_without_own_post": [], "duplicates": 0}


def test_a_posted_share_whose_post_is_missing_deleted_or_someone_elses_is_lost():
    shares = [
        share(1, "cx0001-0-000"),  # no such post
        share(2, "cx0001-0-001", remote_id="p3"),  # recorded another share's post
        share(3, "cx0001-0-002"),
        share(4, "cx0001-0-003"),  # its post was deleted
    ]
    posts = {"x": [post("p3", "Chaos check cx0001-0-002: worth a read."),
                   post("p4", "Chaos check cx0001-0-003: worth a read.", deleted=True)]}
    assert verify_posts(shares, posts, marker_of)["posted_without_own_post"] == [1, 2, 4]


def test_two_shares_claiming_one_post_are_both_suspect_and_a_second_post_is_a_duplicate():
    shares = [share(1, "cx0001-0-000"), share(2, "cx0001-0-000b", remote_id="p1")]
    posts = {"x": [post("p1", "Chaos check cx0001-0-000 cx0001-0-000b"),
                   post("p9", "Chaos check cx0001-0-000 again")]}
    verdict = verify_posts(shares, posts, marker_of)
    assert verdict["posted_without_own_post"] == [2]
    assert verdict["duplicates"] == 1  # cx0001-0-000 is in two posts


def test_linkedin_escaped_raw_text_still_matches_the_shown_text():
    shares = [share(1, "cx0001-0-000", network="linkedin", remote_id="urn:li:share:1")]
    posts = {"linkedin": [{"id": "urn:li:share:1", "text": "Chaos check cx0001-0-000 (x)",
                           "raw_text": "Chaos check cx0001-0-000 \\(x\\)", "deleted": False}]}
    assert verify_posts(shares, posts, marker_of)["posted_without_own_post"] == []


def test_p95_and_the_table():
    assert p95([]) is None
    assert p95([float(n) for n in range(1, 101)]) == 95.0
    row = {"scenario": "baseline", "created": 2, "posted": 2, "failed": 0, "needs_confirmation": 0,
           "duplicates": 0, "lost": 0, "web_errors_outside": 0, "web_errors_inside": 0, "p95_feed_ms": None,
           "p95_r_ms": 40, "settled_s": 1, "error_answer_but_saved": ["cx1"], "passed": False}
    last = render([row]).splitlines()[-1]
    assert last == "| baseline | 2 | 2 | 0 | 0 | 0 | 0 | 0 | 0 | – | 40 | 1 | 1 | **NO** |"
