// Folder-per-label corpora (scikit-learn's load_files layout).

import Foundation

/// Reads `DIR/<label>/<file>` corpora.
enum FolderReader {
    /// The names in `folder` but hidden ones, sorted by code point as Python's `sorted()` does.
    static func names(in folder: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }
                .sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        } catch {
            throw CorpusError(.unreadable, path: folder, message: "cannot list the folder: \(error.localizedDescription)")
        }
    }

    /// The links skipped because they lead out of the corpus folder.
    struct OutsideLinks {
        /// How many there were.
        var count = 0
        /// The first, in reading order.
        var first: String?
    }

    /// `path` with every link resolved (`realpath`), or `nil` when it cannot be resolved (a
    /// missing target, a loop of links).
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Whether `path` is a link whose target lies outside the folder whose real path is `root`.
    /// A link that cannot be resolved is not: it is skipped as a missing entry.
    static func leaves(_ path: String, root: String) -> Bool {
        var status = stat()
        guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFLNK, let target = realPath(path) else {
            return false
        }
        // Byte comparisons: String's `==` and `hasPrefix` compare canonically equivalent text.
        let inside = root == "/" ? Array("/".utf8) : Array(root.utf8) + [0x2F]
        return !(target.utf8.elementsEqual(root.utf8) || target.utf8.starts(with: inside))
    }

    /// The label folders and, for each, its document file paths, in reading order. Links, to
    /// label folders or to files, are followed while they stay inside the corpus folder; those
    /// that lead out of it are skipped and counted in `outside`.
    static func layout(path: String, outside: inout OutsideLinks) throws -> [(label: String, files: [String])] {
        guard let root = realPath(path) else {
            throw CorpusError(.unreadable, path: path, message: "cannot resolve the folder's path")
        }
        func skip(_ entry: String) -> Bool {
            guard leaves(entry, root: root) else { return false }
            outside.count += 1
            if outside.first == nil { outside.first = entry }
            return true
        }
        var result: [(String, [String])] = []
        for label in try names(in: path) {
            let folder = (path as NSString).appendingPathComponent(label)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            if skip(folder) { continue }
            let files = try names(in: folder).map { (folder as NSString).appendingPathComponent($0) }.filter { file in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) && !isDirectory.boolValue
                    && !skip(file)
            }
            result.append((label, files))
        }
        if result.isEmpty {
            throw CorpusError(
                .noLabelFolders, path: path,
                message: "the folder has no label folders (expected DIR/<label>/<file>)")
        }
        return result
    }

    /// Reads every document; links that lead out of the folder are skipped, with one warning.
    static func read(
        path: String, options: CorpusOptions, warn: (String) -> Void, _ body: (LabeledDocument) throws -> Void
    ) throws {
        var outside = OutsideLinks()
        let layout = try layout(path: path, outside: &outside)
        if let first = outside.first {
            warn("\(path): skipped \(outside.count) link\(outside.count == 1 ? "" : "s") that leave\(outside.count == 1 ? "s" : "") the folder (first: \(first))")
        }
        var produced = 0
        for (label, files) in layout {
            if !files.isEmpty {
                try CorpusError.checkLabel(label, path: (path as NSString).appendingPathComponent(label), line: nil)
            }
            for file in files {
                let text = try withFileBytes(path: file, encoding: options.encoding, errors: options.decodeErrors) { ctx in
                    try ctx.decode(ctx.start, ctx.count)
                }
                produced += 1
                try body(LabeledDocument(text: text, label: label, source: DocumentSource(path: file)))
            }
        }
        if produced == 0 {
            throw CorpusError(.emptyCorpus, path: path, message: "the label folders hold no files")
        }
    }
}
