"""Run-time helpers inlined into every generated module: spikes, output, command line.

This file is copied verbatim into generated code (from the line after
`# --- inline below ---`), so it may import only numpy and the standard
library, and it must not import anything from ionc.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np

# --- inline below ---


def spike_times(t: np.ndarray, v: np.ndarray, threshold: float = 0.0) -> list[float]:
    """Upward crossings of `threshold`, linearly interpolated between samples."""
    below, above = v[:-1], v[1:]
    k = np.nonzero((below < threshold) & (above >= threshold))[0]
    fraction = (threshold - below[k]) / (above[k] - below[k])
    return [float(x) for x in t[k] + fraction * (t[k + 1] - t[k])]


class SimulationError(RuntimeError):
    """A run that cannot go on (v left the rate tables' range, or blew up)."""


def efun(x: Any, out: Any = None) -> Any:
    """x / (1 - exp(-x)), and its limit 1 at x = 0 (the GHK flux's removable singularity).

    x / -expm1(-x) is accurate to rounding right up to 0; only x == 0 itself needs the limit."""
    x = np.asarray(x)
    result = x / -np.expm1(-np.where(x == 0.0, 1.0, x))
    result = np.where(x == 0.0, 1.0, result)
    if out is None:
        return result
    np.copyto(out, result)
    return out


def efun_slope(x: Any, out: Any = None) -> Any:
    """d/dx x / (1 - exp(-x)) = (1 - exp(-x) (1 + x)) / (1 - exp(-x))^2, 1/2 at x = 0.

    Near 0 the closed form cancels; its Taylor series 1/2 + x/6 - x^3/180 is exact to
    rounding for |x| < 1e-3 (the next term, x^5/5040, is below 2e-19)."""
    x = np.asarray(x)
    near = np.abs(x) < 1e-3
    safe = np.where(near, 1.0, x)
    denominator = -np.expm1(-safe)
    closed = (denominator - safe * np.exp(-safe)) / (denominator * denominator)
    result = np.where(near, 0.5 + x / 6.0 - x**3 / 180.0, closed)
    if out is None:
        return result
    np.copyto(out, result)
    return out


def kinetic_steady_state(rates: np.ndarray) -> np.ndarray:
    """The occupancies of kinetic schemes at rest: A x = 0 with sum(x) = 1, per scheme.

    rates[..., j, i] is the rate from state i to state j (the diagonal is ignored), for
    stacked schemes (one per node and batch member); A is rates with each diagonal entry
    minus its column's sum, so that columns of A sum to 0 and one row of A x = 0 follows
    from the others: the last row is replaced by the conservation law sum(x) = 1, and the
    system solved (LU) in double precision. Returns x shaped (..., n, 1).
    """
    matrix = np.array(rates, dtype=np.float64)
    diagonal = np.einsum("...ii->...i", matrix)  # a writeable view
    diagonal[...] = 0.0
    diagonal[...] = -matrix.sum(axis=-2)
    matrix[..., -1, :] = 1.0
    rhs = np.zeros(matrix.shape[:-1] + (1,))
    rhs[..., -1, 0] = 1.0
    x = np.linalg.solve(matrix, rhs)
    # The replaced row makes the matrix lose its sign pattern: a state at ~1e-20 may come
    # out at -1e-20. Cleared, and the sum made 1 again.
    np.maximum(x, 0.0, out=x)
    x /= x.sum(axis=-2, keepdims=True)
    return x


def kinetic_step(rates: np.ndarray, minus_phi_dt: Any, matrix: np.ndarray, states: np.ndarray,
                 column: np.ndarray, total: np.ndarray) -> None:
    """One backward-Euler step of kinetic schemes dx/dt = A x, A frozen over the step, in place.

    Solves (I - dt A) x_new = x for every scheme at once (np.linalg.solve on the stack),
    then divides x_new by its sum. rates[..., j, i]: the rate from i to j, diagonal 0;
    minus_phi_dt: -dt times the q10 factor, broadcastable to rates; states: (..., n, 1);
    matrix, column, total: work arrays shaped like rates, (..., n) and (..., 1, 1).

    I - dt A has a positive diagonal, off-diagonal entries <= 0 and columns summing to 1
    (an M-matrix, column diagonally dominant): LU with partial pivoting never swaps rows,
    its factors keep those signs (off-diagonal <= 0, U's diagonal > 0), and the two
    triangular solves then only add non-negative terms, so occupancies stay >= 0 in
    floating point. sum(x_new) = sum(x) up to rounding, which the division keeps from
    accumulating over a run.
    """
    np.multiply(rates, minus_phi_dt, out=matrix)  # -dt phi rate(i -> j) off the diagonal, 0 on it
    np.sum(matrix, axis=-2, out=column)
    np.subtract(1.0, column, out=np.einsum("...ii->...i", matrix))  # 1 + dt phi (rates out of i)
    np.copyto(states, np.linalg.solve(matrix, states))
    np.sum(states, axis=-2, keepdims=True, out=total)
    states /= total


def quiet_floating_point(function: Any) -> Any:
    """Run without numpy's overflow warnings: blow-ups are caught by check_finite, with a place."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            return function(*args, **kwargs)

    wrapper.__doc__ = function.__doc__
    wrapper.__name__ = function.__name__
    return wrapper


V_SANE_MV = 1e4  # beyond this, a membrane potential is a numerical blow-up


def check_finite(v: np.ndarray, t: float, node_section: np.ndarray, node_x: np.ndarray,
                 sections: list[str]) -> None:
    """Stop with the time and place of a numerical blow-up (NaN, inf or |v| > V_SANE_MV)."""
    bad = ~np.isfinite(v) | (np.abs(v) > V_SANE_MV)
    if not bad.any():
        return
    b, k = np.argwhere(bad)[0]
    place = f"{sections[node_section[k]]}({node_x[k]:.4g})"
    raise SimulationError(
        f"v = {v[b, k]:.6g} mV at {place} (node {k}, batch member {b}) by t = {t:g} ms: the simulation "
        "blew up. Try a smaller dt, or check the parameters (a negative conductance or capacitance?)"
    )


def table_of(values: np.ndarray, batch: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """A tabulated rate as one row (the same for the whole batch) and its differences."""
    rows = np.broadcast_to(values, (batch, size))
    if np.any(rows != rows[:1]):
        raise SimulationError("tables = on needs the gates' parameters to be the same for the whole batch")
    row = np.ascontiguousarray(rows[0])
    return row, np.append(np.diff(row), 0.0)


def table_index(v: np.ndarray, v0: float, dv: float, size: int, t: float) -> tuple[np.ndarray, np.ndarray]:
    """Index and fraction of v in the tables; outside their range is an error, never a clamp."""
    x = (v - v0) * (1.0 / dv)
    if not (x.min() >= 0.0 and x.max() < size - 1):  # NaN fails this too
        b, k = np.argwhere(~((x >= 0.0) & (x < size - 1)))[0]
        outside_tables(float(v[b, k]), t, int(b), int(k), v0, dv, size)
    i = x.astype(np.intp)
    return i, x - i


def outside_tables(value: float, t: float, b: int, k: int, v0: float, dv: float, size: int) -> None:
    raise SimulationError(
        f"v = {value:.6g} mV at t = {t:g} ms (batch member {b}, node {k}) is outside the rate "
        f"tables ({v0:g} to {v0 + (size - 1) * dv:g} mV): run without tables, or check dt and the parameters"
    )


def conduction_velocity(t: np.ndarray, v_pair: np.ndarray, distance_um: float) -> Any:
    """m/s from the first spike at each of two nodes; None where either does not fire."""
    speeds: list[float | None] = []
    for row in v_pair:
        first = [spike_times(t, trace) for trace in row]
        if not first[0] or not first[1] or first[1][0] == first[0][0]:
            speeds.append(None)
        else:
            speeds.append(distance_um * 1e-3 / abs(first[1][0] - first[0][0]))
    return speeds[0] if len(speeds) == 1 else speeds


def result_json(result: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    """The JSON output contract: t, traces, spikes, velocity, meta."""
    t = result["t"]
    batched = result["batch"] > 1
    traces: dict[str, Any] = {}
    spikes: dict[str, Any] = {}
    for site, trace in result["traces"].items():
        rows = [trace[b] for b in range(trace.shape[0])]
        traces[site] = [r.tolist() for r in rows] if batched else rows[0].tolist()
        if site.startswith("v@"):
            found = [spike_times(t, r) for r in rows]
            spikes[site] = found if batched else found[0]
    output: dict[str, Any] = {"t": t.tolist(), "traces": traces, "spikes": spikes}
    if "table_error" in result:
        meta = dict(meta, table_error=result["table_error"])
    if result.get("velocity"):
        output["velocity"] = result["velocity"]
    output["meta"] = meta
    return output


def command_line(simulate: Any, meta: dict[str, Any], argv: list[str] | None = None) -> int:
    """`python model.py [--json OUT] [--set NAME=VALUE ...]` for the shipped module."""
    parser = argparse.ArgumentParser(description=meta.get("description", "ionc simulation"))
    parser.add_argument("--json", metavar="OUT", help="write the results as JSON")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a parameter, in internal units (see PARAMETERS)")
    args = parser.parse_args(argv)
    overrides = {}
    for item in args.set:
        name, _, value = item.partition("=")
        overrides[name.strip()] = float(value)
    result = simulate(overrides)
    output = result_json(result, dict(meta, timing={"simulate_s": result["simulate_s"]}))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(output, handle)
    else:
        for site, times in output["spikes"].items():
            print(f"{site}: spikes at {times} ms")
    return 0


if __name__ == "__main__":  # pragma: no cover - the generated module has its own
    sys.exit(0)
