import Foundation

/// Escapes text for HTML element content and double- or single-quoted attribute values.
func htmlEscape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// A number for SVG coordinates: two decimals, no trailing zeros.
private func svgNumber(_ value: Double) -> String {
    var text = String(format: "%.2f", value)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text == "-0" ? "0" : text
}

/// One line of a chart: a name, a CSS class and a value per epoch (`nil` leaves a gap).
struct ChartSeries {
    var name: String
    var cssClass: String
    var values: [Double?]
}

/// Tick positions for an axis over `low...high`: a step of 1, 2 or 5 times a power of ten
/// giving about `count` intervals, and the domain widened to whole steps.
func niceTicks(low: Double, high: Double, count: Int = 5) -> (low: Double, high: Double, step: Double, ticks: [Double]) {
    var low = low, high = high
    if !(high > low) {
        let pad = low == 0 ? 0.5 : abs(low) * 0.1
        low -= pad
        high += pad
    }
    let raw = (high - low) / Double(max(1, count))
    let magnitude = pow(10, floor(log10(raw)))
    let fraction = raw / magnitude
    let step = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude
    let first = floor(low / step + 1e-9) * step
    let last = ceil(high / step - 1e-9) * step
    var ticks: [Double] = []
    var index = 0.0
    while first + index * step <= last + step * 1e-6 {
        ticks.append(first + index * step)
        index += 1
    }
    return (first, last, step, ticks)
}

