import Foundation
import TextClfTensor
import TextClfText

/// Maps terms to columns by hashing, exactly as scikit-learn's `HashingVectorizer`: no
/// vocabulary to learn or hold, so it needs no fit.
///
/// A term's column is `|murmurhash3_32(utf8(term), seed: 0)| mod features` (signed 32-bit
/// hash); with ``alternateSign`` each occurrence adds the hash's sign instead of 1, so that
/// collisions tend to cancel. Duplicate columns in a row are summed (an explicit zero can
/// remain, as in scipy), then ``binary`` sets every stored value to 1, then rows are normalised.
public struct HashingVectorizer: Sendable, Equatable, Codable {
    /// The text stages.
    public var analyzer: Analyzer
    /// The number of columns (scikit-learn's `n_features`, default 2²⁰).
    public var features: Int
    /// Add the hash's sign (±1) rather than 1 (scikit-learn's `alternate_sign`).
    public var alternateSign: Bool
    /// Store 1 for every stored entry.
    public var binary: Bool
    /// Row normalisation.
    public var norm: TfidfTransformer.Norm

    /// Creates a hashing vectorizer; the defaults are scikit-learn's.
    /// - Throws: ``FeatureError/invalidOption(_:)`` unless `1 <= features <= 2³¹ - 1`.
    public init(
        analyzer: Analyzer = .sklearnDefault, features: Int = 1 << 20, alternateSign: Bool = true,
        binary: Bool = false, norm: TfidfTransformer.Norm = .l2
    ) throws {
        guard features >= 1 && features <= Int(Int32.max) else {
            throw FeatureError.invalidOption("the number of hashed features must be in 1...\(Int32.max) (got \(features))")
        }
        self.analyzer = analyzer
        self.features = features
        self.alternateSign = alternateSign
        self.binary = binary
        self.norm = norm
    }

    /// The column of a term's UTF-8 bytes and what an occurrence adds there: the hash's sign
    /// with ``alternateSign``, else 1.
    @inline(__always)
    func column(of token: UnsafeBufferPointer<UInt8>) -> (column: Int, value: Double) {
        let hash = MurmurHash3.hash32(token, seed: 0)
        let column: Int
        if hash == Int32.min {
            // scikit-learn's definition of abs(-2**31) % n_features.
            column = (2_147_483_647 - (features - 1)) % features
        } else {
            column = Int(hash.magnitude) % features
        }
        return (column, alternateSign && hash < 0 ? -1 : 1)
    }

    /// The hashed matrix of `documents`.
    /// - Complexity: O(tokens + stored entries · log(entries per row)).
    public func transform<Documents: Sequence>(_ documents: Documents) -> CSRMatrix
    where Documents.Element == String {
        let pass = makeTransformPass()
        for document in documents { pass.add(document) }
        return pass.finish()
    }

    /// A pass that hashes documents added one at a time.
    public func makeTransformPass() -> TransformPass { TransformPass(self) }

    /// Hashes documents added one at a time.
    public final class TransformPass {
        let options: HashingVectorizer
        let worker: AnalyzerWorker
        var rowPointers: [Int] = [0]
        var columns: [Int32] = []
        var values: [Float] = []
        var row: [(column: Int, value: Double)] = []

        init(_ options: HashingVectorizer) {
            self.options = options
            worker = options.analyzer.makeWorker()
        }

        /// Adds one document as the next row.
        public func add(_ document: String) {
            row.removeAll(keepingCapacity: true)
            worker.withTokens(of: document) { tokens in
                tokens.forEachToken { row.append(options.column(of: $0)) }
            }
            row.sort { $0.column < $1.column }
            // Sum duplicates, keeping explicit zeros as scipy's sum_duplicates does.
            var merged: [(column: Int, value: Double)] = []
            for entry in row {
                if let last = merged.last, last.column == entry.column {
                    merged[merged.count - 1].value += entry.value
                } else {
                    merged.append(entry)
                }
            }
            if options.binary { for index in merged.indices { merged[index].value = 1 } }
            let scale = options.norm.divisor(merged.lazy.map(\.value))
            for entry in merged {
                columns.append(Int32(entry.column))
                values.append(Float(entry.value / scale))
            }
            rowPointers.append(columns.count)
        }

        /// The matrix of the documents added.
        public func finish() -> CSRMatrix {
            CSRMatrix(
                unchecked: rowPointers.count - 1, columnCount: options.features, rowPointers: rowPointers,
                columnIndices: columns, values: values)
        }
    }
}

/// MurmurHash3 x86 32-bit, as scikit-learn's `murmurhash3_32` (signed result).
public enum MurmurHash3 {
    /// The signed 32-bit MurmurHash3 of `bytes`.
    public static func hash32(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt32) -> Int32 {
        func scrambled(_ k: UInt32) -> UInt32 {
            let k = k &* 0xCC9E_2D51
            return ((k << 15) | (k >> 17)) &* 0x1B87_3593
        }
        var h = seed
        let blocks = bytes.count / 4
        for block in 0..<blocks {
            let offset = block * 4
            h ^= scrambled(
                UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                    | UInt32(bytes[offset + 3]) << 24)
            h = (h << 13) | (h >> 19)
            h = h &* 5 &+ 0xE654_6B64
        }
        let tail = blocks * 4
        var k: UInt32 = 0
        let remainder = bytes.count & 3
        if remainder >= 3 { k ^= UInt32(bytes[tail + 2]) << 16 }
        if remainder >= 2 { k ^= UInt32(bytes[tail + 1]) << 8 }
        if remainder >= 1 { h ^= scrambled(k ^ UInt32(bytes[tail])) }
        h ^= UInt32(truncatingIfNeeded: bytes.count)
        h ^= h >> 16
        h = h &* 0x85EB_CA6B
        h ^= h >> 13
        h = h &* 0xC2B2_AE35
        h ^= h >> 16
        return Int32(bitPattern: h)
    }
}
