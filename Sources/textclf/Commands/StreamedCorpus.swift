import Foundation
import TextClf

/// A labelled corpus read from its file each time it is used and never held in memory
/// (`textclf train --stream`): the file's pages are dropped as it is read
/// (``CorpusReader/boundedMemory``), and only the documents being vectorized are kept.
///
/// A part of the corpus is chosen by position: document *i* (0-based, file order) is held out
/// for validation when a hash of the seed and *i* falls below the fraction, so the same seed
/// holds out the same documents on every pass, without remembering them. (In memory,
/// `--validation-fraction` draws a stratified split instead; the two hold out different
/// documents.)
struct StreamedCorpus {
    /// The file.
    let path: String
    /// How to read it.
    let options: CorpusOptions
    /// Which documents this corpus is.
    var part: Part = .all
    /// With several ranks, the rank whose share this is: the documents at positions
    /// `rank`, `rank + size`, … of the part.
    var shard: (rank: Int, size: Int)?

    enum Part {
        /// Every document.
        case all
        /// The documents a held-out fraction keeps (`held: false`) or holds out (`held: true`).
        case split(fraction: Double, seed: UInt64, held: Bool)
    }

    /// Whether document `position` is held out by a fraction `fraction` drawn with `seed`.
    static func isHeldOut(_ position: Int, fraction: Double, seed: UInt64) -> Bool {
        // SplitMix64's finaliser of the seed and the position: a uniform 64-bit hash.
        var z = seed &+ UInt64(position) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) * 0x1p-53 < fraction
    }

    /// The same file, split: the part kept for training and the part held out.
    func split(fraction: Double, seed: UInt64) -> (kept: StreamedCorpus, held: StreamedCorpus) {
        (StreamedCorpus(path: path, options: options, part: .split(fraction: fraction, seed: seed, held: false)),
         StreamedCorpus(path: path, options: options, part: .split(fraction: fraction, seed: seed, held: true)))
    }

    /// Rank `rank`'s share of this part, of `size` ranks.
    func sharded(rank: Int, size: Int) -> StreamedCorpus {
        var share = self
        share.shard = (rank, size)
        return share
    }

    /// Calls `body` with each document of this part, in file order; `warn` gets the reader's
    /// warnings (the first pass shows them, later passes need not).
    func forEach(warn: (String) -> Void = { _ in }, _ body: (LabeledDocument) throws -> Void) throws {
        var reader = try CorpusReader(path: path, options: options)
        reader.boundedMemory = true
        var position = 0, inPart = 0
        try reader.forEach(warn: warn) { document in
            defer { position += 1 }
            if case .split(let fraction, let seed, let held) = part, Self.isHeldOut(position, fraction: fraction, seed: seed) != held {
                return
            }
            defer { inPart += 1 }
            if let shard, inPart % shard.size != shard.rank { return }
            try body(document)
        }
    }

    /// The class of `document`'s label; a label the classes lack is an error naming the file
    /// and line.
    static func encode(_ document: LabeledDocument, _ encoder: LabelEncoder) throws -> Int {
        let label = document.label ?? ""
        do { return try encoder.encode(label) } catch {
            throw CorpusError(
                .invalidValue, path: document.source.path, line: document.source.line,
                message: "label '\(label)' does not occur in the training data (\(encoder.classes.joined(separator: ", ")))")
        }
    }
}

/// Labelled rows of a streamed corpus to evaluate on, vectorized batch by batch.
struct StreamedEvaluation: EvaluationData {
    let corpus: StreamedCorpus
    let features: FeaturePipeline
    let encoder: LabelEncoder

    func forEachBatch(size: Int, _ body: (Features, [Int]) throws -> Void) throws {
        var texts: [String] = [], labels: [Int] = []
        func flush() throws {
            guard !texts.isEmpty else { return }
            try body(try features.transform(texts), labels)
            texts.removeAll(keepingCapacity: true)
            labels.removeAll(keepingCapacity: true)
        }
        try corpus.forEach { document in
            texts.append(document.text)
            labels.append(try StreamedCorpus.encode(document, encoder))
            if texts.count == size { try flush() }
        }
        try flush()
    }
}

extension Features {
    /// The values of dense features, row after row (empty for sparse ones).
    var denseRows: [Float] {
        if case .dense(let tensor) = self { return tensor.scalars }
        return []
    }
}

