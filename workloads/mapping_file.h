// A mapping file (docs/mapping.md §3): the YAML that `acceltran run --mapping FILE` replays and
// `acceltran run --write-mapping` and `acceltran map` write. Read with the configuration
// machinery (core/config_node.h: size and node limits, file:line:column errors) and checked
// against the compiled graph it is meant for, it becomes one OpDirective per graph op.
#pragma once

#include <string>
#include <vector>

#include "core/config_node.h"
#include "workloads/mapping_plan.h"
#include "workloads/op_directive.h"
#include "workloads/op_graph.h"
#include "workloads/target_description.h"

namespace acceltran::workloads {

// What a mapping file decides for a graph, and what in it was doubtful but harmless.
struct MappingDirectives {
    std::vector<OpDirective> ops;        // per op id; a default directive for ops not listed
    std::vector<std::string> warnings;   // "FILE:LINE:COLUMN: ...", one line each
};

class MappingFile {
public:
    // Reads and parses `path` (InputError for a missing, special, binary or oversized file or
    // malformed YAML, with the place); the file is recorded for the run's provenance.
    static MappingFile load(const std::string& path);
    // The same from text; `origin` names it in messages (tests).
    static MappingFile parse(const std::string& text, const std::string& origin);

    // The directives for `graph`, whose default mapping is `plan` (MappingPlan::derive with
    // `options`, the design point's compile options without directives). An entry for a logical
    // op applies to each of its graph ops (MappingPlan::op_ids). InputError naming the file, the
    // line and what was expected for an entry that does not fit the graph or the format.
    MappingDirectives directives(const OpGraph& graph, const MappingPlan& plan, const CompileOptions& options) const;

private:
    explicit MappingFile(ConfigNode root);
    ConfigNode root_;
};

}  // namespace acceltran::workloads
