// Folder-per-label corpora (scikit-learn's load_files layout).

import Foundation

/// Reads `DIR/<label>/<file>` corpora.
enum FolderReader {
    /// Sorts names by code point, as Python's `sorted()` does.
    static func pythonSorted(_ names: [String]) -> [String] {
        names.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
    }

    /// The label folders and, for each, its document file paths, in reading order.
    static func layout(path: String) throws -> [(label: String, files: [String])] {
        let manager = FileManager.default
        let entries: [String]
        do {
            entries = try manager.contentsOfDirectory(atPath: path)
        } catch {
            throw CorpusError(.unreadable, path: path, message: "cannot list the folder: \(error.localizedDescription)")
        }
        var result: [(String, [String])] = []
        for label in pythonSorted(entries) where !label.hasPrefix(".") {
            let folder = (path as NSString).appendingPathComponent(label)
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            let names: [String]
            do {
                names = try manager.contentsOfDirectory(atPath: folder)
            } catch {
                throw CorpusError(.unreadable, path: folder, message: "cannot list the folder: \(error.localizedDescription)")
            }
            var files: [String] = []
            for name in pythonSorted(names) where !name.hasPrefix(".") {
                let file = (folder as NSString).appendingPathComponent(name)
                var isDir: ObjCBool = false
                if manager.fileExists(atPath: file, isDirectory: &isDir), !isDir.boolValue { files.append(file) }
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
