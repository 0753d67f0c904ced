"""`tessera explain|capacity|topology`: ask a running Tessera's admin API and print.

    tessera explain SERVER                       why the server is (not) where it is
    tessera explain --flavor F [--image I]       dry run: where would one guest go
    tessera capacity --flavor F [--flavor G ...] [--image I]
                                                 how many more fit, where, what blocks
    tessera topology [HOST]                      which guest owns which pCPU

Thin clients over HTTP (`GET /v2.1/os-tessera/...`). Auth as in the all-in-one's
clouds.yaml: `--os-cloud NAME` reads the token and endpoint from clouds.yaml
(`OS_CLIENT_CONFIG_FILE`, ./clouds.yaml, ~/.config/openstack/, /etc/openstack/),
or `--os-token` / `--os-endpoint` (env `OS_TOKEN`, `OS_ENDPOINT`); without either,
the local all-in-one's admin (`admin:admin` at http://127.0.0.1:8774/v2.1).
Exit status: 0 on an answer, 1 when the API refused, 2 when it could not be reached.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

DEFAULT_ENDPOINT = "http://127.0.0.1:8774/v2.1"
DEFAULT_TOKEN = "admin:admin"


class ClientError(Exception):
    """The API answered with an error (`status` > 0) or could not be reached (0)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


def register(groups: Any) -> None:
    e = groups.add_parser("explain", help="why a server or flavor does not fit a host")
    e.add_argument("server", nargs="?", help="a server's id")
    e.add_argument("--flavor", help="dry-run one guest of this flavor (id or name)")
    e.add_argument("--image", help="with this image (id or name)")
    _common(e, cmd_explain)

    c = groups.add_parser("capacity", help="how many more guests of each flavor fit")
    c.add_argument("--flavor", action="append", required=True,
                   help="a flavor (id or name); repeat for more")
    c.add_argument("--image", help="with this image (id or name)")
    _common(c, cmd_capacity)

    t = groups.add_parser("topology", help="which guest owns which pCPU, page and device")
    t.add_argument("host", nargs="?", help="one host (default: every host)")
    _common(t, cmd_topology)


def _common(p: argparse.ArgumentParser, func: Any) -> None:
    p.add_argument("--os-cloud", default=os.environ.get("OS_CLOUD"),
                   help="a clouds.yaml entry (env OS_CLOUD)")
    p.add_argument("--os-token", default=os.environ.get("OS_TOKEN"),
                   help="a token, e.g. admin:admin (env OS_TOKEN)")
    p.add_argument("--os-endpoint", default=os.environ.get("OS_ENDPOINT"),
                   help="the compute endpoint, e.g. http://127.0.0.1:8774/v2.1")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=lambda args: _run(func, args))


def _run(func: Any, args: argparse.Namespace) -> int:
    try:
        body = func(args, _client(args))
    except ClientError as exc:
        print("tessera %s: %s" % (args.group, exc), file=sys.stderr)
        return 1 if exc.status else 2
    if args.format == "json":
        print(json.dumps(body, indent=2, sort_keys=True))
    return 0


# -- auth and HTTP -------------------------------------------------------------------

def _client(args: argparse.Namespace) -> tuple[str, str]:
    token, endpoint = args.os_token, args.os_endpoint
    if args.os_cloud:
        cloud = _cloud(args.os_cloud)
        auth = cloud.get("auth") or {}
        token = token or auth.get("token")
        endpoint = endpoint or cloud.get("compute_endpoint_override") or auth.get("endpoint")
    return (token or DEFAULT_TOKEN), (endpoint or DEFAULT_ENDPOINT).rstrip("/")


def _cloud(name: str) -> dict[str, Any]:
    paths = [os.environ.get("OS_CLIENT_CONFIG_FILE"), "clouds.yaml",
             "~/.config/openstack/clouds.yaml", "/etc/openstack/clouds.yaml"]
    for p in paths:
        if p and Path(p).expanduser().is_file():
            clouds = (yaml.safe_load(Path(p).expanduser().read_text()) or {}).get("clouds", {})
            if name in clouds:
                return clouds[name]
    raise ClientError(0, "no cloud %r in any clouds.yaml" % name)


