"""Conformance runs against suites the project did not write (the Linux Test Project)."""
