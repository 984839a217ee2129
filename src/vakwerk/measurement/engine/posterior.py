"""The joint posterior of person levels and rater leniencies (Laplace approximation).

Unknowns: ``theta`` (one per person, prior N(0, 1 / theta_precision)) and ``l`` (one per rater
effect, i.e. per rater within a source, prior N(0, tau_l^2)). Pair means ``z_k`` are Gaussian
given them,

    z_k = m_s + lambda_s * theta_p + l_r + eps_k,   eps_k ~ N(0, 1 / w_k),
    1 / w_k = tau_h,s^2 + sigma_s^2 / n_k        (halo plus item noise),

and SJT answers add the graded-response log-likelihood ``g_p(theta_p)``. (The model's team
levels are passed in as extra "rater effects" with pseudo-pairs of offset 0 and loading -1,
whose term ``w (theta_p - g_t)^2`` is the prior of a team member's level; those members get
``theta_precision`` 0.) The negative log
posterior ``f`` is convex; its Hessian has the block form

    H = [[H_tt, H_tl], [H_lt, H_ll]],   H_tt, H_ll diagonal,   H_tl[p, r] = lambda_s * w_k,

because persons are only linked through shared raters and raters through shared persons.
Eliminating ``theta`` leaves the rater system ``T = H_ll - H_lt H_tt^-1 H_tl`` (sparse: two
rater effects are linked when they rated the same person). Newton steps solve with ``T`` by
conjugate gradients. The Laplace posterior is ``N(mode, H^-1)``; the pieces of ``H^-1`` the
model needs follow from ``Sigma_l = T^-1`` by the block-inverse formulas

    Var(theta_p)        = 1 / H_tt,p + a_p' Sigma_l a_p,      a_p = H_tl[p, :] / H_tt,p
    Cov(theta_p, l_r)   = -(Sigma_l a_p)_r
    Var(l_r)            = Sigma_l[r, r],

which need ``Sigma_l`` only on the diagonal and on the co-rating pattern of ``T``. Connected
blocks of ``T`` up to ``dense_limit`` raters are inverted exactly; larger blocks use the
Neumann series ``T^-1 = D^-1 + D^-1 F D^-1 + D^-1 F D^-1 F D^-1 + ...`` (``T = D - F``, ``D``
the diagonal), kept to the terms that stay on the pattern. ``T`` is positive definite (a
Schur complement of ``H``) and the Jacobi iteration matrix ``D^-1 F`` has spectral radius
about 0.1-0.6 on realistic data, so the series converges; its first omitted terms are small
(see docs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from . import grm
from ._arrays import FloatArray, IntArray, by_pair, group_count, group_sum


@dataclass(frozen=True)
class Design:
    """Index structure of one competency's data; fixed during the fit."""

    n_persons: int
    n_effects: int
    pair_person: IntArray
    pair_effect: IntArray  # rater effect per pair, -1 for self pairs
    effect_source: IntArray
    rated: IntArray  # pairs with a rater effect
    tri_first: IntArray  # (first, second): two rated pairs of the same person
    tri_second: IntArray
    tri_edge: IntArray  # index of the (effect, effect) link of each such couple
    edge_from: IntArray  # links between rater effects, sorted, both directions
    edge_to: IntArray
    indptr: IntArray  # CSR row pointer of the links
    component: IntArray  # connected block of each rater effect
    component_size: IntArray


