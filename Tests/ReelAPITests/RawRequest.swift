import Foundation
import ReelCatalog
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 request written straight to a socket, so a test can stop in the
/// middle of its body: only `send` of the body's bytes go out, and the
/// connection stays open (the server waits for the rest) until `close()`.
struct RawRequest {
    let fd: Int32

    /// `head` is the request line and any headers; Host and Content-Length are added.
    init(_ base: String, _ head: String, body: Data, send: Int) throws {
        guard let url = URL(string: base), let port = url.port else { throw CatalogError("bad base URL \(base)") }
        let fd = try Self.connect(port: port)
        self.fd = fd
        var bytes = Data((head + "\r\nHost: 127.0.0.1\r\nContent-Length: \(body.count)\r\n\r\n").utf8) + body.prefix(send)
        bytes.withUnsafeMutableBytes { buffer in
            var sent = 0
            while sent < buffer.count, let start = buffer.baseAddress {
                let n = Glibc.send(fd, start + sent, buffer.count - sent, Int32(MSG_NOSIGNAL))
                // A signal (a child process of another suite exiting) can interrupt the send: go on.
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                sent += n
            }
        }
    }

    /// Drops the connection.
    func close() { Glibc.close(fd) }

    /// A TCP connection to 127.0.0.1:`port`, as a raw descriptor.
    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let error = errno
            Glibc.close(fd)
            throw CatalogError("cannot connect to 127.0.0.1:\(port): errno \(error)")
        }
        return fd
    }
}
