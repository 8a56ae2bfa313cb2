"""The `ionc` command: check, compile, run, show, plot, export, verify.

A mistake in a model file prints a diagnostic (file:line:col, the line, a
caret) and exits with status 2; never a Python traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ionc.diagnostics import IoncError

EXIT_MODEL_ERROR = 2
PLOT_FORMATS = (".png", ".pdf", ".svg", ".jpg", ".jpeg")
EXIT_RUN_ERROR = 3
DEFAULT_CARD_CELSIUS = 6.3  # a cell's default temperature
DEFAULT_REVERSALS_MV = {"na": 50.0, "k": -77.0, "ca": 132.4579341637009}  # NEURON's defaults
DEFAULT_CARD_CAI = "50nM"  # NEURON's cai0_ca_ion


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ionc", description="Compile and run neuron membrane models.")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="parse, resolve and check units; exit 0 or print diagnostics")
    check.add_argument("file", type=Path)

    compile_ = commands.add_parser("compile", help="write the standalone generated module")
    compile_.add_argument("file", type=Path)
    compile_.add_argument("-o", "--output", type=Path, required=True, help="the .py file to write")
    compile_.add_argument("--simulation", help="which simulation (default: the first)")
    compile_.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", dest="overrides")
    compile_.add_argument("--force", action="store_true", help="overwrite an existing output file")
    compile_.add_argument("--backend", choices=("numpy", "numba"), default="numpy")

    run = commands.add_parser("run", help="simulate and write the JSON output and/or a plot")
    run.add_argument("file", type=Path)
    run.add_argument("--simulation", help="which simulation (default: the first)")
    run.add_argument("--json", type=Path, metavar="OUT.json")
    run.add_argument("--plot", type=Path, metavar="OUT.png")
    run.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", dest="overrides",
                     help="override a value with units, e.g. --set hh_na.gbar=100mS/cm2")
    run.add_argument("--backend", choices=("numpy", "numba"), default="numpy",
                     help="numpy (default) or numba: the same equations in one compiled loop (pip install 'ionc[fast]')")
    run.add_argument("--sweep", action="append", default=[], metavar="NAME=LO:HI:N",
                     help="run a grid of values as one batch, e.g. --sweep stim.amplitude=0:0.3nA:1024")
    run.add_argument("--stream", type=Path, metavar="DIR",
                     help="write the recordings to DIR as the run goes (one .npy per recording and "
                     "index.json), not into memory: for runs whose traces would not fit")
    run.add_argument("--quiet", action="store_true", help="no progress bar (shown on stderr for runs over ~2 s)")

    show = commands.add_parser("show", help="print the derived equations (or the discretisation)")
    show.add_argument("file", type=Path)
    show.add_argument("--morphology", action="store_true",
                      help="print each cell's sections, compartments, areas and electrotonic lengths")

    plot = commands.add_parser("plot", help="draw a channel card (gate curves and a voltage-clamp I-V curve)")
    what = plot.add_subparsers(dest="what", required=True)
    card = what.add_parser("channel", help="inf and tau of every gate against v, and a voltage-clamp I-V curve",
                           description="Draw a channel card: the steady state and time constant of every gate "
                           "against v (and, for gates that read cai, against cai from 1 nM to 100 uM), and the "
                           "peak current of a voltage clamp (steps from -100 to +40 mV, holding -100 mV) against "
                           "the command.")
    card.add_argument("file", type=Path)
    card.add_argument("name", help="the channel")
    card.add_argument("-o", "--output", type=Path, required=True, metavar="CARD.png")
    card.add_argument("--temperature", default=f"{DEFAULT_CARD_CELSIUS}degC",
                      help=f"the temperature, with its unit (default {DEFAULT_CARD_CELSIUS}degC)")
    card.add_argument("--reversal", action="append", default=[], metavar="ION=VALUE",
                      help="the reversal potential of the channel's ion, e.g. --reversal na=55mV "
                      f"(default NEURON's: {', '.join(f'{k} {v:g} mV' for k, v in DEFAULT_REVERSALS_MV.items())})")
    card.add_argument("--set", action="append", default=[], metavar="PARAM=VALUE", dest="overrides",
                      help="a parameter of the channel, e.g. --set gbar=100mS/cm2")
    card.add_argument("--cai", default=DEFAULT_CARD_CAI,
                      help="the inside calcium concentration, with its unit, e.g. --cai 1uM (default NEURON's "
                      f"{DEFAULT_CARD_CAI}); gates that read cai are also drawn against it, from 1 nM to 100 uM")

    export = commands.add_parser("export", help="write each channel as a NEURON .mod file or NeuroML2",
                                 description="Write one NMODL (.mod) file per channel and pool of FILE (its "
                                 "imports included), or one NeuroML2 document per channel (NAME.channel.nml) "
                                 "and per cell (NAME.cell.nml), from the equations ionc derives for them.")
    export.add_argument("file", type=Path)
    export.add_argument("--to", choices=("nmodl", "neuroml"), required=True,
                        help="the format (nmodl: NEURON's .mod files; neuroml: NeuroML2 .nml documents)")
    export.add_argument("-o", "--output", type=Path, required=True, metavar="DIR",
                        help="the directory to write into (made if missing)")
    export.add_argument("--channel", action="append", default=[], metavar="NAME",
                        help="export only this channel or pool (repeatable)")
    export.add_argument("--force", action="store_true", help="overwrite existing files")

    verify = commands.add_parser("verify", help="clamp each channel in ionc and in NEURON and compare the currents",
                                 description="Export each channel of FILE to NMODL, run the same voltage-clamp "
                                 "battery (activation, inactivation, deactivation, a ramp) and a current step (the "
                                 "channel with a leak) in ionc and in NEURON (in a subprocess) and print the "
                                 "largest difference of the currents (of v) as a fraction of each protocol's "
                                 "peak: PASS within 1% (the current step also when the spikes agree within "
                                 "0.05 ms). Pools are driven by a prescribed current of their ion instead: PASS when "
                                 "the concentrations agree within 1% of their excursion. Exit 0 when everything "
                                 "passes, 1 on a mismatch, 2 on a model error.")
    verify.add_argument("file", type=Path)
    verify.add_argument("--against", required=True, metavar="neuron|FILE.mod",
                        help="neuron (the NMODL export) or a .mod file whose SUFFIX is the channel's name (or the "
                        "prefix of the channels it was split into: SUFFIX_*, their currents summed); its "
                        "PARAMETERs are paired with the channel's by --map, by name, or by equal value and unit")
    verify.add_argument("--map", action="append", default=[], metavar="IONC=MOD",
                        help="pair an ionc parameter (name, or channel.name) with a PARAMETER of the .mod file, "
                        "which is then set to the ionc value (repeatable)")
    verify.add_argument("--channel", action="append", default=[], metavar="NAME",
                        help="verify only this channel (repeatable)")
    verify.add_argument("--temperature", default=f"{DEFAULT_CARD_CELSIUS}degC",
                        help=f"the temperature, with its unit (default {DEFAULT_CARD_CELSIUS}degC)")
    verify.add_argument("--reversal", action="append", default=[], metavar="ION=VALUE",
                        help="a reversal potential, e.g. --reversal na=55mV "
                        f"(default NEURON's: {', '.join(f'{k} {v:g} mV' for k, v in DEFAULT_REVERSALS_MV.items())})")
    verify.add_argument("--cai", default=DEFAULT_CARD_CAI,
                        help=f"the inside calcium concentration, with its unit (default {DEFAULT_CARD_CAI})")
    import_ = commands.add_parser("import", help="translate an NMODL (.mod) or NeuroML2 (.nml) channel into ionc",
                                  description="Translate the channels of an NMODL (.mod) or NeuroML2 (.nml) file "
                                  "into an ionc model file. What cannot be carried over is named, with its line.")
    import_.add_argument("file", type=Path, metavar="FILE.mod|FILE.nml")
    import_.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.ionc")
    import_.add_argument("--force", action="store_true", help="overwrite an existing output file")

    from ionc.batch.command import add_sweep_parser

    add_sweep_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if getattr(args, "plot", None) is not None and args.plot.suffix.lower() not in PLOT_FORMATS:
        print(f"error: --plot {args.plot}: use one of {', '.join(PLOT_FORMATS)}", file=sys.stderr)
        return EXIT_MODEL_ERROR
    if args.command == "plot" and args.output.suffix.lower() not in PLOT_FORMATS:
        print(f"error: -o {args.output}: use one of {', '.join(PLOT_FORMATS)}", file=sys.stderr)
        return EXIT_MODEL_ERROR
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "check": _check, "compile": _compile, "run": _run, "show": _show, "plot": _plot, "export": _export,
        "verify": _verify, "import": _import, "sweep": _sweep,
    }
    try:
        return handlers[args.command](args)
    except IoncError as error:
        print(str(error), file=sys.stderr)
        return EXIT_MODEL_ERROR
    except FileNotFoundError as error:
        print(f"error: {error.filename}: no such file", file=sys.stderr)
        return EXIT_MODEL_ERROR
    except (UnicodeDecodeError, IsADirectoryError, PermissionError) as error:
        print(f"error: cannot read the model file: {error}", file=sys.stderr)
        return EXIT_MODEL_ERROR
    except RecursionError:
        print("error: the model file is nested too deeply to read", file=sys.stderr)
        return EXIT_MODEL_ERROR
    except BrokenPipeError:  # `ionc run ... | head`: the reader has gone, which is fine
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps Python's exit flush quiet
        return 0
    except RuntimeError as error:
        # SimulationError is defined in each generated module: recognised by name.
        if type(error).__name__ != "SimulationError":
            raise
        print(f"error: the simulation stopped: {error}", file=sys.stderr)
        return EXIT_RUN_ERROR


def _check(args: argparse.Namespace) -> int:
    from ionc.api import check_file

    check_file(args.file)
    print(f"{args.file}: ok")
    return 0


def _compile(args: argparse.Namespace) -> int:
    from ionc.api import generate_source

    if args.output.exists() and not args.force:
        print(f"error: {args.output} exists; use --force to overwrite it", file=sys.stderr)
        return 1
    text = generate_source(args.file, args.simulation, args.overrides, module_file=args.output.name,
                           backend=args.backend)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


EXIT_INTERRUPTED = 130  # the shell's code for a run stopped by Ctrl-C (128 + SIGINT)


def _run(args: argparse.Namespace) -> int:
    if args.stream is not None and args.stream.exists() and not args.stream.is_dir():
        print(f"error: --stream {args.stream} is a file, not a directory", file=sys.stderr)
        return EXIT_MODEL_ERROR
    if args.stream is not None and args.plot:
        print("error: --plot needs the traces in memory; plot from the files --stream writes", file=sys.stderr)
        return EXIT_MODEL_ERROR
    try:
        return _run_and_write(args)
    except KeyboardInterrupt:  # while compiling or writing: the time loop itself stops cleanly (see _run_and_write)
        print("interrupted: outside the time loop (compiling, or writing the output); any --json file is "
              "whole or absent", file=sys.stderr)
        return EXIT_INTERRUPTED


def _run_and_write(args: argparse.Namespace) -> int:
    from ionc.api import run_simulation
    from ionc.run.progress import ProgressBar

    bar = None if args.quiet else ProgressBar(args.file.name)
    try:
        output, raw = run_simulation(args.file, args.simulation, args.overrides, space_time=bool(args.plot),
                                     sweeps=args.sweep, backend=args.backend, progress=bar,
                                     stop_on_interrupt=True, stream=args.stream)
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        _write_whole(args.json, json.dumps(output))
    if args.plot and output.get("traces"):
        from ionc.plot import plot_run

        plot_run(output, raw, args.plot, title=f"{args.file.name}")
    _summarise(output)
    if output.get("complete", True):
        return 0
    written = [str(p) for p in (args.json, args.stream) if p is not None]
    print(f"interrupted: the run was {output['note']}; "
          f"{'what was computed is in ' + ' and '.join(written) if written else 'nothing was written'}",
          file=sys.stderr)
    return EXIT_INTERRUPTED


def _write_whole(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename: a Ctrl-C leaves the old file or the new one."""
    temporary = path.with_name(f".{path.name}.partial")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


