import Foundation

/// Number and padding helpers shared by the renderers, matching Python's `format` where the
/// text report must equal scikit-learn's byte for byte.
enum Format {
    /// Python's `format(value, ".{digits}f")`: correctly rounded fixed point (glibc's printf
    /// rounds the exact binary value, as CPython does), `nan`, `inf` and `-inf`.
    static func fixed(_ value: Double, _ digits: Int) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return String(format: "%.\(max(0, digits))f", value)
    }

    /// The width Python's `len` gives: the number of code points.
    static func width(_ text: String) -> Int { text.unicodeScalars.count }

    /// Python's `format(text, ">{width}")`: pads on the left with spaces to `width` code points.
    static func right(_ text: String, _ width: Int) -> String {
        let pad = width - Self.width(text)
        return pad > 0 ? String(repeating: " ", count: pad) + text : text
    }

    /// Pads on the right with spaces to `width` code points.
    static func left(_ text: String, _ width: Int) -> String {
        let pad = width - Self.width(text)
        return pad > 0 ? text + String(repeating: " ", count: pad) : text
    }

    /// A fixed-point value, or `-` for a missing one.
    static func optional(_ value: Double?, _ digits: Int) -> String {
        value.map { fixed($0, digits) } ?? "-"
    }

    /// A learning rate or other value of any magnitude, compactly (`%g`).
    static func compact(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return String(format: "%.4g", value)
    }
}
