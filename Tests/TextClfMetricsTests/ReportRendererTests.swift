import Foundation
import Testing
import TextClfMetrics
import TextClfReport
import TextClfTestSupport

/// Reports used by the renderer tests: one of a training run, one of predictions only.
enum SampleReports {
    static let trickyNames = ["négatif", "positif <&\"x\">", "neutral 'quoted'"]

    /// Three classes with names that need escaping, twelve epochs, a best epoch and a reading.
    static func trainingRun(zeroDivision: ZeroDivision = .zero) -> EvaluationReport {
        let truth = [0, 0, 0, 1, 1, 1, 1, 2, 2, 0, 1, 2, 0, 1, 1, 0]
        let predictions = [0, 0, 1, 1, 1, 2, 1, 2, 0, 0, 1, 2, 0, 1, 0, 0]
        let metrics = ClassificationMetrics(predictions: predictions, truth: truth, classCount: 3, zeroDivision: zeroDivision)
        let history = (1...12).map { e -> EpochSummary in
            let t = Double(e)
            return EpochSummary(
                epoch: e, trainLoss: 1.1 * exp(-t / 4) + 0.05, trainAccuracy: 1 - 0.6 * exp(-t / 3),
                trainMacroF1: 1 - 0.65 * exp(-t / 3), validationLoss: 0.9 * exp(-t / 5) + 0.25 + 0.01 * max(0, t - 7),
                validationAccuracy: 0.85 - 0.5 * exp(-t / 3), validationMacroF1: e == 3 ? nil : 0.82 - 0.55 * exp(-t / 3),
                learningRate: 0.003 * pow(0.9, t - 1), seconds: 0.4 + 0.01 * t)
        }
        return EvaluationReport(
            title: "Sentiment <test> & \"friends\"", source: "corpora/sample.tsv (test split)", classNames: trickyNames,
            metrics: metrics,
            training: TrainingSummary(epochsRun: 12, bestEpoch: 9, stoppingReason: "early stopping after epoch 12: no improvement since epoch 9", seconds: 6.31),
            history: history,
            biasVariance: BiasVarianceReading(history: history, epoch: 9),
            options: [ReportOption("model", "mlp"), ReportOption("hidden", "256"), ReportOption("text", "lowercase,sklearn <raw>")])
    }

    /// Twenty classes with long names, predictions only.
    static func predictionsOnly() -> EvaluationReport {
        let names = (0..<20).map { "comp.group\($0).a-rather-long-name" }
        var truth: [Int] = [], predictions: [Int] = []
        var state: UInt64 = 42
        for i in 0..<600 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let t = i % 20
            truth.append(t)
            predictions.append(state >> 33 % 10 < 7 ? t : Int((state >> 40) % 20))
        }
        let metrics = ClassificationMetrics(predictions: predictions, truth: truth, classCount: 20)
        return EvaluationReport(title: "20 groups: predictions", classNames: names, metrics: metrics)
    }
}

@Suite struct ReportRendererTests {
    /// The JSON form, read back with `JSONDecoder` (which parses doubles exactly).
    struct DecodedReport: Decodable {
        struct Scores: Decodable { var precision: Double?; var recall: Double?; var f1: Double?; var support: Int }
        struct Confusion: Decodable { var labels: [String]; var matrix: [[Int]]; var normalized: [String: [[Double]]] }
        struct Training: Decodable { var epochsRun: Int; var bestEpoch: Int?; var stoppingReason: String; var seconds: Double? }
        struct Epoch: Decodable {
            var epoch: Int; var trainLoss: Double; var trainAccuracy: Double; var trainMacroF1: Double?
            var validationLoss: Double?; var validationAccuracy: Double?; var validationMacroF1: Double?
            var learningRate: Double?; var seconds: Double?
        }
        struct Reading: Decodable {
            var bayesError: Double; var trainingError: Double; var devError: Double; var avoidableBias: Double
            var variance: Double; var tolerance: Double; var highBias: Bool; var highVariance: Bool; var diagnosis: String; var advice: String
        }
        var title: String; var source: String?; var samples: Int; var zeroDivision: String; var accuracy: Double
        var classes: [String: Scores]; var macro: Scores; var micro: Scores; var weighted: Scores
        var confusionMatrix: Confusion; var training: Training?; var history: [Epoch]?; var biasVariance: Reading?
        var options: [String: String]?

