import Foundation
import Testing
import TextClfTestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A `textclf serve` process on a free loopback port, stopped (SIGTERM) when released.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    private let errorPipe = Pipe()
    private(set) var standardError = ""

    init(_ arguments: [String]) throws {
        guard let binary = TextClfBinary.url else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "the textclf binary was not built"])
        }
        process.executableURL = binary
        process.arguments = ["serve", "--port", "0"] + arguments
        process.standardError = errorPipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // The port is on the first line, printed once connections are accepted.
        var port: Int?
        let handle = errorPipe.fileHandleForReading
        while port == nil {
            let data = handle.availableData
            if data.isEmpty { break }
            standardError += String(decoding: data, as: UTF8.self)
            if let range = standardError.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(standardError[range].split(separator: ":").last!)
            }
        }
        guard let port else {
            process.waitUntilExit()
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "serve did not start: \(standardError)"])
        }
        self.port = port
    }

    /// Sends SIGTERM and waits; the exit status and the rest of standard error.
    func stop() -> (status: Int32, standardError: String) {
        if process.isRunning { process.terminate() }
        standardError += String(decoding: errorPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, standardError)
    }

    deinit { if process.isRunning { _ = stop() } }

    /// A request through URLSession: the status code and the body parsed as JSON (or as text).
    func request(_ path: String, json body: Any? = nil, raw: Data? = nil) async throws -> (status: Int, body: Any) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        if let data = try raw ?? body.map({ try JSONSerialization.data(withJSONObject: $0) }) {
            request.httpMethod = "POST"
            request.httpBody = data
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as! HTTPURLResponse).statusCode
        return (status, (try? JSONSerialization.jsonObject(with: data)) ?? String(decoding: data, as: UTF8.self))
    }
}

