"""Appending leaves to the Merkle log, shared by every store implementation.

Each append writes the leaf and every complete subtree it finishes, so proofs
and roots are later read from stored nodes in O(log n), never rebuilt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hub.core import merkle

NodeGetter = Callable[[int, int], bytes]


def plan_append(
    first_index: int, entries: Sequence[bytes], get_node: NodeGetter
) -> tuple[list[tuple[int, bytes, bytes]], list[tuple[int, int, bytes]]]:
    """Leaves (index, entry, leaf hash) and nodes (level, index, hash) for a batch of entries."""
    written: dict[tuple[int, int], bytes] = {}

    def lookup(level: int, index: int) -> bytes:
        found = written.get((level, index))
        return found if found is not None else get_node(level, index)

    leaves: list[tuple[int, bytes, bytes]] = []
    nodes: list[tuple[int, int, bytes]] = []
    for offset, entry in enumerate(entries):
        index = first_index + offset
        leaf = merkle.leaf_hash(entry)
        leaves.append((index, entry, leaf))
        for level, node_index, node in merkle.nodes_to_store(index, leaf, lookup):
            written[(level, node_index)] = node
            nodes.append((level, node_index, node))
    return leaves, nodes
