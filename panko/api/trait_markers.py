"""The ``marker`` of ``GET /v2/event_types/<type>/traits/<name>``.

An opaque token for the client: URL-safe base64 of the JSON list
``[generated, message_id, skip]`` of a
:class:`~panko.storage.models.TraitMarker`, the first value of the next
page. It names an event by its place in the index order, not by a row,
so it stays valid when that event expires between two pages.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json

from panko.api import errors
from panko.storage import models

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"
# A token is far shorter; a longer one is refused before it is decoded.
_MAX_TOKEN = 1000


def encode(marker: models.TraitMarker) -> str:
    data = json.dumps(
        [
            marker.generated.strftime(_TIME_FORMAT),
            marker.message_id,
            marker.skip,
        ],
        separators=(",", ":"),
    )
    return base64.urlsafe_b64encode(data.encode("utf-8")).decode().rstrip("=")


def decode(token: str) -> models.TraitMarker:
    """The marker of ``token``; a 400 when it is not one this listing
    gave."""
    try:
        if len(token) > _MAX_TOKEN:
            raise ValueError("too long")
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        generated, message_id, skip = data
        if not isinstance(message_id, str) or type(skip) is not int:
            raise ValueError("bad fields")
        if skip < 0:
            raise ValueError("negative skip")
        moment = datetime.datetime.strptime(generated, _TIME_FORMAT)
    except (
        ValueError,
        TypeError,
        UnicodeError,
        binascii.Error,
    ):
        raise errors.BadRequest(
            "The marker %r is not one given in a Link header of this "
            "listing." % token[:100]
        )
    return models.TraitMarker(moment, message_id, skip)
