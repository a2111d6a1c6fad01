// Fixed-size blocks for a node container that inserts and erases all the time (BandwidthPort's
// interval map: every reservation that does not extend the last interval inserts a node, and
// the intervals that time leaves behind are erased). A freed node goes on a free list and is the
// next one handed out, and new nodes come from slabs of kSlabNodes, so the map's nodes stay
// close together in memory and neither allocation nor release calls malloc: at the full detail
// level, with a few port reservations per tile, malloc and free were about 3 % of the
// instructions (docs/performance.md, "Full level: profile-driven fixes").
//
// PoolAllocator<T> is the standard-library allocator over a NodePool: single-object
// allocations come from the pool, arrays from operator new. The allocator shares ownership of
// its pool, so nodes never outlive the pool that holds them, whatever the container does with
// its allocator (copies, moves, swaps). Not thread-safe: a pool belongs to one container.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <vector>

namespace acceltran {

class NodePool {
public:
    NodePool() = default;
    NodePool(const NodePool&) = delete;
    NodePool& operator=(const NodePool&) = delete;
    ~NodePool() {
        for (void* slab : slabs_) ::operator delete(slab);
    }

    // The pool serves blocks of the first size it is asked for; other sizes go to operator new.
    void* allocate(std::size_t bytes) {
        if (block_ == 0) block_ = round_up(bytes);
        if (round_up(bytes) != block_) return ::operator new(bytes);
        if (free_ == nullptr) grow();
        Free* f = free_;
        free_ = f->next;
        return f;
    }
    void deallocate(void* p, std::size_t bytes) noexcept {
        if (round_up(bytes) != block_) {
            ::operator delete(p);
            return;
        }
        Free* f = static_cast<Free*>(p);
        f->next = free_;
        free_ = f;
    }

private:
    struct Free {
        Free* next;
    };
    static constexpr std::size_t kSlabNodes = 256;
    static std::size_t round_up(std::size_t bytes) {
        const std::size_t a = alignof(std::max_align_t);
        const std::size_t b = bytes < sizeof(Free) ? sizeof(Free) : bytes;
        return (b + a - 1) / a * a;
    }
    void grow() {
        char* slab = static_cast<char*>(::operator new(block_ * kSlabNodes));
        slabs_.push_back(slab);
        // Threaded so that the slab is handed out from its start.
        for (std::size_t i = kSlabNodes; i-- > 0;) {
            Free* f = reinterpret_cast<Free*>(slab + i * block_);
            f->next = free_;
            free_ = f;
        }
    }

    std::size_t block_ = 0;
    Free* free_ = nullptr;
    std::vector<void*> slabs_;
};

template <class T>
class PoolAllocator {
public:
    using value_type = T;
    using propagate_on_container_move_assignment = std::true_type;
    using propagate_on_container_swap = std::true_type;

    explicit PoolAllocator(std::shared_ptr<NodePool> pool) noexcept : pool_(std::move(pool)) {}
    template <class U>
    PoolAllocator(const PoolAllocator<U>& other) noexcept : pool_(other.pool()) {}

    T* allocate(std::size_t n) {
        if (n == 1) return static_cast<T*>(pool_->allocate(sizeof(T)));
        return static_cast<T*>(::operator new(n * sizeof(T)));
    }
    void deallocate(T* p, std::size_t n) noexcept {
        if (n == 1)
            pool_->deallocate(p, sizeof(T));
        else
            ::operator delete(p);
    }
    const std::shared_ptr<NodePool>& pool() const noexcept { return pool_; }

    template <class U>
    bool operator==(const PoolAllocator<U>& o) const noexcept { return pool_ == o.pool(); }
    template <class U>
    bool operator!=(const PoolAllocator<U>& o) const noexcept { return pool_ != o.pool(); }

private:
    std::shared_ptr<NodePool> pool_;
};

}  // namespace acceltran
