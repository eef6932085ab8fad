// swift-tools-version: 6.0
import PackageDescription

// How the release binary is linked (Linux). Every process start pays for what the dynamic loader
// does, and a warm `textclf train` takes tens of milliseconds in all, so:
// - lld, without position independence: no 90,000 relative relocations to apply at start;
// - libstdc++ and libgcc linked in (scripts/static-link holds a `libstdc++.so` that names the
//   static archive, found before the shared one when `--static-swift-stdlib` links `-lstdc++`);
// - sqlite3, utf8proc, zlib and OpenBLAS linked in by the targets that use them (below).
// Only glibc (libc, libm) is loaded at run time. The settings here are release-only: debug builds
// and tests keep the default linker, position independence and the shared libstdc++.
let releaseLinking: [LinkerSetting] = [
    .unsafeFlags(
        [
            "-use-ld=lld", "-Xlinker", "-no-pie",
            "-L\(Context.packageDirectory)/scripts/static-link",
            "-Xclang-linker", "-static-libgcc",
        ],
        .when(platforms: [.linux], configuration: .release)),
]

let package = Package(
    name: "textclf",
    products: [
        .library(name: "TextClf", targets: ["TextClf"]),
        .library(name: "TextClfText", targets: ["TextClfText"]),
        .library(name: "TextClfData", targets: ["TextClfData"]),
        .library(name: "TextClfDataset", targets: ["TextClfDataset"]),
        .library(name: "TextClfTensor", targets: ["TextClfTensor"]),
        .library(name: "TextClfIO", targets: ["TextClfIO"]),
        .library(name: "TextClfSQLite", targets: ["TextClfSQLite"]),
        .library(name: "TextClfFeatures", targets: ["TextClfFeatures"]),
        .library(name: "TextClfNN", targets: ["TextClfNN"]),
        .library(name: "TextClfMetrics", targets: ["TextClfMetrics"]),
        .library(name: "TextClfTraining", targets: ["TextClfTraining"]),
        .library(name: "TextClfRunLog", targets: ["TextClfRunLog"]),
        .library(name: "TextClfReport", targets: ["TextClfReport"]),
        .executable(name: "textclf", targets: ["textclf"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Pipeline files: YAML with line numbers for every node, so errors can name the line.
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // `textclf serve`: an HTTP/1.1 server on SwiftNIO with graceful shutdown on SIGTERM
        // (swift-service-lifecycle), so in-flight predictions finish before the process exits.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Hummingbird's own dependencies, named for the types the server code uses directly
        // (ByteBuffer and the body-size error; the logger it is given).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // System libraries from Debian, wrapped as modules and imported internally only. sqlite3,
        // utf8proc and zlib are linked statically (`-l:lib….a`) by the targets that import them.
        .systemLibrary(
            name: "CUtf8proc",
            providers: [.apt(["libutf8proc-dev"])]),
        // OpenBLAS's header comes from Debian's multiarch include path (`cblas.h`, pointing at the
        // selected OpenBLAS); the library is linked statically by TextClfTensor (see there).
        .systemLibrary(
            name: "COpenBLAS",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CSQLite",
            providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]),

        .target(
            name: "TextClfText",
            dependencies: ["CUtf8proc"],
            linkerSettings: [.linkedLibrary(":libutf8proc.a")]),
        // Corpus readers: labelled documents from delimited, JSON lines, ARFF, line and folder corpora.
        .target(
            name: "TextClfData",
            dependencies: ["TextClfText"]),
        // What training reads: Dataset, DataLoader, splits, LabelEncoder, Standardizer.
        .target(
            name: "TextClfDataset",
            dependencies: ["TextClfTensor"]),
        // Scores predictions from any source: depends on nothing but the standard library.
        .target(name: "TextClfMetrics"),
        // Text, JSON and HTML reports of scored predictions and training runs.
        .target(name: "TextClfReport", dependencies: ["TextClfMetrics"]),
        .target(
            name: "TextClfTraining",
            dependencies: [
                "TextClfNN", "TextClfDataset", "TextClfFeatures", "TextClfMetrics", "TextClfTensor", "TextClfIO", "CTextClfMPI",
            ]),
        // Open MPI, loaded at run time (dlopen of libmpi.so.40) for data-parallel training.
        .target(name: "CTextClfMPI", linkerSettings: [.linkedLibrary("dl")]),
        // The SQLite log of command runs; it records the Trainer's epochs and results.
        .target(name: "TextClfRunLog", dependencies: ["TextClfTraining", "TextClfSQLite"]),
        // Element-wise kernels in C: restrict pointers let the compiler vectorise them; the
        // sources themselves turn FMA contraction off, so no compiler flags are needed.
        .target(name: "CTextClfKernels"),
        // OpenBLAS linked statically (the pthread build, which Debian's alternatives select
        // for libopenblas.a by default): the shared library's 16,000 symbol relocations and its
        // Fortran runtime cost every process about 4 ms before main, more than many commands take.
        // The OpenCL API, loaded at run time (dlopen of the ICD loader): no SDK at build time,
        // and a binary that runs where OpenCL is absent.
        .target(name: "CTextClfOpenCL", linkerSettings: [.linkedLibrary("dl")]),
        // The CUDA driver and NVRTC, loaded at run time in the same way.
        .target(name: "CTextClfCUDA", linkerSettings: [.linkedLibrary("dl")]),
        .target(
            name: "TextClfTensor", dependencies: ["COpenBLAS", "CTextClfKernels", "CTextClfOpenCL", "CTextClfCUDA"],
            linkerSettings: [.linkedLibrary(":libopenblas.a")]),
        // File formats: NPY/NPZ (zlib for compressed members), svmlight, safetensors, atomic files.
        .target(
            name: "TextClfIO", dependencies: ["TextClfTensor", "CTextClfKernels", "CZlib"],
            linkerSettings: [.linkedLibrary(":libz.a")]),
        // A small wrapper of SQLite's C API, for the embedding cache and the run log.
        .target(
            name: "TextClfSQLite", dependencies: ["CSQLite"],
            linkerSettings: [.linkedLibrary(":libsqlite3.a")]),
        .target(
            name: "TextClfFeatures",
            dependencies: ["TextClfText", "TextClfTensor", "TextClfIO", "TextClfSQLite"]),
        .target(name: "TextClfNN", dependencies: ["TextClfTensor"]),
        .target(
            name: "TextClf",
            dependencies: [
                "TextClfText", "TextClfData", "TextClfDataset", "TextClfTensor", "TextClfIO", "TextClfSQLite",
                "TextClfFeatures", "TextClfNN", "TextClfMetrics", "TextClfTraining", "TextClfRunLog", "TextClfReport",
            ]),
        .executableTarget(
            name: "textclf",
            dependencies: [
                "TextClf",
                "COpenBLAS", "CSQLite", "CUtf8proc", "CTextClfKernels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            linkerSettings: releaseLinking),

        // In-process timings for Benchmarks/run-text.sh.
        .executableTarget(
            name: "textclf-bench",
            dependencies: ["TextClf"],
            path: "Benchmarks/TextClfBench",
            linkerSettings: releaseLinking),

        // Locates the shared corpora and committed fixtures for the test targets.
        .target(name: "TextClfTestSupport", path: "Sources/TextClfTestSupport"),

        .testTarget(
            name: "TextClfTextTests",
            dependencies: ["TextClfText", "TextClfTestSupport"]),
        .testTarget(
            name: "TextClfDataTests",
            dependencies: ["TextClfData", "TextClfTestSupport"]),
        .testTarget(
            name: "TextClfDatasetTests",
            dependencies: ["TextClfDataset", "TextClfTensor", "TextClfTestSupport"]),
        .testTarget(
            name: "TextClfTensorTests",
            dependencies: ["TextClfTensor"]),
        .testTarget(
            name: "TextClfIOTests",
            dependencies: ["TextClfIO", "TextClfTensor", "TextClfTestSupport"]),
        .testTarget(
            name: "TextClfNNTests",
            dependencies: ["TextClfNN", "TextClfTestSupport"]),
        .testTarget(
            name: "TextClfTrainingTests",
            dependencies: ["TextClfTraining", "TextClfIO", "TextClfTestSupport"]),
        .testTarget(
            name: "TextClfRunLogTests",
            dependencies: ["TextClfRunLog", "TextClfTraining", "TextClfSQLite", "TextClfDataset", "TextClfTensor"]),
        .testTarget(
            name: "TextClfMetricsTests",
            dependencies: ["TextClfMetrics", "TextClfReport", "TextClfTestSupport"]),
        .testTarget(
            name: "TextClfFeaturesTests",
            dependencies: ["TextClfFeatures", "TextClfIO", "TextClfSQLite", "TextClfTestSupport"]),
        .testTarget(
            name: "textclfTests",
            dependencies: ["TextClf", "TextClfTestSupport", "textclf"]),
    ]
)
