// textclf-bench: in-process timings of textclf's stages, for comparison with the reference
// tools timed by Benchmarks/reference.py and Benchmarks/reference_torch.py.
//
//   textclf-bench analyze FILE --text STAGES [--repeat N] [--encoding latin-1]
//   textclf-bench mlp [--steps N] [--threads T] [--device cpu|reference]
//   textclf-bench sparse-linear NPZ [--steps N] [--threads T]
//   textclf-bench embeddings FILE [--repeat N]
//   textclf-bench fit [--epochs N] [--repeat N] [--threads T]
//
// mlp: forward + backward + Adam step of an MLP 300 -> 256 -> 256 -> 2 (ReLU) on a dense batch
// of 256, cross-entropy; sparse-linear: the same for Linear(columns, 2) on batches of 256 CSR
// rows of NPZ (never densified). Both print {"median_ms", "min_ms", "steps", "threads"}.
// embeddings: parse time, first load through a fresh cache (parse + store) and cached load
// of a GloVe/word2vec file, medians in ms.
// fit: Trainer.fit with the SMS spam recipe's shapes on synthetic data (4,458 training rows
// and 1,115 validation rows of 50 dense features, 2 classes, MLP 50 -> 15 -> 2 with dropout
// 0.4, Adam lr 0.01, batch 64): the per-step overhead of small models. Prints the median
// seconds of the whole fit and microseconds per optimizer step (validation included).
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
if arguments.first == "embeddings" {
    guard arguments.count >= 2 else { fail("usage: textclf-bench embeddings FILE [--repeat N]") }
    let repeats = arguments.count >= 4 && arguments[2] == "--repeat" ? Int(arguments[3]) ?? 5 : 5
    func median(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return times.sorted()[times.count / 2]
    }
    do {
        let path = arguments[1]
        // Every store stays alive until the end, so that no timing includes unmapping another.
        var kept: [EmbeddingStore] = []
        let parse = try median(repeats) { kept.append(try EmbeddingFile.parse(path: path).store) }
        var firstLoads: [Double] = []
        var cachedLoads: [Double] = []
        for _ in 0..<repeats {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-bench-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let cache = EmbeddingCache(directory: directory.path)
            firstLoads.append(try median(1) { kept.append(try cache.load(path: path).store) })
            cachedLoads.append(try median(1) {
                let loaded = try cache.load(path: path)
                guard loaded.cached else { fail("the second load was not served by the cache") }
                kept.append(loaded.store)
            })
        }
        let result: [String: Any] = [
            "path": path, "parse_ms": parse, "first_load_ms": firstLoads.sorted()[repeats / 2],
            "cached_load_ms": cachedLoads.sorted()[repeats / 2], "repeats": repeats,
        ]
        print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
    } catch { fail("\(error)") }
    exit(0)
}
if arguments.first == "fit" {
    do { try fitBenchmark(arguments) } catch { fail("\(error)") }
    exit(0)
}
if arguments.first == "mlp" || arguments.first == "sparse-linear" {
    do { try trainingStep(arguments) } catch { fail("\(error)") }
    exit(0)
}
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

