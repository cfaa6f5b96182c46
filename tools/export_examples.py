#!/usr/bin/env python3
"""Trains and exports the small "bring your own model" examples, with inputs and reference outputs.

  /usr/bin/python3 tools/export_examples.py     # Debian's python3-torch; ~1 minute on one core

Development time only (the tests read the committed files and never need PyTorch). Writes:
  models/encoder-classifier/  nn.TransformerEncoder classifier with two inputs, values [N, T, 8] and a
                              padding mask [N, T] (1 = token, 0 = padding), on a synthetic task: is
                              the mean of feature 0 over the unpadded tokens positive?
                              model.onnx, values.npy, mask.npy, labels.npy (test split),
                              train_values.npy, train_mask.npy, train_labels.npy, data.yaml (spec),
                              reference_logits.npy (PyTorch's output on the test split)
  models/tiny-lm/             a 2-layer causal language model over 32 tokens, on sequences that
                              count up by a step of 1, 2 or 3 (mod 32), one token in ten random:
                              model.onnx, ids.npy, reference_logits.npy, reference_perplexity.json

Export choices that keep the graphs within raceit's ONNX operator set (the exporter's defaults
otherwise): the padding mask enters nn.TransformerEncoder as a float additive key-padding mask
(-1e4 on padding; a bool mask becomes -inf through masked_fill), gradients stay enabled during
export (no fused fast-path kernel), and the language model's causal mask is a constant buffer
sliced to the sequence length.
"""
import json
import math
import os

import numpy as np
import torch
from torch import nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MASK_NEG = -1e4


class EncoderClassifier(nn.Module):
    def __init__(self, features=8, d=32, heads=4, layers=2, ffn=64, classes=2, max_len=128):
        super().__init__()
        self.embed = nn.Linear(features, d)
        self.pos = nn.Parameter(torch.randn(1, max_len, d) * 0.02)
        layer = nn.TransformerEncoderLayer(d, heads, ffn, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d, classes)

    def forward(self, values, mask):
        t = values.shape[1]
        x = self.embed(values) + self.pos[:, :t]
        x = self.encoder(x, src_key_padding_mask=(1.0 - mask) * MASK_NEG)
        pooled = (x * mask.unsqueeze(-1)).sum(dim=1) / mask.sum(dim=1, keepdim=True)
        return self.head(pooled)


class CausalBlock(nn.Module):
    def __init__(self, d, heads, ffn):
        super().__init__()
        self.heads, self.dk = heads, d // heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.out = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.ffn = nn.Sequential(nn.Linear(d, ffn), nn.GELU(), nn.Linear(ffn, d))

    def forward(self, x, causal):
        b, t, d = x.shape
        qkv = self.qkv(self.ln1(x)).reshape(b, t, 3, self.heads, self.dk).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.dk) + causal
        o = torch.softmax(scores, dim=-1) @ v
        x = x + self.out(o.transpose(1, 2).reshape(b, t, d))
        return x + self.ffn(self.ln2(x))


class TinyLM(nn.Module):
    def __init__(self, vocab=32, d=32, heads=4, layers=2, ffn=64, max_len=128):
        super().__init__()
        self.tokens = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(1, max_len, d) * 0.02)
        self.blocks = nn.ModuleList(CausalBlock(d, heads, ffn) for _ in range(layers))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)
        self.register_buffer("causal", torch.triu(torch.full((max_len, max_len), MASK_NEG), diagonal=1))

    def forward(self, ids):
        t = ids.shape[1]
        x = self.tokens(ids) + self.pos[:, :t]
        causal = self.causal[:t, :t]
        for block in self.blocks:
            x = block(x, causal)
        return self.head(self.norm(x))


def train(model, batches, loss_of, steps, lr=3e-3):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for step in range(steps):
        opt.zero_grad()
        loss = loss_of(model, *batches(step))
        loss.backward()
        opt.step()
    model.eval()
    return float(loss)


def classifier_data(rng, n, t=16, features=8):
    values = rng.normal(size=(n, t, features)).astype(np.float32)
    lengths = rng.integers(4, t + 1, size=n)
    mask = (np.arange(t)[None, :] < lengths[:, None]).astype(np.float32)
    values *= mask[:, :, None]
    mean0 = (values[:, :, 0] * mask).sum(1) / mask.sum(1)
    return values, mask, (mean0 > 0).astype(np.int64)