/// A line chart of per-epoch values as an inline SVG, with axes, ticks, a legend and an
/// optional marked epoch.
func lineChartSVG(title: String, epochs: [Int], series: [ChartSeries], markedEpoch: Int?, yLabel: String) -> String {
    let width = 344.0, height = 240.0
    let left = 52.0, right = 14.0, top = 40.0, bottom = 40.0
    let plotWidth = width - left - right, plotHeight = height - top - bottom
    let values = series.flatMap { $0.values.compactMap { $0 } }.filter(\.isFinite)
    let y = niceTicks(low: values.min() ?? 0, high: values.max() ?? 1, count: 4)
    let firstEpoch = Double(epochs.first ?? 1), lastEpoch = Double(epochs.last ?? 1)
    let xLow = epochs.count > 1 ? firstEpoch : firstEpoch - 0.5
    let xHigh = epochs.count > 1 ? lastEpoch : lastEpoch + 0.5
    func px(_ epoch: Double) -> Double { left + (epoch - xLow) / (xHigh - xLow) * plotWidth }
    func py(_ value: Double) -> Double { top + (1 - (value - y.low) / (y.high - y.low)) * plotHeight }
    let decimals = max(0, Int(-floor(log10(y.step) + 1e-9)))

    var svg = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" "
    svg += "width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(htmlEscape(title))\">\n"
    svg += "<title>\(htmlEscape(title))</title>\n"
    svg += "<text class=\"chart-title\" x=\"\(svgNumber(left))\" y=\"18\">\(htmlEscape(title))</text>\n"
    // Grid and y ticks.
    for tick in y.ticks {
        let yy = svgNumber(py(tick))
        svg += "<line class=\"grid\" x1=\"\(svgNumber(left))\" x2=\"\(svgNumber(left + plotWidth))\" y1=\"\(yy)\" y2=\"\(yy)\"/>"
        svg += "<text class=\"tick\" x=\"\(svgNumber(left - 6))\" y=\"\(yy)\" text-anchor=\"end\" dominant-baseline=\"middle\">"
        svg += String(format: "%.\(decimals)f", tick) + "</text>\n"
    }
    // X ticks: whole epochs, at most about eight labels.
    let span = epochs.count
    let stride = max(1, Int(ceil(Double(span) / 8)))
    // The last epoch gets a label too unless it would crowd the previous one.
    for (i, epoch) in epochs.enumerated() where i % stride == 0 || (i == span - 1 && i % stride >= max(1, stride / 2)) {
        let xx = svgNumber(px(Double(epoch)))
        svg += "<line class=\"axis\" x1=\"\(xx)\" x2=\"\(xx)\" y1=\"\(svgNumber(top + plotHeight))\" y2=\"\(svgNumber(top + plotHeight + 4))\"/>"
        svg += "<text class=\"tick\" x=\"\(xx)\" y=\"\(svgNumber(top + plotHeight + 16))\" text-anchor=\"middle\">\(epoch)</text>\n"
    }
    // Axes and their labels.
    svg += "<line class=\"axis\" x1=\"\(svgNumber(left))\" x2=\"\(svgNumber(left))\" y1=\"\(svgNumber(top))\" y2=\"\(svgNumber(top + plotHeight))\"/>"
    svg += "<line class=\"axis\" x1=\"\(svgNumber(left))\" x2=\"\(svgNumber(left + plotWidth))\" y1=\"\(svgNumber(top + plotHeight))\" y2=\"\(svgNumber(top + plotHeight))\"/>\n"
    svg += "<text class=\"axis-label\" x=\"\(svgNumber(left + plotWidth / 2))\" y=\"\(svgNumber(height - 6))\" text-anchor=\"middle\">epoch</text>\n"
    svg += "<text class=\"axis-label\" transform=\"translate(13 \(svgNumber(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(htmlEscape(yLabel))</text>\n"
    if let markedEpoch, epochs.contains(markedEpoch) {
        let xx = svgNumber(px(Double(markedEpoch)))
        svg += "<line class=\"best\" x1=\"\(xx)\" x2=\"\(xx)\" y1=\"\(svgNumber(top))\" y2=\"\(svgNumber(top + plotHeight))\"/>"
        svg += "<text class=\"best-label\" x=\"\(xx)\" y=\"\(svgNumber(top - 4))\" text-anchor=\"middle\">best</text>\n"
    }
    // Lines with a dot per epoch; a missing value breaks the line.
    for line in series {
        var path = ""
        var penDown = false
        var dots = ""
        for (epoch, value) in zip(epochs, line.values) {
            guard let value, value.isFinite else { penDown = false; continue }
            let xx = svgNumber(px(Double(epoch))), yy = svgNumber(py(value))
            path += (penDown ? " L" : (path.isEmpty ? "M" : " M")) + "\(xx) \(yy)"
            penDown = true
            dots += "<circle class=\"\(line.cssClass)\" cx=\"\(xx)\" cy=\"\(yy)\" r=\"2.6\"><title>\(htmlEscape(line.name)), epoch \(epoch): "
            dots += Format.fixed(value, 4) + "</title></circle>"
        }
        if !path.isEmpty { svg += "<path class=\"\(line.cssClass)\" d=\"\(path)\"/>\n" }
        svg += dots + "\n"
    }
    // Legend, top right.
    var legendX = left + plotWidth
    for line in series.reversed() {
        let labelWidth = Double(Format.width(line.name)) * 6.4 + 28
        legendX -= labelWidth
        svg += "<g class=\"legend\"><line class=\"\(line.cssClass)\" x1=\"\(svgNumber(legendX))\" x2=\"\(svgNumber(legendX + 18))\" y1=\"14\" y2=\"14\"/>"
        svg += "<text class=\"tick\" x=\"\(svgNumber(legendX + 22))\" y=\"14\" dominant-baseline=\"middle\">\(htmlEscape(line.name))</text></g>\n"
    }
    return svg + "</svg>"
}

/// The page's widths in pixels, shared by its CSS and the heat map's layout.
enum HTMLLayout {
    /// The widest `main` gets (from windows of 1236 px, e.g. 1280 px).
    static let mainWidth = 1180
    /// `main`'s padding left and right.
    static let mainPadding = 28
    /// A card's (`section`'s) padding left and right; its border is 1 px.
    static let sectionPadding = 18
    /// The gap between two cards side by side.
    static let columnGap = 16
    /// The content width of a card at the page's full width.
    static let cardWidth = mainWidth - 2 * mainPadding - 2 * sectionPadding - 2
    /// The content width of one of two cards side by side.
    static let halfCardWidth = (mainWidth - 2 * mainPadding - columnGap) / 2 - 2 * sectionPadding - 2
}

