/// Columns of text, aligned: `runs`, `cv` and `search` print their tables with it.
enum TextTable {
    /// The header and the rows as lines (without a final line end), each column as wide as its
    /// widest cell and two spaces from the next; the columns whose indices `right` holds are
    /// right-aligned (numbers), the others left-aligned, the last one without padding.
    static func render(_ header: [String], _ rows: [[String]], right: Set<Int>, indent: String = "") -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (index, cell) in cells.enumerated() {
                let padding = String(repeating: " ", count: max(0, widths[index] - cell.count))
                let last = index == cells.count - 1
                parts.append(right.contains(index) ? padding + cell : (last ? cell : cell + padding))
            }
            return indent + parts.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}
