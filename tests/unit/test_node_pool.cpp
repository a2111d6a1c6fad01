// NodePool and PoolAllocator (core/node_pool.h): the nodes of BandwidthPort's interval map.
// A freed node is the next handed out; other sizes and arrays bypass the pool; a container
// keeps working through copies, moves and swaps of its allocator.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "core/node_pool.h"

using acceltran::NodePool;
using acceltran::PoolAllocator;

namespace {
using PooledMap = std::map<int, int, std::less<int>, PoolAllocator<std::pair<const int, int>>>;
PooledMap pooled_map() { return PooledMap(PooledMap::allocator_type(std::make_shared<NodePool>())); }
}  // namespace

TEST_CASE("NodePool: a freed block is handed out next, and slabs of blocks follow each other", "[core][node_pool]") {
    NodePool pool;
    void* a = pool.allocate(48);
    void* b = pool.allocate(48);
    CHECK(static_cast<char*>(b) - static_cast<char*>(a) == 48);  // 48 is a multiple of the alignment
    pool.deallocate(a, 48);
    CHECK(pool.allocate(48) == a);
    // Past one slab (256 blocks) it takes another; every block stays distinct.
    std::vector<void*> blocks;
    for (int i = 0; i < 600; ++i) blocks.push_back(pool.allocate(48));
    std::sort(blocks.begin(), blocks.end());
    CHECK(std::adjacent_find(blocks.begin(), blocks.end()) == blocks.end());
    // Another size goes to operator new and back (no crash, not from the free list).
    void* other = pool.allocate(200);
    CHECK(other != nullptr);
    pool.deallocate(other, 200);
    for (void* p : blocks) pool.deallocate(p, 48);
    pool.deallocate(b, 48);
}

TEST_CASE("PoolAllocator: a map keeps its contents through inserts, erases, copies, moves and swaps", "[core][node_pool]") {
    PooledMap m = pooled_map();
    for (int i = 0; i < 1000; ++i) m[i] = 2 * i;
    for (int i = 0; i < 1000; i += 2) m.erase(i);
    REQUIRE(m.size() == 500);
    PooledMap copy = m;  // shares the pool: nodes of both live in it
    copy[5000] = 1;
    PooledMap other = pooled_map();
    other[-1] = -1;
    other.swap(m);
    CHECK(m.size() == 1);
    CHECK(other.size() == 500);
    m = std::move(copy);  // the allocator moves with the nodes
    CHECK(m.size() == 501);
    CHECK(m.at(5000) == 1);
    int expected = 1;
    for (const auto& [k, v] : other) {
        CHECK(k == expected);
        CHECK(v == 2 * expected);
        expected += 2;
    }
    // Arrays (a vector with the same allocator) bypass the pool.
    std::vector<int, PoolAllocator<int>> v(PoolAllocator<int>(std::make_shared<NodePool>()));
    v.assign(100, 7);
    CHECK(v.size() == 100);
}
