#!/usr/bin/env python3
"""The only link between the cluster's two regions (scripts/cluster.sh).

A userspace TCP relay: each route listens on an address of the relay host in one
region and forwards to HOST:PORT in the other. Data is delayed by --delay-ms in
each direction through a timed queue per direction (every chunk is released
DELAY after it was read, so throughput is not one chunk per delay; at most
--window bytes wait in one direction before reading stops).

    relay.py --state DIR [--delay-ms 40] [--window 4194304] \
        --route NAME=LISTEN_HOST:PORT,TARGET_HOST:PORT [--route ...]

Control (the relay writes what it does to DIR/relay.state, JSON):
    SIGUSR1  partition, in the mode named by DIR/relay.ctl (`mode=refuse`, the
             default: every relayed connection is reset and the relay stops
             listening, so new ones are refused; `mode=stall`: nothing moves,
             new connections are held, all of it resumes on heal, as TCP over
             a broken link would)
    SIGUSR2  heal
    SIGHUP   re-read DIR/relay.ctl (`delay_ms=N`, `mode=...`)
    SIGTERM  stop

A target that refuses a connection (its host is up, its server is not: a stopped
PostgreSQL) makes the relay stop listening on that route, so the next clients are
refused too, as they would be by that host itself (a client with several hosts,
libpq's multi-host URLs, then moves on to its next host instead of seeing a
connection that was accepted and then closed). The relay probes the target every
0.5 s and listens again once it accepts.
"""

import argparse
import asyncio
import json
import os
import signal
import socket
import struct
import sys
import time

CHUNK = 65536
RESET = object()   # queued when a side fails: the other side is reset too


def log(message):
    stamp = time.strftime("%H:%M:%S")
    print(f"[relay {stamp}] {message}", file=sys.stderr, flush=True)


def parse_route(text):
    try:
        name, rest = text.split("=", 1)
        listen, target = rest.split(",", 1)
        lhost, lport = listen.rsplit(":", 1)
        thost, tport = target.rsplit(":", 1)
        return {"name": name, "listen": (lhost, int(lport)), "target": (thost, int(tport))}
    except ValueError:
        raise argparse.ArgumentTypeError(f"route {text!r}: expected NAME=LISTEN_HOST:PORT,TARGET_HOST:PORT")


def reset(writer):
    """Close with a TCP reset (SO_LINGER 0), as a cut link or a refusing host would."""
    if writer is None:
        return
    sock = writer.get_extra_info("socket")
    try:
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    writer.transport.abort()


class Link:
    """A relayed connection: the client's side, the target's side, its task."""

    def __init__(self, client, task):
        self.client = client
        self.target = None
        self.task = task

    def reset(self):
        reset(self.client)
        reset(self.target)

    def close(self):
        for w in (self.client, self.target):
            if w is not None and not w.transport.is_closing():
                w.transport.close()


class Direction:
    """One direction of a link: read, hold each chunk for the delay, write."""

    def __init__(self, relay, reader, writer, counts):
        self.relay = relay
        self.reader = reader
        self.writer = writer
        self.counts = counts
        self.queue = asyncio.Queue()
        self.waiting = 0
        self.space = asyncio.Event()
        self.space.set()

    async def read(self):
        try:
            while True:
                while self.waiting >= self.relay.window:
                    self.space.clear()
                    await self.space.wait()
                data = await self.reader.read(CHUNK)
                due = time.monotonic() + self.relay.delay
                if not data:
                    self.queue.put_nowait((due, None))
                    return
                self.waiting += len(data)
                self.queue.put_nowait((due, data))
        except (ConnectionError, OSError):
            self.queue.put_nowait((0, RESET))

    async def write(self):
        while True:
            due, data = await self.queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            await self.relay.flowing.wait()
            if data is RESET:
                raise ConnectionResetError("the other side of the link was reset")
            if data is None:
                if self.writer.can_write_eof():
                    try:
                        self.writer.write_eof()
                    except OSError:
                        pass
                return
            self.writer.write(data)
            await self.writer.drain()
            self.counts["bytes"] += len(data)
            self.waiting -= len(data)
            if self.waiting < self.relay.window:
                self.space.set()


