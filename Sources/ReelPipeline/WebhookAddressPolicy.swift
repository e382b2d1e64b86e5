public import Foundation
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Where webhook deliveries may go: a tenant names the URL, so without this
/// guard Reel would POST to its own database, metadata service or admin
/// ports on a tenant's say-so (server-side request forgery). Every address a
/// URL's host resolves to must be public; loopback, private, link-local,
/// shared, reserved and multicast ranges are refused unless the operator
/// allows a network (`REEL_WEBHOOK_ALLOW_NETWORKS`). Plain `http` is taken
/// only for allowed networks; everything else must be `https`. Deliveries
/// connect to the address that was checked, so a second DNS answer cannot
/// point them elsewhere.
public struct WebhookAddressPolicy: Sendable {
    /// Networks deliveries may reach although they are not public.
    public let allowed: [IPNetwork]

    public init(allowed: [IPNetwork] = []) { self.allowed = allowed }

    /// Parses a comma-separated list of CIDRs (`127.0.0.0/8,::1/128`); throws on a mistake.
    public init(list: String) throws(WebhookAddressError) {
        var networks: [IPNetwork] = []
        for item in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            guard let network = IPNetwork(item) else {
                throw WebhookAddressError("'\(item)' is not a network: write an address with a prefix length, e.g. 127.0.0.0/8 or ::1/128")
            }
            networks.append(network)
        }
        allowed = networks
    }

    /// The policy `REEL_WEBHOOK_ALLOW_NETWORKS` sets (none allowed when unset).
    public static func fromEnvironment() throws(WebhookAddressError) -> WebhookAddressPolicy {
        try WebhookAddressPolicy(list: ProcessInfo.processInfo.environment["REEL_WEBHOOK_ALLOW_NETWORKS"] ?? "")
    }

    /// A URL that passed: where to connect.
    public struct Target: Sendable, Hashable {
        public let url: URL
        public let host: String
        /// The checked address deliveries connect to.
        public let address: String
    }

    /// Checks `text` as a webhook URL and resolves its host (off the cooperative pool).
    public func vet(_ text: String) async throws(WebhookAddressError) -> Target {
        guard text.utf8.count <= 2048, let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty else {
            throw WebhookAddressError("'\(text.prefix(200))' is not a web address: write https://host/path")
        }
        guard url.user == nil, url.password == nil else {
            throw WebhookAddressError("a webhook URL may not carry a user name or password; verify deliveries by their signature")
        }
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        let addresses: [IPAddress]
        if let literal = IPAddress(bare) {
            addresses = [literal]
        } else {
            do {
                addresses = try await NIOThreadPool.singleton.runIfActive { Self.resolve(bare) }
            } catch {
                throw WebhookAddressError("the webhook host could not be looked up now; try again")
            }
        }
        guard let first = addresses.first else {
            throw WebhookAddressError("the webhook host '\(bare.prefix(200))' does not resolve to any address: check the name")
        }
        let inAllowed = addresses.allSatisfy { address in allowed.contains { $0.contains(address) } }
        let refused = addresses.first { address in !address.isPublic && !allowed.contains { $0.contains(address) } }
        if !inAllowed, let refused {
            throw WebhookAddressError("the webhook host '\(bare.prefix(200))' resolves to a \(refused.kind) address; deliveries reach only public "
                + "addresses (an operator can allow a network with REEL_WEBHOOK_ALLOW_NETWORKS)")
        }
        if scheme == "http", !inAllowed {
            throw WebhookAddressError("webhook URLs must use https (plain http only reaches networks an operator allowed)")
        }
        return Target(url: url, host: bare, address: first.description)
    }

    /// Every address `host` resolves to (a blocking getaddrinfo: call it on a thread pool).
    static func resolve(_ host: String) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let head = list else { return [] }
        defer { freeaddrinfo(head) }
        var found: [IPAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = head
        while let entry = cursor {
            if let sockaddr = entry.pointee.ai_addr {
                switch Int32(entry.pointee.ai_family) {
                case AF_INET:
                    sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        withUnsafeBytes(of: pointer.pointee.sin_addr) { found.append(IPAddress(bytes: Array($0))) }
                    }
                case AF_INET6:
                    sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        withUnsafeBytes(of: pointer.pointee.sin6_addr) { found.append(IPAddress(bytes: Array($0))) }
                    }
                default: break
                }
            }
            cursor = entry.pointee.ai_next
        }
        var seen = Set<IPAddress>()
        return found.filter { seen.insert($0).inserted }
    }
}

/// Why a webhook URL was refused: safe to show the tenant who sent it.
public struct WebhookAddressError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    init(bytes: [UInt8]) { self.bytes = bytes }

    public init?(_ text: String) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: v4) { Array($0) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: v6) { Array($0) }
        } else {
            return nil
        }
    }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: 64)
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let written = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) }
        guard written != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::a.b.c.d) IPv6 one.
    var embeddedV4: IPAddress? {
        guard bytes.count == 16 else { return nil }
        let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
        let nat64 = bytes[0..<12] == [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0]
        return mapped || nat64 ? IPAddress(bytes: Array(bytes[12..<16])) : nil
    }

    /// The special range this address is in, or nil when it is public.
    var special: String? {
        if let v4 = embeddedV4 { return v4.special }
        return Self.specialRanges.first { $0.network.contains(self) }?.kind
    }

    var isPublic: Bool { special == nil }
    var kind: String { special ?? "public" }

    /// RFC 6890's special-purpose ranges (and multicast): never a webhook receiver on the internet.
    static let specialRanges: [(network: IPNetwork, kind: String)] = [
        ("0.0.0.0/8", "unspecified"), ("10.0.0.0/8", "private"), ("100.64.0.0/10", "shared (carrier-grade NAT)"),
        ("127.0.0.0/8", "loopback"), ("169.254.0.0/16", "link-local"), ("172.16.0.0/12", "private"), ("192.0.0.0/24", "reserved"),
        ("192.0.2.0/24", "documentation"), ("192.168.0.0/16", "private"), ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"), ("203.0.113.0/24", "documentation"), ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"), ("::/128", "unspecified"), ("::1/128", "loopback"), ("100::/64", "discard"),
        ("2001:db8::/32", "documentation"), ("fc00::/7", "private (unique local)"), ("fe80::/10", "link-local"), ("ff00::/8", "multicast"),
    ].compactMap { text, kind in IPNetwork(text).map { ($0, kind) } }
}

/// An address and a prefix length: `10.0.0.0/8`, `::1/128`.
public struct IPNetwork: Sendable, Hashable {
    public let address: IPAddress
    public let prefix: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard parts.count == 2, let address = IPAddress(String(parts[0])), let prefix = Int(parts[1]),
              (0...(address.bytes.count * 8)).contains(prefix) else { return nil }
        self.address = address
        self.prefix = prefix
    }

    public func contains(_ other: IPAddress) -> Bool {
        guard other.bytes.count == address.bytes.count else {
            return other.embeddedV4.map(contains) ?? false
        }
        var left = prefix
        for (a, b) in zip(address.bytes, other.bytes) where left > 0 {
            let bits = min(8, left)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            if a & mask != b & mask { return false }
            left -= bits
        }
        return true
    }
}
