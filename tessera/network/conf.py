"""The `[network]` options of the built-in networking service."""

from __future__ import annotations

from oslo_config import cfg

from tessera.network import binding

network_opts = [
    cfg.ListOpt(
        "physnet_vif_types",
        default=[],
        help="The VIF binding of networks on each physical network, for networks "
        "created without their own `binding:vif_type`: entries "
        "PHYSNET:TYPE[:ARG[:MODE]] with TYPE bridge (ARG: bridge name), tap, or "
        "vhostuser (ARG: socket directory, MODE: server or client), e.g. "
        "'dpdk:vhostuser:/var/run/openvswitch:server,routed:tap,ext:bridge:br-ex'. "
        "Networks without either get a Linux bridge named brq<network id>.",
    ),
    cfg.IntOpt("default_mtu", default=1500, min=68,
               help="The MTU of networks created without one."),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    """Register the `[network]` options on `conf` (idempotent)."""
    conf.register_opts(network_opts, group="network")


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [("network", list(network_opts))]


def physnet_map(conf: cfg.ConfigOpts | None) -> dict[str, dict[str, str]]:
    """`[network] physnet_vif_types` parsed (empty without a configuration)."""
    if conf is None:
        return {}
    register_opts(conf)
    return binding.parse_physnet_map(list(conf.network.physnet_vif_types))


def default_mtu(conf: cfg.ConfigOpts | None) -> int:
    if conf is None:
        return 1500
    register_opts(conf)
    return int(conf.network.default_mtu)