/// Times training steps (see the header).
func trainingStep(_ arguments: [String]) throws {
    var steps = 200
    var threads = 1
    var device = Device.cpu
    var path: String?
    var index = 1
    while index < arguments.count {
        let name = arguments[index]
        if !name.hasPrefix("--") { path = name; index += 1; continue }
        guard index + 1 < arguments.count else { fail("\(name) needs a value") }
        let value = arguments[index + 1]
        switch name {
        case "--steps": steps = Int(value) ?? steps
        case "--threads": threads = Int(value) ?? threads
        case "--device": device = try Device(parsing: value)
        default: fail("unknown option \(name)")
        }
        index += 2
    }
    CPUBackend.threads = threads
    var generator = RandomGenerator(seed: 0)
    let optimizer = Adam(learningRate: 1e-3)
    let loss = CrossEntropy()
    let targets = (0..<256).map { _ in generator.nextInt(below: 2) }
    var step: () throws -> Void
    if arguments[0] == "mlp" {
        let model = Sequential([
            Linear(300, 256, device: device, generator: &generator), Activation(.relu),
            Linear(256, 256, device: device, generator: &generator), Activation(.relu),
            Linear(256, 2, device: device, generator: &generator),
        ])
        let input = Tensor.normal([256, 300], mean: 0, std: 1, generator: &generator, device: device)
        step = {
            model.zeroGradients()
            let result = try loss(try model.forward(.dense(input)), targets)
            _ = try model.backward(result.gradient, needsInputGradient: false)
            try optimizer.step(model.parameters)
        }
    } else {
        guard let path else { fail("sparse-linear needs an .npz file") }
        let matrix = try CSRMatrix(npzAt: path)
        let layer = Linear(matrix.columnCount, 2, device: device, generator: &generator)
        let starts = Array(stride(from: 0, to: matrix.rowCount - 256, by: 256))
        var position = 0
        step = {
            let start = starts[position % starts.count]
            position += 1
            let batch = matrix.rows(in: start..<(start + 256))
            layer.zeroGradients()
            let result = try loss(try layer.forward(.sparse(batch)), targets)
            _ = try layer.backward(result.gradient)
            try optimizer.step(layer.parameters)
        }
    }
    for _ in 0..<5 { try step() }
    var times: [Double] = []
    for _ in 0..<steps {
        let start = DispatchTime.now().uptimeNanoseconds
        try step()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    times.sort()
    let result: [String: Any] = [
        "kind": arguments[0], "median_ms": times[times.count / 2], "min_ms": times[0], "steps": steps,
        "threads": threads, "device": device.description,
    ]
    print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
}

/// Times `Trainer.fit` on the SMS recipe's shapes (see the header).
func fitBenchmark(_ arguments: [String]) throws {
    var epochs = 100, repeats = 5, threads = 1
    var index = 1
    while index + 1 < arguments.count {
        guard let value = Int(arguments[index + 1]), value > 0 else {
            fail("\(arguments[index]) needs a positive integer (got '\(arguments[index + 1])')")
        }
        switch arguments[index] {
        case "--epochs": epochs = value
        case "--repeat": repeats = value
        case "--threads": threads = value
        default: fail("unknown option \(arguments[index])")
        }
        index += 2
    }
    CPUBackend.threads = threads
    var generator = RandomGenerator(seed: 7)
    func dataset(_ rows: Int) throws -> Dataset {
        let labels = (0..<rows).map { _ in generator.nextInt(below: 7) == 0 ? 1 : 0 }
        var values = [Float](repeating: 0, count: rows * 50)
        for row in 0..<rows {
            for column in 0..<50 {
                values[row * 50 + column] = (generator.nextFloat() - 0.5) + (labels[row] == 1 && column < 5 ? 0.3 : 0)
            }
        }
        return try Dataset(features: .dense(try Tensor(shape: [rows, 50], values: values)), labels: labels)
    }
    let train = try dataset(4458), validation = try dataset(1115)
    var options = TrainingOptions()
    options.epochs = epochs
    options.batchSize = 64
    options.learningRate = 0.01
    options.seed = 1
    let architecture = ModelArchitecture(kind: .mlp, features: 50, classes: 2, hidden: [15], dropout: 0.4)
    var times: [Double] = [], cpuTimes: [Double] = []
    var steps = 0
    func threadCPUTime() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
    for _ in 0..<repeats {
        let trainer = Trainer(model: architecture.makeModel(seed: 1), options: options)
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = threadCPUTime()
        try trainer.fit(train: train, validation: validation)
        cpuTimes.append(threadCPUTime() - cpuStart)
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        steps = trainer.state.globalStep
    }
    times.sort()
    cpuTimes.sort()
    let median = times[times.count / 2]
    // The calling thread's CPU time is less disturbed by other processes than wall time.
    let result: [String: Any] = [
        "kind": "fit", "epochs": epochs, "steps": steps, "median_s": median, "min_s": times[0],
        "median_cpu_s": cpuTimes[cpuTimes.count / 2],
        "us_per_step": median / Double(max(steps, 1)) * 1e6,
        "cpu_us_per_step": cpuTimes[cpuTimes.count / 2] / Double(max(steps, 1)) * 1e6, "threads": threads,
    ]
    print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
}
