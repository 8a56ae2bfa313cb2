"""`ionc sweep`: the command line (the argument parser and the handler)."""

from __future__ import annotations

import argparse


def add_sweep_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sweep = commands.add_parser("sweep", help="run many parameter sets and write one row of features per set")
    sweep.add_argument("file")


def run_sweep(args: argparse.Namespace) -> int:
    raise NotImplementedError("ionc sweep is being built")
