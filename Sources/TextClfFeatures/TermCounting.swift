import Dispatch
import Foundation
import TextClfTensor
import TextClfText

/// Counts terms of documents in batches on several threads, then merges the per-thread
/// counts in document order, so the result does not depend on the thread count.
///
/// Each thread has its own analyzer worker, term table and count builder; merging maps
/// each thread's term ids to the shared table (learning) or keeps the fixed columns.
struct TermCounting {
    /// The shared term table, in order of first appearance (unused with a fixed vocabulary).
    private(set) var terms = ByteStringTable(capacity: 1 << 16)
    /// The counts merged so far (none kept when ``keepsRows`` is off).
    private(set) var matrix = SparseCountBuilder()
    /// Whether the rows are kept; without them only ``documentFrequency``, ``totalCount``
    /// and ``documents`` grow, so memory is bounded by the vocabulary.
    let keepsRows: Bool
    /// For each term id: the documents it occurs in, and its occurrences (without rows kept).
    private(set) var documentFrequency: [Int] = []
    private(set) var totalCount: [Int] = []
    /// The documents counted (without rows kept).
    private(set) var documents = 0
    private let fixed: Vocabulary?
    private let counters: [BatchCounter]
    private var batch: [String] = []
    private var idMap: [Int] = []
    static let batchSize = 2048

    /// Counts the tokens of `analyzer` on `threads` worker threads: only the terms of `fixed`,
    /// as its columns, or every term, learning them when `fixed` is `nil`.
    init(analyzer: Analyzer, fixed: Vocabulary?, threads: Int, keepsRows: Bool = true) {
        self.fixed = fixed
        self.keepsRows = keepsRows
        counters = (0..<max(1, threads)).map { _ in BatchCounter(analyzer: analyzer, fixed: fixed) }
        batch.reserveCapacity(Self.batchSize)
    }

    /// The number of threads used when none is given: the machine's cores, at most 8.
    static var defaultThreads: Int { min(8, max(1, CPUBackend.usableCores)) }

    mutating func add(_ document: String) {
        batch.append(document)
        if batch.count >= Self.batchSize { flush() }
    }

    /// Counts the buffered documents and merges them.
    mutating func flush() {
        guard !batch.isEmpty else { return }
        let parts = batch.count < 64 ? 1 : counters.count
        let size = (batch.count + parts - 1) / parts
        let documents = batch
        let counters = self.counters
        if parts == 1 {
            counters[0].count(documents[...])
        } else {
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let start = min(part * size, documents.count)
                counters[part].count(documents[start..<min(start + size, documents.count)])
            }
        }
        for counter in counters.prefix(parts) { merge(counter) }
        batch.removeAll(keepingCapacity: true)
        if !keepsRows { foldRows() }
    }

    /// Adds the merged rows to the per-term totals and drops them.
    private mutating func foldRows() {
        let size = fixed?.count ?? terms.count
        if documentFrequency.count < size {
            documentFrequency += repeatElement(0, count: size - documentFrequency.count)
            totalCount += repeatElement(0, count: size - totalCount.count)
        }
        for index in matrix.columns.indices {
            let column = Int(matrix.columns[index])
            documentFrequency[column] += 1
            totalCount[column] += Int(matrix.counts[index])
        }
        documents += matrix.rowCount
        matrix.removeAll()
    }

    private mutating func merge(_ counter: BatchCounter) {
        if fixed != nil {
            matrix.appendRows(of: counter.matrix, columnMap: nil)
            return
        }
        let local = counter.terms
        idMap.removeAll(keepingCapacity: true)
        local.arena.withUnsafeBufferPointer { arena in
            var start = 0
            for end in local.keyEnds {
                idMap.append(terms.insert(UnsafeBufferPointer(rebasing: arena[start..<end])).id)
                start = end
            }
        }
        matrix.appendRows(of: counter.matrix, columnMap: idMap)
    }
}

/// One thread's share of a batch: its own analyzer worker, term table and counts.
/// Only one thread touches an instance at a time.
final class BatchCounter: @unchecked Sendable {
    let worker: AnalyzerWorker
    let fixed: Vocabulary?
    var terms = ByteStringTable(capacity: 1 << 14)
    var matrix = SparseCountBuilder()

    init(analyzer: Analyzer, fixed: Vocabulary?) {
        worker = analyzer.makeWorker()
        self.fixed = fixed
    }

    func count(_ documents: ArraySlice<String>) {
        // Locals, not properties: a class property would pay an exclusivity check per token.
        var terms = self.terms
        var matrix = self.matrix
        self.terms = ByteStringTable(capacity: 0)
        self.matrix = SparseCountBuilder()
        terms.removeAll()
        matrix.removeAll()
        let fixed = self.fixed
        for document in documents {
            worker.withTokens(of: document) { tokens in
                tokens.forEachToken { token in
                    if let fixed {
                        if let column = fixed.column(of: token) { matrix.count(column) }
                    } else {
                        matrix.count(terms.insert(token).id)
                    }
                }
            }
            matrix.endRow()
        }
        self.terms = terms
        self.matrix = matrix
    }
}
