import Foundation
import TextClfSQLite
import TextClfTraining

/// Why the run log could not be used.
public enum RunLogError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is damaged or not an SQLite database. It is left in place, untouched.
    case corrupt(path: String, detail: String)
    /// The file was written by a newer textclf, with a schema this one does not know.
    case newerSchema(path: String, version: Int, supported: Int)
    /// The file or its folder cannot be opened, created, read or written.
    case unavailable(path: String, detail: String)

    /// The path of the database the error is about.
    public var path: String {
        switch self {
        case .corrupt(let path, _), .newerSchema(let path, _, _), .unavailable(let path, _): return path
        }
    }

    /// A sentence naming the file.
    public var description: String {
        switch self {
        case .corrupt(let path, let detail):
            return "\(path): the run log is damaged or not a run log (\(detail)); it was left as it is: move it "
                + "away, or choose another file with --run-log or TEXTCLF_RUN_LOG"
        case .newerSchema(let path, let version, let supported):
            return "\(path): the run log has schema version \(version), written by a newer textclf; this one reads "
                + "versions up to \(supported)"
        case .unavailable(let path, let detail):
            return "\(path): cannot use the run log (\(detail))"
        }
    }
}

/// A local SQLite database of command runs: what was run, with which options, on which data,
/// how each epoch went and how it ended.
///
/// The file is ``defaultPath(environment:)`` unless given; missing parent folders are created.
/// It holds two tables: `runs`, one row per run (`parent` links cross-validation folds and
/// search trials to their run; times are ISO-8601 UTC with milliseconds; arguments, options and
/// metrics are JSON), and `epochs`, one row per run and epoch with the fields of
/// ``EpochRecord``. The schema version is `PRAGMA user_version`: an older file is migrated in
/// one transaction, a newer one refused with ``RunLogError/newerSchema(path:version:supported:)``.
///
/// A WAL journal, a 30 s busy timeout and one `BEGIN IMMEDIATE` transaction per write let
/// several processes (parallel search trials) write at once; one `RunLog` holds one connection
/// behind a lock, so threads can share it too. A file SQLite finds corrupt or not a database
/// gives ``RunLogError/corrupt(path:detail:)`` and is never moved, repaired or removed.
///
/// A run whose process ended without ``finish(_:status:metrics:modelPath:message:seconds:)``
/// stays `running` in the file; one of this host whose recorded process no longer exists reads
/// as ``RunStatus/interrupted``.
public final class RunLog: @unchecked Sendable {
    /// The schema version this code writes and reads.
    public static let schemaVersion = 2

    /// `migrations[i]` brings a database from schema version `i` to `i + 1`.
    static let migrations: [String] = [
        """
        CREATE TABLE runs(
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            parent INTEGER REFERENCES runs(id) ON DELETE CASCADE,
            command TEXT NOT NULL,
            started TEXT NOT NULL,
            finished TEXT,
            seconds REAL,
            status TEXT NOT NULL,
            arguments TEXT NOT NULL DEFAULT '[]',
            options TEXT NOT NULL DEFAULT '{}',
            data TEXT,
            model_path TEXT,
            metrics TEXT NOT NULL DEFAULT '{}',
            message TEXT,
            pid INTEGER,
            host TEXT);
        CREATE INDEX runs_parent ON runs(parent);
        CREATE INDEX runs_command ON runs(command);
        CREATE TABLE epochs(
            run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            epoch INTEGER NOT NULL,
            train_loss REAL,
            train_accuracy REAL,
            validation_loss REAL,
            validation_accuracy REAL,
            validation_macro_f1 REAL,
            learning_rate REAL,
            seconds REAL,
            PRIMARY KEY(run, epoch));
        """,
        "ALTER TABLE epochs ADD COLUMN train_macro_f1 REAL;",
    ]

    /// Which runs ``runs(limit:command:parent:)`` lists.
    public enum ParentFilter: Sendable, Hashable {
        /// Every run.
        case any
        /// Runs without a parent (commands as typed).
        case topLevel
        /// The children of one run.
        case children(of: Int64)
    }

    /// The database file.
    public let path: String
    private let connection: Connection
    private let lock = NSLock()

