/// Pieces of help text generated from the code, so that they list what it accepts.
enum HelpText {
    /// `a, b, c or d`: the choices in order, the last joined with "or".
    static func choices(_ names: [String]) -> String {
        guard let last = names.last else { return "" }
        let rest = names.dropLast()
        return rest.isEmpty ? last : rest.joined(separator: ", ") + " or " + last
    }

    /// The raw values of an enumeration's cases, as ``choices(_:)`` lists them.
    static func choices<Choice: CaseIterable & RawRepresentable>(of type: Choice.Type) -> String where Choice.RawValue == String {
        choices(type.allCases.map(\.rawValue))
    }
}
