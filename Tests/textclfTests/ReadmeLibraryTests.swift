import Foundation
import Testing
import TextClf
import TextClfTestSupport

/// The README's library snippets, compiled here. Each README code block of the library
/// sections must read exactly as the region between its markers below (less the
/// indentation, and less a leading `import TextClf` line in the README).
private enum ReadmeSnippets {
    static func tensorCore(train: Dataset) throws {
        // README begin
        var generator = RandomGenerator(seed: 42)
        let model = Sequential([
            Linear(10106, 64, generator: &generator), Activation(.relu), Dropout(probability: 0.4, seed: 1),
            Linear(64, 2, generator: &generator),
        ])
        let optimizer = Adam(learningRate: 0.01)
        let loss = CrossEntropy()
        // train: a Dataset of 10106-column CSR rows and their class indices.
        let loader = try DataLoader(dataset: train, batchSize: 32, seed: 1)
        for batch in loader.batches(epoch: 0) {
            guard case .sparse(let rows) = batch.features else { continue }  // CSR rows are never densified
            model.zeroGradients()
            let result = try loss(try model.forward(.sparse(rows)), batch.labels)
            _ = try model.backward(result.gradient, needsInputGradient: false)
            try optimizer.step(model.parameters)
        }
        // README end
    }

    static func analyzer() throws {
        // README begin
        let analyzer = try Analyzer(parsing: "whitespace,porter,sklearn")
        let worker = analyzer.makeWorker()             // one per thread; reuses its buffers
        let reader = try CorpusReader(path: "train.tsv")
        try reader.forEach { document in
            let tokens = worker.analyze(document.text)  // or worker.withTokens(of:) without copies
            print(document.label ?? "-", tokens)
        }
        // README end
    }

    static func training() throws {
        // README begin
        let documents = try CorpusReader(path: "train.tsv").readAll()
        let labels = documents.map { $0.label ?? "" }
        let encoder = LabelEncoder(labels: labels)  // classes in code-point order
        let counting = CountVectorizer(analyzer: try Analyzer(parsing: "lowercase,sklearn"))
        let (vectorizer, counts) = try counting.fitTransform(documents.map(\.text))
        let train = try Dataset(features: .sparse(counts), labels: try encoder.encode(labels))

        let model = LogisticRegression(features: counts.columnCount, classes: encoder.count, seed: 1)
        var options = TrainingOptions()  // Adam, batches of 32
        options.epochs = 5
        options.learningRate = 0.01
        let result = try Trainer(model: model, options: options).fit(train: train)
        print(result.history.map(\.trainLoss))

        let test = try CorpusReader(path: "test.tsv").readAll()
        let predicted = try model.predict(.sparse(vectorizer.transform(test.map(\.text))))
        let metrics = ClassificationMetrics(
            predictions: predicted, truth: try encoder.encode(test.map { $0.label ?? "" }), classCount: encoder.count)
        print(metrics.accuracy, metrics.macro.f1)

        // What the Trainer iterates: batches of rows (batch.features, sparse or dense) and labels.
        let loader = try DataLoader(dataset: train, batchSize: 32, shuffle: true, seed: 1)
        for batch in loader.batches(epoch: 0) {
            print(batch.features.rowCount, batch.labels)
        }
        // README end
    }
}

@Suite("The README's library snippets compile")
struct ReadmeLibraryTests {
    /// The regions between `// README begin` and `// README end` in this file, de-indented.
    static func compiledSnippets() throws -> [String] {
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        var snippets: [String] = []
        var current: [Substring]?
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed == "// README begin" {
                current = []
            } else if trimmed == "// README end", let lines = current {
                let indent = lines.filter { !$0.isEmpty }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
                snippets.append(lines.map { String($0.dropFirst(min(indent, $0.count))) }.joined(separator: "\n"))
                current = nil
            } else if current != nil {
                current!.append(line)
            }
        }
        return snippets
    }

    /// The Swift code blocks of the README's library sections, without a leading `import TextClf`.
    static func readmeSnippets() throws -> [String] {
        let readme = try String(contentsOf: SharedData.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        var blocks: [String] = []
        for heading in ["### Train on the tensor core (library)", "### As a library"] {
            guard let start = readme.range(of: heading + "\n") else { continue }
            let rest = readme[start.upperBound...]
            let section = rest[..<(rest.range(of: "\n#")?.lowerBound ?? rest.endIndex)]
            var remaining = section[...]
            while let open = remaining.range(of: "```swift\n") {
                guard let close = remaining[open.upperBound...].range(of: "\n```") else { break }
                var code = String(remaining[open.upperBound..<close.lowerBound])
                if code.hasPrefix("import TextClf\n\n") { code.removeFirst("import TextClf\n\n".count) }
                blocks.append(code)
                remaining = remaining[close.upperBound...]
            }
        }
        return blocks
    }

    @Test func theReadmeShowsTheCompiledSnippets() throws {
        let compiled = try Self.compiledSnippets()
        let readme = try Self.readmeSnippets()
        #expect(compiled.count == 3)
        #expect(readme.count == compiled.count, "README library blocks: \(readme.count)")
        for (index, (inReadme, inTest)) in zip(readme, compiled).enumerated() {
            #expect(inReadme == inTest, "README library snippet \(index + 1) differs from the compiled one")
        }
    }
}
