"""ONNX export (checked by onnx's checker and run by onnxruntime) and import round trips."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from test_nn_mnist import mnist_net

import ember
import ember.nn as nn
import ember.nn.functional as F

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


class ResBlock(nn.Module):
    def __init__(self, c=8):
        super().__init__()
        self.stem = nn.Conv2d(3, c, 3, padding=1, bias=False)
        self.bn0 = nn.BatchNorm2d(c)
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=2, dilation=2, groups=2, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, 5)

    def forward(self, x):
        x = F.relu(self.bn0(self.stem(x)))
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        x = F.relu(x + y)
        x = F.avg_pool2d(x, 2, stride=1, padding=1, count_include_pad=False)
        return self.fc(self.pool(x).flatten(1))


class UpNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(2, 4, 3, stride=2, padding=1)
        self.up = nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1, output_padding=1)
        self.upsample = nn.Upsample(scale_factor=2, mode="nearest")
        self.bil = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.out = nn.Conv2d(4, 1, 1)

    def forward(self, x):
        x = F.leaky_relu(self.down(x), 0.1)
        x = ember.cat([self.up(x), self.upsample(x)], 1)[:, :4]
        x = F.pad(self.bil(x), (1, 1, 0, 2))
        return ember.sigmoid(self.out(x))


def _mlp():
    return nn.Sequential(
        nn.Linear(12, 32),
        nn.GELU(),
        nn.LayerNorm(32),
        nn.Dropout(0.3),
        nn.Linear(32, 16),
        nn.Tanh(),
        nn.Linear(16, 4),
        nn.Softmax(dim=-1),
    )


def _randomize_bn(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(ember.randn(m.num_features) * 0.1)
            m.running_var.copy_(ember.rand(m.num_features) + 0.5)


def _export(model, x, **kw):
    buf = io.BytesIO()
    proto = ember.onnx.export(model, x, buf, input_names=["x"], output_names=["y"], **kw)
    onnx.checker.check_model(proto, full_check=True)
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    return proto, sess, buf.getvalue()


def _check(model, sess, x, blob, atol=1e-5):
    model.eval()
    with ember.no_grad():
        want = model(x).numpy()
    got = sess.run(None, {"x": x.numpy()})[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=atol)
    # import round trip: the same graph run by ember
    back = ember.onnx.load(blob)
    with ember.no_grad():
        np.testing.assert_allclose(back(x).numpy(), want, rtol=1e-5, atol=atol)


DYN = {"x": {0: "batch"}, "y": {0: "batch"}}


def test_mnist_cnn_dynamic_batch():
    ember.manual_seed(0)
    model = mnist_net(ember)  # the seed's MNIST CNN (examples/mnist.py)
    proto, sess, blob = _export(model, ember.randn(2, 1, 28, 28), dynamic_axes=DYN)
    assert proto.opset_import[0].version == ember.onnx.default_opset() >= 17
    names = {i.name for i in proto.graph.initializer}
    assert {"conv1.weight", "conv2.bias", "fc1.weight", "fc2.bias"} <= names
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert not any(n.op_type == "Dropout" for n in proto.graph.node)
    for n in (1, 7, 64):
        _check(model, sess, ember.randn(n, 1, 28, 28), blob)


def test_mlp():
    ember.manual_seed(1)
    model = _mlp()
    _, sess, blob = _export(model, ember.randn(3, 12), dynamic_axes=DYN)
    for n in (1, 5):
        _check(model, sess, ember.randn(n, 12), blob)


def test_resnet_block_with_batchnorm():
    ember.manual_seed(2)
    model = ResBlock()
    _randomize_bn(model)
    model.train()
    proto, sess, blob = _export(model, ember.randn(2, 3, 8, 8), dynamic_axes=DYN)
    assert model.training  # the mode is restored after export
    inits = {i.name for i in proto.graph.initializer}
    assert {"bn1.running_mean", "bn1.running_var", "bn1.weight"} <= inits
    for n in (1, 4):
        _check(model, sess, ember.randn(n, 3, 8, 8), blob)


def test_convtranspose_upsample():
    ember.manual_seed(3)
    model = UpNet()
    _, sess, blob = _export(model, ember.randn(2, 2, 8, 8), dynamic_axes=DYN)
    for n in (1, 3):
        _check(model, sess, ember.randn(n, 2, 8, 8), blob)


def test_transformer_encoder_layer():
    ember.manual_seed(4)
    model = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, batch_first=True)
    _, sess, blob = _export(model, ember.randn(2, 5, 16), dynamic_axes=DYN)
    for n in (1, 3):
        _check(model, sess, ember.randn(n, 5, 16), blob, atol=1e-5)


def test_opset_version_and_static_shapes():
    ember.manual_seed(5)
    model = _mlp()
    proto, sess, blob = _export(model, ember.randn(3, 12), opset_version=17)
    assert proto.opset_import[0].version == 17
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 3
    _check(model, sess, ember.randn(3, 12), blob)


def test_imported_model_trains():
    ember.manual_seed(6)
    model = _mlp()
    _, _, blob = _export(model, ember.randn(3, 12))
    back = ember.onnx.load(blob)
    keys = {k for k, _ in back.named_parameters()}
    assert keys == {k for k, _ in model.named_parameters()}
    opt = ember.optim.SGD(back.parameters(), lr=0.5)
    x = ember.randn(8, 12)
    w = dict(back.named_parameters())["0.weight"]
    before = w.detach().clone()
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = -back(x)[:, 0].log().mean()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < losses[0]
    assert not np.allclose(w.detach().numpy(), before.numpy())


class _Roll(nn.Module):
    def forward(self, x):
        return x.roll(1, 0)


def test_unsupported_export_names_op_and_module():
    model = nn.Sequential(nn.Linear(4, 4), nn.Sequential(nn.ReLU(), _Roll()))
    with pytest.raises(ember.onnx.UnsupportedOperatorError, match=r"'Roll'.*'1\.1'.*_Roll"):
        ember.onnx.export(model, ember.randn(2, 4), io.BytesIO())


def test_input_dependent_constant_is_an_error_not_a_baked_value():
    # LocalResponseNorm pads with zeros made at the traced batch size; uneven adaptive max
    # pooling gathers at argmax positions (argmax is not recorded): never bake them in
    for layer in (nn.LocalResponseNorm(2), nn.AdaptiveMaxPool2d((2, 2))):
        model = nn.Sequential(nn.Conv2d(2, 4, 1), layer)
        with pytest.raises(ember.onnx.UnsupportedOperatorError, match="module '1'"):
            ember.onnx.export(
                model,
                ember.randn(2, 2, 5, 5),
                io.BytesIO(),
                input_names=["x"],
                output_names=["y"],
                dynamic_axes=DYN,
            )


def test_unsupported_import_names_op():
    from onnx import TensorProto, helper

    node = helper.make_node("NonMaxSuppression", ["a", "b"], ["y"])
    g = helper.make_graph(
        [node],
        "g",
        [
            helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 1, 4]),
            helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 1, 1]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.INT64, [None, 3])],
    )
    m = helper.make_model(g)
    back = ember.onnx.load(m)
    with pytest.raises(ember.onnx.UnsupportedOperatorError, match="NonMaxSuppression"):
        back(ember.randn(1, 1, 4), ember.randn(1, 1, 1))


class RecurrentNet(nn.Module):
    def __init__(self, cell):
        super().__init__()
        kw = {"bidirectional": True} if cell is nn.GRU else {}
        self.rnn = cell(6, 8, num_layers=2, batch_first=True, **kw)
        self.head = nn.Linear(8 * (2 if kw else 1), 3)

    def forward(self, x):
        y = self.rnn(x)[0]
        return self.head(y[:, -1])


@pytest.mark.parametrize("cell", [nn.LSTM, nn.GRU, nn.RNN])
def test_recurrent(cell):
    ember.manual_seed(7)
    model = RecurrentNet(cell)
    _, sess, blob = _export(model, ember.randn(2, 5, 6), dynamic_axes=DYN)
    for n in (1, 4):
        _check(model, sess, ember.randn(n, 5, 6), blob)


class _TwoHeadsMSE(nn.Module):
    def __init__(self, reduction):
        super().__init__()
        self.a, self.b, self.reduction = nn.Linear(6, 3), nn.Linear(6, 3), reduction

    def forward(self, x):
        return F.mse_loss(self.a(x), self.b(x), reduction=self.reduction)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss(reduction):
    ember.manual_seed(3)
    model = _TwoHeadsMSE(reduction)
    dyn = DYN if reduction == "none" else {"x": {0: "batch"}}
    _, sess, blob = _export(model, ember.randn(4, 6), dynamic_axes=dyn)
    for n in (1, 5):
        _check(model, sess, ember.randn(n, 6), blob)


class _Emb(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 4)
        self.lin = nn.Linear(4, 2)

    def forward(self, x):
        y = self.lin(self.emb(x))
        return y.sum(1) + y.amax(1) - y.mean(1)


_LAYERS = {
    "conv1d_ceil_pool": (
        lambda: nn.Sequential(
            nn.Conv1d(3, 4, 3, stride=2, padding=1), nn.MaxPool1d(2, ceil_mode=True)
        ),
        (2, 3, 9),
    ),
    "conv3d_avgpool": (
        lambda: nn.Sequential(nn.Conv3d(2, 2, 3, padding=1), nn.AvgPool3d(2)),
        (2, 2, 4, 4, 4),
    ),
    "avgpool_ceil": (
        lambda: nn.AvgPool2d(3, 2, padding=1, ceil_mode=True, count_include_pad=False),
        (2, 3, 8, 8),
    ),
    "adaptive_pools": (
        lambda: nn.Sequential(nn.AdaptiveAvgPool2d((3, 3)), nn.AdaptiveMaxPool2d(1)),
        (2, 3, 8, 8),
    ),
    "activations": (
        lambda: nn.Sequential(
            nn.ELU(),
            nn.SiLU(),
            nn.Softplus(),
            nn.Hardswish(),
            nn.Hardsigmoid(),
            nn.Mish(),
            nn.ReLU6(),
            nn.SELU(),
            nn.GELU("tanh"),
            nn.Softsign(),
            nn.Hardtanh(),
            nn.LogSigmoid(),
        ),
        (2, 5),
    ),
    "prelu_groupnorm_instancenorm": (
        lambda: nn.Sequential(
            nn.Conv2d(3, 4, 1), nn.PReLU(4), nn.GroupNorm(2, 4), nn.InstanceNorm2d(4, affine=True)
        ),
        (2, 3, 5, 5),
    ),
    "pixelshuffle_reflectpad_bicubic": (
        lambda: nn.Sequential(
            nn.PixelShuffle(2), nn.ReflectionPad2d(1), nn.Upsample(scale_factor=2, mode="bicubic")
        ),
        (2, 8, 3, 3),
    ),
    "embedding_reductions": (_Emb, "int"),
}


@pytest.mark.parametrize("name", sorted(_LAYERS))
def test_layer_coverage(name):
    ember.manual_seed(8)
    make, shape = _LAYERS[name]
    model = make()
    x = ember.randint(0, 10, (2, 3)) if shape == "int" else ember.randn(*shape)
    _, sess, blob = _export(model, x, dynamic_axes=DYN)
    x2 = ember.randint(0, 10, (3, 3)) if shape == "int" else ember.randn(3, *shape[1:])
    _check(model, sess, x2, blob)


def test_decoder_layer_two_inputs():
    ember.manual_seed(9)
    model = nn.TransformerDecoderLayer(8, 2, 16, batch_first=True).eval()
    buf = io.BytesIO()
    dyn = {"tgt": {0: "b"}, "mem": {0: "b"}}
    args = (ember.randn(2, 3, 8), ember.randn(2, 4, 8))
    proto = ember.onnx.export(model, args, buf, input_names=["tgt", "mem"], dynamic_axes=dyn)
    onnx.checker.check_model(proto, full_check=True)
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    tgt, mem = ember.randn(5, 3, 8), ember.randn(5, 4, 8)
    with ember.no_grad():
        want = model(tgt, mem).numpy()
    got = sess.run(None, {"tgt": tgt.numpy(), "mem": mem.numpy()})[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    back = ember.onnx.load(buf.getvalue())
    with ember.no_grad():
        np.testing.assert_allclose(back(tgt, mem).numpy(), want, rtol=1e-5, atol=1e-5)


class _InplaceDict(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3)
        self.bn = nn.BatchNorm2d(3)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        y = self.act(self.bn(self.conv(x)))
        y += 1.0
        return {"mean": y.mean((2, 3)), "rest": (y.max(1).values, F.softmax(y.flatten(1), -1))}


def test_inplace_ops_and_nested_outputs(tmp_path):
    ember.manual_seed(10)
    model = _InplaceDict().eval()
    _randomize_bn(model)
    path = str(tmp_path / "m.onnx")
    ember.onnx.export(
        model, ember.randn(2, 2, 6, 6), path, input_names=["x"], dynamic_axes={"x": [0]}
    )
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    # output dims that follow the dynamic input axis are declared dynamic
    assert all(o.type.tensor_type.shape.dim[0].dim_param for o in proto.graph.output)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    x = ember.randn(3, 2, 6, 6)
    with ember.no_grad():
        o = model(x)
    want = [o["mean"], o["rest"][0], o["rest"][1]]
    got = sess.run(None, {"x": x.numpy()})
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w.numpy(), rtol=1e-5, atol=1e-6)


def test_export_params_false_makes_weights_inputs():
    model = _mlp()
    proto = ember.onnx.export(model, ember.randn(2, 12), io.BytesIO(), export_params=False)
    onnx.checker.check_model(proto, full_check=True)
    assert not proto.graph.initializer or all(
        i.doc_string == "constant" for i in proto.graph.initializer
    )
    assert {"0.weight", "6.bias"} <= {i.name for i in proto.graph.input}


def test_tracer_records_ops_with_module_paths_and_restores():
    from ember._trace import trace
    from ember.autograd.function import Function

    apply_before = Function.__dict__["apply"]
    model = nn.Sequential(nn.Linear(3, 2), nn.Sequential(nn.ReLU()))
    x = ember.randn(4, 3, requires_grad=True)
    with trace(model) as t:
        y = model(x)
        mask = y > 0
    ops = [(r.op.__name__, r.module_path) for r in t.records]
    assert ops[-2:] == [("_Relu", "1.0"), ("Greater", "")]
    assert ("Linear", "0") in ops
    assert t.records[-2].outputs[0] is not None and t.records[-1].outputs[0] is mask
    assert Function.__dict__["apply"] is apply_before
    with pytest.raises(ValueError), trace(model):
        raise ValueError
    assert Function.__dict__["apply"] is apply_before
    assert type(model).__call__ is nn.Module.__call__


def test_import_model_exported_by_pytorch():
    torch = pytest.importorskip("torch")
    tn = torch.nn
    torch.manual_seed(0)
    ref = tn.Sequential(
        tn.Conv2d(1, 4, 3, padding=1),
        tn.BatchNorm2d(4),
        tn.ReLU(),
        tn.MaxPool2d(2),
        tn.Flatten(),
        tn.Linear(16, 10),
        tn.GELU(),
        tn.LayerNorm(10),
        tn.Softmax(-1),
    ).eval()
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            ref,
            (torch.randn(2, 1, 4, 4),),
            buf,
            dynamo=False,
            input_names=["x"],
            dynamic_axes={"x": {0: "b"}},
            opset_version=17,
        )
    back = ember.onnx.load(buf.getvalue())
    x = torch.randn(3, 1, 4, 4)
    with torch.no_grad():
        want = ref(x).numpy()
    np.testing.assert_allclose(
        back(ember.tensor(x.numpy())).detach().numpy(), want, rtol=1e-5, atol=1e-6
    )
    assert {"5.weight", "7.bias"} <= {k for k, _ in back.named_parameters()}


def test_import_pytorch_model_with_shape_ops_split_and_more_activations():
    torch = pytest.importorskip("torch")
    tn = torch.nn

    class Ref(tn.Module):
        def __init__(self):
            super().__init__()
            self.c = tn.Conv2d(3, 6, 3, padding=1)
            self.p = tn.PReLU(6)
            self.d = tn.Dropout(0.2)
            self.i = tn.InstanceNorm2d(6, affine=True)

        def forward(self, x):
            a, b = self.i(self.p(self.c(x))).split([2, 4], 1)
            fn = tn.functional
            z = torch.cat([fn.elu(a), fn.hardsigmoid(b), fn.softplus(b)], 1)
            return self.d(z.reshape(z.shape[0], -1))  # Shape/Gather/Concat/Reshape in ONNX

    torch.manual_seed(1)
    ref = Ref().eval()
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            ref,
            (torch.randn(2, 3, 5, 5),),
            buf,
            dynamo=False,
            input_names=["x"],
            dynamic_axes={"x": {0: "b"}},
            opset_version=17,
        )
    back = ember.onnx.load(buf.getvalue())
    x = torch.randn(4, 3, 5, 5)
    with torch.no_grad():
        want = ref(x).numpy()
    got = back(ember.tensor(x.numpy())).detach().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
