public import Foundation
import ReelPostgres

/// Where a video is on its way from upload to playback.
public enum VideoStatus: String, Sendable, Codable, CaseIterable {
    case uploaded, processing, playable, ready, failed, deleted
}

/// A video as the catalog knows it: one `videos` row.
public struct Video: Sendable, Codable, Hashable {
    public var id: String
    public var owner: String
    public var title: String
    public var status: VideoStatus
    public var homeRegion: String
    public var sourceDigest: String
    public var sourceSize: Int64
    public var contentType: String
    public var durationSeconds: Double?
    public var width: Int?
    public var height: Int?
    public var posterDigest: String?
    public var spriteDigest: String?
    public var error: String?
    public var createdAt: Date
    public var playableAt: Date?
    public var readyAt: Date?
    public var failedAt: Date?
    public var deletedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, owner, title, status, error, width, height
        case homeRegion = "home_region", sourceDigest = "source_digest", sourceSize = "source_size"
        case contentType = "content_type", durationSeconds = "duration_s", posterDigest = "poster_digest"
        case spriteDigest = "sprite_digest", createdAt = "created_at", playableAt = "playable_at", readyAt = "ready_at"
        case failedAt = "failed_at", deletedAt = "deleted_at"
    }

    static let columns = """
        id, owner, title, status, home_region, source_digest, source_size, content_type, duration_s, width, height,
        poster_digest, sprite_digest, error, created_at, playable_at, ready_at, failed_at, deleted_at
        """

    init(row: PostgresRow) throws {
        id = try row.decode(String.self, "id")
        owner = try row.decode(String.self, "owner")
        title = try row.decode(String.self, "title")
        let status = try row.decode(String.self, "status")
        guard let known = VideoStatus(rawValue: status) else { throw CatalogError("column 'status' holds '\(status)', not a video status") }
        self.status = known
        homeRegion = try row.decode(String.self, "home_region")
        sourceDigest = try row.decode(String.self, "source_digest")
        sourceSize = try row.decode(Int64.self, "source_size")
        contentType = try row.decode(String.self, "content_type")
        durationSeconds = try row.decode(Double?.self, "duration_s")
        width = try row.decode(Int?.self, "width")
        height = try row.decode(Int?.self, "height")
        posterDigest = try row.decode(String?.self, "poster_digest")
        spriteDigest = try row.decode(String?.self, "sprite_digest")
        error = try row.decode(String?.self, "error")
        createdAt = try row.decode(Date.self, "created_at")
        playableAt = try row.decode(Date?.self, "playable_at")
        readyAt = try row.decode(Date?.self, "ready_at")
        failedAt = try row.decode(Date?.self, "failed_at")
        deletedAt = try row.decode(Date?.self, "deleted_at")
    }
}

/// What an upload knows when it creates the video's row.
public struct NewVideo: Sendable {
    public var id: String
    public var owner: String
    public var title: String
    public var homeRegion: String
    public var sourceDigest: String
    public var sourceSize: Int64
    public var contentType: String

    public init(id: String = VideoID.make(), owner: String = "", title: String = "", homeRegion: String, sourceDigest: String,
                sourceSize: Int64, contentType: String = "application/octet-stream") {
        self.id = id
        self.owner = owner
        self.title = title
        self.homeRegion = homeRegion
        self.sourceDigest = sourceDigest
        self.sourceSize = sourceSize
        self.contentType = contentType
    }
}

/// Video ids: 12 random base-62 characters (71 bits), short enough for URLs
/// and unguessable enough that listing them is not a way to find videos.
public enum VideoID {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<12).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }

    /// Whether `text` could be a video id (what the API checks before any lookup).
    public static func isValid(_ text: String) -> Bool {
        (8...32).contains(text.utf8.count) && text.utf8.allSatisfy { byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
        }
    }
}

/// A catalog failure with a message safe to show.
public struct CatalogError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
