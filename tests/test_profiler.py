"""ember.profiler: counts, times, memory, tables and traces, with torch.profiler as the spec."""

from __future__ import annotations

import json

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember import profiler
from ember.autograd import engine
from ember.autograd.function import Function
from ember.ops import elementwise


def _rows(table):
    lines = table.splitlines()
    return [ln.split()[0] for ln in lines[3:] if ln and not ln.startswith(("-", "Self"))]


def test_counts_cover_grad_and_no_grad_paths():
    a = ember.randn(5, requires_grad=True)
    b = ember.randn(5)
    with profiler.profile() as prof:
        for _ in range(3):
            a + b  # recorded fast path
        with ember.no_grad():
            a + b  # the no-grad path that skips Function.apply
            a * 2.0
        a.exp()
    counts = {e.key: e.count for e in prof.key_averages()}
    assert counts == {"ember::add": 4, "ember::mul": 1, "ember::exp": 1}


def test_patches_restored_even_on_error():
    apply, binary, run = Function.__dict__["apply"], elementwise._binary, engine.run_backward
    with pytest.raises(ZeroDivisionError):
        with profiler.profile():
            assert Function.__dict__["apply"] is not apply
            raise ZeroDivisionError("inside the profile")
    assert Function.__dict__["apply"] is apply and elementwise._binary is binary
    with profiler.profile() as outer:
        with profiler.profile() as inner:
            ember.ones(2) + 1
        ember.ones(2) + 1
    assert Function.__dict__["apply"] is apply and elementwise._binary is binary
    assert engine.run_backward is run
    assert [e.count for e in inner.key_averages()] == [1]
    assert {e.key: e.count for e in outer.key_averages()}["ember::add"] == 2


def test_self_and_total_time_nest():
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    x = ember.randn(3, 8)
    with profiler.profile() as prof:
        with profiler.record_function("forward"):
            y = model(x)
        with profiler.record_function("backward"):
            y.sum().backward()
    events = prof.events()
    bwd = next(e for e in events if e.name == "autograd::engine::backward")
    inside = [e for e in events if bwd.start < e.start and e.end < bwd.end]
    assert "ember::matmul" in {e.name for e in inside}  # the gradient ops
    fwd = next(e for e in events if e.name == "forward")
    inside = [e for e in events if fwd.start <= e.start and e.end <= fwd.end and e is not fwd]
    assert {"ember::linear", "ember::relu"} <= {e.name for e in inside}
    avg = {e.key: e for e in prof.key_averages()}
    f = avg["forward"]
    assert f.count == 1 and 0 < f.self_cpu_time_total < f.cpu_time_total
    # leaf ops: self == total; every self time is positive and sums to the wall time of the ranges
    assert avg["ember::relu"].self_cpu_time_total == pytest.approx(
        avg["ember::relu"].cpu_time_total
    )
    total_self = sum(e.self_cpu_time_total for e in avg.values())
    ranges = avg["forward"].cpu_time_total + avg["backward"].cpu_time_total
    assert total_self == pytest.approx(ranges, rel=1e-6)


def test_memory_counts_new_arrays_not_views():
    x = ember.randn(10, 10)
    with profiler.profile(profile_memory=True) as prof:
        with profiler.record_function("block"):
            y = x + x
            y.reshape(100)
            x.t().contiguous()
    avg = {e.key: e for e in prof.key_averages()}
    assert avg["ember::add"].self_cpu_memory_usage == 400
    assert avg["ember::reshape"].self_cpu_memory_usage == 0
    assert avg["block"].self_cpu_memory_usage == 0
    assert avg["block"].cpu_memory_usage == 800
    assert "CPU Mem" in prof.key_averages().table()


def test_table_like_torch():
    torch = pytest.importorskip("torch")
    tp = torch.profiler
    t = torch.ones(4)
    with tp.profile(activities=[tp.ProfilerActivity.CPU]) as tprof:
        t + t
    theader = tprof.key_averages().table(row_limit=1).splitlines()[1]
    a = ember.ones(50, 50)
    with profiler.profile(activities=[profiler.ProfilerActivity.CPU]) as prof:
        for _ in range(3):
            a @ a
        (a + a).sum()
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=2)
    header = table.splitlines()[1]
    split = lambda h: [c.strip() for c in h.split("  ") if c.strip()]  # noqa: E731
    assert split(header) == split(theader)
    assert len(_rows(table)) == 2 and "Self CPU time total:" in table
    ordered = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
    assert _rows(table) == [e.key for e in ordered[:2]]
    by_count = prof.key_averages().table(sort_by="count")
    assert _rows(by_count)[0] == "ember::matmul"
    with pytest.raises(AttributeError, match="bogus"):
        prof.key_averages().table(sort_by="bogus")


