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
    /// `sockets`: every open descriptor with the number of pumps still using
    /// its connection. A descriptor is shut down or closed only under this
    /// lock and closed only when both pumps are done, so no call ever reaches
    /// a number the process has already reused for another socket (a test's
    /// own database connection, in this same process).
    private let state = Mutex((accepting: true, sockets: [Int32: Int](), stopped: false))
    /// Signalled when the accept thread has returned: only then may the
    /// listener's number be closed (and reused), or the thread could go on
    /// accepting from whatever socket gets that number next, such as an API
    /// under test in this same process.
    private let acceptLoopEnded = DispatchSemaphore(value: 0)

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
        state.withLock { s in
            s.accepting = false
            // The pumps see the connections end, and close them.
            for fd in s.sockets.keys { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    public func resume() { state.withLock { $0.accepting = true } }

    /// Stops listening and cuts everything.
    public func stop() {
        pause()
        let alreadyStopped = state.withLock { s in
            defer { s.stopped = true }
            return s.stopped
        }
        if alreadyStopped { return }
        // Wakes a blocked accept (EINVAL), and makes any later one fail at once.
        shutdown(listener, Int32(SHUT_RDWR))
        acceptLoopEnded.wait()
        close(listener)
    }

    private func acceptLoop() {
        defer { acceptLoopEnded.signal() }
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if state.withLock({ $0.stopped }) { return }
                continue
            }
            if state.withLock({ $0.stopped }) {
                close(client)
                return
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
            state.withLock { s in
                s.sockets[client] = 2
                s.sockets[server] = 2
            }
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
        // Ends both directions; the second pump to finish closes both sockets.
        state.withLock { s in
            shutdown(source, Int32(SHUT_RDWR))
            shutdown(destination, Int32(SHUT_RDWR))
            for fd in [source, destination] {
                let users = (s.sockets[fd] ?? 1) - 1
                s.sockets[fd] = users > 0 ? users : nil
                if users <= 0 { close(fd) }
            }
        }
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
