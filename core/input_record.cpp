#include "core/input_record.h"

#include <algorithm>
#include <filesystem>

#include "core/sha256.h"

namespace acceltran {

std::string InputRecord::absolute(const std::string& path) {
    std::error_code ec;
    const std::filesystem::path p = std::filesystem::absolute(path, ec);
    return (ec ? std::filesystem::path(path) : p).lexically_normal().string();
}

void InputRecord::note_bytes(const std::string& path, const std::string& kind, const std::string& bytes) {
    add({kind, absolute(path), sha256_hex(bytes)});
}

void InputRecord::note_file(const std::string& path, const std::string& kind) {
    add({kind, absolute(path), sha256_file_hex(path)});
}

std::vector<RecordedInput> InputRecord::files() {
    std::lock_guard<std::mutex> lock(mutex());
    return entries();
}

void InputRecord::clear() {
    std::lock_guard<std::mutex> lock(mutex());
    entries().clear();
}

void InputRecord::add(RecordedInput input) {
    std::lock_guard<std::mutex> lock(mutex());
    auto& all = entries();
    const bool known = std::any_of(all.begin(), all.end(), [&](const RecordedInput& r) { return r.path == input.path; });
    if (!known) all.push_back(std::move(input));
}

std::mutex& InputRecord::mutex() {
    static std::mutex m;
    return m;
}

std::vector<RecordedInput>& InputRecord::entries() {
    static std::vector<RecordedInput> e;
    return e;
}

}  // namespace acceltran
