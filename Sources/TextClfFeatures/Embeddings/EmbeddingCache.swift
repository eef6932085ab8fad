import Foundation
import TextClfIO
import TextClfSQLite
import TextClfTensor

/// One cached embedding file, as ``EmbeddingCache/list()`` reports it.
public struct CacheEntryInfo: Sendable, Equatable {
    /// The entry's key: absolute path, requested format and bad-line policy.
    public let key: String
    /// The absolute path of the embedding file.
    public let path: String
    /// The file's size in bytes when cached.
    public let size: Int
    /// The file's modification time (seconds since 1970) when cached.
    public let mtime: Double
    /// The sampled content hash (see ``EmbeddingCache``).
    public let contentHash: String
    /// The format that was parsed.
    public let format: String
    /// The number of words.
    public let count: Int
    /// The vector dimension.
    public let dimension: Int
    /// The size of the entry's store file in bytes.
    public let bytes: Int
    /// When the entry was written (seconds since 1970).
    public let created: Double
}

/// A cached matrix of averaged document vectors (see ``EmbeddingCache/storeAveraged(key:rows:dimension:vectors:report:)``).
public struct AveragedMatrix: Sendable, Equatable {
    /// The number of rows.
    public let rows: Int
    /// The number of columns.
    public let dimension: Int
    /// The values, row-major.
    public let vectors: [Float]
}

/// An on-disk SQLite cache of parsed embedding files, `embeddings.sqlite` in ``directory``.
///
/// **Keys and freshness.** An entry's key is the file's absolute (symlink-resolved) path plus
/// the requested format and bad-line policy. Beside it the entry stores the file's size, mtime
/// and a *sampled content hash*: a 64-bit FNV-1a-style hash (over 8-byte words) of the size,
/// the first and last 1 MiB and 32 blocks of 64 KiB evenly spread between them (the whole file
/// when it is at most 4 MiB). A load re-checks all three and rebuilds the entry, with a
/// message, on any difference; an edit that keeps size and mtime and touches only unsampled
/// bytes is not seen.
///
/// **Hashes remembered.** The sampled hash is remembered per path beside the file's
/// *signature* (device, inode, size, and modification and status-change times in
/// nanoseconds) and used without reading the file while the signature is unchanged: writing or
/// renaming over a file changes its status-change time, which no program can set back. A hash
/// is remembered only once the file has been unchanged for ``settle`` seconds, so that a write
/// within the file system's timestamp resolution of the hashing is never trusted.
///
/// **Storage.** Each entry's row names a binary store file in `stores/` (see
/// `EmbeddingStoreFile`), which a cached load maps read-only. A parse writes the store into a
/// mapped temporary file, renamed into place before its row is committed (WAL mode, one
/// `BEGIN IMMEDIATE` transaction), so a killed writer never leaves a half entry visible. Store
/// files are not `fsync`ed: every load checks a store file's header against its size and a
/// checksum over all its bytes, and a damaged, truncated or missing file is reported and
/// rebuilt. A database SQLite finds corrupt is moved aside (`embeddings.sqlite.corrupt-<time>`)
/// and recreated. Cache failures never fail a load: the file is parsed instead. Averaged
/// document matrices live in the database as checksummed blobs.
///
/// A cache value and its copies share one connection, opened on first use; threads take turns
/// on it. Other processes use their own (busy timeout 30 s), so several runs can share the cache.
public struct EmbeddingCache: Sendable {
    /// The cache directory.
    public let directory: String

    /// The connection this cache value and its copies share.
    private let shared = SharedConnection()

    /// How long a file must have been unchanged (by its status-change time) before its
    /// sampled hash is remembered.
    let settle: Double

    /// How many sampled hashes this cache value and its copies computed rather than
    /// remembered (for tests).
    var hashesComputed: Int { shared.lock.withLock { shared.hashesComputed } }

    /// The database file.
    public var databasePath: String { directory + "/embeddings.sqlite" }

    /// Creates a cache in `directory`, else `$TEXTCLF_CACHE_DIR`, else `~/.cache/textclf`.
    /// The directory is created on first use.
    public init(directory: String? = nil) {
        self.init(directory: directory, settle: 2)
    }