def lm_data(rng, n, t=16, vocab=32):
    start = rng.integers(0, vocab, size=(n, 1))
    step = rng.integers(1, 4, size=(n, 1))
    ids = (start + step * np.arange(t)[None, :]) % vocab
    noise = rng.random(size=(n, t)) < 0.1
    ids[noise] = rng.integers(0, vocab, size=int(noise.sum()))
    return ids.astype(np.int64)


def export(model, example, path, input_names, axes):
    # Gradients stay enabled: under no_grad nn.TransformerEncoder takes a fused fast path.
    torch.onnx.export(model, example, path, opset_version=17, input_names=input_names, output_names=["logits"],
                      dynamic_axes=axes, do_constant_folding=True)


def save(folder, **arrays):
    for name, a in arrays.items():
        np.save(os.path.join(folder, name + ".npy"), a)


def encoder_classifier(rng):
    folder = os.path.join(ROOT, "models", "encoder-classifier")
    os.makedirs(folder, exist_ok=True)
    train_x, train_m, train_y = classifier_data(rng, 2048)
    test_x, test_m, test_y = classifier_data(rng, 64)
    model = EncoderClassifier()
    tx, tm, ty = torch.from_numpy(train_x), torch.from_numpy(train_m), torch.from_numpy(train_y)

    def batches(step):
        k = slice((step * 64) % 2048, (step * 64) % 2048 + 64)
        return tx[k], tm[k], ty[k]

    loss = train(model, batches, lambda m, x, mk, y: nn.functional.cross_entropy(m(x, mk), y), 600)
    with torch.no_grad():
        logits = model(torch.from_numpy(test_x), torch.from_numpy(test_m)).numpy()
    accuracy = float((logits.argmax(1) == test_y).mean())
    export(model, (torch.from_numpy(test_x[:2]), torch.from_numpy(test_m[:2])), os.path.join(folder, "model.onnx"),
           ["values", "mask"], {"values": {0: "batch", 1: "seq"}, "mask": {0: "batch", 1: "seq"}, "logits": {0: "batch"}})
    save(folder, values=test_x, mask=test_m, labels=test_y, reference_logits=logits.astype(np.float32),
         train_values=train_x[:256], train_mask=train_m[:256], train_labels=train_y[:256])
    with open(os.path.join(folder, "data.yaml"), "w") as f:
        f.write("# Which .npy feeds which graph input (paths relative to this file), labels, splits.\n"
                "test:\n  inputs: {values: values.npy, mask: mask.npy}\n  labels: labels.npy\n"
                "train:\n  inputs: {values: train_values.npy, mask: train_mask.npy}\n  labels: train_labels.npy\n")
    print(f"encoder-classifier: train loss {loss:.3f}, test accuracy {accuracy:.4f}")


def tiny_lm(rng):
    folder = os.path.join(ROOT, "models", "tiny-lm")
    os.makedirs(folder, exist_ok=True)
    train_ids = torch.from_numpy(lm_data(rng, 4096))
    test_ids = lm_data(rng, 32)
    model = TinyLM()

    def batches(step):
        k = slice((step * 64) % 4096, (step * 64) % 4096 + 64)
        return (train_ids[k],)

    def loss_of(m, ids):
        logits = m(ids)
        return nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))

    loss = train(model, batches, loss_of, 800)
    with torch.no_grad():
        logits = model(torch.from_numpy(test_ids))
        nll = nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]),
                                          torch.from_numpy(test_ids)[:, 1:].reshape(-1))
    export(model, (torch.from_numpy(test_ids[:2]),), os.path.join(folder, "model.onnx"), ["ids"],
           {"ids": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"}})
    save(folder, ids=test_ids, reference_logits=logits.numpy().astype(np.float32))
    with open(os.path.join(folder, "reference_perplexity.json"), "w") as f:
        json.dump({"perplexity": math.exp(float(nll)), "targets": "next token", "samples": len(test_ids)}, f, indent=2)
    print(f"tiny-lm: train loss {loss:.3f}, test perplexity {math.exp(float(nll)):.4f}")


def main():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    encoder_classifier(rng)
    tiny_lm(rng)


if __name__ == "__main__":
    main()