extension EvaluationReport {
    /// The report as one self-contained HTML page: inline CSS and SVG, no scripts or fonts
    /// from elsewhere. It shows the headline numbers, training and validation curves of
    /// loss, accuracy and macro-F1 per epoch (when there is a history), the confusion matrix
    /// as a heat map, the per-class table with averages (classes with no support and no
    /// predictions greyed, and ``averagingNote()`` under it), the bias/variance table, the
    /// training summary and the options. All text is escaped.
    ///
    /// A small inline script checks, on load, that every chart has a non-zero size and sets
    /// `data-rendered="ok"` on `body` (`"failed"` or `"error"` otherwise); `data-charts` on
    /// `body` is the number of charts the page holds.
    public func html(digits: Int = 4) -> String {
        let scatter = projection.map(projectionSVG)
        let charts = chartSVGs()
        var page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        page += "<title>\(htmlEscape(title))</title>\n<style>\n\(Self.css)</style>\n</head>\n"
        page += "<body data-charts=\"\(charts.count + (scatter == nil ? 0 : 1))\" data-rendered=\"pending\">\n<main>\n"
        page += "<header>\n<h1>\(htmlEscape(title))</h1>\n"
        if let source { page += "<p class=\"source\">\(htmlEscape(source))</p>\n" }
        page += headlineHTML(digits: digits) + "</header>\n"

        page += "<section id=\"curves\">\n<h2>Training curves</h2>\n"
        if charts.isEmpty {
            page += "<p class=\"note\">No per-epoch history: this report scores predictions only.</p>\n"
        } else {
            page += "<div class=\"charts\">\n" + charts.map { "<figure>\($0)</figure>\n" }.joined() + "</div>\n"
        }
        page += "</section>\n"
        if let scatter {
            page += "<section id=\"projection\">\n<h2>Documents in two dimensions</h2>\n<figure>\(scatter)</figure>\n</section>\n"
        }
        // Side by side when both tables are small, one above the other otherwise.
        page += sideBySide ? "<div class=\"columns\">\n" : "<div>\n"
        page += "<section id=\"classes\">\n<h2>Per-class metrics</h2>\n" + perClassHTML(digits: digits) + "</section>\n"
        page += "<section id=\"confusion\">\n<h2>Confusion matrix</h2>\n" + confusionHTML() + "</section>\n"
        page += "</div>\n"
        if let reading = biasVariance {
            page += "<section id=\"bias-variance\">\n<h2>Bias and variance</h2>\n" + biasVarianceHTML(reading) + "</section>\n"
        }
        if training != nil || !history.isEmpty {
            page += "<section id=\"training\">\n<h2>Training</h2>\n" + trainingHTML() + "</section>\n"
        }
        if !options.isEmpty {
            page += "<section id=\"options\">\n<h2>Options</h2>\n<table class=\"kv\">\n<tbody>\n"
            for option in options {
                page += "<tr><th scope=\"row\">\(htmlEscape(option.key))</th><td>\(htmlEscape(option.value))</td></tr>\n"
            }
            page += "</tbody>\n</table>\n</section>\n"
        }
        page += "</main>\n<script>\n\(Self.script)</script>\n</body>\n</html>\n"
        return page
    }

