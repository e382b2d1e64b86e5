#!/usr/bin/env python3
"""Uploads to Reel with tuspy (PyPI's tus client), as an app's Python backend
or a tus-speaking phone would. Run with the venv of
scripts/services/install-clients.sh; Tests/ReelAPITests/TusUploadTests.swift
drives it. Each command prints one JSON object on its last line.

  tus-client.py upload FILE --endpoint URL [--token T] [--chunk BYTES] [--checksum] [--defer] [--title T]
      A whole upload; prints {"url", "video_id"}. --defer creates it without a
      length and declares it with the last chunk (plain requests: tuspy 1.1
      has no deferred length).
  tus-client.py killed FILE --endpoint URL --storage FILE [--token T] [--fraction 0.5]
      Creates the upload (its URL kept in tuspy's URL storage), then sends the
      rest of the file in one PATCH and SIGKILLs itself once `fraction` of it
      is on the wire: the connection dies mid-chunk, as when a phone is closed.
  tus-client.py resume FILE --endpoint URL --storage FILE [--token T]
      A new client finds the stored URL by the file's fingerprint, asks the
      server for the offset (HEAD) and sends the rest; prints {"url",
      "video_id", "resumed_from"}.
"""

import argparse
import base64
import json
import os
import signal
import sys
from urllib.parse import urljoin

import requests
from tusclient import client as tus_client
from tusclient.storage.filestorage import FileStorage
from tusclient.uploader import Uploader


def tus(args):
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    return tus_client.TusClient(args.endpoint, headers=headers)


def video_id(client, url):
    reply = requests.head(url, headers={**client.headers, "Tus-Resumable": "1.0.0"}, timeout=30)
    return reply.headers.get("Reel-Video-Id")


def upload(args):
    client = tus(args)
    name = os.path.basename(args.file)
    metadata = {"filename": name, "title": args.title or name, "filetype": "video/mp4"}
    if args.defer:
        return deferred(args, client, metadata)
    uploader = client.uploader(args.file, chunk_size=args.chunk, upload_checksum=args.checksum, metadata=metadata)
    uploader.upload()
    return {"url": uploader.url, "video_id": video_id(client, uploader.url)}


def deferred(args, client, metadata):
    """creation-defer-length by hand (tuspy 1.1 has no deferred length): create
    without Upload-Length, send chunks, declare the length with the last one."""
    headers = {**client.headers, "Tus-Resumable": "1.0.0"}
    encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in metadata.items())
    created = requests.post(args.endpoint, headers={**headers, "Upload-Defer-Length": "1", "Upload-Metadata": encoded}, timeout=30)
    if created.status_code != 201:
        return {"error": f"creation answered {created.status_code}: {created.text[:300]}"}
    url = urljoin(args.endpoint, created.headers["Location"])
    size, offset = os.path.getsize(args.file), 0
    with open(args.file, "rb") as f:
        while offset < size:
            chunk = f.read(min(args.chunk, 1 << 30))
            last = offset + len(chunk) >= size
            extra = {"Upload-Length": str(size)} if last else {}
            sent = requests.patch(url, data=chunk, timeout=60, headers={
                **headers, **extra, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
            if sent.status_code != 204:
                return {"error": f"PATCH at {offset} answered {sent.status_code}: {sent.text[:300]}"}
            offset = int(sent.headers["Upload-Offset"])
    return {"url": url, "video_id": video_id(client, url)}


def killed(args):
    client = tus(args)
    storage = FileStorage(args.storage)
    uploader = client.uploader(args.file, store_url=True, url_storage=storage,
                               metadata={"filename": os.path.basename(args.file), "filetype": "video/mp4"})
    uploader.set_url(uploader.create_url())  # kept in the storage under the file's fingerprint
    storage.close()
    size = os.path.getsize(args.file)
    cut = int(size * args.fraction)
    print(json.dumps({"url": uploader.url, "killed_after": cut}), flush=True)

    def body():
        with open(args.file, "rb") as f:
            sent = 0
            while True:
                block = f.read(64 * 1024)
                if not block:
                    return
                yield block
                sent += len(block)
                if sent >= cut:
                    os.kill(os.getpid(), signal.SIGKILL)

    # A generator body goes out with chunked transfer encoding, as a streaming client sends it.
    requests.patch(uploader.url, data=body(), timeout=60, headers={
        **client.headers, "Tus-Resumable": "1.0.0", "Upload-Offset": "0",
        "Content-Type": "application/offset+octet-stream"})
    return {"error": "the upload finished before the client was killed"}


def resume(args):
    client = tus(args)
    storage = FileStorage(args.storage)
    uploader = client.uploader(args.file, store_url=True, url_storage=storage,
                               metadata={"filename": os.path.basename(args.file), "filetype": "video/mp4"})
    if not uploader.url:
        return {"error": "no stored URL for this file"}
    resumed_from = uploader.offset  # tuspy asked the server (HEAD) when it found the URL
    uploader.upload()
    storage.close()
    return {"url": uploader.url, "video_id": video_id(client, uploader.url), "resumed_from": resumed_from}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["upload", "killed", "resume"])
    parser.add_argument("file")
    parser.add_argument("--endpoint", required=True, help="the tus endpoint, e.g. http://127.0.0.1:8080/v1/uploads/tus")
    parser.add_argument("--token")
    parser.add_argument("--chunk", type=int, default=sys.maxsize)
    parser.add_argument("--checksum", action="store_true", help="send Upload-Checksum (sha1) with every chunk")
    parser.add_argument("--defer", action="store_true",
                        help="create without Upload-Length (creation-defer-length), with plain requests: tuspy 1.1 cannot")
    parser.add_argument("--title")
    parser.add_argument("--storage", help="tuspy's URL storage file")
    parser.add_argument("--fraction", type=float, default=0.5)
    args = parser.parse_args()
    result = {"upload": upload, "killed": killed, "resume": resume}[args.command](args)
    print(json.dumps(result), flush=True)
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
