#!/usr/bin/env python3
"""Anchor benchmark: pgqueuer 1.6.0 (asyncpg driver) on the same Postgres as Reel.

Gives Reel's figures something external to compare against. Every
subcommand prints exactly one JSON line on stdout (the result, or
{"error": ...} on failure, together with a non-zero exit status); all logs
go to stderr.

  setup    install pgqueuer's schema (drops an existing install first)
  enqueue  time bulk Queries.enqueue() of N jobs in batches of B
  drain    pre-enqueue N jobs, time C QueueManagers draining them
  latency  enqueue-call-start -> handler-start latency with an idle consumer

Expects pgqueuer's default object names (pgqueuer, pgqueuer_log, ...), so do
not set PGQUEUER_PREFIX / PGQUEUER_SCHEMA unless setup ran with the same values.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
from pgqueuer import QueueManager, Queries
from pgqueuer.adapters.persistence.qb import QueryBuilderEnvironment
from pgqueuer.db import AsyncpgDriver
from pgqueuer.domain.settings import DBSettings, Durability
from pgqueuer.models import Job

log = logging.getLogger("pgqueuer_bench")

ENTRYPOINT = "reel_bench_noop"

# The untimed pre-fill for drain/latency is not what we measure, so it uses
# larger statements than --batch to get out of the way quickly.
PREFILL_CHUNK = 5_000

# Time allowed for QueueManagers to exit once asked to, on the error path.
STOP_GRACE_S = 10.0


class BenchError(Exception):
    """A failure worth reporting as a one-line JSON error rather than a traceback."""


def emit(result: dict[str, object]) -> None:
    """Print the single JSON result line; consumers parse only the last stdout line."""
    print(json.dumps(result), flush=True)


# --------------------------------------------------------------------------- helpers


@contextlib.asynccontextmanager
async def open_queries(dsn: str, settings: DBSettings | None = None) -> AsyncIterator[Queries]:
    """Queries over one dedicated asyncpg connection, closed on exit.

    AsyncpgDriver serialises statements on its connection with a lock, so every
    producer and every QueueManager gets its own connection to avoid measuring
    lock contention inside the client instead of the database. The driver
    leaves closing the connection to its owner, hence this wrapper.
    """
    conn = await asyncpg.connect(dsn)
    try:
        qbe = QueryBuilderEnvironment(settings=settings) if settings else QueryBuilderEnvironment()
        yield Queries(AsyncpgDriver(conn), qbe=qbe)
    finally:
        await conn.close()


async def within(awaitable: Awaitable[None], deadline: float, what: str) -> None:
    """Run *awaitable* with whatever is left until *deadline* (time.monotonic())."""
    try:
        await asyncio.wait_for(awaitable, timeout=max(0.0, deadline - time.monotonic()))
    except asyncio.TimeoutError as exc:  # not the builtin on Python 3.10
        raise BenchError(f"gave up (--timeout reached) during {what}") from exc


async def reset_queue(q: Queries, keep_log: bool = False) -> None:
    """Start every measurement from empty queue, log and statistics tables.

    Leftovers from an earlier (possibly aborted) run would otherwise be
    drained too, and a large pgqueuer_log skews the completion path's cost;
    keep_log leaves the log as it is (the growth mode seeds it on purpose).
    """
    await q.clear_queue()
    if not keep_log:
        await q.clear_queue_log()
    await q.clear_statistics_log()


async def cmd_seed_log(args: argparse.Namespace) -> dict[str, object]:
    """Fills pgqueuer_log with ROWS finished jobs (already aggregated into
    the statistics, as a long-running deployment's log holds them): the
    history that scripts/bench/queue.sh --growth measures pgqueuer with."""
    async with open_queries(args.dsn) as q:
        table = q.qbe.settings.qualified.queue_table_log
        await q.driver.execute(f"TRUNCATE {table}")
        left = args.rows
        while left > 0:
            n = min(left, 1_000_000)
            await q.driver.execute(
                f"INSERT INTO {table} (job_id, status, priority, entrypoint, aggregated) "
                f"SELECT g, 'successful', 0, 'retained', true FROM generate_series(1, {n}) g"
            )
            left -= n
        await q.driver.execute(f"ANALYZE {table}")
    return {"rows": args.rows}


async def queued_rows(q: Queries) -> int:
    """Rows still in the queue table, whatever their status."""
    return sum(s.count for s in await q.queue_size())


async def analyze_queue_table(q: Queries) -> None:
    # A freshly filled table has no planner statistics until autovacuum gets
    # to it; analyse it up front so the timed dequeues are not planned blind
    # (ceiling.sh does the same to its table).
    await q.driver.execute(f"ANALYZE {q.qbe.settings.qualified.queue_table}")


def build_batches(
    n: int, batch: int, offset: int = 0
) -> list[tuple[list[str], list[bytes | None], list[int]]]:
    """Argument lists for Queries.enqueue's batch form, one tuple per statement.

    Built before any timing starts so list construction is not charged to pgqueuer.
    The payload is a small per-job byte string, as a real caller would send.
    """
    batches = []
    for start in range(0, n, batch):
        k = min(batch, n - start)
        batches.append(
            (
                [ENTRYPOINT] * k,
                [str(offset + start + i).encode() for i in range(k)],
                [0] * k,
            )
        )
    return batches


async def enqueue_batches(
    q: Queries, batches: list[tuple[list[str], list[bytes | None], list[int]]]
) -> None:
    for entrypoints, payloads, priorities in batches:
        await q.enqueue(entrypoints, payloads, priorities)


async def stop_managers(
    qms: list[QueueManager], tasks: list[asyncio.Task[None]], *, quiet: bool = False
) -> None:
    """Ask every QueueManager to exit and wait for it.

    Setting ``shutdown`` (rather than cancelling) lets run() leave its context
    managers normally: in-flight handlers finish and the buffered status log
    is flushed, which is what deletes finished jobs from the queue table.
    Cancellation is only the fallback for a manager that does not exit.
    ``quiet`` is for cleanup after an earlier failure, which must not be
    masked by a follow-on error from the same managers.
    """
    for qm in qms:
        qm.shutdown.set()
    done, pending = await asyncio.wait(tasks, timeout=STOP_GRACE_S)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if quiet:
        return
    if pending:
        raise BenchError(f"{len(pending)} QueueManager(s) did not stop within {STOP_GRACE_S}s")
    for task in done:
        if (exc := task.exception()) is not None:
            raise BenchError(f"QueueManager failed: {exc!r}") from exc


async def wait_or_fail(
    awaitable: Awaitable[object],
    runners: list[asyncio.Task[None]],
    deadline: float,
    what: str,
) -> None:
    """Wait for *awaitable* until *deadline* (time.monotonic()), failing fast if a
    QueueManager dies first.

    Without watching the runners, a consumer that crashed (e.g. schema missing)
    would only surface as a timeout minutes later.
    """
    waiter = asyncio.ensure_future(awaitable)
    try:
        done, _ = await asyncio.wait(
            [waiter, *runners],
            timeout=max(0.0, deadline - time.monotonic()),
            return_when=asyncio.FIRST_COMPLETED,
        )
        if waiter in done:
            waiter.result()
            return
        for task in runners:
            if task in done:
                exc = task.exception()
                raise BenchError(f"QueueManager exited early while waiting for {what}: {exc!r}")
        raise BenchError(f"gave up (--timeout reached) while waiting for {what}")
    finally:
        if not waiter.done():
            waiter.cancel()


def make_manager(q: Queries, handler: Callable[[Job], Awaitable[None]]) -> QueueManager:
    qm = QueueManager(q)
    # accepts_context=False skips signature inspection; the handler takes only the job.
    qm.entrypoint(ENTRYPOINT, accepts_context=False)(handler)
    return qm


def run_kwargs(batch: int) -> dict[str, object]:
    """QueueManager.run() settings used by every consumer here.

    batch_size is pgqueuer's dequeue batch (rows claimed per dequeue statement
    and the flush size of its completion-log buffer). max_concurrent_tasks=None
    is pgqueuer's default: no per-worker cap and no budget CTE in the dequeue
    query, i.e. the cheapest dequeue it has. Everything else stays at
    pgqueuer's defaults (30 s dequeue_timeout, which only matters when idle,
    because wake-ups come from LISTEN/NOTIFY).
    """
    return {"batch_size": batch, "max_concurrent_tasks": None}


# --------------------------------------------------------------------------- setup


async def cmd_setup(args: argparse.Namespace) -> dict[str, object]:
    settings = DBSettings(durability=Durability(args.durability))
    async with open_queries(args.dsn, settings) as q:
        # Same check `pgq install` makes; it refuses to install over an existing
        # (or half-installed) schema, so drop it first to make setup repeatable.
        replaced = await q.schema_is_installed()
        if replaced:
            log.info("existing pgqueuer schema found; uninstalling first")
            await q.uninstall()
        await q.install()
        log.info("installed pgqueuer schema (durability=%s)", settings.durability.value)
    return {"installed": True, "replaced": replaced, "durability": settings.durability.value}


# --------------------------------------------------------------------------- enqueue


async def cmd_enqueue(args: argparse.Namespace) -> dict[str, object]:
    n, batch = args.jobs, args.batch
    deadline = time.monotonic() + args.timeout
    async with open_queries(args.dsn) as q:
        await reset_queue(q)
        batches = build_batches(n, batch)
        t0 = time.perf_counter()
        await within(enqueue_batches(q, batches), deadline, "enqueue")
        seconds = time.perf_counter() - t0

        if (found := await queued_rows(q)) != n:
            raise BenchError(f"expected {n} queued jobs after enqueue, found {found}")
        # Leave the database empty so the next subcommand starts clean.
        await reset_queue(q)
    return {"jobs": n, "seconds": round(seconds, 6), "jobs_per_s": round(n / seconds, 1)}


# --------------------------------------------------------------------------- drain


@dataclass
class DrainCounter:
    target: int
    handled: int = 0
    all_handled: asyncio.Event = field(default_factory=asyncio.Event)

    async def handler(self, job: Job) -> None:
        self.handled += 1
        if self.handled >= self.target:
            self.all_handled.set()


async def cmd_drain(args: argparse.Namespace) -> dict[str, object]:
    n, batch, concurrency = args.jobs, args.batch, args.concurrency
    deadline = time.monotonic() + args.timeout

    async with contextlib.AsyncExitStack() as stack:
        producer = await stack.enter_async_context(open_queries(args.dsn))
        await reset_queue(producer, keep_log=args.keep_log)
        await within(
            enqueue_batches(producer, build_batches(n, PREFILL_CHUNK)), deadline, "pre-fill"
        )
        await analyze_queue_table(producer)
        log.info(
            "pre-filled %d jobs; starting %d QueueManager(s), batch_size=%d", n, concurrency, batch
        )

        # "Concurrency" = number of QueueManagers, each on its own connection,
        # all in this one event loop: the same shape as pgqueuer's own
        # tools/benchmark.py ("--dequeue N" workers).
        counter = DrainCounter(target=n)
        consumers = [
            await stack.enter_async_context(open_queries(args.dsn)) for _ in range(concurrency)
        ]
        qms = [make_manager(q, counter.handler) for q in consumers]

        t0 = time.perf_counter()
        runners = [asyncio.create_task(qm.run(**run_kwargs(batch))) for qm in qms]
        try:
            await wait_or_fail(
                counter.all_handled.wait(), runners, deadline, f"{n} jobs to be handled"
            )
        except BaseException:
            await stop_managers(qms, runners, quiet=True)
            raise
        # The clock keeps running through shutdown: a job only counts as
        # processed once its completion has been written, and run() flushes
        # the buffered completions as it exits.
        await stop_managers(qms, runners)
        seconds = time.perf_counter() - t0

        if counter.handled != n:
            raise BenchError(f"handler ran {counter.handled} times for {n} jobs")
        if (left := await queued_rows(producer)) != 0:
            raise BenchError(f"{left} jobs still in the queue table after drain")
        await reset_queue(producer, keep_log=args.keep_log)
    return {"jobs": n, "seconds": round(seconds, 6), "jobs_per_s": round(n / seconds, 1)}


# --------------------------------------------------------------------------- latency


@dataclass
class LatencyProbe:
    """Handler that timestamps its own start for the sample named in the payload."""

    started: dict[int, asyncio.Future[float]] = field(default_factory=dict)

    def expect(self, sample: int) -> asyncio.Future[float]:
        fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.started[sample] = fut
        return fut

    async def handler(self, job: Job) -> None:
        # Taken first thing: everything before this line is queue latency.
        t = time.perf_counter()
        fut = self.started.pop(int(job.payload or b"0"), None)
        if fut is not None and not fut.done():
            fut.set_result(t)


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile; with few samples it reports a real observation."""
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