SPIKES_SHOWN = 5  # at each end of a longer list of spike times


def _summarise(output: dict) -> None:  # type: ignore[type-arg]
    for site, times in output["spikes"].items():
        if times and isinstance(times[0], list):  # a batch: one list per member
            print(f"{site}: {sum(len(t) for t in times)} spike(s) over {len(times)} runs")
        else:  # a long run's thousands of spikes: the first and the last few (the JSON output has all)
            listed = [f"{t:.4f}" for t in times]
            if len(listed) > 2 * SPIKES_SHOWN:
                listed = [*listed[:SPIKES_SHOWN], "...", *listed[-SPIKES_SHOWN:]]
            print(f"{site}: {len(times)} spike(s) at [{', '.join(listed)}] ms")
    for name, value in output.get("velocity", {}).items():
        shown = "no spike at one end" if value is None else f"{value:.4f} m/s" if isinstance(value, float) else value
        print(f"velocity {name}: {shown}")
    timing = output["meta"]["timing"]
    print(f"compile {timing['compile_s']:.3f} s, simulate {timing['simulate_s']:.3f} s")


def _show(args: argparse.Namespace) -> int:
    from ionc.show import show_file, show_morphology

    print(show_morphology(args.file) if args.morphology else show_file(args.file))
    return 0


