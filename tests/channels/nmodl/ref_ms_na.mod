TITLE ref_ms_na: Mainen-Sejnowski fast sodium current

COMMENT
Source: Z. F. Mainen and T. J. Sejnowski (1996), Nature 382:363-366,
"Influence of dendritic structure on firing pattern in model neocortical
neurons" (kinetics of Z. F. Mainen, J. Joerges, J. R. Huguenard and
T. J. Sejnowski (1995), Neuron 15:1427-1439, fitted to Huguenard et al. 1988
and Hamill et al. 1991).

Temperature: rates given at 23 degC, q10 = 2.3,
tadj = q10^((celsius - 23 degC)/10 degC). As in the published model, tadj
scales the conductance as well as the rates (MS 1996 run at 37 degC).

All rate functions are evaluated at v + vshift: the 1996 simulations set
vshift = -5 mV for sodium (the default here).

Blocks:
  BREAKPOINT  g = tadj gbar m^3 h,  ina = g (v - ena)   (MS 1996: ENa = 60 mV)
              (gbar in S/cm2: the paper's pS/um2 times 1e-4)
  rates()     u = v + vshift (mV), rates in 1/ms:
              alpha_m = 0.182 (u + 35) / (1 - exp(-(u + 35)/9))
              beta_m  = 0.124 (-u - 35) / (1 - exp((u + 35)/9))
              minf = alpha_m/(alpha_m + beta_m), mtau = 1/(tadj (alpha_m + beta_m))
              alpha_h = 0.024 (u + 50) / (1 - exp(-(u + 50)/5))
              beta_h  = 0.0091 (-u - 75) / (1 - exp((u + 75)/5))
              htau = 1/(tadj (alpha_h + beta_h))
              hinf = 1 / (1 + exp((u + 65)/6.2))   (its own Boltzmann, not alpha/(alpha+beta))
  DERIVATIVE  m' = (minf - m)/mtau, h' = (hinf - h)/htau (cnexp)
  lexp()      y/(exp(y/s) - 1), guarded at y = 0 by its series:
              alpha_m = 0.182 lexp(-(u + 35), 9), beta_m = 0.124 lexp(u + 35, 9), etc.

Written for the ionc test fixtures from the published equations.
ENDCOMMENT

NEURON {
    SUFFIX ref_ms_na
    USEION na READ ena WRITE ina
    RANGE gbar, vshift, q10, temp, tadj, g, i
    RANGE minf, mtau, hinf, htau
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
}

PARAMETER {
    gbar = 0.1 (S/cm2)
    vshift = -5 (mV)
    q10 = 2.3 (1)
    temp = 23 (degC)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    ena (mV)
    ina (mA/cm2)
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
    g = tadj * gbar * m * m * m * h
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
    LOCAL u, a, b
    tadj = q10 ^ ((celsius - temp) / (10 (degC)))
    u = vm + vshift
    a = (0.182 (/ms-mV)) * lexp(-(u + 35 (mV)), 9 (mV))
    b = (0.124 (/ms-mV)) * lexp(u + 35 (mV), 9 (mV))
    minf = a / (a + b)
    mtau = 1 / (tadj * (a + b))
    a = (0.024 (/ms-mV)) * lexp(-(u + 50 (mV)), 5 (mV))
    b = (0.0091 (/ms-mV)) * lexp(u + 75 (mV), 5 (mV))
    htau = 1 / (tadj * (a + b))
    hinf = 1 / (1 + exp((u + 65 (mV)) / (6.2 (mV))))
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
