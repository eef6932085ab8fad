import Foundation
import Testing
import TextClfTestSupport

/// The README's `textclf train` example, run on the shared SST-2 files: it prints the figures
/// the README shows.
@Suite("The README's train example", .enabled(if: SharedData.isAvailable, SharedData.skipMessage))
struct ReadmeExampleTests {
    /// The shell block under the README heading that starts with `heading`: its commands
    /// (continuation lines joined) and the output lines shown after each (`# ` removed).
    static func example(under heading: String) throws -> [(command: String, shown: [String])] {
        let readme = try String(contentsOf: SharedData.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "\n" + heading), "README has no heading '\(heading)'")
        let rest = readme[section.upperBound...]
        let open = try #require(rest.range(of: "```sh\n"))
        let close = try #require(rest.range(of: "\n```", range: open.upperBound..<rest.endIndex))
        var steps: [(command: String, shown: [String])] = []
        var pending = ""
        for line in rest[open.upperBound..<close.lowerBound].split(separator: "\n") {
            if line.hasPrefix("# ") {
                steps[steps.count - 1].shown.append(String(line.dropFirst(2)))
            } else if line.hasSuffix("\\") {
                pending += line.dropLast() + " "
            } else {
                steps.append((pending + line.trimmingCharacters(in: .whitespaces), []))
                pending = ""
            }
        }
        return steps
    }

    @Test func trainExamplePrintsTheFiguresShown() throws {
        let steps = try Self.example(under: "### Train and predict")
        #expect(steps.count == 2)
        let data = try #require(SharedData.url("sst2")).path
        let folder = try TemporaryFolder()
        let models = folder.url.appendingPathComponent("models").path
        func localised(_ word: Substring) -> String {
            if word.hasPrefix("sst2/") { return data + word.dropFirst(4) }
            if word.hasPrefix("models/") { return models + word.dropFirst(6) }
            return String(word)
        }

        let train = steps[0]
        let arguments = train.command.split(separator: " ").map(localised)
        #expect(arguments.first == "textclf")
        let result = try TextClfBinary.run(Array(arguments.dropFirst()))
        #expect(result.status == 0, "\(result.standardError)")
        let printed = (result.standardError + result.standardOutput).split(separator: "\n").map(String.init)
        for shown in train.shown where shown != "..." {
            // Times differ from machine to machine: the line up to its last field.
            let figures = shown.hasPrefix("epoch ") ? String(shown[..<shown.range(of: "; ", options: .backwards)!.lowerBound]) : shown
            #expect(printed.contains { $0.hasPrefix(figures) }, "README shows '\(shown)'; the run printed:\n\(printed.joined(separator: "\n"))")
        }

        let predict = steps[1]
        let pipe = try #require(predict.command.range(of: " | "))
        let text = predict.command[..<pipe.lowerBound].replacingOccurrences(of: "echo ", with: "").trimmingCharacters(in: ["\""])
        let predictArguments = predict.command[pipe.upperBound...].split(separator: " ").map(localised)
        let predicted = try TextClfBinary.run(Array(predictArguments.dropFirst()), standardInput: text + "\n")
        #expect(predicted.status == 0, "\(predicted.standardError)")
        #expect(predicted.standardOutput == predict.shown.joined(separator: "\n") + "\n")
    }
}
