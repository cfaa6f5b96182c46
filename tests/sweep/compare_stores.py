#!/usr/bin/env python3
"""compare_stores.py A.db B.db: exit 1 unless both sweep stores hold the same points, each exactly
once and done, with equal results (provenance such as time, rank and run time may differ)."""
import sqlite3
import sys

RESULTS = ("point_key, status, error, latency_s, throughput_inf_per_s, energy_j, power_w, area_mm2, chips, "
           "accuracy_fp32, accuracy_ideal, accuracy_mean, accuracy_std, accuracy_per_seed, seeds, config_hash, detail")


def rows(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    keys = [k for (k,) in db.execute("SELECT point_key FROM points")]
    if len(keys) != len(set(keys)):
        sys.exit(f"{path}: a point is stored twice")
    return db.execute(f"SELECT idx, {RESULTS} FROM points ORDER BY idx").fetchall()


a, b = rows(sys.argv[1]), rows(sys.argv[2])
if len(a) != len(b):
    sys.exit(f"{len(a)} points in {sys.argv[1]}, {len(b)} in {sys.argv[2]}")
for ra, rb in zip(a, b):
    if ra[2] != "done":
        sys.exit(f"{sys.argv[1]}: point {ra[0]} is {ra[2]} {ra[3] or ''}")
    if ra != rb:
        diff = [name.strip() for name, x, y in zip(("idx, " + RESULTS).split(","), ra, rb) if x != y]
        sys.exit(f"point {ra[0]} differs in {diff}")
print(f"{len(a)} points, each once, equal results")