/// Training batches of a streamed corpus, read and vectorized again each epoch and shuffled
/// within a seeded buffer of rows (`--shuffle-buffer`).
///
/// The buffer holds up to `bufferSize` vectorized rows. Once it is full, each row read takes
/// the place of a row drawn uniformly from the buffer, which goes to the next batch; at the
/// end of the file the buffer empties in a random order. A buffer as large as the corpus
/// shuffles it completely; a smaller one mixes rows only within about its size, so a corpus
/// sorted by label needs a buffer larger than its longest run of one label (or a shuffled
/// file). The draws come from stream `epoch` of the seed, so one seed gives the same batches
/// every run.
///
/// `@unchecked Sendable`: every property is set once, and an epoch's thread only reads them.
final class StreamedBatches: BatchSource, @unchecked Sendable {
    let corpus: StreamedCorpus
    let features: FeaturePipeline
    let encoder: LabelEncoder
    /// The class of each document this source reads, from the first pass.
    let documentLabels: [Int]
    /// The class of every training document of the run (every rank's, with several), for
    /// class weights.
    let labels: [Int]
    /// With several ranks reading their own shares: this rank, and the batches of an epoch
    /// every rank makes (a rank whose share runs out first adds empty batches).
    let rankLocal: (rank: Int, batchesPerEpoch: Int)?
    let batchSize: Int
    let dropLast: Bool
    let shuffle: Bool
    let bufferSize: Int
    let seed: UInt64

    /// Documents vectorized together.
    static let chunkSize = 1024

    init(
        corpus: StreamedCorpus, features: FeaturePipeline, encoder: LabelEncoder, labels: [Int], batchSize: Int, dropLast: Bool,
        shuffle: Bool, bufferSize: Int, seed: UInt64, allLabels: [Int]? = nil, rankLocal: (rank: Int, batchesPerEpoch: Int)? = nil
    ) {
        self.corpus = corpus
        self.features = features
        self.encoder = encoder
        documentLabels = labels
        self.labels = allLabels ?? labels
        self.rankLocal = rankLocal
        self.batchSize = batchSize
        self.dropLast = dropLast
        self.shuffle = shuffle
        self.bufferSize = bufferSize
        self.seed = seed
    }

    var batchesPerEpoch: Int { rankLocal?.batchesPerEpoch ?? Self.batches(documents: documentLabels.count, size: batchSize, dropLast: dropLast) }

    var isRankLocal: Bool { rankLocal != nil }

    /// The batches of `documents` documents in batches of `size`.
    static func batches(documents: Int, size: Int, dropLast: Bool) -> Int {
        documents / size + (dropLast || documents % size == 0 ? 0 : 1)
    }

    func epochBatches(_ epoch: Int, from first: Int) throws -> any BatchStream {
        var stream = StreamedEpoch { [self] emit in try produce(epoch: epoch, emit) }
        for _ in 0..<first where try stream.nextBatch() != nil {}
        return stream
    }

    /// One vectorized row waiting in the buffer.
    private struct Row {
        var columns: [Int32]
        var values: [Float]
        var label: Int
        /// The document's place among the training documents.
        var index: Int
    }

