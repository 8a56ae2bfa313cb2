TITLE ref_na_markov: 13-state Markov sodium channel with resurgent current

COMMENT
Source: the allosteric sodium channel scheme of C.-C. Kuo and B. P. Bean
(1994), Neuron 12:819-829, with the open-channel blocked state of
I. M. Raman and B. P. Bean (2001), Biophys J 80:729-737; rate constants of
Z. M. Khaliq, N. W. Gouwens and I. M. Raman (2003), J Neurosci 23:4899-4912
(cerebellar Purkinje cell model).

States (fractions of channels): closed C1..C5, open O, blocked B,
inactivated I1..I6. Activation moves four voltage sensors (C1 -> C5), the
pore opens (C5 -> O); inactivation binds from every closed state and from O,
and is stronger the more sensors have moved (allosteric factors a, b).

Rates (1/ms, v in mV) at 22 degC:
  alpha = 150 exp(v/20)      beta  = 3 exp(-v/20)
  gamma = 150                delta = 40
  epsilon = 1.75             zeta  = 0.03 exp(-v/25)
  Con = 0.005  Coff = 0.5  Oon = 0.75  Ooff = 0.005
  a = (Oon/Con)^(1/4),  b = (Ooff/Coff)^(1/4)
Temperature: every rate is multiplied by qt = q10^((celsius - 22 degC)/10 degC),
q10 = 3 (Khaliq et al. 2003).

Scheme (KINETIC kin, forward and backward rates):
  C1 <-> C2  (4 alpha, beta)       I1 <-> I2  (4 alpha a, beta/b)
  C2 <-> C3  (3 alpha, 2 beta)     I2 <-> I3  (3 alpha a, 2 beta/b)
  C3 <-> C4  (2 alpha, 3 beta)     I3 <-> I4  (2 alpha a, 3 beta/b)
  C4 <-> C5  (alpha, 4 beta)       I4 <-> I5  (alpha a, 4 beta/b)
  C5 <-> O   (gamma, delta)        I5 <-> I6  (gamma, delta)
  O  <-> B   (epsilon, zeta)
  C1 <-> I1  (Con, Coff)           C2 <-> I2  (Con a, Coff/b)
  C3 <-> I3  (Con a^2, Coff/b^2)   C4 <-> I4  (Con a^3, Coff/b^3)
  C5 <-> I5  (Con a^4, Coff/b^4)   O  <-> I6  (Oon, Ooff)
  CONSERVE: the 13 occupancies sum to 1.

Blocks:
  BREAKPOINT  SOLVE kin METHOD sparse (backward Euler, v frozen over the step);
              g = gbar O,  ina = g (v - ena)
  INITIAL     SOLVE kin STEADYSTATE sparse (the steady state at v_init)
  rates()     the voltage-dependent rates above, times qt

Written for the ionc test fixtures from the published equations.
ENDCOMMENT

NEURON {
    SUFFIX ref_na_markov
    USEION na READ ena WRITE ina
    RANGE gbar, q10, temp, g, i
    RANGE alpha0, beta0, gamma0, delta0, eps0, zeta0, xalpha, xbeta, xzeta
    RANGE con, coff, oon, ooff
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
}

PARAMETER {
    gbar = 0.015 (S/cm2)
    alpha0 = 150 (/ms)
    xalpha = 20 (mV)
    beta0 = 3 (/ms)
    xbeta = -20 (mV)
    gamma0 = 150 (/ms)
    delta0 = 40 (/ms)
    eps0 = 1.75 (/ms)
    zeta0 = 0.03 (/ms)
    xzeta = -25 (mV)
    con = 0.005 (/ms)
    coff = 0.5 (/ms)
    oon = 0.75 (/ms)
    ooff = 0.005 (/ms)
    q10 = 3 (1)
    temp = 22 (degC)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    ena (mV)
    ina (mA/cm2)
    i (mA/cm2)
    g (S/cm2)
    fa (/ms)
    fb (/ms)
    fg (/ms)
    fd (/ms)
    fe (/ms)
    fz (/ms)
    fcon (/ms)
    fcoff (/ms)
    foon (/ms)
    fooff (/ms)
    aa (1)
    bb (1)
}

STATE {
    C1
    C2
    C3
    C4
    C5
    O
    B
    I1
    I2
    I3
    I4
    I5
    I6
}

BREAKPOINT {
    SOLVE kin METHOD sparse
    g = gbar * O
    i = g * (v - ena)
    ina = i
}

INITIAL {
    SOLVE kin STEADYSTATE sparse
}

KINETIC kin {
    rates(v)
    ~ C1 <-> C2 (4 * fa, fb)
    ~ C2 <-> C3 (3 * fa, 2 * fb)
    ~ C3 <-> C4 (2 * fa, 3 * fb)
    ~ C4 <-> C5 (fa, 4 * fb)
    ~ C5 <-> O (fg, fd)
    ~ O <-> B (fe, fz)
    ~ I1 <-> I2 (4 * fa * aa, fb / bb)
    ~ I2 <-> I3 (3 * fa * aa, 2 * fb / bb)
    ~ I3 <-> I4 (2 * fa * aa, 3 * fb / bb)
    ~ I4 <-> I5 (fa * aa, 4 * fb / bb)
    ~ I5 <-> I6 (fg, fd)
    ~ C1 <-> I1 (fcon, fcoff)
    ~ C2 <-> I2 (fcon * aa, fcoff / bb)
    ~ C3 <-> I3 (fcon * aa ^ 2, fcoff / bb ^ 2)
    ~ C4 <-> I4 (fcon * aa ^ 3, fcoff / bb ^ 3)
    ~ C5 <-> I5 (fcon * aa ^ 4, fcoff / bb ^ 4)
    ~ O <-> I6 (foon, fooff)
    CONSERVE C1 + C2 + C3 + C4 + C5 + O + B + I1 + I2 + I3 + I4 + I5 + I6 = 1
}

PROCEDURE rates(vm (mV)) {
    LOCAL qt
    qt = q10 ^ ((celsius - temp) / (10 (degC)))
    aa = (oon / con) ^ 0.25
    bb = (ooff / coff) ^ 0.25
    fa = qt * alpha0 * exp(vm / xalpha)
    fb = qt * beta0 * exp(vm / xbeta)
    fg = qt * gamma0
    fd = qt * delta0
    fe = qt * eps0
    fz = qt * zeta0 * exp(vm / xzeta)
    fcon = qt * con
    fcoff = qt * coff
    foon = qt * oon
    fooff = qt * ooff
}
