#include "workloads/functional/safetensors_file.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/input_file.h"
#include "core/input_record.h"
#include "core/json_locator.h"

namespace acceltran::functional {

namespace {

using nlohmann::json;

// Data is converted through a buffer of this many bytes, so reading a 90 MB embedding table
// does not hold its raw bytes and its doubles at once.
constexpr std::size_t kReadChunkBytes = std::size_t(1) << 20;

std::string type_name(const json& v) {
    switch (v.type()) {
        case json::value_t::null: return "null";
        case json::value_t::object: return "an object";
        case json::value_t::array: return "a list";
        case json::value_t::string: return "the string " + printable_excerpt(v.dump());
        case json::value_t::boolean: return v.get<bool>() ? "true" : "false";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float: return "the number " + v.dump();
        default: return "a value of another type";
    }
}

std::uint64_t read_le64(const unsigned char* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

double element_to_double(SafetensorsDtype dtype, const unsigned char* p) {
    switch (dtype) {
        case SafetensorsDtype::F64: {
            std::uint64_t bits = read_le64(p);
            double d;
            std::memcpy(&d, &bits, sizeof d);
            return d;
        }
        case SafetensorsDtype::F32: {
            const std::uint32_t bits = std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
                                       std::uint32_t(p[3]) << 24;
            float f;
            std::memcpy(&f, &bits, sizeof f);
            return f;
        }
        case SafetensorsDtype::F16: return half_to_double(std::uint16_t(p[0] | p[1] << 8));
        case SafetensorsDtype::BF16: return bfloat16_to_double(std::uint16_t(p[0] | p[1] << 8));
    }
    return 0.0;
}

}  // namespace

const char* to_string(SafetensorsDtype dtype) {
    switch (dtype) {
        case SafetensorsDtype::F64: return "F64";
        case SafetensorsDtype::F32: return "F32";
        case SafetensorsDtype::F16: return "F16";
        case SafetensorsDtype::BF16: return "BF16";
    }
    return "?";
}

std::size_t dtype_bytes(SafetensorsDtype dtype) {
    switch (dtype) {
        case SafetensorsDtype::F64: return 8;
        case SafetensorsDtype::F32: return 4;
        case SafetensorsDtype::F16:
        case SafetensorsDtype::BF16: return 2;
    }
    return 0;
}

double half_to_double(std::uint16_t bits) {
    const int sign = bits >> 15, exponent = (bits >> 10) & 0x1f, mantissa = bits & 0x3ff;
    double v;
    if (exponent == 0)
        v = std::ldexp(double(mantissa), -24);  // subnormal: mantissa x 2^-14 x 2^-10
    else if (exponent == 31)
        v = mantissa ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
    else
        v = std::ldexp(double(mantissa | 0x400), exponent - 25);
    return sign ? -v : v;
}

double bfloat16_to_double(std::uint16_t bits) {
    // bfloat16 is the top half of a float32.
    const std::uint32_t f32 = std::uint32_t(bits) << 16;
    float f;
    std::memcpy(&f, &f32, sizeof f);
    return f;
}

SafetensorsFile::SafetensorsFile(const std::string& path) {
    origin_ = path;
    namespace fs = std::filesystem;
    if (!existing_input_file(path, "a safetensors")) throw InputError(path + ": no such file");
    std::error_code ec;
    const std::uintmax_t size = fs::file_size(path, ec);
    if (ec) throw InputError(path + ": cannot tell the file's size: " + ec.message());
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path + ": cannot open file");
    if (size < 8)
        throw InputError(path + ": expected a safetensors file (an 8-byte header length, a JSON header, the data), "
                                "found only " + std::to_string(size) + " bytes");
    unsigned char length_bytes[8];
    in.read(reinterpret_cast<char*>(length_bytes), 8);
    const std::uint64_t n = read_le64(length_bytes);
    if (n > kMaxHeaderBytes || n > size - 8)
        throw InputError(path + ": header length " + std::to_string(n) + " is impossible: expected at most " +
                         std::to_string(std::min<std::uintmax_t>(kMaxHeaderBytes, size - 8)) +
                         " (the limit is 100 MiB and the file has " + std::to_string(size) +
                         " bytes); not a safetensors file?");
    std::string header(std::size_t(n), '\0');
    in.read(header.data(), std::streamsize(n));
    if (std::uint64_t(in.gcount()) != n) throw InputError(path + ": read error in the header");
    data_start_ = 8 + n;
    parse_header(header, size - data_start_);
    InputRecord::note_file(path, "a safetensors");  // a well-formed one: hashed for the run's provenance
}

SafetensorsFile SafetensorsFile::from_bytes(std::string bytes, const std::string& origin) {
    SafetensorsFile f;
    f.origin_ = origin;
    f.in_memory_ = true;
    if (bytes.size() < 8)
        throw InputError(origin + ": expected a safetensors file (an 8-byte header length, a JSON header, the "
                                  "data), found only " + std::to_string(bytes.size()) + " bytes");
    const std::uint64_t n = read_le64(reinterpret_cast<const unsigned char*>(bytes.data()));
    const std::uint64_t size = bytes.size();
    if (n > kMaxHeaderBytes || n > size - 8)
        throw InputError(origin + ": header length " + std::to_string(n) + " is impossible: expected at most " +
                         std::to_string(std::min<std::uint64_t>(kMaxHeaderBytes, size - 8)) +
                         " (the limit is 100 MiB and the file has " + std::to_string(size) +
                         " bytes); not a safetensors file?");
    f.data_start_ = 8 + n;
    f.parse_header(bytes.substr(8, std::size_t(n)), size - f.data_start_);
    f.bytes_ = std::move(bytes);
    return f;
}

void SafetensorsFile::parse_header(const std::string& header, std::uint64_t data_bytes) {
    const std::string at = origin_ + ": header: ";
    // Deep nesting is refused before the parser builds (and later recursively destroys) it.
    const JsonLocator locator(header);
    if (locator.depth() > kMaxHeaderDepth)
        throw InputError(at + "expected a tensor index, found JSON nested " + std::to_string(locator.depth()) +
                         " levels deep (the limit is " + std::to_string(kMaxHeaderDepth) + "; a header needs 3)");
    json root;
    try {
        root = json::parse(header);
    } catch (const json::parse_error& e) {
        // e.byte is 1-based and points just past the problem.
        throw InputError(at + "expected JSON, found malformed JSON at byte " + std::to_string(e.byte) +
                         " of the header: " + e.what());
    } catch (const json::out_of_range& e) {
        // A number too large for a double (1e999) is out_of_range (406), not parse_error: found
        // by fuzzing.
        throw InputError(at + "expected JSON, found malformed JSON: " + e.what());
    }
    // nlohmann keeps only the last of duplicate keys; the locator sees them all (it needs text
    // that parsed: fuzzing found it throwing on ill-formed UTF-8 otherwise).
    {
        std::vector<std::string> seen;
        for (const auto& [key, offset] : locator.top_level_keys()) seen.push_back(key);
        std::sort(seen.begin(), seen.end());
        const auto dup = std::adjacent_find(seen.begin(), seen.end());
        if (dup != seen.end()) throw InputError(at + "duplicate tensor name '" + printable_excerpt(*dup) + "'");
    }
    if (!root.is_object())
        throw InputError(at + "expected a JSON object {tensor name: {dtype, shape, data_offsets}}, found " +
                         type_name(root));

    for (auto it = root.begin(); it != root.end(); ++it) {
        const std::string& name = it.key();
        const json& v = it.value();
        if (name == "__metadata__") {
            if (!v.is_object()) throw InputError(at + "__metadata__: expected an object of strings, found " + type_name(v));
            for (auto m = v.begin(); m != v.end(); ++m) {
                if (!m.value().is_string())
                    throw InputError(at + "__metadata__: '" + printable_excerpt(m.key()) +
                                     "': expected a string, found " + type_name(m.value()));
                metadata_[m.key()] = m.value().get<std::string>();
            }
            continue;
        }
        const std::string where = at + "tensor '" + printable_excerpt(name, 200) + "': ";
        if (!v.is_object())
            throw InputError(where + "expected an object {dtype, shape, data_offsets}, found " + type_name(v));
        for (auto f = v.begin(); f != v.end(); ++f)
            if (f.key() != "dtype" && f.key() != "shape" && f.key() != "data_offsets")
                throw InputError(where + "unknown field '" + printable_excerpt(f.key()) +
                                 "'; allowed fields: dtype, shape, data_offsets");
        for (const char* field : {"dtype", "shape", "data_offsets"})
            if (!v.contains(field)) throw InputError(where + "missing field '" + field + "'");

        SafetensorsEntry e;
        e.name = name;
        const json& dtype = v["dtype"];
        if (!dtype.is_string()) throw InputError(where + "dtype: expected a string, found " + type_name(dtype));
        const std::string d = dtype.get<std::string>();
        if (d == "F64") e.dtype = SafetensorsDtype::F64;
        else if (d == "F32") e.dtype = SafetensorsDtype::F32;
        else if (d == "F16") e.dtype = SafetensorsDtype::F16;
        else if (d == "BF16") e.dtype = SafetensorsDtype::BF16;
        else
            throw InputError(where + "dtype: expected one of F32, F16, BF16, F64, found '" + printable_excerpt(d) +
                             "' (integer and 8-bit float tensors are not weights this reader loads)");

        const json& shape = v["shape"];
        if (!shape.is_array()) throw InputError(where + "shape: expected a list of sizes, found " + type_name(shape));
        e.elements = 1;
        for (std::size_t i = 0; i < shape.size(); ++i) {
            const json& s = shape[i];
            const std::string si = "shape[" + std::to_string(i) + "]: ";
            if (s.is_number_unsigned()) {
                if (s.get<std::uint64_t>() > std::uint64_t(kMaxTensorElements))
                    throw InputError(where + si + "expected a size of at most 2^32, found " + s.dump());
            } else if (s.is_number_integer()) {
                throw InputError(where + si + "expected a size >= 0, found " + s.dump());
            } else {
                throw InputError(where + si + "expected an integer size, found " + type_name(s));
            }
            const auto dim = std::int64_t(s.get<std::uint64_t>());
            e.shape.push_back(dim);
            // Checked by division, so that the product itself never overflows.
            if (dim != 0 && e.elements > kMaxTensorElements / dim)
                throw InputError(where + "shape: expected at most 2^32 elements (the limit for one tensor), found "
                                         "more by shape[" + std::to_string(i) + "]");
            e.elements *= dim;
        }

        const json& offsets = v["data_offsets"];
        if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
            !offsets[1].is_number_unsigned())
            throw InputError(where + "data_offsets: expected [begin, end] of two integers >= 0, found " +
                             (offsets.is_array() ? printable_excerpt(offsets.dump()) : type_name(offsets)));
        e.begin = offsets[0].get<std::uint64_t>();
        e.end = offsets[1].get<std::uint64_t>();
        if (e.begin > e.end)
            throw InputError(where + "data_offsets: expected begin <= end, found [" + std::to_string(e.begin) + ", " +
                             std::to_string(e.end) + "]");
        if (e.end > data_bytes)
            throw InputError(where + "data_offsets: end " + std::to_string(e.end) +
                             " is beyond the data section, which has " + std::to_string(data_bytes) +
                             " bytes (truncated file?)");
        const std::uint64_t expected = std::uint64_t(e.elements) * dtype_bytes(e.dtype);
        if (e.end - e.begin != expected)
            throw InputError(where + "data_offsets: expected " + std::to_string(expected) + " bytes (" +
                             std::to_string(e.elements) + " elements of " + d + "), found " +
                             std::to_string(e.end - e.begin));
        entries_.push_back(std::move(e));
    }

