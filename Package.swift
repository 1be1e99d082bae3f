// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "minicpm-swift",
    products: [
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "MiniCPMModel", targets: ["MiniCPMModel"]),
        .library(name: "Tokenizer", targets: ["Tokenizer"]),
        .library(name: "Charts", targets: ["Charts"]),
        .library(name: "Schedulers", targets: ["Schedulers"]),
        .library(name: "Optimizers", targets: ["Optimizers"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Quantization", targets: ["Quantization"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Debian's OpenBLAS (libopenblas-dev): cblas_sgemm / cblas_sgemv and thread control.
        .systemLibrary(
            name: "CBLAS",
            path: "Sources/CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // Half → float widening for the half-precision KV cache: F16C by __attribute__((target)) chosen
        // at run time, with a portable loop, so no unsafe flags are needed (TensorCore sits below
        // CQuantKernels and cannot import it).
        .target(
            name: "CHalfKernels",
            path: "Sources/CHalfKernels"
        ),
        .target(
            name: "TensorCore",
            dependencies: ["CBLAS", "CHalfKernels"]
        ),
        .target(
            name: "MiniCPMModel",
            // Tokenizer: a GGUF file carries its tokenizer and chat template, and a chat session
            // needs both (ARCHITECTURE.md puts Tokenizer beside TensorCore, below this target).
            dependencies: ["TensorCore", "Tokenizer"]
        ),
        // A C shim over libsentencepiece's C++ API (Debian's libsentencepiece-dev).
        .target(
            name: "CSentencePiece",
            path: "Sources/CSentencePiece",
            linkerSettings: [.linkedLibrary("sentencepiece"), .linkedLibrary("stdc++")]
        ),
        .target(
            name: "Tokenizer",
            dependencies: ["CSentencePiece", "AtomicWrite"]
        ),
        // SVG line charts and CSV export; imports nothing of ours but AtomicWrite, so every layer above can draw figures.
        // Whole-file atomic writes that replace only regular files, for the targets that import
        // nothing of TensorCore (Charts, Tokenizer); TensorCore's streaming AtomicFileWriter follows
        // the same rule.
        .target(
            name: "AtomicWrite"
        ),
        .target(
            name: "Charts",
            dependencies: ["AtomicWrite"]
        ),
        .target(
            name: "Schedulers",
            dependencies: ["Charts"]
        ),
        .target(
            name: "Optimizers",
            dependencies: ["TensorCore", "Schedulers"]
        ),
        // The training loop, its data, checkpoints and the paper's recipe (WSD runs, decay
        // branches, two-stage pre-training, SFT, DPO).
        .target(
            name: "Training",
            dependencies: ["MiniCPMModel", "Tokenizer", "TensorCore", "Schedulers", "Optimizers", "Charts", "AtomicWrite"]
        ),
        // Kernels on quantised weights in C: AVX2/FMA through __attribute__((target)) chosen at run
        // time by __builtin_cpu_supports, with portable fallbacks, so no unsafe flags are needed.
        .target(
            name: "CQuantKernels",
            dependencies: ["CHalfKernels"],
            path: "Sources/CQuantKernels"
        ),
        // Int4/int8 group quantisation, GPTQ, weights that stay quantised (packed int4 and GGUF
        // blocks) substituted into MiniCPM through its LinearLayer seam.
        .target(
            name: "Quantization",
            dependencies: ["TensorCore", "MiniCPMModel", "CQuantKernels", "CBLAS"]
        ),
        // zlib from Debian (zlib1g-dev), for gzip-compressed datasets.
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib"
        ),
        .target(
            name: "Evaluation",
            dependencies: ["TensorCore", "Tokenizer", "MiniCPMModel", "CZlib"]
        ),
        // What several test targets share: the `minicpm` runner, the seeded generator of the
        // scheduler fits and the documentation's example data, the SmolLM2 vocabulary file.
        .target(
            name: "TestSupport",
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "TokenizerTests",
            dependencies: ["Tokenizer", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "AtomicWriteTests",
            dependencies: ["AtomicWrite"]
        ),
        .testTarget(
            name: "ChartsTests",
            dependencies: ["Charts", "AtomicWrite"]
        ),
        .testTarget(
            name: "SchedulersTests",
            dependencies: ["Schedulers", "Charts", "TestSupport"]
        ),
        .testTarget(
            name: "OptimizersTests",
            dependencies: ["Optimizers", "MiniCPMModel", "Schedulers", "TensorCore"],
            exclude: ["Reference"]
        ),
        .testTarget(
            name: "TrainingTests",
            dependencies: ["Training", "MiniCPMModel", "Tokenizer", "TensorCore", "Schedulers", "Optimizers", "TestSupport"],
            exclude: ["Reference"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "EvaluationTests",
            dependencies: ["Evaluation", "MiniCPMModel", "TensorCore", "Tokenizer", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "QuantizationTests",
            dependencies: ["Quantization", "CQuantKernels", "MiniCPMModel", "TensorCore", "TestSupport", "Tokenizer"],
            exclude: ["Reference"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "MiniCPMModelTests",
            dependencies: ["MiniCPMModel", "Tokenizer", "TensorCore", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        // Every Swift snippet of README.md, Docs/ and the DocC catalogues, compiled and run.
        .testTarget(
            name: "DocumentationTests",
            dependencies: ["TensorCore", "MiniCPMModel", "Tokenizer", "Charts", "Schedulers", "Optimizers", "Training", "Quantization", "Evaluation", "TestSupport"],
            exclude: ["Snippets/README.md"]
        ),
        .testTarget(
            name: "TensorCoreTests",
            dependencies: ["TensorCore", "CHalfKernels"],
            resources: [.copy("Fixtures")]
        ),
        .executableTarget(
            name: "TensorCoreDemo",
            dependencies: ["TensorCore"],
            path: "Examples/TensorCoreDemo"
        ),
        .executableTarget(
            name: "minicpm",
            dependencies: ["MiniCPMModel", "Tokenizer", "TensorCore", "Schedulers", "Charts", "Optimizers", "Training", "Quantization", "Evaluation",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/minicpm"
        ),
        // The paper's WSD findings at wind-tunnel scale (Docs/Experiments.md).
        .executableTarget(
            name: "WSDExperiment",
            dependencies: ["Training", "TensorCore", "Charts",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/WSDExperiment"
        ),
        // Timing, Markdown tables, JSON reports and machine description for the benchmark executables.
        .target(
            name: "BenchmarkSupport",
            path: "Benchmarks/BenchmarkSupport"
        ),
        .executableTarget(
            name: "MiniCPMBenchmarks",
            dependencies: ["MiniCPMModel", "TensorCore", "CBLAS", "BenchmarkSupport"],
            path: "Benchmarks/MiniCPMBenchmarks"
        ),
        // Multiple-choice scoring throughput against plain prefill (issue 15).
        .executableTarget(
            name: "EvaluationBenchmarks",
            dependencies: ["Evaluation", "MiniCPMModel", "Quantization", "TensorCore", "CBLAS", "BenchmarkSupport"],
            path: "Benchmarks/EvaluationBenchmarks"
        ),
        // Training step tokens/s and peak memory against PyTorch eager (Benchmarks/pytorch/train_step.py).
        .executableTarget(
            name: "TrainingBenchmarks",
            dependencies: ["MiniCPMModel", "TensorCore", "Optimizers", "CBLAS", "BenchmarkSupport"],
            path: "Benchmarks/TrainingBenchmarks"
        ),
        // Held-out perplexity of float, round-to-nearest and GPTQ int4 models, with weight bytes and
        // quantisation time (Docs/QuantizationQuality.md).
        .executableTarget(
            name: "QuantizationBenchmarks",
            dependencies: ["Quantization", "MiniCPMModel", "Training", "Tokenizer", "TensorCore", "CBLAS", "BenchmarkSupport"],
            path: "Benchmarks/QuantizationBenchmarks"
        ),
        .executableTarget(
            name: "TokenizerBenchmarks",
            dependencies: ["Tokenizer", "BenchmarkSupport"],
            path: "Benchmarks/TokenizerBenchmarks"
        ),
        // Long-context prefill time and peak memory, decoding at long contexts (issue 14).
        .executableTarget(
            name: "LongContextBenchmarks",
            dependencies: ["MiniCPMModel", "TensorCore", "Tokenizer", "CBLAS", "BenchmarkSupport"],
            path: "Benchmarks/LongContextBenchmarks"
        ),
        // MoE (8 experts, top-2) decode and prefill tokens/s beside a dense model of the same active
        // parameters (Docs/Performance.md, issue 14).
        .executableTarget(
            name: "MoEBenchmarks",
            dependencies: ["MiniCPMModel", "TensorCore", "CBLAS", "BenchmarkSupport"],
            path: "Benchmarks/MoEBenchmarks"
        ),
        .executableTarget(
            name: "TensorCoreBenchmarks",
            dependencies: ["TensorCore", "CBLAS", "BenchmarkSupport"],
            path: "Benchmarks/TensorCoreBenchmarks"
        ),
    ]
)
