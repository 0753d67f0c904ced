"""Revisions of this history, one file each, oldest first by their `down_revision`."""
