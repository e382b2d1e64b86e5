import ArgumentParser
import Foundation
import NIOCore
import ReelPostgres
import ReelStore

/// `reel verify`: every stored object read back and hashed, as an object
/// store's scrubber does: the bytes under a digest must hash to it.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read back every object of every video from each region that should hold it, and check its SHA-256 (exit 1 on any problem).",
        discussion: """
            A region should hold an object when it is the video's home region (where the upload landed) or when
            object_replicas says the copy there was verified. Missing and corrupt copies are listed; the last
            line is a summary, or JSON with --json.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var storage: RegionOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Objects read at once.")
    var concurrency = 8

    struct Problem: Encodable, Sendable {
        let digest: String
        let region: String
        let problem: String
    }

    struct Summary: Encodable, Sendable {
        let objects: Int
        let copiesChecked: Int
        let missing: Int
        let corrupt: Int
        let unreadable: Int
        let problems: [Problem]

        enum CodingKeys: String, CodingKey {
            case objects, missing, corrupt, unreadable, problems
            case copiesChecked = "copies_checked"
        }
    }

    func run() async throws {
        let regions = try storage.load()
        let copies = try await database.withPool(size: 1) { pool -> [(String, String)] in
            let rows = try await pool.query(
                """
                SELECT DISTINCT o.digest, v.home_region FROM video_objects o JOIN videos v ON v.id = o.video_id
                UNION
                SELECT r.digest, r.region FROM object_replicas r JOIN video_objects o USING (digest) WHERE r.state = 'verified'
                ORDER BY 1, 2
                """)
            return rows.map { ($0.string(0) ?? "", $0.string(1) ?? "") }
        }
        var problems: [Problem] = []
        var next = copies.makeIterator()
        try await withThrowingTaskGroup(of: Problem?.self) { group in
            func start() -> Bool {
                guard let (digest, region) = next.next() else { return false }
                group.addTask { await Verify.check(digest, in: region, regions) }
                return true
            }
            for _ in 0..<max(1, concurrency) where !start() { break }
            while let result = try await group.next() {
                if let result { problems.append(result) }
                _ = start()
            }
        }
        problems.sort { ($0.digest, $0.region) < ($1.digest, $1.region) }
        let summary = Summary(
            objects: Set(copies.map(\.0)).count, copiesChecked: copies.count,
            missing: problems.filter { $0.problem.hasPrefix("missing") }.count,
            corrupt: problems.filter { $0.problem.hasPrefix("corrupt") }.count,
            unreadable: problems.filter { $0.problem.hasPrefix("unreadable") }.count, problems: problems)
        if output.json {
            try CLI.printJSON(summary)
        } else {
            for problem in problems { print("\(problem.region)\t\(problem.digest)\t\(problem.problem)") }
            print("objects=\(summary.objects) copies_checked=\(summary.copiesChecked) missing=\(summary.missing) corrupt=\(summary.corrupt) unreadable=\(summary.unreadable)")
        }
        if !problems.isEmpty { throw ExitCode(1) }
    }

    /// One copy: nil when its bytes hash to its digest.
    static func check(_ hex: String, in name: String, _ regions: Regions) async -> Problem? {
        guard let digest = ObjectDigest(hex: hex) else { return Problem(digest: hex, region: name, problem: "corrupt: not a digest") }
        guard let region = regions[name] else {
            return Problem(digest: hex, region: name, problem: "unreadable: region \(name) is not configured here (REEL_REGIONS)")
        }
        do {
            let bytes = try await region.store.get(digest, range: nil)
            let found = ObjectDigest.of(bytes.bytes.readableBytesView)
            return found == digest ? nil : Problem(digest: hex, region: name, problem: "corrupt: the bytes hash to \(found.hex)")
        } catch where error.code == .notFound {
            return Problem(digest: hex, region: name, problem: "missing")
        } catch where error.code == .digestMismatch {
            return Problem(digest: hex, region: name, problem: "corrupt: \(error.message)")
        } catch {
            return Problem(digest: hex, region: name, problem: "unreadable: \(error.message)")
        }
    }
}
