"""The linear solve of the implicit cable step, on a tree of compartments.

Each time step of backward Euler (or Crank-Nicolson) on the cable equation
ends in one linear system per batch member, in absolute units (uS, nA, mV):

    diag[b, i] * dv[b, i] - sum_{j adjacent to i} G_ij * dv[b, j] = rhs[b, i]

where G_ij = g_axial[i] for the edge between node i and parent[i]. Nodes
are numbered so that parent[i] < i (a root has parent -1; several roots
make a forest); the conductances are shared by the whole batch, diag and
rhs are (batch, n) and change every step.

Two schemes, chosen once in the constructor:

* linear: every node's parent is the node before it (or -1). The batch is
  flattened into one block-diagonal tridiagonal system of batch * n
  unknowns with zero coupling between members: one LAPACK call per step.
* branched: the branch points ("junctions", nodes with two or more
  children) are taken out. What is left is a set of unbranched chains,
  solved for the whole batch by one LAPACK call with three right-hand
  sides (the rhs, and unit vectors at the chain ends). From those the
  Schur complement on the junctions is formed. It couples each junction
  only to the junction above it, so it is again a tree system (now with
  coefficients that differ between batch members). A shallow one (fewer
  than 8 levels) is solved by Hines elimination, one vectorized step per
  level; a deeper one is split into chains again, recursively. Each round
  costs one LAPACK call and a fixed number of numpy operations. On the
  test reconstructions: 1 round + 7 levels (dentate granule cell, 110
  nodes), 4 rounds + 7 levels (3187-point cerebellar cell, 1176 nodes),
  5 rounds + 8 levels (6248-point fly LPTC, 7178 nodes), where plain
  level-scheduled Hines would take 7, 26 and 90 levels.

The tridiagonal systems are solved with LAPACK's LDL^T (dptsv), which is
about 30% faster than LU and exact for the positive definite matrices a
cable step produces; a non-positive pivot (possible only with a negative
membrane slope conductance larger than C/dt) makes it fall back to LU with
partial pivoting (dgtsv) for that step.

This module is inlined verbatim into generated standalone modules: it
imports only numpy, scipy and the standard library, keeps no module-level
state, and prefixes its private helpers with ``_cable_``. A CableSolver
keeps work buffers per batch size, so it must not be shared between
threads.
"""

import collections.abc as _cable_abc

import numpy as np
from scipy.linalg.lapack import dgtsv as _cable_dgtsv
from scipy.linalg.lapack import dptsv as _cable_dptsv
from scipy.linalg.lapack import sptsv as _cable_sptsv


def axial_diagonal(parent: np.ndarray, g_axial: np.ndarray) -> np.ndarray:
    """Return, per node, the sum of the axial conductances (uS) of its edges.

    This is the axial part of the diagonal of the cable matrix; the caller
    adds capacitance/dt and the membrane conductance to it.
    """
    parent, g = _cable_check_tree(parent, g_axial)
    has_parent = parent >= 0
    out = np.where(has_parent, g, 0.0)
    out += np.bincount(parent[has_parent], weights=g[has_parent], minlength=parent.size)
    return out


