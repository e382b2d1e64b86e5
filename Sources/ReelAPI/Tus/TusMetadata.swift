import Foundation

/// A tus `Upload-Metadata` header: comma-separated pairs of a key and an
/// optional base64 value. Reel reads the title, the file name and the content
/// type from it and keeps the header as sent, so HEAD can return it.
struct TusMetadata: Sendable, Equatable {
    /// The header as the client sent it ("" when absent).
    let raw: String
    /// Every key, with its value decoded as UTF-8 ("" for a key without one).
    let values: [String: String]

    /// Longest header accepted: metadata is a few names, not a payload.
    static let maxBytes = 4096
    /// Longest title or file name kept.
    static let maxTitle = 500

    /// Parses `header`, refusing what a client must fix: a malformed pair, a
    /// duplicate key, a value that is not base64 or not UTF-8, or a header over
    /// ``maxBytes``. The message says which pair and what to send instead.
    static func parse(_ header: String?) throws(TusMetadataError) -> TusMetadata {
        let raw = header ?? ""
        guard raw.utf8.count <= maxBytes else {
            throw TusMetadataError("Upload-Metadata is \(raw.utf8.count) bytes; at most \(maxBytes) are accepted (send names, not content)")
        }
        var values: [String: String] = [:]
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return TusMetadata(raw: "", values: [:]) }
        for (index, pair) in trimmed.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: false)
            guard let key = parts.first.map(String.init), !key.isEmpty, parts.count <= 2,
                  key.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 32 && $0 != "," }) else {
                throw TusMetadataError("Upload-Metadata pair \(index + 1) is not 'key base64value': keys are ASCII without spaces or commas")
            }
            guard values[key] == nil else { throw TusMetadataError("Upload-Metadata names '\(key)' twice; send each key once") }
            guard parts.count == 2 else {
                values[key] = ""
                continue
            }
            guard let data = Data(base64Encoded: String(parts[1])) else {
                throw TusMetadataError("the Upload-Metadata value of '\(key)' is not base64; encode each value with base64")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw TusMetadataError("the Upload-Metadata value of '\(key)' is not UTF-8 text once decoded")
            }
            values[key] = text
        }
        return TusMetadata(raw: raw, values: values)
    }

    /// Metadata from `values`, each value base64-encoded (keys sorted, so the
    /// header is the same every time).
    static func encoding(_ values: [String: String]) throws(TusMetadataError) -> TusMetadata {
        for key in values.keys where key.isEmpty || !key.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 32 && $0 != "," }) {
            throw TusMetadataError("metadata key '\(key)' is not ASCII without spaces or commas")
        }
        let raw = values.keys.sorted().map { "\($0) \(Data(values[$0, default: ""].utf8).base64EncodedString())" }.joined(separator: ",")
        guard raw.utf8.count <= maxBytes else {
            throw TusMetadataError("the metadata is \(raw.utf8.count) bytes once encoded; at most \(maxBytes) are accepted")
        }
        return TusMetadata(raw: raw, values: values)
    }

    /// These values with `chosen`'s put over them: what the backend that
    /// made a direct upload set wins over what the phone sends.
    func overridden(by chosen: TusMetadata) throws(TusMetadataError) -> TusMetadata {
        guard !chosen.values.isEmpty else { return self }
        return try Self.encoding(values.merging(chosen.values) { _, backend in backend })
    }

    /// The video's title: `title`, else the file's name (`filename`, or Uppy's `name`).
    var title: String {
        let chosen = [values["title"], values["filename"], values["name"]].compactMap { $0 }.first { !$0.isEmpty } ?? ""
        return String(chosen.prefix(Self.maxTitle))
    }

    /// The file's type as the client declared it (`filetype` as tus-js-client
    /// and Uppy send it, or `content_type`, `contentType`, `type`); nil when none.
    var contentType: String? {
        [values["content_type"], values["contentType"], values["filetype"], values["type"]].compactMap { $0 }.first { !$0.isEmpty }
    }
}

/// Why an `Upload-Metadata` header was refused (a 400 with this message).
struct TusMetadataError: Error, Sendable, Equatable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
