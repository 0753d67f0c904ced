"""Policy: which caller may do what, with oslo.policy and defaults like Nova's.

The base rules are Nova's (`nova/policies/base.py`): `admin` is the role `admin`; a
project member or reader acts on its own project's resources (`project_id:%(project_id)s`
in the target) or is an admin. Each API rule keeps Nova's name
(`os_compute_api:servers:create`, ...) so an operator's Nova policy file reads the same
here; an override file (`[oslo_policy] policy_file`, YAML or JSON) replaces any rule.

Handlers call `authorize(context, rule, target)`, which raises `PolicyNotAuthorized`
(403, "Policy doesn't allow <rule> to be performed.").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oslo_config import cfg
from oslo_policy import policy

from tessera.api.errors import PolicyNotAuthorized
from tessera.context import RequestContext

ADMIN = "rule:context_is_admin"
PROJECT_MEMBER_OR_ADMIN = "rule:project_member_or_admin"
PROJECT_READER_OR_ADMIN = "rule:project_reader_or_admin"
ANY = "@"
ADMIN_OR_USER = "(" + ADMIN + ") or user_id:%(user_id)s"

BASE_RULES: list[policy.RuleDefault] = [
    policy.RuleDefault("context_is_admin", "role:admin",
                       "Who counts as an admin (the `is_admin` of a context)."),
    policy.RuleDefault("admin_api", "role:admin", "Default rule for admin APIs."),
    policy.RuleDefault("project_member_api", "role:member and project_id:%(project_id)s",
                       "A member of the target's project."),
    policy.RuleDefault("project_reader_api", "role:reader and project_id:%(project_id)s",
                       "A reader of the target's project."),
    policy.RuleDefault("project_member_or_admin",
                       "rule:project_member_api or rule:context_is_admin",
                       "Default rule for writing project resources."),
    policy.RuleDefault("project_reader_or_admin",
                       "rule:project_reader_api or rule:context_is_admin",
                       "Default rule for reading project resources."),
]


def _rule(name: str, check: str, description: str, *operations: str
          ) -> policy.DocumentedRuleDefault:
    ops = [dict(zip(("method", "path"), op.split(" ", 1))) for op in operations]
    return policy.DocumentedRuleDefault(name=name, check_str=check,
                                        description=description, operations=ops,
                                        scope_types=["project"])


_S = "os_compute_api:servers:"
_SRV = "/servers/{server_id}"
_ACTION = "POST /servers/{server_id}/action"

API_RULES: list[policy.DocumentedRuleDefault] = [
    # servers
    _rule(_S + "index", PROJECT_READER_OR_ADMIN, "List servers", "GET /servers"),
    _rule(_S + "detail", PROJECT_READER_OR_ADMIN, "List servers with details",
          "GET /servers/detail"),
    _rule(_S + "index:get_all_tenants", ADMIN, "List servers of all projects",
          "GET /servers"),
    _rule(_S + "detail:get_all_tenants", ADMIN,
          "List servers of all projects with details", "GET /servers/detail"),
    _rule(_S + "allow_all_filters", ADMIN, "Filter server lists by any field",
          "GET /servers", "GET /servers/detail"),
    _rule(_S + "show", PROJECT_READER_OR_ADMIN, "Show a server", "GET " + _SRV),
    _rule(_S + "show:flavor-extra-specs", PROJECT_READER_OR_ADMIN,
          "See the flavor's extra specs in a server (2.47+)", "GET " + _SRV),
    _rule(_S + "show:host_status", ADMIN, "See the host status of a server",
          "GET " + _SRV),
    _rule(_S + "create", PROJECT_MEMBER_OR_ADMIN, "Create a server", "POST /servers"),
    _rule(_S + "create:forced_host", ADMIN, "Create a server on a given host",
          "POST /servers"),
    _rule(_S + "create:requested_destination", ADMIN,
          "Create a server on a requested destination", "POST /servers"),
    _rule(_S + "create:attach_volume", PROJECT_MEMBER_OR_ADMIN,
          "Create a server with volumes", "POST /servers"),
    _rule(_S + "create:attach_network", PROJECT_MEMBER_OR_ADMIN,
          "Create a server with networks", "POST /servers"),
    _rule(_S + "create:zero_disk_flavor", ADMIN,
          "Boot a volume-less server from a flavor with a zero root disk",
          "POST /servers"),
    _rule(_S + "topology:index", PROJECT_READER_OR_ADMIN,
          "Show a server's NUMA topology (2.78+)", "GET " + _SRV + "/topology"),
    _rule(_S + "topology:host:index", ADMIN,
          "See the host cells and pCPUs of a server's NUMA topology",
          "GET " + _SRV + "/topology"),
    _rule(_S + "update", PROJECT_MEMBER_OR_ADMIN, "Update a server", "PUT " + _SRV),
    _rule(_S + "delete", PROJECT_MEMBER_OR_ADMIN, "Delete a server", "DELETE " + _SRV),
    _rule(_S + "reboot", PROJECT_MEMBER_OR_ADMIN, "Reboot a server", _ACTION),
    _rule(_S + "start", PROJECT_MEMBER_OR_ADMIN, "Start a server", _ACTION),
    _rule(_S + "stop", PROJECT_MEMBER_OR_ADMIN, "Stop a server", _ACTION),
    _rule(_S + "resize", PROJECT_MEMBER_OR_ADMIN, "Resize a server", _ACTION),
    _rule(_S + "confirm_resize", PROJECT_MEMBER_OR_ADMIN, "Confirm a resize", _ACTION),
    _rule(_S + "revert_resize", PROJECT_MEMBER_OR_ADMIN, "Revert a resize", _ACTION),
    _rule(_S + "create_image", PROJECT_MEMBER_OR_ADMIN, "Snapshot a server", _ACTION),
    _rule(_S + "rebuild", PROJECT_MEMBER_OR_ADMIN, "Rebuild a server", _ACTION),
    _rule("os_compute_api:os-migrate-server:migrate", ADMIN, "Cold-migrate a server",
          _ACTION),
    _rule("os_compute_api:os-migrate-server:migrate_live", ADMIN,
          "Live-migrate a server", _ACTION),
    _rule("os_compute_api:os-evacuate", ADMIN, "Evacuate a server", _ACTION),
    _rule("os_compute_api:os-admin-actions:reset_state", ADMIN,
          "Reset a server's state", _ACTION),
    _rule("os_compute_api:os-extended-server-attributes", ADMIN,
          "See a server's host, instance name and other extended attributes",
          "GET " + _SRV, "GET /servers/detail"),
    _rule("os_compute_api:os-migrations:index", ADMIN, "List migrations",
          "GET /os-migrations"),
    # server metadata
    _rule("os_compute_api:server-metadata:index", PROJECT_READER_OR_ADMIN,
          "List a server's metadata", "GET " + _SRV + "/metadata"),
    _rule("os_compute_api:server-metadata:show", PROJECT_READER_OR_ADMIN,
          "Show a server metadata item", "GET " + _SRV + "/metadata/{key}"),
    _rule("os_compute_api:server-metadata:create", PROJECT_MEMBER_OR_ADMIN,
          "Add server metadata items", "POST " + _SRV + "/metadata"),
    _rule("os_compute_api:server-metadata:update_all", PROJECT_MEMBER_OR_ADMIN,
          "Replace a server's metadata", "PUT " + _SRV + "/metadata"),
    _rule("os_compute_api:server-metadata:update", PROJECT_MEMBER_OR_ADMIN,
          "Set a server metadata item", "PUT " + _SRV + "/metadata/{key}"),
    _rule("os_compute_api:server-metadata:delete", PROJECT_MEMBER_OR_ADMIN,
          "Delete a server metadata item", "DELETE " + _SRV + "/metadata/{key}"),
    # instance actions and faults
    _rule("os_compute_api:os-instance-actions:list", PROJECT_READER_OR_ADMIN,
          "List a server's actions", "GET " + _SRV + "/os-instance-actions"),
    _rule("os_compute_api:os-instance-actions:show", PROJECT_READER_OR_ADMIN,
          "Show a server action", "GET " + _SRV + "/os-instance-actions/{request_id}"),
    _rule("os_compute_api:os-instance-actions:events", ADMIN,
          "See the events of a server action",
          "GET " + _SRV + "/os-instance-actions/{request_id}"),
    _rule("os_compute_api:os-instance-actions:events:details", ADMIN,
          "See the details of a server action's events (2.84+)",
          "GET " + _SRV + "/os-instance-actions/{request_id}"),
    # addresses (the ports' fixed IPs, by network)
    _rule("os_compute_api:ips:index", PROJECT_READER_OR_ADMIN, "List a server's addresses",
          "GET " + _SRV + "/ips"),
    _rule("os_compute_api:ips:show", PROJECT_READER_OR_ADMIN,
          "List a server's addresses on one network", "GET " + _SRV + "/ips/{network_label}"),
    # volume attachments
    _rule("os_compute_api:os-volumes-attachments:index", PROJECT_READER_OR_ADMIN,
          "List a server's volume attachments", "GET " + _SRV + "/os-volume_attachments"),
    _rule("os_compute_api:os-volumes-attachments:show", PROJECT_READER_OR_ADMIN,
          "Show a volume attachment",
          "GET " + _SRV + "/os-volume_attachments/{volume_id}"),
    _rule("os_compute_api:os-volumes-attachments:create", PROJECT_MEMBER_OR_ADMIN,
          "Attach a volume", "POST " + _SRV + "/os-volume_attachments"),
    _rule("os_compute_api:os-volumes-attachments:delete", PROJECT_MEMBER_OR_ADMIN,
          "Detach a volume", "DELETE " + _SRV + "/os-volume_attachments/{volume_id}"),
    # flavors
    _rule("os_compute_api:os-flavor-manage:create", ADMIN, "Create a flavor",
          "POST /flavors"),
    _rule("os_compute_api:os-flavor-manage:update", ADMIN, "Update a flavor",
          "PUT /flavors/{flavor_id}"),
    _rule("os_compute_api:os-flavor-manage:delete", ADMIN, "Delete a flavor",
          "DELETE /flavors/{flavor_id}"),
    _rule("os_compute_api:os-flavor-extra-specs:index", PROJECT_READER_OR_ADMIN,
          "List a flavor's extra specs", "GET /flavors/{flavor_id}/os-extra_specs"),
    _rule("os_compute_api:os-flavor-extra-specs:show", PROJECT_READER_OR_ADMIN,
          "Show an extra spec", "GET /flavors/{flavor_id}/os-extra_specs/{key}"),
    _rule("os_compute_api:os-flavor-extra-specs:create", ADMIN, "Set extra specs",
          "POST /flavors/{flavor_id}/os-extra_specs"),
    _rule("os_compute_api:os-flavor-extra-specs:update", ADMIN, "Update an extra spec",
          "PUT /flavors/{flavor_id}/os-extra_specs/{key}"),
    _rule("os_compute_api:os-flavor-extra-specs:delete", ADMIN, "Delete an extra spec",
          "DELETE /flavors/{flavor_id}/os-extra_specs/{key}"),
    _rule("os_compute_api:os-flavor-access", ADMIN, "List a flavor's projects",
          "GET /flavors/{flavor_id}/os-flavor-access"),
    _rule("os_compute_api:os-flavor-access:add_tenant_access", ADMIN,
          "Give a project a private flavor", "POST /flavors/{flavor_id}/action"),
    _rule("os_compute_api:os-flavor-access:remove_tenant_access", ADMIN,
          "Take a private flavor from a project", "POST /flavors/{flavor_id}/action"),
    # hosts and services
    _rule("os_compute_api:os-hypervisors:list", ADMIN, "List hypervisors",
          "GET /os-hypervisors"),
    _rule("os_compute_api:os-hypervisors:list-detail", ADMIN,
          "List hypervisors with details", "GET /os-hypervisors/detail"),
    _rule("os_compute_api:os-hypervisors:show", ADMIN, "Show a hypervisor",
          "GET /os-hypervisors/{hypervisor_id}"),
    _rule("os_compute_api:os-hypervisors:statistics", ADMIN, "Hypervisor statistics",
          "GET /os-hypervisors/statistics"),
    _rule("os_compute_api:os-hypervisors:search", ADMIN, "Search hypervisors",
          "GET /os-hypervisors/{hypervisor_hostname_pattern}/search"),
    _rule("os_compute_api:os-hypervisors:servers", ADMIN, "A hypervisor's servers",
          "GET /os-hypervisors/{hypervisor_hostname_pattern}/servers"),
    _rule("os_compute_api:os-hypervisors:uptime", ADMIN, "A hypervisor's uptime",
          "GET /os-hypervisors/{hypervisor_id}/uptime"),
    _rule("os_compute_api:os-services:list", ADMIN, "List services",
          "GET /os-services"),
    _rule("os_compute_api:os-services:update", ADMIN, "Enable, disable or force down "
          "a service", "PUT /os-services/{service_id}"),
    _rule("os_compute_api:os-services:delete", ADMIN, "Delete a service",
          "DELETE /os-services/{service_id}"),
    _rule("os_compute_api:os-availability-zone:list", ANY, "List availability zones",
          "GET /os-availability-zone"),
    _rule("os_compute_api:os-availability-zone:detail", ADMIN,
          "List availability zones with their hosts", "GET /os-availability-zone/detail"),
    # keypairs: a user's own, or any for an admin
    _rule("os_compute_api:os-keypairs:index", ADMIN_OR_USER, "List keypairs",
          "GET /os-keypairs"),
    _rule("os_compute_api:os-keypairs:create", ADMIN_OR_USER, "Create a keypair",
          "POST /os-keypairs"),
    _rule("os_compute_api:os-keypairs:show", ADMIN_OR_USER, "Show a keypair",
          "GET /os-keypairs/{keypair_name}"),
    _rule("os_compute_api:os-keypairs:delete", ADMIN_OR_USER, "Delete a keypair",
          "DELETE /os-keypairs/{keypair_name}"),
    # limits
    _rule("os_compute_api:limits", ANY, "Show rate and absolute limits", "GET /limits"),
    _rule("os_compute_api:limits:other_project", ADMIN,
          "Show another project's limits", "GET /limits"),
    # Tessera's own admin API (tessera.api.tessera_admin)
    _rule("tessera:explain:server", ADMIN, "Why a server is (or is not) placed where "
          "it is", "GET /os-tessera/servers/{server_id}/explain"),
    _rule("tessera:explain:dry_run", ADMIN, "Dry-run a flavor on every host",
          "GET /os-tessera/explain"),
    _rule("tessera:capacity", ADMIN, "How many more guests of a flavor fit",
          "GET /os-tessera/capacity"),
    _rule("tessera:topology", ADMIN, "Which guest owns which pCPU, page and device",
          "GET /os-tessera/topology", "GET /os-tessera/topology/{host}"),
    _rule("tessera:domain_xml", ADMIN, "Show the domain XML the hypervisor holds for a "
          "server", "GET /os-tessera/servers/{server_id}/domain-xml"),
]


def list_rules() -> list[policy.RuleDefault]:
    """Every default rule, for `oslopolicy-sample-generator --namespace tessera`."""
    return [*BASE_RULES, *API_RULES]


def make_enforcer(conf: cfg.ConfigOpts | None = None,
                  policy_file: str | None = None) -> policy.Enforcer:
    """An enforcer with Tessera's defaults registered. `policy_file` (or the conf's
    `[oslo_policy] policy_file`) overrides rules; a missing default file is fine."""
    if conf is None:
        conf = cfg.ConfigOpts()
        conf([], project="tessera", default_config_files=[])
    enforcer = policy.Enforcer(conf, policy_file=policy_file)
    enforcer.register_defaults(list_rules())
    return enforcer


_ENFORCER: policy.Enforcer | None = None


def init(conf: cfg.ConfigOpts | None = None, policy_file: str | None = None
         ) -> policy.Enforcer:
    """Set (and return) the process's enforcer; the app factory calls this."""
    global _ENFORCER
    _ENFORCER = make_enforcer(conf, policy_file)
    _ENFORCER.load_rules()
    return _ENFORCER