        static func decode(_ text: String) throws -> DecodedReport {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            return try decoder.decode(DecodedReport.self, from: Data(text.utf8))
        }
    }

    /// Equal, with `nil` standing for NaN.
    func same(_ decoded: Double?, _ value: Double) -> Bool { decoded.map { $0 == value } ?? value.isNaN }

    func check(_ decoded: DecodedReport.Scores?, _ scores: PrecisionRecallF1) -> Bool {
        guard let decoded else { return false }
        return same(decoded.precision, scores.precision) && same(decoded.recall, scores.recall)
            && same(decoded.f1, scores.f1) && decoded.support == scores.support
    }

    @Test func jsonRoundTripsEveryNumber() throws {
        let report = SampleReports.trainingRun()
        let text = report.json()
        let root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(Set(root.keys) == [
            "absent_classes", "accuracy", "averaged_classes", "bias_variance", "classes", "confusion_matrix", "history", "macro",
            "micro", "options", "samples", "source", "title", "training", "weighted", "zero_division",
        ])
        let decoded = try DecodedReport.decode(text)
        let m = report.metrics
        #expect(decoded.accuracy == m.accuracy && decoded.samples == m.sampleCount && decoded.zeroDivision == "0")
        #expect(decoded.title == report.title && decoded.source == report.source)
        #expect(Set(decoded.classes.keys) == Set(report.classNames))
        for (name, scores) in zip(report.classNames, m.perClass) { #expect(check(decoded.classes[name], scores), "\(name)") }
        #expect(check(decoded.macro, m.macro) && check(decoded.micro, m.micro) && check(decoded.weighted, m.weighted))
        #expect(decoded.confusionMatrix.labels == report.classNames && decoded.confusionMatrix.matrix == m.confusion)
        for mode in ConfusionNormalization.allCases {
            #expect(decoded.confusionMatrix.normalized[mode.rawValue] == m.normalizedConfusion(mode))
        }
        let history = try #require(decoded.history)
        #expect(history.count == report.history.count)
        for (entry, record) in zip(history, report.history) {
            #expect(entry.epoch == record.epoch && entry.trainLoss == record.trainLoss && entry.trainAccuracy == record.trainAccuracy)
            #expect(entry.trainMacroF1 == record.trainMacroF1 && entry.validationLoss == record.validationLoss)
            #expect(entry.validationAccuracy == record.validationAccuracy && entry.validationMacroF1 == record.validationMacroF1)
            #expect(entry.learningRate == record.learningRate && entry.seconds == record.seconds)
        }
        #expect(history[2].validationMacroF1 == nil)
        let training = try #require(decoded.training)
        #expect(training.epochsRun == 12 && training.bestEpoch == 9 && training.seconds == 6.31)
        #expect(training.stoppingReason == report.training?.stoppingReason)
        let reading = try #require(report.biasVariance)
        let bias = try #require(decoded.biasVariance)
        #expect(bias.trainingError == reading.trainingError && bias.devError == reading.devError && bias.bayesError == 0)
        #expect(bias.avoidableBias == reading.avoidableBias && bias.variance == reading.variance && bias.tolerance == 0.05)
        #expect(bias.highBias == reading.hasHighBias && bias.highVariance == reading.hasHighVariance)
        #expect(bias.diagnosis == reading.diagnosis.rawValue && bias.advice == reading.diagnosis.advice)
        #expect(decoded.options == ["model": "mlp", "hidden": "256", "text": "lowercase,sklearn <raw>"])
    }

    @Test func jsonHasSortedKeysAndIsStable() {
        let report = SampleReports.trainingRun()
        let text = report.json()
        #expect(text == report.json())
        #expect(text.hasSuffix("}\n"))
        // Top-level keys are the lines indented by exactly two spaces.
        let keys = text.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map { $0.dropFirst(3).prefix { $0 != "\"" } }.map(String.init)
        #expect(keys.count == 16)
        #expect(keys == keys.sorted())
    }

    @Test func jsonWritesNaNAsNull() throws {
        // Class 2 is never predicted and absent from the truth: all three of its ratios are 0/0.
        let metrics = ClassificationMetrics(predictions: [0, 1, 1], truth: [0, 1, 0], classCount: 3, zeroDivision: .nan)
        let report = EvaluationReport(title: "nan", classNames: ["a", "b", "c"], metrics: metrics)
        let text = report.json()
        #expect(!text.contains("nan") || text.contains("\"zero_division\": \"nan\""))
        #expect(!text.lowercased().replacingOccurrences(of: "\"nan\"", with: "").contains("nan"))
        let decoded = try DecodedReport.decode(text)
        let c = try #require(decoded.classes["c"])
        #expect(c.precision == nil && c.recall == nil && c.f1 == nil && c.support == 0)
        #expect(decoded.classes["a"]?.precision == 1)
        #expect(check(decoded.macro, metrics.macro) && check(decoded.weighted, metrics.weighted))
        #expect(decoded.training == nil && decoded.history == nil && decoded.options == nil && decoded.biasVariance == nil)
    }

    @Test func textStartsWithScikitLearnsReportThenTheTables() throws {
        let fixture = try #require(try MetricsReferenceCase.loadAll().first { $0.name == "random_k3_seed2" })
        let metrics = ClassificationMetrics(predictions: fixture.predictions, truth: fixture.truth, classCount: fixture.k, zeroDivision: fixture.zeroDivision)
        var report = EvaluationReport(title: "Parity", source: "fixture", classNames: fixture.targetNames, metrics: metrics)
        for digits in [2, 4] {
            let text = report.text(digits: digits)
            let expected = try #require(fixture.text[String(digits)])
            #expect(text.hasPrefix("Parity\nfixture\n\n" + expected + "\nConfusion matrix (rows: true label, columns: predicted label)\n"))
        }
        // The confusion table: one row per true class, named, with its counts in order.
        let lines = report.text().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex { $0.hasPrefix("Confusion matrix") })
        #expect(lines[start + 1].contains("true \\ predicted"))
        for (t, name) in fixture.targetNames.enumerated() {
            let row = lines[start + 2 + t]
            #expect(row.hasPrefix("  " + name))
            let counts = row.dropFirst(2 + name.unicodeScalars.count).split(separator: " ").compactMap { Int($0) }
            #expect(counts == metrics.confusion[t])
        }
        #expect(!report.text().contains("Training") && !report.text().contains("Bias and variance"))

        report.training = TrainingSummary(epochsRun: 4, bestEpoch: 3, stoppingReason: "completed all epochs", seconds: 1.5)
        report.biasVariance = BiasVarianceReading(trainingError: 0.02, devError: 0.12, bayesError: 0.01)
        let text = report.text()
        let confusionAt = try #require(text.range(of: "Confusion matrix"))
        let trainingAt = try #require(text.range(of: "\nTraining\n"))
        let biasAt = try #require(text.range(of: "\nBias and variance (tolerance 0.05)\n"))
        #expect(confusionAt.lowerBound < trainingAt.lowerBound && trainingAt.lowerBound < biasAt.lowerBound)
        #expect(text.contains("  best epoch  3\n") && text.contains("  stopped     completed all epochs\n") && text.contains("  time        1.50 s\n"))
        #expect(text.contains("  Bayes error     0.0100\n"))
        #expect(text.contains("  avoidable bias  0.0100  within tolerance\n"))
        #expect(text.contains("  variance        0.1000  high: get more training data or add regularisation\n"))
        #expect(text.contains("  diagnosis       high variance  " + BiasVarianceDiagnosis.highVariance.advice + "\n"))
        #expect(!text.split(separator: "\n").contains { $0.hasSuffix(" ") })
    }

