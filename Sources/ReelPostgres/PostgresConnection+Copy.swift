import CLibPQ

extension PostgresConnection {
    /// Bulk-loads rows with `COPY … FROM STDIN` (text format), the fastest way
    /// into a table: one statement, rows streamed in 64 KiB chunks.
    ///
    /// `copy` is the statement, e.g. `COPY t (a, b) FROM STDIN`; each row gives
    /// the columns in that order, nil for NULL. Returns the number of rows copied.
    @discardableResult
    public func copyFrom(_ copy: String, rows: some Sequence<[(any PostgresEncodable)?]>) throws(PostgresError) -> Int {
        let conn = try live()
        defer { refreshStatus() }
        let start = try check(PQexec(conn, copy), sql: copy)
        guard PQresultStatus(start.handle) == PGRES_COPY_IN else {
            throw PostgresError(code: .protocolViolation, message: "statement is not a COPY FROM STDIN", query: copy)
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(70_000)
        func flush() throws(PostgresError) {
            guard !buffer.isEmpty else { return }
            let rc = buffer.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { PQputCopyData(conn, $0.baseAddress, Int32($0.count)) }
            }
            guard rc == 1 else { throw connectionError(sql: copy) }
            buffer.removeAll(keepingCapacity: true)
        }
        for row in rows {
            for (i, value) in row.enumerated() {
                if i > 0 { buffer.append(UInt8(ascii: "\t")) }
                guard let value else {
                    buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
                    continue
                }
                CopyText.appendEscaped(value.postgresText, to: &buffer)
            }
            buffer.append(UInt8(ascii: "\n"))
            if buffer.count >= 64 * 1024 { try flush() }
        }
        try flush()
        guard PQputCopyEnd(conn, nil) == 1 else { throw connectionError(sql: copy) }
        var copied = 0
        var failure: PostgresError?
        while let result = PQgetResult(conn) {
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                copied = Int(String(cString: PQcmdTuples(result))) ?? 0
                PQclear(result)
            } else if failure == nil {
                failure = serverError(result, sql: copy)
                PQclear(result)
            } else {
                PQclear(result)
            }
        }
        if let failure { throw failure }
        return copied
    }
}

enum CopyText {
    /// COPY's text format escapes backslash, tab, newline and carriage return.
    static func appendEscaped(_ text: String, to buffer: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.append(contentsOf: [92, 92])
            case UInt8(ascii: "\t"): buffer.append(contentsOf: [92, UInt8(ascii: "t")])
            case UInt8(ascii: "\n"): buffer.append(contentsOf: [92, UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): buffer.append(contentsOf: [92, UInt8(ascii: "r")])
            default: buffer.append(byte)
            }
        }
    }
}
