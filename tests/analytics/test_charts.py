"""The charts and bars live under the strict CSP: no style attribute, and the chart's one
<style> element carries the response's nonce. The charts are drawn by analytics/charts.py
(whole-number ticks, day labels, a native tooltip per day) and stay cheap for a year."""

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
    assert svg.startswith('<svg aria-hidden="true" focusable="false" ')  # the table carries the numbers
    assert ("No data yet" in svg) == (not series)


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
    (1, ["0", "1"]),  # not 0, 0.2, 0.4, … 1: a fifth of a click
    (3, ["0", "1", "2", "3"]),
    (9, ["0", "2", "4", "6", "8", "10"]),
    (480, ["0", "100", "200", "300", "400", "500"]),
])
def test_count_axes_have_whole_numbers_only(draw, peak, labels):
    svg = str(draw(DAYS, {"clicks": [0] * 29 + [peak], "shares": [0] * 30}, nonce="n"))
    assert [label for label in _y_labels(svg) if label[0].isdigit() and " " not in label] == labels


@pytest.mark.parametrize("draw", [charts.bar_chart, charts.line_chart])
def test_each_day_has_a_native_tooltip_with_every_series(draw):
    svg = str(draw(DAYS, {"Clicks": list(range(30)), "Unique clicks": [3] * 30}, nonce="n"))
    titles = re.findall(r"<title>([^<]*)</title>", svg)
    assert len(titles) == 30
    assert titles[0] == "Sun 1 Mar: Clicks 0, Unique clicks 3"
    assert titles[29] == "Mon 30 Mar: Clicks 29, Unique clicks 3"


def test_at_most_five_day_labels_first_day_first():
    svg = str(charts.bar_chart(DAYS, {"Shares": [1] * 30}, nonce="n"))
    axis = svg[svg.index('class="axis x'):]
    assert re.findall(r"<text[^>]*>([^<]*)</text>", axis[:axis.index("</g>")]) == [
        "01 Mar", "07 Mar", "13 Mar", "19 Mar", "25 Mar"]


def test_bars_scale_to_the_top_tick_and_zero_draws_no_bar():
    svg = str(charts.bar_chart(DAYS[:4], {"Shares": [0, 5, 10, 2]}, nonce="n"))
    series = svg[svg.index('<g class="series"'):]
    heights = [float(h) for h in re.findall(r'<rect x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)"/>',
                                            series[:series.index("</g>")])]
    assert len(heights) == 3  # the zero day has no bar
    assert heights[1] == pytest.approx(2 * heights[0], abs=0.1)  # 10 is twice 5
    assert heights[1] == pytest.approx(5 * heights[2], abs=0.2)


def test_series_names_are_escaped():
    svg = str(charts.line_chart(DAYS, {"<b>&": [1] * 30}, nonce="n"))
    assert "<b>" not in svg and "&lt;b&gt;&amp;" in svg


@pytest.mark.parametrize("draw", [charts.bar_chart, charts.line_chart])
def test_a_year_of_days_stays_small(draw):
    days = [date(2025, 3, 1) + timedelta(days=i) for i in range(365)]
    svg = str(draw(days, {"Clicks": [i % 97 for i in range(365)], "Unique": [i % 13 for i in range(365)]},
                   nonce="n"))
    assert len(svg) < 100_000  # pygal drew 135-226 kB for the same year
    assert svg.count("<circle") == 0 and svg.count("<title>") == 365  # no dots on a year; a tooltip a day


def test_the_numbers_table_has_a_row_per_day_labelled_as_the_date_filter_would():
    from django.template.defaultfilters import date as date_filter

    table = str(charts.data_table(DAYS, {"Clicks": list(range(30)), "Unique <b>": [3] * 30}, caption="Clicks & co"))
    assert '<caption class="sr-only">Clicks &amp; co</caption>' in table
    assert '<th scope="col">Day</th><th scope="col">Clicks</th><th scope="col">Unique &lt;b&gt;</th>' in table
    rows = re.findall(r"<tr><td>([^<]*)</td><td>(\d+)</td><td>(\d+)</td></tr>", table)
    assert rows == [(date_filter(d, "D j M"), str(i), "3") for i, d in enumerate(DAYS)]
