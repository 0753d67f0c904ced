"""`tessera numa ...`: try the NUMA fitter on files.

    tessera numa fit --host host.json --flavor flavor.json [--image image.json]
                     [--pci pci.json] [--strategy pack|spread] [--format text|json]
    tessera numa demo [--hosts etc/hosts.yaml] [--flavors etc/flavors.yaml]

`fit` exits 0 when the guest fits, 1 when it does not, 2 on invalid input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from tessera.numa.constraints import build_request
from tessera.numa.demo import describe_nofit, describe_placement, load_host, report
from tessera.numa.errors import InvalidRequest
from tessera.numa.fit import Strategy, fit
from tessera.numa.placement import Placement

EXIT_FIT, EXIT_NO_FIT, EXIT_INVALID = 0, 1, 2
_REPO_ETC = Path(__file__).resolve().parents[2] / "etc"


class BadInput(Exception):
    """An input file is missing, unreadable or not of the expected form."""


def register(groups: Any) -> None:
    numa = groups.add_parser("numa", help="NUMA placement: fit a guest, run the demo")
    sub = numa.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("fit", help="does this guest fit this host, and how")
    p.add_argument("--host", required=True, type=Path,
                   help="host (codec form, compact form, or a workload case with 'host')")
    p.add_argument("--flavor", type=Path,
                   help='{"vcpus", "memory_mb", "extra_specs"} (default: the case\'s)')
    p.add_argument("--image", type=Path, help='{"properties": {...}}')
    p.add_argument("--pci", type=Path, help="a list of PCI requests")
    p.add_argument("--strategy", choices=[s.value for s in Strategy],
                   default=Strategy.SPREAD.value)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_fit)

    d = sub.add_parser("demo", help="where a handful of flavors land on a few hosts")
    d.add_argument("--hosts", type=Path, default=None, help="default: etc/hosts.yaml")
    d.add_argument("--flavors", type=Path, default=None, help="default: etc/flavors.yaml")
    d.add_argument("--strategy", choices=[s.value for s in Strategy],
                   default=Strategy.SPREAD.value)
    d.set_defaults(func=cmd_demo)


def load_file(path: Path) -> Any:
    """JSON for `*.json`, YAML otherwise; BadInput naming the file on any failure."""
    try:
        text = path.read_text()
    except OSError as e:
        raise BadInput("%s: %s" % (path, e.strerror or e)) from e
    try:
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as e:
        raise BadInput("%s: not valid %s: %s"
                       % (path, "JSON" if path.suffix == ".json" else "YAML", e)) from e


def _mapping(path: Path, data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise BadInput("%s: expected an object, got %s" % (path, type(data).__name__))
    return data


def _inputs(args: argparse.Namespace) -> tuple[Any, Mapping, Mapping | None, list]:
    host_data = _mapping(args.host, load_file(args.host))
    case = host_data if "host" in host_data else {}
    if case:
        host_data = _mapping(args.host, case["host"])
        if "name" not in host_data and "id" in case:
            host_data = dict(host_data, name=str(case["id"]))
    try:
        host = load_host(host_data)
    except (KeyError, ValueError, TypeError) as e:
        what = "missing key %s" % e if isinstance(e, KeyError) else str(e)
        raise BadInput("%s: invalid host: %s" % (args.host, what)) from e
    if args.flavor is not None:
        flavor = _mapping(args.flavor, load_file(args.flavor))
    elif "flavor" in case:
        flavor = case["flavor"]
    else:
        raise BadInput("--flavor is required unless --host is a workload case")
    image = case.get("image")
    if args.image is not None:
        image = _mapping(args.image, load_file(args.image))
        if "properties" not in image:
            image = {"properties": dict(image)}
    pci = list(case.get("pci_requests") or ())
    if args.pci is not None:
        pci_data = load_file(args.pci)
        if isinstance(pci_data, Mapping):
            pci_data = pci_data.get("pci_requests", [pci_data])
        if not isinstance(pci_data, list):
            raise BadInput("%s: expected a list of PCI requests" % args.pci)
        pci = pci_data
    return host, flavor, image, pci


def _invalid(args: argparse.Namespace, message: str) -> int:
    print("tessera numa fit: %s" % message, file=sys.stderr)
    if args.format == "json":
        print(json.dumps({"fit": False, "error": message}))
    return EXIT_INVALID


def cmd_fit(args: argparse.Namespace) -> int:
    try:
        host, flavor, image, pci = _inputs(args)
        request = build_request(flavor, image, tuple(pci))
    except BadInput as e:
        return _invalid(args, str(e))
    except InvalidRequest as e:
        return _invalid(args, "invalid request: %s" % e)
    except (KeyError, TypeError, ValueError) as e:
        return _invalid(args, "invalid flavor: %s" % e)
    result = fit(host, request, Strategy(args.strategy))
    placed = isinstance(result, Placement)
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2))
    elif placed:
        print("fits on %s (strategy %s)" % (host.name, args.strategy))
        print("\n".join("  " + line for line in describe_placement(result)))
    else:
        print("does not fit on %s" % host.name)
        print("\n".join("  " + line for line in describe_nofit(result)))
    return EXIT_FIT if placed else EXIT_NO_FIT


def _default(path: Path | None, name: str) -> Path:
    if path is not None:
        return path
    local = Path("etc") / name
    return local if local.exists() else _REPO_ETC / name


def cmd_demo(args: argparse.Namespace) -> int:
    hosts_path = _default(args.hosts, "hosts.yaml")
    flavors_path = _default(args.flavors, "flavors.yaml")
    try:
        hosts_doc = _mapping(hosts_path, load_file(hosts_path))
        flavors_doc = _mapping(flavors_path, load_file(flavors_path))
        hosts = [load_host(h) for h in hosts_doc.get("hosts") or ()]
        flavors = list(flavors_doc.get("flavors") or ())
    except BadInput as e:
        print("tessera numa demo: %s" % e, file=sys.stderr)
        return EXIT_INVALID
    except (KeyError, ValueError, TypeError) as e:
        print("tessera numa demo: %s: invalid host: %s" % (hosts_path, e), file=sys.stderr)
        return EXIT_INVALID
    print("Placement demo: %d flavors on %d hosts (%s, %s)\n"
          % (len(flavors), len(hosts), hosts_path, flavors_path))
    print(report(hosts, flavors, Strategy(args.strategy)))
    return 0
