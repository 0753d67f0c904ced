"""Fixtures of the networking tests: the libvirt ones (libvirt-python with its test
driver, the domain RNG) for tests that define real domains, and the database ones
(an API database at head on SQLite, PostgreSQL and MariaDB) for the queries."""

from tests.functional.db.conftest import api_url, backend, db_server  # noqa: F401
from tests.functional.libvirt.conftest import domain_rng, libvirt, test_uri  # noqa: F401
