// Several observers behind one: the modules hold a single pointer.
#pragma once

#include <algorithm>
#include <vector>

#include "modules/activity/activity_observer.h"

namespace acceltran::trace {

// The trace layer implements the interface models report through (modules/activity/).
using activity::ActivityObserver;
using activity::kPorts;
using activity::Port;
using activity::TileEvent;

class ObserverList : public ActivityObserver {
public:
    void add(ActivityObserver* o) {
        observers_.push_back(o);
        port_observers_.push_back(o);
        checked_ = false;
    }
    bool empty() const { return observers_.empty(); }

    bool wants_tiles() const override {
        for (auto* o : observers_)
            if (o->wants_tiles()) return true;
        return false;
    }
    void on_tile(const TileEvent& t) override {
        for (auto* o : observers_) o->on_tile(t);
    }
    void on_port_busy(Port p, double start, double end, double bytes) override {
        for (auto* o : port_observers_) o->on_port_busy(p, start, end, bytes);
        // Observers that do not override on_port_busy() are called once (their default notes
        // it) and then left out: the call did nothing, and there are millions of them. Only the
        // first report after an add() can find one, so the others skip the check.
        if (!checked_) {
            port_observers_.erase(std::remove_if(port_observers_.begin(), port_observers_.end(),
                                                 [](const ActivityObserver* o) { return !o->hears_ports(); }),
                                  port_observers_.end());
            checked_ = true;
        }
    }
    void on_buffer_bytes(std::uint32_t entry, workloads::BufferKind b, bool write, std::uint64_t bytes) override {
        for (auto* o : observers_) o->on_buffer_bytes(entry, b, write, bytes);
    }
    void on_dma_transfer(int channel, std::uint32_t entry, double start, double end) override {
        for (auto* o : observers_) o->on_dma_transfer(channel, entry, start, end);
    }
    void on_occupancy(workloads::BufferKind b, double at, std::uint64_t bytes) override {
        for (auto* o : observers_) o->on_occupancy(b, at, bytes);
    }
    void on_retire(std::uint32_t entry, double at, std::uint64_t retired, std::uint64_t total) override {
        for (auto* o : observers_) o->on_retire(entry, at, retired, total);
    }

private:
    std::vector<ActivityObserver*> observers_;
    std::vector<ActivityObserver*> port_observers_;  // observers_ less those known not to listen
    bool checked_ = true;  // every observer in port_observers_ has heard a port report
};

}  // namespace acceltran::trace
