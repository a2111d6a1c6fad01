// docs/cli.md holds the exact `--help` text of the program and of every command it lists, each in
// a fenced block after a `<!-- help: acceltran CMD -->` marker, so that the reference cannot drift
// from the binary. When a help text changes, scripts/update-cli-reference rewrites the blocks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/integration_support.h"

namespace {

using namespace acceltran::testing;

// The command names listed under "commands:" in `acceltran --help`.
std::vector<std::string> listed_commands(const std::string& top_help) {
    std::vector<std::string> names;
    std::istringstream in(top_help);
    bool inside = false;
    for (std::string line; std::getline(in, line);) {
        const bool blank = line.find_first_not_of(" \t") == std::string::npos;
        if (line == "commands:") {
            inside = true;
        } else if (inside && blank) {
            break;
        } else if (inside) {
            std::istringstream words(line);
            std::string name;
            words >> name;
            names.push_back(name);
        }
    }
    return names;
}

std::string help_block(const std::string& command, std::string text) {
    if (text.empty() || text.back() != '\n') text += '\n';
    const std::string name = command.empty() ? "acceltran" : "acceltran " + command;
    return "<!-- help: " + name + " -->\n```\n" + text + "```\n";
}

}  // namespace

TEST_CASE("docs/cli.md holds the exact --help text of acceltran and of every command", "[integration][cli][docs]") {
    ScratchDir scratch("cli-reference");
    const std::string doc = read_text(std::string(ACCELTRAN_SOURCE_DIR) + "/docs/cli.md");
    REQUIRE(!doc.empty());

    const auto top = run_acceltran({"--help"}, scratch);
    REQUIRE(top.exit_code == 0);
    const auto commands = listed_commands(top.out);
    // The six commands of today must be among them; a new one is covered automatically.
    for (const char* c : {"run", "analyze", "validate", "list", "sweep", "sparsity"}) {
        INFO("acceltran --help no longer lists " << c);
        CHECK(std::find(commands.begin(), commands.end(), c) != commands.end());
    }

    std::vector<std::string> all = {""};
    all.insert(all.end(), commands.begin(), commands.end());
    for (const auto& command : all) {
        std::vector<std::string> args;
        if (!command.empty()) args.push_back(command);
        args.push_back("--help");
        const auto r = run_acceltran(args, scratch);
        INFO(describe(r));
        REQUIRE(r.exit_code == 0);
        INFO("docs/cli.md lacks this exact block; run scripts/update-cli-reference (after building) "
             "and commit docs/cli.md:\n"
             << help_block(command, r.out));
        CHECK(doc.find(help_block(command, r.out)) != std::string::npos);
    }
}
