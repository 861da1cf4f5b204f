"""static/js/share-counter.js must count exactly like content/text_rules.py.

Runs the real script in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)
and compares it with the Python functions over the NETWORKS.md vectors and a few thousand
generated strings, then checks the auto-binding on textareas. No network is used: the page is
built with ``set_content`` and the script injected from disk.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, sync_playwright

from content import text_rules
from content.text_rules import compose_share_text, linkedin_length, measure, x_weighted_length
from networks import x_text as twitter_text
from tests.browser import launch_chromium
from tests.content.test_text_rules import (
    EMOJI,
    FAMILY,
    ORACLE_DIVERGENCES,
    URLS,
    random_code_point_strings,
    realistic_strings,
)

pytestmark = pytest.mark.browser

SCRIPT = Path(settings.BASE_DIR) / "static" / "js" / "share-counter.js"
LINK = "https://chorus.example.com/r/AbCdEfGhIj"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


def open_page(browser: Browser, body: str = "") -> Page:
    page = browser.new_page()
    page.set_content(f"<!doctype html><html><head><meta charset='utf-8'></head><body>{body}</body></html>")
    page.add_script_tag(path=str(SCRIPT))
    return page


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:
    page = open_page(browser)
    yield page
    page.close()


def js_lengths(page: Page, texts: list[str]) -> list[int]:
    return page.evaluate("(texts) => texts.map((t) => ChorusText.xWeightedLength(t))", texts)


def assert_same_x_lengths(page: Page, texts: list[str]) -> None:
    js = js_lengths(page, texts)
    mismatches = [(t, x_weighted_length(t), j) for t, j in zip(texts, js, strict=True) if x_weighted_length(t) != j]
    assert mismatches == []


# --- the counting rules agree -----------------------------------------------------------------


def test_networks_md_vectors_in_the_browser(page: Page) -> None:
    vectors = {
        "Hello, world! 👋": 16,
        "a" * 280: 280,
        "a" * 281: 281,
        "Check https://example.com/very/long/path?x=1 now": 33,
        "中" * 140: 280,
        "中" * 141: 282,
        FAMILY: 2,
    }
    assert js_lengths(page, list(vectors)) == list(vectors.values())


def test_x_length_agrees_on_hand_picked_strings(page: Page) -> None:
    texts = EMOJI + ORACLE_DIVERGENCES + URLS + [
        "cafe\u0301", "\u1100\u1161\u11a8", "a\r\nb\rc", "👨\u200d" * 9, "🇫🇷🇩🇪🇫", "©®™", "1\u20e3#️⃣",
        "\ufeffhi\ufffe", "x\u202eexample.com", "İstanbul.com ıstanbul.com", "ПРИМЕР.РФ пример.рф",
        "これはexample.comです", "中" * 2990 + ".com", "a." * 500, "http://" + "a" * 64 + ".com",
        "https://t.co/" + "a" * 40, "\ud83d", "e\u0301\u0301", "", "中" * 70 + "example.com", "👨\u200d🔥",
    ]
    assert_same_x_lengths(page, texts)


@pytest.mark.parametrize("seed", range(3))
def test_x_length_agrees_on_generated_strings(page: Page, seed: int) -> None:
    assert_same_x_lengths(page, list(realistic_strings(100 + seed, 400, divergent=True)))


def test_x_length_agrees_on_random_code_points(page: Page) -> None:
    assert_same_x_lengths(page, list(random_code_point_strings(200, 1000)))


def test_url_detection_agrees(page: Page) -> None:
    texts = [text_rules._count_form(t) for t in realistic_strings(300, 300, divergent=True)]
    python = [[t[a:b] for a, b in twitter_text.url_spans(t)] for t in texts]
    js = page.evaluate(
        "(texts) => texts.map((t) => ChorusText._urlSpans(t).map(([a, b]) => t.slice(a, b)))", texts
    )
    assert js == python


def test_linkedin_length_agrees(page: Page) -> None:
    texts = list(realistic_strings(400, 300, divergent=True)) + list(random_code_point_strings(401, 300))
    js = page.evaluate("(texts) => texts.map((t) => ChorusText.linkedinLength(t))", texts)
    assert js == [linkedin_length(t) for t in texts]


def test_compose_and_measure_agree(page: Page) -> None:
    cases = []
    disclosures = ["", "#employee", "#Employee", " #ad ", "Ich arbeite bei Chorus", "#employé"]
    links = [None, "", LINK, "http://127.0.0.1:8000/r/AbCdEfGhIj"]
    texts = list(realistic_strings(500, 60, divergent=True)) + [
        "", "  ", "Proud #employee", "Proud #employees", "#EMPLOYEE!", "Read " + LINK, "a" * 300,
        "ich arbeite bei chorus", "x\r\n\r\ny  ",
    ]
    for i, text in enumerate(texts):
        cases.append({"text": text, "link": links[i % len(links)], "disclosure": disclosures[i % len(disclosures)]})
    js = page.evaluate(
        """(cases) => cases.map(({text, link, disclosure}) => {
             const options = {linkUrl: link, disclosure};
             return [ChorusText.composeShareText(text, options),
                     ChorusText.measure("x", text, options), ChorusText.measure("linkedin", text, options)];
           })""",
        cases,
    )
    python = []
    for case in cases:
        kwargs = {"link_url": case["link"], "disclosure": case["disclosure"]}
        python.append(
            [
                compose_share_text(case["text"], **kwargs),
                vars(measure("x", case["text"], **kwargs)),
                vars(measure("linkedin", case["text"], **kwargs)),
            ]
        )
    assert js == python


def test_data_tables_are_identical_copies(page: Page) -> None:
    data = page.evaluate("() => ChorusText._data")
    assert [tuple(pair) for pair in data["EXTENDED_PICTOGRAPHIC"]] == list(twitter_text._EXTENDED_PICTOGRAPHIC)
    assert data["GENERIC_TLDS"] == list(twitter_text._GENERIC_TLDS)
    assert data["COUNTRY_TLDS"] == list(twitter_text._COUNTRY_TLDS)


def test_pictographic_table_matches_the_browsers_unicode_data(page: Page) -> None:
    """Our copy of Extended_Pictographic equals Chromium's on every code point Python knows.

    Limited to code points assigned in Python's Unicode version, so a newer Chromium that
    assigns reserved pictographic slots does not break the build (our table is the reference).
    """
    browser_ranges = page.evaluate(
        """() => {
             const re = /^\\p{Extended_Pictographic}$/u; const out = []; let start = -1;
             for (let cp = 0; cp <= 0x110000; cp++) {
               const hit = cp < 0x110000 && (cp < 0xd800 || cp > 0xdfff) && re.test(String.fromCodePoint(cp));
               if (hit && start < 0) start = cp;
               if (!hit && start >= 0) { out.push([start, cp - 1]); start = -1; }
             }
             return out;
           }"""
    )

    def expand(ranges: list) -> set[int]:
        return {
            cp
            for a, b in ranges
            for cp in range(a, b + 1)
            if unicodedata.category(chr(cp)) != "Cn"
        }

    assert expand(browser_ranges) == expand(list(twitter_text._EXTENDED_PICTOGRAPHIC))


def test_counting_is_fast_enough_to_run_on_every_keystroke(page: Page) -> None:
    text = json.dumps("Big news from the team 🎉 we're hiring in Zürich and 東京 https://example.com/jobs?x=1 " * 3)
    per_call_ms = page.evaluate(
        f"""() => {{
              const text = {text};
              ChorusText.measure("x", text, {{linkUrl: "{LINK}", disclosure: "#employee"}});
              const started = performance.now();
              for (let i = 0; i < 200; i++) ChorusText.measure("x", text + i, {{linkUrl: "{LINK}"}});
              return (performance.now() - started) / 200;
            }}"""
    )
    assert per_call_ms < 5


# --- the auto-binding -------------------------------------------------------------------------

FORM = f"""
<form>
  <div class="form-row">
    <textarea id="x" data-counter-network="x" data-link-length="{len(LINK)}" data-disclosure="#employee"></textarea>
  </div>
  <p>Counter: <output id="li-count">?</output></p>
  <textarea id="li" data-counter-network="linkedin" data-link-url="{LINK}"
            data-counter-target="#li-count">Hello</textarea>
  <textarea id="plain">no counter</textarea>
