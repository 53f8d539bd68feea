"""A CPU profiler with ``torch.profiler``'s API: per-op counts, self/total time and memory.

While a ``profile`` is active, every primitive op application is timed (``Function.apply``
and the binary-op fast path that skips it are wrapped for the duration and restored after).
Ops are named ``ember::<op>``, like PyTorch's ``aten::<op>``.

Example:
    >>> with ember.profiler.profile(record_shapes=True) as prof:  # doctest: +SKIP
    ...     with ember.profiler.record_function("step"):
    ...         model(x).sum().backward()
    >>> print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))
"""

from __future__ import annotations

import enum
import functools
import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "ProfilerActivity",
    "ProfilerAction",
    "profile",
    "record_function",
    "schedule",
    "tensorboard_trace_handler",
    "log_to_tensorboard",
]


class ProfilerActivity(enum.Enum):
    """What to profile: ``CPU`` (host time of every op); ``CUDA`` is accepted and timed on the
    host, since ember's CuPy ops run asynchronously."""

    CPU = 0
    CUDA = 1


class ProfilerAction(enum.Enum):
    """What a ``schedule`` says to do at a step."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(
    *, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0
) -> Callable[[int], ProfilerAction]:
    """The step -> action function of ``torch.profiler.schedule``.

    Example:
        >>> s = schedule(wait=1, warmup=1, active=2)
        >>> [s(i).name for i in range(4)]
        ['NONE', 'WARMUP', 'RECORD', 'RECORD_AND_SAVE']
    """
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError("Invalid profiler schedule arguments")
    period = wait + warmup + active

    def action(step: int) -> ProfilerAction:
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if repeat and step // period >= repeat:
            return ProfilerAction.NONE
        k = step % period
        if k < wait:
            return ProfilerAction.NONE
        if k < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD_AND_SAVE if k == period - 1 else ProfilerAction.RECORD

    return action


class _Event:
    __slots__ = ("name", "start", "end", "child_ns", "child_mem", "mem", "shapes", "cat", "tid")
    __slots__ += ("args",)

    def __init__(self, name: str, cat: str, shapes: list | None, args: tuple = ()) -> None:
        self.name, self.cat, self.shapes, self.args = name, cat, shapes, args
        self.child_ns = self.child_mem = self.mem = 0
        self.tid = threading.get_ident()
        self.start = time.perf_counter_ns()
        self.end = self.start


# -- op interception ---------------------------------------------------------------------------
_active: list = []  # the recording profiles, innermost last
_local = threading.local()  # .stack: this thread's open events (ops and ranges)
_patched: list = []
_skip = [None]  # the class whose next apply _binary's wrapper already records


def _shapes(args: tuple) -> list:
    return [list(a.shape) if hasattr(a, "_data") else [] for a in args]


def _nbytes(out: Any, args: tuple) -> int:
    # Views (reshape, permute...) allocate nothing: skip outputs that overlap an input.
    import numpy as np

    ins = [a._data for a in args if hasattr(a, "_data")]
    outs = out if isinstance(out, tuple) else (out,)
    return sum(
        o._data.nbytes
        for o in outs
        if hasattr(o, "_data") and not any(np.may_share_memory(o._data, i) for i in ins)
    )


def _stack() -> list:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def _begin(name: str, cat: str, args: tuple = ()) -> _Event:
    ev = _Event(name, cat, _shapes(args) if any(p.record_shapes for p in _active) else None, args)
    _stack().append(ev)
    return ev


def _end(ev: _Event, out: Any = None) -> None:
    ev.end = time.perf_counter_ns()
    stack = _stack()
    if stack and stack[-1] is ev:
        stack.pop()
    if out is not None and any(p.profile_memory for p in _active):
        ev.mem = _nbytes(out, ev.args)
    ev.args = ()  # the profile must not keep inputs alive
    if stack:
        parent = stack[-1]
        parent.child_ns += ev.end - ev.start
        parent.child_mem += ev.mem + ev.child_mem
    for p in _active:
        if p._recording:
            p._events.append(ev)


def _op_name(cls: type) -> str:
    return "ember::" + cls.__name__.lstrip("_").lower()


def _install() -> None:
    from .autograd import engine
    from .autograd import function as fmod
    from .ops import elementwise

    orig_apply = fmod.Function.__dict__["apply"]
    orig_binary = elementwise._binary
    orig_backward = engine.run_backward

    def apply(cls, *args, **kwargs):
        if _skip[0] is cls:
            _skip[0] = None
            return orig_apply.__func__(cls, *args, **kwargs)
        ev = _begin(_op_name(cls), "cpu_op", args)
        out = None
        try:
            out = orig_apply.__func__(cls, *args, **kwargs)
            return out
        finally:
            _end(ev, out)

    def binary(cls, a, b, float_op=False):
        ev = _begin(_op_name(cls), "cpu_op", (a, b))
        out = None
        _skip[0] = cls
        try:
            out = orig_binary(cls, a, b, float_op)
            return out
        finally:
            _skip[0] = None
            _end(ev, out)

    def run_backward(*args, **kwargs):
        ev = _begin("autograd::engine::backward", "cpu_op")
        try:
            return orig_backward(*args, **kwargs)
        finally:
            _end(ev)

    _patched[:] = [
        (fmod.Function, "apply", orig_apply),
        (elementwise, "_binary", orig_binary),
        (engine, "run_backward", orig_backward),
    ]
    fmod.Function.apply = classmethod(apply)
    elementwise._binary = binary
    engine.run_backward = run_backward


def _uninstall() -> None:
    for obj, attr, orig in _patched:
        setattr(obj, attr, orig)
    _patched.clear()


# -- results -----------------------------------------------------------------------------------
def _fmt_time(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _fmt_mem(b: int) -> str:
    for unit, size in (("Gb", 1 << 30), ("Mb", 1 << 20), ("Kb", 1 << 10)):
        if abs(b) >= size:
            return f"{b / size:.2f} {unit}"
    return f"{b} b"


class FunctionEventAvg:
    """Totals of one op (or one op and input shapes): counts, times in us, memory in bytes."""

    def __init__(self, key: str, input_shapes: str = "") -> None:
        self.key = key
        self.input_shapes = input_shapes
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = 0
        self.self_cpu_memory_usage = 0

    @property
    def cpu_time(self) -> float:
        """Average total time per call, in us."""
        return self.cpu_time_total / max(self.count, 1)

    def __repr__(self) -> str:
        return (
            f"<FunctionEventAvg key={self.key} count={self.count} "
            f"self_cpu_time_total={self.self_cpu_time_total:.3f}us "
            f"cpu_time_total={self.cpu_time_total:.3f}us>"
        )


class EventList(list):
    """A list of ``FunctionEventAvg`` with ``table()``, as torch.autograd.profiler's."""

    def __init__(self, items: Iterable = (), profile_memory: bool = False, shapes: bool = False):
        super().__init__(items)
        self._mem, self._shapes = profile_memory, shapes

    def table(
        self,
        sort_by: str | None = None,
        row_limit: int = 100,
        max_name_column_width: int = 55,
        header: str | None = None,
        top_level_events_only: bool = False,
    ) -> str:
        """The events as a text table, sorted descending by an attribute (``"cpu_time_total"``,
        ``"self_cpu_time_total"``, ``"count"``, ``"self_cpu_memory_usage"``...).

        Example:
            >>> print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=5))
            ... # doctest: +SKIP
        """
        rows = list(self)
        if sort_by is not None:
            key = sort_by.replace("cuda", "cpu").replace("device", "cpu")
            if not rows or not hasattr(rows[0], key):
                if rows:
                    raise AttributeError(f"'FunctionEventAvg' object has no attribute '{key}'")
            rows.sort(key=lambda e: getattr(e, key), reverse=True)
        if row_limit is not None and row_limit > 0:
            rows = rows[:row_limit]
        total = sum(e.self_cpu_time_total for e in self) or 1.0
        cols = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
        if self._mem:
            cols += ["CPU Mem", "Self CPU Mem"]
        cols.append("# of Calls")
        if self._shapes:
            cols.append("Input Shapes")
        body = []
        for e in rows:
            r = [
                e.key[:max_name_column_width],
                f"{100 * e.self_cpu_time_total / total:.2f}%",
                _fmt_time(e.self_cpu_time_total),
                f"{100 * e.cpu_time_total / total:.2f}%",
                _fmt_time(e.cpu_time_total),
                _fmt_time(e.cpu_time),
            ]
            if self._mem:
                r += [_fmt_mem(e.cpu_memory_usage), _fmt_mem(e.self_cpu_memory_usage)]
            r.append(str(e.count))
            if self._shapes:
                r.append(e.input_shapes)
            body.append(r)
        widths = [
            max(len(c), *(len(r[i]) for r in body)) if body else len(c) for i, c in enumerate(cols)
        ]
        sep = "  ".join("-" * w for w in widths)

        def line(cells):
            return "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))
            )

        out = ([header] if header else []) + [sep, line(cols), sep]
        out += [line(r) for r in body] + [sep, f"Self CPU time total: {_fmt_time(total)}", ""]
        return "\n".join(out)

    def total_average(self) -> FunctionEventAvg:
        """All events summed into one row named ``Total``."""
        t = FunctionEventAvg("Total")
        for e in self:
            t.count += e.count
            t.cpu_time_total += e.cpu_time_total
            t.self_cpu_time_total += e.self_cpu_time_total
        return t


