"""TensorBoard logging with ``torch.utils.tensorboard``'s API.

Summaries are built by tensorboardX and written by tensorboard's own event-file writer (optional
dependencies, imported on first use); ember Tensors are converted to NumPy first.

Example:
    >>> from ember.utils.tensorboard import SummaryWriter
    >>> with SummaryWriter("runs/demo") as w:  # doctest: +SKIP
    ...     w.add_scalar("loss", 0.5, 1)
"""

from .writer import SummaryWriter

__all__ = ["SummaryWriter"]
