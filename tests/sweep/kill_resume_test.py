#!/usr/bin/env python3
"""kill_resume_test.py RACEIT: a real sweep (cost and accuracy) is killed with SIGKILL (once early, while it starts, and
then each time more points are stored) and restarted with the same command until it finishes:
every point is stored exactly once, with the results of an uninterrupted run. A changed spec on
the store is refused with exit code 2."""
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

raceit = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
# Each point also scores 10 digits on the functional executor, so that a point takes long enough
# (≈0.1–0.4 s) for the kills below to land between points on fast machines too: cost-only points
# of bert-base took ≈15 ms each, and a 16-core CI machine finished the whole sweep before the first kill.
SPEC = """model: vit-digits
accuracy:
  limit: 10
  seeds: 1
axes:
  crossbar.rows: [64, 128, 256]
  tile.race_units: [1, 2, 4]
  components.crossbar.latency: [50ns, 100ns, 200ns]
"""
N = 27


def fail(message):
    sys.exit(f"FAIL: {message}")


def stored(path):
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        return db.execute("SELECT count(*) FROM points WHERE status != 'pending'").fetchone()[0]
    except sqlite3.Error:
        return 0  # not created yet


def sweep(spec, store, **kw):
    return subprocess.Popen([raceit, "sweep", spec, "--store", store, "--quiet", "--threads", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


with tempfile.TemporaryDirectory() as tmp:
    spec, reference, killed = (os.path.join(tmp, f) for f in ("spec.yaml", "reference.db", "killed.db"))
    with open(spec, "w") as f:
        f.write(SPEC)
    out, _ = sweep(spec, reference).communicate()
    if stored(reference) != N:
        fail(f"uninterrupted sweep: {out}")

    mid_sweep = 0
    # The first kill comes at a fixed early moment; the others once the store has gained points.
    for target in (None, 2, 8, 14, 20, 26):
        p = sweep(spec, killed)
        start, before = time.time(), stored(killed)
        while p.poll() is None:
            now = stored(killed)
            if (target is None and time.time() - start > 0.3) or (target is not None and now >= target):
                break
            time.sleep(0.005)
        was_running = p.poll() is None
        if was_running:
            p.send_signal(signal.SIGKILL)
        p.wait()
        now = stored(killed)
        print(f"{'killed' if was_running else 'finished'} with {now} of {N} points stored (before: {before})")
        if was_running and 0 < now < N:
            mid_sweep += 1
        if now == N:
            break
    if mid_sweep < 2:
        fail(f"only {mid_sweep} kill(s) landed in the middle of the sweep")
    out, _ = sweep(spec, killed).communicate()
    if f"{N} already in the store, 0 run now" not in out and "run now (0 failed)" not in out:
        fail(f"resume: {out}")
    check = subprocess.run([sys.executable, os.path.join(here, "compare_stores.py"), reference, killed])
    if check.returncode != 0:
        fail("the killed and resumed store differs from the uninterrupted one")

    # Another spec on this store: refused, exit 2, with the reason.
    with open(spec, "w") as f:
        f.write(SPEC.replace("200ns]", "400ns]"))
    p = sweep(spec, killed)
    out, _ = p.communicate()
    if p.returncode != 2 or "holds another sweep" not in out:
        fail(f"changed spec: exit {p.returncode}: {out}")
    print(f"killed {mid_sweep} time(s) mid-sweep; resumed with every point stored once")
