import Foundation
import NIOCore
import Testing
@testable import ReelAPI

/// The tus headers a client sends, parsed without a server: Upload-Metadata and Upload-Checksum.
@Suite struct TusHeaderTests {
    static func b64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    @Test func metadataGivesTitleFileNameAndType() throws {
        let header = "filename \(Self.b64("clip.mp4")),filetype \(Self.b64("video/mp4")), is_private"
        let metadata = try TusMetadata.parse(header)
        #expect(metadata.raw == header)
        #expect(metadata.values == ["filename": "clip.mp4", "filetype": "video/mp4", "is_private": ""])
        #expect(metadata.title == "clip.mp4" && metadata.contentType == "video/mp4")
        #expect(try TusMetadata.parse("title \(Self.b64("Mon film")),name \(Self.b64("x.mov"))").title == "Mon film")
        #expect(try TusMetadata.parse(nil) == TusMetadata(raw: "", values: [:]))
        #expect(try TusMetadata.parse("title \(Self.b64(String(repeating: "a", count: 900)))").title.count == TusMetadata.maxTitle)
    }

    @Test func malformedMetadataIsRefusedWithTheReason() {
        let cases: [(String, String)] = [
            ("title !!!", "not base64"),
            ("title \(Self.b64("a")),title \(Self.b64("b"))", "twice"),
            ("a b c", "pair 1"),
            ("ok \(Self.b64("x")),,", "pair 2"),
            ("bad \(Data([0xff, 0xfe]).base64EncodedString())", "UTF-8"),
            (String(repeating: "k", count: 5000), "at most 4096"),
        ]
        for (header, reason) in cases {
            #expect(throws: TusMetadataError.self, "\(header.prefix(40))") { try TusMetadata.parse(header) }
            do { _ = try TusMetadata.parse(header) } catch { #expect(error.description.contains(reason), "\(error.description)") }
        }
    }

    @Test func checksumsNameASupportedAlgorithmAndADigestOfItsSize() throws {
        let sha1 = Data(count: 20).base64EncodedString(), sha256 = Data(count: 32).base64EncodedString()
        #expect(try TusChecksum.parse("sha1 \(sha1)").algorithm == .sha1)
        #expect(try TusChecksum.parse("SHA256 \(sha256)").expected == Data(count: 32))
        for bad in ["sha1", "md5 \(sha1)", "sha256 \(sha1)", "sha1 ***", "sha1 \(sha1) extra"] {
            #expect(throws: TusMetadataError.self, "\(bad)") { try TusChecksum.parse(bad) }
        }
        let hasher = try TusChecksum.parse("sha256 \(sha256)").hasher()
        hasher.update(.init(string: "abc"))
        #expect(hasher.digest().base64EncodedString() == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")
    }
}
