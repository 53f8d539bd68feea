"""ember's primitive and composite ops, grouped by kind; re-exported at ``ember.*``."""

from .. import _dtype
from . import composite, creation, elementwise, extra, gamma, index, linalg, reduce, shape  # noqa: F401
from ._util import scalar_like  # noqa: F401
from .composite import *  # noqa: F401,F403
from .creation import *  # noqa: F401,F403
from .creation import (
    bernoulli_,
    cauchy_,
    exponential_,
    geometric_,
    log_normal_,
    new_empty,
    new_full,
    new_ones,
    new_tensor,
    new_zeros,
    normal_,
    random_,
    uniform_,
)
from .elementwise import *  # noqa: F401,F403
from .elementwise import (
    _out,
    copy_,
    fill_,
    inplace,
    rsub,
    to_copy,  # noqa: F401
    zero_,
)
from .extra import *  # noqa: F401,F403
from .gamma import *  # noqa: F401,F403
from .index import *  # noqa: F401,F403
from .index import (
    getitem,
    index_add_,
    index_fill_,
    index_put_,
    masked_fill_,  # noqa: F401
    masked_scatter_,
    scatter_,
    scatter_add_,
    scatter_reduce_,
    setitem,
)
from .linalg import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .reduce import values_indices  # noqa: F401
from .shape import *  # noqa: F401,F403
from .special_extra import *  # noqa: F401,F403
from .special_extra import i0_, igamma_, igammac_  # noqa: F401

tril_ = inplace(shape.tril, "tril_")
triu_ = inplace(shape.triu, "triu_")
lgamma_ = inplace(gamma.lgamma, "lgamma_")
digamma_ = inplace(gamma.digamma, "digamma_")
addmv_ = inplace(linalg.addmv, "addmv_")
gcd_ = inplace(composite.gcd, "gcd_")
lcm_ = inplace(composite.lcm, "lcm_")
ldexp_ = inplace(composite.ldexp, "ldexp_")


def _float_power_(self, exponent):
    # float_power computes in double precision, so only a double (or complex double) tensor
    # can hold the result in place.
    if self.dtype not in (_dtype.float64, _dtype.complex128):
        raise RuntimeError(
            f"the base given to float_power_ has dtype {self.dtype.scalar_name} but the "
            "operation's result requires dtype Double"
        )
    return _float_power_inplace(self, exponent)


_float_power_inplace = inplace(elementwise.float_power, "float_power_")


# In-place forms PyTorch has as Tensor methods only (no ``torch.addmm_``).
_INPLACE_METHODS = {
    name: inplace(fn, name)
    for name, fn in {
        "addmm_": linalg.addmm,
        "addbmm_": linalg.addbmm,
        "baddbmm_": linalg.baddbmm,
        "addr_": composite.addr,
        "copysign_": composite.copysign,
        "heaviside_": composite.heaviside,
        "hypot_": composite.hypot,
        "bitwise_left_shift_": elementwise.bitwise_left_shift,
        "bitwise_right_shift_": elementwise.bitwise_right_shift,
        "mvlgamma_": gamma.mvlgamma,
        "polygamma_": gamma.polygamma_method,
        "put_": composite.put,
        "index_reduce_": composite.index_reduce,
    }.items()
}
_INPLACE_METHODS["float_power_"] = _float_power_

