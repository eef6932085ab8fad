#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `format` filled in by the C library's `vsnprintf`: the digits `String(format:)` gives for
/// numeric conversions (`%.4f`, `%g`, `%ld`), without Foundation's formatter, whose first use
/// costs a fraction of a millisecond that a short command notices. No `%@`: pass text by
/// interpolation.
func cFormat(_ format: String, _ arguments: CVarArg...) -> String {
    var capacity = 128
    while true {
        let (written, text) = withVaList(arguments) { list in
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buffer in
                let written = Int(vsnprintf(buffer.baseAddress!, capacity, format, list))
                return (written, written >= 0 && written < capacity ? String(cString: buffer.baseAddress!) : "")
            }
        }
        if written < 0 { return "" }
        if written < capacity { return text }
        capacity = written + 1
    }
}