@Suite("textclf serve", .serialized)
struct ServeCommandTests {
    /// `textclf predict --json` of `texts`: each document's label and probabilities.
    static func predictions(model: String, texts: [String], folder: TemporaryFolder) throws -> [[String: Any]] {
        let input = try folder.write("input-\(UUID().uuidString).txt", texts.joined(separator: "\n") + "\n")
        let result = try TextClfBinary.run(["predict", "--model", model, "--json", input])
        #expect(result.status == 0, "\(result.standardError)")
        return result.standardOutput.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    static func trainedModel(in folder: TemporaryFolder, name: String, _ options: [String] = []) throws -> String {
        let train = try folder.write("train-\(name).tsv", TrainCommandTests.corpus(200, seed: 31))
        let model = folder.url.appendingPathComponent(name).path
        let result = try TextClfBinary.run(["train", train, "--epochs", "3", "--seed", "2", "--out", model, "--no-run-log", "--quiet"] + options)
        #expect(result.status == 0, "\(result.standardError)")
        return model
    }

    /// Labels and probabilities are those of `textclf predict --json`, in input order, for one
    /// request and for many at once (joined into shared passes); both models answer by name;
    /// /health, /v1/models and /metrics describe the server; SIGTERM exits 0.
    @Test func answersAsPredictDoesAndDescribesItself() async throws {
        let folder = try TemporaryFolder()
        let counts = try Self.trainedModel(in: folder, name: "counts")
        let mlp = try Self.trainedModel(in: folder, name: "mlp", ["--model", "mlp", "--hidden", "6", "--features", "tfidf"])
        let server = try ServerProcess(["--model", counts, "--model", "second=\(mlp)"])
        let texts = TrainCommandTests.corpus(40, seed: 32).split(separator: "\n").dropFirst().map { String($0.split(separator: "\t")[0]) }
            + ["", "naïve café ünïcödé", "great"]
        for (name, path) in [(nil as String?, counts), ("second", mlp)] {
            let expected = try Self.predictions(model: path, texts: texts, folder: folder)
            var body: [String: Any] = ["texts": texts]
            if let name { body["model"] = name }
            let (status, answer) = try await server.request("/v1/predict", json: body)
            #expect(status == 200)
            let object = try #require(answer as? [String: Any])
            #expect(object["model"] as? String == name ?? "counts")
            let rows = try #require(object["predictions"] as? [[String: Any]])
            #expect(rows.count == texts.count)
            for (row, reference) in zip(rows, expected) {
                #expect(row["label"] as? String == reference["label"] as? String)
                #expect(row["probabilities"] as? [String: Double] == reference["probabilities"] as? [String: Double])
            }
        }
        // Forty one-document requests at once: each gets its own answer.
        let expected = try Self.predictions(model: counts, texts: texts, folder: folder)
        try await withThrowingTaskGroup(of: (Int, String?, [String: Double]?).self) { group in
            for index in 0..<40 {
                let text = texts[index]
                group.addTask {
                    let (status, answer) = try await server.request("/v1/predict", json: ["texts": [text]])
                    #expect(status == 200)
                    let row = ((answer as? [String: Any])?["predictions"] as? [[String: Any]])?.first
                    return (index, row?["label"] as? String, row?["probabilities"] as? [String: Double])
                }
            }
            for try await (index, label, probabilities) in group {
                #expect(label == expected[index]["label"] as? String, "request \(index)")
                #expect(probabilities == expected[index]["probabilities"] as? [String: Double])
            }
        }
        let health = try await server.request("/health")
        #expect(health.status == 200 && (health.body as? [String: Any])?["status"] as? String == "ok")
        let models = try #require((try await server.request("/v1/models").body as? [String: Any])?["models"] as? [[String: Any]])
        #expect(models.map { $0["name"] as? String } == ["counts", "second"])
        #expect(models[0]["classes"] as? [String] == ["neg", "pos"] && models[0]["features"] as? String == "counts")
        #expect(models[1]["model"] as? String == "mlp" && models[1]["hidden"] as? [Int] == [6])
        let metrics = try #require(try await server.request("/metrics").body as? String)
        #expect(metrics.contains("textclf_requests_total{route=\"/v1/predict\",status=\"200\"} 42"), "\(metrics)")
        #expect(metrics.contains("textclf_documents_total{model=\"counts\"} \(texts.count + 40)"))
        #expect(metrics.contains("textclf_request_duration_seconds_count{route=\"/v1/predict\"} 42"))
        #expect(metrics.contains("# TYPE textclf_batch_documents histogram"))
        let stopped = server.stop()
        #expect(stopped.status == 0, "\(stopped.standardError)")
        #expect(stopped.standardError.contains("stopped after"))
    }

    /// Every refusal is JSON with its status: 400 for bad JSON and bad fields, 413 for a body
    /// or a document count over the limits, 404 for an unknown model or route.
    @Test func refusalsAreJSONWithTheirStatus() async throws {
        let folder = try TemporaryFolder()
        let model = try Self.trainedModel(in: folder, name: "m")
        let server = try ServerProcess(["--model", model, "--max-body-bytes", "2000", "--max-documents", "5"])
        let cases: [(raw: Data, status: Int, message: String)] = [
            (Data("{bad".utf8), 400, "not valid JSON"),
            (Data("[1, 2]".utf8), 400, "JSON object"),
            (Data(#"{"text": ["a"]}"#.utf8), 400, "\"texts\" must be an array of strings"),
            (Data(#"{"texts": ["a", 3]}"#.utf8), 400, "texts[1] is not a string"),
            (Data(#"{"texts": ["a"], "model": 1}"#.utf8), 400, "\"model\" must be a string"),
            (Data(#"{"texts": ["a", "b", "c", "d", "e", "f"]}"#.utf8), 413, "at most 5 (--max-documents)"),
            (Data((#"{"texts": [""# + String(repeating: "a", count: 3000) + #""]}"#).utf8), 413, "the limit is 2000 (--max-body-bytes)"),
            (Data(#"{"texts": ["a"], "model": "other"}"#.utf8), 404, "no model named 'other'"),
        ]
        for (raw, status, message) in cases {
            let answer = try await server.request("/v1/predict", raw: raw)
            #expect(answer.status == status, "\(String(decoding: raw.prefix(60), as: UTF8.self))")
            let error = (answer.body as? [String: Any])?["error"] as? [String: Any]
            #expect(error?["status"] as? Int == status)
            #expect((error?["message"] as? String)?.contains(message) == true, "\(answer.body)")
        }
        let missing = try await server.request("/v2/predict")
        #expect(missing.status == 404 && ((missing.body as? [String: Any])?["error"] as? [String: Any])?["status"] as? Int == 404)
        let empty = try await server.request("/v1/predict", json: ["texts": [String]()])
        #expect(empty.status == 200 && ((empty.body as? [String: Any])?["predictions"] as? [Any])?.isEmpty == true)
        // A second server on the same port says it cannot listen there.
        let taken = try TextClfBinary.run(["serve", "--model", model, "--port", String(server.port)])
        #expect(taken.status == 1 && taken.standardError.contains("cannot listen on 127.0.0.1:\(server.port)"), "\(taken.standardError)")
        #expect(server.stop().status == 0)
    }

    /// SIGTERM while a request's body is still arriving: the request is answered in full, then
    /// the process exits 0 and the port is closed.
    @Test func sigtermLetsTheRequestInFlightFinish() async throws {
        let folder = try TemporaryFolder()
        let model = try Self.trainedModel(in: folder, name: "m")
        let server = try ServerProcess(["--model", model])
        let body = Data(#"{"texts": ["great film", "dull plot", "a superb scene"]}"#.utf8)
        let socket = try LoopbackSocket(port: server.port)
        try socket.send(Data("POST /v1/predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8))
        try socket.send(body.prefix(10))
        // Wait until the server counts the request as in flight (this poll being the other).
        var inFlight = false
        for _ in 0..<100 where !inFlight {
            let metrics = try await server.request("/metrics").body as? String ?? ""
            inFlight = metrics.contains("textclf_in_flight_requests 2")
            if !inFlight { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(inFlight)
        kill(server.process.processIdentifier, SIGTERM)
        try await Task.sleep(for: .milliseconds(300))
        #expect(server.process.isRunning, "the server exited with a request in flight")
        try socket.send(body.dropFirst(10))
        let response = try socket.receiveResponse()
        #expect(response.hasPrefix("HTTP/1.1 200"), "\(response)")
        let json = try #require(response.range(of: "\r\n\r\n")).upperBound
        let answer = try JSONSerialization.jsonObject(with: Data(response[json...].utf8)) as? [String: Any]
        #expect((answer?["predictions"] as? [Any])?.count == 3)
        // The one SIGTERM ends the process (the connection left open is closed by the server).
        for _ in 0..<250 where server.process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!server.process.isRunning, "the server did not exit after SIGTERM")
        let stopped = server.stop()
        #expect(stopped.status == 0, "\(stopped.standardError)")
        #expect((try? LoopbackSocket(port: server.port)) == nil, "the port still accepts connections")
    }

    /// Every SST-2 dev sentence, in requests of 1, 64 and the rest, gets the label
    /// `textclf predict` gives it.
    @Test(.enabled(if: SharedData.isAvailable, SharedData.skipMessage))
    func sst2DevLabelsAreThoseOfPredict() async throws {
        let folder = try TemporaryFolder()
        let data = try #require(SharedData.url("sst2")).path
        let model = folder.url.appendingPathComponent("sst2").path
        let trained = try TextClfBinary.run(
            ["train", data + "/train.tsv", "--features", "counts", "--model", "logreg", "--epochs", "2", "--out", model, "--no-run-log", "--quiet"])
        #expect(trained.status == 0, "\(trained.standardError)")
        let predicted = try TextClfBinary.run(["predict", "--model", model, data + "/dev.tsv"])
        let labels = predicted.standardOutput.split(separator: "\n").map(String.init)
        let texts = try String(contentsOfFile: data + "/dev.tsv", encoding: .utf8).split(separator: "\n").dropFirst()
            .map { String($0.split(separator: "\t", omittingEmptySubsequences: false)[0]) }
        #expect(labels.count == 872 && texts.count == 872)
        let server = try ServerProcess(["--model", model])
        var served: [String] = []
        for range in [0..<1, 1..<65, 65..<872] {
            let answer = try await server.request("/v1/predict", json: ["texts": Array(texts[range])])
            #expect(answer.status == 200)
            let rows = (answer.body as? [String: Any])?["predictions"] as? [[String: Any]] ?? []
            served += rows.map { $0["label"] as? String ?? "?" }
        }
        #expect(served == labels)
        #expect(server.stop().status == 0)
    }
}

/// A TCP connection to 127.0.0.1, for writing a request in parts.
final class LoopbackSocket {
    private let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECONNREFUSED)
        }
    }

    deinit { close(descriptor) }

    func send(_ data: Data) throws {
        try data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let sent = Glibc.send(descriptor, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                guard sent > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EPIPE) }
                offset += sent
            }
        }
    }

    /// Reads until the response's Content-Length bytes of body have arrived.
    func receiveResponse() throws -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(descriptor, &chunk, chunk.count, 0)
            if count <= 0 { break }
            bytes += chunk[..<count]
            let text = String(decoding: bytes, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n"),
               let length = text.range(of: #"(?i)content-length: *(\d+)"#, options: .regularExpression).flatMap({ Int(text[$0].split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }),
               text.utf8.distance(from: end.upperBound.samePosition(in: text.utf8)!, to: text.utf8.endIndex) >= length {
                return text
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
