import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOCore
import TextClf

/// `textclf serve`: predictions over HTTP, batched through each model.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve predictions over HTTP.",
        discussion: """
            Loads each model once and answers on HTTP/1.1 (keep-alive):

              POST /v1/predict   {"texts": ["...", ...], "model": "NAME"}  ("model" optional: \
            the first model by default). Answers {"model": "NAME", "predictions": [{"label": ..., \
            "probabilities": {CLASS: P, ...}}, ...]} in input order, the labels and \
            probabilities of 'textclf predict --json'.
              GET /health        {"status": "ok", "models": N}
              GET /v1/models     each model's name, folder, classes, features, columns, \
            architecture and text stages.
              GET /metrics       Prometheus text format: requests by route and status, \
            documents by model, request latency and documents per model pass (histograms), \
            requests in flight.

            Requests that arrive while a model is busy are joined into one pass through it \
            (at most --batch-size documents, whole requests), so many small requests share \
            the work. A body over --max-body-bytes or more than --max-documents texts gets \
            413; malformed JSON, a missing "texts" or a text that is not a string gets 400; \
            an unknown model 404. Every error answers {"error": {"status": N, "message": \
            "..."}}. SIGTERM or SIGINT stops accepting connections, lets the requests in \
            flight finish, and exits 0.

            --port 0 takes a free port. The line 'textclf serve: listening on \
            http://HOST:PORT' goes to standard error once the server accepts connections.

            Examples:
              textclf serve --model models/sst2
              textclf serve --model sst2=models/sst2 --model spam=models/sms --port 9000
              curl -s localhost:8080/v1/predict -d '{"texts": ["a gorgeous, witty film"]}'
            """).subcommandOfTextclf()

    @Option(
        name: .customLong("model"),
        help: ArgumentHelp(
            "A model folder, or NAME=DIR to name it (default name: the folder's name); repeat for several models.",
            valueName: "dir"))
    var models: [String] = []

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0: a free port).")
    var port = 8080

    @Option(help: "The largest request body accepted, in bytes.")
    var maxBodyBytes = 1 << 20

    @Option(help: "The most texts one request may hold.")
    var maxDocuments = 1000

    @Option(help: "The most documents joined into one pass through a model.")
    var batchSize = 256

    @Option(help: ArgumentHelp("The embeddings cache folder, for word-vector models.", valueName: "dir"))
    var cacheDir: String?

    @Option(help: "Device that runs the models: cpu, reference, opencl[:N] or cuda[:N]; see 'textclf info'.")
    var device: String = "cpu"

    @Flag(help: "Print nothing but errors (not the 'listening on' line).")
    var quiet = false

    func validate() throws {
        if models.isEmpty { throw ValidationError("give at least one --model DIR") }
        if !(0...65535).contains(port) { throw ValidationError("--port must be 0 to 65535 (got \(port))") }
        if maxBodyBytes < 1 { throw ValidationError("--max-body-bytes must be at least 1 (got \(maxBodyBytes))") }
        if maxDocuments < 1 { throw ValidationError("--max-documents must be at least 1 (got \(maxDocuments))") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1 (got \(batchSize))") }
    }

    func run() throws {
        let device = try Device(parsing: self.device)
        let metrics = ServerMetrics()
        var served: [ServedModel] = []
        for argument in models {
            let (name, directory) = Self.nameAndFolder(argument)
            if served.contains(where: { $0.name == name }) {
                throw ValidationError("--model: two models are named '\(name)'; name them with NAME=DIR")
            }
            served.append(try ServedModel(
                name: name, directory: directory, device: device, cacheDir: cacheDir, batchSize: batchSize, metrics: metrics))
        }
        let server = PredictionServer(models: served, metrics: metrics, maxBodyBytes: maxBodyBytes, maxDocuments: maxDocuments)
        let (host, port, quiet) = (self.host, self.port, self.quiet)
        let names = served.map(\.name).joined(separator: ", ")
        let outcome = BlockingOutcome()
        var logger = Logger(label: "textclf.serve")
        logger.logLevel = .error
        let application = Application(
            router: server.router(),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "textclf"),
            onServerRunning: { channel in
                outcome.started = true
                if !quiet {
                    let bound = channel.localAddress?.port ?? port
                    printError("textclf serve: listening on http://\(host):\(bound) (\(names))")
                }
            },
            logger: logger)
        Task.detached {
            do { try await application.runService(gracefulShutdownSignals: [.sigterm, .sigint]) } catch { outcome.error = error }
            outcome.finish()
        }
        outcome.wait()
        for model in served { model.batcher.stop() }
        if let error = outcome.error {
            let reason = (error as? IOError).map { String(cString: strerror($0.errnoCode)) } ?? "\(error)"
            throw DataError(outcome.started ? "serve: \(reason)" : "serve: cannot listen on \(host):\(port): \(reason)")
        }
        if !quiet { printError("textclf serve: stopped after \(metrics.requestCount) requests") }
    }

    /// `NAME=DIR`, or `DIR` named by its last path component.
    static func nameAndFolder(_ argument: String) -> (name: String, directory: String) {
        if let equals = argument.firstIndex(of: "="), !argument[..<equals].contains("/") {
            return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
        }
        let name = URL(fileURLWithPath: argument).standardized.lastPathComponent
        return (name, argument)
    }
}

