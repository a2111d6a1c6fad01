// A run directory as `acceltran run` writes it (docs/outputs.md), read back for `acceltran rerun`
// and `acceltran diff`: its summary.json, its provenance, and its ops.csv when it has one. Every
// fault (no such directory, no summary.json, malformed JSON or CSV, no provenance) is an
// InputError naming the file and what was expected.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/provenance.h"
#include "core/csv_table.h"

namespace acceltran::explore {

class RunDirectory {
public:
    explicit RunDirectory(std::string path);

    const std::string& path() const { return path_; }
    std::string summary_file() const { return path_ + "/summary.json"; }
    const nlohmann::json& summary() const { return summary_; }

    // summary.json's provenance; InputError when the run predates provenance or it is malformed.
    Provenance provenance() const;
    // ops.csv, if the directory has one.
    const std::optional<CsvTable>& ops() const { return ops_; }

private:
    std::string path_;
    nlohmann::json summary_;
    std::optional<CsvTable> ops_;
};

}  // namespace acceltran::explore
