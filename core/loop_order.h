// The loop order of a design point: the nest of the four tile loops b (batch), i (rows), j
// (columns) and k (depth), outermost first. Parsed once, when the configuration is read
// (core/accelerator_config.cpp), and used as is by the compiler (workloads/tiling.h) and the
// processing elements.
#pragma once

#include <array>
#include <string>
#include <vector>

namespace acceltran {

// A permutation of the loop letters b, i, j, k, outermost first: "b_i_j_k" runs k innermost.
class LoopOrder {
public:
    LoopOrder();  // b_i_j_k
    // Accepts "b_i_j_k" or "bijk"; anything that is not a permutation of b,i,j,k is an
    // InputError saying so.
    static LoopOrder parse(const std::string& text);
    static std::vector<LoopOrder> all();  // the 24 permutations
    std::string str() const;              // "b_i_j_k"
    // Loop letters, outermost first.
    const std::array<char, 4>& letters() const { return letters_; }
    bool operator==(const LoopOrder& o) const { return letters_ == o.letters_; }

private:
    std::array<char, 4> letters_;
};

}  // namespace acceltran
