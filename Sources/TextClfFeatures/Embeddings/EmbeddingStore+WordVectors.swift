/// ``EmbeddingStore`` feeds ``EmbeddingAverager`` directly: rows are file order.
extension EmbeddingStore: WordVectors {
    /// Calls `body` with all rows, row-major.
    public func withVectors<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        switch backing {
        case .memory(_, let vectors): return try vectors.withUnsafeBufferPointer(body)
        case .mapped(let file): return try body(file.vectorBuffer)
        }
    }
}
