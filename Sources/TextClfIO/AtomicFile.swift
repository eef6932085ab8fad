import CTextClfKernels
import Foundation

/// Writes files so that they appear whole or not at all.
///
/// The bytes go to a temporary file beside the target (a ``TemporaryFile``, in the same
/// directory so that the final `rename` stays on one file system and is atomic), which is
/// flushed with `fsync` and then renamed over the target. On any error the temporary file
/// is removed and an existing target is left as it was.
///
/// After the rename the directory is flushed too, which makes the rename itself durable.
/// Several files that belong together go through a ``Batch``, which flushes them and their
/// directory once.
public enum AtomicFile {
    /// Writes `bytes` (the whole contents) to `path` atomically; its directory must exist.
    /// - Throws: ``TensorFileError`` when the temporary file cannot be created, written,
    ///   flushed or renamed.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try write(to: path) { output in try output.write(bytes) }
    }

    /// Writes `data` (the whole contents) to `path` atomically; its directory must exist.
    /// - Throws: ``TensorFileError`` when the temporary file cannot be created, written,
    ///   flushed or renamed.
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { output in
            try data.withUnsafeBytes { try output.write($0) }
        }
    }

    /// Streams the contents of `path` through `body`, then moves them into place atomically.
    ///
    /// Large outputs should use this rather than building the whole file in memory first.
    /// - Parameters:
    ///   - path: The target; its directory must exist.
    ///   - body: Writes the contents to the given output. If it throws, nothing is renamed
    ///     and the error is rethrown unchanged.
    /// - Throws: Whatever `body` throws, or ``TensorFileError`` for a file-system failure.
    public static func write(to path: String, _ body: (FileOutput) throws -> Void) throws {
        let staged = try Staged(path: path, body)
        do {
            try staged.sync()
            try staged.install()
        } catch {
            staged.discard()
            throw error
        }
        syncDirectories([staged.directory])
    }

    /// Flushes each directory once, which makes the renames into it durable; a failure here
    /// loses nothing already written.
    static func syncDirectories(_ directories: [String]) {
        var done = Set<String>()
        for directory in directories where done.insert(directory).inserted {
            let descriptor = open(directory, O_RDONLY | O_CLOEXEC)
            if descriptor >= 0 {
                _ = fsync(descriptor)
                closeDescriptor(descriptor)
            }
        }
    }

    /// Files written together: each goes to its temporary file as it is added, and
    /// ``commit()`` flushes them all, renames them into place in the order they were added,
    /// and flushes each directory once.
    ///
    /// Each file's write-back starts as soon as it is written (on Linux), so that the flushes
    /// at the end find the data on its way and mostly wait for the journal. Every file is its
    /// own file, also when its bytes repeat another's in the batch. Files not committed (an
    /// error, or a batch dropped without ``commit()``) are removed; targets keep their old
    /// contents.
    public final class Batch {
        private var staged: [Staged] = []

        public init() {}

        deinit {
            for file in staged { file.discard() }
        }

        /// Writes `bytes` to a temporary file beside `path`, to be moved there by ``commit()``.
        /// - Throws: ``TensorFileError`` when the temporary file cannot be created or written.
        public func add(_ bytes: [UInt8], to path: String) throws {
            staged.append(try Staged(path: path, startWriteback: true) { try $0.write(bytes) })
        }

        /// Writes `data` to a temporary file beside `path`, to be moved there by ``commit()``.
        /// - Throws: ``TensorFileError`` when the temporary file cannot be created or written.
        public func add(_ data: Data, to path: String) throws {
            staged.append(try Staged(path: path, startWriteback: true) { output in try data.withUnsafeBytes { try output.write($0) } })
        }

        /// Flushes every file, then renames each into place in the order added, then flushes
        /// their directories. On an error, the files not yet renamed are removed.
        /// - Throws: ``TensorFileError`` naming the file that could not be flushed or moved.
        public func commit() throws {
            let files = staged
            staged = []
            var installed = 0
            do {
                for file in files { try file.sync() }
                for file in files {
                    try file.install()
                    installed += 1
                }
            } catch {
                for file in files[installed...] { file.discard() }
                throw error
            }
            syncDirectories(files.map(\.directory))
        }
    }

    /// A target's contents written to a temporary file beside it, not yet flushed or moved.
    final class Staged {
        let path: String
        let temporary: String
        let directory: String
        /// The open temporary file.
        private let output: FileOutput

        /// Creates the temporary file and writes it through `body` (its buffer emptied), then,
        /// with `startWriteback` (on Linux), asks the kernel to start writing it to disk.
        init(path: String, startWriteback: Bool = false, _ body: (FileOutput) throws -> Void) throws {
            directory = Self.directory(of: path)
            self.path = path
            guard let (temporary, descriptor) = TemporaryFile.create(for: path) else {
                throw TensorFileError(path: path, message: "cannot create a temporary file in '\(directory)': \(errnoText())")
            }
            self.temporary = temporary
            let output = FileOutput(descriptor: descriptor, path: path)
            self.output = output
            do {
                try body(output)
                try output.flush()
            } catch {
                discard()
                throw error
            }
            if startWriteback { _ = textclf_start_writeback(descriptor) }
        }

        /// The folder of `path`.
        private static func directory(of path: String) -> String {
            // As a string: `URL` is slow to build.
            guard let slash = path.lastIndex(of: "/") else { return "." }
            return slash == path.startIndex ? "/" : String(path[..<slash])
        }

        /// Flushes the temporary file to disk.
        func sync() throws {
            guard fsync(output.descriptorForSync) == 0 else {
                throw TensorFileError(path: path, message: "cannot flush to disk: \(errnoText())")
            }
        }

        /// Closes the temporary file and renames it over the target.
        func install() throws {
            output.close()
            guard rename(temporary, path) == 0 else {
                throw TensorFileError(path: path, message: "cannot move the finished file into place: \(errnoText())")
            }
        }

        /// Closes and removes the temporary file.
        func discard() {
            output.close()
            unlink(temporary)
        }
    }
}

