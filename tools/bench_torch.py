#!/usr/bin/env python3
"""The FP32 executor against PyTorch on the same architecture, one thread each, interleaved.

  /usr/bin/python3 tools/bench_torch.py [BUILD_DIR] [SAMPLES] [ROUNDS]

PyTorch runs the Fashion-MNIST ViT of tools/train_vit.py (the architecture of models/vit-fmnist,
its own random weights: speed does not depend on the values) in batches of 64 under no_grad;
raceit runs `raceit infer --model vit-fmnist --threads 1` on the same inputs. raceit's time is
that of SAMPLES samples less that of one (process start, model load), so both sides time the
forward passes only. Each round measures both; the best round of each is compared.
"""
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from train_vit import CONFIGS  # noqa: E402
from transformer_blocks import ViT  # noqa: E402


def raceit_seconds(raceit, inputs, out):
    start = time.perf_counter()
    subprocess.run([raceit, "infer", "--model", "vit-fmnist", "--input", inputs, "--output", out, "--threads", "1"],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    samples = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    raceit = os.path.join(build, "src", "cli", "raceit")
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = ViT(**CONFIGS["fmnist"]["model"]).eval()
    x = np.random.default_rng(0).standard_normal((samples, 1, 28, 28)).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        many, one, out = (os.path.join(tmp, n) for n in ("many.npy", "one.npy", "out.npy"))
        np.save(many, x)
        np.save(one, x[:1])
        best_torch = best_raceit = float("inf")
        for _ in range(rounds):
            start = time.perf_counter()
            with torch.no_grad():
                for i in range(0, samples, 64):
                    model(torch.from_numpy(x[i:i + 64]))
            best_torch = min(best_torch, time.perf_counter() - start)
            best_raceit = min(best_raceit, raceit_seconds(raceit, many, out) - raceit_seconds(raceit, one, out))
    print(f"vit-fmnist FP32, {samples} samples, 1 thread: PyTorch {torch.__version__} {best_torch:.3f} s, "
          f"raceit FP32 executor {best_raceit:.3f} s; PyTorch / raceit = {best_torch / best_raceit:.2f}x")


if __name__ == "__main__":
    main()
