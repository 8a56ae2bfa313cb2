"""The linear solve of the implicit cable step, on a tree of compartments.

Each time step of backward Euler (or Crank-Nicolson) on the cable equation
ends in one linear system per batch member, in absolute units (uS, nA, mV):

    diag[b, i] * dv[b, i] - sum_{j adjacent to i} G_ij * dv[b, j] = rhs[b, i]

where G_ij = g_axial[i] for the edge between node i and parent[i]. The
nodes are numbered so that parent[i] < i (the root has parent -1); the
conductances are shared by the whole batch, diag and rhs are (batch, n).

Two schemes, chosen once in the constructor:

* linear: every node's parent is the node before it (or -1: a forest of
  cables). The batch is flattened into one block-diagonal tridiagonal
  system of batch * n unknowns with zero coupling between members, and one
  LAPACK ``dgtsv`` call solves it.
* branched: the branch points ("junctions", nodes with two or more
  children) are taken out; what is left is a set of unbranched chains,
  solved for the whole batch by one ``dgtsv`` call with three right-hand
  sides (the rhs, and unit vectors at the chain ends). The chain solutions
  give the Schur complement on the junctions, which is again a tree and is
  solved by Hines elimination level by level over the junction tree (a
  Python loop over the depth of the tree counted in branch points; every
  level is vectorized over its junctions and the batch). The chains are
  then recovered from the junction voltages in one vectorized update.

This module is inlined verbatim into generated standalone modules: it
imports only numpy, scipy and the standard library, keeps no module-level
state, and prefixes its private helpers with ``_cable_``. Instances keep
per-batch-size work buffers, so one CableSolver must not be shared between
threads.
"""

import numpy as np
from scipy.linalg.lapack import dgtsv as _cable_dgtsv


def axial_diagonal(parent, g_axial):
    """Return, per node, the sum of the axial conductances (uS) of its edges.

    This is the axial part of the diagonal of the cable matrix; the caller
    adds capacitance/dt and the membrane conductance to it.
    """
    parent, g = _cable_check_tree(parent, g_axial)
    has_parent = parent >= 0
    out = np.where(has_parent, g, 0.0)
    out += np.bincount(parent[has_parent], weights=g[has_parent], minlength=parent.size)
    return out


def reference_solve(parent, g_axial, diag, rhs):
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
    off = sparse.csc_matrix(
        (np.concatenate([-g[child], -g[child]]), (rows, cols)), shape=(parent.size,) * 2
    )
    out = np.empty_like(rhs2, dtype=float)
    for b in range(diag2.shape[0]):
        a = (off + sparse.diags(diag2[b])).tocsc()
        out[b] = sparse_linalg.spsolve(a, rhs2[b])
    return out.reshape(np.shape(rhs))


def _cable_check_tree(parent, g_axial):
    """Validate the tree arrays; return them as (intp, float64) arrays."""
    parent = np.asarray(parent)
    if parent.ndim != 1 or parent.size == 0:
        raise ValueError("parent must be a non-empty 1-D array")
    if not np.issubdtype(parent.dtype, np.integer):
        raise ValueError("parent must hold integers")
    parent = parent.astype(np.intp)
    g = np.asarray(g_axial, dtype=np.float64)
    if g.shape != parent.shape:
        raise ValueError(f"g_axial has shape {g.shape}, parent has shape {parent.shape}")
    index = np.arange(parent.size)
    if np.any(parent >= index) or np.any(parent < -1):
        raise ValueError("parent[i] must be -1 or smaller than i")
    if not np.all(np.isfinite(g[parent >= 0])) or np.any(g[parent >= 0] < 0.0):
        raise ValueError("axial conductances must be finite and non-negative")
    return parent, g


def _cable_tridiagonal(dl, d, du, b):
    """One in-place dgtsv call; b is overwritten by the solution."""
    *_, x, info = _cable_dgtsv(dl, d, du, b, 1, 1, 1, 1)
    if info != 0:
        raise np.linalg.LinAlgError(f"cable matrix is singular (dgtsv info={info})")
    if x is not b:
        b[...] = x
    return b


