import Foundation

/// Bait for uploads that name other files: a real media file, watched with
/// inotify for any open or read, and a loopback port that counts the
/// connections made to it. A hostile playlist names both; after its upload
/// has been processed, ``touches()`` must say nobody opened either.
public final class ReadTrap: @unchecked Sendable {
    /// A copy of a real clip, in a folder of its own.
    public let file: String
    /// An http URL on a loopback port nobody serves (connections queue in
    /// the kernel's backlog and are counted, never answered).
    public let url: String
    private let watch: Int32
    private let listener: Int32

    public init(copying clip: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reel-trap-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        file = folder.appendingPathComponent("secret.mp4").path
        try FileManager.default.copyItem(atPath: clip, toPath: file)
        watch = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard watch >= 0, inotify_add_watch(watch, file, UInt32(IN_OPEN | IN_ACCESS)) >= 0 else {
            throw TrapError(message: "inotify: errno \(errno)")
        }
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var address = TCPProxy.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 64) == 0 else { throw TrapError(message: "cannot listen: errno \(errno)") }
        _ = fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK)
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        url = "http://127.0.0.1:\(UInt16(bigEndian: actual.sin_port))/segment0.ts"
    }

    deinit {
        close(watch)
        close(listener)
        try? FileManager.default.removeItem(atPath: (file as NSString).deletingLastPathComponent)
    }

    /// Opens or reads of ``file`` and connections to ``url`` since the last call.
    public func touches() -> (fileEvents: Int, connections: Int) {
        var events = 0
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(watch, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            events += 1
        }
        var connections = 0
        while case let client = accept(listener, nil, nil), client >= 0 {
            connections += 1
            close(client)
        }
        return (events, connections)
    }

    /// An HLS media playlist naming the trap's file and URL, as an attacker's upload would.
    public var hlsPlaylist: String {
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n"
            + "#EXTINF:10.0,\nfile://\(file)\n#EXTINF:10.0,\n\(file)\n#EXTINF:10.0,\n\(url)\n#EXT-X-ENDLIST\n"
    }

    /// An ffconcat list naming both.
    public var concatList: String { "ffconcat version 1.0\nfile '\(file)'\nfile '\(url)'\n" }

    /// A DASH MPD naming both.
    public var dashManifest: String {
        """
        <?xml version="1.0" encoding="utf-8"?>
        <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT10S" minBufferTime="PT2S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">
          <Period><AdaptationSet mimeType="video/mp4"><Representation id="0" bandwidth="100000" width="360" height="640">
            <BaseURL>\(url)</BaseURL><SegmentBase><Initialization sourceURL="file://\(file)"/></SegmentBase>
          </Representation></AdaptationSet></Period>
        </MPD>

        """
    }

    /// An SDP session description pointing at the trap's port.
    public var sdp: String {
        let port = url.split(separator: ":").last.map { String($0.prefix { $0.isNumber }) } ?? "9"
        return "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=reel\nc=IN IP4 127.0.0.1\nt=0 0\nm=video \(port) RTP/AVP 96\na=rtpmap:96 H264/90000\n"
    }

    struct TrapError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
