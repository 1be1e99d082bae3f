// A C interface over libsentencepiece's C++ API (Debian's libsentencepiece-dev, 0.1.97).
//
// Rules every function follows:
//  - No C++ exception ever leaves a function: each body catches `std::exception` and `...` and
//    returns an error code instead.
//  - Arguments are validated before the library sees them (null pointers, ids outside the
//    vocabulary, missing special tokens), so bad input yields an error code and never reaches one of
//    the library's CHECKs that would end the process.
//  - Functions that can fail return a `csp_status` and, when `error` is not NULL, write a
//    NUL-terminated message (truncated to `error_capacity` bytes) into it.
//  - Buffers returned through `char **` / `int32_t **` come from malloc and are released with
//    `csp_free_buffer`.
//
// A loaded processor is immutable; every function taking a `const csp_processor *` may be called
// from several threads at once.
#ifndef CSENTENCEPIECE_H
#define CSENTENCEPIECE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Result codes. 1...16 are the library's own `util::StatusCode` values.
typedef enum csp_status {
    CSP_OK = 0,
    CSP_CANCELLED = 1,
    CSP_UNKNOWN = 2,
    CSP_INVALID_ARGUMENT = 3,
    CSP_DEADLINE_EXCEEDED = 4,
    CSP_NOT_FOUND = 5,
    CSP_ALREADY_EXISTS = 6,
    CSP_PERMISSION_DENIED = 7,
    CSP_RESOURCE_EXHAUSTED = 8,
    CSP_FAILED_PRECONDITION = 9,
    CSP_ABORTED = 10,
    CSP_OUT_OF_RANGE = 11,
    CSP_UNIMPLEMENTED = 12,
    CSP_INTERNAL = 13,
    CSP_UNAVAILABLE = 14,
    CSP_DATA_LOSS = 15,
    CSP_UNAUTHENTICATED = 16,
    /// std::bad_alloc was caught.
    CSP_OUT_OF_MEMORY = 100,
    /// Another C++ exception was caught (its `what()` is in the message).
    CSP_EXCEPTION = 101,
    /// An id outside `0..<vocabulary size` was passed (its index is reported).
    CSP_ID_OUT_OF_RANGE = 102,
    /// BOS or EOS was requested but the model defines none.
    CSP_NO_SUCH_TOKEN = 103,
} csp_status;

/// Kinds of vocabulary entries (`csp_piece_kind`).
typedef enum csp_piece_kind {
    CSP_PIECE_NORMAL = 0,   ///< a normal or user-defined piece
    CSP_PIECE_UNKNOWN = 1,  ///< `<unk>`
    CSP_PIECE_CONTROL = 2,  ///< `<s>`, `</s>`, ...: decodes to nothing
    CSP_PIECE_UNUSED = 3,
    CSP_PIECE_BYTE = 4,     ///< `<0xAB>` byte-fallback pieces
} csp_piece_kind;

typedef struct csp_processor csp_processor;

/// The library version the shim was written against ("0.1.97" style string, static storage).
const char *csp_library_description(void);

/// Releases a buffer returned by this interface (NULL is allowed).
void csp_free_buffer(void *buffer);

/// Parses a serialized `ModelProto` (the bytes of a `tokenizer.model` file).
csp_status csp_processor_load(const void *data, size_t length, csp_processor **out,
                              char *error, size_t error_capacity);

/// Destroys a processor (NULL is allowed).
void csp_processor_free(csp_processor *processor);

/// Number of pieces (the vocabulary size).
int32_t csp_piece_count(const csp_processor *processor);

/// Special ids, -1 where the model defines none.
int32_t csp_bos_id(const csp_processor *processor);
int32_t csp_eos_id(const csp_processor *processor);
int32_t csp_unk_id(const csp_processor *processor);
int32_t csp_pad_id(const csp_processor *processor);

/// The piece string of `id` (not NUL-terminated, valid as long as the processor lives) and its
/// kind. Returns CSP_ID_OUT_OF_RANGE for ids outside the vocabulary.
csp_status csp_piece(const csp_processor *processor, int32_t id, const char **piece,
                     size_t *length, csp_piece_kind *kind);

/// The score of `id` (the merge priority of a BPE piece, the log probability of a unigram one).
/// Returns CSP_ID_OUT_OF_RANGE for ids outside the vocabulary.
csp_status csp_piece_score(const csp_processor *processor, int32_t id, float *score);

/// The id of a piece string, or the unknown id when it is not in the vocabulary.
int32_t csp_piece_to_id(const csp_processor *processor, const char *piece, size_t length);

/// Encodes UTF-8 text to ids; `add_bos` / `add_eos` put the model's BOS / EOS around them
/// (CSP_NO_SUCH_TOKEN when the model has none). On success `*ids` holds `*count` ids (malloc'd,
/// NULL when `*count` is 0).
csp_status csp_encode(const csp_processor *processor, const char *text, size_t length,
                      int add_bos, int add_eos, int32_t **ids, size_t *count,
                      char *error, size_t error_capacity);

/// Decodes ids to UTF-8 text (malloc'd, `*length` bytes, NUL-terminated). An id outside the
/// vocabulary yields CSP_ID_OUT_OF_RANGE with its position in `*bad_index`.
csp_status csp_decode(const csp_processor *processor, const int32_t *ids, size_t count,
                      char **text, size_t *length, size_t *bad_index,
                      char *error, size_t error_capacity);

/// The serialized model (malloc'd bytes).
csp_status csp_serialized_model(const csp_processor *processor, char **data, size_t *length,
                                char *error, size_t error_capacity);

/// Trains a model with `SentencePieceTrainer::Train(kwargs, iterator, &model)`.
/// `keys`/`values`: `option_count` trainer flags as `spm_train` spells them (without `--`), e.g.
/// "model_type" = "bpe". When `sentence_count` > 0 the sentences (UTF-8, with lengths) are the
/// corpus; otherwise the "input" option must name files. The model comes back as malloc'd bytes.
/// Training runs one at a time (a process-wide lock): the trainer keeps global state.
/// `quiet` silences the trainer's progress log for the duration of the call.
csp_status csp_train(const char *const *keys, const char *const *values, size_t option_count,
                     const char *const *sentences, const size_t *sentence_lengths,
                     size_t sentence_count, int quiet, char **model, size_t *model_length,
                     char *error, size_t error_capacity);

#ifdef __cplusplus
}
#endif

#endif
