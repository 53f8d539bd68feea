"""TensorBoard logging with ``torch.utils.tensorboard``'s API.

Event files are written by tensorboardX (an optional dependency, imported on first use); ember
Tensors are converted to NumPy before they are handed over.

Example:
    >>> from ember.utils.tensorboard import SummaryWriter
    >>> with SummaryWriter("runs/demo") as w:  # doctest: +SKIP
    ...     w.add_scalar("loss", 0.5, 1)
"""

from .writer import SummaryWriter

__all__ = ["SummaryWriter"]
