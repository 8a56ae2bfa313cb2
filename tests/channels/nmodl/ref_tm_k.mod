TITLE ref_tm_k: Traub-Miles delayed-rectifier potassium current

COMMENT
Source: R. D. Traub and R. Miles (1991), Neuronal Networks of the Hippocampus,
Cambridge University Press; in the form used for the HH benchmark of
R. Brette et al. (2007), J Comput Neurosci 23:349-398 (appendix B), voltages
relative to the threshold parameter vt (-63 mV).

Temperature: rates taken at 36 degC, q10 = 3,
tadj = q10^((celsius - 36 degC)/10 degC) (A. Destexhe and D. Pare (1999),
J Neurophysiol 81:1531-1547).

Blocks:
  BREAKPOINT  g = gbar n^4,  ik = g (v - ek)
  rates()     with x = v - vt (mV), rates in 1/ms:
              alpha_n = 0.032 (15 - x) / (exp((15 - x)/5) - 1)
              beta_n  = 0.5 exp((10 - x)/40)
              ninf = alpha_n/(alpha_n + beta_n), ntau = 1/(tadj (alpha_n + beta_n))
  DERIVATIVE  n' = (ninf - n)/ntau (cnexp)
  lexp()      y/(exp(y/s) - 1), guarded at y = 0 by its series (see ref_tm_na).

Written for the ionc test fixtures from the published equations.
ENDCOMMENT

NEURON {
    SUFFIX ref_tm_k
    USEION k READ ek WRITE ik
    RANGE gbar, vt, q10, temp, g, i
    RANGE ninf, ntau
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
}

PARAMETER {
    gbar = 0.03 (S/cm2)
    vt = -63 (mV)
    q10 = 3 (1)
    temp = 36 (degC)
}

ASSIGNED {
    v (mV)
    celsius (degC)
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
    LOCAL x, a, b, tadj
    tadj = q10 ^ ((celsius - temp) / (10 (degC)))
    x = vm - vt
    a = (0.032 (/ms-mV)) * lexp(15 (mV) - x, 5 (mV))
    b = (0.5 (/ms)) * exp((10 (mV) - x) / (40 (mV)))
    ninf = a / (a + b)
    ntau = 1 / (tadj * (a + b))
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
