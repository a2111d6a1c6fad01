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
which its causal-mask constant fixes (--positions by default). Weights and biases are
N(0, 0.02^2), layer-norm gains 1 + N(0, 0.02^2) and offsets N(0, 0.02^2), from --seed, so files
are reproducible.

For the functional mode's ONNX weights (docs/models.md, "ONNX weights"): --fused-qkv gives the
encoder one fused QKV projection split in three (as the decoder has); --safetensors FILE also
writes the encoder's weights under Hugging Face BERT names (PyTorch [out, in] layout, float32) in
the safetensors format, written here with numpy (an 8-byte little-endian header length, a JSON
header, the raw bytes), so that a run with --weights FILE must match a run on the ONNX file;
--eps sets the layer norms' epsilon; --score-divisor divides the scores by another constant than
sqrt(width) and --gemm-alpha/--gemm-beta set Gemm's factors (the safetensors file then holds the
equivalent BERT weights: the query's weight and bias times sqrt(width)/divisor, every weight
times alpha and bias times beta); --dtype float16 stores the weights, biases, gains and offsets
as float16 (in both files; the small constants stay float32, so such a graph is for the importer,
not for a runtime); --malformed breaks one initializer (dtype: layer 0's query
weight as int8; bias-shape: layer 0's query bias one element too long; raw-size: the word table's
raw data 4 bytes short).

