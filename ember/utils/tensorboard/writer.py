"""``SummaryWriter``: torch.utils.tensorboard's writer; tensorboardX builds the summaries."""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np


def _tbx():
    # One import site for the optional dependencies, with an actionable message: tensorboardX
    # builds the summaries, tensorboard's own EventFileWriter (PyTorch's) writes the files.
    try:
        import tensorboardX.summary
        from tensorboard.summary.writer import event_file_writer
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "ember.utils.tensorboard needs tensorboardX and tensorboard: "
            "pip install tensorboardX tensorboard"
        ) from e
    return tensorboardX, event_file_writer


def _tf_bins() -> list:
    """TensorFlow's default histogram edges: +-1e-12 growing by 10% to 1e20, and 0."""
    pos, v = [], 1e-12
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    return [-x for x in reversed(pos)] + [0.0] + pos


class _FileWriter:
    """One run directory's event file: tensorboard's writer (unique file names, a flush that
    waits for the queue) fed with tensorboardX's summary protos."""

    def __init__(self, logdir: str, max_queue: int, flush_secs: int, suffix: str) -> None:
        _, efw = _tbx()
        from tensorboard.compat.proto import event_pb2

        self._pb = event_pb2
        self._w = efw.EventFileWriter(logdir, max_queue, flush_secs, suffix)

    def add_event(self, event: Any, step: int | None = None, walltime: float | None = None):
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            event.step = int(step)
        self._w.add_event(event)

    def add_summary(self, summary: Any, step: int | None = None, walltime=None) -> None:
        ev = self._pb.Event()
        ev.summary.ParseFromString(summary.SerializeToString())
        self.add_event(ev, step, walltime)

    def add_graph_def(self, graph_def: Any) -> None:
        self.add_event(self._pb.Event(graph_def=graph_def.SerializeToString()))

    def flush(self) -> None:
        self._w.flush()

    def close(self) -> None:
        self._w.close()


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
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self._writers: dict = {}
        self._file_writer()

    def _file_writer(self, sub: str | None = None) -> _FileWriter:
        """The writer of the run ``log_dir`` (or of its sub-run ``sub``), opened on first use."""
        path = self.log_dir if sub is None else os.path.join(self.log_dir, sub)
        fw = self._writers.get(path)
        if fw is None:
            fw = _FileWriter(path, self.max_queue, self.flush_secs, self.filename_suffix)
            self._writers[path] = fw
            if sub is None and self.purge_step is not None:
                # the marker that hides a crashed run's events at and after purge_step
                from tensorboard.compat.proto.event_pb2 import Event, SessionLog

                fw.add_event(Event(file_version="brain.Event:2"), self.purge_step)
                fw.add_event(
                    Event(session_log=SessionLog(status=SessionLog.START)), self.purge_step
                )
                self.purge_step = None
        return fw

    def _add(self, summary: Any, global_step: int | None, walltime: float | None = None) -> None:
        self._file_writer().add_summary(summary, global_step, walltime)

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
        S = _tbx()[0].summary
        self._add(S.scalar(tag, _scalar(scalar_value)), global_step, walltime)

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
        S = _tbx()[0].summary
        for key, value in tag_scalar_dict.items():
            fw = self._file_writer(main_tag.replace("/", "_") + "_" + key)
            fw.add_summary(S.scalar(main_tag, _scalar(value)), global_step, walltime)

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
        if isinstance(bins, str) and bins == "tensorflow":
            bins = _tf_bins()
        S = _tbx()[0].summary
        self._add(S.histogram(tag, v, bins, max_bins=max_bins), global_step, walltime)

    def add_image(
        self,
        tag: str,
        img_tensor: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str = "CHW",
    ) -> None:
        """Log one image (float in [0, 1] or uint8): ``w.add_image("x", torch.rand(3, 8, 8))``."""
        S = _tbx()[0].summary
        self._add(S.image(tag, _np(img_tensor), dataformats=dataformats), global_step, walltime)

    def add_images(
        self,
        tag: str,
        img_tensor: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str = "NCHW",
    ) -> None:
        """Log a batch of images as one grid: ``w.add_images("batch", torch.rand(4, 1, 8, 8))``."""
        self.add_image(tag, img_tensor, global_step, walltime, dataformats)

    def add_figure(
        self,
        tag: str,
        figure: Any,
        global_step: int | None = None,
        close: bool = True,
        walltime: float | None = None,
    ) -> None:
        """Log a matplotlib figure (or a list of them) as an image."""
        from tensorboardX.utils import figure_to_image

        fmt = "NCHW" if isinstance(figure, list) else "CHW"
        self.add_image(tag, figure_to_image(figure, close), global_step, walltime, fmt)

    def add_text(
        self, tag: str, text_string: str, global_step: int | None = None, walltime=None
    ) -> None:
        """Log Markdown text: ``w.add_text("note", "lr **0.1**", 0)``."""
        self._add(_tbx()[0].summary.text(tag, text_string), global_step, walltime)

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

        self._file_writer().add_graph_def(graph_def(model, input_to_model, verbose=verbose))

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
        S = _tbx()[0].summary
        hp = {k: _scalar(v) if hasattr(v, "_data") else v for k, v in hparam_dict.items()}
        metrics = {k: _scalar(v) for k, v in metric_dict.items()}
        fw = self._file_writer(run_name if run_name is not None else str(time.time()))
        for summary in S.hparams(hp, metrics):
            fw.add_summary(summary)
        for k, v in metrics.items():
            fw.add_summary(S.scalar(k, v), global_step)

    def add_embedding(
        self,
        mat: Any,
        metadata: list | None = None,
        label_img: Any = None,
        global_step: int | None = None,
        tag: str = "default",
        metadata_header: list | None = None,
    ) -> None:
        """Log an (N, D) matrix for the projector, with optional labels and (N, C, H, W)
        thumbnails, under ``<log_dir>/<step:05>/<tag>``.

        Example:
            >>> w.add_embedding(torch.randn(10, 3), metadata=list("abcdefghij"))  # doctest: +SKIP
        """
        from tensorboardX.embedding import append_pbtxt, make_mat, make_sprite, make_tsv

        mat = np.asarray(_np(mat))
        if mat.ndim != 2:
            raise ValueError(f"mat should be 2D (N, D), got shape {mat.shape}")
        label_img = _np(label_img)
        step = 0 if global_step is None else global_step
        subdir = f"{str(step).zfill(5)}/{tag.replace('/', '_')}"
        path = os.path.join(self.log_dir, subdir)
        os.makedirs(path, exist_ok=True)
        if metadata is not None:
            if len(metadata) != mat.shape[0]:
                raise ValueError("#labels should equal with #data points")
            make_tsv(metadata, path, metadata_header=metadata_header)
        if label_img is not None:
            if label_img.shape[0] != mat.shape[0]:
                raise ValueError("#images should equal with #data points")
            make_sprite(label_img, path)
        make_mat(mat, path)
        append_pbtxt(metadata, label_img, self.log_dir, subdir, step, tag)

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
        S = _tbx()[0].summary
        summary = S.pr_curve(
            tag,
            np.asarray(_np(labels)),
            np.asarray(_np(predictions)),
            num_thresholds,
            _np(weights),
        )
        self._add(summary, global_step, walltime)

    def add_custom_scalars(self, layout: dict) -> None:
        """Lay out the Custom Scalars dashboard.

        Example:
            >>> w.add_custom_scalars({"Loss": {"train vs val": ["Multiline", ["loss/.*"]]}})
            ... # doctest: +SKIP
        """
        self._add(_tbx()[0].summary.custom_scalars(layout), None)

    def flush(self) -> None:
        """Write pending events to disk."""
        for fw in self._writers.values():
            fw.flush()

    def close(self) -> None:
        """Flush and close the event files (writing again reopens new ones, as in PyTorch)."""
        for fw in self._writers.values():
            fw.close()
        self._writers.clear()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