def reference_solve(parent: np.ndarray, g_axial: np.ndarray, diag: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve the cable system with scipy.sparse, one batch member at a time.

    Slow and simple: the independent reference the fast solver is tested
    against.
    """
    import scipy.sparse as sparse
    import scipy.sparse.linalg as sparse_linalg

    parent, g = _cable_check_tree(parent, g_axial)
    diag2, rhs2 = np.atleast_2d(diag), np.atleast_2d(rhs)
    child = np.flatnonzero(parent >= 0)
    rows = np.concatenate([child, parent[child]])
    cols = np.concatenate([parent[child], child])
    vals = np.concatenate([-g[child], -g[child]])
    off = sparse.csc_matrix((vals, (rows, cols)), shape=(parent.size, parent.size))
    out = np.empty(rhs2.shape)
    for b in range(diag2.shape[0]):
        out[b] = sparse_linalg.spsolve((off + sparse.diags(diag2[b])).tocsc(), rhs2[b])
    return out.reshape(np.shape(rhs))


def _cable_check_tree(parent: np.ndarray, g_axial: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate the tree arrays; return copies as (intp, float64) arrays."""
    parent = np.asarray(parent)
    if parent.ndim != 1 or parent.size == 0:
        raise ValueError("parent must be a non-empty 1-D array")
    if not np.issubdtype(parent.dtype, np.integer):
        raise ValueError("parent must hold integers")
    parent = parent.astype(np.intp)
    g = np.array(g_axial, dtype=np.float64)
    if g.shape != parent.shape:
        raise ValueError(f"g_axial has shape {g.shape}, parent has shape {parent.shape}")
    if np.any(parent >= np.arange(parent.size)) or np.any(parent < -1):
        raise ValueError("parent[i] must be -1 or smaller than i")
    edge_g = g[parent >= 0]
    if not np.all(np.isfinite(edge_g)) or np.any(edge_g < 0.0):
        raise ValueError("axial conductances must be finite and non-negative")
    return parent, g


def _cable_tridiagonal(
    buf: dict,
    b: np.ndarray,
    fill_d: _cable_abc.Callable[[np.ndarray], object],
    fill_o: _cable_abc.Callable[[np.ndarray], object],
) -> None:
    """Solve the flattened symmetric tridiagonal system in place: b <- T^-1 b.

    fill_d and fill_o write the diagonal and the couplings (to the previous
    row, 0 where a chain starts) into buf's (batch, m) arrays "d" and "o".
    """
    d, o = buf["d"], buf["o"]
    fill_d(d)
    if d.size == 1:  # LAPACK's wrappers want at least one coupling
        if d.flat[0] == 0.0:
            raise np.linalg.LinAlgError("cable matrix is singular")
        b /= d.flat[0]
        return
    fill_o(o)
    e = o.reshape(-1)[1:]
    *_, x, info = _cable_dptsv(d.reshape(-1), e, b, 1, 1, 1)
    if info > 0:  # not positive definite: b is untouched, redo with pivoting
        fill_d(d)
        fill_o(o)
        np.copyto(buf["dl"], e)
        *_, x, info = _cable_dgtsv(buf["dl"], d.reshape(-1), e, b, 1, 1, 1, 1)
    if info != 0:
        raise np.linalg.LinAlgError(f"cable matrix is singular (LAPACK info={info})")
    if x is not b:
        b[...] = x


def _cable_group_starts(keys: np.ndarray) -> np.ndarray:
    """Start index of each run of equal values in a sorted key array."""
    if keys.size == 0:
        return np.empty(0, dtype=np.intp)
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])


def _cable_chains(parent: np.ndarray, is_junction: np.ndarray) -> list[list[int]]:
    """Maximal runs of non-junction nodes, each listed from top to bottom.

    A loop over nodes, run once at construction (never per step).
    """
    chain_of = np.full(parent.size, -1)
    chains: list[list[int]] = []
    for i in range(parent.size):
        if is_junction[i]:
            continue
        p = parent[i]
        if p >= 0 and not is_junction[p]:
            chain_of[i] = chain_of[p]
            chains[chain_of[p]].append(i)
        else:
            chain_of[i] = len(chains)
            chains.append([i])
    return chains


