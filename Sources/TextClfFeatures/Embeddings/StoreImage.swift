import Foundation
import TextClfIO
import TextClfTensor

/// The bytes of a store file (``EmbeddingStoreFile``) while a parse writes them, and the
/// memory a parsed ``EmbeddingStore`` then reads in place: a parse writes every vector straight
/// into its row of the image, so a parsed file is never copied.
/// - A *file* image is a shared, writable mapping of a temporary file beside the store file's
///   final path (Linux). Its blocks are reserved with `posix_fallocate` before anything is
///   written, so a full disk is an error and never a `SIGBUS`. ``commit(to:size:)`` renames it
///   into place without `fsync`: a load checks the checksum over all of it, so a store file
///   damaged by a power cut is rebuilt like any corrupt one.
/// - A *memory* image is anonymous memory; ``commit(to:size:)`` writes it with `AtomicFile`.
///
/// The image maps `capacity` bytes of address space up front (an upper bound on the store
/// file's size); only the pages written are ever backed by memory or disk.
final class StoreImage: @unchecked Sendable {
    /// The first byte of the mapping.
    let base: UnsafeMutableRawPointer
    /// The mapped length: an upper bound on the store file's size.
    let capacity: Int
    /// The temporary file behind a file image; `nil` for memory.
    private(set) var temporaryPath: String?
    private var descriptor: Int32 = -1
    /// How many bytes of the temporary file are reserved (its size).
    private var reserved = 0

    private init(base: UnsafeMutableRawPointer, capacity: Int, temporaryPath: String?, descriptor: Int32) {
        self.base = base
        self.capacity = capacity
        self.temporaryPath = temporaryPath
        self.descriptor = descriptor
    }

    deinit {
        munmap(base, capacity)
        if descriptor >= 0 { close(descriptor) }
        if let temporaryPath { unlink(temporaryPath) }
    }

    /// Whether the image is a mapping of a temporary file.
    var isFile: Bool { temporaryPath != nil }

    /// Anonymous memory of `capacity` bytes (zero pages until written).
    static func memory(capacity: Int) throws(EmbeddingError) -> StoreImage {
        let length = max(capacity, 1)
        guard let mapped = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            mapped != MAP_FAILED
        else {
            throw .cache("cannot reserve \(length) bytes of memory for the vectors: \(String(cString: strerror(errno)))")
        }
        return StoreImage(base: mapped, capacity: length, temporaryPath: nil, descriptor: -1)
    }

    /// A shared mapping of a new temporary file beside `path`, `capacity` bytes long, whose
    /// first `size` bytes are reserved on disk; `nil` when the file cannot be made, reserved
    /// or mapped (always, off Linux).
    static func file(beside path: String, capacity: Int, size: Int) -> StoreImage? {
        #if os(Linux)
        guard let (temporary, descriptor) = TemporaryFile.create(for: path, mode: O_RDWR) else { return nil }
        let length = max(capacity, 1)
        guard let mapped = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0), mapped != MAP_FAILED
        else {
            close(descriptor)
            unlink(temporary)
            return nil
        }
        let image = StoreImage(base: mapped, capacity: length, temporaryPath: temporary, descriptor: descriptor)
        return image.reserve(size) ? image : nil
        #else
        return nil
        #endif
    }

    /// Makes the first `size` bytes writable: for a file image, reserves them on disk.
    /// - Returns: `false` when the disk cannot hold them (the image must not be written
    ///   beyond what was reserved before).
    func reserve(_ size: Int) -> Bool {
        precondition(size <= capacity, "store image: \(size) bytes exceed the mapped \(capacity)")
        guard descriptor >= 0, size > reserved else { return true }
        #if os(Linux)
        guard posix_fallocate(descriptor, off_t(reserved), off_t(size - reserved)) == 0 else { return false }
        reserved = size
        return true
        #else
        return false
        #endif
    }

    /// A memory image holding a copy of the first `bytes` bytes of this one (used when a file
    /// image cannot grow because the disk is full).
    func copyToMemory(bytes: Int) throws(EmbeddingError) -> StoreImage {
        let copy = try StoreImage.memory(capacity: capacity)
        copy.base.copyMemory(from: base, byteCount: bytes)
        return copy
    }

    /// Ends writing: the image becomes read-only; a file image is cut to `size` bytes.
    func seal(size: Int) {
        if descriptor >= 0 { _ = ftruncate(descriptor, off_t(size)) }
        _ = mprotect(base, capacity, PROT_READ)
    }

    /// Removes the temporary file of a file image that will not be committed; the mapping
    /// stays readable.
    func discardFile() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        if let temporaryPath {
            unlink(temporaryPath)
            self.temporaryPath = nil
        }
    }

    /// Moves the finished image (`size` bytes) to `path`: renames a file image, writes a
    /// memory image through `AtomicFile`. On failure nothing is left behind
    /// and the image stays usable in memory.
    func commit(to path: String, size: Int) throws(EmbeddingError) {
        if let temporaryPath {
            close(descriptor)
            descriptor = -1
            self.temporaryPath = nil
            guard rename(temporaryPath, path) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporaryPath)
                throw .cache("cannot move the store file into place at \(path): \(reason)")
            }
            return
        }
        do {
            try AtomicFile.write(to: path) { output in
                try output.write(UnsafeRawBufferPointer(start: base, count: size))
            }
        } catch {
            throw .cache("cannot write the store file \(path): \(error)")
        }
    }
}
