public import Foundation

/// Free space on the filesystem that holds a folder, for the guards that
/// stop taking bytes before a disk fills: the API's upload spool and the
/// workers' scratch folder.
public struct DiskGuard: Sendable {
    public let folder: URL
    /// Bytes that must stay free; below this, new work waits.
    public let minimumFree: Int64

    public init(folder: URL, minimumFree: Int64) {
        self.folder = folder
        self.minimumFree = minimumFree
    }

    /// Bytes available to this process on `folder`'s filesystem (statvfs), or
    /// nil when the folder cannot be examined (it does not exist yet: its
    /// parent is looked at instead, up to the root).
    public static func available(at folder: URL) -> Int64? {
        var path = folder.standardizedFileURL
        while true {
            var info = statvfs()
            if statvfs(path.path, &info) == 0 { return Int64(info.f_bavail) * Int64(info.f_frsize) }
            let parent = path.deletingLastPathComponent()
            if parent.path == path.path { return nil }
            path = parent
        }
    }

    /// Why new work must wait now, or nil when there is room.
    public func shortage() -> String? {
        guard minimumFree > 0, let free = Self.available(at: folder), free < minimumFree else { return nil }
        return "only \(free >> 20) MiB free where \(minimumFree >> 20) MiB must stay free"
    }
}
