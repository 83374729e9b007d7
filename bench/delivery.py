"""Delivery throughput: messages a second from the outbox to a local SMS gateway and a local SMTP
sink (real processes speaking HTTP and SMTP), and the time from a one-time code's commit to its
arrival at the gateway while the queue drains.

Usage: delivery.py OKNO_BIN WORKDIR [--messages N] [--latency-ms MS] [--concurrency N]
                   [--email N] [-- extra serve args (e.g. --database-url ...)]

Steps, all against the release binary:
1. baseline: a plain asyncio client sends N requests to the same gateway with the same concurrency
   (what the channel allows at that latency);
2. N SMS (and --email e-mails) are queued through the API with the node's workers off;
3. the node restarts with its workers on; the time until the gateway has them all is measured,
   while every 100 ms a one-time code is committed straight into the outbox (urgent, as
   `queue_sensitive` makes it) and its commit-to-gateway time recorded (p50, p99, max).
Prints one Markdown table row.
"""
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
import uuid


class Gateway:
    """An HTTP/1.1 SMS gateway on 127.0.0.1 answering each POST after `latency` seconds."""

    def __init__(self, latency):
        self.latency = latency
        self.count = 0
        self.codes = {}  # marker -> arrival time
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        self.ready.wait()

    def _run(self):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._conn, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()

    async def _conn(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length) if length else b""
                await asyncio.sleep(self.latency)
                self.count += 1
                if b"BENCHCODE-" in body:
                    marker = body.split(b"BENCHCODE-")[1][:36].decode()
                    self.codes[marker] = time.time()
                answer = b'{"status":200}'
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(answer), answer))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def url(self):
        return f"http://127.0.0.1:{self.port}/send"


async def raw_client(url, n, concurrency):
    """The baseline: n POSTs over `concurrency` keep-alive connections."""
    host, port = url.split("//")[1].split("/")[0].split(":")
    body = b'{"to":"+79160000000","text":"baseline"}'
    req = (f"POST /send HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    left = [n]

    async def worker():
        r, w = await asyncio.open_connection(host, int(port))
        while left[0] > 0:
            left[0] -= 1
            w.write(req)
            await w.drain()
            head = await r.readuntil(b"\r\n\r\n")
            length = next(int(l.split(b":")[1]) for l in head.split(b"\r\n")
                          if l.lower().startswith(b"content-length:"))
            await r.readexactly(length)
        w.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n / (time.perf_counter() - start)


def start_smtp():
    from aiosmtpd.controller import Controller

    class Sink:
        count = 0

        async def handle_DATA(self, server, session, envelope):
            Sink.count += 1
            return "250 OK"

    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = Controller(Sink(), hostname="127.0.0.1", port=port)
    c.start()
    return c, Sink


def serve(binary, port, data, extra, workers):
    args = [binary, "serve", "--demo", "--listen", f"127.0.0.1:{port}", "--data-dir", data,
            "--log", "warn", *extra]
    if not workers:
        args += ["--no-workers", "true"]
    out = open(os.path.join(data + ".out"), "a")
    proc = subprocess.Popen(args, stdout=out, stderr=subprocess.DEVNULL)
    for _ in range(400):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.05)
    raise SystemExit("okno did not become ready")


def admin_token(data):
    with open(data + ".out") as f:
        for line in f:
            if "администратор:" in line:
                return line.split()[-1]
    raise SystemExit("no demo administrator token printed")


def post(port, token, payload):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/notifications",
                                 data=json.dumps(payload).encode(), method="POST",
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 202, r.status


def commit_code(db, database_url, marker):
    """Commits a one-time code's event straight into the outbox, as `queue_sensitive` does."""
    payload = json.dumps({"messages": [{"channel": "sms", "to": "+79990000000", "subject": "",
                                        "text": f"Код: BENCHCODE-{marker}"}], "sensitive": True})
    now = int(time.time() * 1000)
    if database_url:
        sql = ("INSERT INTO outbox (id, created_at, kind, payload, priority) VALUES "
               f"('{uuid.uuid4()}', {now}, 'notify.message', '{payload}', 0)")
        subprocess.run(["psql", "-q", database_url, "-c", sql], check=True)
    else:
        db.execute("INSERT INTO outbox (id, created_at, kind, payload, priority) VALUES (?, ?, ?, ?, 0)",
                   (str(uuid.uuid4()), now, "notify.message", payload))
        db.commit()
    return time.time()


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    binary, work = argv[0], argv[1]
    opts = dict(zip(argv[2::2], argv[3::2]))
    n = int(opts.get("--messages", 5000))
    latency = int(opts.get("--latency-ms", 50)) / 1000
    concurrency = int(opts.get("--concurrency", 64))
    emails = int(opts.get("--email", 500))
    database_url = next((extra[i + 1] for i, a in enumerate(extra) if a == "--database-url"), None)

    gw = Gateway(latency)
    baseline = asyncio.run(raw_client(gw.url(), min(n, 3000), concurrency))
    gw.count = 0
    smtp, sink = start_smtp()
    data = os.path.join(work, "okno")
    port = 18960
    channel_args = ["--sms-url", gw.url(), "--smtp-url", f"smtp://127.0.0.1:{smtp.port}",
                    "--notify-concurrency", str(concurrency), *extra]
    proc = serve(binary, port, data, channel_args, workers=False)
    token = admin_token(data)
    for start in range(0, n, 100):
        post(port, token, {"messages": [{"channel": "sms", "to": f"+7916{i:07d}", "text": f"Рассылка {i}"}
                                        for i in range(start, min(n, start + 100))]})
    for start in range(0, emails, 100):
        post(port, token, {"messages": [{"channel": "email", "to": f"user{i}@example.ru", "subject": "Рассылка",
                                         "text": f"Рассылка {i}"} for i in range(start, min(emails, start + 100))]})
    proc.terminate()
    proc.wait()

    db = None if database_url else sqlite3.connect(os.path.join(data, "okno.db"), timeout=10)
    committed = {}
    start = time.time()
    proc = serve(binary, port, data, channel_args, workers=True)
    deadline = start + 600
    sms_done = mail_done = None
    while (sms_done is None or mail_done is None) and time.time() < deadline:
        if sms_done is None:
            marker = str(uuid.uuid4())
            committed[marker] = commit_code(db, database_url, marker)
        time.sleep(0.1)
        now = time.time()
        if sms_done is None and gw.count >= n + len(committed) - 1:
            sms_done = now
        if mail_done is None and sink.count >= emails:
            mail_done = now
    sms_elapsed = (sms_done or time.time()) - start
    mail_elapsed = (mail_done or time.time()) - start
    time.sleep(1)
    proc.terminate()
    proc.wait()
    smtp.stop()
    waits = [(gw.codes[m] - t) * 1000 for m, t in committed.items() if m in gw.codes]
    sms_rate = n / sms_elapsed
    engine = "postgres" if database_url else "sqlite"
    print(f"| {engine} | {n} SMS + {emails} e-mails | {latency * 1000:.0f} ms | {concurrency} | "
          f"{baseline:.0f} | {sms_rate:.0f} | {sms_rate / baseline:.2f} | {emails / mail_elapsed:.0f} | "
          f"{len(waits)}/{len(committed)} | {pct(waits, 50):.0f} | {pct(waits, 99):.0f} | "
          f"{max(waits) if waits else float('nan'):.0f} |")


if __name__ == "__main__":
    main()
