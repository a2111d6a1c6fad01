// Reading and writing the safetensors format (Hugging Face): an 8-byte little-endian header
// length N, N bytes of JSON header {name: {"dtype", "shape", "data_offsets": [begin, end]},
// optional "__metadata__": {string: string}}, then the data section the offsets index.
//
// The file is untrusted input. The header is checked whole when the file is opened, before any
// tensor data is read: every way it can be wrong gets an InputError naming the file, the tensor
// and what was expected (docs/robustness.md lists them). Tensor data is read on demand, one
// tensor at a time through a bounded buffer, and converted to double.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace acceltran::functional {

enum class SafetensorsDtype : std::uint8_t { F64, F32, F16, BF16 };

const char* to_string(SafetensorsDtype dtype);  // "F64", "F32", "F16", "BF16"
std::size_t dtype_bytes(SafetensorsDtype dtype);

struct SafetensorsEntry {
    std::string name;
    SafetensorsDtype dtype = SafetensorsDtype::F32;
    std::vector<std::int64_t> shape;  // empty for a scalar
    std::int64_t elements = 1;        // product of shape
    std::uint64_t begin = 0, end = 0; // data_offsets, relative to the data section
};

// A tensor to write: `values` row-major, as many as the product of `shape`.
struct SafetensorsTensor {
    std::string name;
    std::vector<std::int64_t> shape;
    std::vector<double> values;
};

class SafetensorsFile {
public:
    // A header larger than this is not a tensor index (BERT-Base's is 17 KB; the reference
    // implementation refuses 100 MB too).
    static constexpr std::uint64_t kMaxHeaderBytes = std::uint64_t(100) << 20;
    // Elements of one tensor: 2^32 (16 GiB as F32, 32 GiB once converted to double) is 8x
    // Llama-3-8B's embedding table. It keeps element and byte counts far from overflow; the
    // data must be in the file anyway.
    static constexpr std::int64_t kMaxTensorElements = std::int64_t(1) << 32;
    // JSON nesting: a valid header needs 3 levels (object, tensor, shape list).
    static constexpr std::size_t kMaxHeaderDepth = 16;

    // Opens `path` and checks its header; data is read by read().
    explicit SafetensorsFile(const std::string& path);
    // The same over bytes already in memory (tests, the fuzz target); `origin` names them in
    // messages.
    static SafetensorsFile from_bytes(std::string bytes, const std::string& origin);

    const std::string& origin() const { return origin_; }
    // Tensors in the order of their data offsets.
    const std::vector<SafetensorsEntry>& tensors() const { return entries_; }
    const std::map<std::string, std::string>& metadata() const { return metadata_; }
    // The tensor of that name, or nullptr.
    const SafetensorsEntry* find(const std::string& name) const;
    // Its values converted to double, row-major. InputError if there is no such tensor, or the
    // file changed under us (shorter than its header says).
    std::vector<double> read(const std::string& name) const;
    std::vector<double> read(const SafetensorsEntry& entry) const;

private:
    SafetensorsFile() = default;
    void parse_header(const std::string& header, std::uint64_t data_bytes);

    std::string origin_;
    bool in_memory_ = false;
    std::string bytes_;                // the whole file when in memory
    std::uint64_t data_start_ = 0;     // 8 + header length
    std::vector<SafetensorsEntry> entries_;
    std::map<std::string, std::size_t> index_;
    std::map<std::string, std::string> metadata_;
};

// Writes `tensors` as F32 (values rounded to float), data in the order given, the header padded
// with spaces to a multiple of 8 bytes as the reference implementation does. InputError when a
// tensor's value count does not match its shape, a name repeats or is "__metadata__", or the
// file cannot be written.
void write_safetensors(const std::string& path, const std::vector<SafetensorsTensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// IEEE half and bfloat16 bit patterns to double (exact: every such value is a double).
double half_to_double(std::uint16_t bits);
double bfloat16_to_double(std::uint16_t bits);

}  // namespace acceltran::functional
