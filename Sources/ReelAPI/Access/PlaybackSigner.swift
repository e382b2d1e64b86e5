public import Foundation
import Crypto

/// Signed playback URLs, as Mux's signed playback IDs and CloudFront's
/// signed URLs do it: with a key set, a video's playlists, segments, poster
/// and player page answer only requests carrying `exp` (Unix seconds) and
/// `sig` = HMAC-SHA256(key, "VIDEO_ID:exp") in base64url. One signature
/// covers every URL of one video until it expires, so the API carries it
/// into the URLs of the playlists it writes and players need nothing else.
public struct PlaybackSigner: Sendable {
    private let key: SymmetricKey

    /// A key shorter than 32 bytes is refused: HMAC is only as strong as it.
    public init(key: String) throws {
        guard key.utf8.count >= 32 else {
            throw TokenError("the playback signing key (REEL_PLAYBACK_KEY) must be at least 32 characters, not \(key.utf8.count); make one with `openssl rand -hex 32`")
        }
        self.key = SymmetricKey(data: Data(key.utf8))
    }

    /// The query (`exp=…&sig=…`) that lets anyone play `video` until `expires`.
    public func query(video: String, expires: Date) -> String {
        let exp = Int64(expires.timeIntervalSince1970.rounded(.down))
        return "exp=\(exp)&sig=\(signature(video: video, exp: exp))"
    }

    func signature(video: String, exp: Int64) -> String {
        TokenSecret.base64url(Data(HMAC<SHA256>.authenticationCode(for: Data("\(video):\(exp)".utf8), using: key)))
    }

    /// Why a request for `video` with this `exp` and `sig` may not play, or nil when it may.
    func refusal(video: String, exp: String?, sig: String?, now: Date = Date()) -> String? {
        guard let exp, let sig else {
            return "playback of this video needs a signed URL: add exp and sig (make them with `reel sign VIDEO`)"
        }
        // Canonical only: one expiry has one spelling, so it names one cache entry at an edge.
        guard let expiry = Int64(exp), expiry > 0, String(expiry) == exp else {
            return "exp must be Unix seconds as a plain decimal number (no sign, no leading zeros), not '\(exp)'"
        }
        guard expiry > Int64(now.timeIntervalSince1970) else {
            return "the signed URL expired at \(Date(timeIntervalSince1970: TimeInterval(expiry)).formatted(.iso8601)); ask for a new one"
        }
        let expected = Data(signature(video: video, exp: expiry).utf8)
        // Constant-time: compare MACs of both, so timing says nothing about the signature.
        let probe = SymmetricKey(size: .bits256)
        guard HMAC<SHA256>.authenticationCode(for: Data(sig.utf8), using: probe)
            == HMAC<SHA256>.authenticationCode(for: expected, using: probe)
        else { return "the URL's signature does not match video \(video) and exp \(exp)" }
        return nil
    }

    /// A playlist the API wrote, with `query` on each URL in it: the HLS
    /// URI lines and URI="…" attributes, and the DASH SegmentTemplate's
    /// initialization and media templates.
    static func carry(_ query: String, into playlist: String) -> String {
        var lines: [String] = []
        for line in playlist.split(separator: "\n", omittingEmptySubsequences: false) {
            var text = String(line)
            if !text.isEmpty, !text.hasPrefix("#"), !text.hasPrefix("<"), !text.hasPrefix(" ") {
                text += "?" + query
            } else {
                for attribute in ["URI=\"", "initialization=\"", "media=\""] {
                    text = append(query, toValuesOf: attribute, in: text)
                }
            }
            lines.append(text)
        }
        return lines.joined(separator: "\n")
    }

    private static func append(_ query: String, toValuesOf attribute: String, in line: String) -> String {
        guard let start = line.range(of: attribute), let end = line[start.upperBound...].firstIndex(of: "\"") else { return line }
        let value = line[start.upperBound..<end]
        let escaped = line.hasPrefix("<") || line.hasPrefix(" ") ? query.replacingOccurrences(of: "&", with: "&amp;") : query
        return String(line[..<start.upperBound]) + value + "?" + escaped + String(line[end...])
    }
}
