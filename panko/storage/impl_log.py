"""A driver that logs what it is given and stores nothing.

Useful to check a Ceilometer pipeline without a database.
"""

from oslo_log import log

from panko.storage import base

LOG = log.getLogger(__name__)


class Connection(base.Connection):
    CAPABILITIES = {"events": {"query": {"simple": False}}}
    STORAGE_CAPABILITIES = {"storage": {"production_ready": False}}

    def upgrade(self):
        pass

    def needs_upgrade(self):
        return False

    def clear(self):
        pass

    def ping(self):
        pass

    def close(self):
        pass

    def _record_events(self, events):
        for event in events:
            LOG.info(
                "event %s of type %s generated %s with %d traits",
                event.message_id,
                event.event_type,
                event.generated.isoformat(),
                len(event.traits),
            )
        return [event.message_id for event in events]

    def _get_events(self, event_filter, limit, sort, marker, encoded):
        return iter(())

    def _count_events(self, event_filter, grouping, limit):
        return iter(())

    def get_event_types(self):
        return iter(())

    def get_trait_types(self, event_type):
        return iter(())

    def _trait_values(self, event_type, trait_name, start, values_needed):
        return iter(())

    def _delete_events_before(self, before, max_count):
        return 0

    def _delete_unused_event_types(self):
        pass
