import ReelStore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

extension S3Store {
    /// Sends one signed, path-style request; transport failures become `.unavailable`.
    func send(
        _ method: String, key: String?, query: [(String, String)] = [], headers: [(String, String)] = [],
        body: ByteBuffer? = nil, payloadHash: String = S3Signer.emptyPayloadHash
    ) async throws(StoreError) -> HTTPClientResponse {
        let endpoint = configuration.endpoint
        let base = endpoint.path.hasSuffix("/") ? String(endpoint.path.dropLast()) : endpoint.path
        var path = base + "/" + S3Signer.encode(configuration.bucket, slash: true)
        if let key { path += "/" + S3Signer.encode(key, slash: false) }
        var host = endpoint.host ?? "127.0.0.1"
        if let port = endpoint.port { host += ":\(port)" }
        let queryText = query.map { "\(S3Signer.encode($0.0, slash: true))=\(S3Signer.encode($0.1, slash: true))" }.joined(separator: "&")
        var request = HTTPClientRequest(url: "\(endpoint.scheme ?? "http")://\(host)\(path)\(queryText.isEmpty ? "" : "?" + queryText)")
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        for (name, value) in signer.sign(method: method, host: host, path: path, query: query, headers: headers, payloadHash: payloadHash) {
            request.headers.add(name: name, value: value)
        }
        request.headers.replaceOrAdd(name: "Host", value: host)
        if let body {
            request.headers.replaceOrAdd(name: "Content-Length", value: "\(body.readableBytes)")
            request.body = .bytes(body)
        }
        do {
            let timeout = configuration.requestTimeout.components
            return try await client.execute(request, timeout: .seconds(timeout.seconds) + .nanoseconds(timeout.attoseconds / 1_000_000_000))
        } catch {
            throw StoreError(.unavailable, "cannot reach the \(name) (\(method) \(key ?? "/")): \(error)")
        }
    }

    /// The whole response body, up to `limit` bytes.
    func collect(_ response: HTTPClientResponse, limit: Int) async throws(StoreError) -> Data {
        Data(try await collectBuffer(response, limit: limit).readableBytesView)
    }

    /// The whole response body as it arrived, up to `limit` bytes.
    func collectBuffer(_ response: HTTPClientResponse, limit: Int) async throws(StoreError) -> ByteBuffer {
        do {
            return try await response.body.collect(upTo: limit)
        } catch {
            throw StoreError(.unavailable, "the \(name) broke off a response: \(error)")
        }
    }

    /// Hands the response body to `body` chunk by chunk, as it arrives.
    func stream(_ response: HTTPClientResponse, _ body: (ByteBuffer) async throws(StoreError) -> Void) async throws(StoreError) {
        var iterator = response.body.makeAsyncIterator()
        while true {
            let chunk: ByteBuffer?
            do { chunk = try await iterator.next() } catch { throw StoreError(.unavailable, "the \(name) broke off a response: \(error)") }
            guard let chunk else { return }
            try await body(chunk)
        }
    }

    /// A failed response as an error: S3's own code and message when it sent
    /// one; server-side failures are transient, refusals are not.
    func failure(_ status: HTTPResponseStatus, _ body: Data, doing what: String) -> StoreError {
        let xml = S3XML(body)
        var detail = "HTTP \(status.code)"
        if let code = xml.fields["Code"] { detail += " \(code)" }
        if let message = xml.fields["Message"], !message.isEmpty { detail += ": \(message)" }
        if status.code >= 500 || status == .tooManyRequests {
            return StoreError(.unavailable, "the \(name) failed to \(what) (\(detail)); it will be retried")
        }
        let hint = status == .forbidden ? "; check the access key, secret key and region" : ""
        return StoreError(.rejected, "the \(name) refused to \(what) (\(detail))\(hint)")
    }
}
