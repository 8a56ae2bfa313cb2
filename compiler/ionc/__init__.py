"""ionc: a compiler for neuron membrane models.

    from ionc import compile_file, run_file
    module = compile_file("models/cells/hh_point.ionc")   # generated code, as text
    result = run_file("models/cells/hh_point.ionc")        # JSON-ready dict
"""

__version__ = "0.1.0"

from ionc.api import check_file, compile_file, run_file  # noqa: E402

__all__ = ["__version__", "check_file", "compile_file", "run_file"]
