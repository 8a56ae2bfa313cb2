TITLE ref_release: calcium-driven transmitter release from a vesicle pool

COMMENT
Source: the fourth-power dependence of release on calcium of J. F. Dodge and
R. Rahamimoff (1967), J Physiol 193:419-432 ("Co-operative action of calcium
ions in transmitter release at the neuromuscular junction"), acting on a
releasable vesicle pool that refills with one time constant, as in the
depletion model of M. V. Tsodyks and H. Markram (1997), PNAS 94:719-723.
A readout for a presynaptic terminal: it carries no current.

Temperature: none.

Variables: n is the fraction of the releasable pool that is available,
released the cumulative fraction of the pool released since INITIAL.

Blocks:
  rates()     rate = krel (cai/cref)^4           (1/ms; krel = 1 /ms, cref = 0.01 mM)
  DERIVATIVE  n' = (1 - n)/trec - rate n         (trec = 500 ms)
              released' = rate n                 (cnexp: exact for n with rate frozen)
  BREAKPOINT  flux = rate n, the release rate (fraction of the pool per ms)
  INITIAL     n at its steady state for the resting cai, n = 1/(1 + rate trec);
              released = 0

Written for the ionc test fixtures from the published equations.
ENDCOMMENT

NEURON {
    SUFFIX ref_release
    USEION ca READ cai
    RANGE krel, cref, trec, rate, flux
}

UNITS {
    (mM) = (milli/liter)
}

PARAMETER {
    krel = 1 (/ms)
    cref = 0.01 (mM)
    trec = 500 (ms)
}

ASSIGNED {
    cai (mM)
    rate (/ms)
    flux (/ms)
}

STATE {
    n
    released
}

BREAKPOINT {
    SOLVE release METHOD cnexp
    flux = rate * n
}

INITIAL {
    rates(cai)
    n = 1 / (1 + rate * trec)
    released = 0
    flux = rate * n
}

DERIVATIVE release {
    rates(cai)
    n' = (1 - n) / trec - rate * n
    released' = rate * n
}

PROCEDURE rates(ca (mM)) {
    LOCAL x
    x = ca / cref
    rate = krel * x * x * x * x
}