    /// A cache that remembers hashes of files unchanged for `settle` seconds (tests use 0).
    init(directory: String?, settle: Double) {
        self.directory = directory ?? Self.defaultDirectory()
        self.settle = settle
    }

    /// `$TEXTCLF_CACHE_DIR`, else `~/.cache/textclf`.
    public static func defaultDirectory() -> String { CacheFolder.defaultPath() }

    // MARK: Embeddings

    /// Loads the embedding file at `path`, from the cache when a fresh, intact entry exists,
    /// else by parsing it and storing the result.
    /// - Parameters:
    ///   - format: the format to read; `nil` detects it.
    ///   - skipBadLines: skip malformed lines instead of throwing.
    ///   - report: receives human-readable messages (rebuilds, corruption, skipped lines).
    /// - Returns: the store and whether it came from the cache.
    /// - Throws: ``EmbeddingError`` when the file cannot be read or parsed; never for cache trouble.
    public func load(
        path: String, format: EmbeddingFormat? = nil, skipBadLines: Bool = false,
        report: (String) -> Void = { _ in }
    ) throws(EmbeddingError) -> (store: EmbeddingStore, cached: Bool) {
        let absolute = Self.absolutePath(path)
        let info = try Self.fileInfo(absolute)
        // Mapped only when the hash or a parse needs the bytes.
        var mapped: Data?
        func bytes() throws(EmbeddingError) -> Data {
            if let mapped { return mapped }
            let data = try EmbeddingFile.map(absolute)
            mapped = data
            return data
        }
        let contentHash = try self.contentHash(absolute, info: info, report: report, bytes: bytes)
        let key = Self.entryKey(absolute, format: format, skipBadLines: skipBadLines)

        // Phase 1: look for a fresh, intact entry.
        let found: EmbeddingStore?? = withDatabase(report: report) { db throws(SQLiteError) -> EmbeddingStore? in
            try readEntry(db, key: key, path: absolute, size: info.size, mtime: info.mtime, hash: contentHash, report: report)
        }
        if let found = found ?? nil { return (found, true) }

        // Phase 2: parse straight into a temporary store file (or memory, when the folder
        // cannot take one), move it into place, then index it in one transaction.
        let file = storesDirectory + "/" + Self.storeFileName(key: key, size: info.size, mtime: info.mtime, hash: contentHash)
        var canStore = true
        do {
            try FileManager.default.createDirectory(atPath: storesDirectory, withIntermediateDirectories: true)
            let removed = TemporaryFile.removeStale(in: storesDirectory)
            if removed.count > 0 {
                report(String(format: "removed %d temporary store file(s), %.1f MB, left in %@ by interrupted builds", removed.count, Double(removed.bytes) / 1e6, storesDirectory))
            }
        } catch {
            report("cannot create \(storesDirectory) (\(error)); continuing without caching \(absolute)")
            canStore = false
        }
        let (parsed, built) = try EmbeddingFile.parse(
            try bytes(), path: absolute, format: format, skipBadLines: skipBadLines
        ) { capacity, size throws(EmbeddingError) in
            if canStore, let image = StoreImage.file(beside: file, capacity: capacity, size: size) { return image }
            return try StoreImage.memory(capacity: capacity)
        }
        if parsed.skippedLines > 0 {
            report("\(absolute): skipped \(parsed.skippedLines) bad line(s); first: \(parsed.skippedErrors[0])")
        }
        let store = parsed.store
        guard canStore else { return (store, false) }
        _ = withDatabase(report: report) { db throws(SQLiteError) in
            do {
                try built.image.commit(to: file, size: built.layout.fileSize)
            } catch {
                report("cannot write the embedding store \(file) (\(error)); continuing without caching it")
                return
            }
            var previous: String?
            try db.transaction { () throws(SQLiteError) in
                let old = try db.prepare("SELECT file FROM embedding_files WHERE key = ?", key)
                if try old.step() { previous = old.text(0) }
                old.finish()
                try db.run(
                    """
                    INSERT OR REPLACE INTO embedding_files(key, path, size, mtime, content_hash, format, count, dimension,
                        file, file_size, created) VALUES (?,?,?,?,?,?,?,?,?,?,?)
                    """,
                    key, absolute, info.size, info.mtime, contentHash, parsed.format.rawValue, store.count, store.dimension,
                    (file as NSString).lastPathComponent, built.layout.fileSize, Date().timeIntervalSince1970)
            }
            // The replaced entry's file; a process still using it keeps its mapping.
            if let previous, !previous.isEmpty, previous != (file as NSString).lastPathComponent {
                _ = unlink(storesDirectory + "/" + previous)
            }
        }
        built.image.discardFile()  // when the index could not be opened: no stray temporary file
        return (store, false)
    }

