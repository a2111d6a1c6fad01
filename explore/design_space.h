// A design space for `acceltran sweep` (configs/design-spaces/*.yaml, docs/sweeps.md): a base
// accelerator, the models, sequence lengths and batch sizes to run, and a list of accelerator key
// paths each with the values to try. The space is the cartesian product of all of them; a point
// is one `acceltran run` with `--set path=value` for each parameter.
//
// Everything is checked when the file is loaded, with the file:line:column of the offending
// value: unknown keys (with a suggestion), key paths the base accelerator does not have, values
// the accelerator loader refuses on their own, duplicate values, unknown metrics. What can only
// fail in combination (a working set too big for the buffers) is left to the point's run, where
// it is recorded as a failed point.
//
// Spaces grow quickly (the AccelTran space has tens of millions of points), so points are never
// stored: point(i) decodes an index of the product, and sample() draws distinct indices.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/detail_level.h"

namespace acceltran::explore {

// One point of the space. Its id is a hash of what it runs (model, seq or prompt and generation
// lengths, batch and the keys it
// sets), never of its position, so a sweep resumed with another order, another sample or a
// re-ordered space file finds the points it already ran.
struct DesignPoint {
    std::string id;                   // 16 hex digits
    std::uint64_t index = 0;          // position in the enumeration of the whole space
    std::string model;                // as written in the space file
    int seq = 0, batch = 0;           // seq: 0 in a generation space
    int prompt_len = -1, gen_len = -1;  // a generation space's point; -1 in an encoder space
    std::vector<std::string> values;  // one per DesignSpace::columns(); "" = the base's value
};

// A figure of summary.json to optimise, named by its key path (e.g. "area_mm2.total").
struct Metric {
    std::string key;
    bool maximise = false;
};

class DesignSpace {
public:
    // The figures of summary.json that a sweep gathers per point (results.csv columns, in this
    // order) and that a space may name as metrics. A generation space (prompt_len/gen_len
    // instead of seq) adds time to first token, time per output token and tokens per second.
    static const std::vector<std::string>& result_figures(bool generation = false);

    // Reads and checks a space file. Shipped model and accelerator names are looked up in
    // `data_dir` (workloads/models, configs/accelerators); paths are relative to the space file.
    static DesignSpace load(const std::string& file, const std::string& data_dir);

    // Points in the whole space (the product of every dimension's size).
    std::uint64_t size() const { return size_; }
    // The point at `index` (< size()); the last parameter varies fastest, the model slowest.
    DesignPoint point(std::uint64_t index) const;
    // `count` distinct points drawn uniformly with a generator seeded by `seed`, in enumeration
    // order; the same (count, seed) gives the same points on every machine. count >= size()
    // gives every point.
    std::vector<DesignPoint> sample(std::uint64_t count, std::uint64_t seed) const;
    // Every point, in enumeration order.
    std::vector<DesignPoint> all() const { return sample(size_, 0); }

    // What a point runs, on one line: "model=M seq=S batch=B key=value ..." (prompt_len and
    // gen_len instead of seq in a generation space; only the keys the point sets).
    std::string describe(const DesignPoint& p) const;
    // The `acceltran run` arguments of a point, without --out.
    std::vector<std::string> run_arguments(const DesignPoint& p) const;

    const std::string& file() const { return file_; }
    // Accelerator key paths the parameters set, in file order (a parameter whose values are
    // mappings contributes one column per key it sets).
    const std::vector<std::string>& columns() const { return columns_; }
    const std::vector<Metric>& metrics() const { return metrics_; }
    DetailLevel detail() const { return detail_; }
    // Whether the points are generations (prompt_len x gen_len) rather than encoder passes (seq).
    bool generation() const { return !gen_lens_.empty(); }
    // A canonical description of the space (what it runs, not how the file is written), so that
    // a sweep directory can tell whether it is asked to continue the same space.
    const nlohmann::json& identity() const { return identity_; }

private:
    // One value of a parameter: the text of each column it sets ("" where it sets none).
    using Choice = std::vector<std::string>;
    struct Dimension {
        std::string name;
        std::vector<Choice> choices;
    };

    std::string file_;
    std::string accelerator_;               // what children get as --accel
    std::vector<std::string> models_;       // as written
    std::vector<std::string> model_args_;   // what children get as --model
    std::vector<int> seqs_, batches_;
    std::vector<int> prompt_lens_, gen_lens_;  // both empty unless a generation space
    DetailLevel detail_ = DetailLevel::Full;
    std::vector<std::string> columns_;
    std::vector<Dimension> parameters_;
    std::vector<Metric> metrics_;
    std::uint64_t size_ = 0;
    nlohmann::json identity_;
};

}  // namespace acceltran::explore
