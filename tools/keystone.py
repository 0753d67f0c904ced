#!/usr/bin/env python3
"""A throwaway Keystone on a loopback port, for tests and Tempest (not for production).

    tools/keystone.py install                      # pinned Keystone into its own venv
    tools/keystone.py start   [--dir D] [--port P] # SQLite + Fernet, bootstrap, gunicorn
    tools/keystone.py register --tessera-url URL   # catalog, service user, tessera conf
    tools/keystone.py up --tessera-url URL         # all three
    tools/keystone.py stop    [--dir D]            # stops the gunicorn it started (PID)

Everything lives under --dir (default build/keystone): keystone.conf, keystone.sqlite,
the key repositories, gunicorn's log and PID file, and `state.json` (URL, admin
password, PID) that the other tools read. `register` writes `tessera-keystone.conf`
there: the `[api]` and `[keystone_authtoken]` options for
`tessera up --auth keystone --config-file ...`. Every step is idempotent.

Runs on the project's venv (it needs openstacksdk for `register`); Keystone itself
runs from `build/keystone-venv` (pinned in tools/keystone/requirements.txt).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "tools/keystone/requirements.txt"
VENV = Path(os.environ.get("TESSERA_KEYSTONE_VENV", ROOT / "build/keystone-venv"))
DEFAULT_DIR = ROOT / "build/keystone"
DEFAULT_PORT = 5001
REGION = "RegionOne"
ADMIN_PASSWORD = "tessera-admin"  # a loopback test Keystone only
SERVICE_USER, SERVICE_PASSWORD, SERVICE_PROJECT = "tessera", "tessera-service", "service"

# Tessera's services in the catalog: (type, name, path under the Tessera URL).
CATALOG = [
    ("compute", "nova", "/v2.1"),
    ("image", "glance", "/image"),
    ("volumev3", "cinderv3", "/volume/v3"),
    ("network", "neutron", "/network"),
]

KEYSTONE_CONF = """\
[DEFAULT]
max_token_size = 255

[database]
# wait for SQLite's single writer rather than fail with 'database is locked'
connection = sqlite:///{dir}/keystone.sqlite?timeout=60

[identity]
# bcrypt's cheapest cost: every token request checks a password (test Keystone only)
password_hash_rounds = 4

[token]
provider = fernet
expiration = {expiration}

[fernet_tokens]
key_repository = {dir}/fernet-keys

[fernet_receipts]
key_repository = {dir}/fernet-keys

[credential]
key_repository = {dir}/credential-keys

[cache]
# in-process cache of tokens, roles and catalog: one process serves every request
enabled = true
backend = dogpile.cache.memory
"""

# oslo.config parses sys.argv: gunicorn's flags must not reach it.
WSGI_MODULE = """\
import sys

sys.argv = sys.argv[:1]

from keystone.wsgi.api import application  # noqa: E402
"""

TESSERA_CONF = """\
[api]
auth_strategy = keystone

