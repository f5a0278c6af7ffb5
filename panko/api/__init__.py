"""The Panko v2 REST API (see ``panko.api.app``)."""
