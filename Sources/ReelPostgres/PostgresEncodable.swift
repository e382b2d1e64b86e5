public import Foundation

/// A Swift value that can be sent as a statement parameter.
///
/// Parameters travel in PostgreSQL's text format and the server infers their
/// types from the statement, so casts (`$1::bigint[]`) are the way to be explicit.
public protocol PostgresEncodable: Sendable {
    /// The value in PostgreSQL's text input format.
    var postgresText: String { get }
}

extension String: PostgresEncodable { public var postgresText: String { self } }
extension Substring: PostgresEncodable { public var postgresText: String { String(self) } }
extension Int: PostgresEncodable { public var postgresText: String { String(self) } }
extension Int64: PostgresEncodable { public var postgresText: String { String(self) } }
extension Int32: PostgresEncodable { public var postgresText: String { String(self) } }
extension Int16: PostgresEncodable { public var postgresText: String { String(self) } }
extension Double: PostgresEncodable { public var postgresText: String { "\(self)" } }
extension Bool: PostgresEncodable { public var postgresText: String { self ? "t" : "f" } }
extension UUID: PostgresEncodable { public var postgresText: String { uuidString } }

extension Date: PostgresEncodable {
    /// Microseconds since the Unix epoch, which `to_timestamp` and timestamptz
    /// input both accept without locale or time-zone ambiguity.
    public var postgresText: String { PostgresTimestamp.format(self) }
}

extension Data: PostgresEncodable {
    /// bytea hex format: `\x` followed by two hex digits a byte.
    public var postgresText: String {
        var text = "\\x"
        text.reserveCapacity(2 + count * 2)
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * 2)
        for byte in self {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0xF)])
        }
        text += String(decoding: bytes, as: UTF8.self)
        return text
    }
}

extension Array: PostgresEncodable where Element: PostgresEncodable {
    /// An array literal (`{1,2,"a b"}`); every element is quoted so text with
    /// commas, braces or spaces survives.
    public var postgresText: String {
        var out = "{"
        let numeric = Element.self is any Numeric.Type
        for (i, element) in enumerated() {
            if i > 0 { out += "," }
            if numeric {
                out += element.postgresText
            } else {
                out += PostgresArrayLiteral.quote(element.postgresText)
            }
        }
        return out + "}"
    }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    /// Only meaningful inside arrays: a top-level nil is sent as SQL NULL.
    public var postgresText: String { self?.postgresText ?? "NULL" }
}

/// A JSON document sent as-is; cast with `$1::jsonb` in the statement.
public struct PostgresJSON: PostgresEncodable, Sendable, Hashable {
    public let text: String
    public init(_ text: String) { self.text = text }
    /// Encodes a value with `JSONEncoder` (sorted keys, so equal values give equal text).
    public init(encoding value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }
    public var postgresText: String { text }
}

enum PostgresArrayLiteral {
    static func quote(_ text: String) -> String {
        var out = "\""
        for ch in text.unicodeScalars {
            if ch == "\"" || ch == "\\" { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(ch)
        }
        return out + "\""
    }

    /// Splits a one-dimensional array literal into its elements (nil for NULL).
    static func parse(_ text: String) -> [String?]? {
        var scalars = text.unicodeScalars[...]
        guard scalars.first == "{", scalars.last == "}" else { return nil }
        scalars = scalars.dropFirst().dropLast()
        var out: [String?] = []
        var current = String.UnicodeScalarView()
        var quoted = false, wasQuoted = false, escaping = false, any = false
        for ch in scalars {
            any = true
            if escaping { current.append(ch); escaping = false; continue }
            if quoted {
                if ch == "\\" { escaping = true } else if ch == "\"" { quoted = false } else { current.append(ch) }
                continue
            }
            switch ch {
            case "\"": quoted = true; wasQuoted = true
            case ",":
                let s = String(current)
                out.append(!wasQuoted && s == "NULL" ? nil : s)
                current = String.UnicodeScalarView(); wasQuoted = false
            default: current.append(ch)
            }
        }
        if any {
            let s = String(current)
            out.append(!wasQuoted && s == "NULL" ? nil : s)
        }
        return out
    }
}
