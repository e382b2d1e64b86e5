public import Foundation
import CLibPQ

/// The rows a statement returned.
///
/// Wraps a `PGresult`, which libpq never changes after it is made and documents
/// as safe to read from any thread, so the result may leave the connection's thread.
public final class PostgresResult: @unchecked Sendable, RandomAccessCollection {
    let handle: OpaquePointer
    let query: String
    /// Column positions by name, built once: rows read many columns by name.
    private let positions: [String: Int32]

    init(handle: OpaquePointer, query: String) {
        self.handle = handle
        self.query = query
        var positions: [String: Int32] = [:]
        // COPY results count columns but name none.
        for i in 0..<PQnfields(handle) {
            guard let cName = PQfname(handle, i) else { continue }
            let name = String(cString: cName)
            if positions[name] == nil { positions[name] = i }
        }
        self.positions = positions
    }

    deinit { PQclear(handle) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { Int(PQntuples(handle)) }
    public subscript(position: Int) -> PostgresRow { PostgresRow(result: self, index: Int32(position)) }

    /// The number of rows the statement changed (`UPDATE 3` → 3), or 0.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }

    /// The one value of a statement that returns one row of one column (a
    /// function call, a count): an error, not a default, when it returned none.
    public func single<T: PostgresDecodable>(_ type: T.Type = T.self) throws(PostgresError) -> T {
        guard let row = first else {
            throw PostgresError(code: .decoding, message: "the statement returned no row, expected one \(T.self)", query: query)
        }
        return try row.decode(T.self, 0)
    }

    /// The name of column `column`, for errors.
    func name(of column: Int) -> String {
        guard column >= 0, column < Int(PQnfields(handle)), let name = PQfname(handle, Int32(column)) else { return "#\(column)" }
        return "'\(String(cString: name))'"
    }

    /// Column names in order.
    public var columns: [String] {
        (0..<PQnfields(handle)).map { i in PQfname(handle, i).map { String(cString: $0) } ?? "" }
    }

    func column(named name: String) -> Int32? { positions[name] }

    /// The position of a named column, for reading many rows by position.
    public func columnIndex(_ name: String) -> Int? { positions[name].map(Int.init) }
}

/// One row of a ``PostgresResult``; read columns by position or by name.
public struct PostgresRow: Sendable {
    let result: PostgresResult
    let index: Int32

    public var columnCount: Int { Int(PQnfields(result.handle)) }

    /// The raw text of a column, or nil for SQL NULL.
    public subscript(column: Int) -> String? {
        guard column >= 0, column < columnCount, PQgetisnull(result.handle, index, Int32(column)) == 0 else { return nil }
        return String(cString: PQgetvalue(result.handle, index, Int32(column)))
    }

    /// The raw text of a named column, or nil for SQL NULL or no such column.
    public subscript(name: String) -> String? {
        guard let column = result.column(named: name) else { return nil }
        return self[Int(column)]
    }

    /// Fast, non-generic readers for hot loops (a worker decodes every job it
    /// claims): no existential or generic dispatch, no intermediate strings
    /// for numbers and timestamps. nil for NULL *or* unparsable text, so the
    /// caller must turn nil into an error that names the column (as `Job`
    /// does); everywhere else use `decode(_:_:)`, which does.
    public func int64(_ column: Int) -> Int64? {
        guard let p = value(column) else { return nil }
        var end: UnsafeMutablePointer<CChar>?
        let v = strtoll(p, &end, 10)
        return end.map { $0.pointee == 0 && $0 != UnsafeMutablePointer(mutating: p) } == true ? v : nil
    }

    public func int(_ column: Int) -> Int? { int64(column).map(Int.init) }

    public func string(_ column: Int) -> String? { value(column).map { String(cString: $0) } }

    public func date(_ column: Int) -> Date? {
        guard let p = value(column) else { return nil }
        return PostgresTimestamp.parse(UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: strlen(p))
    }

    public func bool(_ column: Int) -> Bool? {
        guard let p = value(column) else { return nil }
        return p.pointee == UInt8(ascii: "t") ? true : p.pointee == UInt8(ascii: "f") ? false : nil
    }

    private func value(_ column: Int) -> UnsafePointer<CChar>? {
        guard column >= 0, column < columnCount, PQgetisnull(result.handle, index, Int32(column)) == 0 else { return nil }
        return UnsafePointer(PQgetvalue(result.handle, index, Int32(column)))
    }

    /// Reads a column that must not be NULL.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ column: Int) throws(PostgresError) -> T {
        guard let value = try decode(T?.self, column) else {
            throw PostgresError(code: .decoding, message: "column \(result.name(of: column)) is NULL, expected \(T.self)", query: result.query)
        }
        return value
    }

    /// Reads a column that may be NULL.
    public func decode<T: PostgresDecodable>(_ type: T?.Type = T?.self, _ column: Int) throws(PostgresError) -> T? {
        guard let text = self[column] else { return nil }
        guard let value = T(postgresText: text) else {
            throw PostgresError(
                code: .decoding, message: "column \(result.name(of: column)) holds '\(text.prefix(40))', not a \(T.self)", query: result.query)
        }
        return value
    }

    /// Reads a named column that must not be NULL.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ name: String) throws(PostgresError) -> T {
        guard let column = result.column(named: name) else {
            throw PostgresError(code: .decoding, message: "no column named '\(name)'", query: result.query)
        }
        return try decode(T.self, Int(column))
    }

    /// Reads a named column that may be NULL.
    public func decode<T: PostgresDecodable>(_ type: T?.Type = T?.self, _ name: String) throws(PostgresError) -> T? {
        guard let column = result.column(named: name) else {
            throw PostgresError(code: .decoding, message: "no column named '\(name)'", query: result.query)
        }
        return try decode(T?.self, Int(column))
    }
}
