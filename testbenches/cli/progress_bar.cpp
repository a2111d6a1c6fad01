#include "testbenches/cli/progress_bar.h"

#include <string>

namespace acceltran::cli {

ProgressBar::ProgressBar(ProgressMode mode, std::FILE* stream) : meter_(mode, "run", "entries", stream) {}

void ProgressBar::on_retire(std::uint32_t, double at, std::uint64_t retired, std::uint64_t total) {
    if (retired < total && !meter_.due(double(retired), double(total))) return;
    char cycle[48];
    std::snprintf(cycle, sizeof cycle, "cycle %.0f", at);
    meter_.update(double(retired), double(total), cycle);
}

}  // namespace acceltran::cli
