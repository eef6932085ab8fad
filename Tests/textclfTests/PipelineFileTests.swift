import ArgumentParser
import Foundation
import Testing
import TextClf
import TextClfTestSupport

@testable import textclf

/// Everything ArgumentParser parsed into a command, as text: two parses that give the same
/// text configure the same run.
private func parsed(_ arguments: [String]) throws -> String {
    var text = ""
    dump(try Train.parse(arguments), to: &text)
    return text
}

/// Reads `yaml` as a pipeline file saved in `folder`.
private func pipeline(_ yaml: String, in folder: TemporaryFolder, environment: [String: String] = [:]) throws -> PipelineFile {
    try PipelineFile(yaml: yaml, path: "p.yaml", directory: folder.url.path, environment: environment)
}

/// The message of the pipeline error `body` throws.
private func pipelineError(_ body: () throws -> Void) -> PipelineError? {
    do {
        try body()
        return nil
    } catch let error as PipelineError {
        return error
    } catch {
        Issue.record("expected a PipelineError, got \(error)")
        return nil
    }
}

@Suite("Pipeline files")
struct PipelineFileTests {
    static let sample = """
        # a comment
        data:
          train: corpus/train.tsv
          validation-fraction: 0.2
        text:
          stages: [lowercase, words]
        features:
          kind: tfidf
          sublinear-tf: true
          binary: false
        model:
          kind: mlp
          hidden: [15, 8]
        optimizer:
          lr: 0.05
        training:
          epochs: 2
        output:
          dir: out/model
        """

