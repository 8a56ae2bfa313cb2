TITLE ref_cat: Destexhe low-threshold (T-type) calcium current, GHK permeability

COMMENT
Source: A. Destexhe, M. Neubig, D. Ulrich and J. Huguenard (1998),
J Neurosci 18:3574-3588, "Dendritic low-threshold calcium currents in
thalamic relay cells"; steady states and time constants from
J. R. Huguenard and D. A. McCormick (1992), J Neurophysiol 68:1373-1383.

Temperature: steady states and time constants are given at 24 degC; the
time constants scale with q10 = 5 (m) and q10 = 3 (h) (Coulter et al. 1989),
phi_m = 5^((celsius - 24 degC)/10 degC), phi_h = 3^((celsius - 24 degC)/10 degC).
All voltages enter shifted by shift = +2 mV (screening charge, Destexhe 1998).

Current: Goldman-Hodgkin-Katz flux with a permeability,
  ica = pbar m^2 h G(v, cai, cao),
  G = z F [cai x(u) - cao x(-u)],  u = z F v/(R T),  x(u) = u/(1 - exp(-u)),
  z = 2, T = celsius + 273.15 K. At v = 0, G = z F (cai - cao) (the limit);
  x() is replaced by its series 1 + u/2 + u^2/12 for |u| < 1e-4.
  Units: pbar cm/s, concentrations mM, G in mC/cm3, ica in mA/cm2.

Blocks:
  BREAKPOINT  ica = pbar m^2 h ghk(v, cai, cao)
  rates()     w = v + shift (mV), times in ms:
              minf = 1 / (1 + exp(-(w + 57)/6.2))
              hinf = 1 / (1 + exp((w + 81)/4))
              mtau = (0.612 + 1 / (exp(-(w + 132)/16.7) + exp((w + 16.8)/18.2))) / phi_m
              htau = exp((w + 467)/66.6) / phi_h            if w < -80 mV
                     (28 + exp(-(w + 22)/10.5)) / phi_h      otherwise
  DERIVATIVE  m' = (minf - m)/mtau, h' = (hinf - h)/htau (cnexp)
  ghk(), xrel()  the GHK factor and its guarded x(u).

Written for the ionc test fixtures from the published equations.
ENDCOMMENT

NEURON {
    SUFFIX ref_cat
    USEION ca READ cai, cao WRITE ica
    RANGE pbar, shift, qm, qh, temp, i
    RANGE minf, mtau, hinf, htau
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (mM) = (milli/liter)
    (mC) = (millicoulomb)
    FARADAY = (faraday) (coulomb)
    R = (k-mole) (joule/degC)
}

PARAMETER {
    pbar = 2e-4 (cm/s)
    shift = 2 (mV)
    qm = 5 (1)
    qh = 3 (1)
    temp = 24 (degC)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    cai (mM)
    cao (mM)
    ica (mA/cm2)
    i (mA/cm2)
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
    i = pbar * m * m * h * ghk(v, cai, cao)
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
    LOCAL w, phim, phih
    phim = qm ^ ((celsius - temp) / (10 (degC)))
    phih = qh ^ ((celsius - temp) / (10 (degC)))
    w = vm + shift
    minf = 1 / (1 + exp(-(w + 57 (mV)) / (6.2 (mV))))
    hinf = 1 / (1 + exp((w + 81 (mV)) / (4 (mV))))
    mtau = ((0.612 (ms)) + (1 (ms)) / (exp(-(w + 132 (mV)) / (16.7 (mV))) + exp((w + 16.8 (mV)) / (18.2 (mV))))) / phim
    if (w < -80 (mV)) {
        htau = (1 (ms)) * exp((w + 467 (mV)) / (66.6 (mV))) / phih
    } else {
        htau = ((28 (ms)) + (1 (ms)) * exp(-(w + 22 (mV)) / (10.5 (mV)))) / phih
    }
}

FUNCTION ghk(vm (mV), ci (mM), co (mM)) (mC/cm3) {
    LOCAL u
    u = (0.001) * 2 * FARADAY * vm / (R * (celsius + 273.15 (degC)))
    ghk = (0.001) * 2 * FARADAY * (ci * xrel(u) - co * xrel(-u))
}

FUNCTION xrel(u) {
    if (fabs(u) < 1e-4) {
        xrel = 1 + u / 2 + u * u / 12
    } else {
        xrel = u / (1 - exp(-u))
    }
}
