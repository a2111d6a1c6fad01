#include "core/loop_order.h"

#include <algorithm>
#include <cctype>

#include "core/errors.h"

namespace acceltran {

LoopOrder::LoopOrder() : letters_{'b', 'i', 'j', 'k'} {}

LoopOrder LoopOrder::parse(const std::string& text) {
    std::string compact;
    if (text.size() == 4) {
        compact = text;
    } else if (text.size() == 7 && text[1] == '_' && text[3] == '_' && text[5] == '_') {
        compact = {text[0], text[2], text[4], text[6]};
    }
    for (char& c : compact) c = char(std::tolower(static_cast<unsigned char>(c)));
    std::string sorted = compact;
    std::sort(sorted.begin(), sorted.end());
    if (sorted != "bijk") {
        throw InputError("loop order \"" + text +
                         "\" is not a permutation of the loops b, i, j, k (e.g. \"b_i_j_k\")");
    }
    LoopOrder order;
    std::copy(compact.begin(), compact.end(), order.letters_.begin());
    return order;
}

std::vector<LoopOrder> LoopOrder::all() {
    std::vector<LoopOrder> orders;
    LoopOrder order;
    do {
        orders.push_back(order);
    } while (std::next_permutation(order.letters_.begin(), order.letters_.end()));
    return orders;
}

std::string LoopOrder::str() const {
    return {letters_[0], '_', letters_[1], '_', letters_[2], '_', letters_[3]};
}

}  // namespace acceltran