    /// The projection as a scatter plot: one dot per document coloured by its true class,
    /// a misclassified document ringed in the colour of the class predicted, and a legend.
    func projectionSVG(_ projection: Projection) -> String {
        let (width, height, margin, legendWidth) = (560.0, 420.0, 24.0, 140.0)
        let palette = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777", "#4b5563", "#65a30d"]
        func colour(_ index: Int) -> String { palette[index % palette.count] }
        let (minX, maxX) = (projection.x.min() ?? 0, projection.x.max() ?? 1)
        let (minY, maxY) = (projection.y.min() ?? 0, projection.y.max() ?? 1)
        let plotWidth = width - 2 * margin - legendWidth, plotHeight = height - 2 * margin - 20
        func px(_ v: Double) -> Double { margin + (maxX > minX ? (v - minX) / (maxX - minX) : 0.5) * plotWidth }
        func py(_ v: Double) -> Double { margin + 20 + (maxY > minY ? (maxY - v) / (maxY - minY) : 0.5) * plotHeight }
        let wrong = zip(projection.truth, projection.predicted).filter { $0 != $1 }.count
        let title = "\(projection.title): \(projection.x.count) documents, \(wrong) misclassified (ringed)"
        var svg = "<svg class=\"chart\" id=\"scatter\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" "
        svg += "width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(htmlEscape(title))\">\n"
        svg += "<title>\(htmlEscape(title))</title>\n<text class=\"chart-title\" x=\"\(svgNumber(margin))\" y=\"18\">\(htmlEscape(title))</text>\n"
        svg += "<rect class=\"frame\" x=\"\(svgNumber(margin))\" y=\"\(svgNumber(margin + 20))\" width=\"\(svgNumber(plotWidth))\" height=\"\(svgNumber(plotHeight))\" fill=\"none\" stroke=\"#d1d5db\"/>\n"
        for index in projection.x.indices {
            let (cx, cy) = (svgNumber(px(projection.x[index])), svgNumber(py(projection.y[index])))
            let truth = projection.truth[index], predicted = projection.predicted[index]
            let name = truth < classNames.count ? classNames[truth] : String(truth)
            svg += "<circle class=\"point\" cx=\"\(cx)\" cy=\"\(cy)\" r=\"2.5\" fill=\"\(colour(truth))\" fill-opacity=\"0.75\"><title>\(htmlEscape(name))</title></circle>"
            if truth != predicted {
                svg += "<circle class=\"miss\" cx=\"\(cx)\" cy=\"\(cy)\" r=\"5\" fill=\"none\" stroke=\"\(colour(predicted))\" stroke-width=\"1.2\"/>"
            }
            svg += "\n"
        }
        for (index, name) in classNames.enumerated() {
            let y = margin + 30 + Double(index) * 18, x = width - legendWidth + 4
            svg += "<g class=\"legend\"><circle cx=\"\(svgNumber(x))\" cy=\"\(svgNumber(y))\" r=\"4\" fill=\"\(colour(index))\"/>"
            svg += "<text class=\"tick\" x=\"\(svgNumber(x + 10))\" y=\"\(svgNumber(y))\" dominant-baseline=\"middle\">\(htmlEscape(name))</text></g>\n"
        }
        return svg + "</svg>"
    }

    /// The charts of the history: loss, accuracy and macro-F1, each drawn only when it has a value.
    func chartSVGs() -> [String] {
        guard !history.isEmpty else { return [] }
        let epochs = history.map(\.epoch)
        let best = training?.bestEpoch
        let specs: [(String, String, [Double?], [Double?])] = [
            ("Loss", "loss", history.map { $0.trainLoss }, history.map(\.validationLoss)),
            ("Accuracy", "accuracy", history.map { $0.trainAccuracy }, history.map(\.validationAccuracy)),
            ("Macro-F1", "macro-F1", history.map(\.trainMacroF1), history.map(\.validationMacroF1)),
        ]
        return specs.compactMap { title, label, train, validation in
            let series = [
                ChartSeries(name: "training", cssClass: "train", values: train),
                ChartSeries(name: "validation", cssClass: "valid", values: validation),
            ].filter { $0.values.contains { $0?.isFinite == true } }
            guard !series.isEmpty else { return nil }
            return lineChartSVG(title: title, epochs: epochs, series: series, markedEpoch: best, yLabel: label)
        }
    }

