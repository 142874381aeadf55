"""Numba CPU kernels of the affine neuron class (see :mod:`spikeplug.fused`).

Imported by :mod:`spikeplug.fused` the first time a fused kernel runs, never by
``import spikeplug``: importing this module imports numba. Compiled functions are cached
on disk (``cache=True``), so only the first process on a machine pays the compilation
(a few seconds per dtype and direction).

Layout: time-major ``(T, N)`` arrays, ``N`` the neurons of one step (batch included),
cut into blocks of ``chunk`` neurons. A call runs the blocks ``c0 <= c < c1``; each block
walks the whole sequence, so its state stays in cache and the inner loop over the block's
neurons is contiguous and vectorises. :mod:`spikeplug.fused` runs disjoint block ranges
in threads (the kernels release the GIL) rather than using numba's ``parallel=True``:
that more than doubled the first compilation (about 50 s against 20 s here) and adds
numba's own threading layer (OpenMP or workqueue) beside torch's.

The structural switches of a family (``synaptic``, ``leaky``...) are loop-invariant;
every candidate value is computed and then chosen, so the choices compile to blends and
one compiled kernel per dtype serves every family of the class. ``fastmath`` stays off:
the forward repeats the eager step's floating-point operations in the same order, so
its values are bit-identical.

One step, for neuron ``n`` (the rows of ``coef`` are :data:`A` ... :data:`ALPHA`)::

    u   = i + x                  (synaptic; else u = x)
    i'  = u − b·u                (synaptic)
    w   = u + v_leak, e = 0      (leak_in_drive; otherwise w = u, e = v_leak)
    d   = v + a·((e − v) + w)    (leaky; else d = v + w)      pre-reset voltage, saved
    z   = Θ(d − v_th)            (spiking)
    v'  = d − z·v_th  or  (1 − z)·d + z·v_reset     (spiking: the eager step's arithmetic,
                                                    which differs from a choice at d = ±inf)
    out = z (spiking) or d
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["forward", "backward", "A", "B", "V_LEAK", "V_TH", "V_RESET", "ALPHA", "ROWS"]

# rows of the coefficient array
A, B, V_LEAK, V_TH, V_RESET, ALPHA = range(6)
ROWS = 6

# surrogate method codes (spikeplug.fused.METHOD_CODES)
HEAVISIDE, SUPER, TRIANGLE, TANH, CIRC, HEAVI_ERFC = range(6)

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

# nogil: spikeplug.fused runs blocks of neurons in threads; error_model="numpy": no
# ZeroDivisionError branch in the divisions, so they vectorise
_JIT = {"cache": True, "fastmath": False, "nogil": True, "error_model": "numpy"}


@njit(**_JIT)
def _block_rows(coef, lo, hi):
    """The coefficients of neurons ``lo..hi-1``: ``coef`` is (ROWS, N), or (ROWS, 1) when
    every neuron shares them (then copied out once per block, not read from N columns)."""
    rows = np.empty((ROWS, hi - lo), coef.dtype)
    if coef.shape[1] == 1:
        for r in range(ROWS):
            rows[r, :] = coef[r, 0]
    else:
        rows[:, :] = coef[:, lo:hi]
    return rows


@njit(**_JIT)
def forward(
    x, v0, i0, coef, synaptic, leaky, leak_in_drive, spiking, subtract, out, v_out, i_out, d_out, w_out, chunk, c0, c1
):
    """Run ``T`` steps of blocks ``c0..c1-1``. Writes the outputs ``out`` (T, N), the final ``v_out``/``i_out``
    (N), and, when their first dimension is ``T``, the pre-reset voltages ``d_out`` and the
    drives ``w_out`` (else their single row is scratch)."""
    T, N = x.shape
    sd = 1 if d_out.shape[0] == T else 0
    sw = 1 if w_out.shape[0] == T else 0
    zero = np.zeros(1, x.dtype)[0]
    one = np.ones(1, x.dtype)[0]
    for c in range(c0, c1):
        lo = c * chunk
        hi = min(N, lo + chunk)
        m = hi - lo
        v = v0[lo:hi].copy()                                   # (m,) state of this block
        i = np.zeros(m, x.dtype)
        if synaptic:
            i[:] = i0[lo:hi]
        rows = _block_rows(coef, lo, hi)                        # (ROWS, m)
        a, b, vl, vth, vr = rows[A], rows[B], rows[V_LEAK], rows[V_TH], rows[V_RESET]
        for t in range(T):
            x_t = x[t, lo:hi]
            o_t = out[t, lo:hi]
            d_t = d_out[t * sd, lo:hi]
            w_t = w_out[t * sw, lo:hi]
            for k in range(m):
                # every load first: the choices below then compile to blends, not branches
                xk, ik, vk = x_t[k], i[k], v[k]
                ak, bk, vlk, vthk, vrk = a[k], b[k], vl[k], vth[k], vr[k]
                # every value is computed, then chosen: loop-invariant choices vectorise
                u_syn = ik + xk
                u = u_syn if synaptic else xk                   # input jump
                i_dec = u - bk * u
                i[k] = i_dec if synaptic else zero              # synaptic decay
                w_in = u + vlk
                w = w_in if leak_in_drive else u
                e = zero if leak_in_drive else vlk
                d_leak = vk + ak * ((e - vk) + w)
                d_int = vk + w
                d = d_leak if leaky else d_int
                z = spiking & (d - vthk > zero)                  # strict threshold
                zf = one if z else zero
                o_t[k] = zf if spiking else d
                # the reset in the eager step's arithmetic, not a choice between d and
                # v_reset: at d = ±inf or NaN the two differ (0·inf = NaN silences the
                # neuron in eager), and the eager loop is the reference
                v_sub = d - zf * vthk
                v_val = (one - zf) * d + zf * vrk
                v_spk = v_sub if subtract else v_val
                v[k] = v_spk if spiking else d
                d_t[k] = d
                w_t[k] = w
        v_out[lo:hi] = v
        if synaptic:
            i_out[lo:hi] = i


@njit(inline="always", cache=True, fastmath=False, error_model="numpy")
def _adjoint_step(dk, lv, li, gok, sk, ak, bk, vthk, vrk, leaky, spiking, subtract, synaptic, detach, zero, one):
    """One neuron, one step back: from dL/dv', dL/di' (``lv``, ``li``) and the output's
    gradient ``gok`` to ``(dL/dd, dL/dz·s, dL/dv, dL/di, dL/dx)``. Every candidate value is
    computed, then chosen, so the choices compile to blends, not branches."""
    z = spiking & (dk - vthk > zero)
    zf = one if z else zero
    # reset v' = d − z·v_th (subtract) or (1 − z)·d + z·v_reset (value)
    dv_dz_sub = -vthk
    dv_dz_val = vrk - dk
    dv_dz = dv_dz_sub if subtract else dv_dz_val
    gz_reset = lv * dv_dz
    gz = gok + (zero if detach else gz_reset)                  # total gradient reaching z
    gd_val = lv * (one - zf)
    gd_fixed = lv if subtract else gd_val                      # through d at fixed z
    gd_spk = gd_fixed + gz * sk
    gd_out = lv + gok
    gd = gd_spk if spiking else gd_out
    # membrane d = v + a·((e − v) + w)  or  d = v + w
    gw_leak = gd * ak
    gw = gw_leak if leaky else gd
    lv_leak = gd - gd * ak
    lv_new = lv_leak if leaky else gd
    # synapse u = i + x, i' = u − b·u
    gu_syn = gw + (li - li * bk)
    gu = gu_syn if synaptic else gw
    li_new = gu if synaptic else zero
    return gd, gz * sk, lv_new, li_new, gu


@njit(**_JIT)
def backward(
    g_out, g_v, g_i, d, w, v0, coef, synaptic, leaky, leak_in_drive, spiking, subtract, detach, method,
    no_g_v, no_g_i, g_x, g_v0, g_i0, g_coef, chunk, c0, c1,
):
    """Reverse-time adjoint of :func:`forward` (blocks ``c0..c1-1``) from the saved
    pre-reset voltages ``d``.

    ``g_out`` is (T, N) or one row (1, N) that holds for every step; ``g_v``/``g_i`` are
    the gradients of the final state; ``no_g_v``/``no_g_i`` say that nobody used that
    final state (its gradient is absent, not zero: eager autograd then adds nothing
    through the last step's reset or decay, where ``0 · ±inf`` would give NaN). Writes
    ``g_x`` (T, N), ``g_v0``/``g_i0`` (N) and,
    when ``g_coef`` has :data:`ROWS` rows, the coefficient gradients per neuron (ROWS, N)
    (which need the drives ``w`` of every step; otherwise ``w`` is one row of scratch).
    """
    T, N = d.shape
    so = 1 if g_out.shape[0] == T else 0
    sw = 1 if w.shape[0] == T else 0
    want_coef = g_coef.shape[0] == ROWS
    zero = np.zeros(1, d.dtype)[0]
    one = np.ones(1, d.dtype)[0]
    c_erfc = np.full(1, _TWO_OVER_SQRT_PI, d.dtype)[0]
    for c in range(c0, c1):
        lo = c * chunk
        hi = min(N, lo + chunk)
        m = hi - lo
        lam_v = g_v[lo:hi].copy()                              # dL/dv after step t
        lam_i = np.zeros(m, d.dtype)                           # dL/di after step t
        if synaptic:
            lam_i[:] = g_i[lo:hi]
        s = np.zeros(m, d.dtype)                               # surrogate dz/dd of step t
        # per-step terms and sums for the coefficient gradients (empty unless wanted)
        mc = m if want_coef else 0
        gd_k = np.empty(mc, d.dtype)
        gzs_k = np.empty(mc, d.dtype)
        lv_k = np.empty(mc, d.dtype)
        li_k = np.empty(mc, d.dtype)
        v_prev = np.empty(mc, d.dtype)
        g_a = np.zeros(mc, d.dtype)
        g_b = np.zeros(mc, d.dtype)
        g_vl = np.zeros(mc, d.dtype)
        g_th = np.zeros(mc, d.dtype)
        g_vr = np.zeros(mc, d.dtype)
        rows = _block_rows(coef, lo, hi)                        # (ROWS, m)
        a, b, vl, vth, vr, al = rows[A], rows[B], rows[V_LEAK], rows[V_TH], rows[V_RESET], rows[ALPHA]
        for t in range(T - 1, -1, -1):
            # no gradient reaches z through v' (as in eager, where it is absent rather than
            # zero, so 0 · (v_reset − d) at d = ±inf adds no NaN): a detached reset,
            # heaviside spikes (no gradient at all), or an unused final v at the last step
            last = t == T - 1
            det = detach or method == HEAVISIDE or (last and no_g_v)
            d_t = d[t, lo:hi]
            go = g_out[t * so, lo:hi]
            gx = g_x[t, lo:hi]
            # the surrogate, one vectorisable loop per method (the branch is outside it)
            if spiking:
                if method == SUPER:
                    for k in range(m):
                        q = al[k] * abs(d_t[k] - vth[k]) + one
                        s[k] = one / (q * q)
                elif method == TRIANGLE:
                    for k in range(m):
                        s[k] = al[k] * max(one - abs(d_t[k] - vth[k]), zero)
                elif method == TANH:
                    for k in range(m):
                        th = np.tanh(al[k] * (d_t[k] - vth[k]))
                        s[k] = one - th * th
                elif method == CIRC:
                    for k in range(m):
                        xk = d_t[k] - vth[k]
                        a2 = al[k] * al[k]
                        q = a2 + xk * xk
                        s[k] = a2 * al[k] / (q * np.sqrt(q))             # α³ / (α² + x²)^{3/2}
                elif method == HEAVI_ERFC:
                    for k in range(m):
                        ax = al[k] * (d_t[k] - vth[k])
                        s[k] = c_erfc * np.exp(-(ax * ax))
            if want_coef:
                for k in range(m):
                    lv, li = lam_v[k], lam_i[k]
                    gd, gzs, lam_v[k], lam_i[k], gx[k] = _adjoint_step(
                        d_t[k], lv, li, go[k], s[k], a[k], b[k], vth[k], vr[k],
                        leaky, spiking, subtract, synaptic, det, zero, one,
                    )
                    gd_k[k], gzs_k[k], lv_k[k], li_k[k] = gd, gzs, lv, li
            else:
                for k in range(m):
                    _, _, lam_v[k], lam_i[k], gx[k] = _adjoint_step(
                        d_t[k], lam_v[k], lam_i[k], go[k], s[k], a[k], b[k], vth[k], vr[k],
                        leaky, spiking, subtract, synaptic, det, zero, one,
                    )
            if want_coef:
                w_t = w[t * sw, lo:hi]
                decay = synaptic and not (last and no_g_i)      # i' of this step has a gradient
                if t > 0:
                    d_p = d[t - 1, lo:hi]
                    for k in range(m):                          # v before step t, from d of step t − 1
                        dp, vthk, vrk = d_p[k], vth[k], vr[k]     # (the forward's reset arithmetic)
                        zp = spiking & (dp - vthk > zero)
                        zpf = one if zp else zero
                        v_sub = dp - zpf * vthk
                        v_val = (one - zpf) * dp + zpf * vrk
                        v_spk = v_sub if subtract else v_val
                        v_prev[k] = v_spk if spiking else dp
                else:
                    v_prev[:] = v0[lo:hi]
                for k in range(m):
                    dk, wk, vp, vlk, vthk, ak = d_t[k], w_t[k], v_prev[k], vl[k], vth[k], a[k]
                    gd, gzs, lv, li = gd_k[k], gzs_k[k], lv_k[k], li_k[k]
                    zf = one if (spiking & (dk - vthk > zero)) else zero
                    e = zero if leak_in_drive else vlk
                    u_in = wk - vlk
                    u = u_in if leak_in_drive else wk
                    ga = gd * ((e - vp) + wk)
                    gvl = gd * ak
                    gb = -(li * u)
                    lz = lv * zf
                    g_a[k] += ga if leaky else zero
                    g_vl[k] += gvl if leaky else zero
                    g_b[k] += gb if decay else zero
                    g_th[k] += -gzs - (lz if subtract else zero)
                    g_vr[k] += zero if subtract else lz
        g_v0[lo:hi] = lam_v
        if synaptic:
            g_i0[lo:hi] = lam_i
        if want_coef:
            g_coef[A, lo:hi] = g_a
            g_coef[B, lo:hi] = g_b
            g_coef[V_LEAK, lo:hi] = g_vl
            g_coef[V_TH, lo:hi] = g_th
            g_coef[V_RESET, lo:hi] = g_vr
            g_coef[ALPHA, lo:hi] = zero
