// C shim over libsentencepiece. See include/CSentencePiece.h for the contract: no exception crosses
// the C boundary, every argument is checked before the library sees it.
#include "CSentencePiece.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

// Exported by libsentencepiece (sentencepiece::logging in common.h, which Debian does not install).
namespace sentencepiece {
namespace logging {
int GetMinLogLevel();
void SetMinLogLevel(int level);
}  // namespace logging
}  // namespace sentencepiece

struct csp_processor {
    sentencepiece::SentencePieceProcessor processor;
    int32_t piece_count = 0;
};

namespace {

void write_error(char *error, size_t capacity, const std::string &message) noexcept {
    if (error == nullptr || capacity == 0) return;
    const size_t n = message.size() < capacity - 1 ? message.size() : capacity - 1;
    std::memcpy(error, message.data(), n);
    error[n] = '\0';
}

csp_status from_status(const sentencepiece::util::Status &status, char *error, size_t capacity) {
    if (status.ok()) return CSP_OK;
    write_error(error, capacity, status.ToString());
    const int code = static_cast<int>(status.code());
    return (code >= 1 && code <= 16) ? static_cast<csp_status>(code) : CSP_UNKNOWN;
}

/// Runs `body`, turning any C++ exception into an error code and message.
template <typename Body>
csp_status guarded(char *error, size_t capacity, Body body) noexcept {
    try {
        return body();
    } catch (const std::bad_alloc &) {
        write_error(error, capacity, "out of memory");
        return CSP_OUT_OF_MEMORY;
    } catch (const std::exception &e) {
        try {
            write_error(error, capacity, std::string("C++ exception: ") + e.what());
        } catch (...) {
        }
        return CSP_EXCEPTION;
    } catch (...) {
        write_error(error, capacity, "unknown C++ exception");
        return CSP_EXCEPTION;
    }
}

/// malloc'd copy of `size` bytes plus a NUL; nullptr on failure.
char *copy_bytes(const char *data, size_t size) noexcept {
    char *out = static_cast<char *>(std::malloc(size + 1));
    if (out == nullptr) return nullptr;
    if (size > 0) std::memcpy(out, data, size);
    out[size] = '\0';
    return out;
}

/// Feeds an in-memory corpus to the trainer.
class ArraySentenceIterator : public sentencepiece::SentenceIterator {
public:
    ArraySentenceIterator(const char *const *sentences, const size_t *lengths, size_t count)
        : sentences_(sentences), lengths_(lengths), count_(count) {
        Load();
    }
    bool done() const override { return index_ >= count_; }
    void Next() override {
        ++index_;
        Load();
    }
    const std::string &value() const override { return value_; }
    sentencepiece::util::Status status() const override { return sentencepiece::util::Status(); }

private:
    void Load() {
        if (index_ < count_) value_.assign(sentences_[index_], lengths_[index_]);
    }
    const char *const *sentences_;
    const size_t *lengths_;
    size_t count_;
    size_t index_ = 0;
    std::string value_;
};

std::mutex &training_mutex() {
    static std::mutex mutex;
    return mutex;
}

/// Restores the library's global log level when a training call ends.
struct LogLevelGuard {
    explicit LogLevelGuard(bool quiet) : saved(sentencepiece::logging::GetMinLogLevel()), active(quiet) {
        if (active && saved < 2) sentencepiece::logging::SetMinLogLevel(2);  // drop INFO and WARNING
    }
    ~LogLevelGuard() {
        if (active) sentencepiece::logging::SetMinLogLevel(saved);
    }
    int saved;
    bool active;
};

}  // namespace

