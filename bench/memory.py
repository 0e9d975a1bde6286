"""Memory of a soak's processes: `python bench/memory.py [WORKERS]` starts `python -m harness soak` with that
many workers (default 2: one reader, one writer), samples every process of its tree 3 s in (psutil RSS, USS,
PSS) and prints one line per process and the totals. The memory table of docs/platform.md comes from it."""

import subprocess
import sys
import time

import psutil

workers = int(sys.argv[1]) if len(sys.argv) > 1 else 2
soak = subprocess.Popen([sys.executable, "-m", "harness", "soak", "--duration", "5", "--seed", "1", "--quiet",
                         "--readers", str(workers - 1), "--oversubscribe"], stdout=subprocess.DEVNULL)
try:
    time.sleep(3)   # sampling a running soak: nothing to wait for but its steady state
    root = psutil.Process(soak.pid)
    total = {"rss": 0, "uss": 0, "pss": 0}
    for i, proc in enumerate([root] + root.children(recursive=True)):
        m = proc.memory_full_info()
        role = "orchestrator" if i == 0 else "reclaimer" if i == workers + 1 else f"worker {i - 1}"
        print(f"{role:14s} rss={m.rss / 2**20:5.1f} MiB  uss={m.uss / 2**20:4.1f} MiB  pss={m.pss / 2**20:4.1f} MiB")
        for k in total:
            total[k] += getattr(m, k)
    print("total          " + "  ".join(f"{k}={v / 2**20:.1f} MiB" for k, v in total.items()))
finally:
    soak.wait()
