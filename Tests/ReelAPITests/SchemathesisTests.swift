import Foundation
import ReelCatalog
import ReelPostgres
import ReelTesting
import Testing

extension ExclusiveSuites {
    /// schemathesis (PyPI, scripts/services/install-schemathesis.sh) generates requests
    /// from `openapi.yaml`, valid and invalid, and checks every answer against
    /// it: no server error, every status and header documented, the body as the
    /// schema says, invalid input refused and valid input accepted, 405 with
    /// Allow for undeclared methods. It runs against a live API with an admin
    /// token and real ids (a published video, an open resumable upload, a job),
    /// so the requests reach the handlers instead of stopping at 404.
    @Suite struct SchemathesisTests {
        static var venv: URL { PackagePaths.root.appendingPathComponent(".venv-schemathesis/bin/schemathesis") }

        @Test func theAPIAnswersAsOpenAPIYamlSays() async throws {
            guard FileManager.default.isExecutableFile(atPath: Self.venv.path) else {
                Issue.record("schemathesis is not installed: run scripts/services/install-schemathesis.sh (scripts/test.sh does)")
                return
            }
            try await TestDatabase.withFresh { db in
                let admin = "schemathesis-admin-token-2026"
                let api = try await APIHarness.start(db, maxUploadBytes: 2 << 30, adminToken: admin)
                // One video for reading, another for DELETE to remove.
                let video = try await api.upload(try await TestClips.path("rotated.mp4"), title: "kept")
                let doomed = try await api.upload(try await TestClips.path("rotated.mp4"), title: "deleted")
                for id in [video, doomed] {
                    try await eventually(timeout: 120, "the video to be ready") { try await api.status(id) == "ready" }
                }
                let opened = try await api.request("POST", "/v1/uploads/resumable", headers: [("Upload-Length", "100000")])
                let upload = try #require(try opened.json()["upload_id"] as? String)
                let terminated = try await api.request("POST", "/v1/uploads/tus", headers: [("Tus-Resumable", "1.0.0"), ("Upload-Length", "100000")])
                let doomedUpload = try #require(terminated.headers["reel-video-id"])
                // Two direct upload URLs, each with its upload created: one to use, one for DELETE.
                var directs: [String] = []
                for _ in 0..<2 {
                    let grant = try await api.request("POST", "/v1/uploads/direct", headers: [("Authorization", "Bearer \(admin)")])
                    let secret = try #require((try grant.json()["url"] as? String)?.split(separator: "/").last.map(String.init))
                    _ = try await api.request("POST", "/v1/uploads/direct/\(secret)", headers: [("Tus-Resumable", "1.0.0"), ("Upload-Length", "100000")])
                    directs.append(secret)
                }
                // Two webhook endpoints (one for DELETE), at a documentation address the worker refuses: nothing leaves the machine.
                var endpoints: [Int64] = []
                for _ in 0..<2 {
                    endpoints.append(try await Webhooks.add(tenant: "", url: "https://192.0.2.10/x", events: [.videoReady], description: "",
                                                        secret: Webhooks.makeSecret(), pool: db.pool).id)
                }
                let job = try #require(try await db.scalar(Int64.self, "SELECT min(id) FROM reel_jobs"))
                let folder = TestObjectStores.freshFolder("schemathesis")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                let config = folder.appendingPathComponent("schemathesis.toml")
                // The ids go to the hooks (scripts/test-helpers/schemathesis_hooks.py), which put them in
                // place of generated valid ones only, so invalid values still test the refusals.
                try """
                    # 413 is the standard answer to an Upload-Length over the API's limit (tus answers the same);
                    # 412 is tus's answer to a Tus-Resumable it does not speak.
                    [checks.negative_data_rejection]
                    expected-statuses = [400, 401, 403, 404, 405, 406, 409, 412, 413, 415, 422, 428, 429]
                    # tus answers a request without Tus-Resumable 412 with the versions it speaks.
                    [checks.missing_required_header]
                    expected-statuses = [400, 401, 403, 406, 412, 415, 422]

                    # A well-formed tus chunk can still not be taken: its checksum does not match its bytes (460),
                    # the upload is complete (410), the bytes run past its length (413) or another request is
                    # writing it (423). And tus requires 400 for an Upload-Checksum algorithm it does not support,
                    # which schemathesis's coverage phase sends as valid although the header's pattern excludes it.
                    [[operations]]
                    include-operation-id = ["tusCreate", "tusAppend"]
                    checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", 400, 401, 403, 404, 409, 410, 413, 423, 429, 460]

                    # The same at a direct upload URL, whose upload exists: a second creation is 410 (used), before
                    # its headers are read, and a chunk's checksum is checked before an unknown header could matter.
                    [[operations]]
                    include-operation-id = ["directCreate"]
                    checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", 400, 404, 409, 410, 413, 423, 429, 460]
                    checks.negative_data_rejection.expected-statuses = [400, 404, 405, 406, 409, 410, 412, 413, 415, 422, 423, 428, 429, 460]
                    # An extra header schemathesis adds as "invalid" is not invalid in HTTP: the chunk is stored (204).
                    [[operations]]
                    include-operation-id = ["directAppend"]
                    checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", 400, 404, 409, 410, 413, 423, 429, 460]
                    checks.negative_data_rejection.expected-statuses = [204, 400, 404, 405, 406, 409, 410, 412, 413, 415, 422, 423, 428, 429, 460]

                    # A URL valid by its schema is refused when it is not https to a public address (422).
                    [[operations]]
                    include-operation-id = ["addWebhook"]
                    checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 403, 422]

                    # Metadata valid by its schema can still pass 4096 bytes once base64-encoded (400).
                    [[operations]]
                    include-operation-id = ["grantDirectUpload"]
                    checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 403, 429]

                    """.write(to: config, atomically: true, encoding: .utf8)
                let hooks = PackagePaths.root.appendingPathComponent("scripts/test-helpers").path
                let run = try await ChildProcess.run([
                    "env", "PYTHONPATH=\(hooks)", "SCHEMATHESIS_HOOKS=schemathesis_hooks",
                    "REEL_CONTRACT_VIDEO=\(video)", "REEL_CONTRACT_DELETE_VIDEO=\(doomed)", "REEL_CONTRACT_UPLOAD=\(upload)",
                    "REEL_CONTRACT_DELETE_UPLOAD=\(doomedUpload)", "REEL_CONTRACT_DIRECT=\(directs[0])", "REEL_CONTRACT_DELETE_DIRECT=\(directs[1])",
                    "REEL_CONTRACT_HOOK=\(endpoints[0])", "REEL_CONTRACT_DELETE_HOOK=\(endpoints[1])",
                    "REEL_CONTRACT_JOB=\(job)",
                    Self.venv.path, "--config-file", config.path, "--no-color", "run",
                    PackagePaths.root.appendingPathComponent("openapi.yaml").path, "--url", api.base,
                    "-H", "Authorization: Bearer \(admin)", "--checks", "all", "--max-examples", "25", "--workers", "1",
                    "--seed", "2026", "--request-timeout", "30",
                ])
                #expect(run.status == 0, "schemathesis found disagreements:\n\(run.output.suffix(6000))")
                let summary = run.output.split(separator: "\n").filter { $0.contains("generated") || $0.contains("passed") || $0.contains("failure") }
                print("schemathesis: \(summary.joined(separator: " | "))")
                try await api.stop()
            }
        }
    }
}

