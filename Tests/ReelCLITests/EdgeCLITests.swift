import Foundation
import ReelPostgres
import ReelTesting
import Testing

/// `reel edge-config` and `reel edges`, run as the binary.
@Suite struct EdgeCLITests {
    @Test func edgeConfigWritesAVCLVarnishCompilesAndRefusesBadInput() async throws {
        let written = try await ReelProcess.run(
            ["edge-config", "--edge", "eu-1", "--origin", "http://127.0.0.1:8080", "--token", "a-token-of-twenty-chars"], databaseURL: "")
        #expect(written.status == 0)
        #expect(written.output.hasPrefix("vcl 4.1;"))
        #expect(written.output.contains("X-Cache-Status") && written.output.contains("a-token-of-twenty-chars"))
        // Varnish itself compiles it (varnishd -C).
        let file = TestObjectStores.freshFolder("vcl").appendingPathExtension("vcl")
        try written.output.write(to: file, atomically: true, encoding: .utf8)
        let compiled = try await ChildProcess.tool(
            "varnishd", ["-C", "-f", file.path, "-n", TestObjectStores.freshFolder("vcl-compile").path])
        #expect(compiled.status == 0, "\(compiled.output.suffix(2000))")

        let badToken = try await ReelProcess.run(
            ["edge-config", "--edge", "eu-1", "--origin", "http://127.0.0.1:8080", "--token", "short"], databaseURL: "")
        #expect(badToken.status != 0 && badToken.output.contains("at least 16"))
        let badName = try await ReelProcess.run(
            ["edge-config", "--edge", "eu 1\"; }", "--origin", "http://127.0.0.1:8080", "--token", "a-token-of-twenty-chars"], databaseURL: "")
        #expect(badName.status != 0 && badName.output.contains("edge name"))
        let badOrigin = try await ReelProcess.run(
            ["edge-config", "--edge", "eu-1", "--origin", "https://cdn.example", "--token", "a-token-of-twenty-chars"], databaseURL: "")
        #expect(badOrigin.status != 0 && badOrigin.output.contains("http://"))
    }

    @Test func edgesAreAddedListedAndRemoved() async throws {
        try await TestDatabase.withFresh { db in
            let added = try await ReelProcess.run(
                ["edges", "add", "eu-1", "--region", "eu", "--url", "http://127.0.0.1:6081", "--workdir", "/var/lib/reel/eu-1"],
                databaseURL: db.url)
            #expect(added.status == 0 && added.output.contains("edge eu-1"))
            // With the first edge come its periodic jobs.
            let periodic = try await db.pool.query("SELECT name, kind FROM reel_periodic_jobs WHERE kind LIKE 'edge.%' ORDER BY name")
                .map { $0.string(1) ?? "" }
            #expect(periodic == ["edge.popular", "edge.stats"])
            let listed = try await ReelProcess.run(["edges", "--json"], databaseURL: db.url)
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [[String: Any]])
            #expect(rows.count == 1 && rows.first?["edge"] as? String == "eu-1" && rows.first?["region"] as? String == "eu")
            let table = try await ReelProcess.run(["edges"], databaseURL: db.url)
            #expect(table.output.contains("HIT_RATIO") && table.output.contains("ORIGIN_OFFLOAD") && table.output.contains("eu-1"))
            #expect(try await ReelProcess.run(["edges", "remove", "eu-1"], databaseURL: db.url).status == 0)
            let missing = try await ReelProcess.run(["edges", "remove", "eu-1"], databaseURL: db.url)
            #expect(missing.status != 0 && missing.output.contains("no edge named 'eu-1'"))
            let badURL = try await ReelProcess.run(["edges", "add", "x", "--region", "eu", "--url", "nowhere"], databaseURL: db.url)
            #expect(badURL.status != 0 && badURL.output.contains("--url"))
        }
    }
}
