import Foundation
import Synchronization

/// A loopback TCP proxy in front of PostgreSQL, to show what clients do when
/// the database goes away: ``pause()`` refuses new connections and cuts the
/// open ones (as a server restart or crash does), ``resume()`` lets them in again.
public final class TCPProxy: Sendable {
    /// The port clients connect to.
    public let port: UInt16
    private let targetPort: UInt16
    private let listener: Int32
    private let state = Mutex((accepting: true, sockets: Set<Int32>(), stopped: false))

    /// Listens on 127.0.0.1 (a free port) and forwards to 127.0.0.1:`targetPort`.
    public init(targetPort: UInt16) throws {
        self.targetPort = targetPort
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 64) == 0 else { throw ProxyError(message: "cannot listen: errno \(errno)") }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: actual.sin_port)
        let thread = Thread { [self] in self.acceptLoop() }
        thread.start()
    }

    /// Cuts every open connection and refuses new ones until ``resume()``.
    public func pause() {
        let open = state.withLock { s -> Set<Int32> in
            s.accepting = false
            defer { s.sockets.removeAll() }
            return s.sockets
        }
        for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    public func resume() { state.withLock { $0.accepting = true } }

    /// Stops listening and cuts everything.
    public func stop() {
        pause()
        state.withLock { $0.stopped = true }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if state.withLock({ $0.stopped }) { return }
                continue
            }
            guard state.withLock({ $0.accepting }) else {
                close(client)
                continue
            }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: targetPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else {
                close(client)
                close(server)
                continue
            }
            state.withLock { $0.sockets.formUnion([client, server]) }
            Thread { [self] in self.pump(from: client, to: server) }.start()
            Thread { [self] in self.pump(from: server, to: client) }.start()
        }
    }

    private func pump(from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            var sent = 0
            while sent < n {
                let m = buffer.withUnsafeBytes { send(destination, $0.baseAddress?.advanced(by: sent), n - sent, Int32(MSG_NOSIGNAL)) }
                if m <= 0 { break }
                sent += m
            }
            if sent < n { break }
        }
        shutdown(source, Int32(SHUT_RDWR))
        shutdown(destination, Int32(SHUT_RDWR))
        // Each direction closes the socket it reads from; the other pump closes the other.
        state.withLock { _ = $0.sockets.remove(source) }
        close(source)
    }

    static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}

public struct ProxyError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
