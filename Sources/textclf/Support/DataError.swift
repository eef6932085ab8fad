/// A failure caused by the data a command reads or writes, not by how it was called: a
/// corpus with one label, more folds than a class has documents, label files of different
/// lengths, a file that cannot be read, a run id not in the run log. ArgumentParser prints it as `Error: <message>`,
/// without the usage text, and the command exits with status 1; mistakes in the command line
/// itself are `ValidationError`s (usage text, status 64).
struct DataError: Error, CustomStringConvertible {
    /// The message: it names the file, and the line and field where they apply.
    let description: String
    init(_ description: String) { self.description = description }
}
