"""Hand-written pre-LN Transformer blocks shared by the training scripts.

Explicit fused-QKV attention, LayerNorm and exact (erf) GELU, so that the exported ONNX graph
shows every operator the RACE-IT compiler maps (see docs in models/README.md).
"""
import math

import torch
from torch import nn


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.dk = heads, d // heads
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)

    def forward(self, x, mask=None):
        b, t, d = x.shape
        # Feature axis laid out [q | k | v], each split into `heads` contiguous heads.
        qkv = self.qkv(x).reshape(b, t, 3, self.heads, self.dk).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.dk)
        if mask is not None:
            scores = scores + mask
        o = torch.softmax(scores, dim=-1) @ v
        return self.out(o.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, d, heads, ffn):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = Attention(d, heads)
        self.ffn = nn.Sequential(nn.Linear(d, ffn), nn.GELU(), nn.Linear(ffn, d))

    def forward(self, x, mask=None):
        x = x + self.attn(self.ln1(x), mask)
        return x + self.ffn(self.ln2(x))


class ViT(nn.Module):
    def __init__(self, image, patch, channels, d, layers, heads, ffn, classes):
        super().__init__()
        self.patch, self.channels = patch, channels
        self.n = (image // patch) ** 2
        self.embed = nn.Linear(channels * patch * patch, d)
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.pos = nn.Parameter(torch.randn(1, self.n + 1, d) * 0.02)
        self.blocks = nn.ModuleList(Block(d, heads, ffn) for _ in range(layers))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        b, c, h, w = x.shape
        p = self.patch
        # Patches in row-major order, each flattened as (channel, row, column).
        x = x.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 1, 3, 5).reshape(b, self.n, c * p * p)
        x = torch.cat([self.cls.expand(b, -1, -1), self.embed(x)], dim=1) + self.pos
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x[:, 0]))


def export_onnx(model, example, path, opset=17, input_names=("input",), dynamic=None):
    """Exports with a dynamic batch axis on every input and on the output."""
    model.eval()
    axes = dynamic or {name: {0: "batch"} for name in input_names}
    axes["logits"] = {0: "batch"}
    torch.onnx.export(model, example, path, opset_version=opset, input_names=list(input_names),
                      output_names=["logits"], dynamic_axes=axes, do_constant_folding=True)
