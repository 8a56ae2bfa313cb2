TITLE ref_ih: hyperpolarization-activated cation current (Ih)

COMMENT
Source: M. H. P. Kole, S. Hallermann and G. J. Stuart (2006), J Neurosci
26:1677-1687, "Single Ih channels in pyramidal neuron dendrites:
properties, distribution, and impact on action potential output"; the
rate functions as used by E. Hay et al. (2011), PLoS Comput Biol 7:e1002107.

Temperature: no temperature factor (the rates are used unscaled, as Hay et
al. 2011 use them in their 34 degC model).

Current: a nonspecific cation current with its own reversal potential,
ehcn = -45 mV (mixed Na/K permeability); it reads no ion.

Blocks:
  BREAKPOINT  g = gbar m,  i = g (v - ehcn)   (NONSPECIFIC_CURRENT i)
  rates()     rates in 1/ms, v in mV:
              alpha_m = 0.00643 (v + 154.9) / (exp((v + 154.9)/11.9) - 1)
              beta_m  = 0.193 exp(v/33.1)
              minf = alpha_m/(alpha_m + beta_m), mtau = 1/(alpha_m + beta_m)
  DERIVATIVE  m' = (minf - m)/mtau (cnexp)
  lexp()      y/(exp(y/s) - 1), guarded at y = 0 (v = -154.9 mV) by its series;
              alpha_m = 0.00643 lexp(v + 154.9, 11.9).

Written for the ionc test fixtures from the published equations.
ENDCOMMENT

NEURON {
    SUFFIX ref_ih
    NONSPECIFIC_CURRENT i
    RANGE gbar, ehcn, g
    RANGE minf, mtau
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
}

PARAMETER {
    gbar = 1e-4 (S/cm2)
    ehcn = -45 (mV)
}

ASSIGNED {
    v (mV)
    i (mA/cm2)
    g (S/cm2)
    minf (1)
    mtau (ms)
}

STATE {
    m
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    g = gbar * m
    i = g * (v - ehcn)
}

INITIAL {
    rates(v)
    m = minf
}

DERIVATIVE states {
    rates(v)
    m' = (minf - m) / mtau
}

PROCEDURE rates(vm (mV)) {
    LOCAL a, b
    a = (0.00643 (/ms-mV)) * lexp(vm + 154.9 (mV), 11.9 (mV))
    b = (0.193 (/ms)) * exp(vm / (33.1 (mV)))
    minf = a / (a + b)
    mtau = 1 / (a + b)
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
