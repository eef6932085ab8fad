import TextClfTensor

/// Stratified train/validation/test splits and cross-validation folds.
///
/// Stratified means every part keeps the class proportions of the whole, which matters for
/// small or imbalanced corpora where a plain random split can leave a rare class out of the
/// test set. Both functions are deterministic for a seed; the streams are this project's
/// ``RandomGenerator``, so memberships differ from scikit-learn's for the same seed, but the
/// sizes per part and per class follow the same rules.
public enum Splits {
    /// Splits row indices into parts with the given fractions, class by class.
    ///
    /// Each class's rows are shuffled (class *c*, in ascending label order, uses stream *c* of
    /// `RandomGenerator(seed: seed)`) and cut into consecutive runs, one per part. The run
    /// lengths use largest-remainder rounding on two levels, so every part gets its share:
    /// 1. each part's total is `fractions[p] × n` rounded by largest remainder (the totals sum to *n*);
    /// 2. each class *c* of *n_c* rows gives part *p* either ⌊`fractions[p] × n_c`⌋ or one more row,
    ///    the extra rows going to the (class, part) cells with the largest fractional remainders
    ///    while the part is still short of its total.
    ///
    /// So a class's share of each part is within one row of its exact proportion, and a small
    /// part (say 1 % of the data) still receives about 1 % of the rows overall even when every
    /// single class is too small to give it a row on its own.
    /// - Parameters:
    ///   - labels: The class of each row (any integers).
    ///   - fractions: Non-negative fractions summing to 1 (± 1e-6), e.g. `[0.8, 0.1, 0.1]`.
    ///   - seed: Seed of the shuffles.
    /// - Returns: One sorted list of row indices per fraction; disjoint, covering every row.
    /// - Throws: ``SplitError/noFractions``, ``SplitError/negativeFraction(_:)`` or
    ///   ``SplitError/fractionsDoNotSumToOne(_:)``.
    /// - Complexity: O(*n* log *n* + *k* *P* log(*k* *P*)) for *n* rows, *k* classes and *P* parts.
    public static func stratified(labels: [Int], fractions: [Double], seed: UInt64) throws -> [[Int]] {
        guard !fractions.isEmpty else { throw SplitError.noFractions }
        if let bad = fractions.first(where: { !($0 >= 0) || !$0.isFinite }) { throw SplitError.negativeFraction(bad) }
        let sum = fractions.reduce(0, +)
        guard abs(sum - 1) <= 1e-6 else { throw SplitError.fractionsDoNotSumToOne(sum) }

        let groups = rowsByClass(labels, ordered: .ascending)
        let partCount = fractions.count
        let targets = largestRemainder(total: labels.count, weights: fractions)

        // Floors per (class, part), then hand out each class's leftover rows (fewer than the
        // number of parts) to cells by descending remainder while the part needs rows.
        var counts = groups.map { group in fractions.map { Int(($0 * Double(group.rows.count)).rounded(.down)) } }
        var remainders = [(remainder: Double, group: Int, part: Int)]()
        for (g, group) in groups.enumerated() {
            for p in 0..<partCount {
                let exact = fractions[p] * Double(group.rows.count)
                remainders.append((exact - exact.rounded(.down), g, p))
            }
        }
        remainders.sort { $0.remainder != $1.remainder ? $0.remainder > $1.remainder : ($0.group, $0.part) < ($1.group, $1.part) }
        var classLeft = groups.indices.map { groups[$0].rows.count - counts[$0].reduce(0, +) }
        var partNeeds = (0..<partCount).map { p in targets[p] - counts.reduce(0) { $0 + $1[p] } }
        var bumped = Set<Int>()
        for cell in remainders where classLeft[cell.group] > 0 && partNeeds[cell.part] > 0 && fractions[cell.part] > 0 {
            counts[cell.group][cell.part] += 1
            classLeft[cell.group] -= 1
            partNeeds[cell.part] -= 1
            bumped.insert(cell.group * partCount + cell.part)
        }
        // Rarely the greedy pass cannot meet every part total exactly; the remaining rows of a
        // class then go to its largest-remainder cells not yet bumped, which keeps every
        // class within one row of its proportion (a part total may then be off by a row).
        for cell in remainders where classLeft[cell.group] > 0 && cell.remainder > 0
            && !bumped.contains(cell.group * partCount + cell.part)
        {
            counts[cell.group][cell.part] += 1
            classLeft[cell.group] -= 1
        }

        // Each row's part (rows of no part: -1), then the rows of each part in ascending order.
        var partOfRow = [Int](repeating: -1, count: labels.count)
        for (g, group) in groups.enumerated() {
            var generator = RandomGenerator(seed: seed).fork(stream: UInt64(g))
            let order = generator.permutation(group.rows.count)
            var start = 0
            for p in 0..<partCount {
                for position in start..<(start + counts[g][p]) { partOfRow[group.rows[order[position]]] = p }
                start += counts[g][p]
            }
        }
        var parts = [[Int]](repeating: [], count: partCount)
        for (row, part) in partOfRow.enumerated() where part >= 0 { parts[part].append(row) }
        return parts
    }

