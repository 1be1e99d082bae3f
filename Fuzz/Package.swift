// swift-tools-version: 6.0
// Coverage-guided fuzzing of every parser with libFuzzer; built and run by `make fuzz` (see
// Docs/Reliability.md), never by `make test`. Each executable is one libFuzzer target: it has no
// `main` of its own (libFuzzer's is linked in by `--sanitize fuzzer`) and defines
// `LLVMFuzzerTestOneInput`.
import PackageDescription

let package = Package(
    name: "minicpm-fuzz",
    dependencies: [.package(name: "minicpm-swift", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(name: "FuzzSafetensors", dependencies: [
            "FuzzSupport", .product(name: "TensorCore", package: "minicpm-swift"),
        ]),
        .executableTarget(name: "FuzzGGUF", dependencies: [
            "FuzzSupport", .product(name: "TensorCore", package: "minicpm-swift"),
        ]),
        .executableTarget(name: "FuzzConfig", dependencies: [
            .product(name: "MiniCPMModel", package: "minicpm-swift"),
        ]),
        .executableTarget(name: "FuzzSentencePiece", dependencies: [
            .product(name: "Tokenizer", package: "minicpm-swift"),
        ]),
        .executableTarget(name: "FuzzGGUFTokenizer", dependencies: [
            "FuzzSupport", .product(name: "TensorCore", package: "minicpm-swift"),
            .product(name: "MiniCPMModel", package: "minicpm-swift"),
            .product(name: "Tokenizer", package: "minicpm-swift"),
        ]),
    ]
)
