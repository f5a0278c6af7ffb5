"""``/v2/event_counts``: how many events match a query, grouped or not.

A resource of its own rather than a path under ``/v2/events``, where
every name is a message_id (``/v2/events/count`` is the event whose
message_id is "count"), nor an argument of the listing, whose answer is a
list Panko 10 clients read. The query is the listing's (same ``q``, same
project scope, ``all_tenants`` for admins only); ``group_by`` (repeated)
names ``event_type``, ``project_id`` or ``generated``, the last with
``bucket`` ``hour`` or ``day``.

Answers: ``{"count": N}`` without ``group_by``; else ``{"groups":
[{<key>: value, ..., "count": N}, ...], "truncated": false}`` with the
groups ordered by their values, at most ``limit`` of them (default and
maximum ``[api] max_api_return_limit``), ``truncated`` saying whether
more groups exist.
"""

from __future__ import annotations

import pecan
from pecan import rest
import webob

from panko.api import errors
from panko.api import params
from panko.api import query
from panko.api import render
from panko.storage import models

COUNT = "telemetry:events:count"

ARGS = ("q", "group_by", "bucket", "limit")


def parse_grouping(group_by: list[str], bucket: str | None) -> models.Grouping:
    """The checked grouping of ``group_by`` and ``bucket`` arguments."""
    for key in group_by:
        if key not in models.GROUP_KEYS:
            raise errors.BadRequest(
                "Cannot group by %r: the group keys are %s."
                % (key[:100], ", ".join(models.GROUP_KEYS))
            )
    if len(set(group_by)) != len(group_by):
        raise errors.BadRequest("A group key is given more than once.")
    buckets = ", ".join(models.BUCKETS)
    if bucket is not None and bucket not in models.BUCKETS:
        raise errors.BadRequest(
            "The bucket %r is not one of %s." % (bucket[:100], buckets)
        )
    if "generated" in group_by and bucket is None:
        raise errors.BadRequest(
            "Grouping by generated needs a bucket: one of %s." % buckets
        )
    if bucket is not None and "generated" not in group_by:
        raise errors.BadRequest(
            "A bucket is only given with group_by=generated."
        )
    return models.Grouping(tuple(group_by), bucket)


def count_events(request: webob.Request) -> webob.Response:
    """The count of the events the caller would list with this query."""
    caller = request.caller
    caller.require_identity()
    caller.authorize(COUNT)
    api = request.conf.api
    args = params.read_args(
        request,
        ARGS,
        repeated=("group_by",),
        body_limit=api.max_request_body_size,
    )
    grouping = parse_grouping(args["group_by"], args["bucket"] or None)
    limit = query.parse_limit(
        args["limit"], api.max_api_return_limit, api.max_api_return_limit
    )
    event_filter = query.scoped_filter(args["q"], caller)
    connection = request.storage.get()
    if not grouping.keys:
        [total] = connection.count_events(event_filter)
        return render.json_response({"count": total.count})
    groups = connection.count_events(event_filter, grouping, limit + 1)
    return render.json_response(
        {
            "groups": [render.group(grouping.keys, g) for g in groups[:limit]],
            "truncated": len(groups) > limit,
        }
    )


class EventCountsController(rest.RestController):
    """GET counts events."""

    @pecan.expose()
    def get_all(self):
        return count_events(pecan.request)
