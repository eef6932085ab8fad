import Dispatch
import TextClfTensor

/// Mini-batches of a ``Dataset``, one pass (epoch) at a time.
///
/// **Order.** Each epoch's order depends only on the seed and the epoch number: with
/// `shuffle`, epoch *e* (0-based) uses the permutation drawn from
/// `RandomGenerator(seed: seed).fork(stream: UInt64(e))`. So epoch *e* is the same whether
/// or not epochs 0..<e ran first, and training resumed at epoch *e* from a checkpoint sees
/// exactly the batches an uninterrupted run would have. Without `shuffle` rows come in
/// dataset order and batches are contiguous slices (cheaper than gathers).
///
/// **Balanced sampling.** With `balanced`, each epoch draws `dataset.count` rows *with
/// replacement*, first a class uniformly among the classes present, then a row of that class
/// uniformly, so every class is equally likely in every batch whatever the class imbalance.
/// The draws come from the same per-epoch stream, so they are reproducible too; `shuffle` has
/// no further effect (the draws are already in random order).
///
/// **Prefetch.** With `prefetch`, while the caller trains on batch *i* the loader builds batch
/// *i + 1* on a background queue; the batches and their order are the same either way. Handing
/// a batch over costs 10–50 µs, more than building a small one, so an iteration first builds
/// ``prefetchProbeBatches`` batches inline, timing each build and how long the caller keeps the
/// batch, and goes on in the background only if the caller's time per batch is at least twice
/// the build time (the first, cold build not counted) and at least 50 µs. `prefetch: false`
/// skips the probe.
public final class DataLoader: Sendable {
    /// The dataset being batched.
    public let dataset: Dataset
    /// Rows per batch (the last batch of an epoch may be smaller unless ``dropLast``).
    public let batchSize: Int
    /// Whether each epoch has its own seeded random order.
    public let shuffle: Bool
    /// The seed of the per-epoch streams.
    public let seed: UInt64
    /// Whether a last batch smaller than ``batchSize`` is dropped.
    public let dropLast: Bool
    /// Whether rows are sampled with replacement so that classes are equally likely.
    public let balanced: Bool
    /// Whether prefetching was asked for (an iteration still decides from timings whether it pays).
    public let prefetch: Bool
    /// The rows of each class, by class; only built for balanced sampling.
    private let rowsByClass: [[Int]]

    /// How many batches of each iteration are built inline and timed before deciding whether
    /// to prefetch (see the type's discussion).
    public static let prefetchProbeBatches = 4

    /// Creates a loader whose properties of the same names are the arguments.
    /// - Throws: ``DataLoaderError/invalidBatchSize(_:)`` when `batchSize < 1`.
    /// - Complexity: O(*n*) for balanced sampling (grouping rows by class), else O(1).
    public init(
        dataset: Dataset, batchSize: Int, shuffle: Bool = true, seed: UInt64 = 0, dropLast: Bool = false,
        balanced: Bool = false, prefetch: Bool = true
    ) throws {
        guard batchSize >= 1 else { throw DataLoaderError.invalidBatchSize(batchSize) }
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
        self.dropLast = dropLast
        self.balanced = balanced
        self.prefetch = prefetch
        if balanced {
            var groups = [Int: [Int]]()
            for (row, label) in dataset.labels.enumerated() { groups[label, default: []].append(row) }
            rowsByClass = groups.keys.sorted().map { groups[$0]! }
        } else {
            rowsByClass = []
        }
    }

    /// The number of batches in each epoch.
    /// - Complexity: O(1).
    public var batchesPerEpoch: Int {
        // (Not `(count + batchSize − 1) / batchSize`, which overflows for a huge batch size.)
        dataset.count / batchSize + (dropLast || dataset.count % batchSize == 0 ? 0 : 1)
    }

    /// Whether an iteration may build batches in the background: `prefetch` was asked for and
    /// an epoch has more batches than the probe (the timing decides the rest).
    public var mayPrefetch: Bool {
        prefetch && batchesPerEpoch > DataLoader.prefetchProbeBatches + 1
    }

    /// The row order of `epoch`: a permutation, `0..<n`, or balanced draws with replacement.
    /// - Complexity: O(*n*).
    public func order(epoch: Int) -> [Int] {
        precondition(epoch >= 0, "epoch \(epoch) is negative")
        let count = dataset.count
        if !balanced && !shuffle { return Array(0..<count) }
        var generator = RandomGenerator(seed: seed).fork(stream: UInt64(epoch))
        if !balanced { return generator.permutation(count) }
        var rows = [Int]()
        rows.reserveCapacity(count)
        for _ in 0..<count {
            let group = rowsByClass[generator.nextInt(below: rowsByClass.count)]
            rows.append(group[generator.nextInt(below: group.count)])
        }
        return rows
    }

    /// The batches of `epoch` (0-based), built lazily as the sequence is iterated.
    ///
    /// Iterating the returned sequence again yields the same batches.
    /// - Complexity: O(*n*) to start an iteration (the epoch's order), then per batch
    ///   O(rows + stored entries of those rows).
    public func batches(epoch: Int) -> BatchSequence {
        batches(epoch: epoch, from: 0)
    }

    /// The batches of `epoch` from batch `first` (0-based) on: the same batches as
    /// ``batches(epoch:)`` yields after its first `first`, without building those. A run
    /// that stopped after `first` steps of an epoch continues with them.
    /// - Complexity: as ``batches(epoch:)``.
    public func batches(epoch: Int, from first: Int) -> BatchSequence {
        precondition(epoch >= 0, "epoch \(epoch) is negative")
        precondition(first >= 0, "first batch \(first) is negative")
        return BatchSequence(loader: self, epoch: epoch, first: first)
    }
}

