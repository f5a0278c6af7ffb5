"""Events for tests."""

from __future__ import annotations

import datetime
import itertools
import uuid

from panko.storage import models

BASE_TIME = datetime.datetime(2026, 3, 1, 12, 0, 0)
_counter = itertools.count()
_DEFAULT_RAW = object()


def event(
    message_id: str | None = None,
    event_type: str = "compute.start",
    generated: datetime.datetime | None = None,
    project: str | None = "project-a",
    user: str | None = "user-a",
    traits: list[models.Trait] | None = None,
    raw=_DEFAULT_RAW,
    minutes: int | None = None,
) -> models.Event:
    """An event; ``project``/``user`` become project_id/user_id traits."""
    n = next(_counter)
    if generated is None:
        generated = BASE_TIME + datetime.timedelta(
            minutes=n if minutes is None else minutes
        )
    all_traits = list(traits or [])
    if project is not None:
        all_traits.append(
            models.Trait("project_id", models.TEXT_TYPE, project)
        )
    if user is not None:
        all_traits.append(models.Trait("user_id", models.TEXT_TYPE, user))
    return models.Event(
        message_id or str(uuid.uuid4()),
        event_type,
        generated,
        all_traits,
        {"n": n} if raw is _DEFAULT_RAW else raw,
    )


def ids(events) -> list[str]:
    return [e.message_id for e in events]