async def cmd_latency(args: argparse.Namespace) -> dict[str, object]:
    k, interval = args.samples, args.interval_ms / 1000.0
    deadline = time.monotonic() + args.timeout

    async with open_queries(args.dsn) as producer, open_queries(args.dsn) as consumer:
        await reset_queue(producer)
        probe = LatencyProbe()
        qm = make_manager(consumer, probe.handler)
        runner = asyncio.create_task(qm.run(**run_kwargs(args.batch)))
        try:
            # Warm-up jobs prove the consumer is LISTENing (the first ones land
            # while it is still starting) and let both connections prepare their
            # statements, so the samples measure the steady state.
            samples: list[float] = []
            for i in range(-args.warmup, k):
                handled = probe.expect(i)
                t0 = time.perf_counter()
                await producer.enqueue(ENTRYPOINT, str(i).encode())
                await wait_or_fail(handled, [runner], deadline, f"latency job {i}")
                if i >= 0:
                    samples.append((handled.result() - t0) * 1000.0)
                # Pace start-to-start; wait for each job first so the consumer
                # is idle (blocked on LISTEN) when the next one arrives.
                await asyncio.sleep(max(0.0, t0 + interval - time.perf_counter()))
        except BaseException:
            await stop_managers([qm], [runner], quiet=True)
            raise
        await stop_managers([qm], [runner])
        await reset_queue(producer)

    samples.sort()
    log.info(
        "latency ms: min=%.3f mean=%.3f max=%.3f",
        samples[0],
        sum(samples) / len(samples),
        samples[-1],
    )
    return {
        "samples": k,
        "p50_ms": round(percentile(samples, 50), 3),
        "p99_ms": round(percentile(samples, 99), 3),
    }


