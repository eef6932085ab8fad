import Foundation
import Testing
import TextClfTensor

@testable import TextClfDataset

/// Everything observable about an epoch's batches, for comparisons.
private func snapshot(_ loader: DataLoader, epoch: Int) -> [[Int]] {
    loader.batches(epoch: epoch).map(\.indices)
}

@Suite("DataLoader")
struct DataLoaderTests {
    let dataset = try! Dataset(features: .sparse(sampleCSR(rows: 23)), labels: (0..<23).map { $0 % 3 })

    @Test("every epoch covers every row exactly once; the last batch is the short tail")
    func coverage() throws {
        for shuffle in [true, false] {
            let loader = try DataLoader(dataset: dataset, batchSize: 5, shuffle: shuffle, seed: 1)
            #expect(loader.batchesPerEpoch == 5)
            for epoch in 0..<3 {
                let batches = Array(loader.batches(epoch: epoch))
                #expect(batches.map(\.count) == [5, 5, 5, 5, 3])
                #expect(batches.flatMap(\.indices).sorted() == Array(0..<23))
                for batch in batches {
                    #expect(batch.labels == batch.indices.map { dataset.labels[$0] })
                }
            }
        }
        let ordered = try DataLoader(dataset: dataset, batchSize: 5, shuffle: false)
        #expect(snapshot(ordered, epoch: 0).flatMap { $0 } == Array(0..<23))
    }

    @Test("dropLast drops only the short tail")
    func dropLast() throws {
        let loader = try DataLoader(dataset: dataset, batchSize: 5, seed: 4, dropLast: true)
        let full = try DataLoader(dataset: dataset, batchSize: 5, seed: 4)
        #expect(loader.batchesPerEpoch == 4)
        let batches = snapshot(loader, epoch: 2)
        #expect(batches.map(\.count) == [5, 5, 5, 5])
        #expect(batches == Array(snapshot(full, epoch: 2).prefix(4)))
        let exact = try DataLoader(dataset: dataset.subset(Array(0..<20)), batchSize: 5, dropLast: true)
        #expect(exact.batchesPerEpoch == 4)
        #expect(snapshot(exact, epoch: 0).flatMap { $0 }.sorted() == Array(0..<20))
    }

    @Test("the same seed gives the same batches; epochs and seeds differ")
    func determinism() throws {
        let a = try DataLoader(dataset: dataset, batchSize: 4, seed: 42)
        let b = try DataLoader(dataset: dataset, batchSize: 4, seed: 42)
        let c = try DataLoader(dataset: dataset, batchSize: 4, seed: 43)
        #expect(snapshot(a, epoch: 0) == snapshot(b, epoch: 0))
        #expect(snapshot(a, epoch: 0) != snapshot(a, epoch: 1))
        #expect(snapshot(a, epoch: 1) != snapshot(a, epoch: 2))
        #expect(snapshot(a, epoch: 0) != snapshot(c, epoch: 0))
        // The epoch-e permutation is documented as fork(stream: e) of the seed's generator.
        var generator = RandomGenerator(seed: 42).fork(stream: 5)
        #expect(snapshot(a, epoch: 5).flatMap { $0 } == generator.permutation(23))
    }

    @Test("resuming at epoch 3 gives the batches an uninterrupted run gets there")
    func resume() throws {
        let uninterrupted = try DataLoader(dataset: dataset, batchSize: 4, seed: 9)
        var epochs = [[[Int]]]()
        for epoch in 0...3 { epochs.append(snapshot(uninterrupted, epoch: epoch)) }
        let resumed = try DataLoader(dataset: dataset, batchSize: 4, seed: 9)
        #expect(snapshot(resumed, epoch: 3) == epochs[3])
        // Iterating the same sequence twice, or partly, does not shift anything.
        let sequence = resumed.batches(epoch: 3)
        var iterator = sequence.makeIterator()
        _ = iterator.next()
        #expect(sequence.map(\.indices) == epochs[3])
    }

    @Test("background, adaptive and inline building give identical batches, features included")
    func prefetch() throws {
        let values = (0..<(40 * 30)).map { Float($0 % 97) }
        let dense = try Dataset(features: .dense(try Tensor(shape: [40, 30], values: values)), labels: (0..<40).map { $0 % 2 })
        for (data, batch) in [(dense, 3), (dataset, 2)] {
            let options: [(shuffle: Bool, balanced: Bool)] = [(true, false), (false, false), (true, true)]
            for options in options {
                let loader = try DataLoader(dataset: data, batchSize: batch, shuffle: options.shuffle, seed: 3, balanced: options.balanced)
                #expect(loader.mayPrefetch)
                for epoch in 0..<2 {
                    let inline = collect(loader, epoch: epoch, mode: .inline)
                    let background = collect(loader, epoch: epoch, mode: .background)
                    let public_ = Array(loader.batches(epoch: epoch))
                    for other in [background, public_] {
                        #expect(other.map(\.indices) == inline.map(\.indices))
                        #expect(other.map(\.labels) == inline.map(\.labels))
                        #expect(other.map { features($0.features) } == inline.map { features($0.features) })
                    }
                }
            }
        }
        #expect(try !DataLoader(dataset: dense, batchSize: 3, prefetch: false).mayPrefetch)
        #expect(try !DataLoader(dataset: dense, batchSize: 20).mayPrefetch)  // too few batches to probe
    }

