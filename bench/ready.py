"""Measures how long `okno serve` takes from exec to answering /readyz 200, and its resident memory
once idle. Usage: ready.py OKNO_BIN PORT -- extra serve args..."""
import os
import subprocess
import sys
import time
import urllib.request


def main():
    binary, port = sys.argv[1], int(sys.argv[2])
    extra = sys.argv[4:] if len(sys.argv) > 3 and sys.argv[3] == "--" else []
    start = time.perf_counter()
    proc = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/readyz"
    ready = None
    while time.perf_counter() - start < 20:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    ready = time.perf_counter() - start
                    break
        except OSError:
            pass
        time.sleep(0.002)
    time.sleep(3)  # idle: workers polling, no requests
    with open(f"/proc/{proc.pid}/status") as f:
        rss_kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    proc.terminate()
    proc.wait(timeout=30)
    print(f"ready_ms={ready * 1000:.1f} idle_rss_mb={rss_kb / 1024:.1f}" if ready else "ready_ms=timeout")


if __name__ == "__main__":
    main()
