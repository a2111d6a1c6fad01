// The acceltran subcommands. Each takes the arguments after its name and returns the exit
// code; errors are thrown (errors.h) and mapped to exit codes by main.
#pragma once

#include <string>
#include <vector>

namespace acceltran::cli {

int run_command(const std::vector<std::string>& args);
int analyze_command(const std::vector<std::string>& args);
int validate_command(const std::vector<std::string>& args);
int list_command(const std::vector<std::string>& args);
int sweep_command(const std::vector<std::string>& args);
int sparsity_command(const std::vector<std::string>& args);
int import_command(const std::vector<std::string>& args);
int rerun_command(const std::vector<std::string>& args);
int diff_command(const std::vector<std::string>& args);
int report_command(const std::vector<std::string>& args);
int map_command(const std::vector<std::string>& args);

}  // namespace acceltran::cli
