import CLibPQ
import Foundation
import ReelThreads
import Synchronization

/// A notification delivered by `NOTIFY channel, 'payload'`.
public struct PostgresNotification: Sendable, Hashable {
    public let channel: String
    public let payload: String
}

/// `LISTEN` on a connection of its own, as an `AsyncSequence` of events.
///
/// The connection lives on a thread the listener owns, blocked in `poll(2)`
/// until a notification arrives, so waiting costs no cooperative thread and
/// wakes within microseconds of the sender's commit. When the connection breaks
/// the listener reconnects with backoff and yields `.reconnected`: notifications
/// sent meanwhile are lost, so a consumer should then look for work by polling.
public final class PostgresListener: AsyncSequence, Sendable {
    public enum Event: Sendable, Hashable {
        case notification(PostgresNotification)
        /// The connection was re-established; notifications may have been missed.
        case reconnected
    }

    public typealias Element = Event
    public typealias AsyncIterator = AsyncStream<Event>.Iterator

    private let stream: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation
    private let stopping = Atomic<Bool>(false)
    private let wakePipe: (read: Int32, write: Int32)
    private let ready = DispatchSemaphore(value: 0)
    private let firstError = Mutex<PostgresError?>(nil)
    private let onEvent: (@Sendable (Event, borrowing ListenerSession) -> Void)?
    private let setup: String?

    /// Connects and starts listening on `channels`; returns once `LISTEN` is in
    /// place, so a `NOTIFY` sent after this returns is never missed.
    ///
    /// With `onEvent`, events are handed to it on the listener's own thread
    /// instead of to the sequence, together with the listening session, on
    /// which it may run a short statement: the shortest path from a commit to
    /// a waiting worker is to claim the job right where the notification
    /// arrived. `setup` runs on every (re)connection before `LISTEN`.
    public init(
        url: String, channels: [String], name: String = "reel-listen", setup: String? = nil,
        onEvent: (@Sendable (Event, borrowing ListenerSession) -> Void)? = nil
    ) async throws(PostgresError) {
        self.onEvent = onEvent
        self.setup = setup
        (stream, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(10_000))
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw PostgresError(code: .clientMisuse, message: "cannot create a wake-up pipe (errno \(errno))")
        }
        wakePipe = (fds[0], fds[1])
        let thread = Thread { [self] in
            ThreadExecutor.nameCurrentThread(name)
            self.run(url: url, channels: channels)
        }
        thread.name = name
        thread.start()
        // Wait off the cooperative pool for the first connection attempt.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async { [ready] in
                ready.wait()
                done.resume()
            }
        }
        if let error = firstError.withLock({ $0 }) {
            stop()
            throw error
        }
    }

    public func makeAsyncIterator() -> AsyncStream<Event>.Iterator { stream.makeAsyncIterator() }

    /// Ends the sequence and closes the connection.
    public func stop() {
        if stopping.exchange(true, ordering: .acquiringAndReleasing) { return }
        var byte: UInt8 = 1
        _ = write(wakePipe.write, &byte, 1)
    }

    deinit {
        close(wakePipe.read)
        close(wakePipe.write)
    }

    private func run(url: String, channels: [String]) {
        var signalledReady = false
        var backoff = 0.05
        var everConnected = false
        defer {
            continuation.finish()
            if !signalledReady { ready.signal() }
        }
        while !stopping.load(ordering: .acquiring) {
            guard let conn = PQconnectdb(url) else { return }
            defer { PQfinish(conn) }
            var ok = PQstatus(conn) == CONNECTION_OK
            if ok {
                PQsetNoticeReceiver(conn, { _, _ in }, nil)
                for statement in ["SET TIME ZONE 'UTC'", "SET DateStyle = 'ISO'"] + (setup.map { [$0] } ?? []) {
                    let result = PQexec(conn, statement)
                    ok = ok && PQresultStatus(result) == PGRES_COMMAND_OK
                    PQclear(result)
                }
                for channel in channels {
                    let result = PQexec(conn, "LISTEN \(Self.quoteIdentifier(channel))")
                    ok = ok && PQresultStatus(result) == PGRES_COMMAND_OK
                    PQclear(result)
                }
            }
            if !ok {
                let message = String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines)
                if !signalledReady {
                    firstError.withLock {
                        $0 = PostgresError(code: .connectionFailed, message: "cannot LISTEN: \(message)")
                    }
                    signalledReady = true
                    ready.signal()
                    return
                }
                if waitForStop(seconds: backoff) { return }
                backoff = Swift.min(backoff * 2, 2)
                continue
            }
            backoff = 0.05
            if everConnected { deliver(.reconnected, conn) }
            everConnected = true
            if !signalledReady {
                signalledReady = true
                ready.signal()
            }
            // Wait for notifications until the connection breaks or we stop.
            while !stopping.load(ordering: .acquiring) {
                let rc = cpq_wait_readable(conn, wakePipe.read, 5_000)
                if rc == 2 { return }
                if rc < 0 { break }
                if rc == 0 {
                    // Idle: probe the connection so a dead server is noticed.
                    let probe = PQexec(conn, "SELECT 1")
                    let alive = PQresultStatus(probe) == PGRES_TUPLES_OK
                    PQclear(probe)
                    if !alive { break }
                }
                if rc == 1, PQconsumeInput(conn) != 1 { break }
                while let n = PQnotifies(conn) {
                    deliver(.notification(PostgresNotification(
                        channel: String(cString: n.pointee.relname),
                        payload: String(cString: n.pointee.extra))), conn)
                    PQfreemem(n)
                }
                if PQstatus(conn) != CONNECTION_OK { break }
            }
        }
    }

    private func deliver(_ event: Event, _ conn: OpaquePointer) {
        if let onEvent { onEvent(event, ListenerSession(conn: conn)) } else { continuation.yield(event) }
    }

    /// Sleeps up to `seconds`; returns true when `stop()` was called.
    private func waitForStop(seconds: Double) -> Bool {
        var pfd = pollfd(fd: wakePipe.read, events: Int16(POLLIN), revents: 0)
        _ = poll(&pfd, 1, Int32(seconds * 1000))
        return stopping.load(ordering: .acquiring)
    }

    /// Quotes a channel name as an SQL identifier (channels may contain dots).
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// The listener's own connection, lent to an event callback for the duration
/// of the call (on the listener's thread, so blocking is allowed there).
public struct ListenerSession: ~Copyable {
    let conn: OpaquePointer

    /// Runs one statement with parameters; notifications that arrive
    /// meanwhile are kept and delivered afterwards.
    public func query(_ sql: String, _ binds: [(any PostgresEncodable)?] = []) throws(PostgresError) -> PostgresResult {
        let result = PostgresBinds.withCStrings(binds) { values, count in
            PQexecParams(conn, sql, count, nil, values, nil, nil, 0)
        }
        guard let result else {
            throw PostgresError(code: .connectionClosed, message: "the listening connection was lost", query: sql)
        }
        let status = PQresultStatus(result)
        guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK else {
            let message = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
            let state = PQresultErrorField(result, cpq_diag_sqlstate()).map { String(cString: $0) }
            PQclear(result)
            throw PostgresError(code: .server, message: message, sqlState: state, query: sql)
        }
        return PostgresResult(handle: result, query: sql)
    }
}
