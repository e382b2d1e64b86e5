#!/usr/bin/env python3
"""An OTLP/HTTP trace receiver for Reel's tests: what a collector would get.

Listens on 127.0.0.1 (a free port, printed as `listening on http://127.0.0.1:PORT`),
accepts `POST /v1/traces` with an ExportTraceServiceRequest in protobuf (gzip or not),
decodes it with the `opentelemetry-proto` package from PyPI, and appends one JSON line
per span to OUT: trace_id, span_id, parent_span_id (hex; "" for a root), name, kind,
service (the resource's service.name) and attributes. Anything else is answered 404;
a body that does not decode is answered 400 and logged.

Usage: otlp-receiver.py OUT [--port N]   (runs until SIGTERM; bounded body size)
Run it with the clients' venv (scripts/services/install-clients.sh).
"""
import argparse
import gzip
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

MAX_BODY = 16 << 20


def value(any_value):
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [value(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: value(kv.value) for kv in any_value.kvlist_value.values}
    if kind == "bytes_value":
        return any_value.bytes_value.hex()
    return getattr(any_value, kind)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            if self.path != "/v1/traces" or not 0 < length <= MAX_BODY:
                self.send_response(404 if self.path != "/v1/traces" else 413)
                self.end_headers()
                return
            body = self.rfile.read(length)
            if self.headers.get("Content-Encoding", "") == "gzip":
                body = gzip.decompress(body)
            request = trace_service_pb2.ExportTraceServiceRequest()
            try:
                request.ParseFromString(body)
            except Exception as error:  # noqa: BLE001 - any decoding failure is the sender's
                print(f"undecodable export: {error}", file=sys.stderr, flush=True)
                self.send_response(400)
                self.end_headers()
                return
            lines = []
            for resource_spans in request.resource_spans:
                resource = {kv.key: value(kv.value) for kv in resource_spans.resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        lines.append(json.dumps({
                            "trace_id": span.trace_id.hex(),
                            "span_id": span.span_id.hex(),
                            "parent_span_id": span.parent_span_id.hex(),
                            "name": span.name,
                            "kind": span.kind,
                            "service": resource.get("service.name", ""),
                            "attributes": {kv.key: value(kv.value) for kv in span.attributes},
                        }))
            with open(args.out, "a", encoding="utf-8") as out:
                for line in lines:
                    out.write(line + "\n")
            reply = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
