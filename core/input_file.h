// Reading files that users name on the command line or inside other files. Such a path may be a
// directory, a device that never ends (/dev/zero), a FIFO that blocks, or a file of gigabytes;
// the loaders (accelerator, model, technology) must refuse each with a message before reading,
// never hang, crash or exhaust memory. These helpers are the one place that knows how.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace acceltran {

// Configuration and model files are a few kilobytes; a model dict for 1024 layers is well under
// a megabyte. Anything larger is not one of ours, and parsing it would only waste memory.
constexpr std::uintmax_t kMaxInputFileBytes = 16u << 20;

// The whole text of `path`. InputError when it is missing, not a regular file (a directory,
// device, FIFO or socket) or larger than kMaxInputFileBytes; `kind` ("model", "accelerator")
// names what the file should have been.
std::string read_input_file(const std::string& path, const std::string& kind);

// `path` if it names a regular file, nothing if nothing exists there; InputError for a directory
// or a special file, so that callers never fall through to "unknown name" for those.
std::optional<std::string> existing_input_file(const std::string& path, const std::string& kind);

// True when `name_or_path` cannot be a shipped name (it has a directory part or a file
// extension), so that a missing file is reported as such and not as a misspelt name.
bool looks_like_path(const std::string& name_or_path);

// Stems of the regular `*.yaml` files in `dir`, sorted: the shipped names of one kind.
std::vector<std::string> yaml_stems(const std::string& dir);

// How one kind of input is named in messages, e.g. {"accelerator", "an accelerator YAML",
// "shipped", "or give the path of a YAML file"}.
struct InputKind {
    std::string noun;           // "unknown <noun> 'x'", "no such <noun> file"
    std::string file_kind;      // "expected <file_kind> file, found a directory"
    std::string shipped_label;  // "<shipped_label>: a, b"
    std::string alternative;    // what else the user may give, ending the unknown-name message
};

// The file `name_or_path` stands for: `<shipped_dir>/<name>.yaml` when it is a shipped name (a
// stem of yaml_stems(shipped_dir)), else the path of an existing regular file. Otherwise an
// InputError: a directory or special file, a missing file when it looks like a path, or else an
// unknown name with a did-you-mean suggestion and the list of shipped names.
std::string resolve_input(const std::string& name_or_path, const std::string& shipped_dir, const InputKind& kind);

// `text` made safe to quote in a one-line message: control bytes and bytes that are not UTF-8
// become \xNN, and anything past `max_bytes` is cut with an ellipsis and the full length.
std::string printable_excerpt(const std::string& text, std::size_t max_bytes = 60);

}  // namespace acceltran
