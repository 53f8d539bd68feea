"""KL divergences between distributions, as in ``torch.distributions.kl``."""

from __future__ import annotations

import math

import ember
from ember.nn.functional import softplus

from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical
from .cauchy import Cauchy
from .continuous_bernoulli import ContinuousBernoulli
from .dirichlet import Dirichlet
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .gamma import Gamma
from .geometric import Geometric
from .gumbel import Gumbel
from .half_normal import HalfNormal
from .independent import Independent
from .laplace import Laplace
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .pareto import Pareto
from .poisson import Poisson
from .transformed_distribution import TransformedDistribution
from .uniform import Uniform
from .utils import _sum_rightmost

__all__ = ["kl_divergence", "register_kl"]

_KL_REGISTRY = {}
_KL_MEMOIZE = {}


def register_kl(type_p, type_q):
    """Decorator that registers ``fn(p, q)`` as the KL divergence of two distribution types.

    Example::

        >>> @register_kl(Normal, Normal)
        ... def kl_normal_normal(p, q): ...
    """

    def decorator(fun):
        _KL_REGISTRY[type_p, type_q] = fun
        _KL_MEMOIZE.clear()
        return fun

    return decorator


def _dispatch_kl(type_p, type_q):
    matches = [
        (super_p, super_q)
        for super_p, super_q in _KL_REGISTRY
        if issubclass(type_p, super_p) and issubclass(type_q, super_q)
    ]
    if not matches:
        return NotImplemented

    # the most specific match: closest in both MROs
    def key(pair):
        return (type_p.__mro__.index(pair[0]), type_q.__mro__.index(pair[1]))

    return _KL_REGISTRY[min(matches, key=key)]


def kl_divergence(p, q):
    """KL(p || q), elementwise over the batch shape.

    Example::

        >>> kl_divergence(Normal(0.0, 1.0), Normal(1.0, 1.0))
        tensor(0.5000)
    """
    try:
        fun = _KL_MEMOIZE[type(p), type(q)]
    except KeyError:
        fun = _dispatch_kl(type(p), type(q))
        _KL_MEMOIZE[type(p), type(q)] = fun
    if fun is NotImplemented:
        raise NotImplementedError(
            f"No KL(p || q) is implemented for p type {type(p).__name__} and "
            f"q type {type(q).__name__}"
        )
    return fun(p, q)


def _inf_like(t):
    return ember.full_like(t, math.inf)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t1 = ember.where(q.probs == 0, _inf_like(t1), t1)
    t1 = ember.where(p.probs == 0, ember.zeros_like(t1), t1)
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    t2 = ember.where(q.probs == 1, _inf_like(t2), t2)
    t2 = ember.where(p.probs == 1, ember.zeros_like(t2), t2)
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    t = ember.where((q.probs == 0).expand_as(t), _inf_like(t), t)
    t = ember.where((p.probs == 0).expand_as(t), ember.zeros_like(t), t)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehotcategorical_onehotcategorical(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    result = ((q.high - q.low) / (p.high - p.low)).log()
    outside = (q.low > p.low) | (q.high < p.high)
    return ember.where(outside, _inf_like(result), result)


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError
    result = kl_divergence(p.base_dist, q.base_dist)
    return _sum_rightmost(result, p.reinterpreted_batch_ndims)


# NOTE [ KL pairs of the transformed and closed-form distributions ]
# Closed forms are E_p[log p] - E_p[log q] worked out per pair. A pair whose supports do not
# nest (p puts mass where q has none) is +inf. At the boundaries (Uniform(0, 1) against
# ContinuousBernoulli) the supports do nest, so those KLs are finite here.
_EULER = 0.57721566490153286060


def _infinite(p):
    param = next(v for v in vars(p).values() if isinstance(v, ember.Tensor))
    return ember.full(tuple(p.batch_shape), math.inf, dtype=param.dtype, device=param.device)


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p, q):
    if p.transforms != q.transforms or p.event_shape != q.event_shape:
        raise NotImplementedError
    return kl_divergence(p.base_dist, q.base_dist)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    rate_ratio = q.rate / p.rate
    return rate_ratio - rate_ratio.log() - 1


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    scale_ratio = p.scale / q.scale
    loc_abs_diff = (p.loc - q.loc).abs()
    return (
        -scale_ratio.log()
        + loc_abs_diff / q.scale
        + scale_ratio * ember.exp(-loc_abs_diff / p.scale)
        - 1
    )


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p, q):
    num = (p.scale + q.scale).pow(2) + (p.loc - q.loc).pow(2)
    return (num / (4 * p.scale * q.scale)).log()


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p, q):
    var_ratio = (p.scale / q.scale).pow(2)
    return 0.5 * (var_ratio - 1 - var_ratio.log())


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p, q):
    ratio = p.scale / q.scale
    loc_q, loc_p = q.loc / q.scale, p.loc / q.scale
    t3 = ember.exp(loc_q + ember.lgamma(1 + ratio) - loc_p)
    return -ratio.log() - loc_q + loc_p + ratio * _EULER + t3 - (1 + _EULER)


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p, q):
    alpha_ratio = q.alpha / p.alpha
    result = q.alpha * (p.scale / q.scale).log() - alpha_ratio.log() + alpha_ratio - 1
    return ember.where(p.scale < q.scale, ember.full_like(result, math.inf), result)


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_cb_cb(p, q):
    t1 = p.mean * (p.logits - q.logits)
    t2 = p._cont_bern_log_norm() + ember.log1p(-p.probs)
    t3 = -q._cont_bern_log_norm() - ember.log1p(-q.probs)
    return t1 + t2 + t3