    /// Stratified K-fold cross-validation, as scikit-learn's `StratifiedKFold`.
    ///
    /// The number of rows of each class in each test fold follows scikit-learn exactly:
    /// classes are taken in order of first appearance, rows sorted by class are dealt to folds
    /// round-robin (so fold sizes differ by at most one, and each class's rows are spread as
    /// evenly as possible). Within a class, which rows go to which fold is shuffled with stream
    /// *c* of `RandomGenerator(seed: seed)` when `shuffle` (else rows keep their order: the
    /// first rows of a class go to fold 0, as scikit-learn does with `shuffle=False`).
    /// - Parameters:
    ///   - labels: The class of each row.
    ///   - folds: *K*, at least 2 and at most the size of the smallest class.
    ///   - seed: Seed of the shuffles (ignored without `shuffle`).
    ///   - shuffle: Whether to shuffle each class's rows before assigning folds.
    /// - Returns: *K* pairs of sorted index lists; every row is in exactly one test fold and
    ///   its train list is every other row.
    /// - Throws: ``SplitError/tooFewFolds(_:)`` for *K* < 2;
    ///   ``SplitError/foldsExceedSmallestClass(folds:smallestClass:label:)`` for *K* larger than
    ///   the smallest class, since some test fold would then lack that class.
    /// - Complexity: O(*K* *n*).
    public static func stratifiedKFold(
        labels: [Int], folds: Int = 5, seed: UInt64, shuffle: Bool = true
    ) throws -> [(train: [Int], test: [Int])] {
        guard folds >= 2 else { throw SplitError.tooFewFolds(folds) }
        let groups = rowsByClass(labels, ordered: .firstAppearance)
        if let smallest = groups.min(by: { $0.rows.count < $1.rows.count }), smallest.rows.count < folds {
            throw SplitError.foldsExceedSmallestClass(folds: folds, smallestClass: smallest.rows.count, label: smallest.label)
        }
        // allocation[f][c]: rows of class c in fold f, by dealing the class-sorted rows
        // round-robin: position i of the sorted list goes to fold i % K.
        var allocation = [[Int]](repeating: [Int](repeating: 0, count: groups.count), count: folds)
        var position = 0
        for (c, group) in groups.enumerated() {
            // Positions position..<position+size; fold f receives those ≡ f (mod K).
            let size = group.rows.count
            for f in 0..<folds {
                let first = (f - position % folds + folds) % folds  // offset of the first such position
                allocation[f][c] = first < size ? (size - first + folds - 1) / folds : 0
            }
            position += size
        }
        var testFold = [Int](repeating: 0, count: labels.count)
        for (c, group) in groups.enumerated() {
            var assignment = [Int]()
            assignment.reserveCapacity(group.rows.count)
            for f in 0..<folds { assignment.append(contentsOf: repeatElement(f, count: allocation[f][c])) }
            if shuffle {
                var generator = RandomGenerator(seed: seed).fork(stream: UInt64(c))
                assignment = generator.permutation(assignment.count).map { assignment[$0] }
            }
            for (row, fold) in zip(group.rows, assignment) { testFold[row] = fold }
        }
        return (0..<folds).map { f in
            var train = [Int](), test = [Int]()
            for (row, fold) in testFold.enumerated() {
                if fold == f { test.append(row) } else { train.append(row) }
            }
            return (train, test)
        }
    }

