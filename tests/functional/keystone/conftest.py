"""A real Keystone (tools/keystone.py: pinned, SQLite, Fernet, gunicorn) and
`tessera up --auth keystone` in front of it, once per session; two projects with a
member each, and the admin. Skipped (failed with TESSERA_REQUIRE_SERVICES=1) when
Keystone cannot be installed or started here."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.conftest import _require_service
from tests.support.tessera_up import free_port, tessera_up

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tools"))

import keystone  # noqa: E402  (tools/keystone.py)

PASSWORD = "secret-pw"
USERS = {"alice": "project-a", "bob": "project-b"}


@dataclass
class KeystoneCloud:
    """Where things are, and how to get tokens."""

    keystone_url: str
    tessera_url: str
    state: dict[str, Any]
    project_ids: dict[str, str]

    def token(self, user: str) -> str:
        """A fresh project-scoped token of `user` (admin, alice or bob)."""
        password = self.state["admin_password"] if user == "admin" else PASSWORD
        project = "admin" if user == "admin" else USERS[user]
        auth = v3.Password(auth_url=self.keystone_url + "/v3", username=user,
                           password=password, project_name=project,
                           user_domain_id="default", project_domain_id="default")
        return ks_session.Session(auth=auth).get_token()

    def short_token(self, user: str, ttl: int) -> str:
        """A token of `user` that Keystone issues with a `ttl`-second lifetime."""
        done = subprocess.run(
            [str(keystone.VENV / "bin/python"), str(Path(__file__).parent / "short_token.py"),
             self.state["dir"], str(ttl), user, PASSWORD, USERS[user]],
            capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.strip().splitlines()[-1]


def _make_users(state: dict[str, Any]) -> dict[str, str]:
    conn = keystone.admin_connection(state)
    identity = conn.identity
    member = identity.find_role("member")
    reader = identity.find_role("reader")
    projects = {}
    for user_name, project_name in USERS.items():
        project = identity.find_project(project_name) or identity.create_project(
            name=project_name, domain_id="default")
        user = identity.find_user(user_name, domain_id="default") or identity.create_user(
            name=user_name, password=PASSWORD, domain_id="default")
        for role in (member, reader):
            identity.assign_project_role_to_user(project, user, role)
        projects[user_name] = project.id
    return projects


@pytest.fixture(scope="session")
def keystone_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeystoneCloud]:
    tmp = tmp_path_factory.mktemp("keystone")
    try:
        keystone.install()
    except (subprocess.CalledProcessError, OSError, RuntimeError) as exc:
        _require_service("Keystone", False, "could not install it: %s" % exc)
    try:
        state = keystone.start(tmp / "keystone", free_port())
    except SystemExit as exc:
        _require_service("Keystone", False, str(exc))
    try:
        conf = keystone.tessera_conf(state)
        port = free_port()
        with tessera_up(tmp, args=("--auth", "keystone", "--config-file", str(conf)),
                        port=port) as url:
            keystone.register(state, url)
            yield KeystoneCloud(state["url"], url, state, _make_users(state))
    finally:
        keystone.stop(tmp / "keystone")
