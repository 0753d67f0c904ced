"""The topology page in a real headless Chromium against a running all-in-one: a newly
booted pinned guest appears on exactly the pCPUs the host pinned for it, and goes
when it is deleted; a screenshot is kept with the test's artifacts."""

from __future__ import annotations

import json
import time

from .cdp import Browser
from .conftest import Tessera

CIRROS = "1b9a0b1e-0c38-4c6e-9a57-6f0d6d1c0001"


def _wait_server(tessera: Tessera, uuid: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        _, body = tessera.http("GET", "/v2.1/servers/%s" % uuid)
        server = body["server"]
        if server["status"] in ("ACTIVE", "ERROR"):
            return server
        assert time.monotonic() < deadline, "server %s stayed %s" % (uuid, server["status"])
        time.sleep(0.05)


def _pinned_cpus(tessera: Tessera, host: str) -> set[int]:
    """The host's pinned pCPUs as its hypervisor reports them (not the page's API)."""
    _, body = tessera.http("GET", "/v2.1/os-hypervisors/detail?with_numa=true")
    [hv] = [h for h in body["hypervisors"] if h["hypervisor_hostname"] == host]
    return {c for cell in hv["tessera:numa"]["cells"] for c in cell["pinned_cpus"]}


def _cpus_of(uuid: str) -> str:
    return ("JSON.stringify([...document.querySelectorAll("
            "'.cpu[data-guest=\"%s\"]')].map(e => [e.dataset.host, +e.dataset.cpu, "
            "e.dataset.role, e.dataset.vcpu === undefined ? null : +e.dataset.vcpu]))"
            % uuid)


def test_a_booted_pinned_guest_appears_on_its_pcpus(tessera, chromium, tmp_path):
    before = {h: _pinned_cpus(tessera, h) for h in ("nfv-2s-smt", "nfv-4n-nosmt",
                                                  "edge-2n-busy")}
    browser = Browser(chromium, tessera.url + "/tessera/topology#token=admin:admin",
                      tmp_path / "profile")
    try:
        hosts = browser.wait_for("document.getElementById('hosts').dataset.loaded "
                                 "=== 'true' && document.querySelectorAll("
                                 "'section.host').length")
        assert hosts == 3

        _, flavors = tessera.http("GET", "/v2.1/flavors")
        [flavor] = [f["id"] for f in flavors["flavors"] if f["name"] == "pinned.medium"]
        started = time.monotonic()
        code, body = tessera.http("POST", "/v2.1/servers", {"server": {
            "name": "pinned-on-page", "imageRef": CIRROS, "flavorRef": flavor,
            "networks": "none"}})
        assert code == 202, body
        uuid = body["server"]["id"]
        server = _wait_server(tessera, uuid)
        assert server["status"] == "ACTIVE", server
        host = server["OS-EXT-SRV-ATTR:host"]
        pins = _pinned_cpus(tessera, host) - before[host]
        assert len(pins) == 4

        shown = json.loads(browser.wait_for(
            "(%s) !== '[]' && (%s)" % (_cpus_of(uuid), _cpus_of(uuid))))
        seen = time.monotonic() - started
        assert {h for h, _c, _r, _v in shown} == {host}
        assert {c for _h, c, r, _v in shown if r == "pinned"} == pins
        assert sorted(v for *_x, v in shown) == [0, 1, 2, 3]
        name = browser.evaluate("document.querySelector('li[data-guest=\"%s\"]')"
                                ".textContent" % uuid)
        assert name.startswith("pinned-on-page (pinned.medium, dedicated")

        shot = browser.screenshot(tmp_path / "topology.png")
        assert shot.stat().st_size > 10000
        print("\ntopology page screenshot: %s (guest shown %.2fs after the boot request)"
              % (shot, seen))

        assert tessera.http("DELETE", "/v2.1/servers/%s" % uuid)[0] == 204
        browser.wait_for("(%s) === '[]'" % _cpus_of(uuid))
    finally:
        browser.close()
