"""Working across cells: asking every cell at once (`scatter`) and merging what they
answer into one sorted, pageable listing of servers (`listing`)."""

from tessera.cells.listing import (Gathered, UnknownServer, gather, merge_sorted,
                                   sort_key, unknown_server)
from tessera.cells.scatter import CellFailed, scatter_gather

__all__ = ["CellFailed", "Gathered", "UnknownServer", "gather", "merge_sorted",
           "scatter_gather", "sort_key", "unknown_server"]