/// The batches of one epoch of a ``DataLoader``; see ``DataLoader/batches(epoch:)``.
public struct BatchSequence: Sequence, Sendable {
    let loader: DataLoader
    /// The epoch these batches belong to.
    public let epoch: Int
    /// The epoch's batches before this one are left out.
    let first: Int

    /// The number of batches.
    public var underestimatedCount: Int { Swift.max(0, loader.batchesPerEpoch - first) }

    /// Starts an iteration: computes the epoch's order and, with prefetch, starts building
    /// the first batch in the background.
    public func makeIterator() -> BatchIterator {
        let contiguous = !loader.shuffle && !loader.balanced
        let plan = EpochPlan(
            dataset: loader.dataset, order: contiguous ? [] : loader.order(epoch: epoch),
            contiguous: contiguous, batchSize: loader.batchSize, batchCount: loader.batchesPerEpoch)
        return BatchIterator(plan: plan, mode: loader.mayPrefetch ? .adaptive : .inline, position: first)
    }
}

/// Yields one epoch's batches; with prefetch, batch *i + 1* is built while batch *i* is used.
public struct BatchIterator: IteratorProtocol {
    /// How batches are built.
    enum Mode {
        /// Always on the caller's thread.
        case inline
        /// Always in the background (tests use it to exercise that path).
        case background
        /// Inline for the probe batches, then in the background if the timings say it pays.
        case adaptive
    }

    private let plan: EpochPlan
    private var mode: Mode
    private var position = 0
    /// The batch being built in the background for `position`, if any.
    private var pending: PrefetchSlot?
    /// Probe timings, in nanoseconds: total build time, total time the caller held batches.
    private var buildTime: UInt64 = 0
    private var callerTime: UInt64 = 0
    private var callerSamples = 0
    private var lastReturn: UInt64?

    init(plan: EpochPlan, mode: Mode, position: Int = 0) {
        self.plan = plan
        self.mode = mode
        self.position = position
    }

    /// The next batch, or `nil` at the end of the epoch.
    public mutating func next() -> Batch? {
        guard position < plan.batchCount else { return nil }
        let batch: Batch
        if let slot = pending {
            batch = slot.wait()
            pending = nil
        } else if mode == .adaptive {
            let start = DispatchTime.now().uptimeNanoseconds
            if let last = lastReturn {
                callerTime += start - last
                callerSamples += 1
            }
            batch = plan.batch(position)
            let end = DispatchTime.now().uptimeNanoseconds
            // The first build is cold (allocator, caches) and would overstate the cost.
            if position > 0 { buildTime += end - start }
            lastReturn = end
            if position + 1 == DataLoader.prefetchProbeBatches { decide() }
        } else {
            batch = plan.batch(position)
        }
        position += 1
        if mode == .background && position < plan.batchCount {
            pending = PrefetchSlot(plan: plan, index: position)
        }
        return batch
    }

    /// Ends the probe: background if the caller's time per batch is at least twice the
    /// build time and at least 50 µs (the measured cost of the thread hand-over), else inline.
    private mutating func decide() {
        let probes = UInt64(DataLoader.prefetchProbeBatches - 1)
        let build = buildTime / probes
        let caller = callerSamples > 0 ? callerTime / UInt64(callerSamples) : 0
        mode = caller >= 2 * build && caller >= 50_000 ? .background : .inline
    }

    /// Whether batches are currently built in the background (after the probe, for adaptive iteration).
    var isPrefetching: Bool { mode == .background }
}

/// Everything needed to build any batch of one epoch; a value, so background builders share it safely.
struct EpochPlan: Sendable {
    let dataset: Dataset
    /// The epoch's row order; empty when `contiguous` (dataset order).
    let order: [Int]
    let contiguous: Bool
    let batchSize: Int
    let batchCount: Int

    /// Batch `index` of the epoch.
    func batch(_ index: Int) -> Batch {
        let start = index * batchSize
        let end = Swift.min(start + batchSize, contiguous ? dataset.count : order.count)
        if contiguous {
            return Batch(
                features: dataset.features.batch(in: start..<end), labels: Array(dataset.labels[start..<end]),
                indices: Array(start..<end))
        }
        let indices = Array(order[start..<end])
        let batch = Batch(features: dataset.features.batch(indices), labels: indices.map { dataset.labels[$0] }, indices: indices)
        // The next batch's rows are scattered too: start loading them into the cache while
        // the caller trains on this one.
        if index + 1 < batchCount {
            dataset.features.prefetchRows(order[end..<Swift.min(end + batchSize, order.count)])
        }
        return batch
    }
}

/// One batch built on a background queue; `wait()` blocks until it is ready.
///
/// `@unchecked Sendable`: `result` is written once by the builder before it signals the
/// semaphore and read only after waiting on it, so the semaphore orders the accesses.
final class PrefetchSlot: @unchecked Sendable {
    private let ready = DispatchSemaphore(value: 0)
    private var result: Batch?

    init(plan: EpochPlan, index: Int) {
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            result = plan.batch(index)
            ready.signal()
        }
    }

    func wait() -> Batch {
        ready.wait()
        return result!
    }
}

/// An error configuring a ``DataLoader``.
public enum DataLoaderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A batch size below 1.
    case invalidBatchSize(Int)

    public var description: String {
        switch self {
        case .invalidBatchSize(let size): return "batch size must be at least 1, got \(size)"
        }
    }
}
