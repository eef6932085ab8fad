import Foundation
import Testing

@testable import TextClfTensor

/// Steele, Lea and Flood's SplitMix64: a tiny seeded generator so random tests repeat exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random matrix with about `density` of its cells stored, including some empty rows.
func randomMatrix(rows: Int, columns: Int, density: Double, using generator: inout SplitMix64) -> CSRMatrix {
    var dense = [Float](repeating: 0, count: rows * columns)
    for index in dense.indices where Double.random(in: 0..<1, using: &generator) < density {
        dense[index] = Float(Int.random(in: -8...8, using: &generator)) / 4 + 0.125
    }
    return CSRMatrix(dense: dense, rowCount: rows, columnCount: columns)
}

/// Random dense values.
func randomDense(_ count: Int, using generator: inout SplitMix64) -> [Float] {
    (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
}

/// The dense product `a (n × k) · b (k × m)`, the reference for the sparse kernels.
func naiveProduct(_ a: [Float], _ b: [Float], n: Int, k: Int, m: Int) -> [Float] {
    var out = [Float](repeating: 0, count: n * m)
    for i in 0..<n {
        for p in 0..<k where a[i * k + p] != 0 {
            for j in 0..<m { out[i * m + j] += a[i * k + p] * b[p * m + j] }
        }
    }
    return out
}

/// The dense transpose of a row-major `rows × columns` array.
func naiveTranspose(_ a: [Float], rows: Int, columns: Int) -> [Float] {
    var out = [Float](repeating: 0, count: a.count)
    for r in 0..<rows { for c in 0..<columns { out[c * rows + r] = a[r * columns + c] } }
    return out
}

func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
