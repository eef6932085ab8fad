import ArgumentParser
import Foundation
import TextClf

/// `textclf vectorize`: raw text in, a CSR matrix out, as scikit-learn would make it.
struct Vectorize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vectorize",
        abstract: "Turn labelled text into feature matrices: counts, TF-IDF, hashing or word vectors.",
        discussion: """
            Fits the features on TRAIN and applies them to TRAIN and to each --apply \
            file. Writes into the output folder:

              vectorizer.json    options and fitted state (vocabulary, IDF, labels)
              vocabulary.txt     one term per line; line i is column i (not hashing)
              NAME.npz           the CSR matrix, for scipy.sparse.load_npz
              NAME.labels.txt    one label per line, in row order (if labelled)
              NAME.svm           svmlight text, zero-based indices (--svmlight);
                                 labels are class numbers, in the order of the
                                 "labels" list in vectorizer.json

            NAME is the file name without its extension (the folder name for folder \
            corpora). Counts are saved as int64, TF-IDF and hashing as float32. With \
            --features glove the rows are dense averages of word vectors, written as \
            NAME.npy (for numpy.load) with embeddings.json instead of the vectorizer files. Every \
            input is read and transformed before anything is written, and each file \
            is written to a temporary name and renamed, so outputs appear whole or \
            not at all.

            --stream never holds a corpus or its matrix in memory: one pass over TRAIN fits \
            the features (the same vocabulary and IDF), then each input is read again and \
            written 1,024 documents at a time through temporary files, so memory is \
            bounded by the vocabulary whatever the corpus size; the files are those of a \
            run without --stream, byte for byte. An input that fails to read leaves the \
            outputs already written in place. Not with --features glove.

            Progress goes to standard error: a line as each input is read (and, on a \
            terminal, a running count of its documents), then one summary line per \
            input on standard output; --quiet prints neither. --json FILE writes the \
            summary as JSON: the feature kind, the columns, the classes, the output \
            folder, the seconds, and each input's path, name, rows, columns, stored \
            values, density, seconds and whether it is labelled.

            Examples:
              textclf vectorize sst2/train.tsv --apply sst2/dev.tsv \\
                  --text whitespace,porter,sklearn --out out/sst2
              textclf vectorize imdb/train.jsonl --apply imdb/test.jsonl \\
                  --features tfidf --ngram 1..2 --min-df 2 --max-df 0.5 \\
                  --out out/imdb
              textclf vectorize 20news/train --apply 20news/test \\
                  --encoding latin-1 --features hashing --hash-features 262144 \\
                  --svmlight --out out/20news
            """).subcommandOfTextclf()

    @Argument(help: ArgumentHelp("The training corpus: the features are fitted on it.", valueName: "train"))
    var train: String

    @Option(name: .customLong("apply"), help: ArgumentHelp(
        "A corpus to transform with the fitted features (repeatable).", valueName: "file"))
    var applyFiles: [String] = []

    @Option(help: ArgumentHelp("The output folder (created if missing).", valueName: "dir"))
    var out: String

    @OptionGroup(title: "Text")
    var text: TextOptions

    @OptionGroup(title: "Features")
    var features: FeatureOptions

    @OptionGroup(title: "Data")
    var data: DataOptions

    @Flag(help: "Also write NAME.svm in svmlight/libsvm format.")
    var svmlight = false

    @Flag(help: "Never hold a corpus or its matrix in memory: fit in one pass, then write each input chunk by chunk.")
    var stream = false

    @Option(help: ArgumentHelp("Write a summary of the run as JSON to this file.", valueName: "file"))
    var json: String?

    @Flag(help: "Print nothing but errors: no progress, no summary lines.")
    var quiet = false

    func validate() throws {
        _ = try text.analyzer()
        try features.check()
        if features.features == .glove && svmlight { throw ValidationError("--svmlight writes sparse rows; glove features are dense (.npy)") }
        if features.features == .glove && stream { throw ValidationError("--stream writes sparse rows; glove features are averaged in memory") }
        let names = ([train] + applyFiles).map(Self.outputName)
        if let duplicate = Dictionary(grouping: names, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw ValidationError("two inputs would both be written as '\(duplicate).npz'; rename one of them")
        }
    }

    /// The output name of an input: the file name without extension, or the folder name.
    static func outputName(_ path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let name = url.lastPathComponent
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return name
        }
        let stem = url.deletingPathExtension().lastPathComponent
        return stem.isEmpty ? name : stem
    }

    /// An input corpus as read: where it is, its output name, and its labels when every
    /// document has one.
    struct Corpus {
        let path: String
        let name: String
        let format: CorpusFormat
        let labels: [String]?

        /// The distinct labels in code-point order, when the corpus is labelled.
        var classes: [String]? { labels.map { Array(Set($0)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } } }

        /// Writes `BASE.labels.txt`, one label per line, when the corpus is labelled.
        func writeLabels(base: String) throws {
            guard let labels else { return }
            try AtomicFile.write(to: base + ".labels.txt") { output in
                for label in labels { try output.write(label + "\n") }
            }
        }
    }

    /// Streams a corpus's texts to `add` and returns what was read; labels are kept when
    /// every document has one. A ``DocumentCounter`` shows the documents read so far.
    func read(
        _ path: String, trainingFormat: CorpusFormat?, into add: (String) -> Void
    ) throws -> Corpus {
        let counter = DocumentCounter(label: path, enabled: !quiet && isatty(2) == 1)
        defer { counter.finish() }
        let reader = try CorpusReader(path: path, options: data.corpusOptions(labelRequired: false))
        if let trainingFormat, reader.format != trainingFormat, data.format == nil {
            throw DataError(
                "\(path) is \(reader.format.rawValue) but the training corpus is \(trainingFormat.rawValue); "
                    + "convert it, or pass --format to read both the same way")
        }
        var labels: [String] = []
        var firstUnlabelled: DocumentSource?
        try reader.forEach(warn: printWarning) { document in
            counter.add()
            add(document.text)
            if let label = document.label { labels.append(label) } else if firstUnlabelled == nil {
                firstUnlabelled = document.source
            }
        }
        if let firstUnlabelled, !labels.isEmpty {
            throw CorpusError(
                .missingLabel, path: firstUnlabelled.path, line: firstUnlabelled.line,
                message: "missing label (other documents of this corpus have one)")
        }
        return Corpus(path: path, name: Self.outputName(path), format: reader.format, labels: labels.isEmpty ? nil : labels)
    }

    func run() throws {
        if features.features == .glove { return try runEmbeddings() }
        if stream { return try runStreaming() }
        let specification = try features.specification(analyzer: text.analyzer())
        let clock = ContinuousClock()
        let started = clock.now

        // Read, check and transform every input before writing anything; the texts are
        // streamed from the files into the counting passes, never held whole.
        var start = clock.now
        var training: Corpus?
        let fitted: FittedFeatures
        let trainingMatrix: CSRMatrix
        progress.line("fitting \(features.features.rawValue) on \(train)")
        do {
            (fitted, trainingMatrix) = try specification.fitTransform { add in
                training = try read(train, trainingFormat: nil, into: add)
            }
        } catch let error as FeatureError {
            throw DataError("\(train): \(error)")
        }
        guard let training else { throw DataError("\(train): nothing was read") }
        var matrices: [(Corpus, CSRMatrix, Double)] = [(training, trainingMatrix, (clock.now - start).inSeconds)]
        progress.line("fitted \(fitted.kind.rawValue) on \(train): \(trainingMatrix.rowCount) documents, \(fitted.columnCount) columns")
        for path in applyFiles {
            start = clock.now
            progress.line("transforming \(path)")
            var corpus: Corpus?
            let matrix = try fitted.transform { add in
                corpus = try read(path, trainingFormat: training.format, into: add)
            }
            guard let corpus else { throw DataError("\(path): nothing was read") }
            matrices.append((corpus, matrix, (clock.now - start).inSeconds))
            progress.line("transformed \(path): \(matrix.rowCount) documents")
        }

        let classes = training.classes
        var classNumbers: [String: Int] = [:]
        for (index, label) in (classes ?? []).enumerated() { classNumbers[label] = index }
        if svmlight {
            for (corpus, _, _) in matrices {
                guard let labels = corpus.labels else {
                    throw DataError("--svmlight needs labels, and \(corpus.path) has none")
                }
                if let unknown = labels.firstIndex(where: { classNumbers[$0] == nil }) {
                    throw DataError(
                        "\(corpus.path): document \(unknown + 1) has the label '\(labels[unknown])', which the training corpus does not have")
                }
            }
        }

        let folder = try writeFeatures(fitted, classes: classes)
        var summary = Summary(features: fitted.kind.rawValue, columns: fitted.columnCount, classes: classes, out: out)
        for (corpus, matrix, elapsed) in matrices {
            let base = folder.appendingPathComponent(corpus.name).path
            try matrix.writeNPZ(to: base + ".npz", valueType: fitted.isInteger ? .int64 : .float32)
            try corpus.writeLabels(base: base)
            if svmlight, let labels = corpus.labels {
                try matrix.writeSVMLight(to: base + ".svm", labels: labels.map { classNumbers[$0]! })
            }
            progress.summary(
                "\(corpus.name): \(matrix.rowCount) × \(matrix.columnCount), \(matrix.storedCount) stored, "
                    + "density \(String(format: "%.6f", matrix.density)), \(String(format: "%.3f", elapsed)) s"
                    + (corpus.labels == nil ? " (no labels)" : ""))
            summary.inputs.append(
                Summary.Input(
                    path: corpus.path, name: corpus.name, rows: matrix.rowCount, columns: matrix.columnCount,
                    stored: matrix.storedCount, density: matrix.density, seconds: elapsed, labelled: corpus.labels != nil))
        }
        try finish(summary, started: started, clock)
    }

    /// `--stream`: fits in one pass over the training corpus, then reads each input again
    /// and writes its files 1,024 documents at a time (``StreamingCSRWriter``).
    private func runStreaming() throws {
        let specification = try features.specification(analyzer: text.analyzer())
        let clock = ContinuousClock()
        let started = clock.now
        progress.line("fitting \(features.features.rawValue) on \(train), streamed")
        var classes = Set<String>()
        var trainingFormat: CorpusFormat?
        let fitted: FittedFeatures
        do {
            fitted = try specification.fit { add in
                trainingFormat = try readStreaming(train, trainingFormat: nil) { document in
                    add(document.text)
                    if let label = document.label { classes.insert(label) }
                }
            }
        } catch let error as FeatureError {
            throw DataError("\(train): \(error)")
        }
        let classList = classes.isEmpty ? nil : classes.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var classNumbers: [String: Int] = [:]
        for (index, label) in (classList ?? []).enumerated() { classNumbers[label] = index }
        let folder = try writeFeatures(fitted, classes: classList)
        var summary = Summary(features: fitted.kind.rawValue, columns: fitted.columnCount, classes: classList, out: out)
        for path in [train] + applyFiles {
            let start = clock.now
            let base = folder.appendingPathComponent(Self.outputName(path)).path
            let writer = try StreamingCSRWriter(
                npz: base + ".npz", columnCount: fitted.columnCount, valueType: fitted.isInteger ? .int64 : .float32,
                svmlight: svmlight ? base + ".svm" : nil)
            let labelsPath = base + ".labels.txt"
            guard let (labelsTemporary, descriptor) = TemporaryFile.create(for: labelsPath) else {
                throw DataError("\(labelsPath): cannot create a temporary file beside it")
            }
            let labelsFile = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
            defer { unlink(labelsTemporary) }
            var texts: [String] = [], numbers: [Int] = [], labelled = false
            func flush() throws {
                guard !texts.isEmpty else { return }
                try writer.append(try fitted.transform(texts), labels: svmlight ? numbers : nil)
                texts.removeAll(keepingCapacity: true)
                numbers.removeAll(keepingCapacity: true)
            }
            progress.line("transforming \(path), streamed")
            _ = try readStreaming(path, trainingFormat: path == train ? nil : trainingFormat) { document in
                texts.append(document.text)
                if let label = document.label {
                    labelled = true
                    try labelsFile.write(contentsOf: Data((label + "\n").utf8))
                    if svmlight {
                        guard let number = classNumbers[label] else {
                            throw CorpusError(
                                .invalidValue, path: document.source.path, line: document.source.line,
                                message: "the label '\(label)', which the training corpus does not have (--svmlight)")
                        }
                        numbers.append(number)
                    }
                } else if svmlight {
                    throw DataError("--svmlight needs labels, and \(path) has none")
                }
                if texts.count == StreamedBatches.chunkSize { try flush() }
            }
            try flush()
            try writer.finish()
            if labelled {
                guard rename(labelsTemporary, labelsPath) == 0 else { throw DataError("\(labelsPath): cannot write the file") }
            }
            let elapsed = (clock.now - start).inSeconds
            let density = writer.rowCount == 0 ? 0 : Double(writer.storedCount) / (Double(writer.rowCount) * Double(fitted.columnCount))
            progress.summary(
                "\(Self.outputName(path)): \(writer.rowCount) × \(fitted.columnCount), \(writer.storedCount) stored, "
                    + "density \(String(format: "%.6f", density)), \(String(format: "%.3f", elapsed)) s" + (labelled ? "" : " (no labels)"))
            summary.inputs.append(
                Summary.Input(
                    path: path, name: Self.outputName(path), rows: writer.rowCount, columns: fitted.columnCount, stored: writer.storedCount,
                    density: density, seconds: elapsed, labelled: labelled))
        }
        try finish(summary, started: started, clock)
    }

    /// Makes the output folder (removing stale temporary files) and writes `vectorizer.json`
    /// and `vocabulary.txt` there; returns the folder.
    private func writeFeatures(_ fitted: FittedFeatures, classes: [String]?) throws -> URL {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        TemporaryFile.removeStale(in: out)
        let folder = URL(fileURLWithPath: out)
        try AtomicFile.write(try fitted.encodedFile(labels: classes), to: folder.appendingPathComponent("vectorizer.json").path)
        if let vocabulary = fitted.vocabulary {
            try AtomicFile.write(to: folder.appendingPathComponent("vocabulary.txt").path) { output in
                for term in vocabulary.terms { try output.write(term + "\n") }
            }
        }
        return folder
    }

    /// Reads a corpus with bounded memory, handing each document to `body`; a corpus is
    /// labelled throughout or not at all. Returns its format.
    private func readStreaming(
        _ path: String, trainingFormat: CorpusFormat?, _ body: (LabeledDocument) throws -> Void
    ) throws -> CorpusFormat {
        let counter = DocumentCounter(label: path, enabled: !quiet && isatty(2) == 1)
        defer { counter.finish() }
        var reader = try CorpusReader(path: path, options: data.corpusOptions(labelRequired: false))
        reader.boundedMemory = true
        if let trainingFormat, reader.format != trainingFormat, data.format == nil {
            throw DataError(
                "\(path) is \(reader.format.rawValue) but the training corpus is \(trainingFormat.rawValue); "
                    + "convert it, or pass --format to read both the same way")
        }
        var labelled: Bool?
        try reader.forEach(warn: printWarning) { document in
            counter.add()
            if let labelled, labelled != (document.label != nil) {
                throw CorpusError(
                    .missingLabel, path: document.source.path, line: document.source.line,
                    message: document.label == nil ? "missing label (other documents of this corpus have one)" : "a label, where the documents before have none")
            }
            labelled = document.label != nil
            try body(document)
        }
        return reader.format
    }

    /// What `--json` writes.
    struct Summary: Encodable {
        /// One input's matrix.
        struct Input: Encodable {
            var path: String
            var name: String
            var rows: Int
            var columns: Int
            /// Stored values (sparse features only).
            var stored: Int?
            /// Stored values over rows × columns (sparse features only).
            var density: Double?
            var seconds: Double
            var labelled: Bool
        }
        /// The feature kind: counts, tfidf, hashing or glove.
        var features: String
        var columns: Int
        /// The training corpus's classes in code-point order, when it is labelled.
        var classes: [String]?
        var out: String
        var inputs: [Input] = []
        var seconds = 0.0
    }

    /// Writes the `--json` summary, if asked for, and the last progress line.
    private func finish(_ summary: Summary, started: ContinuousClock.Instant, _ clock: ContinuousClock) throws {
        var summary = summary
        summary.seconds = (clock.now - started).inSeconds
        if let json { try SummaryFile.write(summary, to: json) }
        progress.line("wrote \(out) in \(String(format: "%.3f", summary.seconds)) s")
        if let json { progress.line("wrote \(json)") }
    }

    /// `--features glove`: dense rows of averaged word vectors, written as `NAME.npy`.
    private func runEmbeddings() throws {
        let clock = ContinuousClock()
        let started = clock.now
        var corpora: [(Corpus, [String])] = []
        for (index, path) in ([train] + applyFiles).enumerated() {
            progress.line("reading \(path)")
            var texts: [String] = []
            let corpus = try read(path, trainingFormat: index == 0 ? nil : corpora[0].0.format) { texts.append($0) }
            corpora.append((corpus, texts))
        }
        let (fitted, store, cache) = try features.fitEmbeddings(
            text: text.analyzer(), texts: corpora[0].1, seed: 0, report: { progress.line($0) })
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        TemporaryFile.removeStale(in: out)
        var outputs: [(Corpus, Tensor, Double, String)] = []
        for (corpus, texts) in corpora {
            let start = clock.now
            let (matrix, averaging, cached) = try fitted.transform(texts, store: store, cache: cache, report: { progress.line($0) })
            let note = cached ? "averages from the cache" : averaging.map { "\($0.emptyDocuments) documents without a known word, \($0.unknownTokens) of \($0.tokens) tokens unknown" } ?? ""
            outputs.append((corpus, matrix, (clock.now - start).inSeconds, note))
        }
        let folder = URL(fileURLWithPath: out)
        try AtomicFile.write(try fitted.encodedFile(), to: folder.appendingPathComponent("embeddings.json").path)
        var summary = Summary(
            features: FeatureKind.glove.rawValue, columns: outputs.first?.1.columns ?? 0, classes: corpora[0].0.classes, out: out)
        for (corpus, matrix, elapsed, note) in outputs {
            let base = folder.appendingPathComponent(corpus.name).path
            try NPYArray(shape: matrix.shape, elements: .float32(matrix.scalars)).write(to: base + ".npy")
            try corpus.writeLabels(base: base)
            progress.summary("\(corpus.name): \(matrix.rows) × \(matrix.columns) dense, \(String(format: "%.3f", elapsed)) s; \(note)")
            summary.inputs.append(
                Summary.Input(
                    path: corpus.path, name: corpus.name, rows: matrix.rows, columns: matrix.columns, stored: nil, density: nil,
                    seconds: elapsed, labelled: corpus.labels != nil))
        }
        try finish(summary, started: started, clock)
    }

    /// The progress and summary lines, silenced by `--quiet`.
    private var progress: Progress { Progress(quiet: quiet) }
}