/// The end of work running on another thread, waited for by the calling thread.
private final class BlockingOutcome: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    var error: (any Error)?
    /// Whether the server accepted connections.
    var started = false
    func finish() { semaphore.signal() }
    func wait() { semaphore.wait() }
}

/// A loaded model with its features and the batcher that runs it.
final class ServedModel: @unchecked Sendable {
    let name: String
    let directory: String
    /// The class names as JSON strings.
    let quotedClasses: [String]
    let batcher: PredictionBatcher
    /// The `/v1/models` entry (a JSON object).
    let description: String

    init(name: String, directory: String, device: Device, cacheDir: String?, batchSize: Int, metrics: ServerMetrics) throws {
        let (classifier, document) = try Device.withDefault(device) { try ModelFile.load(from: directory) }
        var pipeline = try FeaturePipeline.load(from: directory, cacheDir: cacheDir, report: { printError($0) })
        guard pipeline.columnCount == classifier.architecture.features else {
            throw DataError(
                "\(directory): the saved features make \(pipeline.columnCount) columns but the model expects \(classifier.architecture.features)")
        }
        if let dense = pipeline.dense {
            // Vectors loaded now, not on the first request; averaged matrices are not cached.
            _ = try dense.store.load()
            pipeline.dense = (dense.features, dense.store, nil)
        }
        self.name = name
        self.directory = directory
        quotedClasses = document.classes.map(OutputBuffer.jsonString)
        let architecture = classifier.architecture
        let kind = pipeline.sparse?.kind.rawValue ?? "glove"
        description = "{\"name\":\(OutputBuffer.jsonString(name)),\"path\":\(OutputBuffer.jsonString(directory)),\"classes\":["
            + quotedClasses.joined(separator: ",") + "],\"features\":\"\(kind)\",\"columns\":\(architecture.features),"
            + "\"model\":\"\(architecture.kind.rawValue)\",\"hidden\":[\(architecture.hidden.map(String.init).joined(separator: ","))],"
            + "\"text_stages\":\(OutputBuffer.jsonString(pipeline.analyzer.description))}"
        let quietPipeline = FeaturePipeline(sparse: pipeline.sparse, dense: pipeline.dense, standardizer: pipeline.standardizer, report: { _ in })
        batcher = PredictionBatcher(maximumBatch: batchSize) { texts in
            var rows: [[Float]] = []
            rows.reserveCapacity(texts.count)
            try Device.withDefault(device) {
                try Predict.forEachProbabilityRow(of: texts, classifier: classifier, pipeline: quietPipeline, batchSize: batchSize) {
                    rows.append(Array($0))
                }
            }
            metrics.recordBatch(model: name, documents: texts.count)
            return rows
        }
    }
}

/// Runs a model on one thread of its own. Requests queue their texts; each pass takes every
/// request waiting, whole, up to `maximumBatch` documents (always at least one request), runs
/// them through the model together and hands each request its rows.
final class PredictionBatcher: @unchecked Sendable {
    private typealias Job = (texts: [String], continuation: CheckedContinuation<[[Float]], any Error>)
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var stopped = false
    private let maximumBatch: Int
    private let run: ([String]) throws -> [[Float]]

    /// Starts the thread; `run` is called on it only.
    init(maximumBatch: Int, run: @escaping ([String]) throws -> [[Float]]) {
        self.maximumBatch = maximumBatch
        self.run = run
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "textclf-model"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// The class probabilities of each text, in order.
    func predict(_ texts: [String]) async throws -> [[Float]] {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            queue.append((texts, continuation))
            condition.signal()
            condition.unlock()
        }
    }

