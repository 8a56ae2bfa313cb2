"""Exporting ionc channels to other simulators' formats (`ionc export`).

`nmodl`: one NEURON .mod file per channel and pool, written from the equations
ionc derives (never from the model text). `neuron`: compiling such files with
nrnivmodl and running them in NEURON, to check that they agree with ionc.
"""
