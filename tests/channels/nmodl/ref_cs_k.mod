TITLE ref_cs_k: Connor-Stevens delayed-rectifier potassium current

COMMENT
Source: J. A. Connor, D. Walter and R. McKown (1977), Biophys J 18:81-102;
rates as printed in P. Dayan and L. F. Abbott (2001), Theoretical
Neuroscience, MIT Press, chapter 6.2.

Temperature: defined at 18 degC; no temperature scaling (none is given).

Blocks:
  BREAKPOINT  g = gbar n^4,  ik = g (v - ek)   (Dayan & Abbott: EK = -72 mV)
  rates()     rates in 1/ms, v in mV:
              alpha_n = 0.02 (v + 45.7) / (1 - exp(-0.1 (v + 45.7)))
              beta_n  = 0.25 exp(-0.0125 (v + 55.7))
              ninf = alpha_n/(alpha_n + beta_n), ntau = 1/(alpha_n + beta_n)
  DERIVATIVE  n' = (ninf - n)/ntau (cnexp)
  lexp()      y/(exp(y/s) - 1), guarded at y = 0 by its series;
              alpha_n = 0.02 lexp(-(v + 45.7), 10).

Written for the ionc test fixtures from the published equations.
ENDCOMMENT

NEURON {
    SUFFIX ref_cs_k
    USEION k READ ek WRITE ik
    RANGE gbar, g, i
    RANGE ninf, ntau
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
}

PARAMETER {
    gbar = 0.02 (S/cm2)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    i (mA/cm2)
    g (S/cm2)
    ninf (1)
    ntau (ms)
}

STATE {
    n
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    g = gbar * n * n * n * n
    i = g * (v - ek)
    ik = i
}

INITIAL {
    rates(v)
    n = ninf
}

DERIVATIVE states {
    rates(v)
    n' = (ninf - n) / ntau
}

PROCEDURE rates(vm (mV)) {
    LOCAL a, b
    a = (0.02 (/ms-mV)) * lexp(-(vm + 45.7 (mV)), 10 (mV))
    b = (0.25 (/ms)) * exp(-(0.0125 (/mV)) * (vm + 55.7 (mV)))
    ninf = a / (a + b)
    ntau = 1 / (a + b)
}

FUNCTION lexp(y (mV), s (mV)) (mV) {
    LOCAL u
    u = y / s
    if (fabs(u) < 1e-4) {
        lexp = s * (1 - u / 2 + u * u / 12)
    } else {
        lexp = y / (exp(u) - 1)
    }
}
