"""What can go wrong when scheduling, as exception types named for it."""

from __future__ import annotations

from collections.abc import Sequence

from tessera.objects import Rejection

NO_VALID_HOST = "No valid host was found. There are not enough hosts available."
SUMMARY_HOSTS = 10


class NoValidHost(Exception):
    """Some instance of the request found no host. `rejections` says, host by host
    and filter by filter, why every host was refused; `instance_index` is the first
    instance (0-based) that found none, `num_instances` how many were asked for."""

    def __init__(self, rejections: Sequence[Rejection], instance_index: int = 0,
                 num_instances: int = 1, hosts_considered: int | None = None) -> None:
        self.rejections = list(rejections)
        self.instance_index = instance_index
        self.num_instances = num_instances
        self.hosts_considered = hosts_considered
        self.message = NO_VALID_HOST + summarise(self.rejections, instance_index,
                                                 num_instances, hosts_considered)
        super().__init__(self.message)

    def __reduce__(self) -> tuple:
        return (type(self), (self.rejections, self.instance_index, self.num_instances,
                             self.hosts_considered))


def summarise(rejections: Sequence[Rejection], instance_index: int = 0,
              num_instances: int = 1, hosts_considered: int | None = None) -> str:
    """A short per-host summary: each host's latest reason, for the first few hosts."""
    lines = []
    if num_instances > 1:
        lines.append("Instance %d of %d found no host (the earlier ones took the room)."
                     % (instance_index + 1, num_instances))
    if hosts_considered == 0:
        lines.append("There are no compute hosts to choose from.")
    first: dict[str, Rejection] = {}
    for r in rejections:
        first[r.host] = r
    for r in list(first.values())[:SUMMARY_HOSTS]:
        lines.append("%s: %s: %s" % (r.host, r.filter, r.reason))
    if len(first) > SUMMARY_HOSTS:
        lines.append("... and %d more hosts" % (len(first) - SUMMARY_HOSTS))
    return "".join("\n" + line for line in lines)


class UnknownFilter(ValueError):
    """The configuration names filters the registry does not know."""

    def __init__(self, names: Sequence[str], known: Sequence[str]) -> None:
        self.names = list(names)
        super().__init__("unknown scheduler filter(s) %s; known: %s"
                         % (", ".join(names), ", ".join(known)))


class UnknownWeigher(ValueError):
    """The configuration names weighers the registry does not know."""

    def __init__(self, names: Sequence[str], known: Sequence[str]) -> None:
        self.names = list(names)
        super().__init__("unknown scheduler weigher(s) %s; known: %s"
                         % (", ".join(names), ", ".join(known)))
