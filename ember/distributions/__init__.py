"""Probability distributions, the most used part of ``torch.distributions``.

Parameters broadcast as in PyTorch, every formula is made of ember ops (so ``log_prob`` and
``rsample`` are differentiable), and sampling draws from ember's generator (``manual_seed``).

Example::

    >>> from ember.distributions import Normal, kl_divergence
    >>> kl_divergence(Normal(0.0, 1.0), Normal(0.0, 2.0)).item() > 0
    True
"""

from . import constraints
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical
from .dirichlet import Dirichlet
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .fishersnedecor import FisherSnedecor
from .gamma import Chi2, Gamma
from .geometric import Geometric
from .independent import Independent
from .inverse_gamma import InverseGamma
from .kl import kl_divergence, register_kl
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .mixture_same_family import MixtureSameFamily
from .multinomial import Multinomial
from .multivariate_normal import MultivariateNormal
from .negative_binomial import NegativeBinomial
from .normal import Normal
from .one_hot_categorical import OneHotCategorical, OneHotCategoricalStraightThrough
from .poisson import Poisson
from .studentt import StudentT
from .uniform import Uniform

__all__ = [
    "Beta",
    "Binomial",
    "Chi2",
    "Dirichlet",
    "ExponentialFamily",
    "FisherSnedecor",
    "Gamma",
    "Geometric",
    "InverseGamma",
    "LowRankMultivariateNormal",
    "MixtureSameFamily",
    "Multinomial",
    "MultivariateNormal",
    "NegativeBinomial",
    "OneHotCategoricalStraightThrough",
    "Poisson",
    "StudentT",
    "Bernoulli",
    "Categorical",
    "Distribution",
    "Independent",
    "Normal",
    "OneHotCategorical",
    "Uniform",
    "constraints",
    "kl_divergence",
    "register_kl",
]