def _neg_entropy_minus_normal_loglik(p, q, second_moment_about_q_loc):
    """-H(p) - E_p[log q] for normal q, given E_p[(x - q.loc)^2]."""
    return (
        -p.entropy()
        + 0.5 * math.log(2 * math.pi)
        + q.scale.log()
        + second_moment_about_q_loc / (2 * q.scale.pow(2))
    )


@register_kl(ContinuousBernoulli, Normal)
def _kl_cb_normal(p, q):
    return _neg_entropy_minus_normal_loglik(p, q, p.variance + (p.mean - q.loc).pow(2))


@register_kl(ContinuousBernoulli, Exponential)
def _kl_cb_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(ContinuousBernoulli, Uniform)
def _kl_cb_uniform(p, q):
    result = -p.entropy() + (q.high - q.low).log()
    outside = (q.low > 0) | (q.high < 1)
    return ember.where(outside, ember.full_like(result, math.inf), result)


@register_kl(Uniform, ContinuousBernoulli)
def _kl_uniform_cb(p, q):
    result = -p.entropy() - p.mean * q.logits - ember.log1p(-q.probs) - q._cont_bern_log_norm()
    outside = (p.low < 0) | (p.high > 1)
    return ember.where(outside, ember.full_like(result, math.inf), result)


@register_kl(Exponential, Gumbel)
def _kl_exponential_gumbel(p, q):
    scale_rate = p.rate * q.scale
    loc_scale = q.loc / q.scale
    t2 = loc_scale.exp() * scale_rate / (scale_rate + 1)
    return scale_rate.log() - 1 - loc_scale + t2 + scale_rate.reciprocal()


@register_kl(Exponential, Normal)
def _kl_exponential_normal(p, q):
    # E[(x - mu)^2] = 2/rate^2 - 2 mu/rate + mu^2 for x ~ Exponential(rate)
    second = 2 * p.rate.pow(-2) - 2 * q.loc / p.rate + q.loc.pow(2)
    return _neg_entropy_minus_normal_loglik(p, q, second)


@register_kl(Gumbel, Normal)
def _kl_gumbel_normal(p, q):
    return _neg_entropy_minus_normal_loglik(p, q, p.variance + (p.mean - q.loc).pow(2))


@register_kl(Laplace, Normal)
def _kl_laplace_normal(p, q):
    return _neg_entropy_minus_normal_loglik(p, q, p.variance + (p.loc - q.loc).pow(2))


@register_kl(Normal, Gumbel)
def _kl_normal_gumbel(p, q):
    mean_ratio = p.loc / q.scale
    var_ratio = (p.scale / q.scale).pow(2)
    loc_ratio = q.loc / q.scale
    t3 = ember.exp(-mean_ratio + 0.5 * var_ratio + loc_ratio)
    return -0.5 * var_ratio.log() + mean_ratio - loc_ratio + t3 - 0.5 * (1 + math.log(2 * math.pi))


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p, q):
    # E|x - m| for x ~ Normal(mu, s) is s sqrt(2/pi) exp(-d^2 / 2s^2) + d erf(d / s sqrt2)
    loc_diff = p.loc - q.loc
    z = loc_diff / p.scale
    t2 = math.sqrt(2 / math.pi) * p.scale * ember.exp(-0.5 * z.pow(2))
    t3 = loc_diff * ember.erf(math.sqrt(0.5) * z)
    return -(p.scale / q.scale).log() + (t2 + t3) / q.scale - 0.5 * (1 + math.log(0.5 * math.pi))


@register_kl(Pareto, Exponential)
def _kl_pareto_exponential(p, q):
    result = -p.entropy() - q.rate.log() + q.rate * p.alpha * p.scale / (p.alpha - 1)
    return ember.where(p.alpha <= 1, ember.full_like(result, math.inf), result)


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p, q):
    a = p.alpha
    mean = a * p.scale / (a - 1)
    var = a * (p.scale / (a - 1)).pow(2) / (a - 2)
    result = _neg_entropy_minus_normal_loglik(p, q, var + (mean - q.loc).pow(2))
    return ember.where(a <= 2, ember.full_like(result, math.inf), result)


