import Foundation
import Testing
import TextClfFeatures
import TextClfTestSupport

/// Timings of parsing and cached loading of the shared GloVe subset (or `$TEXTCLF_EMB_BENCH_FILE`).
/// Runs only when `TEXTCLF_EMB_BENCH=1`; use a release build:
/// `TEXTCLF_EMB_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter EmbeddingBenchmark`.
@Suite("Embedding benchmark")
struct EmbeddingBenchmarkTests {
    static let enabled = ProcessInfo.processInfo.environment["TEXTCLF_EMB_BENCH"] == "1" && SharedData.isAvailable

    @Test("parse and cached-load timings", .enabled(if: enabled, "set TEXTCLF_EMB_BENCH=1 (needs the shared data)"))
    func timings() throws {
        let path = ProcessInfo.processInfo.environment["TEXTCLF_EMB_BENCH_FILE"]
            ?? SharedData.url("glove/glove.6B.50d.sst2-sms.txt")!.path
        func best(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
            var best = Double.infinity
            for _ in 0..<runs {
                let start = DispatchTime.now().uptimeNanoseconds
                try body()
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            return best
        }
        let parse = try best(5) { _ = try EmbeddingFile.parse(path: path) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-emb-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = EmbeddingCache(directory: directory.path)
        let build = try best(1) { _ = try cache.load(path: path) }
        var allCached = true
        let cached = try best(5) { allCached = try cache.load(path: path).cached && allCached }
        #expect(allCached)
        print("embedding bench: \(path): parse \(parse) ms, first cache load (parse + store) \(build) ms, cached load \(cached) ms")
    }
}
