import Foundation
import Testing

@testable import TextClfIO

/// Temporary files left by killed processes are found and removed; those of live writers,
/// this process's included, are left alone.
@Suite("Temporary files")
struct TemporaryFileTests {
    /// The id of a process that has ended.
    static func endedProcess() throws -> pid_t {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    @Test("a killed writer's file is stale; this process's, a live one's and a locked one are not")
    func staleness() throws {
        let scratch = try ScratchDirectory()
        let ended = try Self.endedProcess()
        // What `kill -9` during a save leaves: the name of an ended process, no lock.
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: scratch.file(".model.json.tmp-\(ended)-abc")))
        // A name without a process id (as older builds wrote), not locked.
        try Data([4]).write(to: URL(fileURLWithPath: scratch.file(".vectorizer.json.tmp-xyz")))
        // A live process's (pid 1 never ends).
        try Data([5]).write(to: URL(fileURLWithPath: scratch.file(".a.bin.tmp-1-abc")))
        // This process's own, open and locked.
        let own = try #require(TemporaryFile.create(for: scratch.file("model.safetensors")))
        defer { close(own.descriptor) }
        #expect(own.path.hasPrefix(scratch.file(".model.safetensors.tmp-\(getpid())-")))
        // A file that names an ended process but that another process holds locked.
        let held = scratch.file(".b.bin.tmp-\(ended)-def")
        try Data([6]).write(to: URL(fileURLWithPath: held))
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [held, "sleep", "30"]
        try holder.run()
        defer { holder.terminate() }
        // flock(1) takes the lock just after it starts.
        var locked = false
        for _ in 0..<200 where !locked {
            let descriptor = open(held, O_RDONLY)
            locked = flock(descriptor, LOCK_EX | LOCK_NB) != 0
            close(descriptor)
            if !locked { usleep(10_000) }
        }
        try #require(locked, "flock(1) did not lock \(held)")
        // Ordinary files are never touched.
        try Data([7]).write(to: URL(fileURLWithPath: scratch.file("model.json")))

        let stale = TemporaryFile.stale(in: scratch.path)
        #expect(stale.map { ($0.path as NSString).lastPathComponent } == [".model.json.tmp-\(ended)-abc", ".vectorizer.json.tmp-xyz"])
        #expect(stale.map(\.bytes) == [3, 1])
        let removed = TemporaryFile.removeStale(in: scratch.path)
        #expect(removed.count == 2 && removed.bytes == 4)
        #expect(scratch.contents() == [".a.bin.tmp-1-abc", ".b.bin.tmp-\(ended)-def", (own.path as NSString).lastPathComponent, "model.json"].sorted())
        #expect(TemporaryFile.stale(in: scratch.path + "/missing").isEmpty)
    }

    @Test("an atomic write's temporary file names this process, so no clean-up takes it while it is written")
    func atomicWritesAreHeld() throws {
        let scratch = try ScratchDirectory()
        try AtomicFile.write(to: scratch.file("out.bin")) { output in
            try output.write([1, 2])
            #expect(TemporaryFile.stale(in: scratch.path).isEmpty)
            #expect(scratch.contents().count == 1 && scratch.contents()[0].hasPrefix(".out.bin.tmp-\(getpid())-"))
        }
        #expect(scratch.contents() == ["out.bin"])
    }
}