@register_kl(Uniform, Exponential)
def _kl_uniform_exponential(p, q):
    result = q.rate * (p.high + p.low) / 2 - ((p.high - p.low) * q.rate).log()
    return ember.where(p.low < 0, ember.full_like(result, math.inf), result)


@register_kl(Uniform, Gumbel)
def _kl_uniform_gumbel(p, q):
    ratio = q.scale / (p.high - p.low)
    high = (p.high - q.loc) / q.scale
    low = (p.low - q.loc) / q.scale
    return ratio.log() + 0.5 * (high + low) - ratio * (ember.exp(-high) - ember.exp(-low))


@register_kl(Uniform, Normal)
def _kl_uniform_normal(p, q):
    return _neg_entropy_minus_normal_loglik(p, q, p.variance + (p.mean - q.loc).pow(2))


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p, q):
    width = p.high - p.low
    # E[log x] for x ~ Uniform(low, high)
    mean_log = (ember.xlogy(p.high, p.high) - ember.xlogy(p.low, p.low)) / width - 1
    result = (q.alpha + 1) * mean_log - (q.alpha * q.scale.pow(q.alpha) * width).log()
    return ember.where(p.low < q.scale, ember.full_like(result, math.inf), result)


def _register_infinite(type_p, type_q):
    register_kl(type_p, type_q)(lambda p, q: _infinite(p))


# p's support is not inside q's: unbounded against bounded or half-line against shifted half-line
for _p, _q in [
    (Normal, Uniform),
    (Normal, Exponential),
    (Normal, Pareto),
    (Normal, ContinuousBernoulli),
    (Exponential, Uniform),
    (Exponential, Pareto),
    (Exponential, ContinuousBernoulli),
    (Gumbel, Uniform),
    (Gumbel, Exponential),
    (Gumbel, Pareto),
    (Gumbel, ContinuousBernoulli),
    (Laplace, Uniform),
    (Laplace, Exponential),
    (Laplace, Pareto),
    (Laplace, ContinuousBernoulli),
    (Pareto, Uniform),
    (Pareto, ContinuousBernoulli),
    (ContinuousBernoulli, Pareto),
]:
    _register_infinite(_p, _q)


# --- Gamma family, multivariate normals and discrete counts -------------------------------


def _kl_gaussian(p_half_log_det, p_sqrt_cov, p_loc, q_scale_tril, q_loc):
    """KL between two Gaussians given p's covariance square root (any n x m factor S with
    S S^T = cov_p) and q's Cholesky factor: 0.5 (tr(cov_q^-1 cov_p) + maha - n) + log-dets."""
    n = p_loc.shape[-1]
    solve = ember.linalg.solve_triangular
    trace = solve(q_scale_tril, p_sqrt_cov, upper=False).pow(2).sum((-2, -1))
    diff = (q_loc - p_loc).unsqueeze(-1)
    maha = solve(q_scale_tril, diff, upper=False).squeeze(-1).pow(2).sum(-1)
    q_half_log_det = q_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
    return q_half_log_det - p_half_log_det + 0.5 * (trace + maha - n)


def _gaussian_parts(d):
    """(half log det, covariance square root, loc) of an (LowRank)MultivariateNormal."""
    if isinstance(d, LowRankMultivariateNormal):
        sqrt_cov = ember.cat([d.cov_factor, ember.diag_embed(d.cov_diag.sqrt())], -1)
        return 0.5 * d._log_det(), sqrt_cov, d.loc
    return (
        d._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1),
        d._unbroadcasted_scale_tril,
        d.loc,
    )


def _q_scale_tril(d):
    if isinstance(d, LowRankMultivariateNormal):
        return ember.linalg.cholesky(d._dense_cov())
    return d._unbroadcasted_scale_tril


