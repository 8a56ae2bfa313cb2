TITLE ref_tm_na: Traub-Miles fast sodium current

COMMENT
Source: R. D. Traub and R. Miles (1991), Neuronal Networks of the Hippocampus,
Cambridge University Press; in the form used for the HH benchmark of
R. Brette et al. (2007), J Comput Neurosci 23:349-398 (appendix B), where all
voltages enter relative to a threshold parameter vt (-63 mV).

Temperature: the rates are taken at 36 degC and scaled with q10 = 3,
tadj = q10^((celsius - 36 degC)/10 degC), the convention of A. Destexhe and
D. Pare (1999), J Neurophysiol 81:1531-1547. At celsius = 36 this is the
benchmark model exactly.

Blocks:
  BREAKPOINT  g = gbar m^3 h,  ina = g (v - ena)
  rates()     with x = v - vt (mV) and rates in 1/ms:
              alpha_m = 0.32 (13 - x) / (exp((13 - x)/4) - 1)
              beta_m  = 0.28 (x - 40) / (exp((x - 40)/5) - 1)
              alpha_h = 0.128 exp((17 - x)/18)
              beta_h  = 4 / (1 + exp((40 - x)/5))
              minf = alpha_m/(alpha_m + beta_m), mtau = 1/(tadj (alpha_m + beta_m)),
              the same for h.
  DERIVATIVE  m' = (minf - m)/mtau, h' = (hinf - h)/htau (cnexp)
  lexp()      y/(exp(y/s) - 1), its 0/0 at y = 0 replaced by the series
              s (1 - u/2 + u^2/12), u = y/s, for |u| < 1e-4.

Written for the ionc test fixtures from the published equations.
ENDCOMMENT

NEURON {
    SUFFIX ref_tm_na
    USEION na READ ena WRITE ina
    RANGE gbar, vt, q10, temp, g, i
    RANGE minf, mtau, hinf, htau
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
}

PARAMETER {
    gbar = 0.1 (S/cm2)
    vt = -63 (mV)
    q10 = 3 (1)
    temp = 36 (degC)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    ena (mV)
    ina (mA/cm2)
    i (mA/cm2)
    g (S/cm2)
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
    g = gbar * m * m * m * h
    i = g * (v - ena)
    ina = i
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
    LOCAL x, a, b, tadj
    tadj = q10 ^ ((celsius - temp) / (10 (degC)))
    x = vm - vt
    a = (0.32 (/ms-mV)) * lexp(13 (mV) - x, 4 (mV))
    b = (0.28 (/ms-mV)) * lexp(x - 40 (mV), 5 (mV))
    minf = a / (a + b)
    mtau = 1 / (tadj * (a + b))
    a = (0.128 (/ms)) * exp((17 (mV) - x) / (18 (mV)))
    b = (4 (/ms)) / (1 + exp((40 (mV) - x) / (5 (mV))))
    hinf = a / (a + b)
    htau = 1 / (tadj * (a + b))
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