[keystone_authtoken]
www_authenticate_uri = {url}
auth_url = {url}
auth_type = password
username = {user}
password = {password}
project_name = {project}
user_domain_name = Default
project_domain_name = Default
region_name = {region}
delay_auth_decision = false
"""


def log(message: str) -> None:
    print("keystone: " + message, file=sys.stderr, flush=True)


# -- install ------------------------------------------------------------------------

def install() -> Path:
    """Create the venv and install the pinned requirements unless already done."""
    install_venv(VENV, REQUIREMENTS)
    return VENV


def install_venv(venv: Path, requirements: Path,
                 say: Callable[[str], None] = log) -> None:
    """`venv` with `requirements` installed, once (a stamp holds what was installed).
    Serialised by a lock beside the venv; a venv left without pip (an interrupted
    creation) gets pip back; a failed install is tried once more, then reported
    with pip's own words."""
    import fcntl

    wanted = requirements.read_text()
    stamp = venv / ".installed"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / (venv.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == wanted:
            return
        say("installing %s into %s" % (" ".join(wanted.split()), venv))
        python = str(venv / "bin/python")
        if not (venv / "bin/python").exists():
            subprocess.run([_base_python(), "-m", "venv", str(venv)], check=True)
        if subprocess.run([python, "-m", "pip", "--version"],
                          capture_output=True).returncode != 0:
            subprocess.run([python, "-m", "ensurepip", "--upgrade"], check=True,
                           capture_output=True)
        for attempt in (1, 2):
            done = subprocess.run([python, "-m", "pip", "install", "-q",
                                   "--disable-pip-version-check", "-r", str(requirements)],
                                  capture_output=True, text=True)
            if done.returncode == 0:
                break
            say("pip install failed (attempt %d): %s"
                % (attempt, done.stderr.strip()[-2000:]))
        else:
            raise RuntimeError("pip could not install %s: %s"
                               % (requirements, done.stderr.strip()[-800:]))
        stamp.write_text(wanted)


def _base_python() -> str:
    """A Python to make venvs with: the one this venv was made from."""
    return getattr(sys, "_base_executable", None) or sys.executable


# -- start / stop -------------------------------------------------------------------

def _state_path(directory: Path) -> Path:
    return directory / "state.json"


def read_state(directory: Path = DEFAULT_DIR) -> dict[str, Any]:
    """What `start` recorded: url, port, pid, admin_password (empty if never run)."""
    path = _state_path(directory)
    return json.loads(path.read_text()) if path.exists() else {}


def _write_state(directory: Path, state: dict[str, Any]) -> None:
    _state_path(directory).write_text(json.dumps(state, indent=2) + "\n")


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/v3", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _manage(directory: Path, *args: str) -> None:
    env = dict(os.environ, OS_KEYSTONE_CONFIG_FILES=str(directory / "keystone.conf"))
    subprocess.run([str(VENV / "bin/keystone-manage"), "--config-file",
                    str(directory / "keystone.conf"), *args], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=open(directory / "manage.log", "a"))


def setup(directory: Path, url: str, expiration: int) -> None:
    """Database, key repositories and the bootstrap admin (once per directory)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "keystone.conf").write_text(KEYSTONE_CONF.format(
        dir=directory, expiration=expiration))
    (directory / "keystone_wsgi.py").write_text(WSGI_MODULE)
    if (directory / ".bootstrapped").exists():
        return
    import grp
    import pwd
    user = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    log("setting up %s (SQLite, Fernet)" % directory)
    _manage(directory, "db_sync")
    _manage(directory, "fernet_setup", "--keystone-user", user, "--keystone-group", group)
    _manage(directory, "credential_setup", "--keystone-user", user,
            "--keystone-group", group)
    _manage(directory, "bootstrap", "--bootstrap-password", ADMIN_PASSWORD,
            "--bootstrap-admin-url", url + "/v3", "--bootstrap-public-url", url + "/v3",
            "--bootstrap-internal-url", url + "/v3", "--bootstrap-region-id", REGION)
    (directory / ".bootstrapped").write_text(url + "\n")


def start(directory: Path = DEFAULT_DIR, port: int = DEFAULT_PORT,
          expiration: int = 3600, timeout: float = 60) -> dict[str, Any]:
    """Keystone serving on 127.0.0.1:port (started unless it already is)."""
    directory = directory.resolve()
    state = read_state(directory)
    if state and _alive(state.get("pid")) and _answers(state["url"]):
        return state
    install()
    url = "http://127.0.0.1:%d" % port
    setup(directory, url, expiration)
    env = dict(os.environ, OS_KEYSTONE_CONFIG_FILES=str(directory / "keystone.conf"))
    logfile = open(directory / "gunicorn.log", "a")
    proc = subprocess.Popen(
        # one request at a time: SQLite refuses concurrent writers ("database is
        # locked" when two transactions upgrade to writing at once)
        [str(VENV / "bin/gunicorn"), "--bind", "127.0.0.1:%d" % port, "--workers", "1",
         "--threads", "1", "--timeout", "120", "--chdir", str(directory),
         "keystone_wsgi:application"],
        env=env, stdout=logfile, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True)
    state = {"url": url, "port": port, "pid": proc.pid, "admin_password": ADMIN_PASSWORD,
             "region": REGION, "dir": str(directory)}
    _write_state(directory, state)
    deadline = time.monotonic() + timeout
    while not _answers(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(directory)
            raise SystemExit("keystone did not start; see %s" % (directory / "gunicorn.log"))
        time.sleep(0.2)
    log("serving %s/v3 (pid %d)" % (url, proc.pid))
    return state


def stop(directory: Path = DEFAULT_DIR) -> None:
    """Stop the gunicorn that `start` recorded (its whole session: master and workers)."""
    directory = directory.resolve()
    state = read_state(directory)
    pid = state.get("pid")
    if not _alive(pid):
        return
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)
    state["pid"] = None
    _write_state(directory, state)
    log("stopped pid %d" % pid)


# -- catalog ------------------------------------------------------------------------

def admin_connection(state: dict[str, Any]) -> Any:
    import openstack

    return openstack.connect(auth_url=state["url"] + "/v3", username="admin",
                             password=state["admin_password"], project_name="admin",
                             user_domain_name="Default", project_domain_name="Default",
                             region_name=state["region"], identity_interface="public")


def register(state: dict[str, Any], tessera_url: str) -> Path:
    """Tessera's endpoints in the catalog (replacing old ones), a service user for
    auth_token, and the tessera config file for keystone mode. One SDK session."""
    conn = admin_connection(state)
    identity = conn.identity
    tessera_url = tessera_url.rstrip("/")
    for stype, name, path in CATALOG:
        service = next(iter(identity.services(type=stype)), None)
        if service is None:
            service = identity.create_service(type=stype, name=name, enabled=True)
        for endpoint in identity.endpoints(service_id=service.id):
            identity.delete_endpoint(endpoint)
        for interface in ("public", "internal", "admin"):
            identity.create_endpoint(service_id=service.id, interface=interface,
                                     url=tessera_url + path, region_id=state["region"])
    project = identity.find_project(SERVICE_PROJECT) or identity.create_project(
        name=SERVICE_PROJECT, domain_id="default")
    user = identity.find_user(SERVICE_USER, domain_id="default")
    if user is None:
        user = identity.create_user(name=SERVICE_USER, password=SERVICE_PASSWORD,
                                    domain_id="default", default_project_id=project.id)
    for role_name in ("service", "admin"):
        role = identity.find_role(role_name) or identity.create_role(name=role_name)
        identity.assign_project_role_to_user(project, user, role)
    for role_name in ("member", "reader"):
        identity.find_role(role_name) or identity.create_role(name=role_name)
    conf = tessera_conf(state)
    state["tessera_url"] = tessera_url
    state["tessera_conf"] = str(conf)
    _write_state(Path(state["dir"]), state)
    log("catalog: %s" % ", ".join("%s=%s%s" % (t, tessera_url, p) for t, _, p in CATALOG))
    return conf


def tessera_conf(state: dict[str, Any]) -> Path:
    """Write (and return) the config file of `tessera up --auth keystone` for this
    Keystone: `[api] auth_strategy` and `[keystone_authtoken]` with the service user
    that `register` creates."""
    conf = Path(state["dir"]) / "tessera-keystone.conf"
    conf.write_text(TESSERA_CONF.format(url=state["url"], user=SERVICE_USER,
                                        password=SERVICE_PASSWORD,
                                        project=SERVICE_PROJECT, region=state["region"]))
    return conf


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/keystone.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("install", "start", "register", "up", "stop",
                                            "state"))
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--tessera-url", help="Tessera's base URL (register, up)")
    parser.add_argument("--token-expiration", type=int, default=3600,
                        help="token lifetime in seconds (applies at first setup)")
    args = parser.parse_args(argv)
    directory = args.dir.resolve()
    if args.command == "install":
        install()
    elif args.command in ("start", "up"):
        state = start(directory, args.port, args.token_expiration)
        if args.command == "up":
            if not args.tessera_url:
                parser.error("up needs --tessera-url")
            register(state, args.tessera_url)
    elif args.command == "register":
        if not args.tessera_url:
            parser.error("register needs --tessera-url")
        register(read_state(directory), args.tessera_url)
    elif args.command == "stop":
        stop(directory)
    print(json.dumps(read_state(directory), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