def _cable_batched_offdiag(off, chain_start, batch):
    """Off-diagonal of the flattened batch: -g inside chains, 0 across them."""
    band = np.where(chain_start[1:], 0.0, off)
    return np.tile(np.append(band, 0.0), batch)[:-1].copy()


class _CableBranchedPlan:
    """Index arrays of the chain/junction decomposition of a branched tree."""

    def __init__(self, parent, g):
        n = parent.size
        nchild = np.bincount(parent[parent >= 0], minlength=n)
        is_junction = nchild >= 2
        chains = self._chains(parent, is_junction)
        self.junctions = np.flatnonzero(is_junction)
        jpos = np.full(n, -1)
        jpos[self.junctions] = np.arange(self.junctions.size)
        first = np.array([c[0] for c in chains], dtype=np.intp)
        last = np.array([c[-1] for c in chains], dtype=np.intp)
        top = np.where(parent[first] >= 0, jpos[np.maximum(parent[first], 0)], -1)
        order = np.argsort(top, kind="stable")  # chains grouped by top junction
        chains = [chains[k] for k in order]
        first, last, top = first[order], last[order], top[order]
        self.perm = np.concatenate([np.asarray(c, dtype=np.intp) for c in chains])
        cpos = np.empty(n, dtype=np.intp)
        cpos[self.perm] = np.arange(self.perm.size)
        self.chain_start = np.zeros(self.perm.size, dtype=bool)
        self.chain_start[cpos[first]] = True
        self.off = -g[self.perm[1:]]
        self._junction_links(parent, g, jpos, cpos, first, last, top)

    @staticmethod
    def _chains(parent, is_junction):
        """Maximal runs of non-junction nodes, each listed from top to bottom."""
        chain_of = np.full(parent.size, -1)
        chains = []
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

    def _junction_links(self, parent, g, jpos, cpos, first, last, top):
        """Couplings between chains and junctions, and the junction tree."""
        nj = self.junctions.size
        has_top = top >= 0
        # chains hanging below a junction (grouped by that junction)
        self.below_first = cpos[first[has_top]]
        self.below_g = g[first[has_top]]
        below_top = top[has_top]
        self.below_starts = np.flatnonzero(np.r_[True, below_top[1:] != below_top[:-1]])
        self.below_junction = below_top[self.below_starts]
        # each junction's parent: another junction, a chain's last node, or none
        jparent = parent[self.junctions]
        gj = g[self.junctions]
        via_chain = (jparent >= 0) & (jpos[np.maximum(jparent, 0)] < 0)
        self.above_j = np.flatnonzero(via_chain)
        self.above_last = cpos[jparent[via_chain]]
        self.above_g = gj[via_chain]
        chain_of_last = {int(cpos[lst]): k for k, lst in enumerate(last)}
        above_chain = np.array([chain_of_last[int(c)] for c in self.above_last], dtype=np.intp)
        pj = np.full(nj, -1)
        direct = (jparent >= 0) & ~via_chain
        pj[direct] = jpos[jparent[direct]]
        self.direct_j = np.flatnonzero(direct)
        self.direct_off = -gj[direct]
        if self.above_j.size:
            pj[self.above_j] = top[above_chain]
        self.above_first = cpos[first[above_chain]]
        self.above_has_top = top[above_chain] >= 0
        self.above_top_g = g[first[above_chain]]
        self._levels(pj)
        # chain-node views of the junction voltages (index nj means "none")
        m = self.perm.size
        seg_len = np.diff(np.r_[np.flatnonzero(self.chain_start), m])
        chain_id = np.repeat(np.arange(first.size), seg_len)
        self.node_top = np.where(top[chain_id] >= 0, top[chain_id], nj)
        self.node_top_g = np.where(top[chain_id] >= 0, g[first][chain_id], 0.0)
        bottom = np.full(first.size, nj)
        bottom_g = np.zeros(first.size)
        bottom[above_chain] = self.above_j
        bottom_g[above_chain] = self.above_g
        self.node_bottom = bottom[chain_id]
        self.node_bottom_g = bottom_g[chain_id]
        self.ef = self.chain_start & (self.node_top < nj)
        chain_end = np.r_[self.chain_start[1:], True]
        self.el = chain_end & (self.node_bottom < nj)

    def _levels(self, pj):
        """Order the junction tree by depth; group each level by parent."""
        nj = pj.size
        depth = np.zeros(nj, dtype=np.intp)
        for k in range(nj):  # junction order is topological (parent[i] < i)
            if pj[k] >= 0:
                depth[k] = depth[pj[k]] + 1
        self.jorder = np.lexsort((pj, depth))
        self.jparent = pj
        self.level_bounds = []
        rank = np.empty(nj, dtype=np.intp)
        rank[self.jorder] = np.arange(nj)
        sorted_depth = depth[self.jorder]
        for lev in range(int(sorted_depth.max()) + 1 if nj else 0):
            lo, hi = np.searchsorted(sorted_depth, [lev, lev + 1])
            par = rank[pj[self.jorder[lo:hi]]] if lev else np.empty(0, dtype=np.intp)
            starts = np.flatnonzero(np.r_[True, par[1:] != par[:-1]]) if lev else par
            self.level_bounds.append((lo, hi, par, starts, par[starts] if lev else par))