# --------------------------------------------------------------------------- CLI


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def parse_args(argv: list[str]) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--dsn", required=True, help="libpq URL, e.g. postgresql://user@127.0.0.1:5432/db"
    )
    common.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="give up (non-zero exit) after this many seconds (default 300)",
    )
    common.add_argument("-v", "--verbose", action="store_true", help="debug logging")

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("setup", parents=[common], help="(re)install pgqueuer's schema")
    p.add_argument(
        "--durability",
        choices=[d.value for d in Durability],
        default=Durability.durable.value,
        help="pgqueuer table durability; 'durable' (all tables logged) is "
        "pgqueuer's default and the like-for-like choice (default: durable)",
    )
    p.set_defaults(func=cmd_setup)

    p = sub.add_parser("enqueue", parents=[common], help="time batch enqueue")
    p.add_argument("--jobs", type=positive_int, required=True)
    p.add_argument("--batch", type=positive_int, required=True)
    p.set_defaults(func=cmd_enqueue)

    p = sub.add_parser("drain", parents=[common], help="time draining a pre-filled queue")
    p.add_argument("--jobs", type=positive_int, required=True)
    p.add_argument(
        "--batch", type=positive_int, required=True, help="QueueManager.run(batch_size=...)"
    )
    p.add_argument(
        "--concurrency",
        type=positive_int,
        default=1,
        help="number of QueueManagers, one connection each (default 1)",
    )
    p.add_argument("--keep-log", action="store_true", help="leave pgqueuer_log as it is (seeded by seed-log)")
    p.set_defaults(func=cmd_drain)

    p = sub.add_parser("seed-log", parents=[common], help="fill pgqueuer_log with finished jobs")
    p.add_argument("--rows", type=int, required=True)
    p.set_defaults(func=cmd_seed_log)

    p = sub.add_parser("latency", parents=[common], help="enqueue -> handler-start latency")
    p.add_argument("--samples", type=positive_int, required=True)
    p.add_argument(
        "--interval-ms",
        type=float,
        default=20.0,
        help="start-to-start spacing of samples (default 20)",
    )
    p.add_argument("--warmup", type=int, default=5, help="unrecorded warm-up jobs (default 5)")
    p.add_argument(
        "--batch",
        type=positive_int,
        default=10,
        help="consumer batch_size (default 10, pgqueuer's default)",
    )
    p.set_defaults(func=cmd_latency)

    return parser.parse_args(argv)


