#include "core/json_locator.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace acceltran {

namespace {

constexpr std::size_t npos = std::string::npos;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

JsonLocator::JsonLocator(std::string text) : text_(std::move(text)) {
    std::size_t level = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text_.size(); ++i) {
        const char c = text_[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            depth_ = std::max(depth_, ++level);
        } else if ((c == ']' || c == '}') && level > 0) {
            --level;
        }
    }
}

std::size_t JsonLocator::skip_space(std::size_t pos) const {
    while (pos < text_.size() && is_space(text_[pos])) ++pos;
    return pos;
}

std::size_t JsonLocator::end_of_string(std::size_t pos) const {
    for (++pos; pos < text_.size() && text_[pos] != '"'; ++pos)
        if (text_[pos] == '\\') ++pos;
    return std::min(pos + 1, text_.size());
}

// Iterative on purpose: a value may be nested as deep as the parser allowed.
std::size_t JsonLocator::end_of_value(std::size_t pos) const {
    if (pos >= text_.size()) return pos;
    if (text_[pos] == '"') return end_of_string(pos);
    if (text_[pos] != '[' && text_[pos] != '{') {
        while (pos < text_.size() && !is_space(text_[pos]) && text_[pos] != ',' && text_[pos] != ']' &&
               text_[pos] != '}')
            ++pos;
        return pos;
    }
    std::size_t level = 0;
    while (pos < text_.size()) {
        const char c = text_[pos];
        if (c == '"') {
            pos = end_of_string(pos);
            continue;
        }
        if (c == '[' || c == '{') ++level;
        if ((c == ']' || c == '}') && --level == 0) return pos + 1;
        ++pos;
    }
    return pos;
}

std::string JsonLocator::key_at(std::size_t pos) const {
    // The text is valid JSON here, so the key is a valid string literal; nlohmann decodes escapes.
    return nlohmann::json::parse(text_.substr(pos, end_of_string(pos) - pos)).get<std::string>();
}

std::size_t JsonLocator::member(std::size_t pos, const std::string& key) const {
    std::size_t found = npos;
    pos = skip_space(pos + 1);
    while (pos < text_.size() && text_[pos] == '"') {
        const bool match = key_at(pos) == key;
        pos = skip_space(end_of_string(pos));
        pos = skip_space(pos + 1);  // past ':'
        if (match) found = pos;
        pos = skip_space(end_of_value(pos));
        if (pos >= text_.size() || text_[pos] != ',') break;
        pos = skip_space(pos + 1);
    }
    return found;
}

std::size_t JsonLocator::element(std::size_t pos, std::size_t index) const {
    pos = skip_space(pos + 1);
    for (std::size_t i = 0; pos < text_.size() && text_[pos] != ']'; ++i) {
        if (i == index) return pos;
        pos = skip_space(end_of_value(pos));
        if (pos >= text_.size() || text_[pos] != ',') break;
        pos = skip_space(pos + 1);
    }
    return npos;
}

std::size_t JsonLocator::offset_of(const std::string& path) const {
    std::size_t pos = skip_space(0);
    std::size_t i = 0;
    while (i < path.size() && pos != npos && pos < text_.size()) {
        if (path[i] == '.') ++i;
        if (path[i] == '[') {
            const std::size_t close = path.find(']', i);
            if (close == npos || text_[pos] != '[') return npos;
            pos = element(pos, std::stoul(path.substr(i + 1, close - i - 1)));
            i = close + 1;
        } else {
            const std::size_t end = std::min(path.find_first_of(".[", i), path.size());
            if (text_[pos] != '{') return npos;
            pos = member(pos, path.substr(i, end - i));
            i = end;
        }
    }
    return pos < text_.size() ? pos : npos;
}

std::vector<std::pair<std::string, std::size_t>> JsonLocator::top_level_keys() const {
    std::vector<std::pair<std::string, std::size_t>> keys;
    std::size_t pos = skip_space(0);
    if (pos >= text_.size() || text_[pos] != '{') return keys;
    pos = skip_space(pos + 1);
    while (pos < text_.size() && text_[pos] == '"') {
        keys.emplace_back(key_at(pos), pos);
        pos = skip_space(end_of_string(pos));
        pos = skip_space(end_of_value(skip_space(pos + 1)));
        if (pos >= text_.size() || text_[pos] != ',') break;
        pos = skip_space(pos + 1);
    }
    return keys;
}

std::string JsonLocator::line_column(std::size_t offset) const {
    offset = std::min(offset, text_.size());
    const std::size_t line = 1 + std::size_t(std::count(text_.begin(), text_.begin() + std::ptrdiff_t(offset), '\n'));
    const std::size_t line_start = offset == 0 ? 0 : text_.rfind('\n', offset - 1);
    const std::size_t column = line_start == npos || offset == 0 ? offset + 1 : offset - line_start;
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

}  // namespace acceltran
