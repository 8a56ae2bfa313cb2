TITLE ref_cs_na: Connor-Stevens fast sodium current

COMMENT
Source: J. A. Connor, D. Walter and R. McKown (1977), Biophys J 18:81-102,
"Neural repetitive firing: modifications of the Hodgkin-Huxley axon
suggested by experimental results from crustacean axons"; rates as printed
in P. Dayan and L. F. Abbott (2001), Theoretical Neuroscience, MIT Press,
chapter 6.2 (the "Connor-Stevens model").

Temperature: the model is defined at 18 degC; Dayan & Abbott give no
temperature scaling, so none is applied (the rates do not depend on celsius).

Blocks:
  BREAKPOINT  g = gbar m^3 h,  ina = g (v - ena)   (Dayan & Abbott: ENa = 55 mV)
  rates()     rates in 1/ms, v in mV:
              alpha_m = 0.38 (v + 29.7) / (1 - exp(-0.1 (v + 29.7)))
              beta_m  = 15.2 exp(-0.0556 (v + 54.7))
              alpha_h = 0.266 exp(-0.05 (v + 48))
              beta_h  = 3.8 / (1 + exp(-0.1 (v + 18)))
              xinf = alpha/(alpha + beta), xtau = 1/(alpha + beta)
  DERIVATIVE  m' = (minf - m)/mtau, h' = (hinf - h)/htau (cnexp)
  lexp()      y/(exp(y/s) - 1) with its 0/0 at y = 0 replaced by the series;
              alpha_m = 0.38 lexp(-(v + 29.7), 10).

Written for the ionc test fixtures from the published equations.
ENDCOMMENT

NEURON {
    SUFFIX ref_cs_na
    USEION na READ ena WRITE ina
    RANGE gbar, g, i
    RANGE minf, mtau, hinf, htau
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
}

PARAMETER {
    gbar = 0.12 (S/cm2)
}

ASSIGNED {
    v (mV)
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
    LOCAL a, b
    a = (0.38 (/ms-mV)) * lexp(-(vm + 29.7 (mV)), 10 (mV))
    b = (15.2 (/ms)) * exp(-(0.0556 (/mV)) * (vm + 54.7 (mV)))
    minf = a / (a + b)
    mtau = 1 / (a + b)
    a = (0.266 (/ms)) * exp(-(0.05 (/mV)) * (vm + 48 (mV)))
    b = (3.8 (/ms)) / (1 + exp(-(0.1 (/mV)) * (vm + 18 (mV))))
    hinf = a / (a + b)
    htau = 1 / (a + b)
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