    /// The word count and dimension of a fresh entry for `path` (same size, mtime and sampled
    /// hash, as ``load(path:format:skipBadLines:report:)`` requires), read from the index
    /// alone: no store file is mapped or checked, and the embeddings file is not read when its
    /// hash is remembered. `nil` when there is no such entry, or the file or the cache cannot
    /// be read.
    ///
    /// A run whose averaged matrices are all cached needs only the width of the vectors, so it
    /// asks this instead of loading them (see ``LazyEmbeddingStore``).
    public func describe(path: String, format: EmbeddingFormat? = nil, skipBadLines: Bool = false) -> (count: Int, dimension: Int)? {
        let absolute = Self.absolutePath(path)
        guard let info = try? Self.fileInfo(absolute),
            let contentHash = try? contentHash(
                absolute, info: info, report: { _ in }, bytes: { () throws(EmbeddingError) in try EmbeddingFile.map(absolute) })
        else { return nil }
        let key = Self.entryKey(absolute, format: format, skipBadLines: skipBadLines)
        let found = withDatabase(report: { _ in }) { db throws(SQLiteError) -> (count: Int, dimension: Int)? in
            let statement = try db.prepare("SELECT size, mtime, content_hash, count, dimension FROM embedding_files WHERE key = ?", key)
            guard try statement.step(), statement.int(0) == info.size, statement.double(1) == info.mtime,
                statement.text(2) == contentHash, statement.int(4) > 0
            else { return nil }
            return (statement.int(3), statement.int(4))
        }
        return found ?? nil
    }

    /// The sampled content hash of the file at `path` (see the type's documentation),
    /// remembered or computed. Keys of work derived from the file's contents use it.
    /// - Parameter report: receives messages about cache trouble (a damaged database).
    /// - Throws: ``EmbeddingError/unreadable(path:reason:)`` when the file cannot be read.
    public func contentHash(path: String, report: (String) -> Void = { _ in }) throws(EmbeddingError) -> String {
        let absolute = Self.absolutePath(path)
        return try contentHash(absolute, info: try Self.fileInfo(absolute), report: report) { () throws(EmbeddingError) in
            try EmbeddingFile.map(absolute)
        }
    }

    /// The sampled hash of `absolute`, whose `info` was just read: the remembered one when the
    /// file's signature is the one it was hashed with, else computed from `bytes()` and
    /// remembered when the file has been unchanged for ``settle`` seconds and still has the
    /// same signature after the hashing.
    func contentHash(
        _ absolute: String, info: FileInfo, report: (String) -> Void, bytes: () throws(EmbeddingError) -> Data
    ) throws(EmbeddingError) -> String {
        let remembered: String?? = withDatabase(report: report) { db throws(SQLiteError) -> String? in
            let statement = try db.prepare(
                "SELECT content_hash FROM file_hashes WHERE path = ? AND signature = ?", absolute, info.signature)
            return try statement.step() ? statement.text(0) : nil
        }
        if let known = remembered ?? nil { return known }
        let hash = try bytes().withUnsafeBytes { Self.sampledHash($0) }
        shared.lock.withLock { shared.hashesComputed += 1 }
        if Date().timeIntervalSince1970 - info.changed >= settle, (try? Self.fileInfo(absolute))?.signature == info.signature {
            _ = withDatabase(report: report) { db throws(SQLiteError) in
                try db.transaction { () throws(SQLiteError) in
                    try db.run(
                        "INSERT OR REPLACE INTO file_hashes(path, signature, content_hash) VALUES (?,?,?)", absolute,
                        info.signature, hash)
                }
            }
        }
        return hash
    }

