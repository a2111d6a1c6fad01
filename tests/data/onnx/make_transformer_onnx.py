#!/usr/bin/python3
"""Writes a small random-weight transformer as an ONNX file, for the ONNX importer's tests.

Two shapes, built node by node with onnx.helper the way exporters lay them out:

  encoder  BERT: word + position + token-type embedding rows, layer norm, then per layer Q, K, V
           projections (each its own MatMul + bias Add), per-head attention (Reshape, Transpose,
           MatMul, Div by sqrt(width), Softmax, MatMul), output projection, residual Add, layer
           norm, feed-forward (MatMul, GELU, MatMul), residual Add, layer norm (post-norm).
  decoder  GPT-2: word + position rows, then per layer layer norm, one fused QKV MatMul split in
           three, attention with a causal mask added to the scores, output projection, residual,
           layer norm, feed-forward, residual (pre-norm); a final layer norm and the LM head, a
           MatMul by the transposed word table (tied embeddings).

Options choose among the forms exporters emit: the layer norm as one LayerNormalization node or
decomposed (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add), GELU as a Gelu node, the
Erf form or the tanh approximation; the linear layers as MatMul by an [in, out] weight or (--gemm)
as Gemm by a PyTorch [out, in] weight with transB over rows flattened to 2-d. --unsupported inserts one node of an op type the importer
does not know. Batch and sequence are symbolic ("batch", "seq") except the decoder's sequence,
which its causal-mask constant fixes (--positions by default). Weights are N(0, 0.02^2) from
--seed, so files are reproducible.
"""
import argparse
import math

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class GraphWriter:
    def __init__(self, seed, gemm_seq=0):
        self.nodes, self.inits = [], []
        self.gemm_seq = gemm_seq  # nonzero: linear layers as Gemm over [batch * seq, in] rows
        self.rng = np.random.default_rng(seed)
        self.count = 0

    def name(self, stem):
        self.count += 1
        return f"{stem}_{self.count}"

    def weight(self, name, shape, scale=0.02):
        self.inits.append(numpy_helper.from_array(
            (self.rng.standard_normal(shape) * scale).astype(np.float32), name))
        return name

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, inputs, stem=None, outputs=1, **attrs):
        stem = stem or op.lower()
        outs = [self.name(stem) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=self.name(op), **attrs))
        return outs[0] if outputs == 1 else outs

    def linear(self, x, prefix, k, n):
        if self.gemm_seq:
            # Gemm takes 2-d operands: rows flattened, a PyTorch [out, in] weight with transB = 1.
            rows = self.node("Reshape", [x, self.const(self.name("rows"), np.array([-1, k], np.int64))])
            y = self.node("Gemm", [rows, self.weight(prefix + ".weight", [n, k]), self.weight(prefix + ".bias", [n])],
                          transB=1)
            return self.node("Reshape", [y, self.const(self.name("unrows"), np.array([-1, self.gemm_seq, n], np.int64))])
        y = self.node("MatMul", [x, self.weight(prefix + ".weight", [k, n])])
        return self.node("Add", [y, self.weight(prefix + ".bias", [n])])

    def layer_norm(self, x, prefix, hidden, form):
        gamma = self.const(prefix + ".gamma", np.ones(hidden, np.float32))
        beta = self.const(prefix + ".beta", np.zeros(hidden, np.float32))
        if form == "op":
            return self.node("LayerNormalization", [x, gamma, beta], axis=-1, epsilon=1e-5)
        mean = self.node("ReduceMean", [x], axes=[-1], keepdims=1)
        centred = self.node("Sub", [x, mean])
        square = self.node("Pow", [centred, self.const(self.name("two"), np.float32(2.0))])
        var = self.node("ReduceMean", [square], axes=[-1], keepdims=1)
        std = self.node("Sqrt", [self.node("Add", [var, self.const(self.name("eps"), np.float32(1e-5))])])
        normed = self.node("Div", [centred, std])
        return self.node("Add", [self.node("Mul", [normed, gamma]), beta])

    def gelu(self, x, form):
        if form == "op":
            return self.node("Gelu", [x], domain="com.microsoft")
        half = self.const(self.name("half"), np.float32(0.5))
        one = self.const(self.name("one"), np.float32(1.0))
        if form == "erf":
            inner = self.node("Erf", [self.node("Div", [x, self.const(self.name("sqrt2"), np.float32(math.sqrt(2)))])])
        else:  # tanh, GPT-2's gelu_new
            cube = self.node("Pow", [x, self.const(self.name("three"), np.float32(3.0))])
            poly = self.node("Add", [x, self.node("Mul", [cube, self.const(self.name("c"), np.float32(0.044715))])])
            inner = self.node("Tanh", [self.node("Mul", [poly, self.const(self.name("k"), np.float32(math.sqrt(2 / math.pi)))])])
        return self.node("Mul", [self.node("Mul", [x, half]), self.node("Add", [inner, one])])

    def heads(self, x, heads, width, perm):
        shaped = self.node("Reshape", [x, self.const(self.name("heads_shape"), np.array([0, 0, heads, width], np.int64))])
        return self.node("Transpose", [shaped], perm=perm)

    def attention(self, q, k, v, heads, width, hidden, mask):
        scores = self.node("MatMul", [self.heads(q, heads, width, [0, 2, 1, 3]), self.heads(k, heads, width, [0, 2, 3, 1])])
        scores = self.node("Div", [scores, self.const(self.name("scale"), np.float32(math.sqrt(width)))])
        if mask is not None:
            scores = self.node("Add", [scores, mask])
        probs = self.node("Softmax", [scores], axis=-1)
        context = self.node("MatMul", [probs, self.heads(v, heads, width, [0, 2, 1, 3])])
        context = self.node("Transpose", [context], perm=[0, 2, 1, 3])
        return self.node("Reshape", [context, self.const(self.name("merge_shape"), np.array([0, 0, hidden], np.int64))])