# Functions that are also Tensor methods (``x.exp()``): the function's first parameter is the
# tensor, so the function itself is the method.
TENSOR_METHODS = """
add sub mul div true_divide divide multiply subtract floor_divide remainder fmod pow float_power
maximum minimum fmax fmin atan2 arctan2 exp exp2 expm1 log log2 log10 log1p sqrt rsqrt sin cos
tan asin acos atan sinh cosh tanh asinh acosh atanh sigmoid erf erfc erfinv abs absolute neg
negative reciprocal sign sgn floor ceil trunc fix frac round square logit xlogy sinc deg2rad
rad2deg nan_to_num eq ne lt le gt ge greater greater_equal less less_equal not_equal logical_and
logical_or logical_xor logical_not bitwise_and bitwise_or bitwise_xor bitwise_not
bitwise_left_shift bitwise_right_shift isnan isinf isposinf isneginf isfinite isclose allclose
equal clamp clip clamp_min clamp_max lerp addcmul addcdiv
add_ sub_ mul_ div_ pow_ clamp_ clip_ exp_ log_ sqrt_ neg_ abs_ sigmoid_ tanh_ floor_ ceil_ round_
trunc_ reciprocal_ lerp_ addcmul_ addcdiv_ remainder_ fmod_ sin_ cos_ rsqrt_ sign_ square_
clamp_min_ clamp_max_ nan_to_num_ floor_divide_ copy_ fill_ zero_ exp2_ expm1_ log2_ log10_ log1p_
tan_ erf_ frac_ true_divide_ divide_ atan2_ asin_ acos_ atan_ sinh_ cosh_ logical_not_ cumsum_
cumprod_
asinh_ acosh_ atanh_ erfc_ erfinv_ logit_ sinc_ deg2rad_ rad2deg_ xlogy_ eq_ ne_ lt_ le_ gt_ ge_
not_equal_ less_ less_equal_ greater_ greater_equal_ logical_and_ logical_or_ logical_xor_
bitwise_and_ bitwise_or_ bitwise_xor_ bitwise_not_ negative_ absolute_ sgn_ fix_ multiply_
subtract_ arctan2_ arcsin arccos arctan arcsinh arccosh arctanh arcsin_ arccos_ arctan_ arcsinh_
arccosh_ arctanh_ tril_ triu_
copysign cummin diag_embed diagflat diff dist dsplit gcd get_device heaviside hsplit hypot
is_nonzero is_same_size is_signed kron lcm ldexp logaddexp logaddexp2 logcumsumexp positive
quantile ravel rot90 signbit split_with_sizes vsplit lgamma digamma mvlgamma lgamma_ digamma_
i0 i0_ igamma igamma_ igammac igammac_
addr addmv_ gcd_ lcm_ ldexp_ select_scatter slice_scatter diagonal_scatter put index_reduce
unique_consecutive histc cov corrcoef nanmedian nanquantile frexp nextafter index_copy renorm
sum sum_to_size mean nansum nanmean prod max min amax amin aminmax argmax argmin var std logsumexp
norm all any count_nonzero cumsum cumprod cummax sort argsort msort topk kthvalue median
reshape view view_as reshape_as flatten unflatten squeeze unsqueeze permute transpose swapaxes
swapdims t movedim moveaxis expand expand_as broadcast_to contiguous clone narrow split
tensor_split chunk unbind flip fliplr flipud roll repeat tile repeat_interleave tril triu diagonal
diag trace
getitem setitem index_put index_put_ gather scatter scatter_add scatter_reduce index_select
index_add index_fill masked_fill masked_select masked_scatter take take_along_dim nonzero argwhere
bincount unique select masked_fill_ scatter_ scatter_add_ scatter_reduce_ index_add_
index_fill_ masked_scatter_
matmul mm bmm mv addmm addmv baddbmm addbmm dot vdot inner outer ger tensordot cross
new_tensor new_zeros new_ones new_empty new_full uniform_ normal_ bernoulli_ random_ exponential_
geometric_ log_normal_ cauchy_ bernoulli multinomial
""".split()

# Methods whose signature differs from the function's (``x.flip(0, 1)``, ``x.where(cond, y)``).
METHOD_OVERRIDES = {
    "flip": shape.flip_method,
    "where": elementwise.where_method,
    "polygamma": gamma.polygamma_method,
    "unfold": composite.unfold_method,
    **extra.METHODS,
    **_INPLACE_METHODS,
}