    @Test("adaptive prefetch switches to the background when the caller is slow")
    func adaptive() throws {
        let loader = try DataLoader(dataset: dataset, batchSize: 2, seed: 8)
        var iterator = loader.batches(epoch: 0).makeIterator()
        var seen = [[Int]]()
        while let batch = iterator.next() {
            seen.append(batch.indices)
            usleep(2_000)  // a "training step" far longer than building two rows
        }
        #expect(iterator.isPrefetching)
        #expect(seen == snapshot(loader, epoch: 0))
    }

    @Test("balanced sampling makes classes about equally likely on a 90/10 dataset")
    func balanced() throws {
        let labels = (0..<1000).map { $0 < 900 ? 0 : 1 }
        let imbalanced = try Dataset(features: .sparse(CSRMatrix(zeros: 1000, columnCount: 3)), labels: labels)
        let loader = try DataLoader(dataset: imbalanced, batchSize: 32, seed: 5, balanced: true)
        #expect(loader.batchesPerEpoch == 32)
        for epoch in 0..<2 {
            let batches = Array(loader.batches(epoch: epoch))
            let drawn = batches.flatMap(\.labels)
            #expect(drawn.count == 1000)
            let minority = drawn.filter { $0 == 1 }.count
            // Binomial(1000, 0.5): standard deviation ≈ 16, so ± 80 is five of them.
            #expect(abs(minority - 500) < 80, "minority class drawn \(minority) times of 1000")
            // Drawn with replacement: the 100 minority rows repeat, and they are all minority rows.
            #expect(batches.flatMap(\.indices).filter { $0 >= 900 }.count == minority)
            #expect(Set(batches.flatMap(\.indices).filter { $0 >= 900 }).count <= 100)
        }
        #expect(snapshot(loader, epoch: 0) != snapshot(loader, epoch: 1))
    }

    @Test("sparse batches are the gathered CSR rows and stay sparse")
    func sparseBatches() throws {
        guard case .sparse(let matrix) = dataset.features else { return }
        for shuffle in [true, false] {
            let loader = try DataLoader(dataset: dataset, batchSize: 6, shuffle: shuffle, seed: 2)
            for batch in loader.batches(epoch: 1) {
                guard case .sparse(let rows) = batch.features else {
                    Issue.record("a sparse dataset gave a dense batch")
                    continue
                }
                #expect(rows == matrix.rows(batch.indices))
            }
        }
    }

    @Test("a batch size below 1 is rejected")
    func invalidBatchSize() {
        #expect(throws: DataLoaderError.invalidBatchSize(0)) { try DataLoader(dataset: dataset, batchSize: 0) }
        #expect(DataLoaderError.invalidBatchSize(-3).description == "batch size must be at least 1, got -3")
    }

    @Test("an empty dataset has no batches")
    func empty() throws {
        let loader = try DataLoader(dataset: dataset.subset([]), batchSize: 4, balanced: true)
        #expect(loader.batchesPerEpoch == 0)
        #expect(Array(loader.batches(epoch: 0)).isEmpty)
    }
}

/// Every batch of an epoch, built in the given mode.
private func collect(_ loader: DataLoader, epoch: Int, mode: BatchIterator.Mode) -> [Batch] {
    let contiguous = !loader.shuffle && !loader.balanced
    let plan = EpochPlan(
        dataset: loader.dataset, order: contiguous ? [] : loader.order(epoch: epoch), contiguous: contiguous,
        batchSize: loader.batchSize, batchCount: loader.batchesPerEpoch)
    var iterator = BatchIterator(plan: plan, mode: mode)
    var batches = [Batch]()
    while let batch = iterator.next() { batches.append(batch) }
    return batches
}

/// A comparable view of features.
private func features(_ features: Features) -> [Float] {
    switch features {
    case .sparse(let matrix): return matrix.rowPointers.map(Float.init) + matrix.columnIndices.map(Float.init) + matrix.values
    case .dense(let tensor): return tensor.shape.map(Float.init) + tensor.scalars
    }
}