    func headlineHTML(digits: Int) -> String {
        var tiles = [
            ("accuracy", Format.fixed(metrics.accuracy, digits)),
            ("macro-F1", Format.fixed(metrics.macro.f1, digits)),
            ("weighted F1", Format.fixed(metrics.weighted.f1, digits)),
            ("examples", String(metrics.sampleCount)),
            ("classes", String(metrics.classCount)),
        ]
        if let reading = biasVariance { tiles.append(("diagnosis", reading.diagnosis.rawValue)) }
        return "<div class=\"tiles\">\n" + tiles.map {
            "<div class=\"tile\"><span class=\"value\">\(htmlEscape($0.1))</span><span class=\"label\">\(htmlEscape($0.0))</span></div>\n"
        }.joined() + "</div>\n"
    }

    func perClassHTML(digits: Int) -> String {
        func cell(_ value: Double) -> String {
            value.isNaN ? "<td class=\"num undefined\" title=\"undefined: zero denominator\">nan</td>" : "<td class=\"num\">\(Format.fixed(value, digits))</td>"
        }
        func bar(_ value: Double) -> String {
            let share = value.isFinite ? min(max(value, 0), 1) : 0
            return "<td class=\"bar\"><span style=\"width:\(svgNumber(share * 100))%\"></span></td>"
        }
        var html = "<table class=\"metrics\">\n<thead><tr><th scope=\"col\">class</th><th scope=\"col\">precision</th>"
        html += "<th scope=\"col\">recall</th><th scope=\"col\">F1</th><th scope=\"col\">support</th><th scope=\"col\" class=\"bar\">F1</th></tr></thead>\n<tbody>\n"
        let absent = Set(metrics.absentClassIndices)
        for (index, (name, s)) in zip(classNames, metrics.perClass).enumerated() {
            html += absent.contains(index) ? "<tr class=\"absent\" title=\"no support and no predictions\">" : "<tr>"
            html += "<th scope=\"row\" title=\"\(htmlEscape(name))\">\(htmlEscape(name))</th>" + cell(s.precision) + cell(s.recall) + cell(s.f1)
            html += "<td class=\"num\">\(s.support)</td>" + bar(s.f1) + "</tr>\n"
        }
        html += "</tbody>\n<tbody class=\"averages\">\n"
        html += "<tr><th scope=\"row\">accuracy</th><td></td><td></td>" + cell(metrics.accuracy)
        html += "<td class=\"num\">\(metrics.sampleCount)</td>" + bar(metrics.accuracy) + "</tr>\n"
        for (name, s) in [("macro avg", metrics.macro), ("weighted avg", metrics.weighted)] {
            html += "<tr><th scope=\"row\">\(name)</th>" + cell(s.precision) + cell(s.recall) + cell(s.f1)
            html += "<td class=\"num\">\(s.support)</td>" + bar(s.f1) + "</tr>\n"
        }
        html += "</tbody>\n</table>\n"
        if let note = averagingNote() { html += "<p class=\"note\">\(htmlEscape(note))</p>\n" }
        return html
    }

    /// Whether the per-class table and the heat map stand side by side (few classes with
    /// short names), each in half the page's width.
    var sideBySide: Bool { classNames.count <= 6 && (classNames.map(Format.width).max() ?? 0) <= 24 }

    /// The heat map's column widths in pixels. The table has a fixed layout: the row headers'
    /// column (names cut with an ellipsis, the full name in the tooltip), one column per class
    /// and the totals' column, together no wider than its card at the page's full width
    /// (`HTMLLayout.cardWidth`, or half of it side by side), down to cells of
    /// `minimumCell` pixels (about 30 classes); more classes scroll within the card.
    struct HeatMapLayout: Equatable {
        static let maximumCell = 44, minimumCell = 24
        /// The row headers' column.
        let head: Int
        /// Each class's column.
        let cell: Int
        /// The totals' column.
        let total: Int
        /// The whole table.
        var width: Int { head + cell * classes + total }
        let classes: Int

