import ArgumentParser
import Foundation
import NIOCore
import ReelCatalog
import ReelPostgres
import ReelStore
import ReelWorkers

/// `reel verify`: every stored object read back and hashed, as an object
/// store's scrubber does: the bytes under a digest must hash to it.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read back every object of every video from each region that should hold it, and check its SHA-256 (exit 1 on any problem).",
        discussion: """
            A region should hold an object when it is the video's home region (where the upload landed) or when
            object_replicas says the copy there was verified (the view object_copies). Missing and corrupt copies
            are listed; the last line is a summary, or JSON with --json. With --repair each is also quarantined,
            recorded in object_findings and copied back from a region whose copy verifies; the exit status is 1
            only for what could not be repaired. The periodic objects.scrub job does the same a few copies a second.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var storage: RegionOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Objects read at once.")
    var concurrency = 8
    @Flag(help: "Quarantine each corrupt copy and copy the good bytes back from another region (missing copies too); each finding is recorded (reel report object_findings).")
    var repair = false

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
        let repaired: Int
        let problems: [Problem]

        enum CodingKeys: String, CodingKey {
            case objects, missing, corrupt, unreadable, repaired, problems
            case copiesChecked = "copies_checked"
        }
    }

    func run() async throws {
        let regions = try storage.load()
        let logger = CLI.logger("reel.verify")
        try await database.withPool(size: max(2, min(concurrency, 8))) { pool in
            let catalog = Catalog(pool: pool)
            let scrubber = ObjectScrubber(catalog: catalog, regions: regions, scratch: storage.scratch)
            let copies = try await catalog.copies()
            var problems: [Problem] = []
            var found: [(Catalog.Copy, ObjectScrubber.Health)] = []
            var next = copies.makeIterator()
            await withTaskGroup(of: (Catalog.Copy, ObjectScrubber.Health).self) { group in
                func start() -> Bool {
                    guard let copy = next.next() else { return false }
                    group.addTask { (copy, await scrubber.check(copy)) }
                    return true
                }
                for _ in 0..<max(1, concurrency) where !start() { break }
                while let (copy, health) = await group.next() {
                    switch health {
                    case .sound: break
                    case .missing: problems.append(Problem(digest: copy.digest.hex, region: copy.region, problem: "missing"))
                    case .corrupt: problems.append(Problem(digest: copy.digest.hex, region: copy.region, problem: "corrupt: its bytes no longer hash to its name"))
                    case .unreadable(let why): problems.append(Problem(digest: copy.digest.hex, region: copy.region, problem: "unreadable: \(why)"))
                    }
                    if health == .missing || health == .corrupt { found.append((copy, health)) }
                    _ = start()
                }
            }
            var repaired = 0
            if repair {
                for (copy, health) in found where try await scrubber.repair(copy, health: health, by: .verify, logger: logger) != nil {
                    repaired += 1
                }
            }
            problems.sort { ($0.digest, $0.region) < ($1.digest, $1.region) }
            let summary = Summary(
                objects: Set(copies.map(\.digest)).count, copiesChecked: copies.count,
                missing: problems.filter { $0.problem.hasPrefix("missing") }.count,
                corrupt: problems.filter { $0.problem.hasPrefix("corrupt") }.count,
                unreadable: problems.filter { $0.problem.hasPrefix("unreadable") }.count, repaired: repaired, problems: problems)
            if output.json {
                try CLI.printJSON(summary)
            } else {
                for problem in problems { print("\(problem.region)\t\(problem.digest)\t\(problem.problem)") }
                print("objects=\(summary.objects) copies_checked=\(summary.copiesChecked) missing=\(summary.missing) corrupt=\(summary.corrupt) "
                    + "unreadable=\(summary.unreadable)" + (repair ? " repaired=\(repaired)" : ""))
            }
            // With --repair, only what could not be repaired is a failure.
            let unrepaired = problems.count - repaired
            if repair ? unrepaired > 0 : !problems.isEmpty { throw ExitCode(1) }
        }
    }
}