    private enum ClassOrder { case ascending, firstAppearance }

    /// The rows of each class, each list in ascending row order.
    private static func rowsByClass(_ labels: [Int], ordered order: ClassOrder) -> [(label: Int, rows: [Int])] {
        // Each class's slot in order of first appearance. Class indices (the usual labels) are
        // looked up in an array, other labels in a dictionary.
        let indexed = (labels.min() ?? 0) >= 0 && (labels.max() ?? 0) < max(1024, labels.count)
        var slotOfIndex = [Int](repeating: -1, count: indexed ? (labels.max() ?? 0) + 1 : 0)
        var slotOfLabel = [Int: Int]()
        var appearance = [Int]()
        var rowsOf: [[Int]] = []
        for (row, label) in labels.enumerated() {
            let known = indexed ? slotOfIndex[label] : slotOfLabel[label] ?? -1
            if known >= 0 {
                rowsOf[known].append(row)
                continue
            }
            if indexed { slotOfIndex[label] = rowsOf.count } else { slotOfLabel[label] = rowsOf.count }
            rowsOf.append([row])
            appearance.append(label)
        }
        let slots = order == .ascending ? appearance.indices.sorted { appearance[$0] < appearance[$1] } : Array(appearance.indices)
        return slots.map { (appearance[$0], rowsOf[$0]) }
    }

    /// Integers proportional to `weights` summing to `total` (Hamilton's method); ties go to
    /// the earlier weight.
    static func largestRemainder(total: Int, weights: [Double]) -> [Int] {
        let sum = weights.reduce(0, +)
        let exact = weights.map { sum > 0 ? $0 / sum * Double(total) : 0 }
        var counts = exact.map { Int($0.rounded(.down)) }
        let order = exact.indices.sorted {
            let (a, b) = (exact[$0] - exact[$0].rounded(.down), exact[$1] - exact[$1].rounded(.down))
            return a != b ? a > b : $0 < $1
        }
        var left = total - counts.reduce(0, +)
        for index in order where left > 0 && weights[index] > 0 {
            counts[index] += 1
            left -= 1
        }
        return counts
    }
}

/// An error in the arguments of ``Splits``.
public enum SplitError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No fractions were given.
    case noFractions
    /// A fraction below zero (or not a number).
    case negativeFraction(Double)
    /// Fractions whose sum differs from 1 by more than 1e-6.
    case fractionsDoNotSumToOne(Double)
    /// Fewer than two folds.
    case tooFewFolds(Int)
    /// More folds than rows in the smallest class.
    case foldsExceedSmallestClass(folds: Int, smallestClass: Int, label: Int)

    public var description: String {
        switch self {
        case .noFractions:
            return "a split needs at least one fraction, e.g. [0.8, 0.1, 0.1]"
        case .negativeFraction(let value):
            return "split fractions must be non-negative numbers, got \(value)"
        case .fractionsDoNotSumToOne(let sum):
            return "split fractions must sum to 1 (± 1e-6), but they sum to \(sum)"
        case .tooFewFolds(let folds):
            return "cross-validation needs at least 2 folds, got \(folds)"
        case .foldsExceedSmallestClass(let folds, let smallest, let label):
            return "cannot make \(folds) stratified folds: class \(label) has only \(smallest) rows, so some test folds "
                + "would lack it; use at most \(smallest) folds. (scikit-learn's StratifiedKFold warns in this case "
                + "and raises only when every class is smaller than the number of folds; textclf always refuses.)"
        }
    }
}
