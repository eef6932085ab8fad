import ArgumentParser
import Foundation
import TextClf

/// `textclf cache`: what the on-disk cache holds, and clearing it.
struct Cache: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "List or clear the on-disk cache of parsed embeddings and averaged documents.",
        discussion: """
            The cache is a SQLite database, embeddings.sqlite, in the cache folder \
            ($TEXTCLF_CACHE_DIR, else ~/.cache/textclf, or --cache-dir). Each embeddings file \
            is parsed once; later loads read the cached binary copy, which is checked against \
            the file's size, modification time and a content hash, and rebuilt when the file \
            changed. Averaged document matrices are cached by their texts and options. \
            'clear' empties the database and creates nothing where there is none. A build \
            that is interrupted (Ctrl-C, kill -9) leaves its temporary store file behind; \
            'list' counts such files, and the next build and 'clear' remove them. The GPU \
            kernels compiled for an NVIDIA GPU (--device cuda) are kept in the folder's \
            kernels/; 'list' counts them and 'clear' removes them (they are compiled again at \
            their next use).

            Examples:
              textclf cache list
              textclf cache clear --cache-dir /tmp/textclf-cache
            """).subcommandOfTextclf()

    enum Action: String, ExpressibleByArgument, CaseIterable { case list, clear }

    @Argument(help: "list or clear.")
    var action: Action

    @Option(help: ArgumentHelp("The cache folder.", valueName: "dir"))
    var cacheDir: String?

    func run() throws {
        let cache = EmbeddingCache(directory: cacheDir)
        let kernels = CUDA.cachedKernelImages(folder: cache.directory)
        switch action {
        case .list:
            let entries = try cache.list()
            let averaged = try cache.listAveraged()
            print("\(cache.databasePath)")
            for entry in entries {
                print(String(format: "  %@  %d words × %d, %.1f MB, %@", entry.path, entry.count, entry.dimension,
                             Double(entry.bytes) / 1e6, entry.format))
            }
            print("  \(entries.count) embeddings file(s), \(averaged.count) averaged matri\(averaged.count == 1 ? "x" : "ces")")
            if !kernels.isEmpty {
                print(String(
                    format: "  %d compiled GPU kernel image(s), %.1f MB, in %@/kernels", kernels.count,
                    Double(kernels.reduce(0) { $0 + $1.bytes }) / 1e6, cache.directory))
            }
            let stale = cache.staleTemporaryFiles()
            if !stale.isEmpty {
                print(String(
                    format: "  %d temporary store file(s), %.1f MB, left by interrupted builds; the next build or 'textclf cache clear' removes them",
                    stale.count, Double(stale.reduce(0) { $0 + $1.bytes }) / 1e6))
            }
        case .clear:
            if try CUDA.removeCachedKernelImages(folder: cache.directory) > 0 {
                print("removed \(kernels.count) compiled GPU kernel image(s) from \(cache.directory)/kernels")
            }
            if try cache.clear() {
                print("cleared \(cache.databasePath)")
            } else {
                print("nothing to clear: \(cache.databasePath) does not exist")
            }
        }
    }
}
