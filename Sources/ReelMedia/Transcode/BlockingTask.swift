import Foundation
import ReelManifests

/// Runs blocking work on a thread of its own and hands back its result to
/// whoever waits for it: how the transcode runs the audio beside the video
/// without touching the cooperative pool.
final class BlockingTask<Value>: @unchecked Sendable {
    // Unchecked: `body` is read and `result` written only by the task's
    // thread, before `finished` is signalled; `result` is read only after
    // waiting on it.
    private var body: (() throws(MediaError) -> Value)?
    private var result: Result<Value, MediaError>?
    private let finished = DispatchSemaphore(value: 0)

    init(name: String, _ body: @escaping () throws(MediaError) -> Value) {
        self.body = body
        let thread = Thread { [self] in
            do throws(MediaError) {
                guard let body = self.body else { throw MediaError(.unsupported, "a media task had no work") }
                result = .success(try body())
            } catch {
                result = .failure(error)
            }
            self.body = nil
            finished.signal()
        }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Blocks until the work is done; returns its value or throws its error.
    func value() throws(MediaError) -> Value {
        finished.wait()
        finished.signal()
        guard let result else { throw MediaError(.unsupported, "a media task ended without a result") }
        return try result.get()
    }
}
