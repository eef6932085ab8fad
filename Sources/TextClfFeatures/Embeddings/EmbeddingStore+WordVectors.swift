/// ``EmbeddingStore`` feeds ``EmbeddingAverager`` directly: rows are file order.
extension EmbeddingStore: WordVectors {
    /// Calls `body` with all rows, row-major.
    public func withVectors<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try vectors.withUnsafeBufferPointer(body)
    }
}
