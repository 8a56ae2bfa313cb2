"""The order in which the fused loop eliminates the cable's tree system.

Hines' elimination is a chain of dependent divisions: on an unbranched cable
rooted at one end, node i waits for node i + 1, and the processor sits out
each division's latency in turn. Rooting the same tree at its centre and
numbering the nodes breadth first makes consecutive nodes belong to
different branches (on a cable: the two halves, taken alternately), so the
processor works on several independent chains at once. The system solved is
the same; only the order of the arithmetic changes.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class SolveOrder:
    """The tree re-rooted at its centre: nodes breadth first, each node's new parent
    (-1 for the root) and the axial conductance of the edge to it."""

    order: np.ndarray
    parent: np.ndarray
    g: np.ndarray


def centre_rooted(parent: np.ndarray, g_axial: np.ndarray) -> SolveOrder:
    """Re-root the tree `parent` (g_axial[i]: conductance of the edge i - parent[i]) at its centre."""
    parent = np.asarray(parent, dtype=np.int64)
    g_axial = np.asarray(g_axial, dtype=float)
    neighbours = _neighbours(parent)
    root = _centre(neighbours)
    order, new_parent = _breadth_first(neighbours, root)
    g = np.zeros(parent.size)
    for node, up in enumerate(new_parent):
        if up >= 0:  # the edge is stored at whichever end was the child before
            g[node] = g_axial[node] if parent[node] == up else g_axial[up]
    return SolveOrder(order, new_parent, g)


def _neighbours(parent: np.ndarray) -> list[list[int]]:
    neighbours: list[list[int]] = [[] for _ in range(parent.size)]
    for node, up in enumerate(parent):
        if up >= 0:
            neighbours[node].append(int(up))
            neighbours[int(up)].append(node)
    return neighbours


def _centre(neighbours: list[list[int]]) -> int:
    """The middle node of a longest path (two breadth-first sweeps)."""
    far, _ = _farthest(neighbours, 0)
    other, parent = _farthest(neighbours, far)
    path = [other]
    while path[-1] != far:
        path.append(parent[path[-1]])
    return path[len(path) // 2]


def _farthest(neighbours: list[list[int]], start: int) -> tuple[int, list[int]]:
    order, parent = _breadth_first(neighbours, start)
    return int(order[-1]), [int(p) for p in parent]


def _breadth_first(neighbours: list[list[int]], root: int) -> tuple[np.ndarray, np.ndarray]:
    parent = np.full(len(neighbours), -2, dtype=np.int64)
    parent[root] = -1
    order = [root]
    queue = deque([root])
    while queue:
        node = queue.popleft()
        for nxt in neighbours[node]:
            if parent[nxt] == -2:
                parent[nxt] = node
                order.append(nxt)
                queue.append(nxt)
    if len(order) != len(neighbours):
        raise ValueError("the cable's nodes do not form one tree")
    return np.array(order, dtype=np.int64), parent
