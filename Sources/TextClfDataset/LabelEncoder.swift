/// Maps class labels (strings, as read from a corpus) to class indices `0..<count` and back.
///
/// Classes are kept in sorted order so that the same label set always gets the same indices,
/// whatever order the documents came in: numerically when every label parses as an integer
/// (so `"2"` comes before `"10"`, as a user expects of star ratings or topic ids), otherwise by
/// Unicode code point (locale-independent, so a model trained on one machine decodes
/// identically on another). The encoder is `Codable` and is saved in `model.json`; only
/// ``classes`` is stored, since the lookup table is derived from it.
public struct LabelEncoder: Sendable, Equatable, Codable {
    /// The class labels; class `i` is `classes[i]`.
    public let classes: [String]
    /// Label → index, rebuilt from ``classes`` rather than saved.
    private let indexOfClass: [String: Int]

    /// Collects the distinct labels of `labels` and sorts them (see the type's discussion).
    /// - Complexity: O(*n* + *k* log *k*) for *n* labels of which *k* are distinct.
    public init<S: Sequence>(labels: S) where S.Element == String {
        self.init(classes: LabelEncoder.sortedClasses(LabelEncoder.distinct(labels)))
    }

    /// At most this many classes are found by comparing with each in turn rather than by
    /// hashing: a label set is usually a handful of short strings, which compare faster
    /// than they hash.
    static let linearSearchLimit = 32

    /// The distinct labels, in no particular order.
    static func distinct<S: Sequence>(_ labels: S) -> [String] where S.Element == String {
        var found: [String] = []
        var iterator = labels.makeIterator()
        while let label = iterator.next() {
            if found.contains(label) { continue }
            found.append(label)
            if found.count > linearSearchLimit {
                var set = Set(found)
                while let rest = iterator.next() { set.insert(rest) }
                return Array(set)
            }
        }
        return found
    }

    /// Restores an encoder with exactly these classes in this order (as saved in a model).
    /// - Precondition: `classes` has no duplicates.
    /// - Complexity: O(*k*) for *k* classes.
    public init(classes: [String]) {
        var index = [String: Int](minimumCapacity: classes.count)
        for (position, label) in classes.enumerated() {
            precondition(index.updateValue(position, forKey: label) == nil, "duplicate class label \"\(label)\"")
        }
        self.classes = classes
        self.indexOfClass = index
    }

    /// The number of classes.
    public var count: Int { classes.count }

    /// The index of `label`.
    /// - Throws: ``LabelError/unknown(_:known:)`` when the label was not seen when fitting.
    /// - Complexity: O(1) on average.
    public func encode(_ label: String) throws -> Int {
        guard let index = indexOfClass[label] else { throw LabelError.unknown(label, known: classes) }
        return index
    }

    /// The indices of `labels`, in order.
    /// - Throws: ``LabelError/unknown(_:known:)`` for the first unknown label.
    /// - Complexity: O(*n*) on average for *n* labels.
    public func encode(_ labels: [String]) throws -> [Int] {
        guard classes.count <= LabelEncoder.linearSearchLimit else { return try labels.map { try encode($0) } }
        return try labels.map { label in
            guard let index = classes.firstIndex(of: label) else { throw LabelError.unknown(label, known: classes) }
            return index
        }
    }

    /// The label of class `index`.
    /// - Precondition: `index` is in `0..<count`.
    /// - Complexity: O(1).
    public func decode(_ index: Int) -> String {
        precondition(index >= 0 && index < classes.count, "class index \(index) is outside 0..<\(classes.count)")
        return classes[index]
    }

    /// Integer order when every label is an integer, else code-point order. Equal integers
    /// written differently ("1", "01") are ordered by code point so the order stays total.
    static func sortedClasses(_ labels: [String]) -> [String] {
        let codePointLess: (String, String) -> Bool = {
            $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars)
        }
        let numbers = labels.map { Int($0) }
        if !labels.isEmpty, numbers.allSatisfy({ $0 != nil }) {
            return zip(labels, numbers).sorted { lhs, rhs in
                lhs.1! != rhs.1! ? lhs.1! < rhs.1! : codePointLess(lhs.0, rhs.0)
            }.map(\.0)
        }
        return labels.sorted(by: codePointLess)
    }

    private enum CodingKeys: String, CodingKey { case classes }

    /// Decodes `{"classes": [...]}`.
    /// - Throws: `DecodingError.dataCorrupted` when a class appears twice.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let classes = try container.decode([String].self, forKey: .classes)
        guard Set(classes).count == classes.count else {
            throw DecodingError.dataCorruptedError(
                forKey: .classes, in: container, debugDescription: "the saved class list has duplicate labels")
        }
        self.init(classes: classes)
    }

    /// Encodes `{"classes": [...]}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(classes, forKey: .classes)
    }

    /// Two encoders are equal when they have the same classes in the same order.
    public static func == (lhs: LabelEncoder, rhs: LabelEncoder) -> Bool { lhs.classes == rhs.classes }
}

/// An error of label encoding.
public enum LabelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A label that is not one of the known classes (for example a test label never seen in training).
    case unknown(String, known: [String])

    public var description: String {
        switch self {
        case .unknown(let label, let known):
            let shown = known.prefix(20).map { "\"\($0)\"" }.joined(separator: ", ")
            let more = known.count > 20 ? ", … (\(known.count) in all)" : ""
            return "unknown label \"\(label)\": the model knows \(known.count) classes: \(shown)\(more)"
        }
    }
}