def build(a):
    h, width = a.hidden, a.hidden // a.heads
    decoder = a.kind == "decoder"
    seq = a.seq or (a.positions if decoder else "seq")
    if a.gemm and seq == "seq":
        raise SystemExit("--gemm needs a fixed sequence length (--seq, or a decoder)")
    g = GraphWriter(a.seed, seq if a.gemm else 0)
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", seq]),
              helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch", seq])]
    prefix = "transformer" if decoder else "bert"
    wte = g.weight(f"{prefix}.embeddings.word_embeddings.weight", [a.vocab, h])
    x = g.node("Add", [g.node("Gather", [wte, "input_ids"]),
                       g.node("Gather", [g.weight(f"{prefix}.embeddings.position_embeddings.weight", [a.positions, h]),
                                         "position_ids"])])
    mask = None
    if decoder:
        s = int(seq)
        mask = g.const("causal_mask", np.triu(np.full((s, s), -1e4, np.float32), 1).reshape(1, 1, s, s))
    else:
        inputs.append(helper.make_tensor_value_info("token_type_ids", TensorProto.INT64, ["batch", seq]))
        x = g.node("Add", [x, g.node("Gather", [g.weight("bert.embeddings.token_type_embeddings.weight", [2, h]),
                                                "token_type_ids"])])
        x = g.layer_norm(x, "bert.embeddings.LayerNorm", h, a.norm)
    for i in range(a.layers):
        p = f"{prefix}.layer.{i}"
        attn_in = g.layer_norm(x, p + ".ln_1", h, a.norm) if decoder else x
        if decoder:
            qkv = g.linear(attn_in, p + ".attn.c_attn", h, 3 * h)
            q, k, v = g.node("Split", [qkv, g.const(g.name("split"), np.array([h, h, h], np.int64))], outputs=3, axis=-1)
        else:
            q, k, v = (g.linear(attn_in, f"{p}.attention.{n}", h, h) for n in ("query", "key", "value"))
        context = g.attention(q, k, v, a.heads, width, h, mask)
        out = g.linear(context, p + ".attention.output.dense", h, h)
        if a.unsupported and i == 0:
            out = g.node(a.unsupported, [out], stem="unsupported")
        x = g.node("Add", [out, x])
        if not decoder:
            x = g.layer_norm(x, p + ".attention.output.LayerNorm", h, a.norm)
        ffn_in = g.layer_norm(x, p + ".ln_2", h, a.norm) if decoder else x
        hidden = g.linear(ffn_in, p + ".intermediate.dense", h, a.ffn)
        hidden = g.node("Relu", [hidden]) if a.gelu == "relu" else g.gelu(hidden, a.gelu)
        x = g.node("Add", [g.linear(hidden, p + ".output.dense", a.ffn, h), x])
        if not decoder:
            x = g.layer_norm(x, p + ".output.LayerNorm", h, a.norm)
    if decoder:
        x = g.layer_norm(x, "transformer.ln_f", h, a.norm)
        x = g.node("MatMul", [x, g.node("Transpose", [wte], perm=[1, 0])], stem="logits")
    out_width = a.vocab if decoder else h
    graph = helper.make_graph(g.nodes, f"tiny-{a.kind}", inputs,
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", seq, out_width])],
                              initializer=g.inits)
    opsets = [helper.make_opsetid("", 17)]
    if a.gelu == "op":
        opsets.append(helper.make_opsetid("com.microsoft", 1))
    return helper.make_model(graph, opset_imports=opsets, producer_name="make_transformer_onnx")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kind", choices=["encoder", "decoder"], required=True)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=128)
    ap.add_argument("--vocab", type=int, default=500)
    ap.add_argument("--positions", type=int, default=64)
    ap.add_argument("--seq", type=int, default=0, help="fixed sequence length (default: symbolic; decoder: --positions)")
    ap.add_argument("--norm", choices=["op", "decomposed"], default="op")
    ap.add_argument("--gelu", choices=["op", "erf", "tanh", "relu"], default="erf")
    ap.add_argument("--gemm", action="store_true", help="linear layers as Gemm (transB = 1) over flattened rows")
    ap.add_argument("--unsupported", default="", help="insert one node of this op type after layer 0's attention")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    model = build(a)
    if not a.unsupported:
        onnx.checker.check_model(model)
    onnx.save(model, a.out)


if __name__ == "__main__":
    main()