    /// Ends the thread once the queue is empty.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if queue.isEmpty {
                condition.unlock()
                return
            }
            var count = queue[0].texts.count, taken = 1
            while taken < queue.count && count + queue[taken].texts.count <= maximumBatch {
                count += queue[taken].texts.count
                taken += 1
            }
            let jobs = Array(queue.prefix(taken))
            queue.removeFirst(taken)
            condition.unlock()
            do {
                let rows = try run(jobs.count == 1 ? jobs[0].texts : jobs.flatMap(\.texts))
                var start = 0
                for job in jobs {
                    job.continuation.resume(returning: Array(rows[start..<(start + job.texts.count)]))
                    start += job.texts.count
                }
            } catch {
                for job in jobs { job.continuation.resume(throwing: error) }
            }
        }
    }
}

/// The routes, the request checks and the JSON answers.
struct PredictionServer: Sendable {
    let models: [ServedModel]
    let metrics: ServerMetrics
    let maxBodyBytes: Int
    let maxDocuments: Int

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.get("/health") { _, _ in Self.json(.ok, "{\"status\":\"ok\",\"models\":\(models.count)}") }
        router.get("/v1/models") { _, _ in Self.json(.ok, "{\"models\":[" + models.map(\.description).joined(separator: ",") + "]}") }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        router.post("/v1/predict") { request, _ in try await predict(request) }
        return router
    }

    private func predict(_ request: Request) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodyBytes {
            throw ServeError(.contentTooLarge, "the request body is \(length) bytes; the limit is \(maxBodyBytes) (--max-body-bytes)")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw ServeError(.contentTooLarge, "the request body is over \(maxBodyBytes) bytes (--max-body-bytes)")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView), options: [])
        } catch {
            throw ServeError(.badRequest, "the body is not valid JSON: \((error as NSError).userInfo[NSDebugDescriptionErrorKey] ?? error)")
        }
        guard let fields = object as? [String: Any] else { throw ServeError(.badRequest, "the body must be a JSON object with \"texts\"") }
        guard let values = fields["texts"] as? [Any] else { throw ServeError(.badRequest, "\"texts\" must be an array of strings") }
        guard values.count <= maxDocuments else {
            throw ServeError(.contentTooLarge, "\(values.count) texts; a request may hold at most \(maxDocuments) (--max-documents)")
        }
        var texts: [String] = []
        texts.reserveCapacity(values.count)
        for (index, value) in values.enumerated() {
            guard let text = value as? String else { throw ServeError(.badRequest, "texts[\(index)] is not a string") }
            texts.append(text)
        }
        let model: ServedModel
        if let name = fields["model"] {
            guard let name = name as? String else { throw ServeError(.badRequest, "\"model\" must be a string") }
            guard let found = models.first(where: { $0.name == name }) else {
                throw ServeError(.notFound, "no model named '\(name)'; this server has \(models.map(\.name).joined(separator: ", "))")
            }
            model = found
        } else {
            model = models[0]
        }
        let rows = texts.isEmpty ? [] : try await model.batcher.predict(texts)
        var answer = "{\"model\":" + OutputBuffer.jsonString(model.name) + ",\"predictions\":["
        for (index, row) in rows.enumerated() {
            answer += (index > 0 ? ",{" : "{") + Predict.jsonFields(row[...], quotedClasses: model.quotedClasses) + "}"
        }
        return Self.json(.ok, answer + "]}")
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

/// A request the server refuses, answered as `{"error": {"status": N, "message": "..."}}`.
struct ServeError: Error {
    let status: HTTPResponse.Status
    let message: String
    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }
}

/// Counts every request and answers every error with a JSON body.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        metrics.begin()
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as ServeError {
            response = Self.error(error.status, error.message)
        } catch let error as any HTTPResponseError {
            let message = error.status == .notFound ? "no route \(request.method) \(request.uri.path)" : error.status.reasonPhrase
            response = Self.error(error.status, message)
        } catch {
            response = Self.error(.internalServerError, "\(error)")
        }
        let duration = ContinuousClock.now - start
        metrics.end(route: request.uri.path, status: response.status.code,
                    seconds: Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18)
        return response
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        PredictionServer.json(status, "{\"error\":{\"status\":\(status.code),\"message\":\(OutputBuffer.jsonString(message))}}")
    }
}