    @Test func expandsIntoTrainArgumentsWithTheTrainingCorpusFirst() throws {
        let folder = try TemporaryFolder()
        let file = try pipeline(Self.sample, in: folder)
        let base = folder.url.path
        #expect(file.arguments == [
            base + "/corpus/train.tsv", "--validation-fraction", "0.2", "--text", "lowercase,words", "--features", "tfidf",
            "--sublinear-tf", "--model", "mlp", "--hidden", "15,8", "--lr", "0.05", "--epochs", "2", "--out", base + "/out/model",
        ])
        #expect(file.settings.first { $0.key.dotted == "optimizer.lr" }?.line == 15)
        let train = try Train.parse(file.arguments)
        #expect(train.options.training.hiddenSizes == [15, 8])
        #expect(train.options.text.stages == "lowercase,words")
        #expect(train.options.features.sublinearTF && !train.options.features.binary)
        #expect(train.options.validationFraction == 0.2)
    }

    @Test func theCommandLineOverridesTheFile() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("p.yaml", Self.sample)
        let other = folder.url.appendingPathComponent("other.tsv").path
        let expansion = try PipelineExpansion(
            arguments: ["train", "--pipeline", path, "--epochs", "5", "--lr=0.5", other, "--validation", "dev.tsv", "--layer-norm"],
            root: TextClfCommand.self, environment: [:])
        let base = folder.url.path
        // The file's TRAIN, --epochs, --lr and --validation-fraction give way; its other settings stay, first.
        #expect(expansion.arguments == [
            "train", "--text", "lowercase,words", "--features", "tfidf", "--sublinear-tf", "--model", "mlp", "--hidden", "15,8",
            "--out", base + "/out/model",
            "--pipeline", path, "--epochs", "5", "--lr=0.5", other, "--validation", "dev.tsv", "--layer-norm",
        ])
        let train = try #require(try TextClfCommand.parseAsRoot(expansion.arguments) as? Train)
        #expect(train.options.training.epochs == 5 && train.options.training.lr == 0.5)
        #expect(train.train == other && train.validation == "dev.tsv" && train.options.validationFraction == nil)
        #expect(train.options.pipelineFile.pipeline == path)
        #expect(train.options.training.layerNorm && train.options.training.hiddenSizes == [15, 8])
    }

    @Test func otherCommandsAndCommandLinesWithoutAPipelineAreLeftAlone() throws {
        for arguments in [["train", "t.tsv", "--out", "m"], ["tokenize", "--pipeline", "x.yaml"], [], ["--help"]] {
            #expect(try PipelineExpansion(arguments: arguments, root: TextClfCommand.self).arguments == arguments)
        }
        #expect(throws: ValidationError.self) {
            try PipelineExpansion(arguments: ["train", "--pipeline", "a.yaml", "--pipeline=b.yaml"], root: TextClfCommand.self)
        }
    }

    @Test func unknownKeysAndSectionsNameTheLineAndTheKnownKeys() throws {
        let folder = try TemporaryFolder()
        let unknown = pipelineError { _ = try pipeline("data:\n  train: t.tsv\nmodel:\n  kind: mlp\n  hiden: [3]\n", in: folder) }
        #expect(unknown?.description
            == "p.yaml:5: model.hiden: unknown key; the keys of model are kind, hidden, activation, dropout, batch-norm, layer-norm, initializer")
        let section = pipelineError { _ = try pipeline("data:\n  train: t.tsv\noptimiser:\n  lr: 0.1\n", in: folder) }
        #expect(section?.line == 3)
        #expect(section?.description.contains("unknown section \"optimiser\"; the sections are data, text, features") == true)
        let notMapping = pipelineError { _ = try pipeline("- data\n- text\n", in: folder) }
        #expect(notMapping?.line == 1)
        let sectionNotMapping = pipelineError { _ = try pipeline("data:\n  train: t.tsv\ntraining: 5\n", in: folder) }
        #expect(sectionNotMapping?.description == "p.yaml:3: training: expected a mapping of keys, got \"5\"")
    }

    @Test func wrongTypesNameTheLineTheKeyAndTheValue() throws {
        let folder = try TemporaryFolder()
        let cases: [(String, String)] = [
            ("optimizer:\n  name: adam\n  lr: fast\n", "p.yaml:3: optimizer.lr: expected a number, got \"fast\""),
            ("optimizer:\n  lr: \"0.01\"\n", "p.yaml:2: optimizer.lr: expected a number, got \"0.01\" (a quoted string)"),
            ("training:\n  epochs: 2.5\n", "p.yaml:2: training.epochs: expected an integer, got \"2.5\""),
            ("training:\n  epochs:\n", "p.yaml:2: training.epochs: expected an integer, got nothing"),
            ("model:\n  hidden: [15, wide]\n", "p.yaml:2: model.hidden: expected an integer, got \"wide\""),
            ("model:\n  hidden: {a: 1}\n", "p.yaml:2: model.hidden: expected a list of integers, got a mapping"),
            ("features:\n  binary: maybe\n", "p.yaml:2: features.binary: expected true or false, got \"maybe\""),
            ("text:\n  stages: [lowercase, [words]]\n", "p.yaml:2: text.stages: expected a list of strings, got a list in the list"),
            ("data:\n  train: [a, b]\n", "p.yaml:2: data.train: expected a path, got a list"),
            ("data:\n  train: \"\"\n", "p.yaml:2: data.train: expected a path, got an empty string"),
        ]
        for (yaml, message) in cases {
            #expect(pipelineError { _ = try pipeline(yaml, in: folder) }?.description == message, "\(yaml)")
        }
    }

    @Test func listsMayBeWrittenAsOneString() throws {
        let folder = try TemporaryFolder()
        let file = try pipeline("text:\n  stages: lowercase, sklearn\nmodel:\n  hidden: 64\n", in: folder)
        #expect(file.arguments == ["--text", "lowercase,sklearn", "--hidden", "64"])
        #expect(try pipeline("model:\n  hidden: 64,32\n", in: folder).arguments == ["--hidden", "64,32"])
        #expect(try pipeline("optimizer:\n  momentum: -0.5\n", in: folder).arguments == ["--momentum=-0.5"])
    }

    @Test func environmentVariablesExpandWithDefaults() throws {
        let folder = try TemporaryFolder()
        let environment = ["DATA": "/corpora", "EMPTY": "", "EPOCHS": "7"]
        let file = try pipeline(
            """
            data:
              train: ${DATA}/sst2/train.tsv
              test: ${MISSING:-/fallback}/test.tsv
              validation: ${EMPTY:-/empty}/dev.tsv
              text-column: $${literal}
            training:
              epochs: ${EPOCHS:-2}
              batch-size: ${BATCH:-16}
            """, in: folder, environment: environment)
        #expect(file.arguments == [
            "/corpora/sst2/train.tsv", "--test", "/fallback/test.tsv", "--validation", "/empty/dev.tsv", "--text-column", "${literal}",
            "--epochs", "7", "--batch-size", "16",
        ])
        let unset = pipelineError { _ = try pipeline("data:\n  train: ${NOPE}/t.tsv\n", in: folder) }
        #expect(unset?.description == "p.yaml:2: data.train: ${NOPE} is not set (write ${NOPE:-default} to give a default)")
        let badNumber = pipelineError { _ = try pipeline("training:\n  epochs: ${EPOCHS}\n", in: folder, environment: ["EPOCHS": "many"]) }
        #expect(badNumber?.description == "p.yaml:2: training.epochs: expected an integer, got \"many\" (from ${EPOCHS})")
        #expect(pipelineError { _ = try pipeline("data:\n  train: ${1X}/t\n", in: folder) }?.line == 2)
        #expect(pipelineError { _ = try pipeline("data:\n  train: ${DATA/t\n", in: folder) }?.line == 2)
    }

    @Test func relativePathsResolveAgainstThePipelineFilesFolder() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write(
            "pipelines/p.yaml", "data:\n  train: ../corpora/train.tsv\n  test: /abs/test.tsv\n  validation: ./dev.tsv\noutput:\n  dir: '-'\n")
        let file = try PipelineFile(contentsOf: path, environment: [:])
        let root = folder.url.standardized.path
        #expect(file.arguments == [root + "/corpora/train.tsv", "--test", "/abs/test.tsv", "--validation", root + "/pipelines/dev.tsv", "--out=-"])
    }

    @Test func syntaxErrorsMissingAndEmptyFilesAreNamed() throws {
        let folder = try TemporaryFolder()
        let syntax = pipelineError { _ = try pipeline("data:\n  train: t.tsv\n  test: [a, b\nmodel:\n  kind: mlp\n", in: folder) }
        #expect(syntax?.line == 4)
        #expect(syntax?.description.hasPrefix("p.yaml:4: YAML syntax error: ") == true)
        let duplicate = pipelineError { _ = try pipeline("data:\n  train: a.tsv\n  train: b.tsv\n", in: folder) }
        #expect(duplicate?.description.contains("the key 'train' is given more than once") == true)
        let missing = folder.url.appendingPathComponent("nope.yaml").path
        #expect(pipelineError { _ = try PipelineFile(contentsOf: missing) }?.description == missing + ": no such pipeline file")
        #expect(pipelineError { _ = try PipelineFile(contentsOf: folder.url.path) }?.description == folder.url.path + ": is a folder, not a pipeline file")
        #expect(pipelineError { _ = try pipeline("# only a comment\n", in: folder) }?.message.hasPrefix("the file holds no settings") == true)
    }

    @Test func theToolReportsPipelineErrorsAndWhereARejectedValueCameFrom() throws {
        let folder = try TemporaryFolder()
        let bad = try folder.write("bad.yaml", "data:\n  train: t.tsv\noptimizer:\n  lr: fast\n")
        let result = try TextClfBinary.run(["train", "--pipeline", bad, "--out", folder.url.appendingPathComponent("m").path])
        #expect(result.status != 0)
        #expect(result.standardError.contains("\(bad):4: optimizer.lr: expected a number, got \"fast\""), "\(result.standardError)")
        let missing = try TextClfBinary.run(["train", "--pipeline", folder.url.appendingPathComponent("none.yaml").path])
        #expect(missing.status != 0)
        #expect(missing.standardError.contains("none.yaml: no such pipeline file"), "\(missing.standardError)")
        let rejected = try folder.write("rejected.yaml", "data:\n  train: t.tsv\noptimizer:\n  name: fancy\n")
        let note = try TextClfBinary.run(["train", "--pipeline", rejected, "--out", folder.url.appendingPathComponent("m").path])
        #expect(note.status != 0)
        #expect(note.standardError.contains("note: --optimizer comes from \(rejected):4 (optimizer.name)"), "\(note.standardError)")
        #expect(!note.standardError.contains("note: TRAIN"), "\(note.standardError)")
    }

    @Test func theToolTrainsFromAPipelineWithOverrides() throws {
        let folder = try TemporaryFolder()
        _ = try folder.write("data/train.tsv", TrainCommandTests.corpus(200, seed: 11))
        let path = try folder.write(
            "runs/p.yaml",
            "data:\n  train: ../data/train.tsv\n  validation-fraction: 0.2\nmodel:\n  kind: mlp\n  hidden: [8]\ntraining:\n  epochs: 9\n  seed: 3\noutput:\n  dir: model\n")
        let result = try TextClfBinary.run(["train", "--pipeline", path, "--epochs", "2", "--quiet"])
        #expect(result.status == 0, "\(result.standardError)")
        let (_, document) = try ModelFile.load(from: folder.url.appendingPathComponent("runs/model").path)
        #expect(document.history.map(\.epoch) == [1, 2])
        #expect(document.architecture.hidden == [8])
    }

    /// A value for every key, with the options it needs to pass `train`'s checks.
    static func samples(existingFile: String) -> [String: (yaml: String, companions: [String])] {
        [
            "data.train": ("other.tsv", []), "data.validation": ("dev.tsv", []), "data.validation-fraction": ("0.25", []),
            "data.test": ("test.tsv", []), "data.format": ("csv", []), "data.encoding": ("latin-1", []),
            "data.decode-errors": ("replace", []), "data.header": ("absent", []), "data.text-column": ("2", []),
            "data.label-column": ("1", []), "data.tsv-quoting": ("true", []),
            "text.stages": ("[whitespace, porter]", []),
            "features.kind": ("hashing", []), "features.ngram": ("1..2", []), "features.min-df": ("2", []),
            "features.max-df": ("0.5", []), "features.max-features": ("100", []), "features.binary": ("true", []),
            "features.norm": ("l1", []), "features.no-idf": ("true", []), "features.no-smooth-idf": ("true", []),
            "features.sublinear-tf": ("true", []), "features.hash-features": ("1024", []),
            "features.no-alternate-sign": ("true", []), "features.embeddings": ("vectors.txt", []),
            "features.embeddings-format": ("word2vec-text", []), "features.skip-bad-lines": ("true", []),
            "features.oov": ("zero", []), "features.weighting": ("sum", []),
            "features.standardize": ("true", ["--features", "glove", "--embeddings", existingFile]),
            "features.cache-dir": ("cache", []),
            "model.kind": ("mlp", []), "model.hidden": ("[15, 8]", ["--model", "mlp"]), "model.activation": ("tanh", []),
            "model.dropout": ("0.3", ["--model", "mlp"]), "model.batch-norm": ("true", ["--model", "mlp"]),
            "model.layer-norm": ("true", ["--model", "mlp"]), "model.initializer": ("xavier-uniform", []),
            "optimizer.name": ("sgd", []), "optimizer.lr": ("0.5", []), "optimizer.momentum": ("0.9", ["--optimizer", "sgd"]),
            "optimizer.nesterov": ("true", ["--optimizer", "sgd", "--momentum", "0.9"]), "optimizer.weight-decay": ("0.01", []), "optimizer.l1": ("0.001", []),
            "optimizer.l2": ("0.002", []), "optimizer.schedule": ("step", []), "optimizer.gamma": ("0.9", []),
            "optimizer.step-size": ("3", []), "optimizer.clip-norm": ("1.5", []),
            "training.epochs": ("7", []), "training.batch-size": ("8", []), "training.seed": ("42", []),
            "training.patience": ("2", ["--validation-fraction", "0.2"]), "training.class-weight": ("balanced", []),
            "training.balanced-sampling": ("true", []), "training.overfit-batches": ("2", []), "training.threads": ("1", []),
            "training.device": ("reference", []), "training.stream": ("true", []), "training.shuffle-buffer": ("500", ["--stream"]),
            "evaluation.monitor": ("val-f1", []), "evaluation.min-delta": ("0.01", []), "evaluation.log-every": ("5", []),
            "output.dir": ("elsewhere", []),
        ]
    }

    @Test func everyKeyReachesItsOption() throws {
        let folder = try TemporaryFolder()
        let existing = try folder.write("vectors.txt", "film 0.1 0.2\n")
        let samples = Self.samples(existingFile: existing)
        let trainKeys = PipelineKey.all.filter { $0.applies(to: "train") }
        #expect(Set(samples.keys) == Set(trainKeys.map(\.dotted)), "every key of train needs a sample")
        let out = folder.url.appendingPathComponent("out").path
        for key in trainKeys {
            guard let sample = samples[key.dotted] else { continue }
            let file = try pipeline("\(key.section):\n  \(key.name): \(sample.yaml)\n", in: folder)
            #expect(file.settings.map(\.key) == [key])
            let positional = key.option == nil ? [] : ["train.tsv"]
            let without = try parsed(["train.tsv"] + sample.companions + ["--out", out])
            let with = try parsed(positional + sample.companions + ["--out", out] + file.arguments)
            #expect(with != without, "\(key.dotted) changed nothing")
            // Enumerations show their case names: latin-1 is latin1, word2vec-text is word2vecText.
            let showsValue = with.lowercased().contains(sample.yaml.replacingOccurrences(of: "-", with: "").lowercased())
                || with.contains(sample.yaml)
            if key.type == .string { #expect(showsValue, "\(key.dotted)") }
        }
    }

    @Test func everyTrainOptionHasAKeyOrAReason() throws {
        let declared = CommandArguments(Train.self)
        #expect(declared.positionals == ["train"])
        let options = declared.valueOptions.union(declared.flags)
        #expect(options.count > 50)
        let covered = Set(PipelineKey.all.compactMap(\.option)).union(PipelineKey.notInPipelines.keys)
        #expect(options.subtracting(covered).isEmpty, "options with no key: \(options.subtracting(covered).sorted())")
        let keyed = Set(PipelineKey.all.filter { $0.applies(to: "train") }.compactMap(\.option))
        #expect(keyed.subtracting(options).isEmpty, "keys for options train lacks: \(keyed.subtracting(options).sorted())")
        for key in PipelineKey.all where key.option != nil {
            #expect((key.type == .flag) == declared.flags.contains(key.option!), "\(key.dotted): flag or option")
        }
        #expect(!PipelineKey("evaluation", "folds", "folds", .int, "", commands: ["cv"]).applies(to: "train"))
        let dotted = PipelineKey.all.map(\.dotted)
        #expect(Set(dotted).count == dotted.count)
        #expect(PipelineKey.all.allSatisfy { PipelineKey.sections.contains($0.section) })
    }

    @Test func argumentsToYAMLAndBackParseTheSame() throws {
        let folder = try TemporaryFolder()
        let data = folder.url.appendingPathComponent("data").path
        let arguments = [
            data + "/train.tsv", "--validation", data + "/dev set.tsv", "--text", "lowercase,stopwords=english,porter",
            "--features=tfidf", "--min-df", "2", "--max-df", "0.9", "--sublinear-tf", "--model", "mlp", "--hidden", "15,8",
            "--dropout", "0.4", "--optimizer", "rmsprop", "--lr", "1e-3", "--momentum=0.1", "--epochs", "3", "--seed", "1",
            "--patience", "2", "--monitor", "val-f1", "--text-column", "true", "--label-column", "2", "--header", "present",
            "--out", folder.url.appendingPathComponent("models/best").path, "--quiet", "--overwrite",
        ]
        let saved = folder.url.appendingPathComponent("runs").path
        let yaml = try PipelineFile.yaml(from: arguments, relativeTo: saved, header: ["The best run.", "", "Second line."])
        #expect(yaml.hasPrefix("# The best run.\n#\n# Second line.\n\ndata:\n  train: ../data/train.tsv\n"), "\(yaml)")
        #expect(yaml.contains("  validation: ../data/dev set.tsv\n") && yaml.contains("  stages: [lowercase, stopwords=english, porter]\n"))
        #expect(yaml.contains("  hidden: [15, 8]\n") && yaml.contains("  text-column: \"true\"\n") && yaml.contains("  dir: ../models/best\n"))
        let path = try folder.write("runs/best.yaml", yaml)
        let back = try PipelineFile(contentsOf: path, environment: [:])
        let expected = arguments.filter { !["--quiet", "--overwrite"].contains($0) }
        #expect(try parsed(back.arguments) == parsed(expected))

        // Without a folder, paths are absolute; `${` survives the trip.
        let absolute = try PipelineFile.yaml(from: ["t.tsv", "--text-column", "${x}", "--out", "/m"])
        #expect(absolute.contains("  train: \(FileManager.default.currentDirectoryPath)/t.tsv\n"), "\(absolute)")
        let again = try PipelineFile(yaml: absolute, path: "a.yaml", directory: "/", environment: [:])
        #expect(again.arguments.contains("${x}"))
        #expect(throws: ValidationError.self) { try PipelineFile.yaml(from: ["t.tsv", "--frobnicate", "1"]) }
        #expect(throws: ValidationError.self) { try PipelineFile.yaml(from: ["t.tsv", "u.tsv"]) }
        #expect(throws: ValidationError.self) { try PipelineFile.yaml(from: ["t.tsv", "--epochs", "many"]) }
    }

    static let shipped = ["sst2-logreg.yaml", "sms-spam-glove-mlp.yaml", "20news-tfidf.yaml", "reuters-grain-corn-mlp.yaml"]

    @Test func everyShippedPipelineExpandsAndParses() throws {
        let directory = SharedData.repositoryRoot.appendingPathComponent("pipelines")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }
        #expect(Set(files) == Set(Self.shipped))
        let folder = try TemporaryFolder()
        let vectors = try folder.write("vectors.txt", "film 0.1 0.2\n")
        for name in files.sorted() {
            let path = directory.appendingPathComponent(name).path
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.hasPrefix("# ") && text.contains("textclf train --pipeline pipelines/\(name)"), "\(name): a header saying how to run it")
            // Without TEXTCLF_SHARED_DATA, the shared corpora are where the tests look for them.
            let file = try PipelineFile(contentsOf: path, environment: [:])
            let train = try #require(file.settings.first { $0.key.option == nil }?.arguments.first)
            let shared = SharedData.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data").standardized.path
            let expectedFolder = text.contains("TEXTCLF_SHARED_DATA") ? shared : SharedData.repositoryRoot.standardized.path
            #expect(train.hasPrefix(expectedFolder + "/"), "\(name): \(train)")
            #expect(try PipelineFile(contentsOf: path, environment: ["TEXTCLF_SHARED_DATA": "/data"]).arguments.first.map {
                $0.hasPrefix("/data/") || !text.contains("TEXTCLF_SHARED_DATA")
            } == true)
            var arguments = ["train", "--pipeline", path, "--out", folder.url.appendingPathComponent(name).path]
            if file.arguments.contains("glove") { arguments += ["--embeddings", vectors] }
            let expansion = try PipelineExpansion(arguments: arguments, root: TextClfCommand.self, environment: [:])
            #expect(throws: Never.self, "\(name)") { try TextClfCommand.parseAsRoot(expansion.arguments) }
        }
    }

    /// The main job's pipeline runs what `scripts/setup.sh` runs, and the SST-2 pipeline the
    /// recipe of `Benchmarks/run-train.sh`.
    @Test func shippedPipelinesMatchTheRecipesTheyStandFor() throws {
        let root = SharedData.repositoryRoot.standardized.path
        let shared = SharedData.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data").standardized.path
        let recipes: [(String, [String])] = [
            (
                "reuters-grain-corn-mlp.yaml",
                [
                    root + "/corpora/reuters/ReutersGrain-train.arff", "--test", root + "/corpora/reuters/ReutersGrain-test.arff",
                    "--model", "mlp", "--text", "lowercase,sklearn,stopwords,porter", "--features", "tfidf", "--hidden", "32",
                    "--dropout", "0.2", "--lr", "0.003", "--epochs", "20", "--batch-size", "32", "--validation-fraction", "0.15",
                    "--patience", "3", "--monitor", "val-f1", "--class-weight", "balanced", "--seed", "1",
                    "--out", root + "/models/reuters-grain",
                ]
            ),
            (
                "sst2-logreg.yaml",
                [
                    shared + "/sst2/train.tsv", "--validation", shared + "/sst2/dev.tsv", "--model", "logreg",
                    "--text", "whitespace,porter,sklearn", "--lr", "0.01", "--batch-size", "16", "--epochs", "2", "--seed", "1",
                    "--out", root + "/models/sst2",
                ]
            ),
        ]
        for (name, recipe) in recipes {
            let file = try PipelineFile(contentsOf: root + "/pipelines/" + name, environment: [:])
            // --overwrite: a model trained earlier may be in the output folder.
            #expect(try parsed(file.arguments + ["--overwrite"]) == parsed(recipe + ["--overwrite"]), "\(name)")
        }
    }

    @Test func theReadmeListsEveryKey() throws {
        let readme = try String(
            contentsOf: SharedData.repositoryRoot.appendingPathComponent("pipelines/README.md"), encoding: .utf8)
        #expect(readme.contains(PipelineKey.markdownTable), "pipelines/README.md's key table should be:\n\(PipelineKey.markdownTable)")
        for name in Self.shipped { #expect(readme.contains("`\(name)`")) }
    }

    @Test(.enabled(if: SharedData.isAvailable, SharedData.skipMessage))
    func theSST2PipelineRunsEndToEnd() throws {
        let folder = try TemporaryFolder()
        let path = SharedData.repositoryRoot.appendingPathComponent("pipelines/sst2-logreg.yaml").path
        let result = try TextClfBinary.run([
            "train", "--pipeline", path, "--epochs", "1", "--out", folder.url.appendingPathComponent("sst2").path, "--quiet",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        // The seed recipe's first epoch, as Benchmarks/README.md and the README report it.
        #expect(result.standardOutput.contains("validation: accuracy 0.8200, macro-F1 0.8198 (epoch 1)"), "\(result.standardOutput)")
    }
}
