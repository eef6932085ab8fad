// Byte-to-String decoding with Python-compatible error handling.

/// Thrown internally when strict decoding meets an invalid byte; carries its absolute offset.
struct DecodeFailure: Error {
    /// The byte offset (in the same coordinates as the range that was decoded).
    var offset: Int
}

/// Decodes byte ranges of a buffer to Strings with a fixed encoding and error policy.
struct ByteDecoder: Sendable {
    let encoding: TextEncoding
    let errors: DecodeErrors

    /// The length of the UTF-8 sequence starting at `i` when it is valid, or the length of its
    /// maximal invalid subpart (at least 1) when it is not (Unicode's "maximal subpart"
    /// practice, which Python's `replace` and `ignore` follow).
    @inline(__always)
    static func utf8Sequence(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> (valid: Bool, length: Int) {
        let b0 = p[i]
        if b0 < 0x80 { return (true, 1) }
        let need: Int
        var lo: UInt8 = 0x80
        var hi: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: need = 1
        case 0xE0: need = 2; lo = 0xA0
        case 0xE1...0xEC, 0xEE, 0xEF: need = 2
        case 0xED: need = 2; hi = 0x9F
        case 0xF0: need = 3; lo = 0x90
        case 0xF1...0xF3: need = 3
        case 0xF4: need = 3; hi = 0x8F
        default: return (false, 1)
        }
        if i + 1 >= end { return (false, 1) }
        let b1 = p[i + 1]
        if b1 < lo || b1 > hi { return (false, 1) }
        var k = 1
        while k < need {
            let j = i + 1 + k
            if j >= end || p[j] & 0xC0 != 0x80 { return (false, 1 + k) }
            k += 1
        }
        return (true, need + 1)
    }

    /// The offset of the first byte in `start..<end` that starts an invalid UTF-8 sequence, or
    /// `nil` when the range is valid UTF-8.
    static func firstInvalidUTF8(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        var i = start
        while i < end {
            // Skip ASCII eight bytes at a time.
            while i + 8 <= end {
                let word = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                if word & 0x8080_8080_8080_8080 != 0 { break }
                i += 8
            }
            if i >= end { break }
            if p[i] < 0x80 {
                i += 1
                continue
            }
            let (valid, length) = utf8Sequence(p, i, end)
            if !valid { return i }
            i += length
        }
        return nil
    }

    /// Whether every byte of the range is ASCII.
    static func isASCII(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var i = start
        while i + 8 <= end {
            if UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            i += 8
        }
        while i < end {
            if p[i] >= 0x80 { return false }
            i += 1
        }
        return true
    }

    /// Appends the decoding of `start..<end` to `out` as UTF-8 bytes.
    /// - Throws: ``DecodeFailure`` with the offset of the first invalid byte under `strict`.
    func append(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, to out: inout [UInt8]) throws(DecodeFailure) {
        guard start < end else { return }
        switch encoding {
        case .latin1:
            out.reserveCapacity(out.count + (end - start))
            for i in start..<end {
                let b = p[i]
                if b < 0x80 {
                    out.append(b)
                } else {
                    out.append(0xC0 | (b >> 6))
                    out.append(0x80 | (b & 0x3F))
                }
            }
        case .utf8:
            if errors == .strict {
                if let bad = ByteDecoder.firstInvalidUTF8(p, start, end) { throw DecodeFailure(offset: bad) }
                out.append(contentsOf: UnsafeBufferPointer(start: p + start, count: end - start))
                return
            }
            var i = start
            var runStart = start
            while i < end {
                if p[i] < 0x80 {
                    i += 1
                    continue
                }
                let (valid, length) = ByteDecoder.utf8Sequence(p, i, end)
                if valid {
                    i += length
                    continue
                }
                if runStart < i { out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: i - runStart)) }
                if errors == .replace { out.append(contentsOf: [0xEF, 0xBF, 0xBD]) }
                i += length
                runStart = i
            }
            if runStart < end { out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: end - runStart)) }
        }
    }

    /// Decodes `start..<end` to a String.
    /// - Throws: ``DecodeFailure`` with the offset of the first invalid byte under `strict`.
    func decode(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) throws(DecodeFailure) -> String {
        guard start < end else { return "" }
        switch encoding {
        case .utf8:
            if let bad = ByteDecoder.firstInvalidUTF8(p, start, end) {
                if errors == .strict { throw DecodeFailure(offset: bad) }
            } else {
                return String(decoding: UnsafeBufferPointer(start: p + start, count: end - start), as: UTF8.self)
            }
        case .latin1:
            if ByteDecoder.isASCII(p, start, end) {
                return String(decoding: UnsafeBufferPointer(start: p + start, count: end - start), as: UTF8.self)
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(end - start + 16)
        try append(p, start, end, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes a whole byte array.
    func decode(_ bytes: [UInt8]) throws(DecodeFailure) -> String {
        do {
            return try bytes.withUnsafeBufferPointer { (buffer) throws(DecodeFailure) -> String in
                guard let base = buffer.baseAddress else { return "" }
                return try decode(base, 0, buffer.count)
            }
        }
    }
}

extension TextEncoding {
    /// Decodes `bytes` with this encoding and the `errors` policy, exactly as Python's
    /// `bytes.decode(encoding, errors)` would (a UTF-8 BOM is *not* stripped here).
    /// - Throws: ``CorpusError`` of kind ``CorpusError/Kind/invalidEncoding`` with the byte
    ///   offset of the first invalid byte, under ``DecodeErrors/strict``.
    public func decode(_ bytes: [UInt8], errors: DecodeErrors) throws -> String {
        do {
            return try ByteDecoder(encoding: self, errors: errors).decode(bytes)
        } catch {
            throw CorpusError(
                .invalidEncoding, path: "<bytes>", byteOffset: error.offset,
                message: "invalid \(rawValue) byte 0x\(String(bytes[error.offset], radix: 16, uppercase: true))")
        }
    }
}