// libc's `write` and `close`, which FileOutput's methods of the same names hide inside it.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
private func closeDescriptor(_ descriptor: Int32) { _ = close(descriptor) }

/// The text of the current `errno`.
func errnoText() -> String { String(cString: strerror(errno)) }

/// A buffered, append-only output file that can patch bytes it has already written.
///
/// The patching is what lets the ZIP writer stream a member of unknown checksum: it writes a
/// placeholder local header, streams the data while checksumming, then fills the header in.
/// Writes are gathered into a 1 MiB buffer so that many small pieces (text lines, converted
/// chunks) cost few system calls; large writes bypass the buffer.
public final class FileOutput {
    private var descriptor: Int32
    /// The target path, for error messages.
    public let path: String
    private var buffer: [UInt8] = []
    private let bufferCapacity = 1 << 20
    /// The number of bytes written so far, buffered or not: the offset of the next byte.
    public private(set) var offset: Int = 0

    init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// The open file, for `fsync` (-1 once closed).
    var descriptorForSync: Int32 { descriptor }

    deinit { close() }

    func close() {
        if descriptor >= 0 {
            closeDescriptor(descriptor)
            descriptor = -1
        }
    }

    /// Appends bytes.
    /// - Throws: ``TensorFileError`` when the file system refuses them (e.g. disk full).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        if buffer.count + bytes.count > bufferCapacity || bytes.count >= bufferCapacity / 2 { try flush() }
        if bytes.count >= bufferCapacity / 2 {
            try writeAll(bytes)
        } else {
            // Grown as needed up to the buffer's size: a small file does not take a megabyte.
            if buffer.capacity < buffer.count + bytes.count {
                buffer.reserveCapacity(Swift.min(bufferCapacity, Swift.max(2 * (buffer.count + bytes.count), 1 << 16)))
            }
            buffer.append(contentsOf: bytes)
        }
        offset += bytes.count
    }

    /// Appends bytes.
    /// - Throws: ``TensorFileError`` when the file system refuses them.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Appends the UTF-8 bytes of `text`.
    /// - Throws: ``TensorFileError`` when the file system refuses them.
    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    /// Overwrites the bytes written earlier at `position`, without moving the end of the
    /// file; `position + bytes.count` must not exceed ``offset``.
    /// - Throws: ``TensorFileError`` when the file system refuses them.
    public func overwrite(_ bytes: [UInt8], at position: Int) throws {
        precondition(position >= 0 && position + bytes.count <= offset, "overwrite past the written end of \(path)")
        try flush()
        try bytes.withUnsafeBytes { try writeAll($0, at: position) }
    }

    /// Writes the buffered bytes to the file.
    /// - Throws: ``TensorFileError`` when the file system refuses them.
    public func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes all of `bytes` at the end of the file, or at `position` when given.
    private func writeAll(_ bytes: UnsafeRawBufferPointer, at position: Int? = nil) throws {
        var done = 0
        while done < bytes.count {
            let start = bytes.baseAddress! + done
            let count = position.map { pwrite(descriptor, start, bytes.count - done, off_t($0 + done)) }
                ?? systemWrite(descriptor, start, bytes.count - done)
            if count < 0 {
                if errno == EINTR { continue }
                throw TensorFileError(path: path, message: "write failed: \(errnoText())")
            }
            done += count
        }
    }
}