def _plot(args: argparse.Namespace) -> int:
    """`ionc plot channel FILE NAME -o CARD.png`: the channel's card."""
    from ionc.clamp import load_channel, numeric_channel, parse_assignment, parse_value
    from ionc.plot import calcium_curves, format_concentration, plot_channel_card, reads_calcium

    derived = load_channel(args.file, args.name)
    channel = derived.channel
    kelvin = parse_value("--temperature", args.temperature, "K")
    if kelvin <= 0:
        print(f"error: --temperature {args.temperature} is not above absolute zero", file=sys.stderr)
        return EXIT_MODEL_ERROR
    celsius = kelvin - 273.15
    units = {p.name: p.unit for p in channel.parameters}
    parameters = dict(parse_assignment("--set", text, units) for text in args.overrides)
    reversals = dict(DEFAULT_REVERSALS_MV)
    reversals.update(parse_assignment("--reversal", text, "mV") for text in args.reversal)
    own = {p.symbol for p in channel.parameters}
    if channel.ion is not None and channel.reversal.free_symbols - own and channel.ion not in reversals:
        print(f"error: channel {channel.name} carries ion '{channel.ion}': give its reversal potential "
              f"with --reversal {channel.ion}=VALUE", file=sys.stderr)
        return EXIT_MODEL_ERROR
    cai = parse_value("--cai", args.cai, "mM")
    if cai < 0:
        print(f"error: --cai {args.cai} is negative: a concentration is 0 or more", file=sys.stderr)
        return EXIT_MODEL_ERROR
    concentrations = {"cai": cai}
    numeric = numeric_channel(derived, celsius=celsius, parameters=parameters, reversals=reversals,
                              concentrations=concentrations)
    calcium = calcium_curves(derived, celsius=celsius, chosen=cai, parameters=parameters, reversals=reversals,
                             concentrations=concentrations)
    title = f"{channel.name} ({args.file.name}) at {celsius:g} degC, e = {numeric.reversal:g} mV"
    if reads_calcium(derived):
        title += f", cai = {format_concentration(cai)}"
    card = plot_channel_card(numeric, args.output, title=title, calcium=calcium)
    print(f"wrote {args.output}")
    if card.calcium_gates:
        print(f"gates against cai: {', '.join(card.calcium_gates)}")
    return 0


