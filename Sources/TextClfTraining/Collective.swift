import CTextClfMPI
import Foundation
import TextClfDataset
import TextClfTensor

/// The processes of a data-parallel run, as the ``Trainer`` needs them: each process (rank)
/// trains on its slice of every batch, and after each step they exchange gradients so that
/// every rank applies the same update to the same weights.
///
/// The one operation is a gather: every rank's values, in rank order, on every rank. Sums are
/// taken from it in rank order on each rank, so every rank gets the same bits whatever
/// algorithm the transport uses, and a run is reproducible.
public protocol Collective: AnyObject, Sendable {
    /// This process's rank, `0..<size`.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Every rank's `bytes` (lengths may differ), in rank order.
    /// - Throws: when the exchange fails.
    func allGather(_ bytes: [UInt8]) throws -> [[UInt8]]
}

extension Collective {
    /// Every rank's `values`, in rank order.
    public func allGather<Value: BitwiseCopyable>(_ values: [Value]) throws -> [[Value]] {
        let bytes = values.withUnsafeBytes { [UInt8]($0) }
        return try allGather(bytes).map { part in
            part.withUnsafeBytes { raw in
                [Value](unsafeUninitializedCapacity: raw.count / MemoryLayout<Value>.stride) { buffer, count in
                    count = raw.count / MemoryLayout<Value>.stride
                    _ = raw.copyBytes(to: UnsafeMutableRawBufferPointer(buffer))
                }
            }
        }
    }

    /// The element-wise sum of every rank's `values` (all of one length), added in rank order.
    public func sum(_ values: [Double]) throws -> [Double] {
        let parts = try allGather(values)
        guard parts.allSatisfy({ $0.count == values.count }) else {
            throw CollectiveError("ranks sent \(parts.map(\.count)) values to sum; every rank must send \(values.count)")
        }
        var total = [Double](repeating: 0, count: values.count)
        for part in parts { for index in total.indices { total[index] += part[index] } }
        return total
    }
}

/// Why a data-parallel run cannot go on.
public struct CollectiveError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// MPI (Open MPI), loaded at run time: the processes `mpirun` started.
///
/// `MPICollective.start()` loads `libmpi.so.40` (or the file `TEXTCLF_MPI_LIBRARY` names),
/// initialises MPI once per process and finalises it at exit. Without Open MPI it throws,
/// saying what to install; a binary built here runs with or without it.
public final class MPICollective: Collective {
    public let rank: Int
    public let size: Int

    private init(rank: Int, size: Int) {
        self.rank = rank
        self.size = size
    }

    /// Whether this process was started by `mpirun` (its environment says so).
    public static var isLaunchedByMPI: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil
    }

    /// The MPI processes of this run, MPI started on first use.
    /// - Throws: ``CollectiveError`` when Open MPI cannot be loaded or started.
    public static func start() throws -> MPICollective { try started.get() }

    private static let started: Result<MPICollective, CollectiveError> = {
        let path = ProcessInfo.processInfo.environment["TEXTCLF_MPI_LIBRARY"] ?? "libmpi.so.40"
        var error = [CChar](repeating: 0, count: 512)
        guard textclf_mpi_load(path, &error, error.count) == 0 else {
            let reason = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .failure(CollectiveError("no MPI: \(reason); install Open MPI (Debian: openmpi-bin libopenmpi-dev) and start textclf with mpirun"))
        }
        var rank: Int32 = 0, size: Int32 = 0
        let status = textclf_mpi_init(&rank, &size)
        guard status == 0 else { return .failure(CollectiveError("MPI_Init failed with status \(status)")) }
        atexit { _ = textclf_mpi_finalize() }
        return .success(MPICollective(rank: Int(rank), size: Int(size)))
    }()

    public func allGather(_ bytes: [UInt8]) throws -> [[UInt8]] {
        var count = Int64(bytes.count)
        var counts = [Int64](repeating: 0, count: size)
        var status = withUnsafeBytes(of: &count) { own in
            counts.withUnsafeMutableBytes { textclf_mpi_allgather(own.baseAddress, 8, $0.baseAddress) }
        }
        guard status == 0 else { throw CollectiveError("MPI_Allgather failed with status \(status)") }
        guard counts.reduce(0, +) <= Int64(Int32.max) else {
            throw CollectiveError("an exchange of \(counts.reduce(0, +)) bytes is more than MPI takes at once")
        }
        let sizes = counts.map { Int32($0) }
        var displacements = [Int32](repeating: 0, count: size)
        for index in 1..<max(size, 1) { displacements[index] = displacements[index - 1] + sizes[index - 1] }
        var received = [UInt8](repeating: 0, count: Int(counts.reduce(0, +)))
        status = bytes.withUnsafeBytes { send in
            received.withUnsafeMutableBytes { receive in
                textclf_mpi_allgatherv(send.baseAddress, Int32(bytes.count), receive.baseAddress, sizes, displacements)
            }
        }
        guard status == 0 else { throw CollectiveError("MPI_Allgatherv failed with status \(status)") }
        return (0..<size).map { Array(received[Int(displacements[$0])..<Int(displacements[$0] + sizes[$0])]) }
    }

    /// Ends every process of the run with `code` (a rank that cannot go on).
    public func abort(code: Int32) -> Never {
        textclf_mpi_abort(code)
        exit(code)
    }
}

/// The batches of a ``BatchSource`` split over the ranks of a ``Collective``: rank *r* of *n*
/// takes rows `⌊B·r/n⌋..<⌊B·(r+1)/n⌋` of each batch of *B* rows, so together the ranks train
/// on the batches of one process, in its order.
struct ShardedBatches: BatchSource {
    let source: any BatchSource
    let rank: Int
    let size: Int

    var labels: [Int] { source.labels }
    var batchesPerEpoch: Int { source.batchesPerEpoch }

    func epochBatches(_ epoch: Int, from first: Int) throws -> any BatchStream {
        Stream(inner: try source.epochBatches(epoch, from: first), rank: rank, size: size)
    }

    struct Stream: BatchStream {
        var inner: any BatchStream
        let rank: Int
        let size: Int

        mutating func nextBatch() throws -> Batch? {
            guard let batch = try inner.nextBatch() else { return nil }
            let rows = batch.count
            let range = (rows * rank / size)..<(rows * (rank + 1) / size)
            return Batch(
                features: batch.features.rows(in: range), labels: Array(batch.labels[range]), indices: Array(batch.indices[range]))
        }
    }
}