def build_design(
    n_persons: int,
    pair_person: IntArray,
    pair_effect: IntArray,
    effect_source: IntArray,
) -> Design:
    """Precompute the co-rating structure; ``pair_person`` must be sorted."""
    rated = np.flatnonzero(pair_effect >= 0)
    n_effects = len(effect_source)
    # All ordered couples of distinct rated pairs of one person.
    owner = pair_person[rated]
    size = group_count(owner, n_persons)[owner]
    start = np.searchsorted(owner, owner)
    first = np.repeat(np.arange(len(rated)), size)
    offset = np.arange(len(first)) - np.repeat(np.cumsum(size) - size, size)
    second = start[first] + offset
    keep = first != second
    tri_first, tri_second = rated[first[keep]], rated[second[keep]]
    e1, e2 = pair_effect[tri_first], pair_effect[tri_second]
    links, tri_edge = np.unique(e1 * n_effects + e2, return_inverse=True)
    edge_from, edge_to = links // n_effects, links % n_effects
    indptr = np.concatenate(([0], np.cumsum(group_count(edge_from, n_effects))))
    graph = sparse.csr_matrix((np.ones(len(links)), edge_to, indptr), shape=(n_effects, n_effects))
    _, component = csgraph.connected_components(graph, directed=False)
    component = component.astype(np.int64)
    return Design(
        n_persons=n_persons,
        n_effects=n_effects,
        pair_person=pair_person,
        pair_effect=pair_effect,
        effect_source=effect_source,
        rated=rated,
        tri_first=tri_first,
        tri_second=tri_second,
        tri_edge=tri_edge.astype(np.int64),
        edge_from=edge_from.astype(np.int64),
        edge_to=edge_to.astype(np.int64),
        indptr=indptr.astype(np.int64),
        component=component,
        component_size=group_count(component, int(component.max(initial=-1)) + 1),
    )


@dataclass(frozen=True)
class Linear:
    """The Gaussian part at given parameters: per pair offset ``z - m``, loading, weight."""

    offset: FloatArray
    loading: FloatArray
    weight: FloatArray
    effect_precision: FloatArray  # 1 / tau_l^2 per rater effect
    specific_precision: float  # 1 / tau_d^2 of the SJT-specific component
    theta_precision: FloatArray  # prior precision of each theta_p around 0


@dataclass(frozen=True)
class Posterior:
    """Laplace posterior moments."""

    theta: FloatArray
    theta_var: FloatArray
    effect: FloatArray
    effect_var: FloatArray
    pair_cov: FloatArray  # Cov(theta_p, l_r) per pair (0 for self pairs)
    specific: FloatArray  # SJT-specific component d_p
    specific_var: FloatArray
    sjt_mean: FloatArray  # theta_p + d_p, what the SJT measures
    sjt_var: FloatArray
    objective: float


def _residual(design: Design, lin: Linear, theta: FloatArray, effect: FloatArray) -> FloatArray:
    lk = by_pair(design.pair_effect, effect)
    return lin.offset - lin.loading * theta[design.pair_person] - lk


def _objective(
    design: Design,
    lin: Linear,
    theta: FloatArray,
    effect: FloatArray,
    specific: FloatArray,
    sjt_loglik: float,
) -> float:
    res = _residual(design, lin, theta, effect)
    return float(
        0.5 * lin.weight @ res**2
        + 0.5 * theta @ (lin.theta_precision * theta)
        + 0.5 * effect @ (lin.effect_precision * effect)
        + 0.5 * lin.specific_precision * (specific @ specific)
        - sjt_loglik
    )


