// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "textclf",
    products: [
        .library(name: "TextClf", targets: ["TextClf"]),
        .library(name: "TextClfText", targets: ["TextClfText"]),
        .library(name: "TextClfData", targets: ["TextClfData"]),
        .library(name: "TextClfTensor", targets: ["TextClfTensor"]),
        .library(name: "TextClfFeatures", targets: ["TextClfFeatures"]),
        .library(name: "TextClfNN", targets: ["TextClfNN"]),
        .library(name: "TextClfMetrics", targets: ["TextClfMetrics"]),
        .library(name: "TextClfTraining", targets: ["TextClfTraining"]),
        .library(name: "TextClfReport", targets: ["TextClfReport"]),
        .executable(name: "textclf", targets: ["textclf"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Pipeline files: YAML with line numbers for every node, so errors can name the line.
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // System libraries from Debian, wrapped as modules and imported internally only.
        .systemLibrary(
            name: "CUtf8proc",
            providers: [.apt(["libutf8proc-dev"])]),
        // OpenBLAS's header comes from Debian's multiarch include path (`cblas.h`, pointing at the
        // selected OpenBLAS); the library is linked statically by TextClfTensor (see there).
        .systemLibrary(
            name: "COpenBLAS",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),

        .target(
            name: "TextClfText",
            dependencies: ["CUtf8proc"]),
        .target(
            name: "TextClfData",
            dependencies: ["TextClfText", "TextClfTensor"]),
        // Scores predictions from any source: depends on nothing but the standard library.
        .target(name: "TextClfMetrics"),
        // Text, JSON and HTML reports of scored predictions and training runs.
        .target(name: "TextClfReport", dependencies: ["TextClfMetrics"]),
        .target(
            name: "TextClfTraining",
            dependencies: [
                "TextClfNN", "TextClfData", "TextClfFeatures", "TextClfMetrics", "TextClfTensor", "CSQLite", "CTextClfKernels",
            ]),
        // Element-wise kernels in C: restrict pointers let the compiler vectorise them.
        .target(
            name: "CTextClfKernels",
            cSettings: [.unsafeFlags(["-O3", "-fno-math-errno", "-ffp-contract=off"])]),
        // OpenBLAS linked statically, from its pthread build (libopenblas-pthread-dev, found
        // first whichever build the system's alternatives select): the shared library's 16,000
        // symbol relocations and its Fortran runtime cost every process about 4 ms before main,
        // more than many commands take.
        .target(
            name: "TextClfTensor", dependencies: ["COpenBLAS", "CTextClfKernels"],
            linkerSettings: [
                .unsafeFlags([
                    "-Xlinker", "-L/usr/lib/x86_64-linux-gnu/openblas-pthread",
                    "-Xlinker", "-L/usr/lib/aarch64-linux-gnu/openblas-pthread",
                    "-Xlinker", "-l:libopenblas.a",
                ])
            ]),
        .target(
            name: "TextClfFeatures",
            dependencies: ["TextClfText", "TextClfTensor", "CSQLite"]),
        .target(name: "TextClfNN", dependencies: ["TextClfTensor"]),
        .target(
            name: "TextClf",
            dependencies: [
                "TextClfText", "TextClfData", "TextClfTensor", "TextClfFeatures", "TextClfNN", "TextClfMetrics",
                "TextClfTraining", "TextClfReport",
            ]),
        .executableTarget(
            name: "textclf",
            dependencies: [
                "TextClf",
                "COpenBLAS", "CSQLite", "CUtf8proc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]),

        // In-process timings for Benchmarks/run-text.sh.
        .executableTarget(
            name: "textclf-bench",
            dependencies: ["TextClf"],
            path: "Benchmarks/TextClfBench"),

        // Locates the shared corpora and committed fixtures for the test targets.
        .target(name: "TextClfTestSupport", path: "Sources/TextClfTestSupport"),

        .testTarget(
            name: "TextClfTextTests",
            dependencies: ["TextClfText", "TextClfTestSupport"]),
        .testTarget(
            name: "TextClfDataTests",
            dependencies: ["TextClfData", "TextClfTestSupport"]),
        .testTarget(
            name: "TextClfTensorTests",
            dependencies: ["TextClfTensor", "TextClfTestSupport"]),
        .testTarget(
            name: "TextClfNNTests",
            dependencies: ["TextClfNN", "TextClfTestSupport"]),
        .testTarget(
            name: "TextClfTrainingTests",
            dependencies: ["TextClfTraining", "TextClfTestSupport"]),
        .testTarget(
            name: "TextClfMetricsTests",
            dependencies: ["TextClfMetrics", "TextClfReport", "TextClfTestSupport"]),
        .testTarget(
            name: "TextClfFeaturesTests",
            dependencies: ["TextClfFeatures", "TextClfTestSupport"]),
        .testTarget(
            name: "textclfTests",
            dependencies: ["TextClf", "TextClfTestSupport", "textclf"]),
    ]
)