    @Test func textNumbersColumnsOfWideConfusionMatrices() {
        let text = SampleReports.predictionsOnly().text()
        #expect(text.contains("  0 comp.group0.a-rather-long-name "))
        #expect(text.contains("  19 comp.group19.a-rather-long-name "))
        let header = text.split(separator: "\n").first { $0.contains("true \\ predicted") } ?? ""
        #expect(header.hasSuffix(" 18  19"))
        #expect(text.split(separator: "\n").allSatisfy { $0.count <= 200 })
    }

    @Test func textShowsTheEpochTable() {
        let text = SampleReports.trainingRun().text()
        #expect(text.contains("\nPer epoch\n  epoch  train loss  train acc  train F1  val loss  val acc  val F1  "))
        let rows = text.split(separator: "\n").filter { $0.range(of: #"^\s+\d+\s+\d\.\d{4}"#, options: .regularExpression) != nil }
        #expect(rows.count == 12)
        // Epoch 3 has no validation macro-F1.
        #expect(rows[2].split(separator: " ")[6] == "-")
    }

    @Test func htmlHasTheSectionsAndEscapesText() {
        let report = SampleReports.trainingRun()
        let html = report.html()
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(html.hasSuffix("</html>\n"))
        #expect(html.components(separatedBy: "<svg class=\"chart\"").count - 1 == 3)
        #expect(html.contains("<body data-charts=\"3\" data-rendered=\"pending\">"))
        for id in ["curves", "classes", "confusion", "bias-variance", "training", "options"] { #expect(html.contains("<section id=\"\(id)\">")) }
        #expect(html.contains("<table class=\"heatmap"))
        for title in ["Loss", "Accuracy", "Macro-F1"] { #expect(html.contains("<text class=\"chart-title\" x=\"52\" y=\"18\">\(title)</text>")) }
        #expect(html.contains("<path class=\"train\"") && html.contains("<path class=\"valid\""))
        #expect(html.contains(">best</text>"))
        // Escaping: the raw names never appear; their escaped forms do.
        #expect(!html.contains("positif <&\"x\">") && !html.contains("<test>") && !html.contains("sklearn <raw>"))
        #expect(html.contains("positif &lt;&amp;&quot;x&quot;&gt;"))
        #expect(html.contains("<title>Sentiment &lt;test&gt; &amp; &quot;friends&quot;</title>"))
        #expect(html.contains("neutral &#39;quoted&#39;"))
        #expect(html.contains("<td>lowercase,sklearn &lt;raw&gt;</td>"))
        // One cell per confusion count, in row order.
        let cells = html.components(separatedBy: "<td class=\"cell").dropFirst().map { $0.drop { $0 != ">" }.dropFirst().prefix { $0 != "<" } }
        #expect(cells.map { Int($0) ?? -1 } == report.metrics.confusion.flatMap { $0 })
        // Self-contained: nothing fetched from elsewhere.
        for outside in ["<link", "src=", "@import", "url(", "https:", "//fonts"] { #expect(!html.contains(outside), "\(outside)") }
    }

    @Test func htmlWithoutHistoryHasNoCharts() {
        let html = SampleReports.predictionsOnly().html()
        #expect(html.contains("<body data-charts=\"0\""))
        #expect(!html.contains("<svg"))
        #expect(html.contains("No per-epoch history"))
        #expect(html.contains("<table class=\"heatmap rotated\" style=\""))
        #expect(!html.contains("<section id=\"training\">") && !html.contains("<section id=\"bias-variance\">"))
        #expect(html.components(separatedBy: "<td class=\"cell").count - 1 == 400)
    }

    @Test func htmlShowsNaNAsUndefined() {
        let metrics = ClassificationMetrics(predictions: [0, 1, 1], truth: [0, 1, 0], classCount: 3, zeroDivision: .nan)
        let html = EvaluationReport(title: "nan", classNames: ["a", "b", "c"], metrics: metrics).html()
        #expect(html.components(separatedBy: "class=\"num undefined\"").count - 1 == 3)
    }

    @Test func renderPicksTheFormat() {
        let report = SampleReports.trainingRun()
        #expect(report.render(.text, digits: 4) == report.text(digits: 4))
        #expect(report.render(.json) == report.json())
        #expect(report.render(.html, digits: 3) == report.html(digits: 3))
    }
}

@Suite struct BiasVarianceTests {
    @Test func diagnosesEachCase() {
        let highVariance = BiasVarianceReading(trainingError: 0.01, devError: 0.11)
        #expect(abs(highVariance.avoidableBias - 0.01) < 1e-12 && abs(highVariance.variance - 0.10) < 1e-12)
        #expect(highVariance.diagnosis == .highVariance)
        #expect(BiasVarianceReading(trainingError: 0.15, devError: 0.16).diagnosis == .highBias)
        #expect(BiasVarianceReading(trainingError: 0.15, devError: 0.30).diagnosis == .highBiasAndVariance)
        #expect(BiasVarianceReading(trainingError: 0.03, devError: 0.06).diagnosis == .neither)
        // The Bayes error moves the bias line; the tolerance moves both.
        #expect(BiasVarianceReading(trainingError: 0.15, devError: 0.16, bayesError: 0.12).diagnosis == .neither)
        #expect(BiasVarianceReading(trainingError: 0.03, devError: 0.06, tolerance: 0.02).diagnosis == .highBiasAndVariance)
        #expect(Set(BiasVarianceDiagnosis.allCases.map(\.advice)).count == 4)
    }

    @Test func readsAccuraciesAndHistory() throws {
        let fromAccuracy = BiasVarianceReading(trainingAccuracy: 0.99, devAccuracy: 0.9)
        #expect(abs(fromAccuracy.trainingError - 0.01) < 1e-12 && abs(fromAccuracy.devError - 0.1) < 1e-12)
        let history = [
            EpochSummary(epoch: 1, trainLoss: 1, trainAccuracy: 0.7, validationAccuracy: 0.68),
            EpochSummary(epoch: 2, trainLoss: 0.5, trainAccuracy: 0.9, validationAccuracy: 0.8),
            EpochSummary(epoch: 3, trainLoss: 0.2, trainAccuracy: 0.99),
        ]
        let best = try #require(BiasVarianceReading(history: history, epoch: 2))
        #expect(abs(best.trainingError - 0.1) < 1e-12 && abs(best.devError - 0.2) < 1e-12)
        #expect(BiasVarianceReading(history: history) == nil)  // the last epoch has no validation
        #expect(BiasVarianceReading(history: history, epoch: 7) == nil)
        #expect(BiasVarianceReading(history: []) == nil)
    }
}

/// Whether an executable named `name` is on `PATH`.
func onPath(_ name: String) -> Bool {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
}

extension SampleReports {
    /// Sixteen documents of the training run's three classes in two dimensions, four misclassified.
    static func projection() -> EvaluationReport.Projection {
        let truth = [0, 0, 0, 1, 1, 1, 1, 2, 2, 0, 1, 2, 0, 1, 1, 0]
        let predictions = [0, 0, 1, 1, 1, 2, 1, 2, 0, 0, 1, 2, 0, 1, 0, 0]
        return EvaluationReport.Projection(
            title: "PCA of the last hidden layer", x: truth.indices.map { Double($0 % 5) + Double(truth[$0]) * 3 },
            y: truth.indices.map { Double($0 / 5) - Double(truth[$0]) }, truth: truth, predicted: predictions)
    }
}

/// The projection's scatter plot: a dot per document in its true class's colour, a ring in
/// the predicted class's colour around each misclassified one, counted as a chart.
@Suite struct ProjectionPlotTests {
    @Test func everyDocumentIsADotAndEveryMistakeIsRinged() {
        var report = SampleReports.trainingRun()
        let plain = report.html()
        report.projection = SampleReports.projection()
        let page = report.html()
        #expect(page.components(separatedBy: "<circle class=\"point\"").count - 1 == 16)
        #expect(page.components(separatedBy: "<circle class=\"miss\"").count - 1 == 4)
        #expect(page.contains("16 documents, 4 misclassified (ringed)"))
        let charts = { (html: String) in html.components(separatedBy: "<svg class=\"chart\"").count - 1 }
        #expect(charts(page) == charts(plain) + 1)
        #expect(page.contains("data-charts=\"\(charts(page))\""))
        #expect(!plain.contains("id=\"projection\""))
    }
}

@Suite(.serialized) struct ReportPageInChromiumTests {
    /// Writes each sample page and its screenshot to `$TMPDIR/textclf-report-check/` (kept
    /// for a look) and runs `scripts/check-report-html.sh` on it.
    @Test(.enabled(if: onPath("chromium"), "needs chromium on PATH (scripts/check-report-html.sh installs it); skipped"),
          arguments: ["training", "predictions", "projection"])
    func pageRendersWithoutErrors(_ which: String) throws {
        var report = which == "predictions" ? SampleReports.predictionsOnly() : SampleReports.trainingRun()
        if which == "projection" { report.projection = SampleReports.projection() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-report-check")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let page = folder.appendingPathComponent("\(which).html"), screenshot = folder.appendingPathComponent("\(which).png")
        try? FileManager.default.removeItem(at: screenshot)
        try report.html().write(to: page, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [SharedData.repositoryRoot.appendingPathComponent("scripts/check-report-html.sh").path, page.path, screenshot.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(log)")
        #expect(log.contains("check-report-html: ok"), "\(log)")
        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000)
    }
}

@Suite struct HeatMapLayoutTests {
    /// The content width of a report card in a 1280 px window: `main` is at most 1180 px wide
    /// with 28 px padding each side, a section has 18 px padding and a 1 px border each side.
    static let cardWidthAt1280 = 1180 - 2 * 28 - 2 * 18 - 2

    /// A report with `count` classes whose names are as long as 20 Newsgroups' longest.
    static func report(classes count: Int) -> EvaluationReport {
        let names = (0..<count).map { "comp.os.ms-windows.misc.\($0)" }
        let truth = (0..<(count * 30)).map { $0 % count }
        let predictions = truth.enumerated().map { $0.offset % 7 == 0 ? ($0.element + 1) % count : $0.element }
        let metrics = ClassificationMetrics(predictions: predictions, truth: truth, classCount: count)
        return EvaluationReport(title: "\(count) classes", classNames: names, metrics: metrics)
    }

    /// The fixed width the heat map's table declares (`table-layout: fixed`), in pixels.
    static func declaredWidth(_ html: String) -> Int? {
        guard let table = html.range(of: "<table class=\"heatmap") else { return nil }
        let tag = html[table.lowerBound...].prefix { $0 != ">" }
        guard let width = tag.range(of: "width:") else { return nil }
        return Int(tag[width.upperBound...].prefix { $0.isNumber })
    }

    @Test(arguments: [20, 26, 30])
    func theHeatMapFitsItsCardAt1280Pixels(_ count: Int) throws {
        let html = Self.report(classes: count).html()
        let width = try #require(Self.declaredWidth(html), "the heat map declares no width")
        #expect(width <= Self.cardWidthAt1280, "\(count) classes: \(width) px in a \(Self.cardWidthAt1280) px card")
        #expect(html.contains("table.heatmap { table-layout: fixed;"))
        // Every class keeps its name, in full, as the row header's and the column header's tooltip.
        #expect(html.components(separatedBy: "title=\"comp.os.ms-windows.misc.0\"").count - 1 == 2)
    }

    @Test func smallMatricesKeepRoomyCells() throws {
        let html = Self.report(classes: 3).html()
        let width = try #require(Self.declaredWidth(html))
        #expect(width <= Self.cardWidthAt1280)
        #expect(html.contains("--cell:44px"), "three classes keep 44 px cells")
    }
}
