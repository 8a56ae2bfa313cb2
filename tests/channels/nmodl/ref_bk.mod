TITLE ref_bk: large-conductance calcium- and voltage-activated potassium current (BK)

COMMENT
Source: E. Moczydlowski and R. Latorre (1983), J Gen Physiol 82:511-542,
"Gating kinetics of Ca2+-activated K+ channels from rat muscle incorporated
into planar lipid bilayers. Evidence for two voltage-dependent Ca2+ binding
reactions". Their two-state reduction: the channel opens at a rate set by a
voltage-dependent calcium binding and closes at a rate set by a second one,
each binding constant scaling with exp(-2 d F v/(R T)) (d: fraction of the
field the binding site senses, valence 2):
  k1(v) = k1 exp(-2 d1 F v/(R T)),  k2(v) = k2 exp(-2 d2 F v/(R T))
  alpha = abar / (1 + k1(v)/cai) = abar cai / (cai + k1(v))
  beta  = bbar / (1 + cai/k2(v)) = bbar k2(v) / (k2(v) + cai)
(the right-hand forms are safe at cai = 0), with their model parameters
d1 = 0.84, d2 = 1.0, k1 = 0.18 mM, k2 = 0.011 mM, abar = 0.48 /ms,
bbar = 0.28 /ms.

Temperature: T = celsius + 273.15 K enters the Boltzmann factors; no q10
(the bilayer rates are used as given, room temperature).

Blocks:
  BREAKPOINT  g = gbar o,  ik = g (v - ek)
  rates()     oinf = alpha/(alpha + beta), otau = 1/(alpha + beta)
  DERIVATIVE  o' = (oinf - o)/otau (cnexp)
  boltz()     exp(-2 d F v/(R T)) with v in mV

Written for the ionc test fixtures from the published equations.
ENDCOMMENT

NEURON {
    SUFFIX ref_bk
    USEION k READ ek WRITE ik
    USEION ca READ cai
    RANGE gbar, d1, d2, k1, k2, abar, bbar, g, i
    RANGE oinf, otau
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
    (mM) = (milli/liter)
    FARADAY = (faraday) (coulomb)
    R = (k-mole) (joule/degC)
}

PARAMETER {
    gbar = 0.01 (S/cm2)
    d1 = 0.84 (1)
    d2 = 1.0 (1)
    k1 = 0.18 (mM)
    k2 = 0.011 (mM)
    abar = 0.48 (/ms)
    bbar = 0.28 (/ms)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    cai (mM)
    ek (mV)
    ik (mA/cm2)
    i (mA/cm2)
    g (S/cm2)
    oinf (1)
    otau (ms)
}

STATE {
    o
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    g = gbar * o
    i = g * (v - ek)
    ik = i
}

INITIAL {
    rates(v, cai)
    o = oinf
}

DERIVATIVE states {
    rates(v, cai)
    o' = (oinf - o) / otau
}

PROCEDURE rates(vm (mV), ca (mM)) {
    LOCAL a, b, k1v, k2v
    k1v = k1 * boltz(vm, d1)
    k2v = k2 * boltz(vm, d2)
    a = abar * ca / (ca + k1v)
    b = bbar * k2v / (k2v + ca)
    oinf = a / (a + b)
    otau = 1 / (a + b)
}

FUNCTION boltz(vm (mV), d (1)) (1) {
    boltz = exp(-(0.001) * 2 * d * FARADAY * vm / (R * (celsius + 273.15 (degC))))
}
