"""Captured card payments per second through the sandbox bank, against the platform's audited
write measured by the same client in the same run (see bench/payments.sh).

Each payment: POST /api/v1/charges/{uin}/payments (an Idempotency-Key; the platform sends Init to
the bank), the card form posted at the bank (which captures and notifies the platform, which
settles the payment, the charge and the ledger in one transaction), then GET /api/v1/payments/{id}
until it is captured. The baseline: POST /api/v1/agencies (a row, an outbox event and an audit
record in one transaction). Both with the same number of client threads.
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse
import uuid

from seed import Seed


def uin_control(body):
    def rounds(shift):
        return sum(int(d) * ((i + shift) % 10 + 1) for i, d in enumerate(body)) % 11
    r = rounds(0)
    if r == 10:
        r = rounds(2)
        if r == 10:
            r = 0
    return str(r)


def seed_charges(work, n):
    db = Seed(work)
    now = int(time.time() * 1000)
    today = time.strftime("%Y-%m-%d")
    uins = []
    for k in range(n):
        body = f"18810471{8000000000000000 + k:016d}"
        uin = body + uin_control(body)
        uins.append(uin)
        db.execute(
            "INSERT INTO charges (id, uin, agency_code, kind, source, payee_name, payee_inn, payee_kpp, payee_bik, "
            "payee_bank, payee_account, payee_corr_account, kbk, oktmo, purpose, amount_kopecks, issued_on, due_date, "
            "payer_kind, payer_name_enc, status, paid_kopecks, revision, created_by, created_at, updated_at) VALUES "
            "(?, ?, 'gibdd', 'fine', 'api', 'УФК по Тульской области (УМВД России по Тульской области)', '7107036186', "
            "'710701001', '017003983', 'ОТДЕЛЕНИЕ ТУЛА БАНКА РОССИИ', '03100643000000016600', '40102810445370000059', "
            "'18811601123010001140', '70701000', 'Штраф (нагрузка)', 50000, ?, '2099-12-31', 'driver_licence', 'x', "
            "'active', 0, 0, 'bench', ?, ?)",
            (str(uuid.uuid4()), uin, today, now, now),
        )
    db.commit()
    return uins


def run(threads, jobs, work_fn):
    lock = threading.Lock()
    latencies = []
    errors = [0]
    it = iter(jobs)

    def worker():
        conns = {}
        while True:
            with lock:
                job = next(it, None)
            if job is None:
                return
            t0 = time.perf_counter()
            try:
                work_fn(conns, job)
                dt = time.perf_counter() - t0
                with lock:
                    latencies.append(dt)
            except Exception as e:  # counted, not fatal
                with lock:
                    errors[0] += 1
                    if errors[0] <= 3:
                        print("error:", e, file=sys.stderr)
                conns.clear()

    start = time.perf_counter()
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.perf_counter() - start
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else 0
    return len(latencies) / elapsed, p99 * 1000, errors[0]


def conn(conns, host, port):
    key = (host, port)
    if key not in conns:
        conns[key] = http.client.HTTPConnection(host, port, timeout=30)
    return conns[key]


def request(conns, host, port, method, path, body=None, headers=None):
    c = conn(conns, host, port)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    return r.status, r.getheader("location"), data


def main():
    work, port, token, n, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    uins = seed_charges(work, n)
    host = "127.0.0.1"
    auth = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}

    def write(conns, k):
        body = json.dumps({"code": f"bp-{uuid.uuid4().hex[:12]}", "name": "Нагрузочное ведомство", "short_name": "Нагрузка",
                           "level": "municipal", "region": "Тульская область", "time_zone": "Europe/Moscow"})
        s, _, data = request(conns, host, port, "POST", "/api/v1/agencies", body, auth)
        if s != 201:
            raise RuntimeError(f"write {s} {data[:200]}")

    def pay(conns, uin):
        s, _, data = request(conns, host, port, "POST", f"/api/v1/charges/{uin}/payments", b"",
                             {"Idempotency-Key": uuid.uuid4().hex})
        if s != 201:
            raise RuntimeError(f"pay {s} {data[:200]}")
        p = json.loads(data)
        url = urllib.parse.urlsplit(p["payment_url"])
        form = urllib.parse.urlencode({"card": "4300000000000777", "exp": "12/30", "cvc": "123"})
        s, _, data = request(conns, url.hostname, url.port, "POST", url.path, form,
                             {"Content-Type": "application/x-www-form-urlencoded"})
        if s not in (200, 303):
            raise RuntimeError(f"card {s} {data[:200]}")
        for _ in range(2000):
            s, _, data = request(conns, host, port, "GET", f"/api/v1/payments/{p['id']}")
            if json.loads(data)["status"] == "captured":
                return
            time.sleep(0.005)
        raise RuntimeError("not captured")

    w_rate, w_p99, w_err = run(threads, range(n), write)
    p_rate, p_p99, p_err = run(threads, uins, pay)
    print(f"| audited write (POST /api/v1/agencies) | {w_rate:.0f} | {w_p99:.0f} ms | {w_err} | 1 |")
    print(f"| captured card payment (pay, card form at the bank, notification, GET until captured) | {p_rate:.0f} | {p_p99:.0f} ms | {p_err} | {p_rate / w_rate:.3f} |")


if __name__ == "__main__":
    main()
