"""tessera-manage: schema migrations of the API and cell databases, and cells v2
mappings (map_cell0, create_cell, discover_hosts, list_cells, list_hosts, delete_host,
delete_cell, update_cell).

Database URLs come from, in order: the command-line options, the `--config-file`
(`[database] connection`, `[api_database] connection`, `[DEFAULT] transport_url`),
the environment (TESSERA_DATABASE_CONNECTION, TESSERA_API_DATABASE_CONNECTION,
TESSERA_TRANSPORT_URL), and SQLite files under ./data. Exit codes follow
nova-manage's.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from tessera.db import cells, errors, migrate
from tessera.db.api import queries as api_q
from tessera.db.engine import get_engine, session_scope

DEFAULT_CONNECTION = "sqlite:///./data/tessera_cell1.sqlite"
DEFAULT_API_CONNECTION = "sqlite:///./data/tessera_api.sqlite"


@dataclass(frozen=True)
class Settings:
    database: str
    api_database: str
    transport_url: str | None


def load_settings(args: argparse.Namespace) -> Settings:
    """The URLs to work on (see the module docstring for where they come from)."""
    database = os.environ.get("TESSERA_DATABASE_CONNECTION") or DEFAULT_CONNECTION
    api_database = (os.environ.get("TESSERA_API_DATABASE_CONNECTION")
                    or DEFAULT_API_CONNECTION)
    transport_url = os.environ.get("TESSERA_TRANSPORT_URL")
    if args.config_file:
        from tessera.conf import make_conf  # oslo.config: only when asked for

        conf = make_conf(config_files=args.config_file)
        database, api_database = conf.database.connection, conf.api_database.connection
        transport_url = conf.transport_url
    return Settings(database=args.database_connection or database,
                    api_database=args.api_database_connection or api_database,
                    transport_url=args.transport_url or transport_url)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain text table in the style of nova-manage's."""
    cells = [[str(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths)) + " |"

    return "\n".join([rule, line(headers), rule, *(line(r) for r in cells), rule])


# -- db / api_db -------------------------------------------------------------------

def _db_sync(args: argparse.Namespace, s: Settings) -> int:
    migrate.sync_cell(s.database, args.version or "head")
    if not args.local_cell and migrate.current_revision(s.api_database, "api"):
        with session_scope(get_engine(s.api_database)) as session:
            try:
                cell0 = api_q.get_cell0_mapping(session)
            except errors.CellMappingNotFound:
                return 0
        migrate.sync_cell(cell0.database_connection, args.version or "head")
    return 0


def _api_db_sync(args: argparse.Namespace, s: Settings) -> int:
    migrate.sync_api(s.api_database, args.version or "head")
    return 0


def _db_version(args: argparse.Namespace, s: Settings) -> int:
    print(migrate.current_revision(s.database, "cell"))
    return 0


def _api_db_version(args: argparse.Namespace, s: Settings) -> int:
    print(migrate.current_revision(s.api_database, "api"))
    return 0


# -- cell_v2 -----------------------------------------------------------------------

def _map_cell0(args: argparse.Namespace, s: Settings) -> int:
    cell0, created = cells.map_cell0(s.api_database, s.database, args.cell_database)
    if not created:
        print("Cell0 is already setup")
    return 0


def _create_cell(args: argparse.Namespace, s: Settings) -> int:
    transport_url = s.transport_url
    database = args.cell_database or s.database
    if not transport_url:
        print("Must specify --transport-url if [DEFAULT]/transport_url is not set in "
              "the configuration file.")
        return 1
    if not database:
        print("Must specify --database_connection if [database]/connection is not set "
              "in the configuration file.")
        return 1
    try:
        cell = cells.create_cell(s.api_database, name=args.name,
                                 transport_url=transport_url,
                                 database_connection=database, disabled=args.disabled)
    except errors.CellMappingExists as exc:
        print(exc)
        return 2
    if args.verbose:
        print(cell.uuid)
    return 0


def _discover_hosts(args: argparse.Namespace, s: Settings) -> int:
    report = print if args.verbose else (lambda _m: None)
    try:
        created = cells.discover_hosts(s.api_database, args.cell_uuid, report)
    except errors.HostMappingExists:
        print("ERROR: Duplicate host mapping was encountered. This command should be "
              "run once after all compute hosts have been deployed and should not be "
              "run in parallel. When run in parallel, the commands will collide with "
              "each other trying to map the same hosts in the database at the same "
              "time.")
        return 2
    if args.strict:
        return 0 if created else 1
    return 0


def _list_cells(args: argparse.Namespace, s: Settings) -> int:
    def show(url: str) -> str:
        return url if args.verbose else cells.mask_password(url)

    rows = [(c.name or "", c.uuid, show(c.transport_url), show(c.database_connection),
             c.disabled) for c in cells.list_cells(s.api_database)]
    print(format_table(["Name", "UUID", "Transport URL", "Database Connection",
                        "Disabled"], rows))
    return 0


def _list_hosts(args: argparse.Namespace, s: Settings) -> int:
    try:
        pairs = cells.list_hosts(s.api_database, args.cell_uuid)
    except errors.CellMappingNotFound as exc:
        print(exc)
        return 1
    print(format_table(["Cell Name", "Cell UUID", "Hostname"],
                       [(c.name or "", c.uuid, h.host) for c, h in pairs]))
    return 0


def _delete_host(args: argparse.Namespace, s: Settings) -> int:
    try:
        cells.delete_host(s.api_database, args.cell_uuid, args.host)
    except errors.CellMappingNotFound:
        print("Cell with uuid %s was not found." % args.cell_uuid)
        return 1
    except errors.HostMappingNotFound:
        print("The host %s was not found." % args.host)
        return 2
    except cells.HostInAnotherCell as exc:
        print(exc)
        return 3
    except cells.HostHasInstances as exc:
        print(exc)
        return 4
    return 0


def _delete_cell(args: argparse.Namespace, s: Settings) -> int:
    try:
        cells.delete_cell(s.api_database, args.cell_uuid, args.force)
    except errors.CellMappingNotFound:
        print("Cell with uuid %s was not found." % args.cell_uuid)
        return 1
    except cells.CellHasHosts as exc:
        print(exc)
        return 2
    except cells.CellHasInstances as exc:
        print(exc)
        return 3
    except cells.CellHasInstanceMappings as exc:
        print(exc)
        print("Run this command again with --force to delete them with the cell "
              "(tessera-manage has no archive_deleted_rows).")
        return 4
    return 0


def _update_cell(args: argparse.Namespace, s: Settings) -> int:
    if args.enable and args.disable:
        print("Cell cannot be disabled and enabled at same time.")
        return 4
    disabled = True if args.disable else (False if args.enable else None)
    try:
        cells.update_cell(s.api_database, args.cell_uuid, name=args.name,
                          transport_url=getattr(args, "transport_url", None),
                          database_connection=args.cell_database, disabled=disabled)
    except errors.CellMappingNotFound:
        print("Cell with uuid %s was not found." % args.cell_uuid)
        return 1
    except errors.CellMappingExists as exc:
        print(exc)
        return 3
    except cells.InvalidCellUpdate as exc:
        print(exc)
        return 5
    except Exception as exc:  # noqa: BLE001 - upstream's "save failed" exit code
        print("Unable to update CellMapping: %s" % exc)
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tessera-manage", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config-file", action="append", metavar="PATH")
    parser.add_argument("--database-connection", metavar="URL")
    parser.add_argument("--api-database-connection", metavar="URL")
    parser.add_argument("--transport-url", metavar="URL")
    groups = parser.add_subparsers(dest="group", metavar="CATEGORY", required=True)

    db = groups.add_parser("db", help="the cell database").add_subparsers(
        dest="command", metavar="COMMAND", required=True)
    sync = db.add_parser("sync", help="migrate the cell database (and cell0)")
    sync.add_argument("--version", metavar="REV")
    sync.add_argument("--local_cell", "--local-cell", action="store_true",
                      help="only this cell's database, not cell0's")
    sync.set_defaults(func=_db_sync)
    db.add_parser("version", help="print its revision").set_defaults(func=_db_version)

    api = groups.add_parser("api_db", help="the API database").add_subparsers(
        dest="command", metavar="COMMAND", required=True)
    sync = api.add_parser("sync", help="migrate the API database")
    sync.add_argument("--version", metavar="REV")
    sync.set_defaults(func=_api_db_sync)
    api.add_parser("version", help="print its revision").set_defaults(
        func=_api_db_version)

    cell_v2 = groups.add_parser("cell_v2", help="cells v2 mappings").add_subparsers(
        dest="command", metavar="COMMAND", required=True)
    url_opts = ("--database_connection", "--database-connection")
    cmd = cell_v2.add_parser("map_cell0", help="create the cell0 mapping and schema")
    cmd.add_argument(*url_opts, dest="cell_database", metavar="URL")
    cmd.set_defaults(func=_map_cell0)
    cmd = cell_v2.add_parser("create_cell", help="map a new cell")
    cmd.add_argument("--name")
    cmd.add_argument("--transport-url", "--transport_url", dest="transport_url",
                     metavar="URL", default=argparse.SUPPRESS)
    cmd.add_argument(*url_opts, dest="cell_database", metavar="URL")
    cmd.add_argument("--disabled", action="store_true")
    cmd.add_argument("--verbose", action="store_true")
    cmd.set_defaults(func=_create_cell)
    cmd = cell_v2.add_parser("discover_hosts", help="map unmapped compute hosts")
    cmd.add_argument("--cell_uuid", "--cell-uuid", dest="cell_uuid")
    cmd.add_argument("--verbose", action="store_true")
    cmd.add_argument("--strict", action="store_true",
                     help="exit 1 unless a new host was mapped")
    cmd.set_defaults(func=_discover_hosts)
    cmd = cell_v2.add_parser("list_cells", help="print the cell mappings")
    cmd.add_argument("--verbose", action="store_true", help="show passwords")
    cmd.set_defaults(func=_list_cells)
    cmd = cell_v2.add_parser("list_hosts", help="print the host mappings")
    cmd.add_argument("--cell_uuid", "--cell-uuid", dest="cell_uuid")
    cmd.set_defaults(func=_list_hosts)
    cell_opt = ("--cell_uuid", "--cell-uuid")
    cmd = cell_v2.add_parser("delete_host", help="unmap a host with no instances")
    cmd.add_argument(*cell_opt, dest="cell_uuid", required=True)
    cmd.add_argument("--host", required=True)
    cmd.set_defaults(func=_delete_host)
    cmd = cell_v2.add_parser("delete_cell", help="remove a cell with no instances")
    cmd.add_argument(*cell_opt, dest="cell_uuid", required=True)
    cmd.add_argument("--force", action="store_true",
                     help="also unmap its hosts and deleted instances")
    cmd.set_defaults(func=_delete_cell)
    cmd = cell_v2.add_parser("update_cell", help="change a cell's name, URLs or state")
    cmd.add_argument(*cell_opt, dest="cell_uuid", required=True)
    cmd.add_argument("--name")
    cmd.add_argument("--transport-url", "--transport_url", dest="transport_url",
                     metavar="URL", default=argparse.SUPPRESS)
    cmd.add_argument(*url_opts, dest="cell_database", metavar="URL")
    cmd.add_argument("--disable", action="store_true")
    cmd.add_argument("--enable", action="store_true")
    cmd.set_defaults(func=_update_cell)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args, load_settings(args)))
    except errors.NotFound as exc:
        print(exc)
        return 1
    except Exception as exc:  # noqa: BLE001 - a command-line tool reports, not traces
        print("ERROR: %s: %s" % (type(exc).__name__, exc), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
