"""Reaching the hosts of scripts/cluster.sh's cluster from Python, as root in the
machine's own namespace: HTTP from threads that joined a host's network namespace,
psql through `ip netns exec`, and the cluster's cluster.env. Shared by
scripts/cluster/chaos.py, scripts/cluster/replay_day.py and scripts/bench/cluster_bench.py.
"""

import ctypes
import http.client
import json
import os
import re
import subprocess
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

LIBC = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000
PREFIX = "reel-"


def enter_netns(host):
    """Moves the calling thread (only it) into the cluster host's network namespace.
    Threads it starts afterwards are born there too."""
    fd = os.open(f"/run/netns/{PREFIX}{host}", os.O_RDONLY)
    try:
        if LIBC.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns into {PREFIX}{host}: {os.strerror(err)}")
    finally:
        os.close(fd)


def read_env(path):
    """cluster.env's `export NAME='value'` lines, as a dict."""
    env = {}
    for line in Path(path).read_text().splitlines():
        m = re.match(r"^export ([A-Z0-9_]+)='(.*)'$", line)
        if m:
            env[m.group(1)] = m.group(2)
    return env


def host_names(host):
    """/etc/hosts as `ip netns exec` shows it in HOST (edge-a.reel, edge-b.reel)."""
    names = {}
    try:
        for line in Path(f"/etc/netns/{PREFIX}{host}/hosts").read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2 and not line.startswith("#"):
                for n in parts[1:]:
                    names[n] = parts[0]
    except OSError:
        pass
    return names


def psql(env, host, query, timeout=15, url=None):
    """Rows (lists of strings) of QUERY run by psql in HOST's namespace, against HOST's
    PostgreSQL (or URL); None when it fails or times out."""
    if url is None:
        addr = env[f"REEL_CLUSTER_{host.upper().replace('-', '_')}_ADDR"]
        target = ["-h", addr, "-p", "5432", "-U", "reel", "-d", "reel"]
    else:
        target = [url]
    try:
        # On standard input: a query may be longer than a command line may be.
        done = subprocess.run(["ip", "netns", "exec", f"{PREFIX}{host}", "psql", "-XAtq", "-F", "\t", *target,
                               "-v", "ON_ERROR_STOP=1", "-f", "-"],
                              input=query, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        return None
    return [line.split("\t") for line in done.stdout.splitlines() if line != ""]


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        return self.headers.get(name.lower())

    def json(self):
        return json.loads(self.body)


class Host:
    """Threads living in one host's namespace; HTTP requests made from there (a new
    connection each)."""

    def __init__(self, name, threads=4):
        self.name = name
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix=f"ns-{name}",
                                       initializer=enter_netns, initargs=(name,))
        self.names = host_names(name)

    def _request(self, method, url, body, headers, timeout):
        u = urllib.parse.urlsplit(url)
        host = self.names.get(u.hostname, u.hostname)
        conn = http.client.HTTPConnection(host, u.port or 80, timeout=timeout)
        try:
            path = u.path + (f"?{u.query}" if u.query else "")
            conn.request(method, path, body=body, headers={"Host": u.netloc, **(headers or {})})
            r = conn.getresponse()
            data = r.read()
            return Reply(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        finally:
            conn.close()

    def request(self, method, url, body=None, headers=None, timeout=10):
        return self.pool.submit(self._request, method, url, body, headers, timeout).result()

    def get(self, url, timeout=10, headers=None):
        return self.request("GET", url, headers=headers, timeout=timeout)

    def upload(self, api, body, title, token, timeout=30):
        """A one-shot upload (POST /v1/uploads) of an MP4 to the API at API, as an app makes it."""
        return self.request("POST", f"{api}/v1/uploads?title={title}", body=body, timeout=timeout,
                            headers={"Content-Type": "video/mp4", "Authorization": f"Bearer {token}"})

    def submit(self, fn, *args):
        """Runs FN(*ARGS) on one of this host's threads (in its namespace)."""
        return self.pool.submit(fn, *args)

    def map(self, fn, items):
        return list(self.pool.map(fn, items))

    def close(self):
        self.pool.shutdown(wait=False, cancel_futures=True)


class KeepAlive:
    """One keep-alive HTTP connection to one origin, for a thread already in the right
    namespace: (status, body length, X-Cache-Status) of each GET."""

    def __init__(self, base, names=None):
        u = urllib.parse.urlsplit(base)
        self.netloc = u.netloc
        self.host = (names or {}).get(u.hostname, u.hostname)
        self.port = u.port or 80
        self.conn = None

    def get(self, path, timeout=30):
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
                self.conn.request("GET", path, headers={"Host": self.netloc})
                r = self.conn.getresponse()
                body = r.read()
                if r.getheader("connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return r.status, len(body), r.getheader("x-cache-status", ""), body
            except (OSError, http.client.HTTPException):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 1:
                    return 0, 0, "", b""
        return 0, 0, "", b""
