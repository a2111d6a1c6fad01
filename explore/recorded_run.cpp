#include "explore/recorded_run.h"

#include <filesystem>

#include "core/errors.h"
#include "core/sha256.h"

namespace acceltran::explore {

namespace {

// A long option of `acceltran run` written as `--NAME` or `--NAME=VALUE` where NAME may be any
// unambiguous prefix (the option parser guesses it): true when `word` names `option`. `shortest`
// is the shortest prefix that is unambiguous among run's options ("fo": --functional also starts
// with f).
bool names_long_option(const std::string& word, const std::string& option, std::size_t shortest) {
    if (word.rfind("--", 0) != 0) return false;
    const std::string name = word.substr(2, word.find('=') == std::string::npos ? std::string::npos : word.find('=') - 2);
    return name.size() >= shortest && option.rfind(name, 0) == 0;
}

// Run's short options that take a value; in a group (-qo DIR, -qoDIR) the first of them takes
// the rest of the word, or the next word.
bool takes_value(char c) { return c == 'm' || c == 'a' || c == 'o'; }

}  // namespace

RecordedRun::RecordedRun(const RunDirectory& directory)
    : directory_(directory.path()), origin_(directory.summary_file()), provenance_(directory.provenance()) {
    const auto& words = provenance_.command_line;
    if (words.size() < 2 || words[1] != "run")
        throw InputError(origin_ + ": provenance.command_line: expected an `acceltran run` command line, found " +
                         (words.empty() ? std::string("none (the run was made through the library, not the command)")
                                        : "'" + words.front() + (words.size() > 1 ? " " + words[1] : "") + " ...'") +
                         ": nothing to run again");
}

std::vector<ChangedInput> RecordedRun::changed_inputs() const {
    std::vector<ChangedInput> changes;
    for (const RecordedInput& input : provenance_.inputs) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(input.path, ec)) {
            changes.push_back({input, "no such file"});
            continue;
        }
        std::string now;
        try {
            now = sha256_file_hex(input.path);
        } catch (const InputError& e) {
            now = e.what();
        }
        if (now != input.sha256) changes.push_back({input, now});
    }
    return changes;
}

std::string RecordedRun::describe(const std::vector<ChangedInput>& changes) {
    std::string text;
    for (const ChangedInput& c : changes)
        text += "  " + c.recorded.path + " (" + c.recorded.kind + "): recorded SHA-256 " + c.recorded.sha256 +
                ", now " + c.now + "\n";
    return text;
}

void RecordedRun::check_inputs(bool force, std::ostream& warnings) const {
    const std::vector<ChangedInput> changes = changed_inputs();
    if (changes.empty()) return;
    if (!force)
        throw InputError(origin_ + ": provenance.inputs: " + std::to_string(changes.size()) +
                         " input file(s) changed since the run, so it would not be reproduced:\n" + describe(changes) +
                         "give --force to run it with them as they are now");
    warnings << "acceltran rerun: warning: input file(s) changed since the run; the result may differ:\n"
             << describe(changes);
}

void RecordedRun::enter_working_directory() const {
    std::error_code ec;
    std::filesystem::current_path(provenance_.working_directory, ec);
    if (ec)
        throw InputError(origin_ + ": provenance.working_directory: cannot enter '" + provenance_.working_directory +
                         "': " + ec.message());
}

std::vector<std::string> RecordedRun::rerun_arguments(const std::string& out, bool replace) const {
    const auto& words = provenance_.command_line;
    std::vector<std::string> args;
    for (std::size_t i = 2; i < words.size(); ++i) {
        const std::string& w = words[i];
        if (w == "--") {  // the rest is positional: run takes none, so keep it as it was
            args.insert(args.end(), words.begin() + std::ptrdiff_t(i), words.end());
            break;
        }
        if (names_long_option(w, "out", 1)) {
            if (w.find('=') == std::string::npos) ++i;  // its value is the next word
            continue;
        }
        if (names_long_option(w, "force", 2)) continue;
        if (w.size() >= 2 && w[0] == '-' && w[1] != '-') {
            // A group of short options: drop o and its value, keep the rest.
            std::string kept = "-";
            bool value_follows = false, dropped_value_follows = false;
            for (std::size_t c = 1; c < w.size(); ++c) {
                if (!takes_value(w[c])) {
                    kept += w[c];
                    continue;
                }
                const bool rest = c + 1 < w.size();
                if (w[c] == 'o') {
                    dropped_value_follows = !rest;
                } else {
                    kept += w.substr(c);
                    value_follows = !rest;
                }
                break;
            }
            if (kept != "-") args.push_back(kept);
            if (value_follows && i + 1 < words.size()) args.push_back(words[++i]);
            if (dropped_value_follows) ++i;
            continue;
        }
        args.push_back(w);
    }
    args.push_back("--out");
    args.push_back(std::filesystem::absolute(out).lexically_normal().string());
    if (replace) args.push_back("--force");
    return args;
}

}  // namespace acceltran::explore
