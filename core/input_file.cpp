#include "core/input_file.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "core/config_node.h"
#include "core/errors.h"
#include "core/input_record.h"

namespace acceltran {

namespace {

namespace fs = std::filesystem;

// What kind of non-regular file sits at a path, for "expected a model file, found a directory".
std::string special_file_text(fs::file_type type) {
    switch (type) {
        case fs::file_type::directory: return "a directory";
        case fs::file_type::character:
        case fs::file_type::block: return "a device";
        case fs::file_type::fifo: return "a FIFO";
        case fs::file_type::socket: return "a socket";
        default: return "something that is not a regular file";
    }
}

std::string mib_text(std::uintmax_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

// Length of the UTF-8 sequence starting at text[i], or 0 when the bytes there are not one
// (stray continuation byte, truncated sequence, overlong lead byte).
std::size_t utf8_length(const std::string& text, std::size_t i) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t n = lead >= 0xf0 && lead <= 0xf4 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 && lead < 0xe0 ? 2 : 0;
    if (n == 0 || i + n > text.size()) return 0;
    for (std::size_t k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return 0;
    return n;
}

}  // namespace

std::optional<std::string> existing_input_file(const std::string& path, const std::string& kind) {
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory)  // a loop of links, no permission, ...
        throw InputError(path + ": cannot open " + kind + " file: " + ec.message() +
                         (ec == std::errc::too_many_symbolic_link_levels ? " (the symbolic links form a loop)" : ""));
    if (ec || status.type() == fs::file_type::not_found) {
        std::error_code link_ec;
        if (fs::is_symlink(fs::symlink_status(path, link_ec)))
            throw InputError(path + ": a symbolic link to '" + fs::read_symlink(path, link_ec).string() +
                             "', which does not exist");
        return std::nullopt;
    }
    if (status.type() != fs::file_type::regular)
        throw InputError(path + ": expected " + kind + " file, found " + special_file_text(status.type()));
    return path;
}

std::string read_input_file(const std::string& path, const std::string& kind) {
    if (!existing_input_file(path, kind)) throw InputError(path + ": no such file");
    std::error_code ec;
    const std::uintmax_t size = fs::file_size(path, ec);
    if (!ec && size > kMaxInputFileBytes)
        throw InputError(path + ": expected " + kind + " file of at most " + mib_text(kMaxInputFileBytes) +
                         " (the limit for input files), found " + std::to_string(size) + " bytes");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path + ": cannot open file");
    // Read in chunks and stop one chunk past the limit, so that a file that grew after the size
    // check (or whose size the file system does not report) is refused rather than read without end.
    std::string text;
    char chunk[1 << 16];
    while (text.size() <= kMaxInputFileBytes && in.read(chunk, sizeof chunk).gcount() > 0)
        text.append(chunk, std::size_t(in.gcount()));
    if (in.bad()) throw InputError(path + ": read error");
    if (text.size() > kMaxInputFileBytes)
        throw InputError(path + ": expected " + kind + " file of at most " + mib_text(kMaxInputFileBytes) +
                         " (the limit for input files), found more");
    InputRecord::note_bytes(path, kind, text);
    return text;
}

bool looks_like_path(const std::string& name_or_path) {
    const fs::path p(name_or_path);
    return p.has_parent_path() || p.has_extension();
}

std::vector<std::string> yaml_stems(const std::string& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().extension() == ".yaml" && it->is_regular_file(ec))
            names.push_back(it->path().stem().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::string resolve_input(const std::string& name_or_path, const std::string& shipped_dir, const InputKind& kind) {
    const std::vector<std::string> shipped = yaml_stems(shipped_dir);
    if (std::find(shipped.begin(), shipped.end(), name_or_path) != shipped.end())
        return (fs::path(shipped_dir) / (name_or_path + ".yaml")).string();
    if (auto existing = existing_input_file(name_or_path, kind.file_kind)) return *existing;
    if (looks_like_path(name_or_path)) throw InputError(name_or_path + ": no such " + kind.noun + " file");
    const std::string hint = closest_match(name_or_path, shipped);
    std::string list;
    for (const auto& s : shipped) list += (list.empty() ? "" : ", ") + s;
    throw InputError("unknown " + kind.noun + " '" + printable_excerpt(name_or_path) + "'" +
                     (hint.empty() ? "" : " (did you mean '" + hint + "'?)") + "; " + kind.shipped_label + ": " +
                     (list.empty() ? "none" : list) + "; " + kind.alternative);
}

std::string printable_excerpt(const std::string& text, std::size_t max_bytes) {
    static const char* kHex = "0123456789abcdef";
    std::string out;
    std::size_t i = 0;
    while (i < text.size() && i < max_bytes) {
        const auto c = static_cast<unsigned char>(text[i]);
        const std::size_t n = c < 0x80 ? 1 : utf8_length(text, i);
        if (c >= 0x20 && c != 0x7f && n > 0) {
            out.append(text, i, n);
            i += n;
        } else {
            out += std::string("\\x") + kHex[c >> 4] + kHex[c & 0xf];
            ++i;
        }
    }
    if (i < text.size()) out += "... (" + std::to_string(text.size()) + " bytes)";
    return out;
}

}  // namespace acceltran
