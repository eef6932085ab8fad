/// A failure reading or writing a tensor file, located as precisely as the format allows.
///
/// The description reads like a compiler diagnostic, e.g.
/// `out/train.npz: member data.npy: unsupported dtype '<c8'` or
/// `train.svm: line 12: feature indices must increase (7 after 9)`, so a command-line tool
/// can print it as it is.
public struct TensorFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file being read or written.
    public var path: String
    /// The archive member (e.g. `data.npy`) or header key, when the failure is inside one.
    public var member: String?
    /// The 1-based line of a text file, when the failure is on one.
    public var line: Int?
    /// What went wrong.
    public var message: String

    /// Creates an error.
    public init(path: String, member: String? = nil, line: Int? = nil, message: String) {
        self.path = path
        self.member = member
        self.line = line
        self.message = message
    }

    /// `path[: member M][: line N]: message`, ready to print.
    public var description: String {
        var text = path
        if let member { text += ": member \(member)" }
        if let line { text += ": line \(line)" }
        return text + ": " + message
    }

    /// The same error attributed to an archive member, keeping an inner member (a header key) after it.
    func inMember(_ name: String) -> TensorFileError {
        var copy = self
        copy.member = member.map { "\(name): \($0)" } ?? name
        return copy
    }
}
