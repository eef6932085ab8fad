import Foundation
import Testing
import TextClfTestSupport

/// `textclf report` end to end: label files scored against scikit-learn's fixtures, and a
/// trained model's report in text, JSON and HTML.
@Suite("textclf report")
struct ReportCommandTests {
    /// The scikit-learn cases written by `scripts/fixtures/metrics_reference.py`.
    static func cases() throws -> [[String: Any]] {
        let data = try Data(contentsOf: SharedData.fixture("metrics/classification_reports.json"))
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return object["cases"] as! [[String: Any]]
    }

    static func number(_ value: Any?) -> Double {
        if let value = value as? NSNumber { return value.doubleValue }
        return .nan
    }

    static func close(_ a: Double, _ b: Double) -> Bool {
        (a.isNaN && b.isNaN) || abs(a - b) <= 1e-9
    }

    @Test("--predictions/--truth JSON equals scikit-learn's classification_report and confusion_matrix to 1e-9")
    func labelFilesMatchScikitLearn() throws {
        let folder = try TemporaryFolder()
        var checked = 0
        for testCase in try Self.cases() {
            let names = testCase["target_names"] as! [String]
            let truth = (testCase["y_true"] as! [Int]).map { names[$0] }
            let predicted = (testCase["y_pred"] as! [Int]).map { names[$0] }
            // Label files only know the labels they hold; cases with a class in neither file
            // (scored with labels=range(K)) are the library's to check.
            guard Set(truth).union(predicted).count == names.count,
                names == names.sorted(by: { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) })
            else { continue }
            let truthPath = try folder.write("truth.txt", truth.joined(separator: "\n") + "\n")
            let predictedPath = try folder.write("predicted.txt", predicted.joined(separator: "\n") + "\n")
            let jsonPath = folder.url.appendingPathComponent("report.json").path
            let zero = testCase["zero_division"] as! String
            let result = try TextClfBinary.run([
                "report", "--predictions", predictedPath, "--truth", truthPath, "--zero-division", zero, "--json", jsonPath,
            ])
            #expect(result.status == 0, "\(result.standardError)")
            let expectedText = (testCase["text"] as! [String: String])["2"]!
            #expect(result.standardOutput.contains(expectedText.trimmingCharacters(in: .newlines)), "\(testCase["name"]!)")

            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: jsonPath))) as! [String: Any]
            let expected = testCase["report"] as! [String: Any]
            let name = testCase["name"] as! String
            #expect(Self.close(Self.number(report["accuracy"]), Self.number(expected["accuracy"] ?? (testCase["micro"] as! [Any])[2])), "\(name)")
            let classes = report["classes"] as! [String: [String: Any]]
            for (index, label) in names.enumerated() {
                let mine = classes[label]!
                let theirs = expected[String(index)] as! [String: Any]
                #expect(Self.close(Self.number(mine["precision"]), Self.number(theirs["precision"])), "\(name) \(label)")
                #expect(Self.close(Self.number(mine["recall"]), Self.number(theirs["recall"])), "\(name) \(label)")
                #expect(Self.close(Self.number(mine["f1"]), Self.number(theirs["f1-score"])), "\(name) \(label)")
                #expect(Self.number(mine["support"]) == Self.number(theirs["support"]), "\(name) \(label)")
            }
            for (key, theirs) in [("macro", "macro avg"), ("weighted", "weighted avg")] {
                let mine = report[key] as! [String: Any]
                let reference = expected[theirs] as! [String: Any]
                for (field, referenceField) in [("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")] {
                    #expect(Self.close(Self.number(mine[field]), Self.number(reference[referenceField])), "\(name) \(key) \(field)")
                }
            }
            let micro = testCase["micro"] as! [Any]
            let mineMicro = report["micro"] as! [String: Any]
            #expect(Self.close(Self.number(mineMicro["precision"]), Self.number(micro[0])), "\(name) micro")
            #expect(Self.close(Self.number(mineMicro["f1"]), Self.number(micro[2])), "\(name) micro")
            let confusion = report["confusion_matrix"] as! [String: Any]
            #expect(confusion["labels"] as! [String] == names)
            let counts = (confusion["matrix"] as! [[NSNumber]]).map { $0.map(\.intValue) }
            #expect(counts == (testCase["confusion"] as! [String: Any])["None"] as! [[Int]], "\(name)")
            checked += 1
        }
        #expect(checked >= 10, "only \(checked) fixture cases apply to label files")
    }

    @Test("label files: JSON lines from predict are read; a length mismatch and an empty label are errors naming the file")
    func labelFileFormats() throws {
        let folder = try TemporaryFolder()
        let truth = try folder.write("truth.txt", "spam\nham\nham\n")
        let json = try folder.write("predicted.jsonl", "{\"label\":\"spam\",\"probabilities\":{}}\n{\"label\":\"spam\"}\n{\"label\":\"ham\"}\n")
        let ok = try TextClfBinary.run(["report", "--predictions", json, "--truth", truth])
        #expect(ok.status == 0, "\(ok.standardError)")
        #expect(ok.standardOutput.contains("    accuracy                           0.67         3"))
        let short = try folder.write("short.txt", "spam\nham\n")
        let mismatch = try TextClfBinary.run(["report", "--predictions", short, "--truth", truth])
        #expect(mismatch.status != 0 && mismatch.standardError.contains("has 2 labels but \(truth) has 3"))
        let blank = try folder.write("blank.txt", "spam\n\nham\n")
        let empty = try TextClfBinary.run(["report", "--predictions", blank, "--truth", truth])
        #expect(empty.status != 0 && empty.standardError.contains("\(blank):2: empty label"))
        let missing = try TextClfBinary.run(["report", "--predictions", folder.url.path + "/nope.txt", "--truth", truth])
        #expect(missing.status != 0 && missing.standardError.contains("nope.txt: no such file"))
    }

    @Test("label files with LF, CRLF or CR line ends give the same report")
    func labelFileLineEnds() throws {
        let folder = try TemporaryFolder()
        for (name, newline) in [("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")] {
            let truth = try folder.write("\(name)-truth.txt", ["spam", "ham", "ham", "ham"].joined(separator: newline) + newline)
            let predicted = try folder.write("\(name)-predicted.txt", ["spam", "spam", "ham", "ham"].joined(separator: newline))
            let json = folder.url.appendingPathComponent("\(name).json").path
            let result = try TextClfBinary.run(["report", "--predictions", predicted, "--truth", truth, "--json", json])
            #expect(result.status == 0, "\(name): \(result.standardError)")
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
            #expect(report?["samples"] as? Int == 4, "\(name)")
            #expect(((report?["confusion_matrix"] as? [String: Any])?["labels"] as? [String]) == ["ham", "spam"], "\(name)")
            #expect(Self.number(report?["accuracy"]) == 0.75, "\(name)")
        }
        let blank = try folder.write("blank-cr.txt", "spam\r\rham\r")
        let three = try folder.write("three.txt", "spam\nham\nham\n")
        let empty = try TextClfBinary.run(["report", "--predictions", blank, "--truth", three])
        #expect(empty.status != 0 && empty.standardError.contains("\(blank):2: empty label"), "\(empty.standardError)")
    }

    /// A model over six classes scored on data with three of them: a fixture case whose
    /// predictions the model makes exactly (each document is one word the model maps to one
    /// class), so that `report --model` can be held against scikit-learn.
    @Test("--model with classes absent from the data: averages as scikit-learn's labels=None, --labels all as labels=range(K)")
    func modelReportAveragesMatchScikitLearn() throws {
        let testCase = try #require(try Self.cases().first { $0["name"] as? String == "absent_from_both_k6_z0" })
        let names = testCase["target_names"] as! [String]
        let words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]
        let folder = try TemporaryFolder()
        var training = ["label\ttext"]
        for round in 0..<12 { for (index, name) in names.enumerated() { training.append("\(name)\t\(words[index]) \(words[index]) doc\(round)") } }
        let corpus = try folder.write("train.tsv", training.joined(separator: "\n") + "\n")
        let model = folder.url.appendingPathComponent("model").path
        let train = try TextClfBinary.run(["train", corpus, "--out", model, "--epochs", "30", "--quiet", "--seed", "3"])
        try #require(train.status == 0, "\(train.standardError)")

        let truth = (testCase["y_true"] as! [Int]).map { names[$0] }
        let predicted = (testCase["y_pred"] as! [Int]).map { names[$0] }
        let data = try folder.write(
            "data.tsv", (["label\ttext"] + zip(truth, testCase["y_pred"] as! [Int]).map { "\($0)\t\(words[$1])" }).joined(separator: "\n") + "\n")
        let predict = try TextClfBinary.run(["predict", "--model", model, data])
        // Labels with white space are written as JSON strings.
        let written = predicted.map { $0.contains(" ") ? "\"\($0)\"" : $0 }
        try #require(predict.standardOutput.split(separator: "\n").map(String.init) == written, "\(predict.standardOutput)")

        func report(_ extra: [String]) throws -> (text: String, json: [String: Any]) {
            let json = folder.url.appendingPathComponent("report.json").path
            let result = try TextClfBinary.run(["report", "--model", model, data, "--json", json] + extra)
            #expect(result.status == 0, "\(result.standardError)")
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
            return (result.standardOutput, object)
        }
        func expectAverages(_ json: [String: Any], _ reference: [String: Any], _ label: String) {
            for (key, theirs) in [("macro", "macro avg"), ("weighted", "weighted avg")] {
                let mine = json[key] as! [String: Any]
                let expected = reference[theirs] as! [String: Any]
                for (field, referenceField) in [("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")] {
                    #expect(Self.close(Self.number(mine[field]), Self.number(expected[referenceField])), "\(label) \(key) \(field)")
                }
            }
        }
        let present = testCase["report_present"] as! [String: Any]
        let all = testCase["report"] as! [String: Any]
        #expect(!Self.close(Self.number((present["macro avg"] as! [String: Any])["f1-score"]), Self.number((all["macro avg"] as! [String: Any])["f1-score"])))

        let byDefault = try report([])
        expectAverages(byDefault.json, present, "default")
        #expect(byDefault.json["averaged_classes"] as? String == "present")
        #expect(byDefault.json["absent_classes"] as? [String] == ["class 0", "class 2", "class 5"])
        let classes = byDefault.json["classes"] as! [String: [String: Any]]
        #expect(classes.keys.sorted() == names)
        #expect(Self.number(classes["class 5"]?["support"]) == 0)
        #expect(byDefault.text.contains("     class 5       0.00      0.00      0.00         0\n"))
        #expect(byDefault.text.contains("left out, with no support and no predictions: class 0, class 2, class 5"))
        let explicit = try report(["--labels", "present"])
        expectAverages(explicit.json, present, "--labels present")

        // The same predictions as label files: the two ways of scoring agree.
        let truthPath = try folder.write("truth.txt", truth.joined(separator: "\n") + "\n")
        let predictedPath = try folder.write("predicted.txt", predict.standardOutput)
        let json = folder.url.appendingPathComponent("files.json").path
        let files = try TextClfBinary.run(["report", "--predictions", predictedPath, "--truth", truthPath, "--json", json])
        #expect(files.status == 0, "\(files.standardError)")
        let fromFiles = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        expectAverages(fromFiles, present, "label files")

        let everyClass = try report(["--labels", "all"])
        expectAverages(everyClass.json, all, "--labels all")
        #expect(everyClass.json["averaged_classes"] as? String == "all")
        let expectedText = (testCase["text"] as! [String: String])["2"]!
        #expect(everyClass.text.contains(expectedText), "\(everyClass.text)")

        let bad = try TextClfBinary.run(["report", "--model", model, data, "--labels", "some"])
        #expect(bad.status != 0 && bad.standardError.contains("--labels"), "\(bad.standardError)")
    }

    @Test("--model: text, JSON and HTML of a trained model, with its training history and an unknown label named")
    func modelReport() throws {
        let folder = try TemporaryFolder()
        var lines: [String] = []
        for index in 0..<60 {
            lines.append(index % 2 == 0 ? "pos\tgood great fine film \(index)" : "neg\tbad awful poor film \(index)")
        }
        let corpus = try folder.write("train.tsv", lines.joined(separator: "\n") + "\n")
        let model = folder.url.appendingPathComponent("model").path
        let train = try TextClfBinary.run([
            "train", corpus, "--out", model, "--validation-fraction", "0.25", "--epochs", "3", "--quiet", "--seed", "3",
        ])
        #expect(train.status == 0, "\(train.standardError)")
        let json = folder.url.appendingPathComponent("out/report.json").path
        let html = folder.url.appendingPathComponent("out/report.html").path
        try FileManager.default.createDirectory(atPath: folder.url.appendingPathComponent("out").path, withIntermediateDirectories: true)
        let result = try TextClfBinary.run(["report", "--model", model, corpus, "--json", json, "--html", html])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("precision    recall  f1-score   support"))
        #expect(result.standardOutput.contains("Confusion matrix"))
        #expect(result.standardOutput.contains("epochs run  3"))
        #expect(result.standardOutput.contains("Bias and variance"))
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        #expect((report["history"] as? [Any])?.count == 3)
        #expect(((report["confusion_matrix"] as? [String: Any])?["labels"] as? [String]) == ["neg", "pos"])
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("<svg") && page.contains("</html>"))

        let unknown = try folder.write("unknown.tsv", "meh\tgood film\n")
        let failed = try TextClfBinary.run(["report", "--model", model, unknown])
        #expect(failed.status != 0 && failed.standardError.contains("has the label 'meh', which the model does not know"))
        let neither = try TextClfBinary.run(["report"])
        #expect(neither.status != 0 && neither.standardError.contains("--predictions"))
    }
}
