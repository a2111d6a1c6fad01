// Every input file this process has read (model, accelerator, technology table, weights, tokens,
// plug-ins), with its SHA-256, for the run's provenance (core/provenance.h). The readers note
// each file as they read it (core/input_file.cpp, the safetensors reader, the plug-in loader), so
// that a new kind of input is recorded without every front end having to list it. One process
// runs one simulation (modules/simulation/simulation.h), so the record is process-wide.
#pragma once

#include <mutex>
#include <string>
#include <vector>

namespace acceltran {

struct RecordedInput {
    std::string kind;    // what the reader expected, e.g. "an accelerator YAML", "a plug-in"
    std::string path;    // absolute, lexically normal
    std::string sha256;  // of the bytes read
};

class InputRecord {
public:
    // Notes a file read as `bytes` (hashed here); a path noted before keeps its first entry.
    static void note_bytes(const std::string& path, const std::string& kind, const std::string& bytes);
    // Notes a file read piecewise; it is hashed from disk now.
    static void note_file(const std::string& path, const std::string& kind);
    // In the order first read.
    static std::vector<RecordedInput> files();
    // Forgets every file (tests that read inputs for several runs in one process).
    static void clear();

    // The path as recorded: absolute and lexically normal.
    static std::string absolute(const std::string& path);

private:
    static void add(RecordedInput input);
    static std::mutex& mutex();
    static std::vector<RecordedInput>& entries();
};

}  // namespace acceltran