class _System:
    """Hessian blocks at the current point and solves with them."""

    def __init__(self, design: Design, lin: Linear, sjt_information: FloatArray) -> None:
        d = design
        lw = lin.loading * lin.weight
        # The SJT-specific component d_p is eliminated first (it only meets theta_p).
        self.info = sjt_information
        self.h_dd = lin.specific_precision + sjt_information
        self.h_tt = (
            lin.theta_precision
            + group_sum(d.pair_person, lin.loading * lw, d.n_persons)
            + sjt_information
            - sjt_information**2 / self.h_dd
        )
        rated = d.rated
        self.coupling = lw[rated]  # H_tl entries, one per rated pair
        self.a = self.coupling / self.h_tt[d.pair_person[rated]]
        effect_of = d.pair_effect[rated]
        self.h_ll = lin.effect_precision + group_sum(effect_of, lin.weight[rated], d.n_effects)
        self.diag = self.h_ll - group_sum(effect_of, self.coupling * self.a, d.n_effects)
        # Off-diagonal of T is -F; F on each link sums over the persons both effects rated.
        tri_value = lw[d.tri_first] * lw[d.tri_second] / self.h_tt[d.pair_person[d.tri_first]]
        self.link = group_sum(d.tri_edge, tri_value, len(d.edge_from))
        self.design = design
        self.t_matrix = sparse.csr_matrix(
            (-self.link, d.edge_to, d.indptr), shape=(d.n_effects, d.n_effects)
        ) + sparse.diags(self.diag)

    def solve(
        self, rhs_theta: FloatArray, rhs_specific: FloatArray, rhs_effect: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Solve ``H x = rhs`` by eliminating d and theta and using CG on ``T``."""
        d = self.design
        rated = d.rated
        rhs_theta = rhs_theta - self.info * rhs_specific / self.h_dd
        reduced = rhs_effect - group_sum(
            d.pair_effect[rated],
            self.coupling * rhs_theta[d.pair_person[rated]] / self.h_tt[d.pair_person[rated]],
            d.n_effects,
        )
        x_effect = self._solve_t(reduced)
        x_theta = (
            rhs_theta
            - group_sum(
                d.pair_person[rated], self.coupling * x_effect[d.pair_effect[rated]], d.n_persons
            )
        ) / self.h_tt
        x_specific = (rhs_specific - self.info * x_theta) / self.h_dd
        return x_theta, x_specific, x_effect

    def _solve_t(self, rhs: FloatArray) -> FloatArray:
        if len(rhs) == 0:
            return rhs
        if len(self.link) == 0:
            return rhs / self.diag
        return _conjugate_gradients(self.t_matrix, rhs, 1.0 / self.diag)

    def covariances(self, dense_limit: int) -> tuple[FloatArray, FloatArray]:
        """``Sigma_l`` on the diagonal and on every link (see module docstring)."""
        d = self.design
        inv_d = 1.0 / self.diag
        # Neumann terms kept on the pattern: diagonal to second order, links to first order.
        s_diag = inv_d + inv_d**2 * group_sum(
            d.edge_from, self.link**2 * inv_d[d.edge_to], d.n_effects
        )
        s_link = self.link * inv_d[d.edge_from] * inv_d[d.edge_to]
        sizes = d.component_size[d.component]
        exact = (sizes > 1) & (sizes <= dense_limit)
        if np.any(exact):
            self._exact_blocks(np.flatnonzero(exact), s_diag, s_link)
        return s_diag, s_link

    def _exact_blocks(self, members: IntArray, s_diag: FloatArray, s_link: FloatArray) -> None:
        """Invert each small connected block of ``T`` densely, batched by block size."""
        d = self.design
        comp = d.component[members]
        order = np.argsort(comp, kind="stable")
        members, comp = members[order], comp[order]
        sizes = d.component_size[comp]
        position = np.zeros(d.n_effects, dtype=np.int64)
        starts = np.searchsorted(comp, comp)
        position[members] = np.arange(len(members)) - starts
        for size in np.unique(sizes):
            chosen = members[sizes == size]
            block_ids, block_of = np.unique(d.component[chosen], return_inverse=True)
            blocks = np.zeros((len(block_ids), size, size))
            blocks[block_of, position[chosen], position[chosen]] = self.diag[chosen]
            in_set = np.zeros(d.n_effects, dtype=bool)
            in_set[chosen] = True
            links = np.flatnonzero(in_set[d.edge_from])
            block_link = np.searchsorted(block_ids, d.component[d.edge_from[links]])
            rows, cols = position[d.edge_from[links]], position[d.edge_to[links]]
            blocks[block_link, rows, cols] = -self.link[links]
            inverse = np.linalg.inv(blocks)
            s_diag[chosen] = inverse[block_of, position[chosen], position[chosen]]
            s_link[links] = inverse[block_link, rows, cols]


def _conjugate_gradients(
    matrix: sparse.csr_matrix, rhs: FloatArray, inverse_diag: FloatArray
) -> FloatArray:
    """Jacobi-preconditioned conjugate gradients, to a residual of 1e-11 of ``|rhs|``.

    Written out (rather than ``scipy.sparse.linalg.cg``) so that its inner products are plain
    numpy sums: OpenBLAS runs long dot products on several threads, which on a busy two-core
    machine costs more in waiting than it gains."""
    x = rhs * inverse_diag
    r = rhs - matrix @ x
    z = inverse_diag * r
    p = z.copy()
    rz = float(np.sum(r * z))
    limit = 1e-11 * float(np.sqrt(np.sum(rhs * rhs)))
    for _ in range(2000):
        if float(np.sqrt(np.sum(r * r))) <= limit:
            break
        q = matrix @ p
        alpha = rz / float(np.sum(p * q))
        x += alpha * p
        r -= alpha * q
        z = inverse_diag * r
        rz, previous = float(np.sum(r * z)), rz
        p = z + (rz / previous) * p
    return x


def laplace(
    design: Design,
    lin: Linear,
    sjt: tuple[grm.SjtAnswers, grm.GrmItems] | None,
    start: tuple[FloatArray, FloatArray, FloatArray],
    newton_steps: int,
    dense_limit: int,
) -> Posterior:
    """Find the posterior mode by (damped) Newton and return the Laplace moments.

    ``start`` is ``(theta, d, l)``. Without SJT answers the posterior is Gaussian and one Newton
    step is exact. With them, ``newton_steps`` bounds the iterations (a single warm-started step
    suffices inside the EM).
    """
    d = design
    theta, specific, effect = (x.copy() for x in start)

    def sjt_terms(argument: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        if sjt is None:
            zero = np.zeros(d.n_persons)
            return 0.0, zero, zero
        loglik, first, second = grm.person_derivatives(sjt[0], sjt[1], argument)
        return float(loglik.sum()), first, -second

    loglik, slope, info = sjt_terms(theta + specific)
    value = _objective(d, lin, theta, effect, specific, loglik)
    system = _System(d, lin, info)
    steps = newton_steps if sjt is not None else 1
    for _ in range(steps):
        wr = lin.weight * _residual(d, lin, theta, effect)
        grad_theta = (
            lin.theta_precision * theta
            - group_sum(d.pair_person, lin.loading * wr, d.n_persons)
            - slope
        )
        grad_specific = lin.specific_precision * specific - slope
        grad_effect = lin.effect_precision * effect - group_sum(
            d.pair_effect[d.rated], wr[d.rated], d.n_effects
        )
        step = system.solve(-grad_theta, -grad_specific, -grad_effect)
        scale = 1.0
        for _ in range(40):
            new_theta = theta + scale * step[0]
            new_specific = specific + scale * step[1]
            new_effect = effect + scale * step[2]
            new_loglik, new_slope, new_info = sjt_terms(new_theta + new_specific)
            new_value = _objective(d, lin, new_theta, new_effect, new_specific, new_loglik)
            if new_value <= value + 1e-12 * abs(value):
                break
            scale /= 2.0
        else:
            break
        size = float(np.max(np.abs(scale * step[0]), initial=0.0))
        theta, specific, effect, value = new_theta, new_specific, new_effect, new_value
        slope, info = new_slope, new_info
        system = _System(d, lin, info)
        if size < 1e-9:
            break

    s_diag, s_link = system.covariances(dense_limit)
    rated, a = d.rated, system.a
    a_all = np.zeros(len(lin.weight))
    a_all[rated] = a
    effect_of = d.pair_effect[rated]
    theta_var = (
        1.0 / system.h_tt
        + group_sum(d.pair_person[rated], a**2 * s_diag[effect_of], d.n_persons)
        + group_sum(
            d.pair_person[d.tri_first],
            a_all[d.tri_first] * a_all[d.tri_second] * s_link[d.tri_edge],
            d.n_persons,
        )
    )
    cov = np.zeros(len(lin.weight))
    cov[rated] = -a * s_diag[effect_of]
    cov -= group_sum(d.tri_second, a_all[d.tri_first] * s_link[d.tri_edge], len(lin.weight))
    # d_p given theta_p is Gaussian with precision h_dd: add its own uncertainty.
    ratio = system.info / system.h_dd
    specific_var = 1.0 / system.h_dd + ratio**2 * theta_var
    sjt_var = (1.0 - ratio) ** 2 * theta_var + 1.0 / system.h_dd
    return Posterior(
        theta=theta,
        theta_var=theta_var,
        effect=effect,
        effect_var=s_diag,
        pair_cov=cov,
        specific=specific,
        specific_var=specific_var,
        sjt_mean=theta + specific,
        sjt_var=sjt_var,
        objective=value,
    )
