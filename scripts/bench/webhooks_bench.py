#!/usr/bin/env python3
"""Helpers of scripts/bench/webhooks.sh (run with the venv of
scripts/services/install-clients.sh).

  webhooks_bench.py anchor URL SECRET --count N --threads W
      The anchor: N deliveries of a Reel-sized event, each signed with the
      `standardwebhooks` package (as a sending library would) and POSTed over
      W keep-alive connections to the same receiver Reel delivers to. Prints
      {"deliveries_per_s": …}.
  webhooks_bench.py rate LOG --since T
      Reel's rate from the receiver's log: verified deliveries that arrived
      after T, divided by the span from the first to the last. Prints
      {"deliveries": n, "deliveries_per_s": …, "unverified": …}.
  webhooks_bench.py latency LOG CREATED
      Commit-to-receipt: CREATED holds "webhook-id epoch" lines (the events'
      created_at from PostgreSQL); joined with the receiver's log by
      webhook-id. Prints {"n", "p50_ms", "p99_ms", "max_ms"}.
"""

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from datetime import datetime, timezone
from urllib.parse import urlparse

from standardwebhooks.webhooks import Webhook


def records(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def anchor(args):
    url = urlparse(args.url)
    hook = Webhook(args.secret)
    body = json.dumps({"data": {"endpoint": "1", "message": "a test event from Reel"}, "timestamp": "2026-12-04T00:00:00Z",
                       "type": "webhook.test"}, separators=(",", ":"), sort_keys=True)
    counter = iter(range(args.count))
    lock = threading.Lock()
    failures = []

    def work():
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                break
            msg_id = f"msg_anchor{index}"
            now = datetime.now(tz=timezone.utc)
            signature = hook.sign(msg_id, now, body)
            conn.request("POST", url.path, body=body, headers={
                "Content-Type": "application/json", "webhook-id": msg_id,
                "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signature})
            reply = conn.getresponse()
            reply.read()
            if reply.status // 100 != 2:
                failures.append(reply.status)
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {"deliveries": args.count, "seconds": round(elapsed, 3), "deliveries_per_s": round(args.count / elapsed, 1),
            "failed": len(failures)}


def rate(args):
    seen = [r for r in records(args.log) if r["at"] >= args.since and not str(r.get("id", "")).startswith("msg_anchor")]
    good = sorted(r["at"] for r in seen if r["verified"])
    span = (good[-1] - good[0]) if len(good) > 1 else 0
    return {"deliveries": len(good), "unverified": len(seen) - len(good), "seconds": round(span, 3),
            "deliveries_per_s": round((len(good) - 1) / span, 1) if span > 0 else 0}


def latency(args):
    arrived = {r["id"]: r["at"] for r in records(args.log) if r["verified"]}
    delays = []
    with open(args.created) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2 and parts[0] in arrived:
                delays.append((arrived[parts[0]] - float(parts[1])) * 1000)
    if not delays:
        return {"n": 0}
    delays.sort()
    p99 = delays[min(len(delays) - 1, int(round(0.99 * (len(delays) - 1))))]
    return {"n": len(delays), "p50_ms": round(statistics.median(delays), 1), "p99_ms": round(p99, 1), "max_ms": round(delays[-1], 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser("anchor")
    a.add_argument("url")
    a.add_argument("secret")
    a.add_argument("--count", type=int, default=2000)
    a.add_argument("--threads", type=int, default=8)
    r = sub.add_parser("rate")
    r.add_argument("log")
    r.add_argument("--since", type=float, default=0)
    l = sub.add_parser("latency")
    l.add_argument("log")
    l.add_argument("created")
    args = parser.parse_args()
    print(json.dumps({"anchor": anchor, "rate": rate, "latency": latency}[args.command](args)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
