"""Pecan controllers of the API: thin handlers over query, rbac and the
storage interface."""
