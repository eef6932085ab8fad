// textclf-bench: in-process timings of textclf's stages on a corpus, for comparison with
// the reference tools timed by Benchmarks/reference.py on the same documents.
//
//   textclf-bench analyze FILE --text STAGES [--repeat N] [--encoding latin-1]
//
// Reads the corpus once (not timed), then runs a fresh analyzer worker over every document
// N times (so each run starts with a cold stem cache) and prints one JSON line: the median,
// minimum and maximum seconds, documents, tokens and UTF-8 megabytes per second.
import Foundation
import TextClf

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("textclf-bench: \(message)\n".utf8))
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.first == "analyze", arguments.count >= 2 else {
    fail("usage: textclf-bench analyze FILE --text STAGES [--repeat N] [--encoding latin-1]")
}
let path = arguments[1]
var stages = "lowercase,sklearn"
var repeats = 7
var encoding = TextEncoding.utf8
var index = 2
while index < arguments.count {
    guard index + 1 < arguments.count else { fail("\(arguments[index]) needs a value") }
    let value = arguments[index + 1]
    switch arguments[index] {
    case "--text": stages = value
    case "--repeat":
        guard let count = Int(value), count > 0 else { fail("bad --repeat \(value)") }
        repeats = count
    case "--encoding":
        guard let named = TextEncoding(name: value) else { fail("bad --encoding \(value)") }
        encoding = named
    default: fail("unknown option \(arguments[index])")
    }
    index += 2
}

let documents: [String]
do {
    documents = try CorpusReader.readAll(
        path: path, options: CorpusOptions(encoding: encoding, labelRequired: false)
    ).map(\.text)
} catch {
    fail("\(error)")
}
let analyzer: Analyzer
do { analyzer = try Analyzer(parsing: stages) } catch { fail("\(error)") }
let bytes = documents.reduce(0) { $0 + $1.utf8.count }

var seconds: [Double] = []
var tokenCount = 0
for _ in 0..<repeats {
    let worker = analyzer.makeWorker()
    var tokens = 0
    let start = DispatchTime.now().uptimeNanoseconds
    for document in documents {
        tokens += worker.withTokens(of: document) { $0.count }
    }
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    seconds.append(elapsed)
    tokenCount = tokens
}
seconds.sort()
let median = seconds[seconds.count / 2]
let result: [String: Any] = [
    "tool": "textclf", "stages": stages, "path": path, "documents": documents.count,
    "tokens": tokenCount, "megabytes": Double(bytes) / 1e6, "repeats": repeats,
    "median_s": median, "min_s": seconds.first!, "max_s": seconds.last!,
    "mb_per_s": Double(bytes) / 1e6 / median,
]
let json = try! JSONSerialization.data(withJSONObject: result, options: [.sortedKeys, .withoutEscapingSlashes])
print(String(decoding: json, as: UTF8.self))
