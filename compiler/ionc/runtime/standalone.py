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
# The gates' exact step x = inf + (x - inf) exp(-dt/tau) holds v fixed over the step. With dt
# beyond a few time constants a gate jumps to its steady state at the previous v each step: the
# scheme stays bounded but the coupling of v and the gates that makes a spike is lost (the squid
# axon at dt = 1 ms does not fire). A run stops when some gate has dt > MAX_DT_OVER_TAU * tau.
MAX_DT_OVER_TAU = 3.0


def state_report(b: int, k: int, mechanisms: list[tuple[str, Any, Any]]) -> str:
    """Every mechanism state at node k of batch member b: `hh_na.m = 0.97, ...`.

    mechanisms: (label, array (batch, nodes of the mechanism), its nodes or None for all)."""
    parts = []
    for label, values, nodes in mechanisms:
        where = [k] if nodes is None else np.flatnonzero(nodes == k)
        if len(where):  # else the mechanism is not inserted at this node
            parts.append(f"{label} = {float(values[b, int(where[0])]):.6g}")
    return ", ".join(parts) if parts else "(no mechanism states)"


def place_of(k: int, node_section: np.ndarray, node_x: np.ndarray, sections: list[str]) -> str:
    return f"{sections[node_section[k]]}({node_x[k]:.4g}) (node {k})"


def check_finite(v: np.ndarray, t: float, node_section: np.ndarray, node_x: np.ndarray,
                 sections: list[str], mechanisms: list[tuple[str, Any, Any]] | None = None,
                 dt: float = 0.0, fastest_tau: float = np.inf) -> None:
    """Stop with the time, place and states of a numerical blow-up (NaN, inf or |v| > V_SANE_MV)."""
    bad = ~np.isfinite(v) | (np.abs(v) > V_SANE_MV)
    if not bad.any():
        return
    b, k = (int(i) for i in np.argwhere(bad)[0])
    member = f", batch member {b}" if v.shape[0] > 1 else ""
    advice = "Try a smaller dt"
    if np.isfinite(fastest_tau) and fastest_tau > 0:
        advice += (f" (the fastest gate time constant seen was {fastest_tau:.3g} ms: dt <= "
                   f"{suggested_dt(fastest_tau):.2g} ms follows it)")
    raise SimulationError(
        f"v = {v[b, k]:.6g} mV at {place_of(k, node_section, node_x, sections)}{member} by t = {t:g} ms "
        f"(dt = {dt:g} ms): the simulation blew up. States there: {state_report(b, k, mechanisms or [])}. "
        f"{advice}, or check the parameters (a negative conductance or capacitance?)"
    )


def suggested_dt(tau: float) -> float:
    """A dt that resolves a time constant tau (ms): a fifth of it, rounded down to 1, 2, 2.5 or 5 x 10^n
    (the squid axon's resting tau of m, 0.062 ms, gives 0.01 ms, the model's own dt)."""
    target = tau / 5.0
    scale = 10.0 ** np.floor(np.log10(target))
    return float(max(m for m in (1.0, 2.0, 2.5, 5.0) if m * scale <= target) * scale)


def fastest_gate(decays: list[tuple[list[str], np.ndarray, Any]]) -> tuple[float, str, int, int]:
    """The smallest exp(-dt/tau) over all gates: (its value, the gate, batch member, node).

    decays: (the gates' labels, their exp(-dt/tau) stacked (gates, batch, nodes), nodes or None)."""
    found = (1.0, "", -1, -1)
    for labels, factor, nodes in decays:
        if factor.size == 0:
            continue
        flat = int(np.argmin(factor))  # NaN (a blow-up) is check_finite's to report
        row, b, j = np.unravel_index(flat, factor.shape)
        value = float(factor[row, b, j])
        if value < found[0]:
            found = (value, labels[row], int(b), int(j if nodes is None else nodes[j]))
    return found


def check_stability(decays: list[tuple[list[str], np.ndarray, Any]], v: np.ndarray, t: float, dt: float,
                    node_section: np.ndarray, node_x: np.ndarray, sections: list[str],
                    mechanisms: list[tuple[str, Any, Any]]) -> float:
    """Stop where a gate's time constant is below dt / MAX_DT_OVER_TAU; return the fastest tau (ms)."""
    decay, gate, b, k = fastest_gate(decays)
    if decay >= 1.0 or not decay > 0.0:
        return np.inf if decay >= 1.0 else 0.0
    tau = dt / -np.log(decay)
    if dt <= MAX_DT_OVER_TAU * tau:
        return float(tau)
    member = f", batch member {b}" if v.shape[0] > 1 else ""
    raise SimulationError(
        f"dt = {dt:g} ms is too large: at t = {t:g} ms the state {gate} at "
        f"{place_of(k, node_section, node_x, sections)}{member} has a time constant of {tau:.3g} ms, and a "
        f"step longer than {MAX_DT_OVER_TAU:g} time constants loses the coupling between v and the gates "
        f"(the run would stay bounded but be wrong). v = {v[b, k]:.6g} mV there; states: "
        f"{state_report(b, k, mechanisms)}. Try dt <= {suggested_dt(tau):.2g} ms, or check the gate's "
        "rate parameters"
    )