    std::sort(entries_.begin(), entries_.end(), [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    // Empty tensors occupy no bytes and may share an offset with anything; each other tensor
    // must start at or after the end of every one before it.
    const SafetensorsEntry* last = nullptr;
    for (const auto& b : entries_) {
        if (b.begin == b.end) continue;
        const SafetensorsEntry& a = last ? *last : b;
        if (last && b.begin < a.end)
            throw InputError(at + "tensor '" + printable_excerpt(b.name) + "': data_offsets [" +
                             std::to_string(b.begin) + ", " + std::to_string(b.end) + "] overlap tensor '" +
                             printable_excerpt(a.name) + "' [" + std::to_string(a.begin) + ", " +
                             std::to_string(a.end) + "]");
        if (!last || b.end > last->end) last = &b;
    }
    for (std::size_t i = 0; i < entries_.size(); ++i) index_[entries_[i].name] = i;
}

const SafetensorsEntry* SafetensorsFile::find(const std::string& name) const {
    const auto it = index_.find(name);
    return it == index_.end() ? nullptr : &entries_[it->second];
}

std::vector<double> SafetensorsFile::read(const std::string& name) const {
    const SafetensorsEntry* e = find(name);
    if (!e) throw InputError(origin_ + ": no tensor '" + printable_excerpt(name) + "'");
    return read(*e);
}

std::vector<double> SafetensorsFile::read(const SafetensorsEntry& e) const {
    std::vector<double> values(static_cast<std::size_t>(e.elements));
    const std::size_t width = dtype_bytes(e.dtype);
    if (in_memory_) {
        const auto* p = reinterpret_cast<const unsigned char*>(bytes_.data()) + data_start_ + e.begin;
        for (std::size_t i = 0; i < values.size(); ++i) values[i] = element_to_double(e.dtype, p + i * width);
        return values;
    }
    std::ifstream in(origin_, std::ios::binary);
    if (!in) throw InputError(origin_ + ": cannot open file");
    in.seekg(std::streamoff(data_start_ + e.begin));
    std::vector<unsigned char> buffer(std::min<std::size_t>(kReadChunkBytes, std::size_t(e.end - e.begin)));
    const std::size_t per_chunk = std::max<std::size_t>(1, buffer.size() / width);
    for (std::size_t done = 0; done < values.size();) {
        const std::size_t count = std::min(per_chunk, values.size() - done);
        in.read(reinterpret_cast<char*>(buffer.data()), std::streamsize(count * width));
        if (std::size_t(in.gcount()) != count * width)
            throw InputError(origin_ + ": tensor '" + e.name + "': the file ends before its data (changed since it was opened?)");
        for (std::size_t i = 0; i < count; ++i) values[done + i] = element_to_double(e.dtype, buffer.data() + i * width);
        done += count;
    }
    return values;
}

void write_safetensors(const std::string& path, const std::vector<SafetensorsTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
    json header = json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::uint64_t offset = 0;
    for (const auto& t : tensors) {
        if (t.name == "__metadata__" || header.contains(t.name))
            throw InputError(path + ": cannot write tensor '" + t.name + "': the name is taken");
        std::int64_t elements = 1;
        for (std::int64_t d : t.shape) {
            if (d < 0) throw InputError(path + ": cannot write tensor '" + t.name + "': negative size in its shape");
            elements *= d;
        }
        if (std::uint64_t(elements) != t.values.size())
            throw InputError(path + ": cannot write tensor '" + t.name + "': its shape has " +
                             std::to_string(elements) + " elements, its values " + std::to_string(t.values.size()));
        header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + 4 * t.values.size()}}};
        offset += 4 * t.values.size();
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError(path + ": cannot write file");
    unsigned char length[8];
    for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>(std::uint64_t(text.size()) >> (8 * i));
    out.write(reinterpret_cast<const char*>(length), 8);
    out.write(text.data(), std::streamsize(text.size()));
    // Tensors are written in the order of their offsets, i.e. the order given.
    std::vector<char> buffer;
    for (const auto& t : tensors) {
        buffer.resize(4 * t.values.size());
        for (std::size_t i = 0; i < t.values.size(); ++i) {
            const float f = static_cast<float>(t.values[i]);
            std::uint32_t bits;
            std::memcpy(&bits, &f, 4);
            for (int b = 0; b < 4; ++b) buffer[4 * i + std::size_t(b)] = static_cast<char>(bits >> (8 * b));
        }
        out.write(buffer.data(), std::streamsize(buffer.size()));
    }
    out.close();
    if (!out) throw InputError(path + ": write error");
}

}  // namespace acceltran::functional
