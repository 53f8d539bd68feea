"""``SummaryWriter``: torch.utils.tensorboard's writer, backed by tensorboardX's event files."""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np


def _tbx():
    # One import site for the optional dependency, with an actionable message.
    try:
        import tensorboardX
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "ember.utils.tensorboard needs tensorboardX: pip install tensorboardX tensorboard"
        ) from e
    return tensorboardX


def _np(x: Any) -> Any:
    """An ember Tensor (or a nest of them) as NumPy; anything else unchanged."""
    if hasattr(x, "_data") and hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    if isinstance(x, (list, tuple)) and x and hasattr(x[0], "_data"):
        return np.stack([_np(v) for v in x])
    return x


def _scalar(x: Any) -> float:
    x = _np(x)
    return x.item() if hasattr(x, "item") else x


class SummaryWriter:
    """Writes scalars, images, histograms, graphs and more to TensorBoard event files.

    Args:
        log_dir: directory of the event files (default ``runs/<date>_<host><comment>``).
        comment: suffix of the default ``log_dir``.
        purge_step: events at or after this step from a crashed run are hidden.
        max_queue: events buffered before a write.
        flush_secs: seconds between automatic flushes.
        filename_suffix: suffix of the event file names.

    Example:
        >>> w = SummaryWriter("runs/exp1")  # doctest: +SKIP
        >>> for step in range(3):  # doctest: +SKIP
        ...     w.add_scalar("loss", 1.0 / (step + 1), step)
        >>> w.close()  # doctest: +SKIP
    """

    def __init__(
        self,
        log_dir: str | None = None,
        comment: str = "",
        purge_step: int | None = None,
        max_queue: int = 10,
        flush_secs: int = 120,
        filename_suffix: str = "",
    ) -> None:
        if not log_dir:
            import socket
            from datetime import datetime

            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = str(log_dir)
        self._max_queue, self._flush_secs, self._suffix = max_queue, flush_secs, filename_suffix
        self._subwriters: dict = {}
        self._w = _tbx().SummaryWriter(
            logdir=self.log_dir,
            purge_step=purge_step,
            max_queue=max_queue,
            flush_secs=flush_secs,
            filename_suffix=filename_suffix,
        )

    def get_logdir(self) -> str:
        """The directory the event files go to."""
        return self.log_dir

    def add_scalar(
        self,
        tag: str,
        scalar_value: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        new_style: bool = False,
        double_precision: bool = False,
    ) -> None:
        """Log one number, e.g. ``w.add_scalar("loss", loss.item(), step)``."""
        self._w.add_scalar(tag, _scalar(scalar_value), global_step, walltime)

    def add_scalars(
        self,
        main_tag: str,
        tag_scalar_dict: dict,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """Log several numbers on one chart: ``w.add_scalars("loss", {"train": a, "val": b}, 1)``.

        Each key becomes its own run directory ``<log_dir>/<main_tag>_<key>``, as in PyTorch.
        """
        tbx = _tbx()
        for key, value in tag_scalar_dict.items():
            sub = os.path.join(self.log_dir, main_tag.replace("/", "_") + "_" + key)
            fw = self._subwriters.get(sub)
            if fw is None:
                fw = self._subwriters[sub] = tbx.FileWriter(
                    sub, self._max_queue, self._flush_secs, self._suffix
                )
            fw.add_summary(tbx.summary.scalar(main_tag, _scalar(value)), global_step, walltime)

    def add_histogram(
        self,
        tag: str,
        values: Any,
        global_step: int | None = None,
        bins: str = "tensorflow",
        walltime: float | None = None,
        max_bins: int | None = None,
    ) -> None:
        """Log a histogram of ``values``: ``w.add_histogram("fc.weight", model.fc.weight, 1)``."""
        v = np.asarray(_np(values), dtype=np.float64)
        self._w.add_histogram(tag, v, global_step, bins, walltime, max_bins)

    def add_image(
        self,
        tag: str,
        img_tensor: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str = "CHW",
    ) -> None:
        """Log one image (float in [0, 1] or uint8): ``w.add_image("x", torch.rand(3, 8, 8))``."""
        self._w.add_image(tag, _np(img_tensor), global_step, walltime, dataformats)

    def add_images(
        self,
        tag: str,
        img_tensor: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str = "NCHW",
    ) -> None:
        """Log a batch of images as one grid: ``w.add_images("batch", torch.rand(4, 1, 8, 8))``."""
        self._w.add_images(tag, _np(img_tensor), global_step, walltime, dataformats)

    def add_figure(
        self,
        tag: str,
        figure: Any,
        global_step: int | None = None,
        close: bool = True,
        walltime: float | None = None,
    ) -> None:
        """Log a matplotlib figure (or a list of them) as an image."""
        self._w.add_figure(tag, figure, global_step, close, walltime)

    def add_text(
        self, tag: str, text_string: str, global_step: int | None = None, walltime=None
    ) -> None:
        """Log Markdown text: ``w.add_text("note", "lr **0.1**", 0)``."""
        self._w.add_text(tag, text_string, global_step, walltime)

    def add_graph(
        self,
        model: Any,
        input_to_model: Any = None,
        verbose: bool = False,
        use_strict_trace: bool = True,
    ) -> None:
        """Record ``model``'s op graph from one forward pass on ``input_to_model``.

        A tuple of inputs is passed as several arguments; the model may return a tensor, a
        tuple/list or a dict. Ops are grouped by module path and edges carry tensor shapes.

        Example:
            >>> w.add_graph(ember.nn.Linear(3, 2), ember.randn(4, 3))  # doctest: +SKIP
        """
        from .graph import graph_def

        gd = graph_def(model, input_to_model, verbose=verbose)
        from tensorboardX.proto import event_pb2

        event = event_pb2.Event(graph_def=gd.SerializeToString())
        self._w._get_file_writer().add_event(event)

    def add_hparams(
        self,
        hparam_dict: dict,
        metric_dict: dict,
        hparam_domain_discrete: dict | None = None,
        run_name: str | None = None,
        global_step: int | None = None,
    ) -> None:
        """Log one trial's hyperparameters and metrics for the HParams dashboard.

        As in PyTorch, the summary and the metrics go to the sub-run ``run_name``
        (default: the current time). ``hparam_domain_discrete`` is accepted but not written.

        Example:
            >>> w.add_hparams({"lr": 0.1, "bs": 32}, {"hparam/acc": 0.9})  # doctest: +SKIP
        """
        if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        hp = {k: _scalar(v) if hasattr(v, "_data") else v for k, v in hparam_dict.items()}
        metrics = {k: _scalar(v) for k, v in metric_dict.items()}
        name = run_name if run_name is not None else str(time.time())
        # tensorboardX has no discrete domains: the dashboard infers them from the values seen.
        self._w.add_hparams(hp, metrics, name, global_step)

    def add_embedding(
        self,
        mat: Any,
        metadata: list | None = None,
        label_img: Any = None,
        global_step: int | None = None,
        tag: str = "default",
        metadata_header: list | None = None,
    ) -> None:
        """Log an (N, D) matrix for the projector, with optional labels and thumbnails."""
        self._w.add_embedding(_np(mat), metadata, _np(label_img), global_step, tag, metadata_header)

    def add_pr_curve(
        self,
        tag: str,
        labels: Any,
        predictions: Any,
        global_step: int | None = None,
        num_thresholds: int = 127,
        weights: Any = None,
        walltime: float | None = None,
    ) -> None:
        """Log a precision-recall curve of 0/1 ``labels`` against ``predictions`` in [0, 1]."""
        self._w.add_pr_curve(
            tag, _np(labels), _np(predictions), global_step, num_thresholds, _np(weights), walltime
        )

    def add_custom_scalars(self, layout: dict) -> None:
        """Lay out the Custom Scalars dashboard.

        Example:
            >>> w.add_custom_scalars({"Loss": {"train vs val": ["Multiline", ["loss/.*"]]}})
            ... # doctest: +SKIP
        """
        self._w.add_custom_scalars(layout)

    def flush(self) -> None:
        """Write pending events to disk."""
        self._w.flush()
        for fw in self._subwriters.values():
            fw.flush()

    def close(self) -> None:
        """Flush and close the event files."""
        self._w.close()
        for fw in self._subwriters.values():
            fw.close()
        self._subwriters.clear()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
