"""The libvirt fixtures (libvirt-python with its test driver, the domain RNG) for the
networking tests that define real domains."""

from tests.functional.libvirt.conftest import domain_rng, libvirt, test_uri  # noqa: F401
