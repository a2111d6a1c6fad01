// `acceltran report DIR`: a run directory's ops.csv, grouped and ranked (explore/op_report.h).
#include "explore/op_report.h"
#include "testbenches/cli/commands.h"
#include "testbenches/cli/option_parser.h"

namespace acceltran::cli {

int report_command(const std::vector<std::string>& args) {
    namespace po = boost::program_options;
    po::options_description desc("report options");
    desc.add_options()("dir", po::value<std::string>()->required(), "a run directory (acceltran run --out DIR)")(
        "by", po::value<std::string>()->default_value("op"), "group the ops by op, layer or kind")(
        "top", po::value<int>()->default_value(10), "show the N groups with the most critical-path cycles (0: all)");
    po::positional_options_description positional;
    positional.add("dir", 1);
    po::variables_map vm;
    if (!parse_options(args, desc,
                       "usage: acceltran report DIR [--by op|layer|kind] [--top N]\n"
                       "Prints DIR/ops.csv (written by acceltran run) grouped by op, layer or op kind, ranked by the\n"
                       "cycles each group held the critical path (docs/outputs.md, ops.csv).",
                       vm, &positional))
        return 0;
    // An empty DIR would read /ops.csv: the path is joined as DIR + "/ops.csv".
    if (vm["dir"].as<std::string>().empty()) throw UsageError("DIR must name a run directory, got an empty path");
    const int top = vm["top"].as<int>();
    if (top < 0) throw UsageError("--top must be 0 (all) or a positive integer, got " + std::to_string(top));
    const explore::OpGrouping by = explore::parse_op_grouping(vm["by"].as<std::string>(), "--by");
    std::cout << explore::op_report_text(explore::load_op_table(vm["dir"].as<std::string>()), by, std::size_t(top));
    return 0;
}

}  // namespace acceltran::cli
