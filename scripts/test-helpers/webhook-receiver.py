#!/usr/bin/env python3
"""A webhook receiver as an app would write one: every delivery is verified
with the `standardwebhooks` package from PyPI (installed by
scripts/services/install-clients.sh) before it is believed. Used by the
tests (Tests/ReelPipelineTests/WebhookDeliveryTests.swift), the demo and the
webhook benchmark.

  webhook-receiver.py --secrets FILE --log FILE [--port 0] [--slow 30]

Prints {"port": N} once listening. FILE of secrets holds one whsec_ secret
per line, read again for every request (the test writes it after it
registers the endpoint, and adds the new secret after a rotation); a
delivery verified by any of them counts. Each request is appended to the
log as one JSON line: path, whether it verified and with which secret
(its line number), webhook-id, the event's type, data and the time it
arrived. The path decides the answer:

  /ok        204 once verified, 400 if not
  /fail      500 (an endpoint that is down)
  /slow      the answer after --slow seconds (an endpoint that hangs)
  /trickle   200 at once, then its body one byte a second for --slow seconds
  /redirect  302 to /ok (deliveries must not follow it)
"""

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--secrets", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--slow", type=float, default=30)
    parser.add_argument("--quiet", action="store_true", help="print nothing per event (the benchmark)")
    args = parser.parse_args()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):
            pass

        def answer(self, status, extra=None):
            self.send_response(status)
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self):
            arrived = time.time()
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                with open(args.secrets) as f:
                    secrets = [line.strip() for line in f if line.strip()]
            except FileNotFoundError:
                secrets = []
            verified_with, event = None, None
            for index, secret in enumerate(secrets):
                try:
                    event = Webhook(secret).verify(body, headers)
                    verified_with = index
                    break
                except WebhookVerificationError:
                    continue
            record = {"path": self.path, "verified": verified_with is not None, "secret": verified_with,
                      "id": headers.get("webhook-id"), "signatures": len(headers.get("webhook-signature", "").split()),
                      "type": (event or {}).get("type"), "data": (event or {}).get("data"), "at": arrived}
            with lock, open(args.log, "a") as log:
                log.write(json.dumps(record) + "\n")
            if self.path == "/fail":
                return self.answer(500)
            if self.path == "/slow":
                time.sleep(args.slow)
                return self.answer(200)
            if self.path == "/trickle":
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                try:
                    for _ in range(int(args.slow)):
                        self.wfile.write(b".")
                        self.wfile.flush()
                        time.sleep(1)
                except OSError:
                    pass  # the sender gave up, as it should
                return
            if self.path == "/redirect":
                return self.answer(302, {"Location": "/ok"})
            if not args.quiet and record["verified"]:
                print(f"verified {record['type']} {record['id']}: {json.dumps(record['data'])}", flush=True)
            return self.answer(204 if record["verified"] else 400)

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
