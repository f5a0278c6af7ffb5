"""GET /v2/event_types/<type>/traits/<name>: pages linked by rel=next."""

from __future__ import annotations

import base64
import re
from urllib import parse

import pytest

from panko.api import render
from panko.tests import apidata
from panko.tests import trait_pages_data as data

ADMIN = apidata.ADMIN
PATH = "/v2/event_types/%s/traits/%s" % (data.TYPE, data.NAME)
LINK = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


def _next_url(resp):
    link = resp.headers.get("Link")
    if link is None:
        return None
    match = LINK.match(link)
    assert match, link
    return match.group("url")


def _walk(api, first_url):
    pages, url = [], first_url
    while url is not None:
        resp = api.get(url, headers=ADMIN)
        pages.append(resp.json)
        url = _next_url(resp)
        assert len(pages) < 50, "the walk does not end"
    return pages


@pytest.fixture
def paged(storage_conn):
    storage_conn.record_events(data.events())
    return [render.trait(t) for t in data.expected()]


def test_walk_follows_links_to_every_value_once(api, paged):
    assert api.get(PATH, headers=ADMIN).json == paged
    assert "Link" not in api.get(PATH, headers=ADMIN).headers
    for limit in (1, 2, 3, 7, 8, 9):
        pages = _walk(api, PATH + "?limit=%d" % limit)
        assert [value for page in pages for value in page] == paged, limit
        assert all(len(page) == limit for page in pages[:-1])
        # The last page has no Link, and is never empty.
        assert 0 < len(pages[-1]) <= limit
        assert len(pages) == -(-len(paged) // limit)


def test_next_link_keeps_path_and_limit(api, paged):
    resp = api.get(PATH + "?limit=3", headers=ADMIN)
    url = parse.urlsplit(_next_url(resp))
    assert url.scheme == "http" and url.netloc == "localhost"
    assert url.path == PATH
    args = parse.parse_qs(url.query)
    assert sorted(args) == ["limit", "marker"]
    assert args["limit"] == ["3"]


def test_default_limit_pages_past_the_largest(make_app, paged):
    api = make_app(api={"max_api_return_limit": 3})
    first = api.get(PATH, headers=ADMIN)
    assert first.json == paged[:3]
    url = parse.urlsplit(_next_url(first))
    # Asked without a limit, the next page is asked without one too.
    assert list(parse.parse_qs(url.query)) == ["marker"]
    pages = _walk(api, PATH)
    assert [value for page in pages for value in page] == paged
    assert [len(page) for page in pages] == [3, 3, 2]


def _token(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "marker",
    [
        "x",
        "not base64 !",
        _token("not json"),
        _token('{"a": 1}'),
        _token('["2026-03-01T12:00:00.000000", "m-a"]'),
        _token('["2026-03-01T12:00:00.000000", "m-a", -1]'),
        _token('["2026-03-01T12:00:00.000000", "m-a", 1.5]'),
        _token('["2026-03-01T12:00:00.000000", 7, 0]'),
        _token('["yesterday", "m-a", 0]'),
        "A" * 2000,
    ],
)
def test_bad_marker_is_400(api, paged, marker):
    resp = api.get(PATH, {"marker": marker}, headers=ADMIN, status=400)
    message = resp.json["error_message"]["faultstring"]
    assert "marker" in message and "Link header" in message


def test_marker_from_a_link_may_be_given_with_another_limit(api, paged):
    url = _next_url(api.get(PATH + "?limit=2", headers=ADMIN))
    marker = parse.parse_qs(parse.urlsplit(url).query)["marker"][0]
    resp = api.get(PATH, {"marker": marker, "limit": 100}, headers=ADMIN)
    assert resp.json == paged[2:]
    assert "Link" not in resp.headers
