/// Where training batches come from, epoch after epoch: a ``DataLoader`` over a ``Dataset``
/// in memory, or batches read from disk each epoch (`textclf train --stream`). The trainer
/// has one loop for both.
public protocol BatchSource {
    /// The class of every training row, for class weights.
    var labels: [Int] { get }
    /// The number of batches in each epoch.
    var batchesPerEpoch: Int { get }
    /// The batches of `epoch` (0-based) after its first `first`: the same batches every time
    /// for one epoch and seed, so a run stopped after `first` steps continues exactly.
    /// - Throws: when the batches cannot be read (a file gone or changed).
    func epochBatches(_ epoch: Int, from first: Int) throws -> any BatchStream

    /// Whether these are one rank's own batches in a data-parallel run (each rank reads its
    /// share of the data), rather than the whole run's, which each rank slices.
    var isRankLocal: Bool { get }
}

extension BatchSource {
    public var isRankLocal: Bool { false }
}

/// The batches of one epoch, one at a time.
public protocol BatchStream {
    /// The next batch, or `nil` at the end of the epoch.
    /// - Throws: what reading the batch threw; the epoch ends there.
    mutating func nextBatch() throws -> Batch?
}

extension BatchIterator: BatchStream {
    public mutating func nextBatch() -> Batch? { next() }
}

extension DataLoader: BatchSource {
    public var labels: [Int] { dataset.labels }

    public func epochBatches(_ epoch: Int, from first: Int) -> any BatchStream {
        batches(epoch: epoch, from: first).makeIterator()
    }
}

/// Labelled rows to evaluate a model on, batch by batch in a fixed order: a ``Dataset`` in
/// memory, or rows read from disk (`textclf train --stream`).
public protocol EvaluationData {
    /// Calls `body` with consecutive batches of at most `size` rows and their classes, in
    /// order.
    /// - Throws: what `body` throws, or what reading the rows threw.
    func forEachBatch(size: Int, _ body: (Features, [Int]) throws -> Void) throws
}

extension Dataset: EvaluationData {
    public func forEachBatch(size: Int, _ body: (Features, [Int]) throws -> Void) throws {
        var start = 0
        while start < count {
            let end = Swift.min(start + size, count)
            try body(features.batch(in: start..<end), Array(labels[start..<end]))
            start = end
        }
    }
}