class Recordings:
    """The recorded traces of a run, each sampled every `stride` steps from t = 0.

    The time loop writes every step's values into chunk buffers (v at V_SITES, other
    recorded states); at the end of each chunk `take` keeps the steps that are samples:
    in memory, or handed to a sink (streamed to disk) so that memory stays bounded."""

    def __init__(self, names: list[str], columns: list[tuple[bool, int]], strides: list[int], batch: int,
                 n_steps: int, sink: Any = None) -> None:
        self.names, self.columns, self.strides, self.sink = names, columns, strides, sink
        self.steps = 0  # steps taken so far
        self.traces = [] if sink is not None else [
            np.empty((batch, n_steps // stride + 1)) for stride in strides]

    def start(self, v_sites: np.ndarray, states: np.ndarray) -> None:
        """The samples at t = 0: v at the sites (batch, sites) and the states (batch, records)."""
        self.take(-1, 1, v_sites[np.newaxis], states[np.newaxis])

    def take(self, first: int, count: int, v_chunk: np.ndarray, state_chunk: np.ndarray) -> None:
        """Steps first + 1 ... first + count, whose values are rows 0 ... count - 1 of the chunks."""
        for index, ((is_v, column), stride) in enumerate(zip(self.columns, self.strides, strict=True)):
            chunk = v_chunk if is_v else state_chunk
            start = -(-(first + 1) // stride)  # the first sample index at or after step first + 1
            stop = (first + count) // stride + 1
            if stop <= start:
                continue
            rows = np.arange(start, stop) * stride - first - 1
            values = chunk[rows, :, column].T  # (batch, samples)
            if self.sink is None:
                self.traces[index][:, start:stop] = values
            else:
                self.sink.write(self.names[index], start, values)
        self.steps = first + count
        if self.sink is not None:
            self.sink.flush(self.steps)

    def samples(self, index: int) -> int:
        """How many samples of recording `index` are taken."""
        return self.steps // self.strides[index] + 1

    def result(self, dt: float) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """(traces, their time axes) as far as the run went; none when streamed (the sink has them)."""
        if self.sink is not None:
            return {}, {}
        times = {name: np.arange(self.samples(k)) * stride * dt
                 for k, (name, stride) in enumerate(zip(self.names, self.strides, strict=True))}
        traces = {name: trace[:, : self.samples(k)] for k, (name, trace) in enumerate(zip(self.names, self.traces, strict=True))}
        return traces, times


class InterruptFlag:
    """While active, Ctrl-C (SIGINT) sets `raised` instead of raising KeyboardInterrupt, so the
    time loop can stop at the end of a chunk with its state whole. Outside the main thread
    (where Python delivers no signals) it does nothing."""

    def __init__(self, enabled: bool) -> None:
        self.enabled, self.raised = enabled, False
        self.previous: Any = None  # the SIGINT handler to put back

    def __enter__(self) -> Any:  # InterruptFlag (not yet a name where the generated module defines it)
        import signal
        import threading

        if self.enabled and threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._raise)
        return self

    def _raise(self, number: int, frame: Any) -> None:
        self.raised = True

    def __exit__(self, *exc: Any) -> None:
        import signal

        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


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
    """The JSON output contract: t, traces, spikes, velocity, meta (and t_of, complete, note)."""
    t = result["t"]
    batched = result["batch"] > 1
    times = result.get("times", {})
    traces: dict[str, Any] = {}
    spikes: dict[str, Any] = {}
    t_of: dict[str, Any] = {}
    for site, trace in result["traces"].items():
        axis = times.get(site, t)
        if axis is not t and not np.array_equal(axis, t):
            t_of[site] = axis.tolist()  # sampled at another interval than "t"
        rows = [trace[b] for b in range(trace.shape[0])]
        traces[site] = [r.tolist() for r in rows] if batched else rows[0].tolist()
        if site.startswith("v@"):
            found = [spike_times(axis, r) for r in rows]
            spikes[site] = found if batched else found[0]
    output: dict[str, Any] = {"t": t.tolist(), "traces": traces, "spikes": spikes}
    if t_of:
        output["t_of"] = t_of
    if "table_error" in result:
        meta = dict(meta, table_error=result["table_error"])
    if "fastest_tau" in result and np.isfinite(result["fastest_tau"]):
        meta = dict(meta, fastest_tau_ms=result["fastest_tau"])
    if result.get("velocity"):
        output["velocity"] = result["velocity"]
    if not result.get("complete", True):
        output["complete"] = False
        output["note"] = interrupt_note(result)
    output["meta"] = meta
    return output


def interrupt_note(result: dict[str, Any]) -> str:
    return f"cut short at t = {result['t_end']:g} ms by an interrupt"


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
    result = simulate(overrides, stop_on_interrupt=True)
    output = result_json(result, dict(meta, timing={"simulate_s": result["simulate_s"]}))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(output, handle)
    else:
        for site, times in output["spikes"].items():
            print(f"{site}: spikes at {times} ms")
    if not result["complete"]:
        print(f"stopped: {interrupt_note(result)}", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover - the generated module has its own
    sys.exit(0)