extern "C" {

const char *csp_library_description(void) { return "libsentencepiece (C++ API, Debian 0.1.97)"; }

void csp_free_buffer(void *buffer) { std::free(buffer); }

csp_status csp_processor_load(const void *data, size_t length, csp_processor **out, char *error,
                              size_t error_capacity) {
    if (out == nullptr) {
        write_error(error, error_capacity, "null output pointer");
        return CSP_INVALID_ARGUMENT;
    }
    *out = nullptr;
    if (data == nullptr && length > 0) {
        write_error(error, error_capacity, "null data");
        return CSP_INVALID_ARGUMENT;
    }
    if (length == 0) {
        write_error(error, error_capacity, "empty input: a model has at least one piece");
        return CSP_INVALID_ARGUMENT;
    }
    return guarded(error, error_capacity, [&]() -> csp_status {
        // Owned until handed out: an exception from the library must not leak it (found by fuzzing).
        std::unique_ptr<csp_processor> holder(new csp_processor());
        const auto status = holder->processor.LoadFromSerializedProto(
            std::string_view(static_cast<const char *>(data), length));
        csp_status code = from_status(status, error, error_capacity);
        if (code == CSP_OK) {
            code = from_status(holder->processor.status(), error, error_capacity);
        }
        if (code == CSP_OK) {
            holder->piece_count = holder->processor.GetPieceSize();
            if (holder->piece_count <= 0) {
                write_error(error, error_capacity, "the model has no pieces");
                code = CSP_INVALID_ARGUMENT;
            }
        }
        if (code != CSP_OK) return code;
        *out = holder.release();
        return CSP_OK;
    });
}

void csp_processor_free(csp_processor *processor) {
    try {
        delete processor;
    } catch (...) {
    }
}

int32_t csp_piece_count(const csp_processor *processor) {
    return processor == nullptr ? 0 : processor->piece_count;
}

#define CSP_SPECIAL_ID(name, method)                                  \
    int32_t name(const csp_processor *processor) {                    \
        if (processor == nullptr) return -1;                          \
        try {                                                         \
            const int id = processor->processor.method();             \
            return (id >= 0 && id < processor->piece_count) ? id : -1; \
        } catch (...) {                                               \
            return -1;                                                \
        }                                                             \
    }
CSP_SPECIAL_ID(csp_bos_id, bos_id)
CSP_SPECIAL_ID(csp_eos_id, eos_id)
CSP_SPECIAL_ID(csp_unk_id, unk_id)
CSP_SPECIAL_ID(csp_pad_id, pad_id)
#undef CSP_SPECIAL_ID

csp_status csp_piece(const csp_processor *processor, int32_t id, const char **piece, size_t *length,
                     csp_piece_kind *kind) {
    if (processor == nullptr || piece == nullptr || length == nullptr || kind == nullptr) {
        return CSP_INVALID_ARGUMENT;
    }
    if (id < 0 || id >= processor->piece_count) return CSP_ID_OUT_OF_RANGE;
    return guarded(nullptr, 0, [&]() -> csp_status {
        const auto &p = processor->processor;
        const std::string &text = p.IdToPiece(id);
        *piece = text.data();
        *length = text.size();
        if (p.IsByte(id)) {
            *kind = CSP_PIECE_BYTE;
        } else if (p.IsUnknown(id)) {
            *kind = CSP_PIECE_UNKNOWN;
        } else if (p.IsControl(id)) {
            *kind = CSP_PIECE_CONTROL;
        } else if (p.IsUnused(id)) {
            *kind = CSP_PIECE_UNUSED;
        } else {
            *kind = CSP_PIECE_NORMAL;
        }
        return CSP_OK;
    });
}

csp_status csp_piece_score(const csp_processor *processor, int32_t id, float *score) {
    if (processor == nullptr || score == nullptr) return CSP_INVALID_ARGUMENT;
    if (id < 0 || id >= processor->piece_count) return CSP_ID_OUT_OF_RANGE;
    return guarded(nullptr, 0, [&]() -> csp_status {
        *score = processor->processor.GetScore(id);
        return CSP_OK;
    });
}

int32_t csp_piece_to_id(const csp_processor *processor, const char *piece, size_t length) {
    if (processor == nullptr || (piece == nullptr && length > 0)) return -1;
    try {
        return processor->processor.PieceToId(std::string_view(piece == nullptr ? "" : piece, length));
    } catch (...) {
        return -1;
    }
}

csp_status csp_encode(const csp_processor *processor, const char *text, size_t length, int add_bos,
                      int add_eos, int32_t **ids, size_t *count, char *error, size_t error_capacity) {
    if (processor == nullptr || ids == nullptr || count == nullptr || (text == nullptr && length > 0)) {
        write_error(error, error_capacity, "null argument");
        return CSP_INVALID_ARGUMENT;
    }
    *ids = nullptr;
    *count = 0;
    return guarded(error, error_capacity, [&]() -> csp_status {
        const auto &p = processor->processor;
        // BOS/EOS are added here rather than through SetEncodeExtraOptions, which mutates the
        // processor (not thread-safe) and indexes the vocabulary with -1 when a model has no BOS.
        const int bos = add_bos ? p.bos_id() : 0;
        const int eos = add_eos ? p.eos_id() : 0;
        if ((add_bos && (bos < 0 || bos >= processor->piece_count)) ||
            (add_eos && (eos < 0 || eos >= processor->piece_count))) {
            write_error(error, error_capacity,
                        add_bos && (bos < 0 || bos >= processor->piece_count) ? "the model has no BOS piece"
                                                                              : "the model has no EOS piece");
            return CSP_NO_SUCH_TOKEN;
        }
        std::vector<int> result;
        if (length > 0) {
            const csp_status code = from_status(
                p.Encode(std::string_view(text, length), &result), error, error_capacity);
            if (code != CSP_OK) return code;
        }
        const size_t total = result.size() + (add_bos ? 1 : 0) + (add_eos ? 1 : 0);
        if (total == 0) return CSP_OK;
        int32_t *buffer = static_cast<int32_t *>(std::malloc(total * sizeof(int32_t)));
        if (buffer == nullptr) throw std::bad_alloc();
        size_t k = 0;
        if (add_bos) buffer[k++] = bos;
        for (const int id : result) buffer[k++] = id;
        if (add_eos) buffer[k++] = eos;
        *ids = buffer;
        *count = total;
        return CSP_OK;
    });
}

csp_status csp_decode(const csp_processor *processor, const int32_t *ids, size_t count, char **text,
                      size_t *length, size_t *bad_index, char *error, size_t error_capacity) {
    if (processor == nullptr || text == nullptr || length == nullptr || (ids == nullptr && count > 0)) {
        write_error(error, error_capacity, "null argument");
        return CSP_INVALID_ARGUMENT;
    }
    *text = nullptr;
    *length = 0;
    // The library indexes its piece table without a bounds check: reject bad ids first.
    for (size_t i = 0; i < count; ++i) {
        if (ids[i] < 0 || ids[i] >= processor->piece_count) {
            if (bad_index != nullptr) *bad_index = i;
            write_error(error, error_capacity,
                        "id " + std::to_string(ids[i]) + " at index " + std::to_string(i) +
                            " is outside the vocabulary of " + std::to_string(processor->piece_count));
            return CSP_ID_OUT_OF_RANGE;
        }
    }
    return guarded(error, error_capacity, [&]() -> csp_status {
        std::string decoded;
        if (count > 0) {
            const std::vector<int> input(ids, ids + count);
            const csp_status code = from_status(processor->processor.Decode(input, &decoded), error,
                                                error_capacity);
            if (code != CSP_OK) return code;
        }
        char *buffer = copy_bytes(decoded.data(), decoded.size());
        if (buffer == nullptr) throw std::bad_alloc();
        *text = buffer;
        *length = decoded.size();
        return CSP_OK;
    });
}

csp_status csp_serialized_model(const csp_processor *processor, char **data, size_t *length,
                                char *error, size_t error_capacity) {
    if (processor == nullptr || data == nullptr || length == nullptr) {
        write_error(error, error_capacity, "null argument");
        return CSP_INVALID_ARGUMENT;
    }
    *data = nullptr;
    *length = 0;
    return guarded(error, error_capacity, [&]() -> csp_status {
        const std::string bytes = processor->processor.serialized_model_proto();
        char *buffer = copy_bytes(bytes.data(), bytes.size());
        if (buffer == nullptr) throw std::bad_alloc();
        *data = buffer;
        *length = bytes.size();
        return CSP_OK;
    });
}

csp_status csp_train(const char *const *keys, const char *const *values, size_t option_count,
                     const char *const *sentences, const size_t *sentence_lengths,
                     size_t sentence_count, int quiet, char **model, size_t *model_length,
                     char *error, size_t error_capacity) {
    if (model == nullptr || model_length == nullptr || (option_count > 0 && (keys == nullptr || values == nullptr)) ||
        (sentence_count > 0 && (sentences == nullptr || sentence_lengths == nullptr))) {
        write_error(error, error_capacity, "null argument");
        return CSP_INVALID_ARGUMENT;
    }
    *model = nullptr;
    *model_length = 0;
    return guarded(error, error_capacity, [&]() -> csp_status {
        std::unordered_map<std::string, std::string> kwargs;
        for (size_t i = 0; i < option_count; ++i) {
            if (keys[i] == nullptr || values[i] == nullptr) {
                write_error(error, error_capacity, "null option");
                return CSP_INVALID_ARGUMENT;
            }
            kwargs[keys[i]] = values[i];
        }
        for (size_t i = 0; i < sentence_count; ++i) {
            if (sentences[i] == nullptr && sentence_lengths[i] > 0) {
                write_error(error, error_capacity, "null sentence");
                return CSP_INVALID_ARGUMENT;
            }
        }
        std::lock_guard<std::mutex> lock(training_mutex());
        LogLevelGuard log_level(quiet != 0);
        std::string serialized;
        csp_status code;
        if (sentence_count > 0) {
            ArraySentenceIterator iterator(sentences, sentence_lengths, sentence_count);
            code = from_status(sentencepiece::SentencePieceTrainer::Train(kwargs, &iterator, &serialized),
                               error, error_capacity);
        } else {
            code = from_status(sentencepiece::SentencePieceTrainer::Train(kwargs, nullptr, &serialized),
                               error, error_capacity);
        }
        if (code != CSP_OK) return code;
        char *buffer = copy_bytes(serialized.data(), serialized.size());
        if (buffer == nullptr) throw std::bad_alloc();
        *model = buffer;
        *model_length = serialized.size();
        return CSP_OK;
    });
}

}  // extern "C"
