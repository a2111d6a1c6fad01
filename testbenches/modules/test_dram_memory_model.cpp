// Testbench for the `dram` main-memory model (modules/memory/dram_memory_model.*): plain C++,
// no SystemC. The clock is 1000 MHz, so one cycle is one nanosecond and the DRAM figures of
// docs/model-reference.md §8a read directly as cycles.
#include <catch2/catch.hpp>

#include <memory>
#include <random>

#include "modules/memory/dram_memory_model.h"
#include "core/model_registry.h"

using namespace acceltran;

namespace {

constexpr double kDramClockMhz = 1000;

std::unique_ptr<DramMemoryModel> make_dram(const std::string& preset, bool refresh = true, const std::string& page = "open") {
    DramTiming t = dram_preset(preset);
    if (!refresh) t.trefi_ns = 0;
    t.open_page = page == "open";
    return std::make_unique<DramMemoryModel>(t, kDramClockMhz);
}

// Bytes per ns (GB/s) a saturating stream of 4 KiB reads (all queued at cycle 0, as a DMA with
// many requests in flight) reaches over `total` bytes.
double stream_gbps(DramMemoryModel& m, std::uint64_t total) {
    double done = 0;
    for (std::uint64_t a = 0; a < total; a += 4096) done = std::max(done, m.access(AccessRequest{false, a, 4096, 0, 0}));
    return double(total) / done;
}

}  // namespace

TEST_CASE("dram presets: the peak bandwidth is channels x bus bytes x data rate", "[modules][dram]") {
    CHECK(dram_preset("lpddr3-1600").peak_gbps() == Approx(25.6));  // 4 x 4 B x 1.6 GT/s
    CHECK(dram_preset("hbm2").peak_gbps() == Approx(256));          // 8 x 16 B x 2 GT/s
    CHECK(dram_preset("rram-m3d").peak_gbps() == Approx(256));
    CHECK(dram_preset("rram-m3d").trefi_ns == 0);  // non-volatile: no refresh
}

TEST_CASE("dram: a streaming read reaches each preset's peak bandwidth within 10%", "[modules][dram]") {
    // The acceptance figure. What is lost: refresh (tRFC / tREFI = 3.3% for LPDDR3, 6.7%
    // for HBM2, none for RRAM) and the row misses after each refresh and at each new row.
    for (const char* preset : {"lpddr3-1600", "hbm2", "rram-m3d"}) {
        auto m = make_dram(preset);
        const double peak = m->timing().peak_gbps();
        const double got = stream_gbps(*m, 16u << 20);
        INFO(preset << ": " << got << " GB/s of " << peak);
        CHECK(got <= peak * (1 + 1e-9));
        CHECK(got >= 0.9 * peak);
        // Without refresh only the first activate of each bank is exposed: within 1%.
        auto quiet = make_dram(preset, false);
        CHECK(stream_gbps(*quiet, 16u << 20) >= 0.99 * peak);
        // Each row holds the runs of 4 consecutive 4 KiB transactions on its channel (LPDDR3:
        // 4 KiB rows, 1 KiB per channel per transaction; HBM2/RRAM: 2 KiB rows, 512 B), so at best
        // 3 hits per activate; refreshes that close rows mid-stream take a little of that.
        const auto& c = m->counters();
        CHECK(c.row_hits >= 2.5 * (c.row_misses + c.row_conflicts));
    }
}

TEST_CASE("dram: dependent random reads slow down by exactly what their row misses and conflicts predict",
          "[modules][dram]") {
    // One 32-byte read at a time (one LPDDR3 burst: one channel, one bank), each issued when the
    // previous completes, no refresh. Each costs tCL + burst (hit), tRCD + tCL + burst (miss) or
    // tRP + tRCD + tCL + burst (conflict): the total must equal that sum from the counters.
    const DramTiming t = dram_preset("lpddr3-1600");
    const double hit = t.tcl_ns + t.burst_ns(), miss = t.trcd_ns + hit, conflict = t.trp_ns + miss;
    auto run = [&](bool random) {
        auto m = make_dram("lpddr3-1600", false);
        std::mt19937_64 rng(11);
        double now = 0;
        for (int i = 0; i < 4000; ++i) {
            const std::uint64_t address = random ? (rng() % (1ull << 30)) / 32 * 32 : std::uint64_t(i) * 32;
            now = m->access(AccessRequest{false, address, 32, now, now});
        }
        const auto& c = m->counters();
        CHECK(c.row_hits + c.row_misses + c.row_conflicts == 4000);
        CHECK(now == Approx(c.row_hits * hit + c.row_misses * miss + c.row_conflicts * conflict).epsilon(1e-12));
        return std::make_pair(now, c);
    };
    const auto sequential = run(false);
    const auto random = run(true);
    // Sequential: 4 x 8 banks opened once each, the rest hit. Random over 1 GiB: nearly every
    // read finds another row open in its bank (the first touch of each of the 32 banks is a miss).
    CHECK(sequential.second.row_misses == 32);
    CHECK(sequential.second.row_conflicts == 0);
    CHECK(random.second.row_conflicts >= 0.95 * 4000);
    CHECK(random.first / sequential.first == Approx(conflict / hit).epsilon(0.02));  // 2% = the misses and hits left
}

TEST_CASE("dram: the closed-page policy turns conflicts into misses and hits into misses", "[modules][dram]") {
    auto m = make_dram("lpddr3-1600", false, "closed");
    double now = 0;
    for (int i = 0; i < 100; ++i) now = m->access(AccessRequest{false, std::uint64_t(i) * 32, 32, now, now});
    CHECK(m->counters().row_hits == 0);
    CHECK(m->counters().row_conflicts == 0);
    CHECK(m->counters().row_misses == 100);
}

