r"""SymPy derivations for Arora, Cohen, Golowich, Hu (ICLR 2019, arXiv:1810.02281).

Deep linear network :math:`x \mapsto W_N\cdots W_1 x`, whitened loss
:math:`L^N = \tfrac12\|W_{1:N} - \Phi\|_F^2`. The expressions here are the paper's constants,
as far as the brief ``shared/theory/arora2018.md`` recovered them:

* the factor 6144 in :math:`\eta_{\max}` (eq. (7)), the :math:`10^5` of Theorem 2 and the
  spectral bound :math:`(4\|\Phi\|_F)^{1/N}` of Lemma 2 are confirmed by the paper's text;
* the constant 256 in :math:`\delta`, the exponents of eq. (7), the form of :math:`T`, the
  probability (38) and the Claim 2 bound are **reconstructed** (brief §3, §4).

Two public views of the same mathematics:

* expression functions (``delta_expr``, ``eta_max_expr``, ``iterations_expr`` ...), which
  :mod:`lintheory.arora` lambdifies for the runs;
* :data:`DERIVATIONS` — name -> steps ``[(caption, expr), ...]`` for ``proofs-check derive``.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

__all__ = [
    "DERIVATIONS",
    "balance_drift_residual",
    "claim2_bound_expr",
    "delta_expr",
    "eta_max_expr",
    "iterations_at_eta_max_expr",
    "iterations_expr",
    "lemma1_decrease_expr",
    "lemma10_second_moment_by_moments",
    "lemma10_second_moment_expr",
    "preconditioner_eigenvalue_expr",
    "rate_exponent_expr",
    "spectral_bound_expr",
    "theorem2_eta_expr",
    "theorem2_iterations_expr",
    "theorem2_margin_expr",
    "theorem2_probability_expr",
    "whitening_gap",
]

c, phi, eta, eps, ell0 = sp.symbols("c Phi_F eta varepsilon ell_0", positive=True)
N = sp.Symbol("N", positive=True, integer=True)
sigma, sigma_r, sigma_q, grad_sq = sp.symbols("sigma sigma_r sigma_q G", positive=True)
s, d0, a, phi2 = sp.symbols("s d_0 a Phi_2", positive=True)
d_max, delta_sym = sp.symbols("d_max delta", positive=True)
da, db, dd = sp.symbols("a b d", positive=True, integer=True)

_LOG = sp.log(ell0 / eps)

Steps = list[tuple[str, sp.Basic]]


def rate_exponent_expr() -> sp.Expr:
    r""":math:`c^{2(N-1)/N}`: the factor by which a deficiency margin :math:`c` scales the
    per-step decrease (Lemma 1, eq. (9), and Theorem 1)."""
    return c ** (2 * (N - 1) / N)


def delta_expr(C: int | float = 256, depth_power: int | float = 3) -> sp.Expr:
    r""":math:`\delta = c^2 / (256\,N^3\,\|\Phi\|_F^{2(N-1)/N})` (Theorem 1; the constant 256 is
    reconstructed); ``C`` and ``depth_power`` replace 256 and 3 (a statement's variants)."""
    return c**2 / (sp.nsimplify(C) * N ** sp.nsimplify(depth_power) * phi ** (2 * (N - 1) / N))


def eta_max_expr(C: int | float = 6144, depth_power: int | float = 3) -> sp.Expr:
    r""":math:`\eta_{\max} = c^{(4N-2)/N} / (6144\,N^3\,\|\Phi\|_F^{(6N-4)/N})` (Theorem 1, eq. (7);
    6144 confirmed, the exponents reconstructed); ``C`` and ``depth_power`` replace 6144 and 3."""
    return c ** ((4 * N - 2) / N) / (sp.nsimplify(C) * N ** sp.nsimplify(depth_power) * phi ** ((6 * N - 4) / N))


def iterations_expr() -> sp.Expr:
    r""":math:`T = \log(\ell(0)/\varepsilon) / (\eta\,c^{2(N-1)/N})` (Theorem 1; reconstructed from
    the rate :math:`\ell(t) \le \ell(0)(1-\eta c^{2(N-1)/N})^t \le \ell(0)e^{-\eta c^{2(N-1)/N}t}`)."""
    return _LOG / (eta * rate_exponent_expr())


def iterations_at_eta_max_expr() -> sp.Expr:
    r""":math:`T` at :math:`\eta = \eta_{\max}`:
    :math:`6144\,N^3\,(\|\Phi\|_F/c)^{6-4/N}\log(\ell(0)/\varepsilon)`."""
    return 6144 * N**3 * (phi / c) ** (6 - 4 / N) * _LOG


def spectral_bound_expr() -> sp.Expr:
    r""":math:`(4\|\Phi\|_F)^{1/N}`: the bound on every :math:`\|W_j(t)\|_\sigma` in Lemma 2 C(t)
    (confirmed by the paper's text)."""
    return (4 * phi) ** (1 / N)


def lemma1_decrease_expr() -> sp.Expr:
    r""":math:`\tfrac{\eta}{2}\,\sigma_{\min}(W_{1:N})^{2(N-1)/N}\,\|\nabla L^1(W_{1:N})\|_F^2`: the
    guaranteed one-step decrease of Lemma 1, eq. (9) (form reconstructed); ``G`` stands for
    :math:`\|\nabla L^1\|_F^2`."""
    return eta / 2 * sigma ** (2 * (N - 1) / N) * grad_sq


def preconditioner_eigenvalue_expr(closed: bool = False) -> sp.Expr:
    r"""Eigenvalue of :math:`P_W` on :math:`\mathrm{vec}(u_r v_q^\top)` (ACH18, reconstructed):
    :math:`\sum_{j=1}^N \sigma_r^{2(j-1)/N}\sigma_q^{2(N-j)/N}`; with ``closed=True`` the geometric
    sum :math:`(\sigma_r^2 - \sigma_q^2)/(\sigma_r^{2/N} - \sigma_q^{2/N})` (for :math:`\sigma_r \ne
    \sigma_q`)."""
    if closed:
        return (sigma_r**2 - sigma_q**2) / (sigma_r ** (2 / N) - sigma_q ** (2 / N))
    j = sp.Symbol("j", positive=True, integer=True)
    return sp.Sum(sigma_r ** (2 * (j - 1) / N) * sigma_q ** (2 * (N - j) / N), (j, 1, N))


def claim2_bound_expr() -> sp.Expr:
    r""":math:`\max\{0, 1 - 10(N-1)s^4 d_{\max}^3/\delta^2\}`: Claim 2's lower bound on the
    probability that layer-wise :math:`\mathcal N(0,s^2)` weights are :math:`\delta`-balanced
    (reconstructed; the paper may write :math:`N` for :math:`N-1`)."""
    return sp.Max(0, 1 - 10 * (N - 1) * s**4 * d_max**3 / delta_sym**2)


def lemma10_second_moment_expr() -> sp.Expr:
    r""":math:`\mathbb E\|A^\top A - BB^\top\|_F^2 = s^4[d(d-1)(a+b) + d((a-b)^2 + 2(a+b))]` for
    :math:`A \in \mathbb R^{a\times d}`, :math:`B \in \mathbb R^{d\times b}` with i.i.d.
    :math:`\mathcal N(0,s^2)` entries (reconstructed, Lemma 10)."""
    return s**4 * (dd * (dd - 1) * (da + db) + dd * ((da - db) ** 2 + 2 * (da + db)))


def lemma10_second_moment_by_moments(a_rows: int, d_inner: int, b_cols: int) -> sp.Expr:
    r""":math:`\mathbb E\|A^\top A - BB^\top\|_F^2` for concrete sizes, computed independently of the
    closed form: expand the polynomial in the entries and replace each monomial by its Gaussian
    moment (:math:`\mathbb E x^{2k} = (2k-1)!!\,s^{2k}`, odd moments 0)."""
    for name, value in (("a_rows", a_rows), ("d_inner", d_inner), ("b_cols", b_cols)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    A = sp.Matrix(a_rows, d_inner, lambda i, j: sp.Symbol(f"a_{i}{j}", real=True))
    B = sp.Matrix(d_inner, b_cols, lambda i, j: sp.Symbol(f"b_{i}{j}", real=True))
    D = A.T * A - B * B.T
    poly = sp.Poly(sum(e**2 for e in D), *A, *B)
    total = sp.Integer(0)
    for powers, coeff in poly.terms():
        moment = sp.Integer(1)
        for k in powers:
            if k % 2:
                moment = sp.Integer(0)
                break
            moment *= sp.factorial2(k - 1) * s**k
        total += coeff * moment
    return sp.expand(total)


def theorem2_margin_expr() -> sp.Expr:
    r""":math:`c_1 = s^2 d_0 / (2\|\Phi\|_2)`: the margin used in Theorem 2's phase 1 (reconstructed)."""
    return s**2 * d0 / (2 * phi2)


def theorem2_eta_expr() -> sp.Expr:
    r""":math:`\eta \le (s^2 d_0)^{4-2/N} / (10^5 N^3 \|\Phi\|_2^{10-6/N})` (Theorem 2; :math:`10^5`
    confirmed, the form reconstructed from eq. (7) at :math:`c = c_1`)."""
    return (s**2 * d0) ** (4 - 2 / N) / (10**5 * N**3 * phi2 ** (10 - 6 / N))


def theorem2_probability_expr() -> sp.Expr:
    r""":math:`(1 - 2e^{-d_0/16})\,(3 - 4F(2\sqrt{2/a}))/2`, :math:`F` the standard normal CDF
    (Theorem 2, eq. (38); the argument of :math:`F` is reconstructed)."""
    x = 2 * sp.sqrt(2 / a)
    F = (1 + sp.erf(x / sp.sqrt(2))) / 2
    return (1 - 2 * sp.exp(-d0 / 16)) * (3 - 4 * F) / 2


def theorem2_iterations_expr() -> sp.Expr:
    r"""Two-phase bound :math:`\frac1\eta[(2\|\Phi\|_2/(s^2d_0))^{2-2/N}\ln 4 +
    (2/\|\Phi\|_2)^{2-2/N}\ln(\|\Phi\|_2^2/(8\varepsilon))]` (reconstructed by the proof route)."""
    return (
        (2 * phi2 / (s**2 * d0)) ** (2 - 2 / N) * sp.log(4)
        + (2 / phi2) ** (2 - 2 / N) * sp.log(phi2**2 / (8 * eps))
    ) / eta


def whitening_gap(dy: int, dx: int, m: int) -> tuple[sp.Expr, sp.Expr]:
    r"""Appendix A for symbolic :math:`W \in \mathbb R^{d_y\times d_x}`, :math:`X \in \mathbb R^{d_x\times m}`,
    :math:`Y \in \mathbb R^{d_y\times m}`.

    Returns ``(gap, residual)``: ``gap`` is
    :math:`\frac1{2m}\|WX-Y\|_F^2 - [\frac12\|W-\Lambda_{yx}\|_F^2 + \frac1{2m}\|Y\|_F^2 - \frac12\|\Lambda_{yx}\|_F^2]`
    with :math:`\Lambda_{yx} = YX^\top/m`, and ``residual`` is ``gap`` minus
    :math:`\frac1{2m}\operatorname{tr}(W(XX^\top - mI)W^\top)`, expanded: the identity holds for every
    :math:`X` iff ``residual`` is 0, so under whitening (:math:`XX^\top = mI`) the gap vanishes.
    """
    for name, value in (("dy", dy), ("dx", dx), ("m", m)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    W = sp.Matrix(dy, dx, lambda i, j: sp.Symbol(f"w_{i}{j}", real=True))
    X = sp.Matrix(dx, m, lambda i, j: sp.Symbol(f"x_{i}{j}", real=True))
    Y = sp.Matrix(dy, m, lambda i, j: sp.Symbol(f"y_{i}{j}", real=True))
    gap = whitening_gap_of(W, X, Y)
    correction = (W * (X * X.T - m * sp.eye(dx)) * W.T).trace() / (2 * m)
    return gap, sp.expand(gap - correction)


def whitening_gap_of(W: sp.Matrix, X: sp.Matrix, Y: sp.Matrix) -> sp.Expr:
    r"""The Appendix A gap (see :func:`whitening_gap`) for given SymPy matrices."""
    m = X.shape[1]
    fro2 = lambda M: sum(e**2 for e in M)  # noqa: E731
    lam = Y * X.T / m
    data_loss = fro2(W * X - Y) / (2 * m)
    return data_loss - (fro2(W - lam) / 2 + fro2(Y) / (2 * m) - fro2(lam) / 2)


def _layer_gradients(Ws: list[sp.Matrix], Phi: sp.Matrix) -> list[sp.Matrix]:
    """Eq. (14): dL^N/dW_j = W_{j+1:N}^T (W_{1:N} - Phi) W_{1:j-1}^T."""
    def prod(ms: list[sp.Matrix], size: int) -> sp.Matrix:
        out = sp.eye(size)
        for M in ms:
            out = M * out
        return out

    E = prod(Ws, Ws[0].shape[1])
    grads = []
    for j in range(len(Ws)):
        above = prod(Ws[j + 1:], Ws[j].shape[0])
        below = prod(Ws[:j], Ws[0].shape[1])
        grads.append(above.T * (E - Phi) * below.T)
    return grads


def balance_drift_residual(widths: tuple[int, ...]) -> list[sp.Matrix]:
    r"""L-b for symbolic weights of the given widths :math:`(d_0,\dots,d_N)` and a symbolic step
    :math:`\eta`: the expanded matrices
    :math:`D_j(t+1) - D_j(t) - \eta^2(G_{j+1}^\top G_{j+1} - G_jG_j^\top)`,
    :math:`D_j = W_{j+1}^\top W_{j+1} - W_jW_j^\top`, for :math:`j = 1..N-1` (all zero iff the
    first-order terms cancel exactly; reconstructed, brief §6 L-b)."""
    if len(widths) < 3 or any(not isinstance(w, int) or w < 1 for w in widths):
        raise ValueError(f"widths must be a tuple of >= 3 positive ints (d_0..d_N), got {widths!r}")
    Ws = [
        sp.Matrix(widths[j + 1], widths[j], lambda r, q, j=j: sp.Symbol(f"w{j + 1}_{r}{q}", real=True))
        for j in range(len(widths) - 1)
    ]
    Phi = sp.Matrix(widths[-1], widths[0], lambda r, q: sp.Symbol(f"phi_{r}{q}", real=True))
    Gs = _layer_gradients(Ws, Phi)
    new = [W - eta * G for W, G in zip(Ws, Gs)]
    out = []
    for j in range(len(Ws) - 1):
        before = Ws[j + 1].T * Ws[j + 1] - Ws[j] * Ws[j].T
        after = new[j + 1].T * new[j + 1] - new[j] * new[j].T
        drift = eta**2 * (Gs[j + 1].T * Gs[j + 1] - Gs[j] * Gs[j].T)
        out.append((after - before - drift).applyfunc(sp.expand))
    return out


# --- derivations for `proofs-check derive` -----------------------------------------------------


def _theorem1() -> Steps:
    T = sp.Symbol("T")
    t_max = iterations_at_eta_max_expr()
    return [
        ("balance required of the initialization (256 reconstructed)", sp.Eq(sp.Symbol(r"\delta"), delta_expr())),
        ("largest step (eq. (7); 6144 confirmed, exponents reconstructed)", sp.Eq(sp.Symbol(r"\eta_{\max}"), eta_max_expr())),
        ("Lemma 1 unrolled with ||grad L^1||^2 = 2 L^1 and sigma_min >= c (Claim 1)",
         sp.Le(sp.Symbol(r"\ell(t)"), ell0 * (1 - eta * rate_exponent_expr()) ** sp.Symbol("t"))),
        ("iterations to reach eps (1 - x <= e^{-x})", sp.Eq(T, iterations_expr())),
        ("at eta = eta_max", sp.Eq(T, t_max)),
        ("check: T(eta_max) - closed form, simplified",
         sp.simplify(sp.expand_log(iterations_expr().subs(eta, eta_max_expr()) - t_max, force=True))),
        ("growth in N: T(eta_max) / (N^3 log(ell_0/eps)) as N -> oo",
         sp.Eq(sp.Limit(T / (N**3 * _LOG), N, sp.oo), sp.limit(t_max / (N**3 * _LOG), N, sp.oo))),
        ("growth in N: delta N^3 as N -> oo", sp.Eq(sp.Limit(sp.Symbol(r"\delta") * N**3, N, sp.oo),
                                                    sp.limit(delta_expr() * N**3, N, sp.oo))),
        ("Lemma 2 C(t): spectral bound on every layer", sp.Eq(sp.Symbol("M"), spectral_bound_expr())),
    ]


def _preconditioner() -> Steps:
    lam = sp.Symbol("lambda_rq")
    x, y = sp.symbols("x y", positive=True)
    geometric = sp.Sum(x ** (sp.Symbol("j") - 1) * y ** (N - sp.Symbol("j")), (sp.Symbol("j"), 1, N))
    return [
        ("eigenvalue of P_W on vec(u_r v_q^T) (ACH18, reconstructed)", sp.Eq(lam, preconditioner_eigenvalue_expr())),
        ("with x = sigma_r^{2/N}, y = sigma_q^{2/N} it is a geometric sum", sp.Eq(geometric, (x**N - y**N) / (x - y))),
        ("closed form for sigma_r != sigma_q", sp.Eq(lam, preconditioner_eigenvalue_expr(closed=True))),
        ("sigma_r = sigma_q", sp.Eq(lam, N * sigma_r ** (2 * (N - 1) / N))),
        ("padded direction sigma_r = 0 (0^0 = 1): only j = 1 survives",
         sp.Eq(lam, sigma_q ** (2 * (N - 1) / N))),
        ("hence", sp.Ge(sp.Symbol(r"\lambda_{\min}(P_W)"), sp.Symbol(r"\sigma_{\min}") ** (2 * (N - 1) / N))),
    ]


def _whitening() -> Steps:
    gap, residual = whitening_gap(1, 2, 2)
    theta = sp.Symbol("theta", real=True)
    X = sp.sqrt(2) * sp.Matrix([[sp.cos(theta), -sp.sin(theta)], [sp.sin(theta), sp.cos(theta)]])
    W = sp.Matrix([[sp.Symbol("w_00", real=True), sp.Symbol("w_01", real=True)]])
    Y = sp.Matrix([[sp.Symbol("y_00", real=True), sp.Symbol("y_01", real=True)]])
    return [
        ("gap = data loss - (1/2||W - Lambda_yx||^2 + const), d_y=1, d_x=m=2", sp.Eq(sp.Symbol("gap"), sp.factor(gap))),
        ("gap - tr(W (X X^T - m I) W^T)/(2m), expanded", sp.Eq(sp.Symbol("r"), residual)),
        ("whitened X = sqrt(2) R(theta): the gap simplifies to", sp.Eq(sp.Symbol("gap"), sp.simplify(whitening_gap_of(W, X, Y)))),
    ]


def _balance_drift() -> Steps:
    residuals = balance_drift_residual((2, 2, 1))
    return [
        ("D_1(t+1) - D_1(t) - eta^2 (G_2^T G_2 - G_1 G_1^T) for symbolic W_1 (2x2), W_2 (1x2)",
         sp.ImmutableMatrix(residuals[0])),
    ]


def _claim2() -> Steps:
    moment = lemma10_second_moment_expr()
    check = {(a_, d_, b_): sp.simplify(lemma10_second_moment_by_moments(a_, d_, b_) - moment.subs({da: a_, dd: d_, db: b_}))
             for a_, d_, b_ in ((1, 2, 3), (2, 2, 2), (3, 2, 1))}
    return [
        ("Lemma 10 second moment (closed form, reconstructed)", sp.Eq(sp.Symbol("m_2"), moment)),
        ("exact Gaussian moments minus closed form at (a, d, b) = (1,2,3), (2,2,2), (3,2,1)",
         sp.Tuple(*check.values())),
        ("Markov + union bound over N-1 pairs", sp.Ge(sp.Symbol(r"\Pr[\delta\text{-balanced}]"), claim2_bound_expr())),
    ]


def _theorem2() -> Steps:
    c1 = theorem2_margin_expr()
    eta_at_c1 = sp.powsimp(sp.simplify(eta_max_expr().subs({c: c1, phi: phi2})), force=True)
    ratio = sp.simplify(theorem2_eta_expr() / eta_at_c1)
    return [
        ("phase-1 margin", sp.Eq(sp.Symbol("c_1"), c1)),
        ("eq. (7) at c = c_1, ||Phi||_F = ||Phi||_2", sp.Eq(sp.Symbol(r"\eta_{\max}(c_1)"), eta_at_c1)),
        ("Theorem 2 step", sp.Eq(sp.Symbol(r"\eta_2"), theorem2_eta_expr())),
        ("eta_2 / eta_max(c_1) = 2^{4-2/N} 6144 / 10^5 < 1", sp.Eq(sp.Symbol("rho"), ratio)),
        ("success probability (eq. (38), reconstructed)", sp.Eq(sp.Symbol("p"), theorem2_probability_expr())),
        ("two-phase iterations (reconstructed)", sp.Eq(sp.Symbol("T"), theorem2_iterations_expr())),
    ]


DERIVATIONS: dict[str, Callable[[], Steps]] = {
    "arora2018.theorem1": _theorem1,
    "arora2018.preconditioner": _preconditioner,
    "arora2018.whitening": _whitening,
    "arora2018.balance_drift": _balance_drift,
    "arora2018.claim2": _claim2,
    "arora2018.theorem2": _theorem2,
}