    /// Reads the corpus once, handing each batch of the epoch to `emit` in order.
    private func produce(epoch: Int, _ emit: (Batch) throws -> Void) throws {
        // Each rank shuffles its share with a stream of its own.
        var generator = RandomGenerator(seed: seed &+ UInt64(rankLocal?.rank ?? 0) &* 0x9E37_79B9_7F4A_7C15).fork(stream: UInt64(epoch))
        var buffer: [Row] = []
        var emitted = 0
        var pending: [Row] = []
        var rowsSeen = 0
        func take(_ row: Row) throws {
            pending.append(row)
            if pending.count == batchSize { try emitPending() }
        }
        func emitPending() throws {
            var pointers = [0], columns: [Int32] = [], values: [Float] = []
            for row in pending {
                columns += row.columns
                values += row.values
                pointers.append(columns.count)
            }
            let rows: Features
            if features.sparse == nil {
                rows = .dense(try Tensor(shape: [pending.count, features.columnCount], values: values, device: .cpu))
            } else {
                rows = .sparse(CSRMatrix(
                    unchecked: pending.count, columnCount: features.columnCount, rowPointers: pointers, columnIndices: columns, values: values))
            }
            try emit(Batch(features: rows, labels: pending.map(\.label), indices: pending.map(\.index)))
            pending.removeAll(keepingCapacity: true)
            emitted += 1
        }
        var texts: [String] = [], chunkLabels: [Int] = []
        func vectorizeChunk() throws {
            guard !texts.isEmpty else { return }
            let chunk = try features.transform(texts)
            let dense = chunk.denseRows
            for row in 0..<chunk.rowCount {
                let next: Row
                switch chunk {
                case .sparse(let matrix):
                    let entries = matrix.entries(ofRow: row)
                    next = Row(columns: Array(matrix.columnIndices[entries]), values: Array(matrix.values[entries]), label: chunkLabels[row], index: rowsSeen)
                case .dense:
                    let width = features.columnCount
                    next = Row(columns: [], values: Array(dense[(row * width)..<((row + 1) * width)]), label: chunkLabels[row], index: rowsSeen)
                }
                rowsSeen += 1
                if !shuffle {
                    try take(next)
                } else if buffer.count < bufferSize {
                    buffer.append(next)
                } else {
                    let place = generator.nextInt(below: bufferSize)
                    try take(buffer[place])
                    buffer[place] = next
                }
            }
            texts.removeAll(keepingCapacity: true)
            chunkLabels.removeAll(keepingCapacity: true)
        }
        try corpus.forEach { document in
            texts.append(document.text)
            chunkLabels.append(try StreamedCorpus.encode(document, encoder))
            if texts.count == Self.chunkSize { try vectorizeChunk() }
        }
        try vectorizeChunk()
        guard rowsSeen == documentLabels.count else {
            throw DataError("\(corpus.path) changed while training: \(rowsSeen) training documents now, \(documentLabels.count) when training began")
        }
        // The buffer's rows, in a random order.
        for index in stride(from: buffer.count - 1, to: 0, by: -1) {
            buffer.swapAt(index, generator.nextInt(below: index + 1))
        }
        for row in buffer { try take(row) }
        if !pending.isEmpty && !dropLast { try emitPending() }
        // A share that ran out first keeps step with the other ranks.
        while emitted < batchesPerEpoch { try emitPending() }
    }
}

/// The batches of one streamed epoch, made on a thread of their own a few batches ahead of
/// training. Dropping the stream (the epoch ended early: a cancellation, early stopping)
/// stops the thread.
struct StreamedEpoch: BatchStream {
    private let channel: Channel
    private let owner: Owner

    /// Starts `produce` on its own thread; it hands batches to the function it is given,
    /// which waits while enough batches are ready.
    init(_ produce: @escaping @Sendable ((Batch) throws -> Void) throws -> Void) {
        let channel = Channel()
        self.channel = channel
        owner = Owner(channel: channel)
        Thread.detachNewThread {
            do {
                try produce { batch in try channel.push(batch) }
                channel.finish(nil)
            } catch {
                channel.finish(error)
            }
        }
    }

    mutating func nextBatch() throws -> Batch? { try channel.pop() }

    /// Stops the producer when the last copy of the stream goes.
    private final class Owner {
        let channel: Channel
        init(channel: Channel) { self.channel = channel }
        deinit { channel.cancel() }
    }

    /// A bounded queue of batches between the producer and training.
    private final class Channel: @unchecked Sendable {
        private let condition = NSCondition()
        private var queue: [Batch] = []
        private var done = false
        private var failure: (any Error)?
        private var cancelled = false
        /// Batches made ahead of training.
        static let depth = 4

        struct Cancelled: Error {}

        func push(_ batch: Batch) throws {
            condition.lock()
            defer { condition.unlock() }
            while queue.count >= Self.depth && !cancelled { condition.wait() }
            if cancelled { throw Cancelled() }
            queue.append(batch)
            condition.broadcast()
        }

        func finish(_ error: (any Error)?) {
            condition.lock()
            done = true
            failure = error
            condition.broadcast()
            condition.unlock()
        }

        func pop() throws -> Batch? {
            condition.lock()
            defer { condition.unlock() }
            while queue.isEmpty && !done { condition.wait() }
            if queue.isEmpty {
                if let failure, !(failure is Cancelled) { throw failure }
                return nil
            }
            condition.broadcast()
            return queue.removeFirst()
        }

        func cancel() {
            condition.lock()
            cancelled = true
            queue.removeAll()
            condition.broadcast()
            condition.unlock()
        }
    }
}