class Relay:
    def __init__(self, args):
        self.state_dir = args.state
        self.routes = args.route
        self.delay = args.delay_ms / 1000.0
        self.window = args.window
        self.partitioned = False
        self.mode = "refuse"
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.links = set()
        self.counts = {r["name"]: {"accepted": 0, "active": 0, "refused": 0, "bytes": 0} for r in self.routes}
        self.servers = {}           # route name -> asyncio server, while listening
        self.down = set()           # routes whose target refused: not listening until it accepts
        self.listening = asyncio.Lock()
        self.stopping = asyncio.Event()
        self.since = time.time()

    # -- control ---------------------------------------------------------

    def read_control(self):
        path = os.path.join(self.state_dir, "relay.ctl")
        values = {}
        try:
            with open(path) as f:
                for line in f:
                    if "=" in line:
                        key, value = line.strip().split("=", 1)
                        values[key.strip()] = value.strip()
        except FileNotFoundError:
            pass
        mode = values.get("mode", "refuse")
        self.mode = mode if mode in ("refuse", "stall") else "refuse"
        if "delay_ms" in values:
            try:
                self.delay = max(0, int(values["delay_ms"])) / 1000.0
            except ValueError:
                log(f"relay.ctl: delay_ms={values['delay_ms']!r} is not a whole number; kept {self.delay * 1000:.0f}")

    def partition(self):
        self.read_control()
        self.partitioned = True
        self.since = time.time()
        if self.mode == "stall":
            self.flowing.clear()
            asyncio.ensure_future(self.listen())    # after a refusing partition
            log(f"partitioned (stall): {len(self.links)} connections frozen, new ones held")
        else:
            self.flowing.set()
            # Stop listening: a new connection is refused by the kernel, as by a host that is gone.
            for server in self.servers.values():
                server.close()
            self.servers.clear()
            cut = len(self.links)
            for link in list(self.links):
                link.reset()
                link.task.cancel()
            log(f"partitioned (refuse): {cut} connections reset, new ones refused")
        self.write_state()

    def heal(self):
        asyncio.ensure_future(self._heal())

    async def _heal(self):
        await self.listen()
        self.partitioned = False
        self.since = time.time()
        self.flowing.set()
        log("healed")
        self.write_state()

    async def listen(self):
        async with self.listening:
            for route in self.routes:
                if route["name"] in self.servers or route["name"] in self.down:
                    continue
                self.servers[route["name"]] = await asyncio.start_server(
                    lambda r, w, route=route: self.handle(route, r, w),
                    host=route["listen"][0], port=route["listen"][1], reuse_address=True)

    def target_down(self, route):
        """The target refused: refuse its clients too until it accepts again."""
        name = route["name"]
        if name in self.down:
            return
        self.down.add(name)
        server = self.servers.pop(name, None)
        if server is not None:
            server.close()
        log("%s: %s:%d refuses connections; refusing them here too until it accepts" % (name, *route["target"]))
        asyncio.ensure_future(self.probe(route))
        self.write_state()

    async def probe(self, route):
        name = route["name"]
        while not self.stopping.is_set():
            await asyncio.sleep(0.5)
            try:
                _, writer = await asyncio.wait_for(asyncio.open_connection(*route["target"]), timeout=1)
            except (OSError, asyncio.TimeoutError):
                continue
            writer.close()
            self.down.discard(name)
            log("%s: %s:%d accepts connections again" % (name, *route["target"]))
            if not self.partitioned or self.mode == "stall":
                try:
                    await self.listen()
                except OSError as error:
                    log(f"{name}: cannot listen again: {error!r}")
            self.write_state()
            return

    def reload(self):
        self.read_control()
        log(f"control re-read: delay {self.delay * 1000:.0f} ms, partition mode {self.mode}")
        self.write_state()

    def write_state(self):
        state = {
            "pid": os.getpid(),
            "partitioned": self.partitioned,
            "mode": self.mode,
            "delay_ms": round(self.delay * 1000),
            "since": round(self.since, 3),
            "connections": len(self.links),
            "routes": {
                r["name"]: {
                    "listen": "%s:%d" % r["listen"],
                    "target": "%s:%d" % r["target"],
                    "target_refusing": r["name"] in self.down,
                    **self.counts[r["name"]],
                }
                for r in self.routes
            },
        }
        path = os.path.join(self.state_dir, "relay.state")
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(state, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)

    # -- links -------------------------------------------------------------

    async def handle(self, route, client_reader, client_writer):
        counts = self.counts[route["name"]]
        if self.partitioned and self.mode == "refuse":
            counts["refused"] += 1
            reset(client_writer)
            return
        counts["accepted"] += 1
        counts["active"] += 1
        link = Link(client_writer, asyncio.current_task())
        self.links.add(link)
        try:
            await self.flowing.wait()       # a stalled partition holds new connections
            try:
                target_reader, link.target = await asyncio.wait_for(
                    asyncio.open_connection(*route["target"]), timeout=5)
            except (OSError, asyncio.TimeoutError) as error:
                log("%s: cannot reach %s:%d: %r" % (route["name"], *route["target"], error))
                link.reset()
                if isinstance(error, ConnectionRefusedError):
                    self.target_down(route)
                return
            if self.partitioned and self.mode == "refuse":
                link.reset()
                return
            up = Direction(self, client_reader, link.target, counts)
            down = Direction(self, target_reader, client_writer, counts)
            pumps = [asyncio.create_task(p) for p in (up.read(), up.write(), down.read(), down.write())]
            try:
                done, _ = await asyncio.wait(pumps, return_when=asyncio.FIRST_EXCEPTION)
                # Either every pump ended (both sides sent EOF) or one failed.
                if any(t.exception() for t in done if not t.cancelled()):
                    link.reset()
            finally:
                for p in pumps:
                    p.cancel()
        except asyncio.CancelledError:
            link.reset()
        finally:
            counts["active"] -= 1
            self.links.discard(link)
            link.close()

    async def run(self):
        loop = asyncio.get_running_loop()
        self.read_control()
        await self.listen()
        loop.add_signal_handler(signal.SIGUSR1, self.partition)
        loop.add_signal_handler(signal.SIGUSR2, self.heal)
        loop.add_signal_handler(signal.SIGHUP, self.reload)
        loop.add_signal_handler(signal.SIGTERM, self.stopping.set)
        loop.add_signal_handler(signal.SIGINT, self.stopping.set)
        self.write_state()
        names = ", ".join("%s %s:%d -> %s:%d" % (r["name"], *r["listen"], *r["target"]) for r in self.routes)
        log(f"pid {os.getpid()}, delay {self.delay * 1000:.0f} ms each way: {names}")
        last = None
        while not self.stopping.is_set():
            try:
                await asyncio.wait_for(self.stopping.wait(), timeout=1)
            except asyncio.TimeoutError:
                pass
            snapshot = (len(self.links), json.dumps(self.counts, sort_keys=True))
            if snapshot != last:
                self.write_state()
                last = snapshot
        for server in self.servers.values():
            server.close()
        for link in list(self.links):
            link.reset()
            link.task.cancel()
        log("stopped")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--state", required=True, help="folder for relay.ctl and relay.state")
    parser.add_argument("--delay-ms", type=int, default=int(os.environ.get("REEL_CLUSTER_DELAY_MS", "40")))
    parser.add_argument("--window", type=int, default=4 << 20, help="bytes held at most per direction")
    parser.add_argument("--route", type=parse_route, action="append", required=True)
    args = parser.parse_args()
    if args.delay_ms < 0:
        parser.error("--delay-ms must be 0 or more")
    asyncio.run(Relay(args).run())


if __name__ == "__main__":
    main()
