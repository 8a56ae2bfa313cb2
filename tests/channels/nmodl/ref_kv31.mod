TITLE ref_kv31: Kv3.1 fast delayed-rectifier potassium current

COMMENT
Source: J. Rettig, F. Wunder, M. Stocker, R. Lichtinghagen, F. Mastiaux,
S. Beckh, W. Kues, P. Pedarzani, K. H. Schroeter, J. P. Ruppersberg,
R. Veh and O. Pongs (1992), EMBO J 11:2473-2486, "Characterization of a
Shaw-related potassium channel family in rat brain"; the Boltzmann
activation and its time constant as fitted by E. Hay et al. (2011),
PLoS Comput Biol 7:e1002107 (their SKv3_1).

Temperature: no temperature factor (used as given, at the 34 degC of
Hay et al. 2011).

Blocks:
  BREAKPOINT  g = gbar m,  ik = g (v - ek)
  rates()     v in mV:
              minf = 1 / (1 + exp(-(v - 18.7)/9.7))
              mtau = 4 ms / (1 + exp(-(v + 46.56)/44.14))
  DERIVATIVE  m' = (minf - m)/mtau (cnexp)

Written for the ionc test fixtures from the published equations.
ENDCOMMENT

NEURON {
    SUFFIX ref_kv31
    USEION k READ ek WRITE ik
    RANGE gbar, g, i
    RANGE minf, mtau
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
}

PARAMETER {
    gbar = 0.01 (S/cm2)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
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
    i = g * (v - ek)
    ik = i
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
    minf = 1 / (1 + exp(-(vm - 18.7 (mV)) / (9.7 (mV))))
    mtau = (4 (ms)) / (1 + exp(-(vm + 46.56 (mV)) / (44.14 (mV))))
}
