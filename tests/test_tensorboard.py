"""SummaryWriter: event files read back with tensorboard's EventAccumulator, vs PyTorch's writer."""

from __future__ import annotations

import io
import json
import os

import numpy as np
import pytest

import ember
import ember.nn as nn

pytest.importorskip("tensorboardX")
ea_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
from ember.utils.tensorboard import SummaryWriter  # noqa: E402


def _load(path):
    ea = ea_mod.EventAccumulator(
        str(path), size_guidance={"tensors": 0, "scalars": 0, "images": 0, "histograms": 0}
    )
    ea.Reload()
    return ea


def _png(encoded):
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(encoded)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
        self.head = nn.Linear(4, 2)

    def forward(self, x, y):
        h = self.enc(x) + y
        return {"out": self.head(h), "h": h}


def test_scalars_steps_and_context_manager(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        assert w.log_dir == w.get_logdir() == str(tmp_path)
        for step in range(3):
            w.add_scalar("loss", ember.tensor(1.0 / (step + 1)), step)
        w.add_scalar("lr", 0.25, 7)
    ea = _load(tmp_path)
    assert [(e.step, e.value) for e in ea.Scalars("loss")] == [
        (0, 1.0),
        (1, pytest.approx(0.5)),
        (2, pytest.approx(1 / 3)),
    ]
    assert [(e.step, e.value) for e in ea.Scalars("lr")] == [(7, 0.25)]


def test_flush_and_purge_step(tmp_path):
    w = SummaryWriter(str(tmp_path), flush_secs=1000, max_queue=1000)
    for step in range(5):
        w.add_scalar("x", float(step), step)
    w.flush()  # visible before close
    assert [e.step for e in _load(tmp_path).Scalars("x")] == [0, 1, 2, 3, 4]
    w.close()
    # a restarted run hides the events at and after purge_step, as PyTorch's writer does
    with SummaryWriter(str(tmp_path), purge_step=2) as w:
        w.add_scalar("x", 20.0, 2)
    assert [(e.step, e.value) for e in _load(tmp_path).Scalars("x")] == [
        (0, 0.0),
        (1, 1.0),
        (2, 20.0),
    ]
    # two writers in one directory within one second keep separate files; writing after
    # close opens a new one
    w1, w2 = SummaryWriter(str(tmp_path / "two")), SummaryWriter(str(tmp_path / "two"))
    w1.add_scalar("y", 1.0, 0)
    w2.add_scalar("y", 2.0, 1)
    w1.close()
    w1.add_scalar("y", 3.0, 2)
    w1.close()
    w2.close()
    assert len(os.listdir(tmp_path / "two")) == 3
    assert sorted(e.value for e in _load(tmp_path / "two").Scalars("y")) == [1.0, 2.0, 3.0]


def test_add_scalars_runs_as_pytorch(tmp_path):
    # PyTorch writes each key to the sub-run <log_dir>/<main_tag>_<key> under the tag main_tag
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    with SummaryWriter(str(tmp_path / "e")) as w:
        w.add_scalars("loss/x", {"train": 1.5, "val": ember.tensor(2.5)}, 4)
    with TorchWriter(str(tmp_path / "t")) as tw:
        tw.add_scalars("loss/x", {"train": 1.5, "val": 2.5}, 4)
    runs = [sorted(d.name for d in (tmp_path / r).iterdir() if d.is_dir()) for r in "et"]
    assert runs[0] == runs[1] == ["loss_x_train", "loss_x_val"]
    for key, value in (("train", 1.5), ("val", 2.5)):
        ea = _load(tmp_path / "e" / f"loss_x_{key}")
        assert [(e.step, e.value) for e in ea.Scalars("loss/x")] == [(4, value)]


def test_histogram_matches_pytorch(tmp_path):
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    x = np.random.default_rng(0).standard_normal(1000).astype(np.float32)
    with SummaryWriter(str(tmp_path / "e")) as w:
        w.add_histogram("w", ember.tensor(x), 5)
    with TorchWriter(str(tmp_path / "t")) as tw:
        tw.add_histogram("w", x, 5)
    (he,), (ht,) = _load(tmp_path / "e").Histograms("w"), _load(tmp_path / "t").Histograms("w")
    assert he.step == ht.step == 5
    a, b = he.histogram_value, ht.histogram_value
    assert (a.min, a.max, a.num) == (b.min, b.max, b.num)
    assert a.sum == pytest.approx(b.sum, rel=1e-5)
    np.testing.assert_allclose(a.bucket, b.bucket)
    np.testing.assert_allclose(a.bucket_limit, b.bucket_limit)


def test_images_match_pytorch(tmp_path):
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    batch = np.random.default_rng(1).random((4, 3, 6, 5)).astype(np.float32)
    with SummaryWriter(str(tmp_path / "e")) as w:
        w.add_image("one", ember.tensor(batch[0]), 1)
        w.add_image("hwc", ember.tensor(batch[0].transpose(1, 2, 0)), 1, dataformats="HWC")
        w.add_images("grid", ember.tensor(batch), 2)
    with TorchWriter(str(tmp_path / "t")) as tw:
        tw.add_image("one", batch[0], 1)
        tw.add_images("grid", batch, 2)
    ee, et = _load(tmp_path / "e"), _load(tmp_path / "t")
    for tag in ("one", "grid"):
        (ie,), (it,) = ee.Images(tag), et.Images(tag)
        assert ie.step == it.step
        assert (ie.width, ie.height) == (it.width, it.height)
        np.testing.assert_array_equal(_png(ie.encoded_image_string), _png(it.encoded_image_string))
    np.testing.assert_array_equal(
        _png(ee.Images("hwc")[0].encoded_image_string),
        _png(ee.Images("one")[0].encoded_image_string),
    )


def test_text_pr_curve_custom_scalars(tmp_path):
    from tensorboard.plugins.pr_curve import metadata as pr_meta
    from tensorboard.util import tensor_util

    labels = np.array([0, 1, 1, 0, 1])
    preds = np.array([0.1, 0.9, 0.6, 0.4, 0.3], dtype=np.float32)
    with SummaryWriter(str(tmp_path)) as w:
        w.add_text("note", "hello **ember**", 3)
        w.add_pr_curve("pr", ember.tensor(labels), ember.tensor(preds), 2, num_thresholds=11)
        w.add_custom_scalars({"Loss": {"both": ["Multiline", ["loss/.*"]]}})
    ea = _load(tmp_path)
    (text,) = ea.Tensors("note/text_summary")
    assert text.step == 3
    assert tensor_util.make_ndarray(text.tensor_proto).item() == b"hello **ember**"
    (pr,) = ea.Tensors("pr")
    assert pr.step == 2
    data = tensor_util.make_ndarray(pr.tensor_proto)
    assert data.shape == (6, 11)
    # row 0 is true positives at each threshold; at threshold 0 every positive counts
    assert data[0, 0] == labels.sum() and data[1, 0] == (1 - labels).sum()
    assert ea.SummaryMetadata("pr").plugin_data.plugin_name == pr_meta.PLUGIN_NAME
    assert "custom_scalars__config__" in ea.Tags()["tensors"]


def test_hparams_run(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        w.add_hparams({"lr": 0.1, "opt": "sgd"}, {"hparam/acc": 0.75}, run_name="trial")
        with pytest.raises(TypeError):
            w.add_hparams([0.1], {"a": 1.0})
    ea = _load(tmp_path / "trial")
    assert [e.value for e in ea.Scalars("hparam/acc")] == [0.75]
    content = ea.PluginTagToContent("hparams")
    assert set(content) >= {"_hparams_/experiment", "_hparams_/session_start_info"}
    assert b"sgd" in content["_hparams_/session_start_info"]


def test_embedding_projector_files(tmp_path):
    mat = np.random.default_rng(2).standard_normal((5, 3)).astype(np.float32)
    with SummaryWriter(str(tmp_path)) as w:
        w.add_embedding(ember.tensor(mat), metadata=list("abcde"), tag="emb", global_step=0)
    assert "embeddings" in (tmp_path / "projector_config.pbtxt").read_text()
    (tsv,) = list(tmp_path.rglob("tensors.tsv"))
    np.testing.assert_allclose(np.loadtxt(tsv, ndmin=2), mat, rtol=1e-6)
    (meta,) = list(tmp_path.rglob("metadata.tsv"))
    assert meta.read_text().split() == list("abcde")


def test_figure(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(2, 1), dpi=50)
    plt.plot([0, 1], [1, 0])
    with SummaryWriter(str(tmp_path)) as w:
        w.add_figure("fig", fig, 1)
    (img,) = _load(tmp_path).Images("fig")
    assert (img.width, img.height, img.step) == (100, 50, 1)


def test_graph_multi_input_dict_output(tmp_path):
    model = Net()
    with SummaryWriter(str(tmp_path)) as w:
        w.add_graph(model, (ember.randn(5, 3), ember.randn(5, 4)))
    gd = _load(tmp_path).Graph()
    nodes = {n.name: n for n in gd.node}
    shape = lambda n: [[d.size for d in s.dim] for s in n.attr["_output_shapes"].list.shape]  # noqa: E731
    assert shape(nodes["input/input.0"]) == [[5, 3]] and shape(nodes["input/input.1"]) == [[5, 4]]
    for p in ("Net/enc/0/weight", "Net/enc/0/bias", "Net/head/weight", "Net/head/bias"):
        assert nodes[p].op == "Parameter"
    assert shape(nodes["Net/enc/0/weight"]) == [[4, 3]]
    relu = [n for n in gd.node if n.name.startswith("Net/enc/1/")]
    assert [n.op for n in relu] == ["Relu"] and shape(relu[0]) == [[5, 4]]
    head = [n for n in gd.node if n.name.startswith("Net/head/") and n.op != "Parameter"]
    assert shape(head[-1]) == [[5, 2]]
    assert list(nodes["output/output.out"].input) == [head[-1].name]
    # the residual add lives in the root scope and reads the second input
    (add,) = [n for n in gd.node if n.name.startswith("Net/Add")]
    assert list(add.input) == [relu[0].name, "input/input.1"]
    assert list(nodes["output/output.h"].input) == [add.name]


def test_graph_tuple_output_single_input(tmp_path):
    class Two(nn.Module):
        def forward(self, x):
            return x * 2, (x.sum(),)

    with SummaryWriter(str(tmp_path)) as w:
        w.add_graph(Two(), ember.randn(2, 3))
    nodes = {n.name: n for n in _load(tmp_path).Graph().node}
    assert {"output/output.0", "output/output.1.0", "input/input.0"} <= set(nodes)
    ops = sorted(n.op for n in nodes.values() if n.name.startswith("Two/"))
    assert ops == ["Constant", "Mul", "Sum"] or ops == ["Mul", "Sum"]


def test_graph_buffers_and_int_inputs(tmp_path):
    conv = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.MaxPool2d(2))
    mean = conv[1].running_mean.clone()
    emb = nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(8, 2))
    with SummaryWriter(str(tmp_path / "c")) as w:
        w.add_graph(conv, ember.randn(1, 1, 6, 6))
    with SummaryWriter(str(tmp_path / "e")) as w:
        w.add_graph(emb, ember.tensor([[1, 2], [3, 4]]))
    # traced in eval mode like PyTorch, and the mode is restored
    assert conv.training and ember.equal(conv[1].running_mean, mean)
    nodes = {n.name: n for n in _load(tmp_path / "c").Graph().node}
    assert nodes["Sequential/1/running_mean"].op == "Buffer"
    assert nodes["Sequential/0/weight"].op == "Parameter"
    conv_op = next(n for n in nodes.values() if n.name.startswith("Sequential/0/Conv"))
    assert list(conv_op.input)[0] == "input/input.0"
    shape = [d.size for d in nodes["output/output"].attr["_output_shapes"].list.shape[0].dim]
    assert shape == [1, 2, 2, 2]
    nodes = {n.name: n for n in _load(tmp_path / "e").Graph().node}
    assert any(n.op == "Embedding" and "input/input.0" in n.input for n in nodes.values())
    assert nodes["Sequential/0/weight"].op == "Parameter"


def test_default_log_dir_comment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_exp", filename_suffix=".ember")
    w.add_scalar("a", 1.0, 0)
    w.close()
    assert w.log_dir.startswith("runs") and w.log_dir.endswith("_exp")
    (f,) = os.listdir(w.log_dir)
    assert f.endswith(".ember")
    json.dumps(w.log_dir)