        init(classNames: [String], sampleCount: Int, available: Int) {
            classes = classNames.count
            // At most 8.2 px a character at 14 px, and the cell's padding.
            let longest = classNames.map(Format.width).max() ?? 0
            head = min(240, max(110, Int((Double(longest) * 8.2).rounded(.up)) + 22))
            total = max(40, String(sampleCount).count * 8 + 14)
            let fitting = (available - head - total) / max(1, classes)
            cell = min(Self.maximumCell, max(Self.minimumCell, fitting))
        }
    }

    /// The heat map's layout in this report's card.
    var heatMapLayout: HeatMapLayout {
        HeatMapLayout(
            classNames: classNames, sampleCount: metrics.sampleCount,
            available: sideBySide ? HTMLLayout.halfCardWidth : HTMLLayout.cardWidth)
    }

    /// The confusion matrix as a table heat map: counts in the cells, each shaded by its
    /// share of the true class (the row), with totals.
    func confusionHTML() -> String {
        let shares = metrics.normalizedConfusion(.truth)
        let predicted = metrics.predictedCounts
        let rotate = classNames.count > 4 || classNames.contains { Format.width($0) > 10 }
        let layout = heatMapLayout
        let narrow = layout.cell < 34
        let style = "--head:\(layout.head)px;--cell:\(layout.cell)px;--total:\(layout.total)px;width:\(layout.width)px"
        var html = "<table class=\"heatmap\(rotate ? " rotated" : "")\(narrow ? " narrow" : "")\" style=\"\(style)\">\n"
        html += "<thead><tr><th class=\"corner\" scope=\"col\">true ╲ predicted</th>"
        for name in classNames { html += "<th scope=\"col\" class=\"col\" title=\"\(htmlEscape(name))\"><span>\(htmlEscape(name))</span></th>" }
        html += "<th scope=\"col\" class=\"total col\"><span>total</span></th></tr></thead>\n<tbody>\n"
        for (t, name) in classNames.enumerated() {
            html += "<tr><th scope=\"row\">\(htmlEscape(name))</th>"
            for p in classNames.indices {
                let share = shares[t][p]
                // From near-white to a deep blue.
                let r = Int((247 - share * (247 - 8)).rounded()), g = Int((251 - share * (251 - 48)).rounded())
                let b = Int((255 - share * (255 - 107)).rounded())
                let ink = share > 0.5 ? "#fff" : "#1f2937"
                let tip = "true \(classNames[t]), predicted \(classNames[p]): \(metrics.confusion[t][p]) (" + String(format: "%.1f", share * 100) + "% of true \(classNames[t]))"
                html += "<td class=\"\(t == p ? "cell diag" : "cell")\" style=\"background:rgb(\(r),\(g),\(b));color:\(ink)\" title=\"\(htmlEscape(tip))\">\(metrics.confusion[t][p])</td>"
            }
            html += "<td class=\"total\">\(metrics.confusion[t].reduce(0, +))</td></tr>\n"
        }
        html += "<tr class=\"total\"><th scope=\"row\">total</th>" + predicted.map { "<td class=\"total\">\($0)</td>" }.joined()
        html += "<td class=\"total\">\(metrics.sampleCount)</td></tr>\n</tbody>\n</table>\n"
        html += "<p class=\"note\">Rows are true labels, columns predicted labels; shading is the share of the row's examples.</p>\n"
        return html
    }