def _export(args: argparse.Namespace) -> int:
    """`ionc export FILE --to nmodl|neuroml -o DIR`: one .mod file per channel and pool, or
    one NeuroML2 document per channel and cell (what it cannot write, it says)."""
    if args.output.exists() and not args.output.is_dir():
        print(f"error: -o {args.output} is a file, not a directory", file=sys.stderr)
        return EXIT_MODEL_ERROR
    if args.to == "neuroml":
        from ionc.export.neuroml import export_file as export_neuroml

        written = export_neuroml(args.file, args.channel or None)
        targets = [(args.output / d.filename, d.text) for d in written.documents]
        for note in written.notes:
            print(f"note: {note}", file=sys.stderr)
    else:
        from ionc.export.nmodl import export_file

        targets = [(args.output / f"{e.suffix}.mod", e.text) for e in export_file(args.file, args.channel or None)]
    existing = [path for path, _ in targets if path.exists()]
    if existing and not args.force:
        print(f"error: {', '.join(map(str, existing))} exist{'s' if len(existing) == 1 else ''}; "
              "use --force to overwrite", file=sys.stderr)
        return EXIT_MODEL_ERROR
    try:
        args.output.mkdir(parents=True, exist_ok=True)
        for path, text in targets:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    except OSError as error:
        print(f"error: cannot write {error.filename or args.output}: {error.strerror}", file=sys.stderr)
        return EXIT_MODEL_ERROR
    return 0


