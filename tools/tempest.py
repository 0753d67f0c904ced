#!/usr/bin/env python3
"""Run OpenStack's conformance suite (Tempest, pinned) against Tessera behind Keystone.

    tools/tempest.py [--list tools/tempest/slice.txt | --regex RE] [--concurrency 2]

It installs Tempest into build/tempest-venv (once), starts a fresh Keystone
(tools/keystone.py) and `tessera up --auth keystone` on free loopback ports, registers
Tessera's endpoints in the catalog, creates two small flavors, writes tempest.conf
(tools/tempest/flags.ini plus this run's values; max_microversion is read from the
served version document), runs the selected tests, prints passed / failed / skipped
and the tests that never ran (their class setup failed), and stops what it started.
Exit status 0 only when nothing failed and every selected test ran or was skipped.
Everything of a run is kept under build/tempest (logs, tempest.conf, results.json).
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import keystone  # noqa: E402  (tools/keystone.py)

HERE = ROOT / "tools/tempest"
VENV = Path(os.environ.get("TESSERA_TEMPEST_VENV", ROOT / "build/tempest-venv"))
WORK = ROOT / "build/tempest"
TESSERA = Path(sys.executable).parent / "tessera"

# The run's flavors (Tempest's flavor_ref / flavor_ref_alt): small, unpinned.
FLAVORS = [("42", "tempest.nano", 1, 128), ("84", "tempest.micro", 1, 192)]
# Two different images the servers boot from (Tessera's built-in cirros and ubuntu).
IMAGES = ("1b9a0b1e-0c38-4c6e-9a57-6f0d6d1c0001", "1b9a0b1e-0c38-4c6e-9a57-6f0d6d1c0002")
TAGS = re.compile(r"\[.*\]$")


_T0 = time.monotonic()


def log(message: str) -> None:
    print("tempest [%4.0fs]: %s" % (time.monotonic() - _T0, message), file=sys.stderr,
          flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def install() -> None:
    """Tempest (tools/tempest/requirements.txt) in its own venv, once."""
    keystone.install_venv(VENV, HERE / "requirements.txt", say=log)


def start_tessera(url_port: int, conf: Path, work: Path) -> subprocess.Popen:
    log_file = open(work / "tessera.log", "w")
    proc = subprocess.Popen(
        [str(TESSERA), "up", "--port", str(url_port), "--data-dir", str(work / "data"),
         "--hosts", str(ROOT / "etc/hosts.yaml"), "--flavors", str(ROOT / "etc/flavors.yaml"),
         "--auth", "keystone", "--config-file", str(conf)],
        cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d" % url_port
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(url + "/v2.1", timeout=1).read()
            return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise SystemExit("tessera up did not start; see %s" % (work / "tessera.log"))
            time.sleep(0.2)


def max_microversion(url: str) -> str:
    """The highest compute microversion the running Tessera serves."""
    with urllib.request.urlopen(url + "/v2.1", timeout=5) as response:
        return json.load(response)["version"]["version"]


def create_flavors(state: dict[str, Any]) -> None:
    conn = keystone.admin_connection(state)
    for flavor_id, name, vcpus, ram in FLAVORS:
        if conn.compute.find_flavor(flavor_id, ignore_missing=True) is None:
            conn.compute.create_flavor(id=flavor_id, name=name, vcpus=vcpus, ram=ram,
                                       disk=1)


def write_conf(path: Path, state: dict[str, Any], tessera_url: str) -> None:
    """tempest.conf: flags.ini plus this run's values."""
    from tessera.conf import DEFAULT_FILTERS

    conf = configparser.ConfigParser(interpolation=None)
    conf.read(HERE / "flags.ini")

    def put(section: str, **values: Any) -> None:
        if not conf.has_section(section) and section != "DEFAULT":
            conf.add_section(section)
        for key, value in values.items():
            conf.set(section, key, str(value))

    put("DEFAULT", log_file=str(path.parent / "tempest.log"), use_stderr="false")
    put("auth", admin_username="admin", admin_password=state["admin_password"],
        admin_project_name="admin", admin_domain_name="Default")
    put("identity", uri_v3=state["url"] + "/v3", auth_version="v3",
        region=state["region"])
    put("identity-feature-enabled", api_v2="false")
    put("compute", image_ref=IMAGES[0], image_ref_alt=IMAGES[1],
        flavor_ref=FLAVORS[0][0], flavor_ref_alt=FLAVORS[1][0],
        min_microversion="2.1", max_microversion=max_microversion(tessera_url),
        build_timeout="60", build_interval="1")
    put("compute-feature-enabled", scheduler_enabled_filters=",".join(DEFAULT_FILTERS))
    put("image", build_timeout="60")
    put("network", project_network_cidr="10.100.0.0/16")
    with path.open("w") as out:
        out.write("# Generated by tools/tempest.py from tools/tempest/flags.ini.\n")
        conf.write(out)