--hostile builds what a careless or hostile file may hold, for the importer's bounds: cycle (two
Identity nodes feeding each other, one the target of layer 0's query Reshape), concat-doubling
(40 Concats each doubling the one before, as that target: 2^40 values), mask-dims (the decoder's
causal mask claims [1, 1, 2^32, 2^32] without values), wide-query (layer 0's Q, K, V and output
weights claim 2^32 + 64 columns), many-inputs (150000 graph inputs, each the indices of a Gather
before the model's nodes), token-type-rows (the token-type table claims 2^40 rows) and
word-without-data (the word table claims [10^7, hidden] without values); mask-dims, wide-query
and the last two give dims without the data they claim.

Forms the importer refuses, for its error tests: --norm rms (Llama's RMSNorm: ReduceMean of the
input squared, no centring), --gated (a GEGLU feed-forward: Gelu(x W_gate) * (x W_up), three
matmuls, as Llama's SwiGLU but without its Sigmoid), --dynamic-reshape (the heads' Reshape
targets computed from Shape and Slice of the input, as exporters leave them without constant
folding).
"""
import argparse
import json
import math
import struct

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class GraphWriter:
    def __init__(self, seed, gemm_seq=0, eps=1e-5, dtype=np.float32):
        self.nodes, self.inits = [], []
        self.eps = eps
        self.dtype = dtype
        self.dynamic_reshape = False
        self.alpha = self.beta = 1.0  # Gemm's factors
        self.score_divisor = 0.0      # 0: sqrt(width)
        self.query_factor = 1.0       # what the equivalent BERT query weight and bias are multiplied by
        self.arrays = {}  # initializer name -> numpy array
        self.named = {}   # Hugging Face BERT name -> numpy array in PyTorch layout, for --safetensors
        self.gemm_seq = gemm_seq  # nonzero: linear layers as Gemm over [batch * seq, in] rows
        self.rng = np.random.default_rng(seed)
        self.count = 0

    def name(self, stem):
        self.count += 1
        return f"{stem}_{self.count}"

    def weight(self, name, shape, scale=0.02, mean=0.0):
        array = (mean + self.rng.standard_normal(shape) * scale).astype(self.dtype)
        self.arrays[name] = array
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, inputs, stem=None, outputs=1, **attrs):
        stem = stem or op.lower()
        outs = [self.name(stem) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=self.name(op), **attrs))
        return outs[0] if outputs == 1 else outs

    def record(self, names, weight, bias):
        """Files the [out, in] weight and the bias under Hugging Face names (several: split rows)."""
        names = names if isinstance(names, list) else [names]
        parts = len(names)
        alpha, beta = (self.alpha, self.beta) if self.gemm_seq else (1.0, 1.0)
        for i, hf in enumerate(names):
            rows = slice(i * weight.shape[0] // parts, (i + 1) * weight.shape[0] // parts)
            query = self.query_factor if hf.endswith(".query") else 1.0
            self.named[hf + ".weight"] = weight[rows] * weight.dtype.type(alpha * query)
            self.named[hf + ".bias"] = bias[rows] * bias.dtype.type(beta * query)

    def linear(self, x, prefix, k, n, hf=None):
        if self.gemm_seq:
            # Gemm takes 2-d operands: rows flattened, a PyTorch [out, in] weight with transB = 1.
            rows = self.node("Reshape", [x, self.const(self.name("rows"), np.array([-1, k], np.int64))])
            w, b = self.weight(prefix + ".weight", [n, k]), self.weight(prefix + ".bias", [n])
            y = self.node("Gemm", [rows, w, b], transB=1, alpha=self.alpha, beta=self.beta)
            if hf:
                self.record(hf, self.arrays[w], self.arrays[b])
            return self.node("Reshape", [y, self.const(self.name("unrows"), np.array([-1, self.gemm_seq, n], np.int64))])
        w, b = self.weight(prefix + ".weight", [k, n]), self.weight(prefix + ".bias", [n])
        if hf:
            self.record(hf, self.arrays[w].T, self.arrays[b])
        return self.node("Add", [self.node("MatMul", [x, w]), b])

    def layer_norm(self, x, prefix, hidden, form, hf=None):
        gamma = self.weight(prefix + ".gamma", [hidden], mean=1.0)
        beta = self.weight(prefix + ".beta", [hidden])
        if hf:
            self.named[hf + ".weight"], self.named[hf + ".bias"] = self.arrays[gamma], self.arrays[beta]
        if form == "op":
            return self.node("LayerNormalization", [x, gamma, beta], axis=-1, epsilon=self.eps)
        mean = self.node("ReduceMean", [x], axes=[-1], keepdims=1)
        centred = self.node("Sub", [x, mean])
        square = self.node("Pow", [centred, self.const(self.name("two"), np.float32(2.0))])
        var = self.node("ReduceMean", [square], axes=[-1], keepdims=1)
        std = self.node("Sqrt", [self.node("Add", [var, self.const(self.name("eps"), np.float32(self.eps))])])
        normed = self.node("Div", [centred, std])
        return self.node("Add", [self.node("Mul", [normed, gamma]), beta])

    def rms_norm(self, x, prefix, hidden):
        gamma = self.weight(prefix + ".weight", [hidden], mean=1.0)
        square = self.node("Pow", [x, self.const(self.name("two"), np.float32(2.0))])
        mean = self.node("ReduceMean", [square], axes=[-1], keepdims=1)
        rms = self.node("Sqrt", [self.node("Add", [mean, self.const(self.name("eps"), np.float32(self.eps))])])
        return self.node("Mul", [self.node("Div", [x, rms]), gamma])

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
        if self.dynamic_reshape:
            # [batch, seq] from the input's own shape, as an unfolded export computes it.
            batch_seq = self.node("Slice", [self.node("Shape", [x]), self.const(self.name("starts"), np.array([0], np.int64)),
                                            self.const(self.name("ends"), np.array([2], np.int64))])
            target = self.node("Concat", [batch_seq, self.const(self.name("hw"), np.array([heads, width], np.int64))], axis=0)
        else:
            target = self.const(self.name("heads_shape"), np.array([0, 0, heads, width], np.int64))
        return self.node("Transpose", [self.node("Reshape", [x, target])], perm=perm)

    def attention(self, q, k, v, heads, width, hidden, mask):
        scores = self.node("MatMul", [self.heads(q, heads, width, [0, 2, 1, 3]), self.heads(k, heads, width, [0, 2, 3, 1])])
        scores = self.node("Div", [scores, self.const(self.name("scale"), np.float32(self.score_divisor or math.sqrt(width)))])
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
    g = GraphWriter(a.seed, seq if a.gemm else 0, a.eps, np.float16 if a.dtype == "float16" else np.float32)
    g.dynamic_reshape = a.dynamic_reshape
    g.alpha, g.beta = a.gemm_alpha, a.gemm_beta
    if a.score_divisor:
        g.score_divisor, g.query_factor = a.score_divisor, math.sqrt(width) / a.score_divisor
    if a.norm == "rms":  # RMSNorm only where the layer norms would be
        g.layer_norm = lambda x, prefix, hidden, form, hf=None: g.rms_norm(x, prefix, hidden)
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", seq]),
              helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch", seq])]
    prefix = "transformer" if decoder else "bert"
    wte = g.weight(f"{prefix}.embeddings.word_embeddings.weight", [a.vocab, h])
    wpe = g.weight(f"{prefix}.embeddings.position_embeddings.weight", [a.positions, h])
    g.named["embeddings.word_embeddings.weight"], g.named["embeddings.position_embeddings.weight"] = g.arrays[wte], g.arrays[wpe]
    x = g.node("Add", [g.node("Gather", [wte, "input_ids"]), g.node("Gather", [wpe, "position_ids"])])
    mask = None
    if decoder:
        s = int(seq)
        mask = g.const("causal_mask", np.triu(np.full((s, s), -1e4, np.float32), 1).reshape(1, 1, s, s))
    else:
        inputs.append(helper.make_tensor_value_info("token_type_ids", TensorProto.INT64, ["batch", seq]))
        tte = g.weight("bert.embeddings.token_type_embeddings.weight", [2, h])
        g.named["embeddings.token_type_embeddings.weight"] = g.arrays[tte]
        x = g.node("Add", [x, g.node("Gather", [tte, "token_type_ids"])])
        x = g.layer_norm(x, "bert.embeddings.LayerNorm", h, a.norm, "embeddings.LayerNorm")
    for i in range(a.layers):
        p = f"{prefix}.layer.{i}"
        hf = f"encoder.layer.{i}"
        attn_in = g.layer_norm(x, p + ".ln_1", h, a.norm) if decoder else x
        if decoder or a.fused_qkv:
            names = [f"{hf}.attention.self.{n}" for n in ("query", "key", "value")]
            qkv = g.linear(attn_in, p + ".attn.c_attn", h, 3 * h, None if decoder else names)
            q, k, v = g.node("Split", [qkv, g.const(g.name("split"), np.array([h, h, h], np.int64))], outputs=3, axis=-1)
        else:
            q, k, v = (g.linear(attn_in, f"{p}.attention.{n}", h, h, f"{hf}.attention.self.{n}")
                       for n in ("query", "key", "value"))
        context = g.attention(q, k, v, a.heads, width, h, mask)
        out = g.linear(context, p + ".attention.output.dense", h, h, f"{hf}.attention.output.dense")
        if a.unsupported and i == 0:
            out = g.node(a.unsupported, [out], stem="unsupported")
        x = g.node("Add", [out, x])
        if not decoder:
            x = g.layer_norm(x, p + ".attention.output.LayerNorm", h, a.norm, f"{hf}.attention.output.LayerNorm")
        ffn_in = g.layer_norm(x, p + ".ln_2", h, a.norm) if decoder else x
        hidden = g.linear(ffn_in, p + ".intermediate.dense", h, a.ffn, f"{hf}.intermediate.dense")
        hidden = g.node("Relu", [hidden]) if a.gelu == "relu" else g.gelu(hidden, a.gelu)
        if a.gated:
            hidden = g.node("Mul", [hidden, g.linear(ffn_in, p + ".intermediate.up", h, a.ffn)])
        x = g.node("Add", [g.linear(hidden, p + ".output.dense", a.ffn, h, f"{hf}.output.dense"), x])
        if not decoder:
            x = g.layer_norm(x, p + ".output.LayerNorm", h, a.norm, f"{hf}.output.LayerNorm")
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
    if a.malformed:
        malform(graph, a.malformed, prefix, h)
    if a.hostile:
        hostile(graph, a.hostile, prefix, h)
    return helper.make_model(graph, opset_imports=opsets, producer_name="make_transformer_onnx"), g.named


def malform(graph, how, prefix, hidden):
    """Breaks one initializer as --malformed says (the importer must name it)."""
    inits = {t.name: t for t in graph.initializer}
    layer0 = f"{prefix}.layer.0.attention.query" if prefix == "bert" else f"{prefix}.layer.0.attn.c_attn"
    if how == "dtype":
        t = inits[layer0 + ".weight"]
        t.CopyFrom(numpy_helper.from_array(np.zeros(tuple(t.dims), np.int8), t.name))
    elif how == "bias-shape":
        t = inits[layer0 + ".bias"]
        t.CopyFrom(numpy_helper.from_array(np.zeros(t.dims[0] + 1, np.float32), t.name))
    elif how == "raw-size":
        t = inits[f"{prefix}.embeddings.word_embeddings.weight"]
        t.raw_data = t.raw_data[:-4]


def hostile(graph, how, prefix, hidden):
    """Builds one of the structures --hostile names around a valid graph (the importer must end,
    in bounded time and memory, with an answer or an error naming the place)."""
    inits = {t.name: t for t in graph.initializer}
    nodes = list(graph.node)
    # Layer 0's query Reshape into heads, whose constant target the importer folds.
    reshape = next(n for n in nodes if n.op_type == "Reshape" and n.input[1] in inits and list(inits[n.input[1]].dims) == [4])

    def dims_only(name, dims):
        t = inits[name]
        t.ClearField("raw_data")
        t.ClearField("float_data")
        del t.dims[:]
        t.dims.extend(dims)

    if how == "cycle":
        # Two Identity nodes feeding each other, one of them the Reshape's target.
        reshape.input[1] = "cycle_a"
        graph.node.extend([helper.make_node("Identity", ["cycle_b"], ["cycle_a"], name="cycle_1"),
                           helper.make_node("Identity", ["cycle_a"], ["cycle_b"], name="cycle_2")])
    elif how == "concat-doubling":
        # 40 Concats, each of the one before twice, in topological order: 2^40 values if folded.
        graph.initializer.append(numpy_helper.from_array(np.array([1], np.int64), "doubling_0"))
        doubling = [helper.make_node("Concat", [f"doubling_{i}", f"doubling_{i}"], [f"doubling_{i + 1}"], axis=0,
                                     name=f"Concat_doubling_{i}") for i in range(40)]
        reshape.input[1] = "doubling_40"  # before the nodes are copied back into the graph
        del graph.node[:]
        graph.node.extend(doubling + nodes)
    elif how == "mask-dims":
        # The decoder's causal mask claims [1, 1, 2^32, 2^32] and holds no values.
        dims_only("causal_mask", [1, 1, 2 ** 32, 2 ** 32])
    elif how == "wide-query":
        # Layer 0's attention 2^32 + 64 columns wide (dims only), as int 64 if truncated.
        for part in ("query", "key", "value"):
            dims_only(f"{prefix}.layer.0.attention.{part}.weight", [hidden, 2 ** 32 + 64])
        dims_only(f"{prefix}.layer.0.attention.output.dense.weight", [2 ** 32 + 64, hidden])
    elif how == "many-inputs":
        # 150000 graph inputs, each gathered from one small table before the model's nodes.
        count = 150000
        graph.initializer.append(numpy_helper.from_array(np.zeros((2, 2), np.float32), "many_table"))
        graph.input.extend(helper.make_tensor_value_info(f"many_{i}", TensorProto.INT64, [1]) for i in range(count))
        gathers = [helper.make_node("Gather", ["many_table", f"many_{i}"], [f"many_rows_{i}"], name=f"Gather_many_{i}")
                   for i in range(count)]
        del graph.node[:]
        graph.node.extend(gathers + nodes)
    elif how == "token-type-rows":
        dims_only(f"{prefix}.embeddings.token_type_embeddings.weight", [2 ** 40, hidden])
    elif how == "word-without-data":
        dims_only(f"{prefix}.embeddings.word_embeddings.weight", [10 ** 7, hidden])


def write_safetensors(path, tensors):
    """The safetensors format: 8-byte little-endian header length, JSON header, raw bytes."""
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        half = array.dtype == np.float16
        data = np.ascontiguousarray(array, dtype="<f2" if half else "<f4").tobytes()
        header[name] = {"dtype": "F16" if half else "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


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
    ap.add_argument("--norm", choices=["op", "decomposed", "rms"], default="op")
    ap.add_argument("--gelu", choices=["op", "erf", "tanh", "relu"], default="erf")
    ap.add_argument("--gemm", action="store_true", help="linear layers as Gemm (transB = 1) over flattened rows")
    ap.add_argument("--unsupported", default="", help="insert one node of this op type after layer 0's attention")
    ap.add_argument("--fused-qkv", action="store_true", help="encoder: one fused QKV projection split in three")
    ap.add_argument("--gated", action="store_true", help="a gated (GEGLU) feed-forward of three matmuls")
    ap.add_argument("--dynamic-reshape", action="store_true", help="heads' Reshape targets from Shape and Slice")
    ap.add_argument("--eps", type=float, default=1e-5, help="the layer norms' epsilon")
    ap.add_argument("--score-divisor", type=float, default=0.0, help="divide the scores by this (default: sqrt(width))")
    ap.add_argument("--gemm-alpha", type=float, default=1.0, help="--gemm: Gemm's alpha")
    ap.add_argument("--gemm-beta", type=float, default=1.0, help="--gemm: Gemm's beta")
    ap.add_argument("--dtype", choices=["float32", "float16"], default="float32", help="the weights' element type")
    ap.add_argument("--safetensors", default="", help="encoder: also write its weights with Hugging Face BERT names")
    ap.add_argument("--malformed", choices=["dtype", "bias-shape", "raw-size"], help="break one initializer")
    ap.add_argument("--hostile", choices=["cycle", "concat-doubling", "mask-dims", "wide-query", "many-inputs",
                                          "token-type-rows", "word-without-data"], help="build a structure the importer must survive")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    model, named = build(a)
    if not a.unsupported and not a.malformed and not a.hostile and a.dtype == "float32":
        onnx.checker.check_model(model)
    onnx.save(model, a.out)
    if a.safetensors:
        if a.kind != "encoder":
            raise SystemExit("--safetensors writes BERT names: an encoder only")
        write_safetensors(a.safetensors, {"bert." + name: array for name, array in named.items()})


if __name__ == "__main__":
    main()