async def guarded(args: argparse.Namespace) -> dict[str, object]:
    """Hard backstop behind the per-phase deadlines.

    Those cover the phases that can legitimately run long; this catches
    anything else that hangs (say, a TRUNCATE queued behind another
    session's lock), with room left for an orderly shutdown.
    """
    limit = args.timeout + STOP_GRACE_S + 5.0
    try:
        return await asyncio.wait_for(args.func(args), timeout=limit)
    except asyncio.TimeoutError as exc:
        raise BenchError(f"timed out (hard limit {limit:.0f}s)") from exc


def run_loop(coro: Awaitable[dict[str, object]]) -> dict[str, object]:
    # pgqueuer's own CLI and benchmark run on uvloop (a hard dependency of
    # pgqueuer on Linux); use it too so the anchor is pgqueuer at its best.
    try:
        import uvloop
    except ImportError:
        log.warning("uvloop not available; falling back to the default asyncio loop")
        return asyncio.run(coro)  # type: ignore[arg-type]
    return uvloop.run(coro)  # type: ignore[arg-type]


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    # pgqueuer logs per-job events at INFO/DEBUG; keep stderr readable.
    logging.getLogger("pgqueuer").setLevel(logging.DEBUG if args.verbose else logging.WARNING)

    try:
        result = run_loop(guarded(args))
    except BenchError as exc:
        log.error("%s: %s", args.command, exc)
        emit({"error": str(exc), "command": args.command})
        return 1
    except (OSError, asyncpg.PostgresError) as exc:
        log.error("%s: database error: %r", args.command, exc)
        emit({"error": f"database error: {exc}", "command": args.command})
        return 1
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
