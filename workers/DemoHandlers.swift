import Foundation
import Logging
public import ReelQueue
import ReelPipeline

/// Demonstration handlers, used by `scripts/demo.sh`, the tests and the
/// benchmarks until the media workers arrive. Each shows one thing a real
/// handler does: finish, take time, fail and retry, fail for good, snooze,
/// take its whole process down.
public enum DemoHandlers {
    public static func register(into handlers: inout JobHandlers) {
        handlers.register(ReelJobs.noop) { _, _ in .completed }

        // {"ms": 250}: sleeps, and stops early when cancelled.
        handlers.register(ReelJobs.sleep) { args, context in
            try await Task.sleep(for: .milliseconds(args.ms ?? 100))
            return .completed
        }

        // {"times": 2}: fails its first two attempts, then completes.
        // {"permanent": true}: fails for good at once (like a corrupt video).
        handlers.register(ReelJobs.fail) { args, context in
            if args.permanent == true {
                throw JobFailure.permanent(args.message ?? "input rejected: this job asked to fail permanently")
            }
            if context.job.attempt <= args.times ?? Int.max {
                throw DemoError(message: args.message ?? "simulated failure on attempt \(context.job.attempt)")
            }
            return .completed
        }

        // {"attempts": 1}: kills its own process on the first attempt(s),
        // like a segfault in a codec would.
        handlers.register(ReelJobs.crash) { args, context in
            if context.job.attempt <= args.attempts ?? Int.max {
                context.logger.warning("crash handler: exiting the process on purpose")
                exit(86)
            }
            return .completed
        }

        // {"until": 1764000000.5}: snoozes until that Unix time, then completes.
        handlers.register(ReelJobs.snooze) { args, context in
            let wait = (args.until ?? 0) - Date().timeIntervalSince1970
            return wait > 0 ? .snooze(seconds: wait) : .completed
        }
    }
}

struct DemoError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
