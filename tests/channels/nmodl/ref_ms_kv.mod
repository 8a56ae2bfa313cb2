TITLE ref_ms_kv: Mainen-Sejnowski fast (delayed-rectifier) potassium current

COMMENT
Source: Z. F. Mainen and T. J. Sejnowski (1996), Nature 382:363-366 (kinetics
of Mainen et al. 1995, Neuron 15:1427-1439, after Sah et al. 1988 and Hamill
et al. 1991).

Temperature: rates given at 23 degC, q10 = 2.3,
tadj = q10^((celsius - 23 degC)/10 degC), applied to the rates and, as in the
published model, to the conductance.

Blocks:
  BREAKPOINT  g = tadj gbar n,  ik = g (v - ek)   (MS 1996: EK = -90 mV)
  rates()     rates in 1/ms, v in mV:
              alpha_n = 0.02 (v - 25) / (1 - exp(-(v - 25)/9))
              beta_n  = 0.002 (25 - v) / (1 - exp((v - 25)/9))
              ninf = alpha_n/(alpha_n + beta_n), ntau = 1/(tadj (alpha_n + beta_n))
  DERIVATIVE  n' = (ninf - n)/ntau (cnexp)
  lexp()      y/(exp(y/s) - 1), guarded at y = 0 by its series:
              alpha_n = 0.02 lexp(25 - v, 9), beta_n = 0.002 lexp(v - 25, 9).

Written for the ionc test fixtures from the published equations.
ENDCOMMENT

NEURON {
    SUFFIX ref_ms_kv
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
    gbar = 0.0005 (S/cm2)
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
    a = (0.02 (/ms-mV)) * lexp(25 (mV) - vm, 9 (mV))
    b = (0.002 (/ms-mV)) * lexp(vm - 25 (mV), 9 (mV))
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