def _verify(args: argparse.Namespace) -> int:
    """`ionc verify FILE --against neuron|FILE.mod`: the clamp battery in ionc and in NEURON."""
    from ionc.clamp import parse_assignment, parse_value
    from ionc.verify import VerifyError, verify_file

    against: Path | None = None
    if args.against != "neuron":
        against = Path(args.against)
        if against.suffix != ".mod":
            print(f"error: --against {args.against}: use 'neuron' or a .mod file", file=sys.stderr)
            return EXIT_MODEL_ERROR
        if not against.is_file():
            print(f"error: {against}: no such file", file=sys.stderr)
            return EXIT_MODEL_ERROR
    kelvin = parse_value("--temperature", args.temperature, "K")
    if kelvin <= 0:
        print(f"error: --temperature {args.temperature} is not above absolute zero", file=sys.stderr)
        return EXIT_MODEL_ERROR
    reversals = dict(DEFAULT_REVERSALS_MV)
    reversals.update(parse_assignment("--reversal", text, "mV") for text in args.reversal)
    cai = parse_value("--cai", args.cai, "mM")
    if cai < 0:
        print(f"error: --cai {args.cai} is negative: a concentration is 0 or more", file=sys.stderr)
        return EXIT_MODEL_ERROR
    pairs = [item.partition("=") for item in args.map]
    mapping = {ionc: mod for ionc, _, mod in pairs if ionc.replace(".", "_").isidentifier() and mod.isidentifier()}
    malformed = [item for item, (ionc, _, _) in zip(args.map, pairs, strict=True) if ionc not in mapping]
    if malformed or (mapping and against is None):
        why = f"--map {malformed[0]}: write IONC=MOD" if malformed else "--map pairs with a .mod file's parameters"
        print(f"error: {why} (e.g. --map gbar=gnabar, with --against FILE.mod)", file=sys.stderr)
        return EXIT_MODEL_ERROR
    try:
        report = verify_file(args.file, args.channel or None, against=against, celsius=kelvin - 273.15,
                             reversals=reversals, concentrations={"cai": cai}, mapping=mapping)
    except ImportError:
        print("error: ionc verify needs NEURON (pip install neuron)", file=sys.stderr)
        return EXIT_MODEL_ERROR
    except (VerifyError, UnicodeDecodeError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_MODEL_ERROR
    print(report.table())
    if not report.rows:
        print("nothing to verify")
    failed = sorted({f"{r.channel} {r.protocol}" for r in report.rows if not r.passed})
    if failed:
        print(f"FAIL: {', '.join(failed)}")
        return 1
    return 0


def _import(args: argparse.Namespace) -> int:
    """`ionc import FILE.mod|FILE.nml -o FILE.ionc`: a channel from another simulator, in ionc."""
    from ionc.importer import SUFFIXES, translate_file

    if args.file.suffix not in SUFFIXES:
        print(f"error: {args.file}: import reads {' or '.join(SUFFIXES)} files", file=sys.stderr)
        return EXIT_MODEL_ERROR
    if args.output.exists() and not args.force:
        print(f"error: {args.output} exists; use --force to overwrite it", file=sys.stderr)
        return EXIT_MODEL_ERROR
    translation = translate_file(args.file)
    for note in translation.notes:
        print(f"note: {note}", file=sys.stderr)
    args.output.write_text(translation.text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    """`ionc sweep MODEL --param NAME=LO:HI:N ... --out TABLE`: see ionc.batch."""
    from ionc.batch.command import run_sweep

    return run_sweep(args)


if __name__ == "__main__":
    sys.exit(main())
