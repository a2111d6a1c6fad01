#include "modules/simulation/op_table.h"

#include <algorithm>
#include <functional>
#include <map>
#include <ostream>
#include <sstream>

#include "core/csv_table.h"
#include "core/csv_text.h"
#include "core/errors.h"
#include "core/number_text.h"

namespace acceltran {

namespace {

using workloads::BufferKind;
using workloads::UnitClass;

// One column of ops.csv: its header and how a row's field turns into text and back.
struct Column {
    std::string name;
    std::function<std::string(const OpRow&)> text;
    // False when `text` is not a valid value of the column.
    std::function<bool(OpRow&, const std::string&)> parse;
};

Column text_column(const std::string& name, std::string OpRow::*field) {
    return {name, [field](const OpRow& r) { return r.*field; },
            [field](OpRow& r, const std::string& s) {
                r.*field = s;
                return true;
            }};
}

Column real_column(const std::string& name, std::function<double&(OpRow&)> field) {
    return {name, [field](const OpRow& r) { return round_trip_text(field(const_cast<OpRow&>(r))); },
            [field](OpRow& r, const std::string& s) { return parse_number(s, field(r)); }};
}

template <typename Int>
Column integer_column(const std::string& name, std::function<Int&(OpRow&)> field) {
    return {name, [field](const OpRow& r) { return std::to_string(field(const_cast<OpRow&>(r))); },
            [field](OpRow& r, const std::string& s) {
                double v = 0;
                if (!parse_number(s, v) || v != double(Int(v))) return false;
                field(r) = Int(v);
                return true;
            }};
}

const std::vector<Column>& columns() {
    static const std::vector<Column> list = [] {
        std::vector<Column> c;
        c.push_back(text_column("op", &OpRow::op));
        c.push_back(integer_column<int>("layer", [](OpRow& r) -> int& { return r.layer; }));
        c.push_back(text_column("phase", &OpRow::phase));
        c.push_back(integer_column<int>("step", [](OpRow& r) -> int& { return r.step; }));
        c.push_back(text_column("kind", &OpRow::kind));
        c.push_back(text_column("category", &OpRow::category));
        c.push_back(text_column("shape", &OpRow::shape));
        c.push_back(text_column("unit", &OpRow::unit));
        c.push_back(real_column("start_cycle", [](OpRow& r) -> double& { return r.start_cycle; }));
        c.push_back(real_column("end_cycle", [](OpRow& r) -> double& { return r.end_cycle; }));
        c.push_back(real_column("critical_cycles", [](OpRow& r) -> double& { return r.critical_cycles; }));
        for (int u = 0; u < workloads::kUnitClasses; ++u)
            c.push_back(real_column(std::string("busy_") + workloads::to_string(UnitClass(u)) + "_unit_cycles",
                                    [u](OpRow& r) -> double& { return r.busy_unit_cycles[u]; }));
        c.push_back(real_column("dma_busy_channel_cycles", [](OpRow& r) -> double& { return r.dma_busy_channel_cycles; }));
        using U64 = std::uint64_t;
        c.push_back(integer_column<U64>("memory_read_bytes", [](OpRow& r) -> U64& { return r.memory_read_bytes; }));
        c.push_back(integer_column<U64>("memory_write_bytes", [](OpRow& r) -> U64& { return r.memory_write_bytes; }));
        c.push_back(integer_column<U64>("compute_read_bytes", [](OpRow& r) -> U64& { return r.compute_read_bytes; }));
        c.push_back(integer_column<U64>("compute_write_bytes", [](OpRow& r) -> U64& { return r.compute_write_bytes; }));
        for (int b = 0; b < workloads::kBufferKinds; ++b) {
            const std::string buffer = std::string(workloads::to_string(BufferKind(b))) + "_buffer";
            c.push_back(integer_column<U64>(buffer + "_read_bytes", [b](OpRow& r) -> U64& { return r.buffer_read_bytes[b]; }));
            c.push_back(integer_column<U64>(buffer + "_write_bytes", [b](OpRow& r) -> U64& { return r.buffer_write_bytes[b]; }));
        }
        c.push_back(integer_column<U64>("pre_sparsity_tiles", [](OpRow& r) -> U64& { return r.pre_sparsity_tiles; }));
        c.push_back(integer_column<U64>("post_sparsity_tiles", [](OpRow& r) -> U64& { return r.post_sparsity_tiles; }));
        c.push_back(integer_column<U64>("macs", [](OpRow& r) -> U64& { return r.macs; }));
        c.push_back(real_column("energy_j", [](OpRow& r) -> double& { return r.energy_j; }));
        c.push_back(real_column("utilization", [](OpRow& r) -> double& { return r.utilization; }));
        c.push_back(real_column("a_density", [](OpRow& r) -> double& { return r.a_density; }));
        c.push_back(real_column("b_density", [](OpRow& r) -> double& { return r.b_density; }));
        c.push_back(real_column("out_density", [](OpRow& r) -> double& { return r.out_density; }));
        return c;
    }();
    return list;
}

}  // namespace

void OpTable::write_csv(std::ostream& out) const {
    const auto& cols = columns();
    for (std::size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << cols[i].name;
    out << "\n";
    for (const OpRow& r : rows) {
        for (std::size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << csv_field(cols[i].text(r));
        out << "\n";
    }
}

OpTable OpTable::read_csv(const std::string& text, const std::string& path) {
    const auto& cols = columns();
    const CsvTable csv = CsvTable::parse(text, path);
    OpTable table;
    // Columns by their header position, so that a file with extra or reordered columns reads.
    std::map<std::string, int> known;
    for (std::size_t i = 0; i < cols.size(); ++i) known[cols[i].name] = int(i);
    std::vector<int> column_at;
    for (const auto& f : csv.header()) column_at.push_back(known.count(f) ? known[f] : -1);
    for (const auto& c : cols)
        if (!csv.column(c.name))
            throw InputError(path + ":1: header lacks column '" + c.name +
                             "' (expected the header acceltran run writes; docs/outputs.md, ops.csv)");
    for (std::size_t r = 0; r < csv.rows().size(); ++r) {
        const auto& fields = csv.rows()[r];
        OpRow row;
        for (std::size_t i = 0; i < fields.size(); ++i) {
            if (column_at[i] < 0) continue;
            const Column& c = cols[std::size_t(column_at[i])];
            if (!c.parse(row, fields[i]))
                throw InputError(path + ":" + std::to_string(csv.line(r)) + ": column '" + c.name + "' holds '" +
                                 fields[i] + "', expected a number");
        }
        table.rows.push_back(std::move(row));
    }
    return table;
}

}  // namespace acceltran
