TITLE ref_sk: small-conductance calcium-activated potassium current (SK)

COMMENT
Source: M. Koehler, B. Hirschberg, C. T. Bond, J. M. Kinzie, N. V. Marrion,
J. Maylie and J. P. Adelman (1996), Science 273:1709-1714, "Small-conductance,
calcium-activated potassium channels from mammalian brain": SK channels are
voltage-independent and gated by intracellular calcium with a steep Hill
dependence. The half-activation 0.43 uM, Hill coefficient 4.8 and a 1 ms
time constant are the values used by E. Hay et al. (2011), PLoS Comput Biol
7:e1002107.

Temperature: no temperature factor.

Blocks:
  BREAKPOINT  g = gbar z,  ik = g (v - ek)
  rates()     x = cai/kd (kd = 4.3e-4 mM), zinf = x^n / (1 + x^n) (n = 4.8),
              which is 1 / (1 + (kd/cai)^n) written so that cai = 0 is safe;
              ztau = 1 ms
  DERIVATIVE  z' = (zinf - z)/ztau (cnexp)

Written for the ionc test fixtures from the published equations.
ENDCOMMENT

NEURON {
    SUFFIX ref_sk
    USEION k READ ek WRITE ik
    USEION ca READ cai
    RANGE gbar, kd, hill, ztau, g, i
    RANGE zinf
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
    (mM) = (milli/liter)
}

PARAMETER {
    gbar = 1e-3 (S/cm2)
    kd = 4.3e-4 (mM)
    hill = 4.8 (1)
    ztau = 1 (ms)
}

ASSIGNED {
    v (mV)
    cai (mM)
    ek (mV)
    ik (mA/cm2)
    i (mA/cm2)
    g (S/cm2)
    zinf (1)
}

STATE {
    z
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    g = gbar * z
    i = g * (v - ek)
    ik = i
}

INITIAL {
    rates(cai)
    z = zinf
}

DERIVATIVE states {
    rates(cai)
    z' = (zinf - z) / ztau
}

PROCEDURE rates(ca (mM)) {
    LOCAL xn
    xn = (ca / kd) ^ hill
    zinf = xn / (1 + xn)
}
