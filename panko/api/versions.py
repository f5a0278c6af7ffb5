"""The description of v2 that ``GET /`` and ``GET /v2`` give."""

from __future__ import annotations

VERSION = "v2"
RELEASED = "2013-02-13T00:00:00Z"
MEDIA_TYPE = "application/vnd.openstack.telemetry-v2+json"


def descriptor(url: str) -> dict:
    """What Panko 10 said of v2, with ``url`` as its link (panko lists
    only the JSON media type: it serves no XML)."""
    return {
        "id": VERSION,
        "links": [
            {"href": url, "rel": "self"},
            {
                "href": "https://docs.openstack.org/",
                "rel": "describedby",
                "type": "text/html",
            },
        ],
        "media-types": [{"base": "application/json", "type": MEDIA_TYPE}],
        "status": "stable",
        "updated": RELEASED,
    }
