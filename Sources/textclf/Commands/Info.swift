import ArgumentParser
import COpenBLAS
import CSQLite
import CUtf8proc

/// `textclf info`: the version and the system libraries in use.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show textclf's version and the system libraries it runs on.",
        discussion: """
            Prints the versions of utf8proc (Unicode), OpenBLAS (dense linear algebra, with \
            its build configuration and thread count) and SQLite (on-disk caches). Use it to \
            check an installation.

            Example:
              textclf info
            """).subcommandOfTextclf()

    func run() throws {
        let blasConfig = openblas_get_config().map { String(cString: $0) } ?? "unknown"
        print("textclf \(TextClfVersion.current)")
        print("utf8proc \(String(cString: utf8proc_version())) (Unicode \(String(cString: utf8proc_unicode_version())))")
        print("OpenBLAS \(blasConfig), \(openblas_get_num_threads()) threads")
        print("SQLite \(String(cString: sqlite3_libversion()))")
    }
}