class profile:
    """Context manager recording every op run inside it, as ``torch.profiler.profile``.

    Args:
        activities: ``ProfilerActivity`` values (CPU; CUDA ops are timed on the host).
        schedule: a ``schedule(...)``; with it, call ``prof.step()`` after each step.
        on_trace_ready: called with the profile when a scheduled cycle ends (or at exit).
        record_shapes: keep each op's input shapes.
        profile_memory: count the bytes of each op's outputs.

    Example:
        >>> with profile(record_shapes=True) as prof:  # doctest: +SKIP
        ...     y = (x @ w).relu().sum()
        >>> prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=5)
    """

    def __init__(
        self,
        activities: Iterable[ProfilerActivity] | None = None,
        *,
        schedule: Callable[[int], ProfilerAction] | None = None,
        on_trace_ready: Callable[[profile], Any] | None = None,
        record_shapes: bool = False,
        profile_memory: bool = False,
        with_stack: bool = False,
        with_flops: bool = False,
        with_modules: bool = False,
    ) -> None:
        for a in activities or ():
            if not isinstance(a, ProfilerActivity):
                raise TypeError(f"activities must be ProfilerActivity values, got {a!r}")
        self.activities = set(activities or (ProfilerActivity.CPU,))
        self.schedule = schedule
        self.on_trace_ready = on_trace_ready
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.step_num = 0
        self._events: list = []
        self._recording = False
        self._started = False

    def _action(self) -> ProfilerAction:
        return self.schedule(self.step_num) if self.schedule else ProfilerAction.RECORD

    def start(self) -> None:
        """Begin recording (what ``__enter__`` does)."""
        if not _active:
            _install()
        _active.append(self)
        self._started = True
        self._recording = self._action() in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)

    def stop(self) -> None:
        """End recording; calls ``on_trace_ready`` if events of an unsaved cycle remain."""
        if not self._started:
            return
        self._started = self._recording = False
        _active.remove(self)
        if not _active:
            _uninstall()
        if self.on_trace_ready is not None and self._events and self.schedule is None:
            self.on_trace_ready(self)

    def step(self) -> None:
        """Mark the end of a training step, for ``schedule``."""
        if self.schedule is None:
            self.step_num += 1
            return
        done = self.schedule(self.step_num) == ProfilerAction.RECORD_AND_SAVE
        if done and self.on_trace_ready is not None:
            self._recording = False
            self.on_trace_ready(self)
        self.step_num += 1
        if done:
            self._events = []
        self._recording = self._started and self._action() in (
            ProfilerAction.RECORD,
            ProfilerAction.RECORD_AND_SAVE,
        )

    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def events(self) -> list:
        """The raw events in order of completion (each has name, start, end in ns, mem...)."""
        return list(self._events)

    def key_averages(self, group_by_input_shape: bool = False) -> EventList:
        """Events summed per op name (and per input shapes when asked).

        Example:
            >>> prof.key_averages()[0].count  # doctest: +SKIP
            3
        """
        if group_by_input_shape and not self.record_shapes:
            raise AssertionError("group_by_input_shape needs record_shapes=True")
        rows: dict = {}
        for ev in self._events:
            shapes = str(ev.shapes) if group_by_input_shape else ""
            row = rows.get((ev.name, shapes))
            if row is None:
                row = rows[(ev.name, shapes)] = FunctionEventAvg(ev.name, shapes)
            row.count += 1
            dur = (ev.end - ev.start) / 1e3
            row.cpu_time_total += dur
            row.self_cpu_time_total += dur - ev.child_ns / 1e3
            row.self_cpu_memory_usage += ev.mem
            row.cpu_memory_usage += ev.mem + ev.child_mem
        return EventList(rows.values(), self.profile_memory, group_by_input_shape)

    def export_chrome_trace(self, path: str) -> None:
        """Write the events as Chrome trace JSON (chrome://tracing, Perfetto, TensorBoard)."""
        pid = os.getpid()
        events = []
        for ev in sorted(self._events, key=lambda e: e.start):
            args: dict = {}
            if ev.shapes is not None:
                args["Input Dims"] = ev.shapes
            if ev.mem:
                args["Bytes"] = ev.mem
            events.append(
                {
                    "ph": "X",
                    "cat": ev.cat,
                    "name": ev.name,
                    "pid": pid,
                    "tid": ev.tid,
                    "ts": ev.start / 1e3,
                    "dur": (ev.end - ev.start) / 1e3,
                    "args": args,
                }
            )
        with open(path, "w") as f:
            json.dump({"traceEvents": events, "displayTimeUnit": "ms"}, f)


