"""Errors the storage layer raises.

Each carries a message meant for the caller; ``panko.api.errors`` maps them
to HTTP answers and the command line tools print them.
"""


class StorageError(Exception):
    """Base class of storage errors."""


class StorageUnavailable(StorageError):
    """The database cannot be reached or keeps failing; retry later."""


class UnsupportedBackend(StorageError):
    """The connection URL names a backend panko does not ship."""


class InvalidMarker(StorageError):
    """The pagination marker names no event visible to the caller."""

    def __init__(self, marker):
        super().__init__("Marker %s not found." % marker)
        self.marker = marker


class InvalidEvent(StorageError):
    """An event that can never be stored as it is (too large, bad type)."""

    def __init__(self, message_id, reason):
        super().__init__("Event %s: %s" % (message_id, reason))
        self.message_id = message_id
        self.reason = reason
