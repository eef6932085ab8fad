import Foundation
import TextClf

/// The `--json FILE` summaries of `train`, `cv`, `search` and `vectorize`: one format for all.
enum SummaryFile {
    /// Writes `summary` to `path` atomically as pretty JSON with sorted keys, slashes as they
    /// are, NaN and infinities as the strings `nan`, `inf` and `-inf`, and a final newline.
    static func write(_ summary: some Encodable, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try AtomicFile.write(try encoder.encode(summary) + Data("\n".utf8), to: path)
    }
}