class record_function:
    """Label a range of code in the profile (a context manager or a decorator).

    Example:
        >>> with profile() as prof, record_function("forward"):  # doctest: +SKIP
        ...     y = model(x)
    """

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name = name
        self._ev = None

    def __enter__(self) -> record_function:
        if _active:
            self._ev = _begin(self.name, "user_annotation")
        return self

    def __exit__(self, *exc) -> None:
        if self._ev is not None:
            _end(self._ev)
            self._ev = None

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with record_function(self.name):
                return fn(*args, **kwargs)

        return wrapper


def tensorboard_trace_handler(
    dir_name: str, worker_name: str | None = None, use_gzip: bool = False
) -> Callable[[profile], None]:
    """An ``on_trace_ready`` that writes ``<dir_name>/<worker>.<ns>.pt.trace.json[.gz]``, the
    files TensorBoard's PyTorch profiler plugin reads.

    Example:
        >>> profile(on_trace_ready=tensorboard_trace_handler("runs/prof"))  # doctest: +SKIP
    """

    def handler(prof: profile) -> None:
        import gzip
        import socket

        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        path = os.path.join(dir_name, f"{worker}.{time.time_ns()}.pt.trace.json")
        prof.export_chrome_trace(path)
        if use_gzip:
            with open(path, "rb") as src, gzip.open(path + ".gz", "wb") as dst:
                dst.write(src.read())
            os.remove(path)

    return handler


def log_to_tensorboard(
    prof: profile, writer: Any, global_step: int | None = None, row_limit: int = 20
) -> None:
    """Write a profile to a ``SummaryWriter``: the table as text (``profiler/table``) and each
    op's self CPU time in us as a scalar (``profiler/self_cpu_us/ember.add``: TensorBoard tags
    allow no ``:``).

    Example:
        >>> log_to_tensorboard(prof, SummaryWriter("runs/prof"), global_step=0)  # doctest: +SKIP
    """
    avg = prof.key_averages()
    table = avg.table(sort_by="self_cpu_time_total", row_limit=row_limit)
    # Markdown would reflow the table: four leading spaces keep it preformatted
    writer.add_text(
        "profiler/table", "\n".join("    " + ln for ln in table.splitlines()), global_step
    )
    for e in avg:
        tag = "profiler/self_cpu_us/" + e.key.replace("::", ".")
        writer.add_scalar(tag, e.self_cpu_time_total, global_step)
