TITLE ref_ms_kca: Mainen-Sejnowski calcium-activated potassium current

COMMENT
Source: Z. F. Mainen and T. J. Sejnowski (1996), Nature 382:363-366 (after
Reuveni et al. 1993, J Neurosci 13:4609-4621, based on Pennefather 1990).

Temperature: rates given at 23 degC, q10 = 2.3,
tadj = q10^((celsius - 23 degC)/10 degC), applied to the rates and, as in the
published model, to the conductance.

Blocks:
  BREAKPOINT  g = tadj gbar n,  ik = g (v - ek)
  rates()     calcium-dependent opening, voltage-independent closing,
              with cai in mM (the model's unit; Ra is per ms per mM):
              alpha_n = Ra cai,  Ra = 0.01 /ms/mM
              beta_n  = Rb,      Rb = 0.02 /ms
              ninf = alpha_n/(alpha_n + beta_n), ntau = 1/(tadj (alpha_n + beta_n))
  DERIVATIVE  n' = (ninf - n)/ntau (cnexp)

Written for the ionc test fixtures from the published equations.
ENDCOMMENT

NEURON {
    SUFFIX ref_ms_kca
    USEION k READ ek WRITE ik
    USEION ca READ cai
    RANGE gbar, ra, rb, q10, temp, tadj, g, i
    RANGE ninf, ntau
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
    (mM) = (milli/liter)
}

PARAMETER {
    gbar = 0.001 (S/cm2)
    ra = 0.01 (/ms-mM)
    rb = 0.02 (/ms)
    q10 = 2.3 (1)
    temp = 23 (degC)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    cai (mM)
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
    rates(cai)
    n = ninf
}

DERIVATIVE states {
    rates(cai)
    n' = (ninf - n) / ntau
}

PROCEDURE rates(ca (mM)) {
    LOCAL a
    tadj = q10 ^ ((celsius - temp) / (10 (degC)))
    a = ra * ca
    ninf = a / (a + rb)
    ntau = 1 / (tadj * (a + rb))
}
