import Foundation
import Testing

/// Locates the shared corpora (`../shared/data` beside the repository, or
/// `$TEXTCLF_SHARED_DATA`) and the committed test fixtures.
///
/// Tests that need the corpora use `.enabled(if: SharedData.isAvailable, ...)` so
/// that the suite passes, with a clear skip message, where they are absent.
public enum SharedData {
    /// The repository root, found from this file's location.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TextClfTestSupport
        .deletingLastPathComponent()  // Sources
        .deletingLastPathComponent()

    /// The shared data folder, or `nil` when it is absent.
    public static let directory: URL? = {
        let environment = ProcessInfo.processInfo.environment["TEXTCLF_SHARED_DATA"]
        let candidate = environment.map { URL(fileURLWithPath: $0) }
            ?? repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory),
            isDirectory.boolValue
        else { return nil }
        return candidate
    }()

    /// Whether the shared corpora are present.
    public static var isAvailable: Bool { directory != nil }

    /// The skip message shown when they are not.
    public static let skipMessage: Comment =
        "needs the shared corpora at ../shared/data (or set TEXTCLF_SHARED_DATA); skipped"

    /// The URL of `relativePath` inside the shared data folder.
    public static func url(_ relativePath: String) -> URL? {
        directory?.appendingPathComponent(relativePath)
    }

    /// The URL of a committed fixture, `Tests/Fixtures/<relativePath>`.
    public static func fixture(_ relativePath: String) -> URL {
        repositoryRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(relativePath)
    }
}
