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
from .categorical import Categorical
from .distribution import Distribution
from .independent import Independent
from .kl import kl_divergence, register_kl
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .uniform import Uniform

__all__ = [
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
