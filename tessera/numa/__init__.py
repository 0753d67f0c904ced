"""NUMA placement: does this guest fit this host, and exactly how? Pure: no I/O."""