/// The server's counters, in Prometheus's text exposition format.
final class ServerMetrics: @unchecked Sendable {
    /// Upper bounds of the latency histogram's buckets, in seconds.
    static let latencyBounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// Upper bounds of the documents-per-pass histogram's buckets.
    static let batchBounds: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
    static let routes: Set<String> = ["/v1/predict", "/v1/models", "/health", "/metrics"]

    struct Histogram {
        var counts: [Int]
        var sum = 0.0
        var count = 0
        init(bounds: Int) { counts = Array(repeating: 0, count: bounds) }
        mutating func record(_ value: Double, bounds: [Double]) {
            if let bucket = bounds.firstIndex(where: { value <= $0 }) { counts[bucket] += 1 }
            sum += value
            count += 1
        }
    }

    private let lock = NSLock()
    private var requests: [String: Int] = [:]  // "route\u{0}status"
    private var latency: [String: Histogram] = [:]
    private var documents: [String: Int] = [:]
    private var batches: [String: Histogram] = [:]
    private var inFlight = 0

    var requestCount: Int { lock.withLock { requests.values.reduce(0, +) } }

    func begin() { lock.withLock { inFlight += 1 } }

    func end(route path: String, status: Int, seconds: Double) {
        let route = Self.routes.contains(path) ? path : "other"
        lock.withLock {
            inFlight -= 1
            requests[route + "\u{0}" + String(status), default: 0] += 1
            latency[route, default: Histogram(bounds: Self.latencyBounds.count)].record(seconds, bounds: Self.latencyBounds)
        }
    }

    func recordBatch(model: String, documents count: Int) {
        lock.withLock {
            documents[model, default: 0] += count
            batches[model, default: Histogram(bounds: Self.batchBounds.count)].record(Double(count), bounds: Self.batchBounds)
        }
    }

    /// The metrics as `/metrics` serves them.
    func exposition() -> String {
        lock.withLock {
            var text = "# HELP textclf_requests_total HTTP requests answered, by route and status code.\n"
            text += "# TYPE textclf_requests_total counter\n"
            for (key, count) in requests.sorted(by: { $0.key < $1.key }) {
                let parts = key.split(separator: "\u{0}")
                text += "textclf_requests_total{route=\"\(parts[0])\",status=\"\(parts[1])\"} \(count)\n"
            }
            text += "# HELP textclf_documents_total Documents predicted, by model.\n# TYPE textclf_documents_total counter\n"
            for (model, count) in documents.sorted(by: { $0.key < $1.key }) {
                text += "textclf_documents_total{model=\(Self.label(model))} \(count)\n"
            }
            text += "# HELP textclf_request_duration_seconds Time from a request's arrival to its response, by route.\n"
            text += "# TYPE textclf_request_duration_seconds histogram\n"
            for (route, histogram) in latency.sorted(by: { $0.key < $1.key }) {
                text += Self.lines("textclf_request_duration_seconds", label: "route=\"\(route)\"", histogram, bounds: Self.latencyBounds)
            }
            text += "# HELP textclf_batch_documents Documents per pass through a model, by model.\n"
            text += "# TYPE textclf_batch_documents histogram\n"
            for (model, histogram) in batches.sorted(by: { $0.key < $1.key }) {
                text += Self.lines("textclf_batch_documents", label: "model=\(Self.label(model))", histogram, bounds: Self.batchBounds)
            }
            text += "# HELP textclf_in_flight_requests Requests being answered.\n# TYPE textclf_in_flight_requests gauge\n"
            text += "textclf_in_flight_requests \(inFlight)\n"
            return text
        }
    }

    private static func lines(_ name: String, label: String, _ histogram: Histogram, bounds: [Double]) -> String {
        var text = "", cumulative = 0
        for (bound, count) in zip(bounds, histogram.counts) {
            cumulative += count
            text += "\(name)_bucket{\(label),le=\"\(bound)\"} \(cumulative)\n"
        }
        text += "\(name)_bucket{\(label),le=\"+Inf\"} \(histogram.count)\n"
        text += "\(name)_sum{\(label)} \(histogram.sum)\n\(name)_count{\(label)} \(histogram.count)\n"
        return text
    }

    /// A label value, quoted and escaped as the exposition format wants.
    private static func label(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
}
