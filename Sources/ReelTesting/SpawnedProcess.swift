public import Foundation
import Synchronization

/// A child process started with posix_spawn and reaped by a thread of its
/// own that waits for exactly its PID. Foundation's `Process` was not
/// enough in the test process: children launched at the same moment from
/// different tasks were sometimes never seen to exit (left as zombies, their
/// termination handlers never called), and children inherited the launching
/// thread's blocked signals, so a SIGTERM did not stop them.
public final class SpawnedProcess: Sendable {
    public let pid: pid_t
    private let exit = ExitCode()

    private final class ExitCode: Sendable {
        let code = Mutex<Int32?>(nil)
        func withLock<T>(_ body: (inout Int32?) -> T) -> T { code.withLock { body(&$0) } }
    }

    /// Starts `arguments[0]` (looked up on PATH) with the rest as its
    /// arguments; standard output and error go to `output` (appended), or
    /// nowhere; standard input is /dev/null; signals start at their defaults.
    public init(_ arguments: [String], output: URL?) throws {
        guard let program = arguments.first else { throw ProxyError(message: "no program to run") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output?.path ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE, SIGCHLD, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // Its own process group: stop() reaches whatever it starts in turn.
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let status = posix_spawnp(&child, program, &actions, &attributes, argv, environ)
        guard status == 0 else {
            throw ProxyError(message: "cannot start \(program): \(String(cString: strerror(status)))")
        }
        pid = child
        let started = child
        let thread = Thread { [exit] in
            var status: Int32 = 0
            while waitpid(started, &status, 0) < 0 && errno == EINTR {}
            // Exited: its code; killed: 128 + the signal, as a shell reports it.
            let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            exit.withLock { $0 = code }
        }
        thread.name = "reel-reap-\(started)"
        thread.start()
    }

    public var isRunning: Bool { exit.withLock { $0 } == nil }
    public var exitStatus: Int32? { exit.withLock { $0 } }

    /// Sends a signal to the process group (the child and what it started).
    public func signal(_ signal: Int32) {
        if isRunning { kill(-pid, signal) }
    }

    /// Waits for the exit (polling, so no thread of the cooperative pool waits).
    public func waitForExit() async -> Int32 {
        while true {
            if let code = exitStatus { return code }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// SIGTERM, then SIGKILL after `grace` seconds; returns the exit status.
    @discardableResult
    public func stop(grace: Double = 5) async -> Int32 {
        signal(SIGTERM)
        let deadline = ContinuousClock.now + .milliseconds(Int(grace * 1000))
        while isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        signal(SIGKILL)
        return await waitForExit()
    }
}
