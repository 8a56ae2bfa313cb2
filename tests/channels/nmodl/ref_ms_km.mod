TITLE ref_ms_km: Mainen-Sejnowski slow, non-inactivating (M-type) potassium current

COMMENT
Source: Z. F. Mainen and T. J. Sejnowski (1996), Nature 382:363-366 (after
Gutfreund et al. 1995 and Mainen et al. 1995, Neuron 15:1427-1439).

Temperature: rates given at 23 degC, q10 = 2.3,
tadj = q10^((celsius - 23 degC)/10 degC), applied to the rates and, as in the
published model, to the conductance.

Blocks:
  BREAKPOINT  g = tadj gbar n,  ik = g (v - ek)
  rates()     rates in 1/ms, v in mV:
              alpha_n = 0.001 (v + 30) / (1 - exp(-(v + 30)/9))
              beta_n  = 0.001 (-v - 30) / (1 - exp((v + 30)/9))
              ninf = alpha_n/(alpha_n + beta_n), ntau = 1/(tadj (alpha_n + beta_n))
  DERIVATIVE  n' = (ninf - n)/ntau (cnexp)
  lexp()      y/(exp(y/s) - 1), guarded at y = 0 by its series:
              alpha_n = 0.001 lexp(-(v + 30), 9), beta_n = 0.001 lexp(v + 30, 9).

Written for the ionc test fixtures from the published equations.
ENDCOMMENT

NEURON {
    SUFFIX ref_ms_km
    USEION k READ ek WRITE ik
    RANGE gbar, q10, temp, tadj, g, i
    RANGE ninf, ntau
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
}

PARAMETER {
    gbar = 0.001 (S/cm2)
    q10 = 2.3 (1)
    temp = 23 (degC)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    ek (mV)
    ik (mA/cm2)
    i (mA/cm2)
    g (S/cm2)
    tadj (1)
    ninf (1)
    ntau (ms)
}

STATE {
    n
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    g = tadj * gbar * n
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
    tadj = q10 ^ ((celsius - temp) / (10 (degC)))
    a = (0.001 (/ms-mV)) * lexp(-(vm + 30 (mV)), 9 (mV))
    b = (0.001 (/ms-mV)) * lexp(vm + 30 (mV), 9 (mV))
    ninf = a / (a + b)
    ntau = 1 / (tadj * (a + b))
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
