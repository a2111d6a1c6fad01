// ObserverList (modules/trace/observer_list.h): every observer hears every event, in the order
// they were added, except that one keeping the default on_port_busy() is left out of the port
// reports after the first (the default did nothing and noted it).
#include <catch2/catch.hpp>

#include <vector>

#include "modules/trace/observer_list.h"

using acceltran::activity::ActivityObserver;
using acceltran::activity::Port;
using acceltran::activity::TileEvent;
using acceltran::trace::ObserverList;

namespace {
struct PortCounter : ActivityObserver {
    std::vector<double> starts;
    void on_port_busy(Port, double start, double, double) override { starts.push_back(start); }
};
struct TileOnlyCounter : ActivityObserver {
    int tiles = 0;
    void on_tile(const TileEvent&) override { ++tiles; }
};
}  // namespace

TEST_CASE("ObserverList: observers that keep the default on_port_busy are left out, the others hear every report",
          "[trace][observer_list]") {
    ObserverList list;
    TileOnlyCounter quiet;
    PortCounter first, second;
    list.add(&first);
    list.add(&quiet);
    list.add(&second);
    CHECK(quiet.hears_ports());
    for (int i = 0; i < 5; ++i) list.on_port_busy(Port::WeightBuffer, i, i + 1, 16);
    CHECK_FALSE(quiet.hears_ports());  // its default ran once
    CHECK(first.hears_ports());
    CHECK(first.starts == std::vector<double>{0, 1, 2, 3, 4});
    CHECK(second.starts == first.starts);
    // It still hears everything else.
    list.on_tile(TileEvent{});
    CHECK(quiet.tiles == 1);
    // An observer added later is heard until it shows it does not listen.
    TileOnlyCounter late;
    list.add(&late);
    list.on_port_busy(Port::MainMemory, 9, 10, 16);
    CHECK_FALSE(late.hears_ports());
    CHECK(first.starts.size() == 6);
    CHECK(second.starts.size() == 6);
}
