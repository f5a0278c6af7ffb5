"""get_trait_page: every value once, in order, whatever the page size."""

from __future__ import annotations

import pytest

from panko.tests import eventgen
from panko.tests import trait_pages_data as data


def _walk(storage_conn, limit, name=data.NAME):
    pages, marker = [], None
    while True:
        page = storage_conn.get_trait_page(data.TYPE, name, limit, marker)
        pages.append(page.traits)
        if page.next_marker is None:
            return pages
        assert len(page.traits) == limit
        marker = page.next_marker
        assert len(pages) < 50, "the walk does not end"


def _check_walks(storage_conn, name, expected, limits):
    for limit in limits:
        pages = _walk(storage_conn, limit, name)
        walked = [trait for page in pages for trait in page]
        assert walked == expected, limit
        assert 0 < len(pages[-1]) <= limit
        # No empty last page: the next marker is given only when a value
        # follows.
        assert len(pages) == -(-len(expected) // limit)


def test_pages_cover_every_value_once(storage_conn):
    storage_conn.record_events(data.events())
    expected = data.expected()
    assert len(expected) == 8
    assert {t.dtype for t in expected} == {
        data.TEXT,
        data.INT,
        data.FLOAT,
        data.DT,
    }
    assert list(storage_conn.get_traits(data.TYPE, data.NAME)) == expected
    _check_walks(storage_conn, data.NAME, expected, (1, 2, 3, 7, 8, 9))


def test_pages_of_all_traits_end_inside_events(storage_conn):
    # Without a name, each event has five values: pages of 2 or 3 end
    # inside events, and the marker's skip resumes there.
    storage_conn.record_events(data.events())
    expected = data.expected_all()
    assert list(storage_conn.get_traits(data.TYPE)) == expected
    _check_walks(storage_conn, None, expected, (1, 2, 3, 5, 7, 100))
    page = storage_conn.get_trait_page(data.TYPE, None, 3)
    assert page.next_marker.message_id == "m-a"
    assert page.next_marker.skip == 3


def test_marker_outlives_the_last_event_of_its_page(storage_conn):
    storage_conn.record_events(data.events())
    page = storage_conn.get_trait_page(data.TYPE, data.NAME, 2)
    # The next page starts at m-c, the third of the four at minute 0.
    assert page.next_marker[1:] == ("m-c", 0)
    storage_conn.clear_expired_data(1)
    storage_conn.record_events(
        [
            eventgen.event(
                message_id=message_id,
                event_type=data.TYPE,
                minutes=minutes,
                traits=[data.T(data.NAME, data.TEXT, message_id)],
            )
            for message_id, minutes in (("m-b", 0), ("m-d", 0), ("m-z", 9))
        ]
    )
    # m-c is gone; the walk resumes at its place in the order: m-b sorts
    # before it and is not listed again, m-d and m-z after it are.
    rest = storage_conn.get_trait_page(
        data.TYPE, data.NAME, 100, page.next_marker
    )
    assert [t.value for t in rest.traits] == ["m-d", "m-z"]


def test_page_of_unknown_type_or_trait_is_empty(storage_conn):
    storage_conn.record_events(data.events())
    for event_type, name in (("nope", data.NAME), (data.TYPE, "nope")):
        page = storage_conn.get_trait_page(event_type, name, 5)
        assert page == ([], None)


def test_limit_must_be_positive(storage_conn):
    with pytest.raises(ValueError):
        storage_conn.get_trait_page(data.TYPE, data.NAME, 0)
