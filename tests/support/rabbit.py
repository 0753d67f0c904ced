"""The real RabbitMQ for tests: virtual hosts made with rabbitmqctl."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable


def ensure_vhost(name: str, require_service: Callable[..., None]) -> None:
    """Create RabbitMQ virtual host `name` for guest, unless it exists.

    Skips (or fails, with TESSERA_REQUIRE_SERVICES=1) when rabbitmqctl is missing or
    cannot reach the broker.
    """
    rabbitmqctl = shutil.which("rabbitmqctl")
    require_service("rabbitmqctl", rabbitmqctl is not None, "needed to create vhost " + name)
    assert rabbitmqctl is not None

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([rabbitmqctl, "-q", *args], capture_output=True, text=True,
                              timeout=30, check=False)

    listed = run("list_vhosts", "name")
    require_service("rabbitmqctl", listed.returncode == 0, listed.stderr.strip()[:200])
    if name in listed.stdout.split():
        return
    for args in (("add_vhost", name), ("set_permissions", "-p", name, "guest", ".*", ".*", ".*")):
        done = run(*args)
        assert done.returncode == 0, "rabbitmqctl %s: %s" % (" ".join(args), done.stderr)


def drop_vhost(name: str) -> None:
    """Delete a virtual host made for one test run (and every queue in it)."""
    rabbitmqctl = shutil.which("rabbitmqctl")
    if rabbitmqctl:
        subprocess.run([rabbitmqctl, "-q", "delete_vhost", name], capture_output=True,
                       timeout=30, check=False)
