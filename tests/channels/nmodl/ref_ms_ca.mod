TITLE ref_ms_ca: Mainen-Sejnowski high-voltage-activated calcium current

COMMENT
Source: Z. F. Mainen and T. J. Sejnowski (1996), Nature 382:363-366; the
HVA kinetics are those of N. Reuveni, A. Friedman, Y. Amitai and
M. J. Gutnick (1993), J Neurosci 13:4609-4621.

Temperature: rates given at 23 degC, q10 = 2.3,
tadj = q10^((celsius - 23 degC)/10 degC), applied to the rates and, as in the
published model, to the conductance.

Reversal: the 1996 model uses a fixed calcium reversal potential of 140 mV
(not the Nernst potential of the pool's cai), so this mechanism uses its
parameter erev and does not read eca. It writes ica, which ref_ms_cad reads.

Blocks:
  BREAKPOINT  g = tadj gbar m^2 h,  ica = g (v - erev)
  rates()     u = v + vshift (mV, vshift = 0), rates in 1/ms:
              alpha_m = 0.055 (-27 - u) / (exp((-27 - u)/3.8) - 1)
              beta_m  = 0.94 exp((-75 - u)/17)
              alpha_h = 0.000457 exp((-13 - u)/50)
              beta_h  = 0.0065 / (exp((-u - 15)/28) + 1)
              xinf = alpha/(alpha + beta), xtau = 1/(tadj (alpha + beta))
  DERIVATIVE  m' = (minf - m)/mtau, h' = (hinf - h)/htau (cnexp)
  lexp()      y/(exp(y/s) - 1), guarded at y = 0 by its series;
              alpha_m = 0.055 lexp(-27 - u, 3.8).

Written for the ionc test fixtures from the published equations.
ENDCOMMENT

NEURON {
    SUFFIX ref_ms_ca
    USEION ca WRITE ica
    RANGE gbar, erev, vshift, q10, temp, tadj, g, i
    RANGE minf, mtau, hinf, htau
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
}

PARAMETER {
    gbar = 1e-5 (S/cm2)
    erev = 140 (mV)
    vshift = 0 (mV)
    q10 = 2.3 (1)
    temp = 23 (degC)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    ica (mA/cm2)
    i (mA/cm2)
    g (S/cm2)
    tadj (1)
    minf (1)
    mtau (ms)
    hinf (1)
    htau (ms)
}

STATE {
    m
    h
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    g = tadj * gbar * m * m * h
    i = g * (v - erev)
    ica = i
}

INITIAL {
    rates(v)
    m = minf
    h = hinf
}

DERIVATIVE states {
    rates(v)
    m' = (minf - m) / mtau
    h' = (hinf - h) / htau
}

PROCEDURE rates(vm (mV)) {
    LOCAL u, a, b
    tadj = q10 ^ ((celsius - temp) / (10 (degC)))
    u = vm + vshift
    a = (0.055 (/ms-mV)) * lexp(-27 (mV) - u, 3.8 (mV))
    b = (0.94 (/ms)) * exp((-75 (mV) - u) / (17 (mV)))
    minf = a / (a + b)
    mtau = 1 / (tadj * (a + b))
    a = (0.000457 (/ms)) * exp((-13 (mV) - u) / (50 (mV)))
    b = (0.0065 (/ms)) / (exp((-u - 15 (mV)) / (28 (mV))) + 1)
    hinf = a / (a + b)
    htau = 1 / (tadj * (a + b))
}

FUNCTION lexp(y (mV), s (mV)) (mV) {
    LOCAL w
    w = y / s
    if (fabs(w) < 1e-4) {
        lexp = s * (1 - w / 2 + w * w / 12)
    } else {
        lexp = y / (exp(w) - 1)
    }
}
