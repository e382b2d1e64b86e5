import Foundation
import ReelStore
import ReelTesting
import Testing

/// A `reel api` process SIGKILLed in the middle of an upload: nothing of the
/// upload is visible afterwards (no video row, no job, no object in any
/// region), what it had spooled is swept, and the client's retry succeeds.
@Suite struct APICrashTests {
    func spooled(_ folder: URL) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasPrefix("upload-") }.map { folder.appendingPathComponent($0) }
    }

    @Test func aCrashInTheMiddleOfAnUploadLeavesNothingAndTheRetrySucceeds() async throws {
        try await TestDatabase.withFresh { db in
            let data = TestObjectStores.freshFolder("api-crash")
            let environment = ["REEL_DATA_DIR": data.path, "REEL_REGIONS": "home=file:regions/home,away=file:regions/away"]
            let file = try Data(contentsOf: URL(fileURLWithPath: try await TestClips.path("vertical.mp4")))
            let spool = data.appendingPathComponent("spool")

            // Half the upload arrives, then the API dies.
            let first = try await APIProcess.start(db, environment)
            let request = try RawRequest(first.base, "POST /v1/uploads?title=crash HTTP/1.1\r\nContent-Type: video/mp4",
                                         body: file, send: file.count / 2)
            // (A loaded machine, every suite at once in CI, once took longer than 30 s here.)
            do {
                try await eventually(timeout: 120, "half the upload to reach the spool") {
                    spooled(spool).contains { ((try? FileManager.default.attributesOfItem(atPath: $0.path)[.size]) as? Int ?? 0) > 0 }
                }
            } catch {
                // What the API and the spool looked like, for a failure seen only under full-suite load.
                Issue.record("\(error); spool: \(spooled(spool).map(\.lastPathComponent)); API log: \(first.process.log.suffix(3000))")
                throw error
            }
            first.process.signal(SIGKILL)
            try await first.process.waitForExit()
            request.close()

            // Nothing of it is visible: no row, no job, no object in any region.
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM videos") == 0)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM reel_jobs") == 0)
            for region in ["home", "away"] {
                let store = try FileStore(root: data.appendingPathComponent("regions").appendingPathComponent(region))
                #expect(try await store.list(after: nil, limit: 10).isEmpty, "region \(region) holds an object")
            }
            // The dead process's spool file is swept by an API that starts once it has lain untouched for an hour.
            let leftovers = spooled(spool)
            #expect(leftovers.count == 1)
            for leftover in leftovers {
                try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: leftover.path)
            }

            let second = try await APIProcess.start(db, environment)
            #expect(spooled(spool).isEmpty)
            // The client's retry succeeds: one video, its source stored whole and verified.
            let reply = try await APIHarness.request(second.base, "POST", "/v1/uploads?title=crash",
                                                     headers: [("Content-Type", "video/mp4")], body: file)
            #expect(reply.status == 201, "\(reply.text)")
            let digest = ObjectDigest.of(file)
            #expect(try reply.json()["sha256"] as? String == digest.hex)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM videos") == 1)
            let home = try FileStore(root: data.appendingPathComponent("regions").appendingPathComponent("home"))
            #expect(try await home.verify(digest) == true)
            await second.process.stop()
        }
    }
}