class CableSolver:
    """Solve the implicit cable system for a batch, given diag and rhs per step.

    Built once from the tree (parent, g_axial); ``solve`` then does only the
    numeric work. Work buffers are kept per batch size.
    """

    def __init__(self, parent, g_axial):
        self.parent, self.g_axial = _cable_check_tree(parent, g_axial)
        self.parent.flags.writeable = False
        self.g_axial.flags.writeable = False
        self.n = self.parent.size
        index = np.arange(self.n)
        linear = np.all((self.parent == index - 1) | (self.parent < 0))
        if self.n == 1:
            self.scheme = "point"
        elif linear:
            self.scheme = "linear"
            self._chain_start = self.parent < 0
            self._off = -self.g_axial[1:]
        else:
            self.scheme = "branched"
            self._plan = _CableBranchedPlan(self.parent, self.g_axial)
        self._buffers = {}

    def solve(self, diag, rhs, out=None):
        """Return dv with shape of rhs ((batch, n) or (n,)); out may alias rhs."""
        diag2, rhs2 = np.asarray(diag, dtype=float), np.asarray(rhs, dtype=float)
        squeeze = rhs2.ndim == 1
        if squeeze:
            diag2, rhs2 = diag2[None, :], rhs2[None, :]
        if diag2.shape != rhs2.shape or rhs2.shape[1] != self.n:
            raise ValueError(f"diag {diag2.shape} and rhs {rhs2.shape} must be (batch, {self.n})")
        if out is None:
            out = np.empty(rhs2.shape)
        out2 = out[None, :] if squeeze else out
        if self.scheme == "point":
            np.divide(rhs2, diag2, out=out2)
        elif self.scheme == "linear":
            self._solve_linear(diag2, rhs2, out2)
        else:
            self._solve_branched(diag2, rhs2, out2)
        return out

    def _buffers_for(self, batch):
        buf = self._buffers.get(batch)
        if buf is None:
            buf = self._make_buffers(batch)
            self._buffers[batch] = buf
        return buf

    def _make_buffers(self, batch):
        if self.scheme == "linear":
            template = _cable_batched_offdiag(self._off, self._chain_start, batch)
            return {
                "template": template,
                "dl": np.empty_like(template),
                "du": np.empty_like(template),
                "d": np.empty(batch * self.n),
                "b": np.empty(batch * self.n),
            }
        plan = self._plan
        m, nj = plan.perm.size, plan.junctions.size
        template = _cable_batched_offdiag(plan.off, plan.chain_start, batch)
        units = np.asfortranarray(
            np.stack([np.tile(plan.ef, batch), np.tile(plan.el, batch)], axis=1).astype(float)
        )
        return {
            "template": template,
            "dl": np.empty_like(template),
            "du": np.empty_like(template),
            "d": np.empty((batch, m)),
            "units": units,
            "b": np.empty((batch * m, 3), order="F"),
            "sd": np.empty((batch, nj)),
            "sr": np.empty((batch, nj)),
            "so": np.zeros((batch, nj)),
            "x": np.zeros((batch, nj + 1)),
            "xc": np.empty((batch, m)),
        }

    def _solve_linear(self, diag, rhs, out):
        buf = self._buffers_for(diag.shape[0])
        np.copyto(buf["dl"], buf["template"])
        np.copyto(buf["du"], buf["template"])
        np.copyto(buf["d"], diag.reshape(-1))
        b = buf["b"]
        np.copyto(b, rhs.reshape(-1))
        _cable_tridiagonal(buf["dl"], buf["d"], buf["du"], b)
        np.copyto(out, b.reshape(diag.shape))

    def _solve_branched(self, diag, rhs, out):
        plan, batch = self._plan, diag.shape[0]
        buf = self._buffers_for(batch)
        m = plan.perm.size
        b = buf["b"]
        np.copyto(buf["dl"], buf["template"])
        np.copyto(buf["du"], buf["template"])
        np.take(diag, plan.perm, axis=1, out=buf["d"])
        b[:, 0].reshape(batch, m)[...] = rhs[:, plan.perm]
        b[:, 1:] = buf["units"]
        _cable_tridiagonal(buf["dl"], buf["d"].reshape(-1), buf["du"], b)
        w = b[:, 0].reshape(batch, m)
        zf = b[:, 1].reshape(batch, m)
        zl = b[:, 2].reshape(batch, m)
        x = self._solve_junctions(diag, rhs, w, zf, zl, buf)
        xc = buf["xc"]
        np.multiply(x[:, plan.node_top], plan.node_top_g, out=xc)
        xc *= zf
        xc += w
        xc += (x[:, plan.node_bottom] * plan.node_bottom_g) * zl
        out[:, plan.perm] = xc
        out[:, plan.junctions] = x[:, :-1]

    def _solve_junctions(self, diag, rhs, w, zf, zl, buf):
        """Form the Schur complement on the junctions and solve it (Hines)."""
        plan = self._plan
        sd, sr, so, x = buf["sd"], buf["sr"], buf["so"], buf["x"]
        if plan.junctions.size == 0:
            return x
        np.take(diag, plan.junctions, axis=1, out=sd)
        np.take(rhs, plan.junctions, axis=1, out=sr)
        if plan.below_first.size:
            f = plan.below_first
            sd[:, plan.below_junction] -= np.add.reduceat(
                plan.below_g**2 * zf[:, f], plan.below_starts, axis=1
            )
            sr[:, plan.below_junction] += np.add.reduceat(
                plan.below_g * w[:, f], plan.below_starts, axis=1
            )
        if plan.above_j.size:
            last = plan.above_last
            sd[:, plan.above_j] -= plan.above_g**2 * zl[:, last]
            sr[:, plan.above_j] += plan.above_g * w[:, last]
            so[:, plan.above_j] = np.where(
                plan.above_has_top, -(plan.above_top_g * plan.above_g) * zf[:, last], 0.0
            )
        so[:, plan.direct_j] = plan.direct_off
        return self._hines_levels(sd, sr, so, x)

    def _hines_levels(self, sd, sr, so, x):
        """Hines elimination on the junction tree, one vectorized step per level."""
        plan = self._plan
        order = plan.jorder
        d, r, o = sd[:, order], sr[:, order], so[:, order]
        bounds = plan.level_bounds
        for lo, hi, _par, starts, uniq in reversed(bounds[1:]):
            f = o[:, lo:hi] / d[:, lo:hi]
            d[:, uniq] -= np.add.reduceat(f * o[:, lo:hi], starts, axis=1)
            r[:, uniq] -= np.add.reduceat(f * r[:, lo:hi], starts, axis=1)
        xs = np.empty_like(d)
        lo, hi = bounds[0][0], bounds[0][1]
        xs[:, lo:hi] = r[:, lo:hi] / d[:, lo:hi]
        for lo, hi, par, _starts, _uniq in bounds[1:]:
            xs[:, lo:hi] = (r[:, lo:hi] - o[:, lo:hi] * xs[:, par]) / d[:, lo:hi]
        x[:, order] = xs
        return x