@register_kl(MultivariateNormal, MultivariateNormal)
@register_kl(MultivariateNormal, LowRankMultivariateNormal)
@register_kl(LowRankMultivariateNormal, MultivariateNormal)
@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
def _kl_mvn_mvn(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError(
            "KL-divergence between two Multivariate Normals with different event shapes "
            "cannot be computed"
        )
    half_log_det, sqrt_cov, loc = _gaussian_parts(p)
    return _kl_gaussian(half_log_det, sqrt_cov, loc, _q_scale_tril(q), q.loc)


@register_kl(ExponentialFamily, ExponentialFamily)
def _kl_expfamily_expfamily(p, q):
    # Bregman divergence of the log normalizer F: F(q) - F(p) - <theta_q - theta_p, F'(p)>
    if type(p) is not type(q):
        raise NotImplementedError(
            "The cross KL-divergence between different exponential families cannot be computed "
            "using Bregman divergences"
        )
    p_params = [t.detach().requires_grad_() for t in p._natural_params]
    q_params = q._natural_params
    with ember.enable_grad():
        lg_p = p._log_normalizer(*p_params)
        grads = ember.autograd.grad(lg_p.sum(), p_params, create_graph=True)
    result = q._log_normalizer(*q_params) - lg_p
    for pp, qp, g in zip(p_params, q_params, grads):
        term = (qp - pp) * g
        result = result - _sum_rightmost(term, len(q.event_shape))
    return result


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    a_p, b_p, a_q, b_q = p.concentration, p.rate, q.concentration, q.rate
    return (
        a_q * (b_p / b_q).log()
        + ember.lgamma(a_q)
        - ember.lgamma(a_p)
        + (a_p - a_q) * ember.digamma(a_p)
        + (b_q - b_p) * (a_p / b_p)
    )


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    return _kl_dirichlet_dirichlet(p._dirichlet, q._dirichlet)


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    c_p, c_q = p.concentration, q.concentration
    sum_p = c_p.sum(-1)
    t1 = ember.lgamma(sum_p) - ember.lgamma(c_q.sum(-1))
    t2 = (ember.lgamma(c_p) - ember.lgamma(c_q)).sum(-1)
    t3 = (c_p - c_q) * (ember.digamma(c_p) - ember.digamma(sum_p).unsqueeze(-1))
    return t1 - t2 + t3.sum(-1)


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p, q):
    # E_p[x] = 1 / p - 1 failures, each costing log(1 - q) under q
    return -p.entropy() - (1.0 / p.probs - 1.0) * (-q.probs).log1p() - q.probs.log()


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p, q):
    if bool((p.total_count < q.total_count).any()):
        raise NotImplementedError(
            "KL between Binomials where q.total_count > p.total_count is not implemented"
        )
    kl = p.total_count * _kl_bernoulli_bernoulli(p, q)
    return ember.where(p.total_count > q.total_count, _inf_like(kl), kl)


@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p, q):
    return -p.entropy() - (p.probs * q.rate.log() - q.rate)


@register_kl(Poisson, Bernoulli)
@register_kl(Poisson, Binomial)
def _kl_poisson_infinity(p, q):
    return _inf_like(p.rate)


def _beta_moments(p):
    """(E[x], Var[x], E[log x]) of a Beta distribution."""
    a, b = p.concentration1, p.concentration0
    return p.mean, p.variance, ember.digamma(a) - ember.digamma(a + b)


def _kl_to_normal(p_entropy, mean, var, q):
    e_sq = var + (mean - q.loc).pow(2)
    return -p_entropy + (q.scale * math.sqrt(2 * math.pi)).log() + e_sq / (2 * q.scale.pow(2))


def _gamma_cross_entropy(e_x, e_log_x, q):
    """-E_p[log q(x)] for q = Gamma(alpha, beta), from E_p[x] and E_p[log x]."""
    a, b = q.concentration, q.rate
    return -(a * b.log() - ember.lgamma(a) + (a - 1) * e_log_x - b * e_x)


@register_kl(Beta, Normal)
def _kl_beta_normal(p, q):
    mean, var, _ = _beta_moments(p)
    return _kl_to_normal(p.entropy(), mean, var, q)


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p, q):
    return _kl_to_normal(p.entropy(), p.mean, p.variance, q)


@register_kl(Beta, Gamma)
def _kl_beta_gamma(p, q):
    mean, _, e_log = _beta_moments(p)
    return -p.entropy() + _gamma_cross_entropy(mean, e_log, q)


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p, q):
    result = -p.entropy() + (q.high - q.low).log()
    return ember.where((q.low > 0) | (q.high < 1), _inf_like(result), result)


def _uniform_mean_log(low, high):
    """E[log x] for x ~ Uniform(low, high), 0 <= low < high."""
    return (ember.xlogy(high, high) - ember.xlogy(low, low)) / (high - low) - 1


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p, q):
    a, b = q.concentration1, q.concentration0
    e_log_x = _uniform_mean_log(p.low, p.high)
    e_log_1mx = _uniform_mean_log(1 - p.high, 1 - p.low)
    log_beta = ember.lgamma(a) + ember.lgamma(b) - ember.lgamma(a + b)
    result = -p.entropy() - ((a - 1) * e_log_x + (b - 1) * e_log_1mx - log_beta)
    return ember.where((p.low < 0) | (p.high > 1), _inf_like(result), result)


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p, q):
    e_log_x = _uniform_mean_log(p.low, p.high)
    result = -p.entropy() + _gamma_cross_entropy(p.mean, e_log_x, q)
    return ember.where(p.low < 0, _inf_like(result), result)