def get(client: tuple[str, str], path: str, **query: Any) -> dict[str, Any]:
    """GET `path` (relative to the compute endpoint) and its JSON body."""
    token, endpoint = client
    params = [(k, v) for k, vs in query.items() if vs is not None
              for v in (vs if isinstance(vs, list) else [vs])]
    url = endpoint + path + ("?" + urllib.parse.urlencode(params) if params else "")
    request = urllib.request.Request(url, headers={"X-Auth-Token": token,
                                                   "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as err:
        raise ClientError(err.code, _fault(err.read()) or "HTTP %d" % err.code) from None
    except OSError as err:
        raise ClientError(0, "cannot reach %s: %s" % (endpoint, err)) from None


def _fault(raw: bytes) -> str:
    try:
        return next(iter(json.loads(raw).values()))["message"]
    except Exception:  # not Nova's fault body: show nothing better than the status
        return ""


# -- the commands --------------------------------------------------------------------

def cmd_explain(args: argparse.Namespace, client: tuple[str, str]) -> dict[str, Any]:
    if bool(args.server) == bool(args.flavor):
        raise ClientError(0, "give a SERVER or --flavor (not both)")
    if args.server:
        body = get(client, "/os-tessera/servers/%s/explain"
                   % urllib.parse.quote(args.server))["explanation"]
        if args.format == "text":
            print(format_server(body))
    else:
        body = get(client, "/os-tessera/explain", flavor=args.flavor,
                   image=args.image)["explanation"]
        if args.format == "text":
            print(format_verdicts(body))
    return body


def cmd_capacity(args: argparse.Namespace, client: tuple[str, str]) -> dict[str, Any]:
    body = get(client, "/os-tessera/capacity", flavor=args.flavor, image=args.image)
    if args.format == "text":
        print(format_capacity(body["capacity"]))
    return body


def cmd_topology(args: argparse.Namespace, client: tuple[str, str]) -> dict[str, Any]:
    if args.host:
        body = get(client, "/os-tessera/topology/%s" % urllib.parse.quote(args.host))
        hosts = [body["host"]]
    else:
        body = get(client, "/os-tessera/topology")
        hosts = body["hosts"]
    if args.format == "text":
        print("\n\n".join(format_topology(h) for h in hosts))
    return body


# -- text ----------------------------------------------------------------------------

def _blocker(b: dict[str, Any]) -> str:
    cell = "cell %d: " % b["host_cell"] if b.get("host_cell") is not None else ""
    resource = " [%s]" % b["resource"] if b.get("resource") else ""
    return "%s: %s%s%s" % (b["filter"], cell, b["reason"], resource)


def format_verdicts(body: dict[str, Any]) -> str:
    lines = ["Dry run: flavor %s%s on %d hosts; fits on %s." % (
        body["flavor"], ", image %s" % body["image"] if body.get("image") else "",
        len(body["hosts"]), ", ".join(body["fits"]) or "none")]
    for h in body["hosts"]:
        if h["fits"]:
            cells = [c["host_cell"] for c in h.get("placement", {}).get("cells", [])]
            lines.append("  %s: fits%s" % (h["host"], " (host cells %s)" % ",".join(
                map(str, cells)) if cells else ""))
        else:
            lines.append("  %s:" % h["host"])
            lines += ["    %s" % _blocker(b) for b in h["blockers"]]
    return "\n".join(lines)


def format_server(body: dict[str, Any]) -> str:
    s = body["server"]
    lines = ["Server %s (%s): %s%s, flavor %s" % (
        s["id"], s["name"], s["vm_state"], " on %s" % s["host"] if s["host"] else "",
        s["flavor"])]
    if s.get("fault"):
        lines.append("Fault: %s" % s["fault"]["message"].splitlines()[0])
    if body["retries"]:
        lines.append("Retries:")
        lines += ["  %s: %s" % (r["host"], r["reason"]) for r in body["retries"]]
    lines.append("Recorded when last scheduled:" if body["recorded"]
                 else "Recorded when last scheduled: no rejections")
    for h in body["recorded"]:
        lines.append("  %s:" % h["host"])
        lines += ["    %s" % _blocker(b) for b in h["blockers"]]
    lines.append(format_verdicts(body["dry_run"]).replace("Dry run:", "Now (dry run):", 1))
    return "\n".join(lines)


def format_capacity(items: list[dict[str, Any]]) -> str:
    out = []
    for f in items:
        blocked = ", ".join("%s on %d host(s)" % kv for kv in f["blocked_by"].items())
        out.append("%s: %d more fit%s" % (f["flavor"], f["count"],
                                          "; then blocked by %s" % blocked if blocked else ""))
        for h in f["hosts"]:
            cells = " ".join("cell %d x%d" % (c["host_cell"], c["guest_cells"])
                             for c in h["cells"])
            out.append("  %-20s %4d%s" % (h["host"], h["count"],
                                         "  (%s)" % cells if cells else ""))
            out += ["      %s" % _blocker(b) for b in h["blockers"]]
    return "\n".join(out)


def _owner(cpu: dict[str, Any], names: dict[str, str]) -> str:
    guest = cpu.get("guest")
    if not guest:
        return ""
    who = "%s (%s)" % (names.get(guest) or "?", guest[:8])
    return who + (" vCPU %d" % cpu["vcpu"] if cpu.get("vcpu") is not None else "")


def format_topology(host: dict[str, Any]) -> str:
    names = {g["id"]: g["name"] for g in host["guests"]}
    lines = ["%s  (%d guests, generation %d)" % (host["host"], len(host["guests"]),
                                                host["generation"])]
    for cell in host["cells"]:
        pages = ", ".join("%s %d/%d used" % (_size(p["size_kb"]), p["used"], p["total"])
                          for p in cell["pages"])
        lines.append("cell %d (socket %s): memory %d/%d MiB; floating vCPUs %d/%g; "
                     "pages %s" % (cell["id"], cell["socket"], cell["memory_used_mb"],
                                   cell["memory_mb"], cell["shared_vcpus_used"],
                                   cell["shared_capacity"], pages or "-"))
        lines.append("  %-5s %-5s %-15s %s" % ("core", "pCPU", "role", "guest"))
        for i, core in enumerate(cell["cores"]):
            for j, cpu in enumerate(core):
                lines.append("  %-5s %-5d %-15s %s" % (
                    i if j == 0 else "", cpu["cpu"], cpu["role"], _owner(cpu, names)))
        for f in cell["floating"]:
            lines.append("  floating: %s x%d" % (names.get(f["guest"], f["guest"]),
                                                f["vcpus"]))
        for d in cell["pci"]:
            lines.append("  PCI %s %s:%s %s%s%s" % (
                d["address"], d["vendor_id"], d["product_id"], d["dev_type"],
                " " + d["physnet"] if d["physnet"] else "",
                "  -> %s" % names.get(d["guest"] or "", "claimed") if d["claimed"] else ""))
    return "\n".join(lines)


def _size(kb: int) -> str:
    if kb % 1048576 == 0:
        return "%dG" % (kb // 1048576)
    if kb % 1024 == 0:
        return "%dM" % (kb // 1024)
    return "%dK" % kb