class _CableTreePlan:
    """Index arrays of the chain/junction decomposition of one tree, and of its
    junction tree (``sub``), recursively.

    Coefficients of a tree system: d (batch, n) the diagonal, o the entry
    A[i, parent[i]] (shape (n,) when shared by the batch, else (batch, n);
    0 for roots), r (batch, n) the right-hand side. Chains are laid out
    contiguously (``perm``), sorted by the junction above them. In the
    junction arrays, position nj stands for "no junction" and reads a zero.
    """

    def __init__(self, parent: np.ndarray) -> None:
        n = parent.size
        is_junction = np.bincount(parent[parent >= 0], minlength=n) >= 2
        self.junctions = np.flatnonzero(is_junction)
        nj = self.nj = self.junctions.size
        jpos = np.full(n, -1)
        jpos[self.junctions] = np.arange(nj)
        chains = _cable_chains(parent, is_junction)
        heads = np.array([c[0] for c in chains], dtype=np.intp)
        top = np.where(parent[heads] >= 0, jpos[np.maximum(parent[heads], 0)], -1)
        order = np.argsort(top, kind="stable")
        chains = [chains[k] for k in order]
        top = top[order]
        first = np.array([c[0] for c in chains], dtype=np.intp)
        last = np.array([c[-1] for c in chains], dtype=np.intp)
        self.perm = np.concatenate([np.asarray(c, dtype=np.intp) for c in chains])
        self.m = self.perm.size
        cpos = np.empty(n, dtype=np.intp)
        cpos[self.perm] = np.arange(self.m)
        chain_start = np.zeros(self.m, dtype=bool)
        chain_start[cpos[first]] = True
        self.inside = (~chain_start).astype(np.float64)  # 0 where a chain starts
        # chains hanging below a junction
        has_top = top >= 0
        self.below_node = first[has_top]
        self.below_first = cpos[first[has_top]]
        self.below_top = top[has_top]
        # each junction's parent: another junction, the last node of a chain, or none
        jparent = parent[self.junctions]
        via_chain = (jparent >= 0) & (jpos[np.maximum(jparent, 0)] < 0)
        direct = (jparent >= 0) & ~via_chain
        chain_of_last = np.full(n, -1)
        chain_of_last[last] = np.arange(last.size)
        above_chain = chain_of_last[jparent[via_chain]]
        self.above_j = np.flatnonzero(via_chain)
        self.above_node = self.junctions[via_chain]
        self.above_last = cpos[jparent[via_chain]]
        self.above_has_top = (top[above_chain] >= 0).astype(np.float64)
        self.above_first_node = first[above_chain]
        self.direct_j = np.flatnonzero(direct)
        self.direct_node = self.junctions[direct]
        jparent_pos = np.full(nj, -1)
        jparent_pos[direct] = jpos[jparent[direct]]
        jparent_pos[self.above_j] = top[above_chain]
        # per chain position: the junctions above and below its chain, and the nodes
        # whose couplings to them are used
        chain_id = np.cumsum(chain_start) - 1
        bottom = np.full(first.size, nj)
        bottom_node = np.zeros(first.size, dtype=np.intp)
        bottom[above_chain] = self.above_j
        bottom_node[above_chain] = self.above_node
        self.node_top = np.where(top >= 0, top, nj)[chain_id]
        self.node_top_node = first[chain_id]
        self.node_bottom = bottom[chain_id]
        self.node_bottom_node = bottom_node[chain_id]
        chain_end = np.r_[chain_start[1:], True]
        self.unit_first = chain_start & (self.node_top < nj)
        self.unit_last = chain_end & (self.node_bottom < nj)
        self.sub = _cable_junction_plan(jparent_pos) if nj else None
        self._buffers: dict = {}

    def buffers(self, batch: int) -> dict:
        """Work arrays for one batch size, made on first use."""
        buf = self._buffers.get(batch)
        if buf is None:
            m, nj = self.m, self.nj
            units = np.stack([np.tile(self.unit_first, batch), np.tile(self.unit_last, batch)], axis=1)
            buf = {
                "units": np.asfortranarray(units, dtype=np.float64),
                "b": np.empty((batch * m, 3), order="F"),
                "d": np.empty((batch, m)),
                "o": np.empty((batch, m)),
                "dl": np.empty(batch * m - 1),
                "sd": np.empty((batch, nj)),
                "sr": np.empty((batch, nj)),
                "so": np.zeros((batch, nj)),
                "x": np.zeros((batch, nj + 1)),
                "xc": np.empty((batch, m)),
                "below": (np.arange(batch)[:, None] * nj + self.below_top).ravel(),
            }
            self._buffers[batch] = buf
        return buf

    def solve(self, d: np.ndarray, o: np.ndarray, r: np.ndarray, out: np.ndarray) -> None:
        """Write the solution of the tree system (d, o, r) into out (batch, n)."""
        batch, m = d.shape[0], self.m
        buf = self.buffers(batch)
        b = buf["b"]
        w, zf, zl = (b[:, k].reshape(batch, m) for k in range(3))
        np.take(r, self.perm, axis=1, out=w)
        b[:, 1:] = buf["units"]
        _cable_tridiagonal(buf, b, lambda dd: np.take(d, self.perm, axis=1, out=dd), self._couplings(o))
        if self.sub is None:
            out[:, self.perm] = w
            return
        x = buf["x"]
        self._schur(d, o, r, w, zf, zl, buf)
        self.sub.solve(buf["sd"], buf["so"], buf["sr"], x[:, :-1])
        xc = buf["xc"]
        np.multiply(x[:, self.node_top], o[..., self.node_top_node], out=xc)
        xc *= zf
        np.subtract(w, xc, out=xc)
        xc -= (x[:, self.node_bottom] * o[..., self.node_bottom_node]) * zl
        out[:, self.perm] = xc
        out[:, self.junctions] = x[:, :-1]

    def _couplings(self, o: np.ndarray) -> _cable_abc.Callable[[np.ndarray], None]:
        """A function writing the chains' off-diagonal couplings into a (batch, m) array."""

        def fill(oo: np.ndarray) -> None:
            np.multiply(o[..., self.perm], self.inside, out=oo)

        return fill

    def _schur(
        self,
        d: np.ndarray,
        o: np.ndarray,
        r: np.ndarray,
        w: np.ndarray,
        zf: np.ndarray,
        zl: np.ndarray,
        buf: dict,
    ) -> None:
        """The Schur complement on the junctions: diagonal sd, coupling so, rhs sr."""
        sd, sr, so = buf["sd"], buf["sr"], buf["so"]
        np.take(d, self.junctions, axis=1, out=sd)
        np.take(r, self.junctions, axis=1, out=sr)
        if self.below_first.size:  # sums over the chains below each junction
            of = o[..., self.below_node]
            f, into, size = self.below_first, buf["below"], sd.size
            sd -= np.bincount(into, (of * of * zf[:, f]).ravel(), size).reshape(sd.shape)
            sr -= np.bincount(into, (of * w[:, f]).ravel(), size).reshape(sr.shape)
        if self.above_j.size:
            ou = o[..., self.above_node]
            last = self.above_last
            sd[:, self.above_j] -= ou * ou * zl[:, last]
            sr[:, self.above_j] -= ou * w[:, last]
            of = o[..., self.above_first_node] * self.above_has_top
            so[:, self.above_j] = -(of * ou) * zf[:, last]
        so[:, self.direct_j] = o[..., self.direct_node]