def test_group_by_input_shape():
    with profiler.profile(record_shapes=True) as prof:
        ember.ones(2, 3) + ember.ones(2, 3)
        ember.ones(4) + ember.ones(4)
        ember.ones(4) + ember.ones(4)
    rows = {e.input_shapes: e.count for e in prof.key_averages(True) if e.key == "ember::add"}
    assert rows == {"[[2, 3], [2, 3]]": 1, "[[4], [4]]": 2}
    with profiler.profile() as plain:
        ember.ones(1) + 1
    with pytest.raises(AssertionError):
        plain.key_averages(group_by_input_shape=True)


def test_chrome_trace(tmp_path):
    x = ember.randn(4, 4, requires_grad=True)
    with profiler.profile(record_shapes=True) as prof:
        with profiler.record_function("step"):
            (x * x).sum().backward()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    data = json.loads(path.read_text())
    events = data["traceEvents"]
    assert all(e["ph"] == "X" and e["dur"] >= 0 for e in events)
    names = [e["name"] for e in events]
    assert names[0] == "step" and {"ember::mul", "ember::sum"} <= set(names)
    step = events[0]
    assert step["cat"] == "user_annotation"
    for e in events[1:]:
        assert e["cat"] == "cpu_op"
        assert step["ts"] <= e["ts"] and e["ts"] + e["dur"] <= step["ts"] + step["dur"] + 1e-3
    mul = next(e for e in events if e["name"] == "ember::mul")
    assert mul["args"]["Input Dims"] == [[4, 4], [4, 4]]


@pytest.mark.filterwarnings("ignore:Profiler won't be using warmup")
def test_schedule_matches_torch():
    torch = pytest.importorskip("torch")
    for kw in (
        dict(wait=1, warmup=1, active=2),
        dict(wait=0, warmup=2, active=1, repeat=2, skip_first=3),
        dict(wait=2, warmup=0, active=3, repeat=1),
    ):
        ours = profiler.schedule(**kw)
        theirs = torch.profiler.schedule(**kw)
        assert [ours(i).name for i in range(20)] == [theirs(i).name for i in range(20)]


def test_schedule_and_trace_handler(tmp_path):
    seen = []
    sched = profiler.schedule(wait=1, warmup=1, active=2, repeat=1)
    handler = profiler.tensorboard_trace_handler(str(tmp_path), worker_name="w0")
    with profiler.profile(
        schedule=sched, on_trace_ready=lambda p: (seen.append(p.step_num), handler(p))
    ) as prof:
        for step in range(6):
            ember.ones(step + 1) * 2
            prof.step()
    assert seen == [3]
    (f,) = list(tmp_path.glob("w0.*.pt.trace.json"))
    sizes = [e["args"] for e in json.loads(f.read_text())["traceEvents"]]
    assert [e["name"] for e in json.loads(f.read_text())["traceEvents"]] == ["ember::mul"] * 2
    assert len(sizes) == 2


def test_log_to_tensorboard(tmp_path):
    pytest.importorskip("tensorboardX")
    ea_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    from tensorboard.util import tensor_util

    from ember.utils.tensorboard import SummaryWriter

    with profiler.profile() as prof:
        ember.ones(3) + ember.ones(3)
    with SummaryWriter(str(tmp_path)) as w:
        profiler.log_to_tensorboard(prof, w, global_step=2)
    ea = ea_mod.EventAccumulator(str(tmp_path), size_guidance={"tensors": 0})
    ea.Reload()
    (ev,) = ea.Scalars("profiler/self_cpu_us/ember.add")
    (avg,) = prof.key_averages()
    assert ev.step == 2 and ev.value == pytest.approx(avg.self_cpu_time_total, rel=1e-5)
    (text,) = ea.Tensors("profiler/table/text_summary")
    assert b"ember::add" in tensor_util.make_ndarray(text.tensor_proto).item()


def test_threads_keep_their_own_nesting():
    import threading

    x = ember.ones(100)
    with profiler.profile() as prof:

        def work():
            with profiler.record_function("worker"):
                for _ in range(20):
                    x + x

        t = threading.Thread(target=work)
        t.start()
        with profiler.record_function("main"):
            for _ in range(20):
                x * x
        t.join()
    avg = {e.key: e for e in prof.key_averages()}
    assert avg["ember::add"].count == avg["ember::mul"].count == 20
    # each range's children are its own thread's ops only
    for name, op in (("worker", "ember::add"), ("main", "ember::mul")):
        ev = next(e for e in prof.events() if e.name == name)
        kids = [e for e in prof.events() if e.tid == ev.tid and e is not ev]
        assert {e.name for e in kids} == {op}
        assert avg[name].self_cpu_time_total == pytest.approx(
            avg[name].cpu_time_total - avg[op].cpu_time_total, rel=1e-6, abs=1e-3
        )


def test_bad_activity():
    with pytest.raises(TypeError, match="CPU"):
        profiler.profile(activities=["CPU"])
    assert np.isfinite(profiler.profile().key_averages().total_average().cpu_time)