TEST_CASE("dram: refresh blocks a rank for tRFC every tREFI and closes its rows", "[modules][dram]") {
    // A read arriving inside the first refresh window [tREFI, tREFI + tRFC) waits for its end,
    // then pays a miss; the same read without refresh is a row hit.
    const DramTiming t = dram_preset("lpddr3-1600");
    auto m = make_dram("lpddr3-1600");
    m->access(AccessRequest{false, 0, 32, 0, 0});  // opens the row
    const double arrival = t.trefi_ns + 10;
    const double done = m->access(AccessRequest{false, 0, 32, arrival, arrival});
    CHECK(done == Approx(t.trefi_ns + t.trfc_ns + t.trcd_ns + t.tcl_ns + t.burst_ns()));
    CHECK(m->counters().refreshes == 1);
    auto quiet = make_dram("lpddr3-1600", false);
    quiet->access(AccessRequest{false, 0, 32, 0, 0});
    CHECK(quiet->access(AccessRequest{false, 0, 32, arrival, arrival}) == Approx(arrival + t.tcl_ns + t.burst_ns()));
}

TEST_CASE("dram rram-m3d: writes hold the bank for the programming time, reads do not (asymmetric)", "[modules][dram]") {
    // Two accesses to different rows of one bank (bank stride = channels x row = 8 x 2 KiB):
    // after a read the second waits for nothing; after a write it waits tWR = 50 ns.
    const DramTiming t = dram_preset("rram-m3d");
    const std::uint64_t other_row = std::uint64_t(t.channels) * t.row_bytes * t.banks * t.ranks;
    auto after_read = make_dram("rram-m3d");
    const double r1 = after_read->access(AccessRequest{false, 0, 64, 0, 0});
    const double r2 = after_read->access(AccessRequest{false, other_row, 64, r1, r1});
    auto after_write = make_dram("rram-m3d");
    const double w1 = after_write->access(AccessRequest{true, 0, 64, 0, 0});
    const double w2 = after_write->access(AccessRequest{false, other_row, 64, w1, w1});
    CHECK(r2 - r1 == Approx(t.trp_ns + t.trcd_ns + t.tcl_ns + t.burst_ns()));
    CHECK(w2 - w1 == Approx(t.twr_ns + t.trp_ns + t.trcd_ns + t.tcl_ns + t.burst_ns()));
    CHECK(after_write->counters().refreshes == 0);
}

TEST_CASE("dram: presets and parameters from the registry, a parameter given overrides the preset",
          "[modules][dram]") {
    ModelSelection s = ModelRegistry::instance().defaults(ModelKind::Memory, "dram");
    s.parameters.set("preset", 1, "hbm2", true);
    s.parameters.set("trcd_ns", 30, "30", true);
    s.parameters.set("activate_energy_nj", 2, "2", true);
    ModelContext c;
    c.clock_mhz = kDramClockMhz;
    auto m = ModelRegistry::instance().create(ModelKind::Memory, s, c);
    const auto& dram = dynamic_cast<const DramMemoryModel&>(*m);
    CHECK(dram.timing().channels == 8);
    CHECK(dram.timing().trcd_ns == 30);
    CHECK(dram.timing().trp_ns == 14);
    CHECK(m->peak_bytes_per_cycle() == Approx(256));  // bytes per ns = per cycle at 1 GHz
    // A first read: miss = tRCD + tCL + one 64-byte burst (4 / 2 GT/s = 2 ns).
    CHECK(m->access(AccessRequest{false, 0, 64, 0, 0}) == Approx(30 + 14 + 2));
    CHECK(m->stats().energy_j == Approx(2e-9));  // one activate
}

TEST_CASE("dram: the configuration echo shows the figures the model runs with, not the 0 meaning the preset's",
          "[modules][dram]") {
    ModelSelection s = ModelRegistry::instance().defaults(ModelKind::Memory, "dram");
    s.parameters.set("preset", 1, "hbm2", true);
    s.parameters.set("trcd_ns", 30, "30", true);
    ModelContext context;
    context.clock_mhz = 1000;
    auto echo_of = [&](const ModelSelection& selection) {
        const auto model = ModelRegistry::instance().create(ModelKind::Memory, selection, context);
        return selection.parameters.with_values(dynamic_cast<const MemoryModel&>(*model).effective_parameters());
    };
    const ModelParameters echo = echo_of(s);
    const DramTiming hbm2 = dram_preset("hbm2");
    // Left to the preset: its figures, and still marked as not given.
    CHECK(s.parameters.integer("dram_channels") == 0);
    CHECK(echo.integer("dram_channels") == hbm2.channels);
    CHECK(echo.integer("bus_bits") == hbm2.bus_bits);
    CHECK(echo.number("data_rate_mtps") == hbm2.data_rate_mtps);
    CHECK(echo.number("trp_ns") == hbm2.trp_ns);
    CHECK(echo.number("trefi_ns") == hbm2.trefi_ns);
    CHECK_FALSE(echo.given("trp_ns"));
    // Given in the YAML: as given.
    CHECK(echo.number("trcd_ns") == 30);
    CHECK(echo.given("trcd_ns"));
    CHECK(echo.text("preset") == "hbm2");
    // refresh: false turns refresh off whatever the preset says; the echo's interval is then 0.
    s.parameters.set("refresh", 0, "false", true);
    CHECK(echo_of(s).number("trefi_ns") == 0);
}
