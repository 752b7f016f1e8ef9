"""Garbage-collector settings of a long-running hub process.

Start-up allocates most of what the hub keeps for its life (modules, protobuf descriptors,
keys, the directory, the policy); a full collection would walk all of it again each time, a
pause of tens of milliseconds in the middle of someone's Submit. So once the hub listens, one
collection runs and what survives it is frozen out of later collections, and young objects are
collected less often (a batch of records allocates thousands of short-lived containers; the
default threshold of 700 collected them several times per batch).
"""

from __future__ import annotations

import gc

#: Allocations (minus deallocations) between young-generation collections (default 700).
YOUNG_THRESHOLD = 10_000
#: Young collections per middle one, and middle per full one (defaults 10 and 10).
OLDER_THRESHOLDS = (20, 20)


def settle_after_start() -> None:
    """Collect once, freeze the survivors (start-up state), then widen the thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
