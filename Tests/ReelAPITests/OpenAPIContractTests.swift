import Foundation
import ReelAPI
import ReelCatalog
import ReelTesting
import Testing
import Yams

/// `openapi.yaml` describes the API as it is: the same operations, and every
/// answer to real requests (successes and errors) has a documented status,
/// a documented content type and the documented required JSON fields.
@Suite struct OpenAPIContractTests {
    struct Spec {
        let root: [String: Any]

        init() throws {
            let text = try String(contentsOf: PackagePaths.root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
            root = (try Yams.load(yaml: text) as? [String: Any]) ?? [:]
        }

        var operations: [String] {
            let paths = root["paths"] as? [String: Any] ?? [:]
            return paths.flatMap { path, item in
                ((item as? [String: Any]) ?? [:]).keys.filter { ["get", "head", "post", "put", "patch", "delete", "options"].contains($0) }
                    .map { "\($0.uppercased()) \(path)" }
            }.sorted()
        }

        /// Follows `$ref: "#/components/…"`.
        func resolve(_ node: Any?) -> [String: Any] {
            guard let dict = node as? [String: Any] else { return [:] }
            guard let ref = dict["$ref"] as? String, ref.hasPrefix("#/") else { return dict }
            var current: Any? = root
            for part in ref.dropFirst(2).split(separator: "/") { current = (current as? [String: Any])?[String(part)] }
            return resolve(current)
        }

        func responses(_ operation: String) -> [String: Any] {
            let parts = operation.split(separator: " ", maxSplits: 1).map(String.init)
            let item = (root["paths"] as? [String: Any])?[parts[1]] as? [String: Any]
            return (item?[parts[0].lowercased()] as? [String: Any])?["responses"] as? [String: Any] ?? [:]
        }

        /// Why `reply` does not match the operation's documented responses, or nil when it does.
        func mismatch(_ operation: String, _ reply: APIHarness.Reply) -> String? {
            guard let documented = responses(operation)["\(reply.status)"] else {
                return "\(operation): status \(reply.status) is not documented (\(responses(operation).keys.sorted()))"
            }
            let response = resolve(documented)
            guard let content = response["content"] as? [String: Any] else { return nil }
            let type = (reply.headers["content-type"] ?? "").split(separator: ";").first.map(String.init) ?? ""
            guard let media = content.first(where: { key, _ in key == type || (key.hasSuffix("/*") && type.hasPrefix(key.dropLast())) }) else {
                return "\(operation) \(reply.status): content type \(type) is not one of \(content.keys.sorted())"
            }
            guard type == "application/json" else { return nil }
            let schema = resolve((media.value as? [String: Any])?["schema"])
            guard let body = try? JSONSerialization.jsonObject(with: reply.body) else { return "\(operation): the body is not JSON" }
            return missing(schema, body, at: operation)
        }

        /// Required properties absent anywhere in `value`, checked recursively.
        func missing(_ schema: [String: Any], _ value: Any, at path: String) -> String? {
            if let object = value as? [String: Any] {
                for name in schema["required"] as? [String] ?? [] where object[name] == nil { return "\(path): no \(name)" }
                for (name, sub) in schema["properties"] as? [String: Any] ?? [:] {
                    if let inner = object[name], !(inner is NSNull), let problem = missing(resolve(sub), inner, at: "\(path).\(name)") {
                        return problem
                    }
                }
            } else if let array = value as? [Any], let items = schema["items"] {
                for element in array { if let problem = missing(resolve(items), element, at: "\(path)[]") { return problem } }
            }
            return nil
        }
    }

    @Test func theSpecListsExactlyTheRoutesTheAPIServes() throws {
        #expect(try Spec().operations == ReelAPI.routes.sorted())
    }