def read_selection(list_file: Path | None, regex: str | None) -> list[str]:
    if regex:
        return [regex]
    lines = (list_file or HERE / "slice.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def run_tempest(work: Path, patterns: list[str], concurrency: int) -> dict[str, Any]:
    """Run the selected tests; return {expected: [...], results: {id: {...}}}."""
    tempest = str(VENV / "bin/tempest")
    workspace = work / "workspace"
    if not (workspace / ".stestr.conf").exists():
        subprocess.run([tempest, "init", "--name", "tessera-%d" % os.getpid(),
                        "--workspace-path", str(work / "workspaces.yaml"),
                        str(workspace)], check=True, stdout=subprocess.DEVNULL)
    shutil.copy(work / "tempest.conf", workspace / "etc/tempest.conf")
    include = work / "include.txt"
    include.write_text("\n".join(patterns) + "\n")
    listed = subprocess.run([tempest, "run", "--list-tests", "--include-list", str(include)],
                            cwd=workspace, capture_output=True, text=True, check=True)
    expected = sorted({TAGS.sub("", line.strip()) for line in listed.stdout.splitlines()
                       if line.startswith("tempest.")})
    log("running %d tests (concurrency %d)" % (len(expected), concurrency))
    with (work / "tempest-run.log").open("w") as out:
        subprocess.run([tempest, "run", "--include-list", str(include),
                        "--concurrency", str(concurrency)],
                       cwd=workspace, stdout=out, stderr=subprocess.STDOUT)
    stream = subprocess.run([str(VENV / "bin/stestr"), "last", "--subunit"],
                            cwd=workspace, capture_output=True)
    parsed = subprocess.run([str(VENV / "bin/python"), str(HERE / "results.py")],
                            input=stream.stdout, capture_output=True, check=True)
    return {"expected": expected, "results": json.loads(parsed.stdout)}


_CLASS_FIXTURE = re.compile(r"^(setUpClass|tearDownClass) \((.+)\)$")


def _class_skips(results: dict[str, Any], expected: list[str]) -> dict[str, Any]:
    """The results with each test of a class whose setUpClass was skipped (a feature
    flag or microversion says so) recorded as skipped with that reason."""
    out = dict(results)
    skipped_classes = {m.group(2): r for t, r in results.items()
                       if (m := _CLASS_FIXTURE.match(t)) and m.group(1) == "setUpClass"
                       and r["status"] == "skip"}
    for name in list(out):
        if _CLASS_FIXTURE.match(name) and out[name]["status"] == "skip":
            del out[name]
    for test in expected:
        cls = test.rsplit(".", 1)[0]
        if test not in out and cls in skipped_classes:
            out[test] = skipped_classes[cls]
    return out


def report(run: dict[str, Any]) -> int:
    """Print the counts, failures and never-run tests; 0 when all ran and none failed.
    A class setup or teardown that failed counts as a failure; the tests of a class
    whose setup failed never ran."""
    results = _class_skips(run["results"], run["expected"])
    passed = [t for t, r in results.items() if r["status"] == "success"]
    skipped = [t for t, r in results.items() if r["status"] == "skip"]
    failed = [t for t, r in results.items() if r["status"] not in ("success", "skip")]
    never = [t for t in run["expected"] if t not in results]
    for test in sorted(failed):
        detail = results[test]["detail"].strip().splitlines()
        print("FAILED %s\n    %s" % (test, detail[-1] if detail else ""))
    for test in never:
        print("NEVER RAN %s" % test)
    reasons: dict[str, int] = {}
    for test in skipped:
        reason = results[test]["detail"].strip() or "(no reason)"
        reasons[reason] = reasons.get(reason, 0) + 1
    for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1]):
        print("skipped %3d: %s" % (count, reason[:150]))
    print("Tempest: %d passed, %d failed, %d skipped, %d never ran (of %d selected)"
          % (len(passed), len(failed), len(skipped), len(never), len(run["expected"])))
    return 0 if not failed and not never else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/tempest.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--list", type=Path, help="regexes, one a line (default: the slice)")
    parser.add_argument("--regex", help="one regex instead of a list")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--work", type=Path, default=WORK)
    args = parser.parse_args(argv)
    work = args.work.resolve()
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    keystone.install()
    install()
    ks_dir = work / "keystone"
    tessera_port = free_port()
    tessera_url = "http://127.0.0.1:%d" % tessera_port
    started = time.monotonic()
    state = keystone.start(ks_dir, free_port())
    proc = None
    try:
        log("Keystone up")
        conf = keystone.register(state, tessera_url)
        log("catalog registered")
        proc = start_tessera(tessera_port, conf, work)
        log("Tessera up")
        create_flavors(state)
        write_conf(work / "tempest.conf", state, tessera_url)
        log("Keystone %s, Tessera %s up in %.0f s" % (state["url"], tessera_url,
                                                      time.monotonic() - started))
        run = run_tempest(work, read_selection(args.list, args.regex), args.concurrency)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        keystone.stop(ks_dir)
    (work / "results.json").write_text(json.dumps(run, indent=1))
    status = report(run)
    log("done in %.0f s; logs in %s" % (time.monotonic() - started, work))
    return status


if __name__ == "__main__":
    sys.exit(main())
