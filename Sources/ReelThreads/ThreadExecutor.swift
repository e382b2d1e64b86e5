import Dispatch
import Foundation
import Synchronization

/// An executor that runs everything it is given on one OS thread it owns.
///
/// Use it for a C library that blocks (libpq, hiredis, FFmpeg): an actor whose
/// `unownedExecutor` is a `ThreadExecutor` may call blocking functions from its
/// synchronous methods, and those calls park this thread, never a thread of
/// Swift's cooperative pool (which has only as many threads as cores). Serial by
/// construction, so one connection never sees two calls at once.
public final class ThreadExecutor: SerialExecutor, TaskExecutor, Sendable {
    private struct Queue: ~Copyable {
        var jobs: [UnownedJob] = []
        var next = 0
        var stopping = false
    }

    private let queue = Mutex(Queue())
    private let wake = DispatchSemaphore(value: 0)
    private let threadID = Mutex<pthread_t?>(nil)
    /// The thread's name, shown by debuggers and `top -H`.
    public let name: String

    /// Starts the thread at once; it lives until `shutdown()`.
    public init(name: String) {
        self.name = name
        let thread = Thread { [self] in
            Self.nameCurrentThread(name)
            self.threadID.withLock { $0 = pthread_self() }
            self.run()
        }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Names the OS thread (what `top -H` and /proc show). Linux keeps 15
    /// bytes; Foundation's `Thread.name` does not reach the kernel here.
    public static func nameCurrentThread(_ name: String) {
        let short = String(decoding: Array(name.utf8.prefix(15)), as: UTF8.self)
        try? short.write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.withLock { $0.jobs.append(job) }
        wake.signal()
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    public func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }

    public func isSameExclusiveExecutionContext(other: ThreadExecutor) -> Bool { self === other }

    public func checkIsolated() {
        let onThread = threadID.withLock { $0.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
        precondition(onThread, "not on the thread of executor '\(name)'")
    }

    /// Runs what is already queued, then ends the thread.
    public func shutdown() {
        queue.withLock { $0.stopping = true }
        wake.signal()
    }

    private func run() {
        while true {
            wake.wait()
            let next: UnownedJob?? = queue.withLock { q in
                if q.next < q.jobs.count {
                    let job = q.jobs[q.next]
                    q.next += 1
                    if q.next == q.jobs.count {
                        q.jobs.removeAll(keepingCapacity: true)
                        q.next = 0
                    }
                    return .some(job)
                }
                return q.stopping ? .some(nil) : nil
            }
            switch next {
            case .some(.some(let job)):
                job.runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor())
            case .some(.none):
                threadID.withLock { $0 = nil }
                return
            case .none:
                continue
            }
        }
    }
}