_CABLE_HINES_MAX_LEVELS = 8  # deeper junction trees are split again into chains


def _cable_tree_depths(parent: np.ndarray) -> np.ndarray:
    """Depth of every node (roots 0); parents come before children."""
    depth = np.zeros(parent.size, dtype=np.intp)
    for k in range(parent.size):
        if parent[k] >= 0:
            depth[k] = depth[parent[k]] + 1
    return depth


def _cable_junction_plan(parent: np.ndarray) -> "_CableTreePlan | _CableHinesPlan":
    """The solver of a junction tree: Hines levels when shallow, else chains again."""
    if int(_cable_tree_depths(parent).max()) < _CABLE_HINES_MAX_LEVELS:
        return _CableHinesPlan(parent)
    return _CableTreePlan(parent)


class _CableHinesPlan:
    """Hines elimination of a (shallow) tree system, one vectorized step per level.

    Nodes are visited by depth, each level grouped by parent; a level's update
    of its parents' (d, r) is one subtraction on columns [o, r, d] of a single
    (batch, n, 3) array.
    """

    def __init__(self, parent: np.ndarray) -> None:
        n = parent.size
        depth = _cable_tree_depths(parent)
        self.order = np.lexsort((parent, depth))
        rank = np.empty(n, dtype=np.intp)
        rank[self.order] = np.arange(n)
        sorted_depth = depth[self.order]
        self.levels: list[tuple[int, int, np.ndarray, np.ndarray | None, np.ndarray]] = []
        for lev in range(int(sorted_depth.max()) + 1):
            lo, hi = (int(v) for v in np.searchsorted(sorted_depth, [lev, lev + 1]))
            par = rank[parent[self.order[lo:hi]]] if lev else np.empty(0, dtype=np.intp)
            starts = _cable_group_starts(par)
            grouped = starts if starts.size < hi - lo else None
            self.levels.append((lo, hi, par, grouped, par[starts]))

    def solve(self, d: np.ndarray, o: np.ndarray, r: np.ndarray, out: np.ndarray) -> None:
        """Write the solution of the tree system (d, o, r) into out (batch, n)."""
        a = np.stack([o, r, d], axis=2)[:, self.order, :]
        for lo, hi, _par, grouped, parents in reversed(self.levels[1:]):
            lvl = a[:, lo:hi, :]
            upd = (lvl[:, :, 0] / lvl[:, :, 2])[:, :, None] * lvl[:, :, 0:2]
            if grouped is not None:
                upd = np.add.reduceat(upd, grouped, axis=1)
            a[:, parents, 2:0:-1] -= upd
        xs = np.empty(a.shape[:2])
        lo, hi = self.levels[0][0], self.levels[0][1]
        np.divide(a[:, lo:hi, 1], a[:, lo:hi, 2], out=xs[:, lo:hi])
        for lo, hi, par, _grouped, _parents in self.levels[1:]:
            lvl = a[:, lo:hi, :]
            xs[:, lo:hi] = (lvl[:, :, 1] - lvl[:, :, 0] * xs[:, par]) / lvl[:, :, 2]
        out[:, self.order] = xs


