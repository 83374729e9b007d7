"""A paced client: one keep-alive connection sending GET PATH with a bearer every INTERVAL ms for
SECONDS, as a person clicking through pages would; prints the requests, p50 and p99 latency (ms).
Usage: paced_get.py PORT PATH BEARER SECONDS [INTERVAL_MS=10]"""
import http.client
import sys
import time


def main():
    port, path, bearer, seconds = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
    interval = float(sys.argv[5]) / 1000 if len(sys.argv) > 5 else 0.01
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    lat, bad = [], 0
    end = time.perf_counter() + seconds
    nxt = time.perf_counter()
    while time.perf_counter() < end:
        t = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Bearer {bearer}"})
        r = conn.getresponse()
        r.read()
        lat.append((time.perf_counter() - t) * 1000)
        bad += r.status != 200
        nxt += interval
        time.sleep(max(0.0, nxt - time.perf_counter()))
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print(f"requests={len(lat)} non200={bad} p50_ms={pick(0.5):.2f} p99_ms={pick(0.99):.2f} max_ms={lat[-1]:.2f}")


if __name__ == "__main__":
    main()
