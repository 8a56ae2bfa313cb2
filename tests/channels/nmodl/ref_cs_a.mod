TITLE ref_cs_a: Connor-Stevens transient (A-type) potassium current

COMMENT
Source: J. A. Connor, D. Walter and R. McKown (1977), Biophys J 18:81-102;
steady states and time constants as printed in P. Dayan and L. F. Abbott
(2001), Theoretical Neuroscience, MIT Press, chapter 6.2.

Temperature: defined at 18 degC; no temperature scaling (none is given).

The A current has its own reversal potential in the model (EA = -75 mV,
while the delayed rectifier uses EK = -72 mV), so this mechanism writes ik
but uses its parameter ea instead of reading ek.

Blocks:
  BREAKPOINT  g = gbar a^3 b,  ik = g (v - ea)
  rates()     v in mV, times in ms:
              ainf = (0.0761 exp(0.0314 (v + 94.22)) / (1 + exp(0.0346 (v + 1.17))))^(1/3)
              atau = 0.3632 + 1.158 / (1 + exp(0.0497 (v + 55.96)))
              binf = (1 / (1 + exp(0.0688 (v + 53.3))))^4
              btau = 1.24 + 2.678 / (1 + exp(0.0624 (v + 50)))
  DERIVATIVE  a' = (ainf - a)/atau, b' = (binf - b)/btau (cnexp)

Written for the ionc test fixtures from the published equations.
ENDCOMMENT

NEURON {
    SUFFIX ref_cs_a
    USEION k WRITE ik
    RANGE gbar, ea, g, i
    RANGE ainf, atau, binf, btau
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
}

PARAMETER {
    gbar = 0.0477 (S/cm2)
    ea = -75 (mV)
}

ASSIGNED {
    v (mV)
    ik (mA/cm2)
    i (mA/cm2)
    g (S/cm2)
    ainf (1)
    atau (ms)
    binf (1)
    btau (ms)
}

STATE {
    a
    b
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    g = gbar * a * a * a * b
    i = g * (v - ea)
    ik = i
}

INITIAL {
    rates(v)
    a = ainf
    b = binf
}

DERIVATIVE states {
    rates(v)
    a' = (ainf - a) / atau
    b' = (binf - b) / btau
}

PROCEDURE rates(vm (mV)) {
    LOCAL x
    x = 0.0761 * exp((0.0314 (/mV)) * (vm + 94.22 (mV))) / (1 + exp((0.0346 (/mV)) * (vm + 1.17 (mV))))
    ainf = x ^ (1 / 3)
    atau = (0.3632 (ms)) + (1.158 (ms)) / (1 + exp((0.0497 (/mV)) * (vm + 55.96 (mV))))
    x = 1 / (1 + exp((0.0688 (/mV)) * (vm + 53.3 (mV))))
    binf = x * x * x * x
    btau = (1.24 (ms)) + (2.678 (ms)) / (1 + exp((0.0624 (/mV)) * (vm + 50 (mV))))
}