class CableSolver:
    """Solve the implicit cable system for a batch, given diag and rhs per step.

    Built once from the tree (parent, g_axial); ``solve`` then does only the
    numeric work, in buffers kept per batch size.
    """

    def __init__(self, parent: np.ndarray, g_axial: np.ndarray) -> None:
        self.parent, self.g_axial = _cable_check_tree(parent, g_axial)
        self.parent.flags.writeable = False
        self.g_axial.flags.writeable = False
        self.n = self.parent.size
        self._coupling = np.where(self.parent >= 0, -self.g_axial, 0.0)  # A[i, parent[i]]
        linear = np.all((self.parent == np.arange(self.n) - 1) | (self.parent < 0))
        self._plan: _CableTreePlan | None = None
        self._buffers: dict = {}
        if self.n == 1:
            self.scheme = "point"
        elif linear:
            self.scheme = "linear"
        else:
            self.scheme = "branched"
            self._plan = _CableTreePlan(self.parent)

    def solve(self, diag: np.ndarray, rhs: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Return dv, shaped like rhs ((batch, n) or (n,)); out may be rhs itself."""
        diag2 = np.asarray(diag, dtype=np.float64)
        rhs2 = np.asarray(rhs, dtype=np.float64)
        if rhs2.ndim == 1:
            diag2, rhs2 = diag2[None, :], rhs2[None, :]
        if diag2.shape != rhs2.shape or rhs2.ndim != 2 or rhs2.shape[1] != self.n:
            raise ValueError(f"diag {diag2.shape} and rhs {rhs2.shape} must be (batch, {self.n})")
        if out is None:
            out = np.empty(np.shape(rhs))
        out2 = out[None, :] if out.ndim == 1 else out
        if out2.shape != rhs2.shape:
            raise ValueError(f"out has shape {out.shape}, expected {np.shape(rhs)}")
        if self._plan is not None:
            self._plan.solve(diag2, self._coupling, rhs2, out2)
        elif self.scheme == "linear":
            self._solve_linear(diag2, rhs2, out2)
        else:
            np.divide(rhs2, diag2, out=out2)
        return out

    def solve_scratch(self, diag: np.ndarray, rhs: np.ndarray) -> np.ndarray:
        """Like solve(diag, rhs, out=rhs), for the time loop: rhs is a (batch, n) C-contiguous
        float64 temporary, overwritten with the solution. An unbranched cable then costs
        one LAPACK call and two copies, without solve()'s checks."""
        if self.scheme != "linear":
            return self.solve(diag, rhs, out=rhs)
        buf = self._linear_buffers(diag.shape[0], rhs.dtype)
        np.copyto(buf["o"], buf["template"])
        np.copyto(buf["d"], diag)  # kept intact for the careful path below
        b = rhs.reshape(-1)
        *_, x, info = buf["ptsv"](buf["d_flat"], buf["e_flat"], b, 1, 1, 1)
        if info != 0:  # not positive definite (b untouched): the careful path
            return self.solve(diag, rhs, out=rhs)
        if x is not b:
            b[...] = x
        return rhs

    def _linear_buffers(self, batch: int, dtype: "np.dtype | None" = None) -> dict:
        """Work arrays for a batch; float32 (precision = single) solves with LAPACK's sptsv."""
        dtype = np.dtype(np.float64) if dtype is None else dtype
        buf = self._buffers.get((batch, dtype))
        if buf is None:
            template = np.tile(self._coupling, (batch, 1)).astype(dtype)
            buf = {
                "template": template,
                "o": np.empty_like(template),
                "d": np.empty_like(template),
                "dl": np.empty(batch * self.n - 1),
                "b": np.empty(batch * self.n),
            }
            # flat views, made once: the time loop calls solve_scratch every step
            buf["d_flat"] = buf["d"].reshape(-1)
            buf["e_flat"] = buf["o"].reshape(-1)[1:]
            buf["ptsv"] = _cable_sptsv if dtype == np.float32 else _cable_dptsv
            self._buffers[(batch, dtype)] = buf
        return buf

    def _solve_linear(self, diag: np.ndarray, rhs: np.ndarray, out: np.ndarray) -> None:
        """One tridiagonal solve for the whole batch, in place in out when possible."""
        buf = self._linear_buffers(diag.shape[0])
        inplace = out.flags.c_contiguous and out.dtype == np.float64
        b = out.reshape(-1) if inplace else buf["b"]
        np.copyto(b, rhs.reshape(-1))  # a no-op copy when out is rhs
        _cable_tridiagonal(buf, b, lambda d: np.copyto(d, diag), lambda o: np.copyto(o, buf["template"]))
        if not inplace:
            np.copyto(out, b.reshape(out.shape))