    /// `$TEXTCLF_RUN_LOG`, else `$XDG_DATA_HOME/textclf/runs.sqlite`, else
    /// `~/.local/share/textclf/runs.sqlite`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let value = environment["TEXTCLF_RUN_LOG"], !value.isEmpty { return value }
        if let value = environment["XDG_DATA_HOME"], !value.isEmpty { return value + "/textclf/runs.sqlite" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/share/textclf/runs.sqlite"
    }

    /// Opens the run log at `path` (default: ``defaultPath(environment:)``), creating the file,
    /// its folders and its tables when missing, and migrating an older schema.
    /// - Throws: ``RunLogError`` naming the file.
    public init(path: String? = nil) throws(RunLogError) {
        let path = path ?? Self.defaultPath()
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw .unavailable(path: path, detail: "cannot create the folder \(folder): \(error.localizedDescription)")
            }
        }
        do {
            connection = try Connection(path: path)
        } catch {
            throw .unavailable(path: path, detail: error.message)
        }
        try wrap { () throws(SQLiteError) in
            try connection.exec("PRAGMA foreign_keys=ON")
            // Reading the version first touches the file's header: a file that is not a
            // database fails here, before anything could be written to it.
            let version = try userVersion()
            if version > Self.schemaVersion {
                throw SQLiteError(code: -1, message: "newer schema \(version)")
            }
            try connection.exec("PRAGMA journal_mode=WAL")
            try connection.exec("PRAGMA synchronous=NORMAL")
            if version < Self.schemaVersion { try migrate() }
        }
    }

    /// Closes the connection.
    deinit { connection.close() }

    private func userVersion() throws(SQLiteError) -> Int {
        let statement = try connection.prepare("PRAGMA user_version")
        return try statement.step() ? statement.int(0) : 0
    }

    /// Applies the missing migrations in one write transaction (another process may have
    /// applied them meanwhile: the version is read again inside it).
    private func migrate() throws(SQLiteError) {
        try connection.transaction { () throws(SQLiteError) in
            let version = try userVersion()
            if version > Self.schemaVersion { throw SQLiteError(code: -1, message: "newer schema \(version)") }
            for index in version..<Self.schemaVersion {
                try connection.exec(Self.migrations[index])
            }
            try connection.exec("PRAGMA user_version=\(Self.schemaVersion)")
        }
    }

    /// Runs `body` under the lock, turning SQLite errors into ``RunLogError``s naming the file.
    private func wrap<T>(_ body: () throws(SQLiteError) -> T) throws(RunLogError) -> T {
        lock.lock()
        defer { lock.unlock() }
        do {
            return try body()
        } catch where error.code == -1 {
            let version = (try? userVersion()) ?? 0
            throw .newerSchema(path: path, version: version, supported: Self.schemaVersion)
        } catch where error.isCorruption {
            throw .corrupt(path: path, detail: error.message)
        } catch {
            throw .unavailable(path: path, detail: error.description)
        }
    }

    /// Runs `body` in one write transaction under ``wrap(_:)``.
    private func write(_ body: () throws(SQLiteError) -> Void) throws(RunLogError) {
        try wrap { () throws(SQLiteError) in try connection.transaction(body) }
    }

    // MARK: Writing

    /// Records the beginning of a run, with this process's id and host, and status `running`;
    /// the arguments are the ``RunRecord`` fields of the same names (`started` defaults to now).
    /// - Returns: the new run's id.
    public func begin(
        command: String, arguments: [String], options: [String: String] = [:], parent: Int64? = nil,
        data: String? = nil, modelPath: String? = nil, started: Date = Date()
    ) throws(RunLogError) -> Int64 {
        try begin(
            command: command, arguments: arguments, options: options, parent: parent, data: data, modelPath: modelPath,
            started: started, processID: getpid())
    }

    /// ``begin(command:arguments:options:parent:data:modelPath:started:)`` with a given process id.
    func begin(
        command: String, arguments: [String], options: [String: String], parent: Int64?, data: String?,
        modelPath: String?, started: Date, processID: Int32
    ) throws(RunLogError) -> Int64 {
        var id: Int64 = 0
        try write { () throws(SQLiteError) in
            try connection.run(
                """
                INSERT INTO runs(parent, command, started, status, arguments, options, data, model_path, pid, host)
                VALUES (?,?,?,?,?,?,?,?,?,?)
                """,
                parent, command, Self.timestamp(started), RunStatus.running.rawValue, Self.json(arguments), Self.json(options),
                data, modelPath, Int64(processID), Self.hostName)
            id = connection.lastInsertRowID
        }
        return id
    }

    /// Records (or replaces) one epoch of `run`.
    public func recordEpoch(_ run: Int64, _ record: EpochRecord) throws(RunLogError) {
        try write { () throws(SQLiteError) in
            try connection.run(
                """
                INSERT OR REPLACE INTO epochs(run, epoch, train_loss, train_accuracy, validation_loss,
                    validation_accuracy, validation_macro_f1, learning_rate, seconds, train_macro_f1)
                    VALUES (?,?,?,?,?,?,?,?,?,?)
                """,
                run, record.epoch, record.trainLoss, record.trainAccuracy, record.validationLoss, record.validationAccuracy,
                record.validationMacroF1, Double(record.learningRate), record.seconds, record.trainMacroF1)
        }
    }

    /// Changes the data description, model path or message of `run`; `nil` leaves a field as it is.
    public func update(_ run: Int64, data: String? = nil, modelPath: String? = nil, message: String? = nil) throws(RunLogError) {
        try write { () throws(SQLiteError) in
            try connection.run(
                "UPDATE runs SET data = coalesce(?, data), model_path = coalesce(?, model_path), message = coalesce(?, message) WHERE id = ?",
                data, modelPath, message, run)
        }
    }

    /// Records the end of `run`.
    /// - Parameters:
    ///   - status: how it ended.
    ///   - metrics: final metrics, merged into any recorded before (see ``RunMetric`` for names).
    ///   - modelPath: the model folder, when not given to `begin` or changed since.
    ///   - message: a note, or the error of a failed run.
    ///   - seconds: the run's duration (default: from its recorded start to now).
    public func finish(
        _ run: Int64, status: RunStatus, metrics: [String: Double] = [:], modelPath: String? = nil, message: String? = nil,
        seconds: Double? = nil
    ) throws(RunLogError) {
        let finished = Date()
        try write { () throws(SQLiteError) in
            let read = try connection.prepare("SELECT started, metrics FROM runs WHERE id = ?", run)
            guard try read.step() else { return }
            let started = Self.date(read.text(0))
            var merged = Self.decodeMetrics(read.text(1))
            read.finish()
            merged.merge(metrics) { _, new in new }
            try connection.run(
                """
                UPDATE runs SET status = ?, finished = ?, seconds = ?, metrics = ?,
                    model_path = coalesce(?, model_path), message = coalesce(?, message) WHERE id = ?
                """,
                status.rawValue, Self.timestamp(finished), seconds ?? started.map { max(0, finished.timeIntervalSince($0)) },
                Self.json(merged), modelPath, message, run)
        }
    }

    /// Deletes runs, their children (recursively) and their epochs.
    /// - Returns: the ids deleted, children included; ids not in the log are skipped.
    @discardableResult
    public func delete(ids: [Int64]) throws(RunLogError) -> [Int64] {
        guard !ids.isEmpty else { return [] }
        let list = ids.map(String.init).joined(separator: ",")
        var deleted: [Int64] = []
        try write { () throws(SQLiteError) in
            let collect = try connection.prepare(
                """
                WITH RECURSIVE doomed(id) AS (
                    SELECT id FROM runs WHERE id IN (\(list))
                    UNION SELECT runs.id FROM runs JOIN doomed ON runs.parent = doomed.id)
                SELECT id FROM doomed ORDER BY id
                """)
            while try collect.step() { deleted.append(collect.int64(0)) }
            collect.finish()
            guard !deleted.isEmpty else { return }
            let doomed = deleted.map(String.init).joined(separator: ",")
            try connection.exec("DELETE FROM epochs WHERE run IN (\(doomed)); DELETE FROM runs WHERE id IN (\(doomed));")
        }
        return deleted
    }

    // MARK: Reading

    private static let selectRuns = """
        SELECT r.id, r.parent, r.command, r.started, r.finished, r.seconds, r.status, r.arguments, r.options, r.data,
            r.model_path, r.metrics, r.message, r.pid, r.host,
            (SELECT count(*) FROM epochs e WHERE e.run = r.id), (SELECT count(*) FROM runs c WHERE c.parent = r.id)
        FROM runs r
        """

    /// Recorded runs, newest first.
    /// - Parameters:
    ///   - limit: at most this many (default: all).
    ///   - command: only runs of this command.
    ///   - parent: which runs by parent (default: all).
    public func runs(limit: Int? = nil, command: String? = nil, parent: ParentFilter = .any) throws(RunLogError) -> [RunRecord] {
        var conditions: [String] = []
        if command != nil { conditions.append("r.command = ?1") }
        switch parent {
        case .any: break
        case .topLevel: conditions.append("r.parent IS NULL")
        case .children: conditions.append("r.parent = ?2")
        }
        var sql = Self.selectRuns
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY r.id DESC"
        if let limit { sql += " LIMIT \(max(0, limit))" }
        return try wrap { () throws(SQLiteError) -> [RunRecord] in
            let statement = try connection.prepare(sql)
            if let command { statement.bind(1, command) }
            if case .children(let id) = parent { statement.bind(2, id) }
            var records: [RunRecord] = []
            while try statement.step() { records.append(Self.record(statement)) }
            return records
        }
    }

    /// The run with `id`, or `nil` when the log holds none.
    public func run(id: Int64) throws(RunLogError) -> RunRecord? {
        try wrap { () throws(SQLiteError) -> RunRecord? in
            let statement = try connection.prepare(Self.selectRuns + " WHERE r.id = ?", id)
            return try statement.step() ? Self.record(statement) : nil
        }
    }

    /// The recorded epochs of `run`, in epoch order.
    public func epochs(run: Int64) throws(RunLogError) -> [EpochRecord] {
        try wrap { () throws(SQLiteError) -> [EpochRecord] in
            let statement = try connection.prepare(
                """
                SELECT epoch, train_loss, train_accuracy, validation_loss, validation_accuracy, validation_macro_f1,
                    learning_rate, seconds, train_macro_f1 FROM epochs WHERE run = ? ORDER BY epoch
                """, run)
            var records: [EpochRecord] = []
            while try statement.step() {
                var record = EpochRecord(
                    epoch: statement.int(0), trainLoss: statement.optionalDouble(1) ?? .nan,
                    trainAccuracy: statement.optionalDouble(2) ?? .nan, validationLoss: statement.optionalDouble(3),
                    validationAccuracy: statement.optionalDouble(4), validationMacroF1: statement.optionalDouble(5),
                    learningRate: Float(statement.optionalDouble(6) ?? .nan), seconds: statement.optionalDouble(7) ?? 0)
                record.trainMacroF1 = statement.optionalDouble(8)
                records.append(record)
            }
            return records
        }
    }

    private static func record(_ statement: Statement) -> RunRecord {
        let arguments = (try? JSONDecoder().decode([String].self, from: Data(statement.text(7).utf8))) ?? []
        let options = (try? JSONDecoder().decode([String: String].self, from: Data(statement.text(8).utf8))) ?? [:]
        let processID = statement.optionalInt64(13).map { Int32(truncatingIfNeeded: $0) }
        let host = statement.optionalText(14)
        var status = RunStatus(rawValue: statement.text(6)) ?? .running
        if status == .running, let processID, host == hostName, !processExists(processID) { status = .interrupted }
        return RunRecord(
            id: statement.int64(0), parent: statement.optionalInt64(1), command: statement.text(2),
            started: date(statement.text(3)) ?? Date(timeIntervalSince1970: 0), finished: statement.optionalText(4).flatMap(date),
            seconds: statement.optionalDouble(5), status: status, arguments: arguments, options: options,
            data: statement.optionalText(9), modelPath: statement.optionalText(10), metrics: decodeMetrics(statement.text(11)),
            message: statement.optionalText(12), processID: processID, host: host, epochCount: statement.int(15),
            childCount: statement.int(16))
    }

    // MARK: Encoding

    /// An ISO-8601 UTC timestamp with milliseconds, as stored: `2025-03-01T12:30:05.250Z`.
    public static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// The date of a stored timestamp, or `nil`.
    public static func date(_ text: String) -> Date? {
        try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }

    private static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static func json<T: Encodable>(_ value: T) -> String {
        (try? encoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func decodeMetrics(_ text: String) -> [String: Double] {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return (try? decoder.decode([String: Double].self, from: Data(text.utf8))) ?? [:]
    }

    /// This machine's host name.
    static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return ProcessInfo.processInfo.hostName }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// Whether a process with `pid` exists on this machine.
    static func processExists(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        if kill(pid, 0) == 0 { return true }
        return errno != ESRCH
    }
}
