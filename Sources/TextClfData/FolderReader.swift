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

    /// The label folders and, for each, its document file paths, in reading order.
    static func layout(path: String) throws -> [(label: String, files: [String])] {
        var result: [(String, [String])] = []
        for label in try names(in: path) {
            let folder = (path as NSString).appendingPathComponent(label)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            let files = try names(in: folder).map { (folder as NSString).appendingPathComponent($0) }.filter { file in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) && !isDirectory.boolValue
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

    /// Reads every document.
    static func read(path: String, options: CorpusOptions, _ body: (LabeledDocument) throws -> Void) throws {
        var produced = 0
        for (label, files) in try layout(path: path) {
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