def reset() -> None:
    """Forget the process's enforcer (tests)."""
    global _ENFORCER
    _ENFORCER = None


def get_enforcer() -> policy.Enforcer:
    """The process's enforcer, made with the defaults on first use."""
    return _ENFORCER if _ENFORCER is not None else init()


def default_target(context: RequestContext) -> dict[str, Any]:
    """Nova's target when a handler gives none: the caller's own project and user."""
    return {"project_id": context.project_id, "user_id": context.user_id}


def authorize(context: RequestContext, rule: str,
              target: Mapping[str, Any] | None = None,
              enforcer: policy.Enforcer | None = None) -> None:
    """Raise PolicyNotAuthorized (403) unless `rule` allows `context` on `target`.

    The target names the resource's owner, e.g. `{"project_id": server.project_id}`;
    without one the caller's own project is the target. An unregistered rule is a
    programming error (oslo.policy's PolicyNotRegistered)."""
    enforcer = enforcer or get_enforcer()
    enforcer.authorize(rule, dict(target if target is not None else default_target(context)),
                       context, do_raise=True, exc=PolicyNotAuthorized, action=rule)


def check_is_admin(context: RequestContext, enforcer: policy.Enforcer | None = None) -> bool:
    """Whether the `context_is_admin` rule holds for `context` (roles alone decide)."""
    enforcer = enforcer or get_enforcer()
    return bool(enforcer.authorize("context_is_admin", {}, context, do_raise=False))
