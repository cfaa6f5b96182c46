#!/usr/bin/env python3
"""Trains the shipped ViTs and exports them with golden input/output files.

  /usr/bin/python3 tools/train_vit.py digits    # sklearn digits 8x8, ~20 s
  /usr/bin/python3 tools/train_vit.py fmnist    # Fashion-MNIST 28x28, ~30-40 min on one core

Writes models/vit-<name>/{model.onnx, golden_input.npy, golden_output.npy, metrics.json} (and,
for digits, test_indices.npy plus model-opset13.onnx, whose LayerNorm is exported decomposed).
Data, normalisation and splits (the C++ loaders reproduce them exactly):
  digits: digits.csv.gz from python3-sklearn, pixels / 16; test split = 25 % stratified,
          train_test_split(random_state=0), indices committed in test_indices.npy.
  fmnist: Debian dataset-fashion-mnist, (pixels / 255 - 0.2860) / 0.3530; test split = t10k.
"""
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(__file__))
from transformer_blocks import ViT, export_onnx  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..")
FMNIST = "/usr/share/datasets/fashion-mnist"
FMNIST_MEAN, FMNIST_STD = 0.2860, 0.3530
GOLDEN_SAMPLES = 8


def load_digits():
    from sklearn.datasets import load_digits as sk_digits
    from sklearn.model_selection import train_test_split
    d = sk_digits()
    x = (d.data / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    y = d.target.astype(np.int64)
    idx_train, idx_test = train_test_split(np.arange(len(y)), test_size=0.25, random_state=0, stratify=y)
    return x[idx_train], y[idx_train], x[idx_test], y[idx_test], np.sort(idx_test)


def read_idx(name):
    with gzip.open(os.path.join(FMNIST, name)) as f:
        data = f.read()
    offset = 16 if "images" in name else 8
    return np.frombuffer(data, dtype=np.uint8, offset=offset)


def load_fmnist():
    def images(name):
        return ((read_idx(name).reshape(-1, 1, 28, 28) / 255.0 - FMNIST_MEAN) / FMNIST_STD).astype(np.float32)
    return (images("train-images-idx3-ubyte.gz"), read_idx("train-labels-idx1-ubyte.gz").astype(np.int64),
            images("t10k-images-idx3-ubyte.gz"), read_idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))


CONFIGS = {
    "digits": dict(model=dict(image=8, patch=2, channels=1, d=32, layers=2, heads=4, ffn=64, classes=10),
                   lr=3e-3, wd=0.05, batch=64, epochs=60),
    "fmnist": dict(model=dict(image=28, patch=4, channels=1, d=64, layers=4, heads=4, ffn=128, classes=10),
                   lr=2e-3, wd=0.05, batch=128, epochs=int(os.environ.get("FMNIST_EPOCHS", "15"))),
}


def accuracy(model, x, y, batch=500):
    model.eval()
    with torch.no_grad():
        correct = sum((model(torch.from_numpy(x[i:i + batch])).argmax(1).numpy() == y[i:i + batch]).sum()
                      for i in range(0, len(y), batch))
    return correct / len(y)


def main(name):
    torch.manual_seed(0)
    torch.set_num_threads(1)
    cfg = CONFIGS[name]
    if name == "digits":
        xtr, ytr, xte, yte, test_indices = load_digits()
    else:
        xtr, ytr, xte, yte = load_fmnist()
    model = ViT(**cfg["model"])
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["wd"])
    steps = (len(ytr) + cfg["batch"] - 1) // cfg["batch"]
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg["lr"], total_steps=steps * cfg["epochs"])
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr)
    start = time.time()
    for epoch in range(cfg["epochs"]):
        model.train()
        perm = torch.randperm(len(yt))
        for i in range(steps):
            idx = perm[i * cfg["batch"]:(i + 1) * cfg["batch"]]
            opt.zero_grad()
            loss_fn(model(xt[idx]), yt[idx]).backward()
            opt.step()
            sched.step()
        if name == "fmnist" or epoch == cfg["epochs"] - 1:
            print(f"epoch {epoch + 1}: test accuracy {accuracy(model, xte, yte):.4f} ({time.time() - start:.0f} s)",
                  flush=True)
    acc = float(accuracy(model, xte, yte))
    out = os.path.join(ROOT, "models", f"vit-{name}")
    os.makedirs(out, exist_ok=True)
    example = torch.from_numpy(xte[:GOLDEN_SAMPLES])
    export_onnx(model, example, os.path.join(out, "model.onnx"))
    with torch.no_grad():
        logits = model(example).numpy()
    np.save(os.path.join(out, "golden_input.npy"), xte[:GOLDEN_SAMPLES])
    np.save(os.path.join(out, "golden_output.npy"), logits)
    if name == "digits":
        np.save(os.path.join(out, "test_indices.npy"), test_indices.astype(np.int64))
        export_onnx(model, example, os.path.join(out, "model-opset13.onnx"), opset=13)
    params = sum(p.numel() for p in model.parameters())
    metrics = dict(model=f"vit-{name}", test_accuracy=acc, test_samples=len(yte), parameters=params,
                   epochs=cfg["epochs"], train_seconds=round(time.time() - start, 1), torch=torch.__version__)
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    print(json.dumps(metrics))


if __name__ == "__main__":
    main(sys.argv[1])