</form>
"""


@pytest.fixture
def form_page(browser: Browser) -> Iterator[Page]:
    page = open_page(browser, FORM)
    yield page
    page.close()


def counter_after(page: Page, selector: str) -> dict:
    return page.evaluate(
        """(selector) => {
             const el = document.querySelector(selector).nextElementSibling;
             return {cls: el.className, text: el.textContent, live: el.getAttribute("aria-live")};
           }""",
        selector,
    )


def test_binding_inserts_a_live_counter_after_the_textarea(form_page: Page) -> None:
    expected_empty = measure("x", "", link_url=LINK, disclosure="#employee").length
    assert counter_after(form_page, "#x") == {"cls": "share-counter", "text": f"{expected_empty} / 280", "live": "polite"}

    form_page.fill("#x", "Great launch 🚀 at example.com")
    text = "Great launch 🚀 at example.com"
    assert counter_after(form_page, "#x")["text"] == f"{measure('x', text, link_url=LINK, disclosure='#employee').length} / 280"

    form_page.fill("#x", "a" * 246)  # 246 + 10 (" #employee") + 1 + 23 = 280: still fine
    assert counter_after(form_page, "#x") == {"cls": "share-counter", "text": "280 / 280", "live": "polite"}
    form_page.type("#x", "b")
    assert counter_after(form_page, "#x") == {"cls": "share-counter over-limit", "text": "281 / 280", "live": "polite"}
    form_page.keyboard.press("Backspace")
    assert counter_after(form_page, "#x")["cls"] == "share-counter"
    assert form_page.locator("#plain + .share-counter").count() == 0


def test_binding_uses_the_given_counter_element_and_the_real_link(form_page: Page) -> None:
    output = form_page.locator("#li-count")
    assert output.text_content() == f"{len('Hello') + 1 + len(LINK)} / 3000"
    assert output.get_attribute("aria-live") == "polite"
    form_page.fill("#li", "x" * 3000)
    assert output.text_content() == f"{3001 + len(LINK)} / 3000"
    assert "over-limit" in (output.get_attribute("class") or "")
    assert form_page.locator("#li + .share-counter").count() == 0


def test_binding_rows_added_later_like_django_admin_inlines(form_page: Page) -> None:
    counts = form_page.evaluate(
        """() => {
             const form = document.querySelector("form");
             // A fresh row, as when a template inserts markup.
             const fresh = document.createElement("div");
             fresh.innerHTML = '<textarea id="added" data-counter-network="x">hi</textarea>';
             form.appendChild(fresh);
             fresh.dispatchEvent(new CustomEvent("formset:added", {bubbles: true}));
             // A clone of a bound row, as Django admin makes: keeps the copied counter element.
             const clone = document.querySelector("#x").parentElement.cloneNode(true);
             clone.querySelector("#x").id = "cloned";
             form.appendChild(clone);
             clone.dispatchEvent(new CustomEvent("formset:added", {bubbles: true}));
             const cloned = document.querySelector("#cloned");
             cloned.value = "abc";
             cloned.dispatchEvent(new Event("input"));
             return {
               added: document.querySelector("#added").nextElementSibling.textContent,
               clonedCounters: clone.querySelectorAll(".share-counter").length,
               cloned: cloned.nextElementSibling.textContent,
             };
           }"""
    )
    assert counts == {
        "added": "2 / 280",
        "clonedCounters": 1,
        "cloned": f"{measure('x', 'abc', link_url=LINK, disclosure='#employee').length} / 280",
    }
