TITLE ref_ms_cad: Mainen-Sejnowski submembrane calcium pool

COMMENT
Source: Z. F. Mainen and T. J. Sejnowski (1996), Nature 382:363-366; the pool
is the one of A. Destexhe, A. Babloyantz and T. J. Sejnowski (1993),
Biophys J 65:1538-1552: calcium entering through the membrane fills a shell
of depth d under it and decays to a resting level with one time constant;
the pump does not run backwards (only inward current fills the shell).

Temperature: none (no rate here depends on celsius).

Blocks:
  BREAKPOINT  SOLVE pool (cnexp)
  DERIVATIVE  influx = -ica / (2 F d)   (mA/cm2 over C/mol and um: mM/ms
                                         with the factor 1e4 that modlunit checks)
              influx = max(influx, 0)
              cai' = influx + (cainf - cai)/taur
              d = 0.1 um, taur = 200 ms, cainf = 1e-4 mM (100 nM)
  INITIAL     cai = cainf
The pool writes cai (a STATE), so NEURON treats calcium as a concentration
state and recomputes eca from the Nernst equation for mechanisms reading it.

Written for the ionc test fixtures from the published equations.
ENDCOMMENT

NEURON {
    SUFFIX ref_ms_cad
    USEION ca READ ica WRITE cai
    RANGE depth, taur, cainf, influx
}

UNITS {
    (mA) = (milliamp)
    (mM) = (milli/liter)
    (um) = (micron)
    FARADAY = (faraday) (coulomb)
}

PARAMETER {
    depth = 0.1 (um)
    taur = 200 (ms)
    cainf = 1e-4 (mM)
}

ASSIGNED {
    ica (mA/cm2)
    influx (mM/ms)
}

STATE {
    cai (mM)
}

BREAKPOINT {
    SOLVE pool METHOD cnexp
}

INITIAL {
    cai = cainf
}

DERIVATIVE pool {
    influx = -(1e4) * ica / (2 * FARADAY * depth)
    if (influx < 0) {
        influx = 0
    }
    cai' = influx + (cainf - cai) / taur
}
