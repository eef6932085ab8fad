import CSQLite
import Foundation

// MARK: - A thin SQLite wrapper

/// An SQLite failure: the extended result code and message.
package struct SQLiteError: Error, CustomStringConvertible {
    package let code: Int32
    package let message: String
    /// Whether the database file is damaged or not a database.
    package var isCorruption: Bool { code & 0xFF == SQLITE_CORRUPT || code & 0xFF == SQLITE_NOTADB }
    package var description: String { "\(message) (SQLite code \(code))" }

    /// Creates an error with an SQLite result code (or a code of the caller's own) and a message.
    package init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    /// An `SQLITE_CANTOPEN` error: the database file, or its folder, cannot be opened or created.
    package static func cannotOpen(_ message: String) -> SQLiteError {
        SQLiteError(code: SQLITE_CANTOPEN, message: message)
    }
}

/// `SQLITE_TRANSIENT`: SQLite copies bound values.
private var transient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }

/// One SQLite connection, closed on deinit.
package final class Connection {
    package private(set) var handle: OpaquePointer?

    package init(path: String) throws(SQLiteError) {
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(handle)
            handle = nil
            throw SQLiteError(code: code, message: message)
        }
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, 30_000)
    }

    deinit { close() }

    /// Closes the connection; an open transaction is rolled back.
    package func close() {
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    package func error(_ code: Int32) -> SQLiteError {
        SQLiteError(code: code, message: handle.map { String(cString: sqlite3_errmsg($0)) } ?? "closed")
    }

    /// Reads the blob in `column` of row `row` of `table` straight into `destination` (no
    /// copy of it in between), when it has exactly `count` bytes.
    /// - Returns: whether it had `count` bytes (nothing is read otherwise).
    package func readBlob(
        table: String, column: String, row: Int64, into destination: UnsafeMutableRawPointer, count: Int
    ) throws(SQLiteError) -> Bool {
        var blob: OpaquePointer?
        let code = sqlite3_blob_open(handle, "main", table, column, row, 0, &blob)
        guard code == SQLITE_OK, let blob else {
            if let blob { sqlite3_blob_close(blob) }
            throw error(code)
        }
        defer { sqlite3_blob_close(blob) }
        guard Int(sqlite3_blob_bytes(blob)) == count else { return false }
        guard count > 0 else { return true }
        let read = sqlite3_blob_read(blob, destination, Int32(clamping: count), 0)
        guard read == SQLITE_OK else { throw error(read) }
        return true
    }

    /// Runs SQL statements, retrying while the database is busy beyond the busy handler
    /// (a WAL snapshot that went stale).
    package func exec(_ sql: String) throws(SQLiteError) {
        var attempts = 0
        while true {
            let code = sqlite3_exec(handle, sql, nil, nil, nil)
            if code == SQLITE_OK { return }
            if (code & 0xFF == SQLITE_BUSY || code & 0xFF == SQLITE_LOCKED) && attempts < 200 {
                attempts += 1
                usleep(10_000)
                continue
            }
            throw error(code)
        }
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`, rolling back on error.
    package func transaction(_ body: () throws(SQLiteError) -> Void) throws(SQLiteError) {
        try exec("BEGIN IMMEDIATE")
        do {
            try body()
            try exec("COMMIT")
        } catch {
            sqlite3_exec(handle, "ROLLBACK", nil, nil, nil)
            throw error
        }
    }

    /// The rowid of the last row this connection inserted.
    package var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Prepares `sql` with `values` bound to its parameters in order.
    package func prepare(_ sql: String, _ values: any SQLiteBindable...) throws(SQLiteError) -> Statement {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard code == SQLITE_OK, let statement else { throw error(code) }
        let prepared = Statement(statement, connection: self)
        prepared.bind(values)
        return prepared
    }

    /// Runs the statement `sql` to completion with `values` bound to its parameters in order.
    package func run(_ sql: String, _ values: any SQLiteBindable...) throws(SQLiteError) {
        let statement = try prepare(sql)
        statement.bind(values)
        try statement.run()
    }
}

/// One prepared statement, finalized on deinit.
package final class Statement {
    private var handle: OpaquePointer?
    package let connection: Connection

    package init(_ handle: OpaquePointer, connection: Connection) {
        self.handle = handle
        self.connection = connection
    }

    deinit { finish() }

    package func finish() {
        if let handle { sqlite3_finalize(handle) }
        handle = nil
    }

    package func bind(_ index: Int32, _ value: some SQLiteBindable) { value.bind(to: handle, at: index) }

    /// Binds `values` to parameters 1, 2, … in order.
    package func bind(_ values: [any SQLiteBindable]) {
        for (offset, value) in values.enumerated() { bind(Int32(offset + 1), value) }
    }

    /// Binds `values` as a little-endian float32 blob.
    package func bind(_ index: Int32, floats values: [Float]) {
        #if _endian(little)
        _ = values.withUnsafeBytes { sqlite3_bind_blob64(handle, index, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), sqlite3_uint64($0.count), transient) }
        #else
        let swapped = values.map { $0.bitPattern.littleEndian }
        _ = swapped.withUnsafeBytes { sqlite3_bind_blob64(handle, index, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), sqlite3_uint64($0.count), transient) }
        #endif
    }

    /// Steps once: `true` when a row is ready, `false` when done.
    package func step() throws(SQLiteError) -> Bool {
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return true }
        if code == SQLITE_DONE { return false }
        throw connection.error(code)
    }

    /// Steps to completion.
    package func run() throws(SQLiteError) {
        while try step() {}
    }

    package func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }
    package func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
    package func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(handle, column) else { return "" }
        return String(cString: pointer)
    }

    /// Whether the column of the current row is SQL `NULL`.
    package func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    /// The column as a 64-bit integer.
    package func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    /// The column as text, or `nil` when it is `NULL`.
    package func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }
    /// The column as a double, or `nil` when it is `NULL`.
    package func optionalDouble(_ column: Int32) -> Double? { isNull(column) ? nil : double(column) }
    /// The column as a 64-bit integer, or `nil` when it is `NULL`.
    package func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }
}

/// A value a statement parameter can take: text, an integer or a double, or SQL `NULL` for
/// `nil` (SQLite stores NaN as `NULL` too).
package protocol SQLiteBindable {
    func bind(to statement: OpaquePointer?, at index: Int32)
}

extension String: SQLiteBindable {
    package func bind(to statement: OpaquePointer?, at index: Int32) { sqlite3_bind_text(statement, index, self, -1, transient) }
}

extension Int: SQLiteBindable {
    package func bind(to statement: OpaquePointer?, at index: Int32) { sqlite3_bind_int64(statement, index, Int64(self)) }
}

extension Int64: SQLiteBindable {
    package func bind(to statement: OpaquePointer?, at index: Int32) { sqlite3_bind_int64(statement, index, self) }
}

extension Double: SQLiteBindable {
    package func bind(to statement: OpaquePointer?, at index: Int32) { sqlite3_bind_double(statement, index, self) }
}

extension Optional: SQLiteBindable where Wrapped: SQLiteBindable {
    package func bind(to statement: OpaquePointer?, at index: Int32) {
        if let self { self.bind(to: statement, at: index) } else { sqlite3_bind_null(statement, index) }
    }
}
