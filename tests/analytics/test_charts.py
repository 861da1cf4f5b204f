"""The charts and bars live under the strict CSP: no style attribute, and pygal's own
<style> element carries the response's nonce."""

import re
from datetime import date, timedelta

import pytest

from analytics import charts
from tests.analytics.views.test_dashboard import URL, activity
from tests.factories import curator

DAYS = [date(2026, 3, 1) + timedelta(days=i) for i in range(30)]


@pytest.mark.parametrize("draw", [charts.bar_chart, charts.line_chart])
@pytest.mark.parametrize("series", [{"A": list(range(30)), "B": [3] * 30}, {"A": [0] * 30}, {}])
def test_a_chart_has_no_style_attribute_and_a_nonced_style_element(draw, series):
    svg = str(draw(DAYS if series else [], series, nonce="n0nce+/="))
    assert "style=" not in svg and "<script" not in svg
    assert svg.count("<style") == 1 and '<style nonce="n0nce+/=" type="text/css">' in svg
    assert '<g transform="translate(0 0)" opacity="0" class="tooltip">' in svg  # still hidden


def test_the_nonce_is_escaped():
    assert '<style nonce="&quot;&gt;" ' in str(charts.bar_chart(DAYS, {"A": [1] * 30}, nonce='">'))


@pytest.mark.django_db
def test_dashboard_styles_carry_the_header_nonce_and_bars_use_width_classes(client, no_redis):
    activity(4)
    client.force_login(curator())
    response = client.get(URL)
    body = response.content.decode()
    nonce = re.search(r"style-src 'self' 'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert body.count("<style") == 2 and body.count(f'<style nonce="{nonce}"') == 2  # the two charts
    assert not re.search(r"\sstyle=", body)
    assert re.search(r'<div class="bar[^"]*"[^>]*><span class="w-\d{1,3}"></span>', body)
    assert '<rect width="1" height="1" fill="#3b4cca"/>' in body  # the legend swatch
    assert "css/widths.css" in body


@pytest.mark.django_db
def test_my_impact_chart_carries_the_header_nonce(client):
    client.force_login(curator())
    response = client.get("/impact/")
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert f'<style nonce="{nonce}"' in response.content.decode()
    assert not re.search(r"\sstyle=", response.content.decode())


def _y_labels(svg: str) -> list[str]:
    axis = svg[svg.index('class="axis y'):]
    axis = axis[:axis.index('class="axis x') if 'class="axis x' in axis else len(axis)]
    return re.findall(r"<text[^>]*>([^<]*)</text>", axis)


@pytest.mark.parametrize("draw", [charts.bar_chart, charts.line_chart])
@pytest.mark.parametrize(("peak", "labels"), [
    (0, ["0", "1"]),
    (1, ["0", "1"]),  # pygal alone labels 0, 0.2, 0.4, … 1: a fifth of a click
    (3, ["0", "1", "2", "3"]),
    (9, ["0", "2", "4", "6", "8", "10"]),
    (480, ["0", "100", "200", "300", "400", "500"]),
])
def test_count_axes_have_whole_numbers_only(draw, peak, labels):
    svg = str(draw(DAYS, {"clicks": [0] * 29 + [peak], "shares": [0] * 30}, nonce="n"))
    assert [label for label in _y_labels(svg) if label[0].isdigit() and " " not in label] == labels
