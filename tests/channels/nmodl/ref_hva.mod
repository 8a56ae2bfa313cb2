TITLE ref_hva: high-voltage-activated calcium current (Reuveni et al. 1993)

COMMENT
Source: N. Reuveni, A. Friedman, Y. Amitai and M. J. Gutnick (1993),
J Neurosci 13:4609-4621, "Stepwise repolarization from Ca2+ plateaus in
neocortical pyramidal cells: evidence for nonhomogeneous distribution of
HVA Ca2+ channels in dendrites"; used in this form (no temperature factor,
Nernst reversal) by E. Hay, S. Hill, F. Schuermann, H. Markram and
I. Segev (2011), PLoS Comput Biol 7:e1002107.

Temperature: no temperature factor (Hay et al. 2011 use the rates as given
at their 34 degC). ref_ms_ca has the same rates with the q10 = 2.3 / 23 degC
scaling and a fixed reversal of Mainen & Sejnowski (1996).

Reversal: eca, read from the calcium ion. When a pool writes cai (for example
ref_ms_cad), NEURON recomputes eca = RT/(2F) ln(cao/cai) every step;
otherwise eca is whatever the cell sets.

Blocks:
  BREAKPOINT  g = gbar m^2 h,  ica = g (v - eca)
  rates()     rates in 1/ms, v in mV:
              alpha_m = 0.055 (-27 - v) / (exp((-27 - v)/3.8) - 1)
              beta_m  = 0.94 exp((-75 - v)/17)
              alpha_h = 0.000457 exp((-13 - v)/50)
              beta_h  = 0.0065 / (exp((-v - 15)/28) + 1)
              xinf = alpha/(alpha + beta), xtau = 1/(alpha + beta)
  DERIVATIVE  m' = (minf - m)/mtau, h' = (hinf - h)/htau (cnexp)
  lexp()      y/(exp(y/s) - 1), guarded at y = 0 by its series;
              alpha_m = 0.055 lexp(-27 - v, 3.8).

Written for the ionc test fixtures from the published equations.
ENDCOMMENT

NEURON {
    SUFFIX ref_hva
    USEION ca READ eca WRITE ica
    RANGE gbar, g, i
    RANGE minf, mtau, hinf, htau
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
}

PARAMETER {
    gbar = 1e-4 (S/cm2)
}

ASSIGNED {
    v (mV)
    eca (mV)
    ica (mA/cm2)
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
    g = gbar * m * m * h
    i = g * (v - eca)
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
    LOCAL a, b
    a = (0.055 (/ms-mV)) * lexp(-27 (mV) - vm, 3.8 (mV))
    b = (0.94 (/ms)) * exp((-75 (mV) - vm) / (17 (mV)))
    minf = a / (a + b)
    mtau = 1 / (a + b)
    a = (0.000457 (/ms)) * exp((-13 (mV) - vm) / (50 (mV)))
    b = (0.0065 (/ms)) / (exp((-vm - 15 (mV)) / (28 (mV))) + 1)
    hinf = a / (a + b)
    htau = 1 / (a + b)
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