    @Test func everyAnswerIsDocumented() async throws {
        let spec = try Spec()
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, maxUploadBytes: 64 << 20, adminToken: "contract")
            let admin = [("Authorization", "Bearer contract")]
            let id = try await api.upload(try await TestClips.path("vertical.mp4"))
            try await eventually(timeout: 180, "the video to be ready") { try await api.status(id) == "ready" }
            let video = "/v1/videos/\(id)"
            let opened = try await api.request("POST", "/v1/uploads/resumable", headers: [("Content-Type", "video/mp4"), ("Upload-Length", "4")])
            let resumable = try #require(try opened.json()["url"] as? String)
            #expect(spec.mismatch("POST /v1/uploads/resumable", opened) == nil)
            let tus = ("Tus-Resumable", "1.0.0"), chunk = ("Content-Type", "application/offset+octet-stream")
            let created = try await api.request("POST", "/v1/uploads/tus", headers: [tus, ("Upload-Length", "4")])
            let tusUpload = try #require(created.headers["location"])
            #expect(spec.mismatch("POST /v1/uploads/tus", created) == nil)
            let json = ("Content-Type", "application/json")
            let granted = try await api.request("POST", "/v1/uploads/direct", headers: admin + [json], body: Data(#"{"max_bytes": 4}"#.utf8))
            #expect(spec.mismatch("POST /v1/uploads/direct", granted) == nil)
            let direct = String(try #require(try granted.json()["url"] as? String).dropFirst(api.base.count))
            // A public address literal (nothing is sent to it: no worker serves the webhooks queue here), and a documentation one.
            let hookBody = Data(#"{"url": "https://93.184.216.34/hook", "events": ["video.ready"]}"#.utf8)
            let refusedHook = Data(#"{"url": "https://192.0.2.1/hook", "events": ["video.ready"]}"#.utf8)
            // Written past the API's address check (as an operator's SQL could): the worker refuses to send to it, no network needed.
            let hook = try await Webhooks.add(tenant: "", url: "https://192.0.2.10/x", events: [.videoReady], description: "",
                                              secret: Webhooks.makeSecret(), pool: db.pool).id
            let requests: [(String, String, String, [(String, String)], Data?)] = [
                ("GET /healthz", "GET", "/healthz", [], nil),
                ("GET /readyz", "GET", "/readyz", [], nil),
                ("GET /metrics", "GET", "/metrics", [], nil),
                ("POST /v1/uploads", "POST", "/v1/uploads", [("Content-Type", "video/mp4")],
                 try Data(contentsOf: URL(fileURLWithPath: try await TestClips.path("vertical.mp4")))),
                ("POST /v1/uploads", "POST", "/v1/uploads", [("Content-Type", "text/plain")], Data("x".utf8)),
                ("POST /v1/uploads", "POST", "/v1/uploads", [("Content-Type", "video/mp4")], Data()),
                ("POST /v1/uploads", "POST", "/v1/uploads", [("Content-Type", "video/mp4"), ("Authorization", "Bearer reel_unknown")], Data("x".utf8)),
                ("POST /v1/uploads", "POST", "/v1/uploads", [("Content-Type", "video/mp4"), ("Authorization", "Bearer contract")], Data()),
                ("POST /v1/uploads/resumable", "POST", "/v1/uploads/resumable", [("Content-Type", "video/mp4")], nil),
                ("HEAD /v1/uploads/resumable/{upload}", "HEAD", resumable, [], nil),
                ("HEAD /v1/uploads/resumable/{upload}", "HEAD", "/v1/uploads/resumable/AAAAAAAAAAAA", [], nil),
                ("GET /v1/uploads/resumable/{upload}", "GET", resumable, [], nil),
                ("PATCH /v1/uploads/resumable/{upload}", "PATCH", resumable, [("Upload-Offset", "0")], Data([1, 2])),
                ("PATCH /v1/uploads/resumable/{upload}", "PATCH", resumable, [("Upload-Offset", "0")], Data([1, 2])),
                ("PATCH /v1/uploads/resumable/{upload}", "PATCH", resumable, [("Upload-Offset", "2")], Data(count: 10)),
                ("PATCH /v1/uploads/resumable/{upload}", "PATCH", resumable, [], Data([1])),
                ("OPTIONS /v1/uploads/tus", "OPTIONS", "/v1/uploads/tus", [], nil),
                ("OPTIONS /v1/uploads/tus/{upload}", "OPTIONS", tusUpload, [], nil),
                ("POST /v1/uploads/tus", "POST", "/v1/uploads/tus", [tus, chunk, ("Upload-Length", "4")], Data([1, 2])),
                ("POST /v1/uploads/tus", "POST", "/v1/uploads/tus", [("Upload-Length", "4")], nil),
                ("POST /v1/uploads/tus", "POST", "/v1/uploads/tus", [tus, ("Upload-Defer-Length", "2")], nil),
                ("POST /v1/uploads/tus", "POST", "/v1/uploads/tus", [tus, ("Upload-Length", "\(1 << 40)")], nil),
                ("HEAD /v1/uploads/tus/{upload}", "HEAD", tusUpload, [tus], nil),
                ("HEAD /v1/uploads/tus/{upload}", "HEAD", "/v1/uploads/tus/AAAAAAAAAAAA", [tus], nil),
                ("PATCH /v1/uploads/tus/{upload}", "PATCH", tusUpload, [tus, chunk, ("Upload-Offset", "0")], Data([1, 2])),
                ("PATCH /v1/uploads/tus/{upload}", "PATCH", tusUpload, [tus, chunk, ("Upload-Offset", "0")], Data([1, 2])),
                ("PATCH /v1/uploads/tus/{upload}", "PATCH", tusUpload, [tus, chunk, ("Upload-Offset", "2"), ("Upload-Checksum", "sha1 AAAAAAAAAAAAAAAAAAAAAAAAAAA=")], Data([3, 4])),
                ("PATCH /v1/uploads/tus/{upload}", "PATCH", tusUpload, [tus, chunk, ("Upload-Offset", "2")], Data(count: 10)),
                ("PATCH /v1/uploads/tus/{upload}", "PATCH", tusUpload, [tus, ("Upload-Offset", "2")], Data([3])),
                ("PATCH /v1/uploads/tus/{upload}", "PATCH", tusUpload, [chunk, ("Upload-Offset", "2")], Data([3])),
                ("DELETE /v1/uploads/tus/{upload}", "DELETE", tusUpload, [tus], nil),
                ("DELETE /v1/uploads/tus/{upload}", "DELETE", tusUpload, [tus], nil),
                ("POST /v1/uploads/direct", "POST", "/v1/uploads/direct", admin + [json], Data(#"{"expires_in": 1}"#.utf8)),
                ("POST /v1/uploads/direct", "POST", "/v1/uploads/direct", [json, ("Authorization", "Bearer reel_unknown")], nil),
                ("OPTIONS /v1/uploads/direct/{secret}", "OPTIONS", direct, [], nil),
                ("OPTIONS /v1/uploads/direct/{secret}", "OPTIONS", "/v1/uploads/direct/du_unknown", [], nil),
                ("HEAD /v1/uploads/direct/{secret}", "HEAD", direct, [tus], nil),
                ("POST /v1/uploads/direct/{secret}", "POST", direct, [tus, ("Upload-Length", "5")], nil),
                ("POST /v1/uploads/direct/{secret}", "POST", direct, [tus, ("Upload-Length", "4")], nil),
                ("POST /v1/uploads/direct/{secret}", "POST", direct, [tus, ("Upload-Length", "4")], nil),
                ("HEAD /v1/uploads/direct/{secret}", "HEAD", direct, [tus], nil),
                ("PATCH /v1/uploads/direct/{secret}", "PATCH", direct, [tus, chunk, ("Upload-Offset", "0")], Data([1, 2])),
                ("PATCH /v1/uploads/direct/{secret}", "PATCH", direct, [tus, chunk, ("Upload-Offset", "0")], Data([1, 2])),
                ("DELETE /v1/uploads/direct/{secret}", "DELETE", direct, [tus], nil),
                ("DELETE /v1/uploads/direct/{secret}", "DELETE", direct, [tus], nil),
                ("POST /v1/webhooks", "POST", "/v1/webhooks", admin + [json], hookBody),
                ("POST /v1/webhooks", "POST", "/v1/webhooks", admin + [json], Data(#"{"url": "https://x.example/", "events": ["nope"]}"#.utf8)),
                ("POST /v1/webhooks", "POST", "/v1/webhooks", admin + [json], refusedHook),
                ("POST /v1/webhooks", "POST", "/v1/webhooks", [json], hookBody),
                ("GET /v1/webhooks", "GET", "/v1/webhooks", admin, nil),
                ("GET /v1/webhooks/{hook}", "GET", "/v1/webhooks/\(hook)", admin, nil),
                ("GET /v1/webhooks/{hook}", "GET", "/v1/webhooks/999999", admin, nil),
                ("POST /v1/webhooks/{hook}/test", "POST", "/v1/webhooks/\(hook)/test", admin, nil),
                ("POST /v1/webhooks/{hook}/enable", "POST", "/v1/webhooks/\(hook)/enable", admin, nil),
                ("POST /v1/webhooks/{hook}/rotate", "POST", "/v1/webhooks/\(hook)/rotate", admin, nil),
                ("POST /v1/webhooks/{hook}/rotate", "POST", "/v1/webhooks/\(hook)/rotate?overlap_hours=1000", admin, nil),
                ("DELETE /v1/webhooks/{hook}", "DELETE", "/v1/webhooks/\(hook)", admin, nil),
                ("DELETE /v1/webhooks/{hook}", "DELETE", "/v1/webhooks/x", admin, nil),
                ("GET /v1/videos/{id}", "GET", video, [], nil),
                ("GET /v1/videos/{id}", "GET", "/v1/videos/AAAAAAAAAAAA", [], nil),
                ("GET /v1/videos/{id}", "GET", "/v1/videos/bad!id", [], nil),
                ("GET /v1/videos/{id}/master.m3u8", "GET", "\(video)/master.m3u8", [], nil),
                ("GET /v1/videos/{id}/manifest.mpd", "GET", "\(video)/manifest.mpd", [], nil),
                ("GET /v1/videos/{id}/poster.jpg", "GET", "\(video)/poster.jpg", [], nil),
                ("GET /v1/videos/{id}/player", "GET", "\(video)/player", [], nil),
                ("GET /v1/videos/{id}/authorize", "GET", "\(video)/authorize", [], nil),
                ("GET /v1/videos/{id}/authorize", "GET", "\(video)/authorize?exp=01", [], nil),
                ("GET /v1/videos/{id}/{rendition}/index.m3u8", "GET", "\(video)/360p/index.m3u8", [], nil),
                ("GET /v1/videos/{id}/{rendition}/index.m3u8", "GET", "\(video)/999p/index.m3u8", [], nil),
                ("GET /v1/videos/{id}/{rendition}/init.mp4", "GET", "\(video)/audio/init.mp4", [], nil),
                ("GET /v1/videos/{id}/{rendition}/init.mp4", "GET", "\(video)/360p/init.mp4", [("Range", "bytes=0-99")], nil),
                ("GET /v1/videos/{id}/{rendition}/{segment}.m4s", "GET", "\(video)/360p/0.m4s", [], nil),
                ("GET /v1/videos/{id}/{rendition}/{segment}.m4s", "GET", "\(video)/360p/0.m4s", [("Range", "bytes=999999999-")], nil),
                ("GET /v1/videos/{id}/{rendition}/{segment}.m4s", "GET", "\(video)/360p/99.m4s", [], nil),
                ("GET /player/{file}", "GET", "/player/video.min.js", [], nil),
                ("GET /player/{file}", "GET", "/player/secret.txt", [], nil),
                ("GET /v1/admin/queues", "GET", "/v1/admin/queues", admin, nil),
                ("GET /v1/admin/queues", "GET", "/v1/admin/queues", [], nil),
                ("GET /v1/admin/jobs", "GET", "/v1/admin/jobs?state=completed", admin, nil),
                ("GET /v1/admin/jobs", "GET", "/v1/admin/jobs?state=nonsense", admin, nil),
                ("GET /v1/admin/jobs/{job}", "GET", "/v1/admin/jobs/1", admin, nil),
                ("GET /v1/admin/jobs/{job}", "GET", "/v1/admin/jobs/999999", admin, nil),
                ("POST /v1/admin/jobs/{job}/retry", "POST", "/v1/admin/jobs/1/retry", admin, nil),
                ("POST /v1/admin/jobs/{job}/cancel", "POST", "/v1/admin/jobs/1/cancel", admin, nil),
                ("DELETE /v1/admin/videos/{id}", "DELETE", "/v1/admin/videos/AAAAAAAAAAAA", admin, nil),
                ("DELETE /v1/admin/videos/{id}", "DELETE", "/v1/admin" + video.dropFirst(3), admin, nil),
            ]
            #expect(Set(requests.map(\.0)) == Set(ReelAPI.routes), "every operation is exercised")
            for (operation, method, path, headers, body) in requests {
                let reply = try await api.request(method, path, headers: headers, body: body)
                #expect(spec.mismatch(operation, reply) == nil, "\(method) \(path): \(spec.mismatch(operation, reply) ?? "")")
            }
            try await api.stop()
        }
    }
}