    /// An entry's key: the absolute path, the requested format and the bad-line policy.
    static func entryKey(_ absolute: String, format: EmbeddingFormat?, skipBadLines: Bool) -> String {
        "\(absolute)|\(format?.rawValue ?? "auto")|\(skipBadLines ? "skip" : "strict")"
    }

    /// The folder of store files.
    var storesDirectory: String { directory + "/stores" }

    /// A store file's name: a hash of the entry's key and the embedding file's identity, so
    /// that concurrent builders of one entry write the same name and a changed file a new one.
    static func storeFileName(key: String, size: Int, mtime: Double, hash: String) -> String {
        let identity = Array("\(key)\n\(size)\n\(mtime.bitPattern)\n\(hash)".utf8)
        let digest = identity.withUnsafeBytes { hash64($0) }
        return String(digest, radix: 16) + ".tcemb"
    }

    func readEntry(
        _ db: Connection, key: String, path: String, size: Int, mtime: Double, hash: String,
        report: (String) -> Void
    ) throws(SQLiteError) -> EmbeddingStore? {
        let statement = try db.prepare(
            "SELECT size, mtime, content_hash, count, dimension, file FROM embedding_files WHERE key = ?", key)
        guard try statement.step() else { return nil }
        if statement.int(0) != size || statement.double(1) != mtime || statement.text(2) != hash {
            var what: [String] = []
            if statement.int(0) != size { what.append("size") }
            if statement.double(1) != mtime { what.append("mtime") }
            if statement.text(2) != hash { what.append("content") }
            report("\(path) changed since it was cached (\(what.joined(separator: ", "))); rebuilding the cache entry")
            return nil
        }
        let file = storesDirectory + "/" + statement.text(5)
        do {
            let mapped = try MappedEmbeddings(path: file, count: statement.int(3), dimension: statement.int(4))
            return EmbeddingStore(mapped: mapped)
        } catch {
            report("the cached store \(file) for \(path) is corrupt (\(error)); rebuilding it")
            return nil
        }
    }

    /// The cached embedding entries, oldest first.
    public func list() throws(EmbeddingError) -> [CacheEntryInfo] {
        try checked { db throws(SQLiteError) in
            let statement = try db.prepare(
                """
                SELECT key, path, size, mtime, content_hash, format, count, dimension,
                    file_size, created FROM embedding_files ORDER BY created
                """)
            var entries: [CacheEntryInfo] = []
            while try statement.step() {
                entries.append(
                    CacheEntryInfo(
                        key: statement.text(0), path: statement.text(1), size: statement.int(2),
                        mtime: statement.double(3), contentHash: statement.text(4), format: statement.text(5),
                        count: statement.int(6), dimension: statement.int(7), bytes: statement.int(8),
                        created: statement.double(9)))
            }
            return entries
        }
    }

    /// The keys of the cached averaged matrices.
    public func listAveraged() throws(EmbeddingError) -> [String] {
        try checked { db throws(SQLiteError) in
            let statement = try db.prepare("SELECT key FROM averaged ORDER BY created")
            var keys: [String] = []
            while try statement.step() { keys.append(statement.text(0)) }
            return keys
        }
    }

    /// Removes every entry (embeddings and averaged matrices) and compacts the database.
    /// Where there is no database, creates nothing (neither the folder nor the database) and
    /// returns `false`.
    /// - Returns: whether there was a database to clear.
    @discardableResult
    public func clear() throws(EmbeddingError) -> Bool {
        guard access(databasePath, F_OK) == 0 else {
            removeStoreFiles()
            return false
        }
        try checked { db throws(SQLiteError) in
            try db.transaction { () throws(SQLiteError) in
                try db.exec("DELETE FROM embedding_files; DELETE FROM averaged; DELETE FROM file_hashes;")
            }
            try db.exec("VACUUM")
            removeStoreFiles()
        }
        return true
    }

