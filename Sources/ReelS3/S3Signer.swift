import ReelStore
import Crypto
import Foundation

/// AWS Signature Version 4 for S3 requests, with the payload's SHA-256 in
/// `x-amz-content-sha256`, so the server checks every byte it receives
/// against the hash we signed: for an object put, that hash is the object's
/// own name.
struct S3Signer: Sendable {
    let accessKey: String
    let secretKey: String
    let region: String

    static let emptyPayloadHash = ObjectDigest.of(Data()).hex

    /// The headers to add to a request: `x-amz-date`, `x-amz-content-sha256`
    /// and `Authorization`. `headers` are the request's other headers (all
    /// are signed, with `host`); `path` is already percent-encoded.
    func sign(
        method: String, host: String, path: String, query: [(String, String)], headers: [(String, String)],
        payloadHash: String, date: Date = Date()
    ) -> [(String, String)] {
        let (amzDate, day) = Self.timestamps(date)
        var all = headers.map { ($0.0.lowercased(), $0.1.trimmingCharacters(in: .whitespaces)) }
        all.append(("host", host))
        all.append(("x-amz-content-sha256", payloadHash))
        all.append(("x-amz-date", amzDate))
        all.sort { $0.0 < $1.0 }
        let signedHeaders = all.map(\.0).joined(separator: ";")
        let encoded: [(String, String)] = query.map { (Self.encode($0.0, slash: true), Self.encode($0.1, slash: true)) }
        let sorted = encoded.sorted { (a: (String, String), b: (String, String)) -> Bool in a.0 == b.0 ? a.1 < b.1 : a.0 < b.0 }
        let canonicalQuery = sorted.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let canonicalRequest = [
            method, path, canonicalQuery,
            all.map { "\($0.0):\($0.1)\n" }.joined(),
            signedHeaders, payloadHash,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/s3/aws4_request"
        let toSign = ["AWS4-HMAC-SHA256", amzDate, scope, ObjectDigest.of(Data(canonicalRequest.utf8)).hex].joined(separator: "\n")
        let signature = hmac(signingKey(day: day), toSign).map { String(format: "%02x", $0) }.joined()
        return [
            ("x-amz-date", amzDate),
            ("x-amz-content-sha256", payloadHash),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=\(accessKey)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"),
        ]
    }

    private func signingKey(day: String) -> [UInt8] {
        let date = hmac(Array("AWS4\(secretKey)".utf8), day)
        return hmac(hmac(hmac(date, region), "s3"), "aws4_request")
    }

    private func hmac(_ key: [UInt8], _ message: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: key)))
    }

    /// `YYYYMMDD'T'HHMMSS'Z'` and `YYYYMMDD` in UTC.
    static func timestamps(_ date: Date) -> (String, String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let day = String(format: "%04d%02d%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
        return (day + String(format: "T%02d%02d%02dZ", c.hour ?? 0, c.minute ?? 0, c.second ?? 0), day)
    }

    /// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters
    /// stay, everything else is %XX; `/` stays in paths, not in query values.
    static func encode(_ text: String, slash: Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(byte))
            case UInt8(ascii: "/") where !slash:
                out.append("/")
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
