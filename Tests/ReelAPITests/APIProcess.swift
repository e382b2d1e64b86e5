import Foundation
import ReelTesting

/// A `reel api` process of the binary under test (open uploads, a free port),
/// for tests that kill an instance or run several.
struct APIProcess {
    let process: ReelProcess
    let base: String

    static func start(_ db: TestDatabase, _ environment: [String: String]) async throws -> APIProcess {
        let process = try ReelProcess(["api", "--port", "0", "--open-uploads"], databaseURL: db.url, environment: environment)
        var base = ""
        try await eventually(timeout: 30, "reel api to listen") {
            guard let range = process.log.range(of: "listening on http://") else { return false }
            base = "http://" + process.log[range.upperBound...].prefix { !$0.isWhitespace }
            return true
        }
        return APIProcess(process: process, base: base)
    }
}