    /// Deletes the binary copies of embedding files and the temporary files that interrupted
    /// builds left, if their folder exists.
    private func removeStoreFiles() {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: storesDirectory)) ?? []
        for name in files where name.hasSuffix(".tcemb") {
            _ = unlink(storesDirectory + "/" + name)
        }
        TemporaryFile.removeStale(in: storesDirectory)
    }

    /// The temporary store files that interrupted builds left (a build in progress holds its
    /// own); the next build and ``clear()`` remove them.
    /// - Returns: Each one's path and size in bytes.
    public func staleTemporaryFiles() -> [(path: String, bytes: Int)] {
        TemporaryFile.stale(in: storesDirectory)
    }

    // MARK: Averaged matrices

    /// Stores a row-major `rows × dimension` matrix under `key`, replacing any entry, in one
    /// transaction with a checksum.
    public func storeAveraged(
        key: String, rows: Int, dimension: Int, vectors: [Float], report: (String) -> Void = { _ in }
    ) throws(EmbeddingError) {
        guard rows >= 0, dimension >= 0, vectors.count == rows * dimension else {
            throw .cache("\(vectors.count) values do not make a \(rows) × \(dimension) matrix")
        }
        let checksum = Self.checksum(vectors)
        try checked(report: report) { db throws(SQLiteError) in
            try db.transaction { () throws(SQLiteError) in
                let statement = try db.prepare(
                    "INSERT OR REPLACE INTO averaged(key, rows, dimension, checksum, created, vectors) VALUES (?,?,?,?,?,?)",
                    key, rows, dimension, checksum, Date().timeIntervalSince1970)
                statement.bind(6, floats: vectors)
                try statement.run()
            }
        }
    }

    /// The matrix stored under `key`, or `nil` when absent, corrupt (reported and deleted) or
    /// when the cache cannot be read (reported).
    public func loadAveraged(key: String, report: (String) -> Void = { _ in }) -> AveragedMatrix? {
        loadAveraged(key: key, report: report) { rows, dimension, read -> AveragedMatrix? in
            var failed = false
            let vectors = [Float](unsafeUninitializedCapacity: rows * dimension) { buffer, initialized in
                failed = !read(UnsafeMutableRawBufferPointer(buffer))
                initialized = failed ? 0 : rows * dimension
            }
            return failed ? nil : AveragedMatrix(rows: rows, dimension: dimension, vectors: vectors)
        }
    }

    /// ``loadAveraged(key:report:)`` as a `rows × dimension` tensor, read from the database
    /// straight into the tensor's memory; `nil` also when the stored matrix has another shape.
    package func loadAveragedTensor(key: String, rows: Int, dimension: Int, report: (String) -> Void = { _ in }) -> Tensor? {
        loadAveraged(key: key, report: report) { storedRows, storedDimension, read -> Tensor? in
            guard storedRows == rows, storedDimension == dimension else { return nil }
            var failed = false
            let tensor = Tensor(shape: [rows, dimension], device: .cpu, uninitializedCount: rows * dimension) { values in
                failed = !read(UnsafeMutableRawBufferPointer(start: values, count: 4 * rows * dimension))
            }
            return failed ? nil : tensor
        }
    }

    /// The stored matrix under `key`, made by `make` from its shape and a reader of its values
    /// (`make` may decline the shape with `nil`): the reader fills a buffer of `rows ×
    /// dimension` floats and tells whether they are whole and match the checksum (a corrupt
    /// entry is then reported and deleted).
    private func loadAveraged<T>(
        key: String, report: (String) -> Void,
        _ make: (_ rows: Int, _ dimension: Int, _ read: (UnsafeMutableRawBufferPointer) -> Bool) -> T?
    ) -> T? {
        let result: T?? = withDatabase(report: report) { db throws(SQLiteError) -> T? in
            let statement = try db.prepare(
                "SELECT rowid, rows, dimension, checksum, typeof(vectors) = 'blob' FROM averaged WHERE key = ?", key)
            guard try statement.step() else { return nil }
            let row = Int64(statement.int(0))
            let rows = statement.int(1)
            let dimension = statement.int(2)
            let checksum = statement.text(3)
            let isBlob = statement.int(4) == 1
            statement.finish()
            var corrupt = !isBlob || rows < 0 || dimension < 0 || rows.multipliedReportingOverflow(by: 4 * dimension).overflow
            var failure: SQLiteError?
            let made = corrupt
                ? nil
                : make(rows, dimension) { buffer in
                    do throws(SQLiteError) {
                        // The blob (little-endian floats) read into place, then put in this
                        // machine's order and checked.
                        guard try db.readBlob(table: "averaged", column: "vectors", row: row, into: buffer.baseAddress!, count: buffer.count)
                        else {
                            corrupt = true
                            return false
                        }
                    } catch {
                        failure = error
                        return false
                    }
                    let floats = buffer.bindMemory(to: Float.self)
                    #if _endian(big)
                        for index in floats.indices { floats[index] = Float(bitPattern: UInt32(littleEndian: floats[index].bitPattern)) }
                    #endif
                    corrupt = Self.checksum(UnsafeRawBufferPointer(floats)) != checksum
                    return !corrupt
                }
            if let failure { throw failure }
            if corrupt {
                report("the cached averaged matrix '\(key)' in \(databasePath) is corrupt; discarding it")
                try db.transaction { () throws(SQLiteError) in try db.run("DELETE FROM averaged WHERE key = ?", key) }
                return nil
            }
            return made
        }
        return result ?? nil
    }

    // MARK: Connections and recovery

    /// Runs `body` on a fresh connection. A corrupt database is moved aside, recreated and
    /// `body` retried once; other failures are reported and give `nil`.
    func withDatabase<T>(report: (String) -> Void, _ body: (Connection) throws(SQLiteError) -> T) -> T? {
        do {
            return try run(report: report, body)
        } catch {
            report("embedding cache \(databasePath) unavailable (\(error)); continuing without it")
            return nil
        }
    }

    /// Like ``withDatabase(report:_:)`` but throws when the cache cannot be used.
    func checked<T>(report: (String) -> Void = { _ in }, _ body: (Connection) throws(SQLiteError) -> T) throws(EmbeddingError) -> T {
        do {
            return try run(report: report, body)
        } catch {
            throw .cache("\(databasePath): \(error)")
        }
    }

    private func run<T>(report: (String) -> Void, _ body: (Connection) throws(SQLiteError) -> T) throws(SQLiteError) -> T {
        shared.lock.lock()
        defer { shared.lock.unlock() }
        do {
            return try body(try connection())
        } catch where error.isCorruption {
            shared.connection?.close()
            shared.connection = nil
            let aside = moveAside()
            report(
                "the embedding cache \(databasePath) is damaged (\(error.message)); moved it aside to \(aside) and created a new one"
            )
            return try body(try connection())
        }
    }

    /// The shared connection, opened on first use (the caller holds the lock).
    private func connection() throws(SQLiteError) -> Connection {
        if let db = shared.connection { return db }
        let db = try open()
        shared.connection = db
        return db
    }

    func open() throws(SQLiteError) -> Connection {
        do {
            if access(directory, F_OK) != 0 {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
        } catch {
            throw SQLiteError.cannotOpen("cannot create \(directory): \(error)")
        }
        let db = try Connection(path: databasePath)
        // Large pages and memory-mapped reads make multi-megabyte blobs cheap to read back.
        try db.exec("PRAGMA page_size=65536")
        try db.exec("PRAGMA mmap_size=1073741824")
        try db.exec("PRAGMA journal_mode=WAL")
        try db.exec("PRAGMA synchronous=NORMAL")
        // Readers skip the write lock when the tables already exist.
        let existing = try db.prepare(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('embedding_files', 'averaged', 'file_hashes')")
        let ready = try existing.step() && existing.int(0) == 3
        existing.finish()
        if ready { return db }
        try db.transaction { () throws(SQLiteError) in
            try db.exec(
                """
                DROP TABLE IF EXISTS embeddings;
                CREATE TABLE IF NOT EXISTS embedding_files(key TEXT PRIMARY KEY, path TEXT, size INTEGER, mtime REAL,
                    content_hash TEXT, format TEXT, count INTEGER, dimension INTEGER, file TEXT, file_size INTEGER,
                    created REAL);
                CREATE TABLE IF NOT EXISTS averaged(key TEXT PRIMARY KEY, rows INTEGER, dimension INTEGER,
                    vectors BLOB, checksum TEXT, created REAL);
                CREATE TABLE IF NOT EXISTS file_hashes(path TEXT PRIMARY KEY, signature TEXT, content_hash TEXT);
                """)
        }
        return db
    }

    /// Renames the database (and its WAL and shared-memory files) to `…corrupt-<time>`.
    func moveAside() -> String {
        let stamp = String(format: "%.3f", Date().timeIntervalSince1970)
        let aside = databasePath + ".corrupt-" + stamp
        _ = rename(databasePath, aside)
        for suffix in ["-wal", "-shm"] { _ = rename(databasePath + suffix, aside + suffix) }
        return aside
    }

    /// Leaves an uncommitted partial row behind a closed connection, as a writer killed
    /// mid-transaction would (for tests).
    func simulateInterruptedWrite(key: String) throws(SQLiteError) {
        let db = try open()
        try db.exec("BEGIN IMMEDIATE")
        try db.run("INSERT INTO embedding_files(key, path, size, file) VALUES (?, 'partial', 1, 'partial.tcemb')", key)
        db.close()
    }

    // MARK: Hashing and blobs

    static func absolutePath(_ path: String) -> String {
        if let resolved = realpath(path, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// What `stat` says of a file: its size and modification time (in entries' keys), its
    /// status-change time, and its signature (see the type's documentation).
    struct FileInfo {
        let size: Int
        let mtime: Double
        /// The status-change time, seconds since 1970.
        let changed: Double
        let signature: String
    }

    static func fileInfo(_ path: String) throws(EmbeddingError) -> FileInfo {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        let modified = status.st_mtim, changed = status.st_ctim
        return FileInfo(
            size: Int(status.st_size), mtime: Double(modified.tv_sec) + Double(modified.tv_nsec) / 1e9,
            changed: Double(changed.tv_sec) + Double(changed.tv_nsec) / 1e9,
            signature: "\(status.st_dev):\(status.st_ino):\(status.st_size):\(modified.tv_sec).\(modified.tv_nsec):\(changed.tv_sec).\(changed.tv_nsec)")
    }

    /// A 64-bit FNV-1a variant over little-endian 8-byte words (tail bytes one by one), with
    /// an extra xor-shift per word for mixing.
    static func hash64(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64 {
        var hash = seed
        let count = bytes.count
        guard count > 0, let base = bytes.baseAddress else { return hash }
        var offset = 0
        while offset + 8 <= count {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            hash = (hash ^ word) &* 0x0000_0100_0000_01B3
            hash ^= hash >> 29
            offset += 8
        }
        while offset < count {
            hash = (hash ^ UInt64(base.load(fromByteOffset: offset, as: UInt8.self))) &* 0x0000_0100_0000_01B3
            offset += 1
        }
        return hash
    }

    /// The sampled content hash described in the type's documentation.
    static func sampledHash(_ bytes: UnsafeRawBufferPointer) -> String {
        let size = bytes.count
        let mib = 1 << 20
        var hash = 0xCBF2_9CE4_8422_2325 ^ UInt64(size) &* 0x9E37_79B9_7F4A_7C15
        if size <= 4 * mib {
            hash = hash64(bytes, seed: hash)
        } else {
            hash = hash64(UnsafeRawBufferPointer(rebasing: bytes[0..<mib]), seed: hash)
            let block = 64 << 10
            let span = size - 2 * mib - block
            for index in 0..<32 {
                let start = mib + span * index / 31
                hash = hash64(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + block)]), seed: hash)
            }
            hash = hash64(UnsafeRawBufferPointer(rebasing: bytes[(size - mib)..<size]), seed: hash)
        }
        return "sampled-fnv1a64w:" + String(hash, radix: 16)
    }

    /// The checksum stored beside an averaged matrix (the `0` is an empty word list, kept so
    /// that existing entries stay valid).
    static func checksum(_ vectors: [Float]) -> String {
        vectors.withUnsafeBytes { checksum($0) }
    }

    /// The checksum of floats stored as `bytes` (in this machine's byte order).
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> String {
        "fnv1a64w:" + String(hash64(bytes), radix: 16) + ":0:\(bytes.count / 4)"
    }
}

/// The one connection of an ``EmbeddingCache`` value and its copies, behind a lock.
private final class SharedConnection: @unchecked Sendable {
    let lock = NSRecursiveLock()
    var connection: Connection?
    var hashesComputed = 0
}
