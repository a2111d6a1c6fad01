// The repository must make sense from a fresh clone: no tracked document, config, script or source
// file may cite material that lives only on a developer's machine. That means private reference
// notes (by path, by file name, or by their "Papers §x" / "Orig. §x" section numbers), a design
// document kept outside the repository, or an absolute path into /work, /home or /root. Facts are
// cited by their public source instead (a paper's section or table, the original simulator's file
// and function).
//
// Scripts legitimately name /tmp, /usr/bin/python3 or /usr/share paths, and the README's install
// example uses ~/acceltran; none of those is matched. A line that must keep a matched text goes
// into kAllowed below, with the reason.
#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/integration/integration_support.h"

namespace {

using namespace acceltran::testing;

// The folders (and files) the check covers; those that do not exist are skipped by git.
const std::vector<std::string> kCovered = {"docs",    "README.md", "configs",   "scripts",
                                           "bench",   "examples",  "core",      "workloads",
                                           "modules", "explore",   "testbenches"};

struct Rule {
    std::regex pattern;
    std::string what;
};

const std::vector<Rule>& rules() {
    static const std::vector<Rule> r = {
        {std::regex(R"(shared/reference)"), "path of the private reference notes"},
        {std::regex(R"(\.\./shared\b)"), "path outside the repository"},
        {std::regex(R"(papers\.md)"), "private reference notes (papers.md)"},
        {std::regex(R"(acceltran-python-model(\.md)?)"), "private reference notes (acceltran-python-model.md)"},
        {std::regex(R"(slurm-local\.md)"), "private reference notes (slurm-local.md)"},
        {std::regex(R"(Papers ?§)"), "section number of the private paper notes"},
        {std::regex(R"(Orig\.? ?§)"), "section number of the private notes on the original simulator"},
        {std::regex(R"((^|[^A-Za-z0-9_.~-])/(work|home|root)/)"), "absolute path on a developer's machine"},
    };
    return r;
}

// (file, text on the line) pairs that may keep a match. Keep this short and say why.
const std::vector<std::pair<std::string, std::string>> kAllowed = {};

bool allowed(const std::string& file, const std::string& line) {
    return std::any_of(kAllowed.begin(), kAllowed.end(), [&](const auto& a) {
        return a.first == file && line.find(a.second) != std::string::npos;
    });
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

}  // namespace

TEST_CASE("no tracked file cites private notes or paths outside the repository", "[integration][repository]") {
    const std::string src = ACCELTRAN_SOURCE_DIR;
    std::string cmd = "git -C " + shell_quote(src) + " -c core.quotepath=off ls-files --";
    for (const auto& c : kCovered) cmd += " " + shell_quote(c);
    const auto listed = run_shell(cmd + " 2>/dev/null");
    if (listed.exit_code != 0) {
        WARN("not a git checkout (or git is missing), nothing checked: " << src);
        return;
    }
    const auto files = lines_of(listed.out);
    REQUIRE(!files.empty());

    // A design document is fine when the repository has it; otherwise naming it cites a file a
    // fresh clone does not have.
    const bool has_design_doc =
        !run_shell("git -C " + shell_quote(src) + " ls-files -- DESIGN.md '*/DESIGN.md' 2>/dev/null").out.empty();
    static const std::regex design_doc(R"(\bDESIGN\.md\b)");

    std::string report;
    int offending = 0;
    for (const auto& file : files) {
        const std::string text = read_text(src + "/" + file);
        if (text.find('\0') != std::string::npos) continue;  // binary (images)
        const auto lines = lines_of(text);
        for (std::size_t i = 0; i < lines.size(); ++i) {
            const std::string& line = lines[i];
            std::string why;
            for (const auto& r : rules()) {
                if (std::regex_search(line, r.pattern)) {
                    why = r.what;
                    break;
                }
            }
            if (why.empty() && !has_design_doc && std::regex_search(line, design_doc))
                why = "design document that is not in the repository";
            if (why.empty() || allowed(file, line)) continue;
            ++offending;
            report += file + ":" + std::to_string(i + 1) + ": " + why + "\n    " + line + "\n";
        }
    }
    INFO("cite the public source instead (paper + section/table/figure, or the original simulator's file "
         "and function); offending lines:\n"
         << report);
    CHECK(offending == 0);
}
