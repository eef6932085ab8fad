import Foundation
import Testing
import TextClf
import TextClfTestSupport

@Suite("textclf project")
struct ProjectCommandTests {
    /// An MLP's last hidden layer, projected: one `label,x,y` row per document in order, the
    /// saved activations `[documents, hidden]`, and the rows their PCA projection.
    @Test func projectsAHiddenLayerOnItsPrincipalComponents() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(200, seed: 71))
        let data = try folder.write("data.tsv", TrainCommandTests.corpus(60, seed: 72))
        let model = folder.url.appendingPathComponent("mlp").path
        let trained = try TextClfBinary.run(
            ["train", train, "--model", "mlp", "--hidden", "8,5", "--epochs", "3", "--seed", "1", "--out", model, "--no-run-log", "--quiet"])
        #expect(trained.status == 0, "\(trained.standardError)")
        let csv = folder.url.appendingPathComponent("points.csv").path, npy = folder.url.appendingPathComponent("h.npy").path
        for (layer, width) in [(nil as Int?, 5), (1, 8)] {
            let result = try TextClfBinary.run(
                ["project", "--model", model, data, "--out", csv, "--activations", npy] + (layer.map { ["--layer", String($0)] } ?? []))
            #expect(result.status == 0, "\(result.standardError)")
            let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
            #expect(lines.first == "label,x,y" && lines.count == 61)
            let expectedLabels = TrainCommandTests.corpus(60, seed: 72).split(separator: "\n").dropFirst().map { $0.split(separator: "\t")[1] }
            #expect(lines.dropFirst().map { $0.split(separator: ",")[0] } == expectedLabels)
            let activations = try NPYArray(contentsOf: npy)
            #expect(activations.shape == [60, width])
            guard case .float32(let values) = activations.elements else { Issue.record("not float32"); continue }
            let pca = PCA(dense: values, rows: 60, columns: width)
            let expected = pca.project(dense: values, rows: 60)
            for (line, point) in zip(lines.dropFirst(), expected) {
                let fields = line.split(separator: ",").dropFirst().map { Double($0)! }
                #expect(abs(fields[0] - point[0]) < 1e-9 && abs(fields[1] - point[1]) < 1e-9)
            }
        }
        // t-SNE of the same layer keeps neighbourhoods, the same points twice.
        var embeddings: [String] = []
        for _ in 0..<2 {
            let tsne = try TextClfBinary.run(["project", "--model", model, data, "--out", csv, "--method", "tsne", "--perplexity", "10", "--activations", npy])
            #expect(tsne.status == 0, "\(tsne.standardError)")
            embeddings.append(try String(contentsOfFile: csv, encoding: .utf8))
        }
        #expect(embeddings[0] == embeddings[1])
        let points = embeddings[0].split(separator: "\n").dropFirst().map { line in line.split(separator: ",").dropFirst().map { Double($0)! } }
        let hidden = try NPYArray(contentsOf: npy)
        if case .float32(let values) = hidden.elements {
            let trust = TSNE.trustworthiness(input: values, columns: hidden.shape[1], embedding: points, neighbours: 5)
            #expect(trust > 0.8, "trustworthiness \(trust)")
        }
        // Random starting points: the same seed gives the same points, another seed others,
        // and neighbourhoods are kept either way.
        var seeded: [String] = []
        for seed in ["3", "3", "4"] {
            let run = try TextClfBinary.run([
                "project", "--model", model, data, "--out", csv, "--method", "tsne", "--perplexity", "10",
                "--initialization", "random", "--seed", seed,
            ])
            #expect(run.status == 0, "\(run.standardError)")
            seeded.append(try String(contentsOfFile: csv, encoding: .utf8))
        }
        #expect(seeded[0] == seeded[1] && seeded[0] != seeded[2] && seeded[0] != embeddings[0])
        if case .float32(let values) = hidden.elements {
            let points = seeded[2].split(separator: "\n").dropFirst().map { line in line.split(separator: ",").dropFirst().map { Double($0)! } }
            let trust = TSNE.trustworthiness(input: values, columns: hidden.shape[1], embedding: points, neighbours: 5)
            #expect(trust > 0.8, "trustworthiness \(trust) from random starting points")
        }
        let beyond = try TextClfBinary.run(["project", "--model", model, data, "--out", csv, "--layer", "3"])
        #expect(beyond.status == 64 && beyond.standardError.contains("the model has 2 hidden layers"), "\(beyond.standardError)")
        let method = try TextClfBinary.run(["project", "--model", model, data, "--out", csv, "--method", "umap"])
        #expect(method.status == 64 && method.standardError.contains("--method"), "\(method.standardError)")

        // The report's page plots the same documents, one dot each.
        let page = folder.url.appendingPathComponent("report.html").path
        let report = try TextClfBinary.run(["report", "--model", model, data, "--html", page, "--projection", "pca", "--quiet"])
        #expect(report.status == 0, "\(report.standardError)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.components(separatedBy: "<circle class=\"point\"").count - 1 == 60 && html.contains("PCA of the last hidden layer: 60 documents"))
        let withoutPage = try TextClfBinary.run(["report", "--model", model, data, "--projection", "pca", "--quiet"])
        #expect(withoutPage.status == 64 && withoutPage.standardError.contains("--projection draws on the --html page"), "\(withoutPage.standardError)")

        // A logistic regression projects its sparse input features.
        let linear = folder.url.appendingPathComponent("logreg").path
        #expect(try TextClfBinary.run(["train", train, "--epochs", "1", "--out", linear, "--no-run-log", "--quiet"]).status == 0)
        let sparse = try TextClfBinary.run(["project", "--model", linear, data, "--out", csv])
        #expect(sparse.status == 0, "\(sparse.standardError)")
        #expect(try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").count == 61)
        let dense = try TextClfBinary.run(["project", "--model", linear, data, "--out", csv, "--activations", npy])
        #expect(dense.status == 64 && dense.standardError.contains("sparse"), "\(dense.standardError)")
    }
}
