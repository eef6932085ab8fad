import Foundation
import Testing
import TextClfSQLite
import TextClfTestSupport
import TextClfText

@testable import TextClfFeatures

/// A fresh temporary directory, removed by the caller.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-emb-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A GloVe text of `words` words × `dimension`, values from `seed`.
func syntheticGlove(words: Int, dimension: Int, seed: Int) -> String {
    var lines: [String] = []
    lines.reserveCapacity(words)
    var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 | 1
    for row in 0..<words {
        var line = "word\(row)"
        for _ in 0..<dimension {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let value = Int(state >> 44) - (1 << 19)
            line += " " + String(format: "%.5f", Double(value) / 100_000)
        }
        lines.append(line)
    }
    return lines.joined(separator: "\n") + "\n"
}

/// Collects messages from any thread.
final class Messages: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ message: String) { lock.withLock { items.append(message) } }
    var all: [String] { lock.withLock { items } }
    func contains(_ text: String) -> Bool { all.contains { $0.contains(text) } }
}

@Suite("Embedding cache")
struct EmbeddingCacheTests {
    @Test("first load parses, second comes from the cache and is equal")
    func cachedLoad() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("vectors.txt")
        try syntheticGlove(words: 300, dimension: 8, seed: 1).write(to: file, atomically: true, encoding: .utf8)
        let cache = EmbeddingCache(directory: directory.appendingPathComponent("cache").path)
        let first = try cache.load(path: file.path)
        #expect(!first.cached)
        let second = try cache.load(path: file.path)
        #expect(second.cached)
        #expect(first.store == second.store)
        #expect(second.store == (try EmbeddingFile.parse(path: file.path)).store)
        #expect(second.store.index(of: "word299") == 299)
        // Both read the store-file layout in place (the parse's image, then the mapped file),
        // looked up through the file's own table.
        #expect(second.store.isMapped && first.store.isMapped)
        #expect(!(try EmbeddingStore(words: ["a"], dimension: 1, vectors: [1])).isMapped)
        for (row, word) in first.store.words.enumerated() {
            #expect(second.store.index(of: word) == row)
            #expect(second.store.vector(for: word) == first.store.vector(at: row))
        }
        #expect(second.store.index(of: "word300") == nil && second.store.index(of: "") == nil)
        let stores = directory.appendingPathComponent("cache/stores").path
        #expect(try FileManager.default.contentsOfDirectory(atPath: stores).count == 1)
        let entries = try cache.list()
        #expect(entries.count == 1)
        #expect(entries.first?.count == 300 && entries.first?.dimension == 8 && entries.first?.format == "glove")
        try cache.clear()
        #expect(try cache.list().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: stores).isEmpty)
        #expect(!(try cache.load(path: file.path)).cached)
    }

    @Test("a build removes the temporary store files that killed builds left; list counts them first")
    func staleTemporaryStores() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("vectors.txt")
        try syntheticGlove(words: 50, dimension: 4, seed: 3).write(to: file, atomically: true, encoding: .utf8)
        let cache = EmbeddingCache(directory: directory.appendingPathComponent("cache").path)
        let stores = directory.appendingPathComponent("cache/stores")
        try FileManager.default.createDirectory(at: stores, withIntermediateDirectories: true)
        // What kill -9 during a build leaves: a store file named after a process that ended.
        let ended = Process()
        ended.executableURL = URL(fileURLWithPath: "/bin/true")
        try ended.run()
        ended.waitUntilExit()
        let leftover = stores.appendingPathComponent(".0123abcd.tcemb.tmp-\(ended.processIdentifier)-x1")
        try Data(count: 5000).write(to: leftover)
        #expect(cache.staleTemporaryFiles().map(\.bytes) == [5000])
        let messages = Messages()
        _ = try cache.load(path: file.path, report: messages.add)
        #expect(messages.contains("removed 1 temporary store file(s), 0.0 MB, left in \(stores.path) by interrupted builds"), "\(messages.all)")
        #expect(!FileManager.default.fileExists(atPath: leftover.path))
        #expect(cache.staleTemporaryFiles().isEmpty)
    }

    @Test("a changed file at the same path, same size and mtime, is rebuilt")
    func changedFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("vectors.txt")
        try "a 1.5 2.5\nb 3.5 4.5\n".write(to: file, atomically: false, encoding: .utf8)
        var status = stat()
        #expect(stat(file.path, &status) == 0)
        let cache = EmbeddingCache(directory: directory.path)
        #expect(!(try cache.load(path: file.path)).cached)
        #expect((try cache.load(path: file.path)).cached)
        try "a 1.5 2.5\nb 3.5 9.5\n".write(to: file, atomically: false, encoding: .utf8)
        var times = [status.st_mtim, status.st_mtim]
        #expect(utimensat(AT_FDCWD, file.path, &times, 0) == 0)
        let messages = Messages()
        let reloaded = try cache.load(path: file.path, report: messages.add)
        #expect(!reloaded.cached)
        #expect(reloaded.store.vector(for: "b").map(Array.init) == [3.5, 9.5])
        #expect(messages.contains("changed since it was cached (content)"), "\(messages.all)")
        #expect((try cache.load(path: file.path)).store.vector(for: "b").map(Array.init) == [3.5, 9.5])
        #expect(try cache.list().count == 1)
    }

    /// A two-word vectors file in a fresh directory, its `stat` from when it was written, and
    /// a cache in the directory that remembers hashes at once (`settle` 0).
    func smallVectorsFile() throws -> (directory: URL, file: URL, status: stat, cache: EmbeddingCache) {
        let directory = try makeTemporaryDirectory()
        let file = directory.appendingPathComponent("vectors.txt")
        try "a 1.5 2.5\nb 3.5 4.5\n".write(to: file, atomically: false, encoding: .utf8)
        var status = stat()
        #expect(stat(file.path, &status) == 0)
        return (directory, file, status, EmbeddingCache(directory: directory.appendingPathComponent("cache").path, settle: 0))
    }

    @Test("a sampled hash is remembered while the file's signature holds, and a write or a rename over it is seen")
    func rememberedHashes() throws {
        let (directory, file, status, cache) = try smallVectorsFile()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(!(try cache.load(path: file.path)).cached)
        #expect(cache.hashesComputed == 1)
        // Unchanged: neither a load, a description nor a key reads the file again.
        #expect((try cache.load(path: file.path)).cached)
        #expect(cache.describe(path: file.path).map { [$0.count, $0.dimension] } == [2, 2])
        let hash = try cache.contentHash(path: file.path)
        #expect(cache.hashesComputed == 1)
        // A rewrite with the old size and mtime: the status-change time moved, so it is hashed again.
        try "a 1.5 2.5\nb 3.5 9.5\n".write(to: file, atomically: false, encoding: .utf8)
        var times = [status.st_mtim, status.st_mtim]
        #expect(utimensat(AT_FDCWD, file.path, &times, 0) == 0)
        #expect(cache.describe(path: file.path) == nil)
        #expect(cache.hashesComputed == 2)
        #expect(try cache.contentHash(path: file.path) != hash)
        let reloaded = try cache.load(path: file.path)
        #expect(!reloaded.cached && reloaded.store.vector(for: "b").map(Array.init) == [3.5, 9.5])
        #expect(cache.hashesComputed == 2, "the new signature's hash was remembered")
        // Another file of the same bytes and times renamed over it: a new inode, hashed again, same entry.
        let twin = directory.appendingPathComponent("twin.txt")
        try "a 1.5 2.5\nb 3.5 9.5\n".write(to: twin, atomically: false, encoding: .utf8)
        #expect(utimensat(AT_FDCWD, twin.path, &times, 0) == 0)
        #expect(rename(twin.path, file.path) == 0)
        #expect((try cache.load(path: file.path)).cached)
        #expect(cache.hashesComputed == 3)
        // A second cache value on the same folder (the next run) uses the remembered hash.
        let next = EmbeddingCache(directory: directory.appendingPathComponent("cache").path, settle: 0)
        #expect((try next.load(path: file.path)).cached && next.hashesComputed == 0)
    }

    @Test("a file written moments ago is hashed on every load until it has settled")
    func unsettledFilesAreHashedEachTime() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("vectors.txt")
        try "a 1.5 2.5\nb 3.5 4.5\n".write(to: file, atomically: false, encoding: .utf8)
        // Within the default two seconds of the write: nothing is remembered.
        let cache = EmbeddingCache(directory: directory.appendingPathComponent("cache").path)
        #expect(!(try cache.load(path: file.path)).cached)
        #expect((try cache.load(path: file.path)).cached)
        #expect(cache.hashesComputed == 2)
    }

    @Test("averaged matrices are keyed by the embeddings' content: an edit keeping size and mtime recomputes them")
    func averagedKeyFollowsContent() throws {
        let (directory, file, status, cache) = try smallVectorsFile()
        defer { try? FileManager.default.removeItem(at: directory) }
        let analyzer = try Analyzer(parsing: "lowercase,words")
        let texts = ["a b", "b"]
        func averages() throws -> (matrix: [Float], cached: Bool) {
            let (features, store) = try EmbeddingFeatures.fit(
                embeddings: file.path, format: nil, skipBadLines: false, text: analyzer, weighting: .mean,
                unknownWords: .skip, trainingTexts: texts, cache: cache, report: { _ in })
            let result = try features.transform(texts, store: store, cache: cache, report: { _ in })
            return (result.matrix.scalars, result.cached)
        }
        #expect(try averages() == ([2.5, 3.5, 3.5, 4.5], false))
        #expect(try averages() == ([2.5, 3.5, 3.5, 4.5], true))
        try "a 1.5 2.5\nb 3.5 8.5\n".write(to: file, atomically: false, encoding: .utf8)
        var times = [status.st_mtim, status.st_mtim]
        #expect(utimensat(AT_FDCWD, file.path, &times, 0) == 0)
        #expect(try averages() == ([2.5, 5.5, 3.5, 8.5], false))
        #expect(try averages() == ([2.5, 5.5, 3.5, 8.5], true))
    }

    /// Loads `file` into a cache in `directory`, damages the database with `damage`, and
    /// checks that the next load reports it and still gives the right vectors.
    func checkRecovery(damage: (String) throws -> Void, expecting text: String) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("vectors.txt")
        try syntheticGlove(words: 2000, dimension: 50, seed: 2).write(to: file, atomically: true, encoding: .utf8)
        let expected = try EmbeddingFile.parse(path: file.path).store
        _ = try EmbeddingCache(directory: directory.path).load(path: file.path)
        // The damage happens between runs: the next one opens the cache anew.
        let cache = EmbeddingCache(directory: directory.path)
        try damage(cache.databasePath)
        let messages = Messages()
        let loaded = try cache.load(path: file.path, report: messages.add)
        #expect(!loaded.cached)
        #expect(loaded.store == expected)
        #expect(messages.contains(text), "\(messages.all)")
        let again = try cache.load(path: file.path)
        #expect(again.cached && again.store == expected)
    }

    @Test("a database overwritten with garbage is moved aside and recreated")
    func garbageDatabase() throws {
        var asideDirectory: String?
        try checkRecovery(
            damage: { path in
                asideDirectory = (path as NSString).deletingLastPathComponent
                let garbage = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }
                try Data(garbage).write(to: URL(fileURLWithPath: path))
            }, expecting: "moved it aside")
        _ = asideDirectory
    }

    @Test("a truncated database is reported and rebuilt")
    func truncatedDatabase() throws {
        try checkRecovery(
            damage: { path in
                let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
                #expect(truncate(path, off_t(size / 2)) == 0)
            }, expecting: "damaged")
    }

    /// The one store file in the cache folder beside `databasePath`.
    func storeFile(besides databasePath: String) throws -> String {
        let stores = (databasePath as NSString).deletingLastPathComponent + "/stores"
        let names = try FileManager.default.contentsOfDirectory(atPath: stores).filter { $0.hasSuffix(".tcemb") }
        #expect(names.count == 1, "\(names)")
        return stores + "/" + (names.first ?? "missing")
    }

    @Test("a store file with changed bytes is reported (checksum mismatch) and rebuilt")
    func checksumMismatch() throws {
        try checkRecovery(
            damage: { path in
                let file = try storeFile(besides: path)
                let handle = try FileHandle(forUpdating: URL(fileURLWithPath: file))
                try handle.seek(toOffset: 5000)
                try handle.write(contentsOf: Data(repeating: 0x5A, count: 64))
                try handle.close()
            }, expecting: "checksum mismatch")
    }

    @Test("a truncated store file is reported and rebuilt")
    func truncatedStoreFile() throws {
        try checkRecovery(
            damage: { path in
                let file = try storeFile(besides: path)
                let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as! Int
                #expect(truncate(file, off_t(size - 100)) == 0)
            }, expecting: "truncated or overwritten")
    }

    @Test("a store file overwritten with garbage is reported and rebuilt")
    func garbageStoreFile() throws {
        try checkRecovery(
            damage: { path in
                let file = try storeFile(besides: path)
                let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as! Int
                let garbage = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }
                try Data(garbage).write(to: URL(fileURLWithPath: file))
            }, expecting: "bad magic")
    }

    @Test("a missing store file is reported and rebuilt")
    func missingStoreFile() throws {
        try checkRecovery(
            damage: { path in
                let file = try storeFile(besides: path)
                #expect(unlink(file) == 0)
            }, expecting: "cannot open")
    }

    @Test("two threads building the same entry both get correct vectors, one entry")
    func concurrentBuild() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("vectors.txt")
        try syntheticGlove(words: 3000, dimension: 20, seed: 3).write(to: file, atomically: true, encoding: .utf8)
        let expected = try EmbeddingFile.parse(path: file.path).store
        let cache = EmbeddingCache(directory: directory.appendingPathComponent("c").path)
        let results = Messages()
        let messages = Messages()
        let path = file.path
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do {
                let loaded = try cache.load(path: path, report: messages.add)
                results.add(loaded.store == expected ? "ok" : "wrong")
            } catch {
                results.add("error \(error)")
            }
        }
        #expect(results.all == ["ok", "ok", "ok", "ok"], "\(results.all) \(messages.all)")
        #expect(try cache.list().count == 1)
        #expect((try cache.load(path: path)).cached)
    }

    @Test("a write interrupted mid-transaction leaves no visible entry")
    func interruptedWrite() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("vectors.txt")
        try syntheticGlove(words: 10, dimension: 3, seed: 4).write(to: file, atomically: true, encoding: .utf8)
        let cache = EmbeddingCache(directory: directory.path)
        let key = "\(EmbeddingCache.absolutePath(file.path))|auto|strict"
        try cache.simulateInterruptedWrite(key: key)
        #expect(try cache.list().isEmpty)
        // A real kill: another process begins a write and dies without committing.
        let python = "/usr/bin/python3"
        if FileManager.default.isExecutableFile(atPath: python) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [
                "-c",
                """
                import os, sqlite3, sys
                c = sqlite3.connect(sys.argv[1], isolation_level=None)
                c.execute('BEGIN IMMEDIATE')
                c.execute("INSERT INTO embedding_files(key, path, size, file) VALUES (?, 'partial', 1, 'x.tcemb')", (sys.argv[2],))
                os._exit(9)
                """,
                cache.databasePath, key,
            ]
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 9)
            #expect(try cache.list().isEmpty)
        }
        let loaded = try cache.load(path: file.path)
        #expect(!loaded.cached && loaded.store.count == 10)
        #expect((try cache.load(path: file.path)).cached)
    }

    @Test("averaged matrices round-trip and a corrupt one is discarded")
    func averaged() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = EmbeddingCache(directory: directory.path)
        #expect(cache.loadAveraged(key: "k") == nil)
        let values: [Float] = [1, -2, 3.5, 0, .leastNonzeroMagnitude, 6]
        try cache.storeAveraged(key: "k", rows: 2, dimension: 3, vectors: values)
        #expect(cache.loadAveraged(key: "k") == AveragedMatrix(rows: 2, dimension: 3, vectors: values))
        // Read straight into a tensor: the same bits; another shape is not this matrix.
        #expect(cache.loadAveragedTensor(key: "k", rows: 2, dimension: 3)?.scalars.map(\.bitPattern) == values.map(\.bitPattern))
        #expect(cache.loadAveragedTensor(key: "k", rows: 3, dimension: 2) == nil)
        #expect(cache.loadAveragedTensor(key: "other", rows: 2, dimension: 3) == nil)
        #expect(try cache.listAveraged() == ["k"])
        #expect(throws: EmbeddingError.self) { try cache.storeAveraged(key: "x", rows: 2, dimension: 2, vectors: values) }
        // A changed checksum, changed values, a blob of the wrong size, no blob: each read (as
        // an array and as a tensor) reports the entry corrupt and deletes it.
        let tampering = [
            "UPDATE averaged SET checksum = 'bad'", "UPDATE averaged SET vectors = zeroblob(24)",
            "UPDATE averaged SET vectors = zeroblob(8)", "UPDATE averaged SET vectors = NULL",
        ]
        for change in tampering {
            for asTensor in [false, true] {
                try cache.storeAveraged(key: "k", rows: 2, dimension: 3, vectors: values)
                try Connection(path: cache.databasePath).exec(change)
                let messages = Messages()
                let loaded = asTensor
                    ? cache.loadAveragedTensor(key: "k", rows: 2, dimension: 3, report: messages.add) != nil
                    : cache.loadAveraged(key: "k", report: messages.add) != nil
                #expect(!loaded, "\(change), tensor \(asTensor)")
                #expect(messages.contains("corrupt"), "\(change), tensor \(asTensor)")
                #expect(try cache.listAveraged().isEmpty, "\(change), tensor \(asTensor)")
            }
        }
    }

    @Test("a run whose averages are cached never loads the vectors; describe reads the index only")
    func lazyStore() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("vectors.txt")
        try syntheticGlove(words: 50, dimension: 6, seed: 3).write(to: file, atomically: true, encoding: .utf8)
        let cache = EmbeddingCache(directory: directory.appendingPathComponent("cache").path)
        #expect(cache.describe(path: file.path) == nil)
        let texts = ["word1 word2 unknown", "word3", "nothing known here"]
        let analyzer = try Analyzer(parsing: "lowercase,words")
        func fit(_ weighting: EmbeddingAverager.Weighting = .mean) throws -> (EmbeddingFeatures, LazyEmbeddingStore) {
            let (features, store) = try EmbeddingFeatures.fit(
                embeddings: file.path, format: nil, skipBadLines: false, text: analyzer, weighting: weighting,
                unknownWords: .skip, trainingTexts: texts, cache: cache, report: { _ in })
            return (features, store)
        }
        // Cold: no entry, so fitting loads (and caches) the vectors; averaging computes.
        let (cold, coldStore) = try fit()
        #expect(coldStore.isLoaded && cold.dimension == 6)
        let first = try cold.transform(texts, store: coldStore, cache: cache, report: { _ in })
        #expect(!first.cached)
        #expect(cache.describe(path: file.path).map { [$0.count, $0.dimension] } == [50, 6])
        // Warm: the width comes from the index and the matrix from the cache; the store stays unloaded.
        let (warm, warmStore) = try fit()
        #expect(warm == cold && !warmStore.isLoaded)
        let second = try warm.transform(texts, store: warmStore, cache: cache, report: { _ in })
        #expect(second.cached && second.matrix == first.matrix && !warmStore.isLoaded)
        // New texts need the vectors: loaded on demand, and equal to a direct computation.
        let fresh = try warm.transform(["word4 word5"], store: warmStore, cache: cache, report: { _ in })
        #expect(!fresh.cached && warmStore.isLoaded)
        #expect(fresh.matrix.scalars == (try cold.transform(["word4 word5"], store: coldStore, cache: nil, report: { _ in })).matrix.scalars)
        // TF-IDF weighting counts frequencies over the vocabulary, so it loads at once.
        #expect(try fit(.tfidf).1.isLoaded)
        // A changed file is not described (size differs), so the next fit loads and rebuilds.
        try syntheticGlove(words: 51, dimension: 6, seed: 3).write(to: file, atomically: true, encoding: .utf8)
        #expect(cache.describe(path: file.path) == nil)
        #expect(try fit().1.isLoaded)
        // A loader that fails is retried on the next call.
        let attempts = Messages()
        let flaky = LazyEmbeddingStore {
            attempts.add("try")
            if attempts.all.count == 1 { throw EmbeddingError.unreadable(path: "x", reason: "first try") }
            return try cache.load(path: file.path).store
        }
        #expect(throws: EmbeddingError.self) { try flaky.load() }
        #expect(!flaky.isLoaded)
        #expect(try flaky.load().dimension == 6 && flaky.isLoaded && attempts.all.count == 2)
    }

    @Test("skipped bad lines are reported and the policy is part of the key")
    func skipPolicy() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = EmbeddingCache(directory: directory.path)
        let bad = SharedData.fixture("embeddings/bad.glove.txt").path
        #expect(throws: EmbeddingError.self) { try cache.load(path: bad) }
        let messages = Messages()
        let loaded = try cache.load(path: bad, skipBadLines: true, report: messages.add)
        #expect(loaded.store.words == ["good", "fine"])
        #expect(messages.contains("skipped 4 bad line(s)"))
        #expect((try cache.load(path: bad, skipBadLines: true)).cached)
        #expect(throws: EmbeddingError.self) { try cache.load(path: bad) }
    }
}
