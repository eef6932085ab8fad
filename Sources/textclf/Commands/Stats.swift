import ArgumentParser
import Foundation
import TextClf

/// `textclf stats`: what a corpus holds, seen through the text stages.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Summarise a corpus: documents, labels, tokens and vocabulary.",
        discussion: """
            Reads the corpus, runs the text stages over every document and prints the \
            document count, the label distribution, tokens per document (mean, median, \
            maximum), empty documents, the vocabulary size (distinct tokens, the number of \
            columns scikit-learn's CountVectorizer would make with the same analyzer) and \
            the most frequent tokens. --json prints the same as one JSON object.

            Examples:
              textclf stats sms/SMSSpamCollection
              textclf stats sst2/train.tsv --text whitespace,porter,sklearn
              textclf stats corpora/reuters/ReutersGrain-train.arff --top 20 --json
            """).subcommandOfTextclf()

    @Argument(help: ArgumentHelp("A corpus file or folder.", valueName: "file"))
    var input: String

    @OptionGroup(title: "Text")
    var text: TextOptions

    @OptionGroup(title: "Data")
    var data: DataOptions

    @Option(help: "How many of the most frequent tokens to list.")
    var top = 10

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        _ = try text.analyzer()
        if top < 0 { throw ValidationError("--top must be 0 or more (got \(top))") }
    }

    func run() throws {
        let worker = try text.analyzer().makeWorker()
        let reader = try CorpusReader(path: input, options: data.corpusOptions(labelRequired: false))
        var vocabulary = ByteStringTable(capacity: 1 << 16)
        var frequencies: [Int] = []
        var labelCounts: [String: Int] = [:]
        var unlabelled = 0
        var lengths: [Int] = []
        try reader.forEach(warn: printWarning) { document in
            if let label = document.label { labelCounts[label, default: 0] += 1 } else { unlabelled += 1 }
            worker.withTokens(of: document.text) { tokens in
                lengths.append(tokens.count)
                tokens.forEachToken { token in
                    let (id, inserted) = vocabulary.insert(token)
                    if inserted { frequencies.append(0) }
                    frequencies[id] += 1
                }
            }
        }
        let sortedLengths = lengths.sorted()
        let totalTokens = lengths.reduce(0, +)
        let median: Double =
            sortedLengths.isEmpty
            ? 0
            : sortedLengths.count % 2 == 1
                ? Double(sortedLengths[sortedLengths.count / 2])
                : Double(sortedLengths[sortedLengths.count / 2 - 1] + sortedLengths[sortedLengths.count / 2]) / 2
        let mean = lengths.isEmpty ? 0 : Double(totalTokens) / Double(lengths.count)
        let empty = lengths.filter { $0 == 0 }.count
        // Most frequent first; ties in code-point order, so the list is reproducible.
        let topIDs = frequencies.indices.sorted {
            frequencies[$0] != frequencies[$1]
                ? frequencies[$0] > frequencies[$1]
                : vocabulary.key($0).lexicographicallyPrecedes(vocabulary.key($1))
        }.prefix(top)
        let labels = labelCounts.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }

        if json {
            let object: [String: Any] = [
                "path": input, "format": reader.format.rawValue, "stages": text.stages,
                "documents": lengths.count, "unlabelled": unlabelled,
                "labels": Dictionary(uniqueKeysWithValues: labels.map { ($0.key, $0.value) }),
                "tokens": totalTokens, "empty_documents": empty, "vocabulary": vocabulary.count,
                "tokens_per_document": ["mean": mean, "median": median, "max": sortedLengths.last ?? 0],
                "top_tokens": topIDs.map { [vocabulary.string($0), frequencies[$0]] as [Any] },
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("\(input) (\(reader.format.rawValue)), text stages \(text.stages)")
        print("documents       \(lengths.count)")
        if !labels.isEmpty {
            let width = labels.map(\.key.count).max() ?? 0
            print("labels          \(labels.count)")
            for (label, count) in labels {
                let share = 100 * Double(count) / Double(max(lengths.count, 1))
                print("  \(label.padding(toLength: width, withPad: " ", startingAt: 0))  \(count)  (\(String(format: "%.1f", share))%)")
            }
        }
        if unlabelled > 0 { print("unlabelled      \(unlabelled)") }
        print("tokens          \(totalTokens)")
        print("per document    mean \(String(format: "%.1f", mean)), median \(median.formatted()), max \(sortedLengths.last ?? 0)")
        print("empty documents \(empty)")
        print("vocabulary      \(vocabulary.count) distinct tokens")
        if !topIDs.isEmpty {
            print("most frequent   " + topIDs.map { "\(vocabulary.string($0)) (\(frequencies[$0]))" }.joined(separator: ", "))
        }
    }
}

extension Double {
    /// `12` for whole numbers, `12.5` otherwise.
    fileprivate func formatted() -> String {
        self == rounded() ? String(Int(self)) : String(self)
    }
}
