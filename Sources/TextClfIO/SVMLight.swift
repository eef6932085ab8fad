import Foundation
import TextClfTensor

extension CSRMatrix {
    /// Writes the matrix with real-valued labels in svmlight/libsvm text format.
    ///
    /// One line per row, `label idx:val idx:val ...`, loadable by
    /// `sklearn.datasets.load_svmlight_file(path, zero_based=zeroBased)`. Numbers use the
    /// shortest text that reads back to the same value (`3` rather than `3.0`), so files
    /// stay small and diff cleanly.
    /// - Parameters:
    ///   - path: The target file; written atomically.
    ///   - labels: One label per row.
    ///   - zeroBased: Whether feature indices start at 0 (scikit-learn's `zero_based=True`)
    ///     or at 1 (libsvm's convention).
    /// - Throws: ``TensorFileError`` on a file-system failure.
    /// - Complexity: O(rows + stored entries).
    public func writeSVMLight(to path: String, labels: [Double], zeroBased: Bool = true) throws {
        precondition(labels.count == rowCount, "writeSVMLight: \(labels.count) labels for \(rowCount) rows")
        try writeSVMLight(to: path, zeroBased: zeroBased) { svmlightText(labels[$0]) }
    }

    /// Writes the matrix with integer class labels (one per row) in svmlight/libsvm text format,
    /// as the method for `Double` labels does.
    /// - Throws: ``TensorFileError`` on a file-system failure.
    /// - Complexity: O(rows + stored entries).
    public func writeSVMLight(to path: String, labels: [Int], zeroBased: Bool = true) throws {
        precondition(labels.count == rowCount, "writeSVMLight: \(labels.count) labels for \(rowCount) rows")
        try writeSVMLight(to: path, zeroBased: zeroBased) { String(labels[$0]) }
    }

    private func writeSVMLight(to path: String, zeroBased: Bool, label: (Int) -> String) throws {
        try AtomicFile.write(to: path) { output in try writeSVMLightRows(into: output, zeroBased: zeroBased, label: label) }
    }

    /// Writes each row as one svmlight line, `label(row)` first.
    func writeSVMLightRows(into output: FileOutput, zeroBased: Bool, label: (Int) -> String) throws {
        let base = zeroBased ? 0 : 1
        var line = ""
        for row in 0..<rowCount {
            line.removeAll(keepingCapacity: true)
            line += label(row)
            for entry in entries(ofRow: row) {
                line += " "
                line += String(Int(columnIndices[entry]) + base)
                line += ":"
                line += svmlightText(values[entry])
            }
            line += "\n"
            try output.write(line)
        }
    }

    /// Reads an svmlight/libsvm text file, as `sklearn.datasets.load_svmlight_file` does.
    ///
    /// Accepts `#` comments, blank lines, and skips `qid:` tokens. Indices must increase
    /// strictly within a line. Multi-label lines (`1,2 ...`) are refused.
    /// - Parameters:
    ///   - path: The file.
    ///   - zeroBased: Whether indices start at 0; `nil` guesses like scikit-learn's `"auto"`
    ///     (one-based unless some index is 0).
    ///   - columnCount: The number of features; at least the largest index plus one when given,
    ///     which keeps train and test matrices the same width.
    /// - Returns: The matrix and one label per row.
    /// - Throws: ``TensorFileError`` naming the file and line for a malformed pair, a bad
    ///   number, a non-increasing or negative index, or an index beyond `columnCount`.
    /// - Complexity: O(file size).
    public static func readSVMLight(
        path: String, zeroBased: Bool? = true, columnCount: Int? = nil
    ) throws -> (CSRMatrix, labels: [Double]) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TensorFileError(path: path, message: "cannot read: \(error.localizedDescription)")
        }
        var labels = [Double]()
        var pointers = [0]
        var rawIndices = [Int]()
        var values = [Float]()
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var lineStart = 0
            var lineNumber = 0
            while lineStart < bytes.count {
                lineNumber += 1
                var lineEnd = lineStart
                while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
                var contentEnd = lineStart
                while contentEnd < lineEnd && bytes[contentEnd] != 0x23 { contentEnd += 1 }  // '#'
                func fail(_ message: String) -> TensorFileError {
                    TensorFileError(path: path, line: lineNumber, message: message)
                }
                // Tokens separated by spaces, tabs or a trailing CR.
                var position = lineStart
                func nextToken() -> Slice<UnsafeBufferPointer<UInt8>>? {
                    while position < contentEnd, bytes[position] == 0x20 || bytes[position] == 0x09 || bytes[position] == 0x0D { position += 1 }
                    guard position < contentEnd else { return nil }
                    let start = position
                    while position < contentEnd, bytes[position] != 0x20 && bytes[position] != 0x09 && bytes[position] != 0x0D { position += 1 }
                    return bytes[start..<position]
                }
                if let labelToken = nextToken() {
                    let text = String(decoding: labelToken, as: UTF8.self)
                    if labelToken.contains(0x2C) {
                        throw fail("multi-label line ('\(text)') is not supported")
                    }
                    guard let label = Double(text) else { throw fail("bad label '\(text)'") }
                    labels.append(label)
                    var previous = Int.min
                    while let token = nextToken() {
                        guard let colon = token.firstIndex(of: 0x3A) else {
                            throw fail("malformed pair '\(String(decoding: token, as: UTF8.self))' (expected index:value)")
                        }
                        let indexText = String(decoding: token[token.startIndex..<colon], as: UTF8.self)
                        let valueText = String(decoding: token[(colon + 1)..<token.endIndex], as: UTF8.self)
                        if indexText == "qid" { continue }
                        guard let index = Int(indexText) else {
                            throw fail("bad feature index '\(indexText)' in '\(indexText):\(valueText)'")
                        }
                        guard let value = Float(valueText) else {
                            throw fail("bad value '\(valueText)' in '\(indexText):\(valueText)'")
                        }
                        guard index > previous else {
                            throw fail("feature indices must increase strictly (\(index) after \(previous))")
                        }
                        guard index >= 0 else { throw fail("negative feature index \(index)") }
                        previous = index
                        rawIndices.append(index)
                        values.append(value)
                    }
                    pointers.append(rawIndices.count)
                }
                lineStart = lineEnd + 1
            }
        }
        let oneBased = zeroBased.map { !$0 } ?? !rawIndices.contains(0)
        if oneBased, let zeroAt = rawIndices.firstIndex(of: 0) {
            let row = pointers.firstIndex { $0 > zeroAt }! - 1
            throw TensorFileError(path: path, message: "feature index 0 in row \(row) of a one-based file; read it with zeroBased: true")
        }
        let shift = oneBased ? 1 : 0
        let widest = (rawIndices.max() ?? (shift - 1)) - shift + 1
        let width = columnCount ?? widest
        guard width >= widest, width <= Int(Int32.max) else {
            throw TensorFileError(path: path, message: "feature index \(widest - 1 + shift) is outside the \(width) columns asked for")
        }
        let matrix = CSRMatrix(
            unchecked: labels.count, columnCount: width, rowPointers: pointers,
            columnIndices: rawIndices.map { Int32($0 - shift) }, values: values)
        return (matrix, labels)
    }
}

/// The shortest text that reads back as `value`, without a trailing `.0` for integers.
func svmlightText<Value: BinaryFloatingPoint & CustomStringConvertible>(_ value: Value) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return value.description
}
