import Foundation

/// The temporary files that textclf writes beside their targets before moving them into place
/// (`.<name>.tmp-<pid>-<random>`), and the clean-up of those that a killed process left.
///
/// The process that creates one holds an exclusive `flock` on it until it is renamed or
/// removed; the kernel releases the lock when the process ends, however it ends. A temporary
/// file is *stale* when nobody holds its lock and the process named in it is gone (or is
/// this one: its lock would be held). The process check covers the moment between creating
/// a file and locking it.
public enum TemporaryFile {
    /// Creates a new, locked temporary file for `path` in the same folder.
    /// - Parameter mode: `O_WRONLY` or `O_RDWR`.
    /// - Returns: Its path and open descriptor, or `nil` with `errno` set.
    public static func create(for path: String, mode: Int32 = O_WRONLY) -> (path: String, descriptor: Int32)? {
        let slash = path.lastIndex(of: "/")
        let prefix = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = prefix + ".\(name)\(marker)\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
        let descriptor = open(temporary, mode | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { return nil }
        _ = flock(descriptor, LOCK_EX | LOCK_NB)
        return (temporary, descriptor)
    }

    /// What sets a temporary file's name apart.
    static let marker = ".tmp-"

    /// The stale temporary files in `directory` (none when it cannot be read).
    /// - Returns: Each one's path and size in bytes.
    public static func stale(in directory: String) -> [(path: String, bytes: Int)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var found: [(path: String, bytes: Int)] = []
        for name in names where name.hasPrefix(".") && name.contains(marker) {
            let path = directory + "/" + name
            if let process = Self.process(named: name), process == getpid() || kill(process, 0) == 0 || errno != ESRCH {
                continue
            }
            let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            var status = stat()
            guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG,
                flock(descriptor, LOCK_EX | LOCK_NB) == 0
            else { continue }
            found.append((path, Int(status.st_size)))
        }
        return found.sorted { $0.path < $1.path }
    }

    /// Removes the stale temporary files in `directory`.
    /// - Returns: How many were removed, and their bytes.
    @discardableResult
    public static func removeStale(in directory: String) -> (count: Int, bytes: Int) {
        var removed = (count: 0, bytes: 0)
        for file in stale(in: directory) where unlink(file.path) == 0 {
            removed.count += 1
            removed.bytes += file.bytes
        }
        return removed
    }

    /// The process id written in a temporary file's name, when it has one (`…tmp-<pid>-…`).
    private static func process(named name: String) -> pid_t? {
        guard let range = name.range(of: marker, options: .backwards) else { return nil }
        let rest = name[range.upperBound...]
        guard let dash = rest.firstIndex(of: "-") else { return nil }
        return pid_t(rest[..<dash])
    }
}