    func biasVarianceHTML(_ reading: BiasVarianceReading) -> String {
        func row(_ name: String, _ value: String, _ note: String, high: Bool = false) -> String {
            "<tr\(high ? " class=\"high\"" : "")><th scope=\"row\">\(htmlEscape(name))</th><td class=\"num\">\(htmlEscape(value))</td><td>\(htmlEscape(note))</td></tr>\n"
        }
        var html = "<table class=\"kv bias\">\n<tbody>\n"
        html += row("Bayes error", Format.fixed(reading.bayesError, 4), "human-level or best possible error")
        html += row("training error", Format.fixed(reading.trainingError, 4), "")
        html += row("dev error", Format.fixed(reading.devError, 4), "")
        html += row("avoidable bias", Format.fixed(reading.avoidableBias, 4), reading.biasAdvice, high: reading.hasHighBias)
        html += row("variance", Format.fixed(reading.variance, 4), reading.varianceAdvice, high: reading.hasHighVariance)
        html += row("diagnosis", reading.diagnosis.rawValue, reading.diagnosis.advice, high: reading.diagnosis != .neither)
        html += "</tbody>\n</table>\n<p class=\"note\">A gap counts as high above a tolerance of \(htmlEscape(Format.compact(reading.tolerance))).</p>\n"
        return html
    }

    func trainingHTML() -> String {
        var html = ""
        if let training {
            html += "<table class=\"kv\">\n<tbody>\n<tr><th scope=\"row\">epochs run</th><td>\(training.epochsRun)</td></tr>\n"
            if let best = training.bestEpoch { html += "<tr><th scope=\"row\">best epoch</th><td>\(best)</td></tr>\n" }
            html += "<tr><th scope=\"row\">stopped</th><td>\(htmlEscape(training.stoppingReason))</td></tr>\n"
            if let seconds = training.seconds { html += "<tr><th scope=\"row\">time</th><td>" + String(format: "%.2f s", seconds) + "</td></tr>\n" }
            html += "</tbody>\n</table>\n"
        }
        if !history.isEmpty {
            html += "<table class=\"metrics epochs\">\n<thead><tr><th scope=\"col\">epoch</th><th scope=\"col\">train loss</th>"
            html += "<th scope=\"col\">train acc</th><th scope=\"col\">train F1</th><th scope=\"col\">val loss</th><th scope=\"col\">val acc</th>"
            html += "<th scope=\"col\">val F1</th><th scope=\"col\">lr</th><th scope=\"col\">seconds</th></tr></thead>\n<tbody>\n"
            for r in history {
                let best = training?.bestEpoch == r.epoch
                html += "<tr\(best ? " class=\"best\"" : "")><th scope=\"row\">\(r.epoch)</th>"
                let cells = [
                    Format.fixed(r.trainLoss, 4), Format.fixed(r.trainAccuracy, 4), Format.optional(r.trainMacroF1, 4),
                    Format.optional(r.validationLoss, 4), Format.optional(r.validationAccuracy, 4), Format.optional(r.validationMacroF1, 4),
                    r.learningRate.map(Format.compact) ?? "-", r.seconds.map { String(format: "%.2f", $0) } ?? "-",
                ]
                html += cells.map { "<td class=\"num\">\($0)</td>" }.joined() + "</tr>\n"
            }
            html += "</tbody>\n</table>\n"
        }
        return html
    }

    static let css = """
        :root { --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --train: #2563eb; --valid: #ea580c; --bg: #f8fafc; }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--bg); color: var(--ink);
          font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", sans-serif; }
        main { max-width: \(HTMLLayout.mainWidth)px; margin: 0 auto; padding: 24px \(HTMLLayout.mainPadding)px 40px; }
        h1 { font-size: 24px; margin: 0 0 4px; overflow-wrap: anywhere; }
        h2 { font-size: 17px; margin: 0 0 12px; }
        .source { color: var(--muted); margin: 0 0 14px; overflow-wrap: anywhere; }
        section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px \(HTMLLayout.sectionPadding)px; margin: 16px 0; overflow-x: auto; }
        .columns { display: flex; flex-wrap: wrap; gap: \(HTMLLayout.columnGap)px; align-items: flex-start; }
        .columns > section { flex: 1 1 440px; margin: 0; }
        .tiles { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 10px; }
        .tile { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 110px; }
        .tile .value { display: block; font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
        .tile .label { color: var(--muted); font-size: 12px; }
        .charts { display: flex; flex-wrap: wrap; gap: 12px; }
        figure { margin: 0; }
        svg.chart { display: block; background: #fff; }
        svg .chart-title { font-size: 13px; font-weight: 600; fill: var(--ink); }
        svg .tick { font-size: 11px; fill: #4b5563; }
        svg .axis-label { font-size: 11px; fill: var(--muted); }
        svg .grid { stroke: #eef0f3; stroke-width: 1; }
        svg .axis { stroke: #9ca3af; stroke-width: 1; }
        svg .best { stroke: #9ca3af; stroke-dasharray: 3 3; }
        svg .best-label { font-size: 10px; fill: var(--muted); }
        svg path.train, svg line.train { stroke: var(--train); stroke-width: 2; fill: none; }
        svg path.valid, svg line.valid { stroke: var(--valid); stroke-width: 2; stroke-dasharray: 6 3; fill: none; }
        svg circle.train { fill: var(--train); }
        svg circle.valid { fill: var(--valid); }
        table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
        th, td { padding: 4px 10px; text-align: left; vertical-align: middle; }
        thead th { border-bottom: 2px solid var(--line); color: #374151; font-weight: 600; }
        tbody th { font-weight: 500; white-space: nowrap; }
        td.num { text-align: right; }
        td.undefined { color: var(--muted); }
        tr.absent th, tr.absent td { color: var(--muted); }
        table.metrics tbody tr:nth-child(even) { background: #f9fafb; }
        table.metrics tbody.averages { border-top: 2px solid var(--line); }
        table.metrics tbody.averages th { font-weight: 600; }
        td.bar { width: 110px; }
        td.bar span { display: block; height: 9px; border-radius: 3px; background: var(--train); opacity: .75; }
        table.metrics tr.best { background: #fff7ed; }
        table.heatmap { table-layout: fixed; }
        table.heatmap th.corner, table.heatmap tbody th { width: var(--head); overflow: hidden; text-overflow: ellipsis; }
        table.heatmap th.col, table.heatmap td.cell { width: var(--cell); padding: 4px 0; }
        table.heatmap th.total.col, table.heatmap td.total { width: var(--total); padding: 4px 2px; }
        table.heatmap td.cell { text-align: center; height: 34px; border: 1px solid #fff; font-weight: 500; overflow: hidden; }
        table.heatmap.narrow td.cell { height: 26px; font-size: 11px; }
        table.heatmap.narrow td.total, table.heatmap.narrow th.col { font-size: 11px; }
        table.heatmap td.diag { box-shadow: inset 0 0 0 2px #0f172a33; }
        table.heatmap td.total { text-align: center; color: var(--muted); }
        table.heatmap tr.total th { color: var(--muted); }
        table.heatmap th.corner { font-weight: 500; color: var(--muted); font-size: 12px; white-space: nowrap; vertical-align: bottom; }
        table.heatmap th.col { text-align: center; vertical-align: bottom; }
        table.heatmap.rotated th.col span { writing-mode: vertical-rl; transform: rotate(180deg); display: inline-block; max-height: 240px;
          overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
        table.kv th { color: #374151; font-weight: 500; padding-right: 22px; white-space: nowrap; }
        table.kv td { overflow-wrap: anywhere; }
        table.kv tr + tr { border-top: 1px solid var(--line); }
        table.bias tr.high td, table.bias tr.high th { color: #b45309; font-weight: 600; }
        .note { color: var(--muted); font-size: 12px; margin: 8px 0 0; }
        table.epochs { margin-top: 14px; }

        """

    static let script = """
        (function () {
          var body = document.body;
          window.addEventListener('error', function () { body.setAttribute('data-rendered', 'error'); });
          window.addEventListener('load', function () {
            if (body.getAttribute('data-rendered') === 'error') return;
            var charts = document.querySelectorAll('svg.chart');
            var drawn = 0;
            for (var i = 0; i < charts.length; i++) {
              var box = charts[i].getBoundingClientRect();
              if (box.width > 0 && box.height > 0) drawn++;
            }
            var expected = Number(body.getAttribute('data-charts'));
            body.setAttribute('data-charts-drawn', String(drawn));
            body.setAttribute('data-page-height', String(document.documentElement.scrollHeight));
            body.setAttribute('data-rendered', drawn === expected && charts.length === expected ? 'ok' : 'failed');
          });
        })();

        """
}
