#include "explore/run_directory.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "core/errors.h"
#include "core/json_reader.h"

namespace acceltran::explore {

namespace {

namespace fs = std::filesystem;

// The whole file; read directly rather than through read_input_file, whose files are a run's
// inputs (core/input_record.h) and limited in size.
std::string file_text(const std::string& path, const std::string& what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path + ": cannot open " + what);
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw InputError(path + ": read error");
    return text.str();
}

}  // namespace

RunDirectory::RunDirectory(std::string path) : path_(std::move(path)) {
    while (path_.size() > 1 && path_.back() == '/') path_.pop_back();
    std::error_code ec;
    if (!fs::exists(path_, ec))
        throw InputError(path_ + ": no such directory (expected a run directory written by acceltran run)");
    if (!fs::is_directory(path_, ec))
        throw InputError(path_ + ": not a directory (expected a run directory written by acceltran run)");
    const std::string summary = summary_file();
    if (!fs::is_regular_file(summary, ec))
        throw InputError(summary + ": no such file: " + path_ +
                         " is not a run directory (acceltran run writes summary.json there)");
    const std::string text = file_text(summary, "the run summary");
    summary_ = JsonReader(summary, text).parse(text);
    if (!summary_.is_object())
        throw InputError(summary + ": expected a JSON object (a run summary), found " +
                         JsonReader::describe(summary_));
    const std::string ops = path_ + "/ops.csv";
    if (fs::is_regular_file(ops, ec)) ops_ = CsvTable::parse(file_text(ops, "the per-op table"), ops);
}

Provenance RunDirectory::provenance() const {
    if (!summary_.contains("provenance"))
        throw InputError(summary_file() + ": no key provenance: the run was written by an acceltran without it "
                         "(summary.json's provenance came later); run it again with acceltran run");
    return Provenance::from_json(summary_.at("provenance"), summary_file());
}

}  // namespace acceltran::explore
