#include "workloads/buffer_planner.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "core/errors.h"
#include "core/number_text.h"
#include "workloads/op_blocking.h"
#include "workloads/op_fusion.h"

namespace acceltran::workloads {

namespace {

constexpr int kNever = std::numeric_limits<int>::max();

// Walks the ops once, building the entries. Member names follow the header's vocabulary.
class Planner {
public:
    Planner(const OpGraph& graph, const CompileOptions& options, TiledProgram& program)
        : g_(graph), opt_(options), p_(program) {
        const std::size_t n = g_.tensors.size();
        resident_.assign(n, -1);
        ready_entry_.assign(n, -1);
        memory_deps_.assign(n, {});
        op_done_.assign(g_.ops.size(), {});
        p_.blocked.assign(g_.ops.size(), std::nullopt);
        in_memory_.assign(n, false);
        stored_results_.assign(n, {});
        stored_results_known_.assign(n, false);
        for (int b = 0; b < kBufferKinds; ++b) {
            buffers_[b].free_bytes = opt_.capacity[b];
            buffers_[b].pool.push_back(Chunk{opt_.capacity[b], {}});
        }
    }

    void run() {
        find_fused_chains();
        layout_tensors();
        if (g_.embedding_table >= 0) load_embedding_table();
        for (const Op& op : g_.ops) {
            current_op_ = &op;
            plan_op(op);
        }
    }

private:
    struct Chunk {
        std::uint64_t bytes;
        std::vector<std::uint32_t> deps;
    };
    struct BufferState {
        std::deque<Chunk> pool;  // released space, oldest first
        std::uint64_t free_bytes = 0;
    };

    // The chains mapping directives fuse (OpDirective::fuse, op_fusion.h), by producer. A mapping
    // file checks them first (mapping_file.cpp); this guards directives made in code.
    void find_fused_chains() {
        chain_of_.assign(g_.ops.size(), -1);
        fused_done_.assign(g_.ops.size(), false);
        for (const Op& op : g_.ops) {
            const OpDirective* d = directive_of(op);
            if (!d || !d->fuse) continue;
            std::string why;
            FusedChain chain = fusion_chain_of(g_, op, why);
            if (chain.producer < 0)
                throw InputError((d->origin.empty() ? std::string() : d->origin + ": ") + "op '" + op.name +
                                 "' cannot be fused into its producer: " + why);
            if (chain_of_[std::size_t(chain.producer)] >= 0)
                throw InputError("op '" + op.name + "': its producer '" + g_.ops[std::size_t(chain.producer)].name +
                                 "' already has a fused consumer");
            chain_of_[std::size_t(chain.producer)] = int(chains_.size());
            chains_.push_back(std::move(chain));
        }
    }

    void layout_tensors() {
        p_.layouts.resize(g_.tensors.size());
        std::uint64_t address = 0;
        auto align = [](std::uint64_t a) { return (a + 63) & ~std::uint64_t(63); };
        for (const Tensor& t : g_.tensors) {
            TensorLayout& l = p_.layouts[t.id];
            const bool parameter = t.kind == TensorKind::Weight;
            l.buffer = parameter ? BufferKind::Weight : BufferKind::Activation;
            // Parameters and the embedding rows they come from are pruned offline; activations
            // carry the run-time activation sparsity, and so do the cached K/V rows of decode
            // steps a sampled generation leaves out (inputs here, activations when computed).
            const bool activation = t.kind == TensorKind::Activation || t.cache != CacheRole::None;
            l.density = activation ? opt_.activation_density : opt_.weight_density;
            if (std::size_t(t.id) < opt_.tensor_density.size()) l.density = opt_.tensor_density[std::size_t(t.id)];
            l.element_bits = opt_.element_bits;
            l.masked = opt_.masks;
            // CompileOptions::batched_weights: a layer's weight is held once per batch entry, as
            // the original simulator's (batch, in, out) weights.
            const std::uint64_t copies =
                opt_.batched_weights && parameter && t.layer >= 0 ? std::uint64_t(g_.batch) : 1;
            l.copies = copies;
            const std::uint64_t elements = std::uint64_t(t.elements()) * copies;
            l.data_bytes = compressed_bytes(elements, l.density, l.element_bits);
            l.mask_bytes = opt_.mask_bytes_of(elements);
            // Every tensor has a home in main memory: parameters and inputs live there, and an
            // activation's home is where it goes when spilled or written back.
            l.memory_address = address;
            address = align(address + l.data_bytes + l.mask_bytes);
            in_memory_[t.id] = t.kind != TensorKind::Activation;
        }
    }

    int next_use(int tensor, int after_op) const {
        const auto& c = g_.consumers[tensor];
        auto it = std::upper_bound(c.begin(), c.end(), after_op);
        return it == c.end() ? kNever : *it;
    }

    bool is_output(int tensor) const {
        return std::find(g_.outputs.begin(), g_.outputs.end(), tensor) != g_.outputs.end();
    }

    std::uint32_t add_entry(ProgramEntry e) {
        if (opt_.in_order_memory && e.kind != EntryKind::Compute) in_order(e);
        std::sort(e.deps.begin(), e.deps.end());
        e.deps.erase(std::unique(e.deps.begin(), e.deps.end()), e.deps.end());
        p_.entries.push_back(std::move(e));
        const auto id = std::uint32_t(p_.entries.size() - 1);
        if (p_.entries[id].kind != EntryKind::Compute) last_memory_entry_ = int(id);
        return id;
    }

    // CompileOptions::in_order_memory, the original simulator's memory stream (`simulate()` in
    // its src/simulator.py): one memory op at a time in program order (every op also loads or
    // stores the mask buffer, whose `ready` flag lets one through at a time), and in that stream
    // each matmul's and softmax's result is stored after the op, the store waiting for it
    // (`get_last_compute_op()`). So a memory entry waits for the one before it, and a load for
    // the matmul and softmax results its consumer depends on.
    void in_order(ProgramEntry& e) {
        if (last_memory_entry_ >= 0) e.deps.push_back(std::uint32_t(last_memory_entry_));
        if (e.kind != EntryKind::Load || current_op_ == nullptr) return;
        for (int t : current_op_->inputs()) {
            const std::vector<std::uint32_t>& r = stored_results(t);
            e.deps.insert(e.deps.end(), r.begin(), r.end());
        }
    }

    // The compute entries of the latest matmul and softmax results `tensor` derives from: its
    // producer's when that is a matmul or softmax, else theirs for the producer's inputs (the
    // original stores no layer-norm or non-linearity result, and has no adds). Empty for weights
    // and inputs.
    const std::vector<std::uint32_t>& stored_results(int tensor) {
        std::vector<std::uint32_t>& r = stored_results_[std::size_t(tensor)];
        if (stored_results_known_[std::size_t(tensor)]) return r;
        stored_results_known_[std::size_t(tensor)] = true;
        const int producer = g_.producer[std::size_t(tensor)];
        if (producer < 0) return r;
        const Op& o = g_.ops[std::size_t(producer)];
        std::vector<std::uint32_t> found;
        if (o.kind == OpKind::MatMul || o.kind == OpKind::Softmax) {
            found = op_done_[std::size_t(producer)];
        } else {
            for (int t : o.inputs()) {
                const std::vector<std::uint32_t>& more = stored_results(t);
                found.insert(found.end(), more.begin(), more.end());
            }
            std::sort(found.begin(), found.end());
            found.erase(std::unique(found.begin(), found.end()), found.end());
        }
        stored_results_[std::size_t(tensor)] = std::move(found);
        return stored_results_[std::size_t(tensor)];
    }

    // OpGraph::embedding_table (CompileOptions::embedding_table): the whole table is the first
    // entry, into the weight buffer, and stays there to the end (a pinned residency, never
    // evicted or released), as the original's `emb` load with `required_in_buffer`.
    void load_embedding_table() {
        const int t = g_.embedding_table;
        const TensorLayout& l = p_.layouts[std::size_t(t)];
        for (BufferKind b : {l.buffer, BufferKind::Mask}) {
            const std::uint64_t bytes = b == BufferKind::Mask ? l.mask_bytes : l.data_bytes;
            if (bytes > opt_.capacity[int(b)])
                throw InputError("--compat embedding_table: the embedding table '" + g_.tensors[std::size_t(t)].name +
                                 "' (" + std::to_string(g_.tensors[std::size_t(t)].rows) + " x " +
                                 std::to_string(g_.tensors[std::size_t(t)].cols) + ") needs " + byte_count_text(bytes) +
                                 " in the " + opt_.buffer_name(b) + " buffer, which holds " +
                                 byte_count_text(opt_.capacity[int(b)]) + " (raise " + opt_.size_key_of(b) + ")");
            BufferState& s = buffers_[int(b)];
            s.pool.front().bytes -= bytes;  // the first entry: the pool is one chunk of the whole buffer
            s.free_bytes -= bytes;
        }
        ProgramEntry e;
        e.kind = EntryKind::Load;
        e.tensor = t;
        e.data_bytes = l.data_bytes;
        e.mask_bytes = l.mask_bytes;
        table_entry_ = add_entry(std::move(e));
        const int id = int(add_residency(t, l.buffer, l.data_bytes, l.mask_bytes, table_entry_));
        p_.residencies[std::size_t(id)].pinned = true;
        use(table_entry_, id);
        ready_entry_[std::size_t(t)] = int(table_entry_);
        p_.totals.load_entries++;
        p_.totals.load_bytes += l.data_bytes + l.mask_bytes;
    }

    // Rows the tokens select, taken from the resident embedding table on chip rather than loaded.
    bool from_table(int tensor) const { return g_.embedding_table >= 0 && g_.tensors[std::size_t(tensor)].gathered; }

    void use(std::uint32_t entry, int residency) {
        p_.entries[entry].uses.push_back(std::uint32_t(residency));
        users_[residency].push_back(entry);
        p_.residencies[residency].users++;
    }

    // Frees a residency's space; whoever takes it waits for every entry that used it.
    void release(int tensor) {
        int r = resident_[tensor];
        const Residency& res = p_.residencies[r];
        give_back(res.buffer, res.data_bytes, users_[r]);
        give_back(BufferKind::Mask, res.mask_bytes, users_[r]);
        resident_[tensor] = -1;
        resident_list_.erase(std::find(resident_list_.begin(), resident_list_.end(), tensor));
    }

    void give_back(BufferKind b, std::uint64_t bytes, const std::vector<std::uint32_t>& deps) {
        if (bytes == 0) return;
        BufferState& s = buffers_[int(b)];
        s.pool.push_back(Chunk{bytes, deps});
        s.free_bytes += bytes;
    }

    // Writes a resident tensor home; its space stays taken until the spill has read it.
    void spill(int tensor) {
        ProgramEntry spill;
        spill.kind = EntryKind::Spill;
        spill.tensor = tensor;
        spill.data_bytes = p_.layouts[tensor].data_bytes;
        spill.mask_bytes = p_.layouts[tensor].mask_bytes;
        spill.deps = {std::uint32_t(ready_entry_[tensor])};
        std::uint32_t id = add_entry(std::move(spill));
        use(id, resident_[tensor]);
        in_memory_[tensor] = true;
        memory_deps_[tensor] = {id};
        p_.totals.spill_entries++;
        p_.totals.store_bytes += p_.layouts[tensor].data_bytes + p_.layouts[tensor].mask_bytes;
    }

    void evict(int tensor, int current_op) {
        if (next_use(tensor, current_op) != kNever && !in_memory_[tensor]) spill(tensor);
        release(tensor);
    }

    // Takes `bytes` of buffer `b` for `tensor`, evicting (furthest next use first) what `pinned`
    // does not protect; returns the entries the new occupant must wait for.
    void reserve(BufferKind b, std::uint64_t bytes, int tensor, const Op& op, const std::vector<int>& pinned,
                 std::vector<std::uint32_t>& deps) {
        BufferState& s = buffers_[int(b)];
        while (s.free_bytes < bytes) {
            int victim = -1, victim_use = -1;
            for (int t : resident_list_) {
                if (std::find(pinned.begin(), pinned.end(), t) != pinned.end()) continue;
                if (b != BufferKind::Mask && p_.layouts[t].buffer != b) continue;
                int u = next_use(t, op.id);
                if (u > victim_use) {
                    victim_use = u;
                    victim = t;
                }
            }
            if (victim < 0) throw InputError(no_room_message(b, bytes, tensor, op));
            evict(victim, op.id);
        }
        std::uint64_t need = bytes;
        while (need > 0) {
            Chunk& c = s.pool.front();
            std::uint64_t take = std::min(need, c.bytes);
            deps.insert(deps.end(), c.deps.begin(), c.deps.end());
            c.bytes -= take;
            need -= take;
            if (c.bytes == 0) s.pool.pop_front();
        }
        s.free_bytes -= bytes;
    }

    // Nothing left to evict: every occupant of `b` is an operand or the output of `op`. Names
    // them with the bytes each holds (a parked partial sum holds its dense size, more than its
    // layout), so that the figures add up to the capacity.
    std::string no_room_message(BufferKind b, std::uint64_t bytes, int tensor, const Op& op) const {
        std::vector<std::pair<std::uint64_t, int>> occupants;
        for (int t : resident_list_) {
            const Residency& r = p_.residencies[resident_[t]];
            const std::uint64_t held = b == BufferKind::Mask ? r.mask_bytes : r.buffer == b ? r.data_bytes : 0;
            if (held > 0) occupants.emplace_back(held, t);
        }
        std::sort(occupants.rbegin(), occupants.rend());
        std::string held_by;
        for (std::size_t i = 0; i < occupants.size(); ++i) {
            if (i == 4 && occupants.size() > 5) {
                held_by += ", and " + std::to_string(occupants.size() - 4) + " more";
                break;
            }
            held_by += std::string(i ? ", " : "") + "'" + g_.tensors[occupants[i].second].name + "' " +
                       byte_count_text(occupants[i].first);
        }
        std::string message = "op '" + op.name + "' does not fit in the " + opt_.buffer_name(b) + " buffer, which holds " +
                              byte_count_text(opt_.capacity[int(b)]) + ": its " + (tensor == op.output ? "output '" : "operand '") +
                              g_.tensors[tensor].name + "' needs " + byte_count_text(bytes) + ", ";
        message += occupants.empty() ? std::string("and nothing can be evicted")
                                     : "while the op's own operands and output, which must stay, hold " + held_by;
        return message + "; " + byte_count_text(buffers_[int(b)].free_bytes) + " free (raise " + opt_.size_key_of(b) +
               " or use a smaller sequence or batch)";
    }

    int new_residency(int tensor, std::uint32_t entry, std::uint64_t data_bytes) {
        const TensorLayout& l = p_.layouts[tensor];
        Residency r;
        r.tensor = tensor;
        r.buffer = l.buffer;
        r.data_bytes = data_bytes;
        r.mask_bytes = l.mask_bytes;
        p_.residencies.push_back(r);
        users_.emplace_back();
        int id = int(p_.residencies.size() - 1);
        p_.entries[entry].allocates.push_back(std::uint32_t(id));
        resident_[tensor] = id;
        resident_list_.push_back(tensor);
        return id;
    }

    void check_fits(const Op& op, int tensor) const {
        const TensorLayout& l = p_.layouts[tensor];
        if (l.data_bytes > opt_.capacity[int(l.buffer)] || l.mask_bytes > opt_.capacity[int(BufferKind::Mask)]) {
            const bool data = l.data_bytes > opt_.capacity[int(l.buffer)];
            BufferKind b = data ? l.buffer : BufferKind::Mask;
            throw InputError("tensor '" + g_.tensors[tensor].name + "' of op '" + op.name + "' needs " +
                             byte_count_text(data ? l.data_bytes : l.mask_bytes) + " in the " + opt_.buffer_name(b) +
                             " buffer, which holds " + byte_count_text(opt_.capacity[int(b)]) + " (raise " +
                             opt_.size_key_of(b) + " or use a smaller sequence or batch)");
        }
    }

    // A load from a tensor's home waits for whatever wrote it there, and the rows of a token
    // sampled from earlier logits cannot be fetched before those exist.
    void wait_for_home(int tensor, std::vector<std::uint32_t>& deps) const {
        deps.insert(deps.end(), memory_deps_[tensor].begin(), memory_deps_[tensor].end());
        for (int op_id : g_.tensors[tensor].known_after)
            deps.insert(deps.end(), op_done_[std::size_t(op_id)].begin(), op_done_[std::size_t(op_id)].end());
    }

    void load(int tensor, const Op& op, const std::vector<int>& pinned) {
        check_fits(op, tensor);
        const TensorLayout& l = p_.layouts[tensor];
        ProgramEntry e;
        e.kind = EntryKind::Load;
        e.tensor = tensor;
        e.data_bytes = l.data_bytes;
        e.mask_bytes = l.mask_bytes;
        reserve(l.buffer, l.data_bytes, tensor, op, pinned, e.deps);
        reserve(BufferKind::Mask, l.mask_bytes, tensor, op, pinned, e.deps);
        wait_for_home(tensor, e.deps);
        std::uint32_t id = add_entry(std::move(e));
        int r = new_residency(tensor, id, l.data_bytes);
        use(id, r);
        ready_entry_[tensor] = int(id);
        p_.totals.load_entries++;
        p_.totals.load_bytes += l.data_bytes + l.mask_bytes;
    }

    const OpDirective* directive_of(const Op& op) const {
        return std::size_t(op.id) < opt_.op_directives.size() ? &opt_.op_directives[std::size_t(op.id)] : nullptr;
    }
    TileShape tile_of(const Op& op) const {
        const OpDirective* d = directive_of(op);
        return d && d->tile ? *d->tile : opt_.tile;
    }
    LoopOrder loop_order_of(const Op& op) const {
        const OpDirective* d = directive_of(op);
        return d && d->loop_order ? *d->loop_order : opt_.loop_order;
    }
    // The compute entry of an op over `grid` (the whole op's, or one main-memory block's).
    ProgramEntry compute_entry(const Op& op, const TileGrid& grid) const {
        ProgramEntry e;
        e.kind = EntryKind::Compute;
        e.op = op.id;
        e.unit = opt_.unit_of(op.kind);
        e.grid = grid;
        e.loop_order = loop_order_of(op);
        return e;
    }

    // Bytes a tensor takes on chip: its residency's when resident (a parked partial sum is
    // dense), else its layout's.
    std::pair<std::uint64_t, std::uint64_t> held_bytes(int tensor) const {
        if (resident_[tensor] >= 0) {
            const Residency& r = p_.residencies[resident_[tensor]];
            return {r.data_bytes, r.mask_bytes};
        }
        return {p_.layouts[tensor].data_bytes, p_.layouts[tensor].mask_bytes};
    }

    // Whether the op's operands and output fit the buffers together, as plan_whole needs them
    // (an element-wise op running in place adds nothing for its output).
    bool fits_whole(const Op& op, std::uint64_t out_bytes) const {
        std::uint64_t need[kBufferKinds] = {};
        const std::vector<int> inputs = op.inputs();
        for (int t : inputs) {
            const auto [data, mask] = held_bytes(t);
            need[int(p_.layouts[t].buffer)] += data;
            need[int(BufferKind::Mask)] += mask;
        }
        const TensorLayout& out = p_.layouts[op.output];
        if (in_place_input(op, out_bytes) < 0) {
            need[int(out.buffer)] += out_bytes;
            need[int(BufferKind::Mask)] += out.mask_bytes;
        }
        for (int b = 0; b < kBufferKinds; ++b)
            if (need[b] > opt_.capacity[b]) return false;
        return true;
    }

    // The output bytes a whole op reserves: dense when a unit parks partial sums in it (k not the
    // innermost loop), else its layout's.
    std::uint64_t whole_output_bytes(const Op& op, const TileGrid& grid, const LoopOrder& order) const {
        const TensorLayout& out = p_.layouts[op.output];
        const bool parks_partial_sums = grid.matmul && grid.nk > 1 && order.letters()[3] != 'k';
        return parks_partial_sums ? std::max(out.data_bytes, compressed_bytes(std::uint64_t(g_.tensors[op.output].elements()),
                                                                              1.0, out.element_bits))
                                  : out.data_bytes;
    }

    // An op runs whole unless its mapping blocks it or it does not fit whole; then block by block.
    // The inputs of a chain's ops other than the tensors the chain passes along (a fused add's
    // residual, the earlier of SwiGLU's two matmuls), and the tensors it also stores
    // (FusedChain::stored), whose slice stays beside the next op's output until it is stored:
    // each holds a row slice of the output's shape beside the kept rows.
    std::vector<int> side_inputs(const FusedChain& chain) const {
        std::vector<int> side = chain.stored;
        int carried = g_.ops[std::size_t(chain.producer)].output;
        for (int c : chain.consumers) {
            const Op& o = g_.ops[std::size_t(c)];
            for (int t : o.inputs())
                if (t != carried) side.push_back(t);
            carried = o.output;
        }
        return side;
    }

    // A matmul with a fused chain (OpDirective::fuse) that runs in blocks takes its consumers
    // along, row block by row block, its output rows kept whole on chip (keep_output_rows); one
    // that runs whole leaves its output on chip anyway, and its consumers are planned as usual
    // when their turn comes.
    void plan_op(const Op& op) {
        if (fused_done_[std::size_t(op.id)]) return;
        const OpDirective* d = directive_of(op);
        const TileShape tile = tile_of(op);
        const LoopOrder order = loop_order_of(op);
        const std::string origin = d ? d->origin : std::string();
        const FusedChain* chain = chain_of_[std::size_t(op.id)] >= 0 ? &chains_[std::size_t(chain_of_[std::size_t(op.id)])] : nullptr;
        if (d && d->k_parts > 1) check_k_parts(op, *d, chain, order);
        if (d && d->block) {
            OpBlocking blocking(g_, op, p_.layouts, opt_, tile, order);
            if (chain) blocking.keep_output_rows(g_.ops[std::size_t(chain->consumers.back())].name, side_inputs(*chain));
            const MemoryBlock block = blocking.resolve(*d->block, origin);
            if (chain && block.columns_outer)
                throw InputError(origin + ": op '" + op.name + "': order columns_outer: '" +
                                 g_.ops[std::size_t(chain->consumers.back())].name +
                                 "' is fused into it and needs each row block's whole output rows on chip at once, "
                                 "which only rows_outer gives");
            if (!blocking.whole(block)) return plan_blocked(op, blocking.settle(block, origin), blocking, chain);
        } else if (!fits_whole(op, whole_output_bytes(op, make_tile_grid(op, tile), order))) {
            OpBlocking blocking(g_, op, p_.layouts, opt_, tile, order);
            if (chain) blocking.keep_output_rows(g_.ops[std::size_t(chain->consumers.back())].name, side_inputs(*chain));
            return plan_blocked(op, blocking.choose(), blocking, chain);
        }
        if (origin.empty()) return plan_whole(op);
        try {
            plan_whole(op);
        } catch (const InputError& e) {
            throw InputError(origin + ": " + e.what());
        }
    }

    // A k split across units (OpDirective::k_parts, docs/mapping.md §1.2) runs on a whole matmul
    // of the AccelTran template: InputError naming the directive's origin otherwise.
    void check_k_parts(const Op& op, const OpDirective& d, const FusedChain* chain, const LoopOrder& order) const {
        const std::string where = (d.origin.empty() ? std::string() : d.origin + ": ") + "op '" + op.name + "': spatial k_parts " +
                                  std::to_string(d.k_parts) + ": ";
        const TileGrid grid = make_tile_grid(op, tile_of(op));
        if (op.kind != OpKind::MatMul) throw InputError(where + "only a matmul has a reduction k to split");
        if (d.k_parts > grid.nk)
            throw InputError(where + "at most " + std::to_string(grid.nk) + ", the op's k tiles (k " + std::to_string(op.k) +
                             " in tiles of " + std::to_string(grid.shape.y) + ")");
        if (!opt_.split_weights || opt_.unit_of(OpKind::MatMul) != UnitClass::MacLane)
            throw InputError(where + "the Gemmini template sums partial products in its accumulator and has no "
                                     "reduction pass on MAC lanes; k parts run on the AccelTran template only");
        if (op.causal.on)
            throw InputError(where + "a causal mask is not supported with k parts yet (its masked tiles differ "
                                     "from part to part)");
        if (chain)
            throw InputError(where + "'" + g_.ops[std::size_t(chain->consumers.back())].name +
                             "' is fused into it, which runs the op in main-memory blocks; k parts need the op whole");
        if (d.block)
            throw InputError(where + "k parts run the op whole; a `block` cannot be combined with them yet");
        if (!fits_whole(op, whole_output_bytes(op, grid, order)))
            throw InputError(where + "the op does not fit the buffers whole, and k parts run it whole (give no "
                                     "spatial entry, or a block without k parts)");
    }

    // A space for one block's slice of a tensor, allocated by `entry` and not the tensor's
    // residency (the tensor itself stays in main memory).
    std::uint32_t slice_residency(const OpBlocking::Slice& s, std::uint32_t entry) {
        const std::uint32_t id = add_residency(s.tensor, s.buffer, s.data_bytes, s.mask_bytes, entry);
        p_.residencies[id].slice = true;
        return id;
    }

    // A residency of `tensor` that `entry` allocates when it starts: a block's slice, or the
    // pinned embedding table (CompileOptions::embedding_table).
    std::uint32_t add_residency(int tensor, BufferKind buffer, std::uint64_t data_bytes, std::uint64_t mask_bytes,
                                std::uint32_t entry) {
        Residency r;
        r.tensor = tensor;
        r.buffer = buffer;
        r.data_bytes = data_bytes;
        r.mask_bytes = mask_bytes;
        p_.residencies.push_back(r);
        users_.emplace_back();
        const auto id = std::uint32_t(p_.residencies.size() - 1);
        p_.entries[entry].allocates.push_back(id);
        return id;
    }

    void release_slice(std::uint32_t residency) {
        const Residency& r = p_.residencies[residency];
        give_back(r.buffer, r.data_bytes, users_[residency]);
        give_back(BufferKind::Mask, r.mask_bytes, users_[residency]);
    }

    // A load or store of one block's slice between its tensor's home and the buffers.
    static ProgramEntry slice_transfer(EntryKind kind, const OpBlocking::Slice& s) {
        ProgramEntry e;
        e.kind = kind;
        e.tensor = s.tensor;
        e.data_bytes = s.data_bytes;
        e.mask_bytes = s.mask_bytes;
        e.memory_offset = s.memory_offset;
        return e;
    }

    // Loads one block's slice of a tensor from its home; returns {residency, load entry}.
    std::pair<std::uint32_t, std::uint32_t> load_slice(const OpBlocking::Slice& s, const Op& op,
                                                        const std::vector<int>& pinned) {
        ProgramEntry e = slice_transfer(EntryKind::Load, s);
        reserve(s.buffer, s.data_bytes, s.tensor, op, pinned, e.deps);
        reserve(BufferKind::Mask, s.mask_bytes, s.tensor, op, pinned, e.deps);
        wait_for_home(s.tensor, e.deps);
        const std::uint32_t id = add_entry(std::move(e));
        const std::uint32_t r = slice_residency(s, id);
        use(id, int(r));
        p_.totals.load_entries++;
        p_.totals.load_bytes += s.data_bytes + s.mask_bytes;
        return {r, id};
    }

    // Main-memory blocking inside the op (op_blocking.h): rows outer, columns inner. Each row
    // block of a matmul loads its slices of the A operands (and of a batched B), each (row,
    // column) block its columns of a weight B unless the weight is kept whole (or an
    // element-wise op's input slices), computes, and stores its output slice home. The op's
    // output ends in main memory, where its consumers load it from.
    //
    // With a fused chain, each block's output slice stays on chip and each op of the chain runs on
    // it in turn (its own compute entry on its own unit class, over the block's rows), loading
    // only its other inputs' slices (the residual of a fused add); only the last op's output
    // slice is stored. An op of the chain overwrites the slice in place when its output takes the
    // same bytes (CompileOptions::in_place_elementwise), else takes a slice of its own.
    void plan_blocked(const Op& op, const BlockedOp& choice, const OpBlocking& blocking,
                      const FusedChain* chain = nullptr) {
        p_.blocked[std::size_t(op.id)] = choice;
        const std::vector<int> inputs = op.inputs();
        std::vector<OpBlocking> fused;  // one per op of the chain
        std::vector<std::vector<int>> fused_inputs;  // their inputs other than the chain's own tensors
        std::vector<std::vector<std::uint32_t>> fused_computes;
        std::vector<std::vector<std::uint32_t>> along_stores;  // per op of the chain: its stores when it is stored along
        if (chain) {
            int carried = op.output;
            for (int c : chain->consumers) {
                const Op& o = g_.ops[std::size_t(c)];
                fused.emplace_back(g_, o, p_.layouts, opt_, tile_of(o), loop_order_of(o));
                fused_inputs.emplace_back();
                for (int t : o.inputs())
                    if (t != carried) fused_inputs.back().push_back(t);
                carried = o.output;
            }
            fused_computes.resize(fused.size());
            along_stores.resize(fused.size());
        }
        for (int t : inputs)
            if (from_table(t))
                throw InputError("op '" + op.name + "' reads the embedding rows '" + g_.tensors[std::size_t(t)].name +
                                 "' and does not fit the buffers whole; --compat embedding_table takes the rows from "
                                 "the table on chip only for ops that run whole (use a smaller sequence or batch)");
        for (int t : inputs)
            if (resident_[t] >= 0 && !in_memory_[t]) spill(t);
        for (const std::vector<int>& more : fused_inputs)
            for (int t : more)
                if (resident_[t] >= 0 && !in_memory_[t]) spill(t);
        std::vector<int> pinned;
        int weight_residency = -1;
        std::vector<std::uint32_t> weight_ready;
        if (choice.weight_whole) {
            pinned.push_back(op.b_input);
            if (resident_[op.b_input] < 0) load(op.b_input, op, pinned);
            weight_residency = resident_[op.b_input];
            weight_ready = {std::uint32_t(ready_entry_[op.b_input])};
        }
        std::vector<std::uint32_t> computes, stores;
        int chain_result = -1;                     // the chain's result when it stays on chip
        int result_residency = -1;
        std::vector<std::uint32_t> result_space;   // what its space waits for
        std::vector<std::uint32_t> result_writes;  // the computes that write it
        std::size_t finishes_left = 0;
        // With a chain, each op of it on the output slice `held` (written by `after`), then the
        // store of the last result; without, the store of the block's output.
        const auto finish = [&](const OpBlocking::Range& block, const std::vector<std::uint32_t>& after,
                                std::uint32_t held, OpBlocking::Slice held_slice) {
            std::vector<std::uint32_t> last = after;
            bool held_stored = false;  // the held slice is being stored along: not overwritten in place
            for (std::size_t i = 0; i < fused.size(); ++i) {
                const Op& o = g_.ops[std::size_t(chain->consumers[i])];
                ProgramEntry ce = compute_entry(o, fused[i].grid(block));
                ce.deps = last;
                std::vector<std::uint32_t> more_residencies;
                for (const OpBlocking::Slice& s : fused[i].block_slices(block, false)) {
                    if (std::find(fused_inputs[i].begin(), fused_inputs[i].end(), s.tensor) == fused_inputs[i].end())
                        continue;
                    const auto [r, entry] = load_slice(s, o, pinned);
                    more_residencies.push_back(r);
                    ce.deps.push_back(entry);
                }
                const OpBlocking::Slice o_out = fused[i].output_slice(block);
                const bool into_result = chain_result >= 0 && i + 1 == fused.size();
                const bool in_place = !into_result && !held_stored && opt_.in_place_elementwise && o_out.buffer == held_slice.buffer &&
                                      o_out.data_bytes == held_slice.data_bytes && o_out.mask_bytes == held_slice.mask_bytes;
                if (into_result) {
                    ce.deps.insert(ce.deps.end(), result_space.begin(), result_space.end());
                    if (--finishes_left == 0) ce.deps.insert(ce.deps.end(), result_writes.begin(), result_writes.end());
                } else if (!in_place) {
                    reserve(o_out.buffer, o_out.data_bytes, o.output, o, pinned, ce.deps);
                    reserve(BufferKind::Mask, o_out.mask_bytes, o.output, o, pinned, ce.deps);
                }
                p_.totals.compute_entries++;
                p_.totals.tile_ops += ce.grid.tiles();
                const std::uint32_t cid = add_entry(std::move(ce));
                use(cid, int(held));
                for (std::uint32_t r : more_residencies) use(cid, int(r));
                if (into_result) {
                    if (result_residency < 0) result_residency = new_residency(chain_result, cid, p_.layouts[std::size_t(chain_result)].data_bytes);
                    use(cid, result_residency);
                    release_slice(held);
                    for (std::uint32_t r : more_residencies) release_slice(r);
                    fused_computes[i].push_back(cid);
                    result_writes.push_back(cid);
                    return;
                }
                const std::uint32_t o_res = in_place ? held : slice_residency(o_out, cid);
                if (!in_place) {
                    use(cid, int(o_res));
                    release_slice(held);
                }
                for (std::uint32_t r : more_residencies) release_slice(r);
                fused_computes[i].push_back(cid);
                last = {cid};
                held = o_res;
                held_slice = o_out;
                held_stored = std::find(chain->stored.begin(), chain->stored.end(), o.output) != chain->stored.end();
                if (held_stored) {
                    // Read by ops outside the chain too: the slice also goes home, beside the next op.
                    ProgramEntry st = slice_transfer(EntryKind::Store, o_out);
                    st.deps = {cid};
                    const std::uint32_t sid = add_entry(std::move(st));
                    use(sid, int(held));
                    p_.totals.store_entries++;
                    p_.totals.store_bytes += o_out.data_bytes + o_out.mask_bytes;
                    along_stores[i].push_back(sid);
                }
            }
            // A slice held dense for partial sums (OpBlocking::parks_partial_sums) is finished
            // when it is stored: it goes home at its tensor's density, as a whole op's output does.
            OpBlocking::Slice home = held_slice;
            const TensorLayout& layout = p_.layouts[std::size_t(home.tensor)];
            home.data_bytes = compressed_bytes(home.elements, layout.density, layout.element_bits);
            ProgramEntry st = slice_transfer(EntryKind::Store, home);
            st.deps = last;
            const std::uint32_t sid = add_entry(std::move(st));
            use(sid, int(held));
            p_.totals.store_entries++;
            p_.totals.store_bytes += home.data_bytes + home.mask_bytes;
            release_slice(held);
            stores.push_back(sid);
        };
        const bool rows_kept = blocking.output_rows_kept();
        const std::vector<OpBlocking::Range> row_blocks = blocking.row_ranges(choice.block);
        if (chain) {
            // The chain's result stays on chip, as an unfused consumer's would, when it fits
            // beside the blocks; each block's last op writes its rows, and the last of them waits
            // for the others so that the result is ready when it is.
            const int result = g_.ops[std::size_t(chain->consumers.back())].output;
            const TensorLayout& l = p_.layouts[std::size_t(result)];
            std::vector<std::uint64_t> bytes =
                blocking.block_bytes(choice.block, choice.double_buffered ? 2 : 1, choice.weight_whole);
            bytes[std::size_t(l.buffer)] += l.data_bytes;
            bytes[std::size_t(BufferKind::Mask)] += l.mask_bytes;
            bool fits = true;
            for (int b = 0; b < kBufferKinds; ++b) fits = fits && bytes[std::size_t(b)] <= opt_.capacity[b];
            if (fits) {
                chain_result = result;
                pinned.push_back(result);
                reserve(l.buffer, l.data_bytes, result, op, pinned, result_space);
                reserve(BufferKind::Mask, l.mask_bytes, result, op, pinned, result_space);
                finishes_left = row_blocks.size() * (rows_kept ? 1 : blocking.column_ranges(choice.block, row_blocks.front()).size());
            }
        }
        if (choice.block.columns_outer && !chain) {
            // Columns outer (MemoryBlock::columns_outer): each column block's slice of a weight
            // is loaded once and kept across the row blocks, whose slices of the A operands are
            // loaded again for every column block.
            for (const OpBlocking::Range& columns : blocking.column_ranges(choice.block, row_blocks.front())) {
                std::vector<std::uint32_t> column_residencies, column_loads;
                if (blocking.weight_matmul() && !choice.weight_whole) {
                    const auto [r, entry] = load_slice(blocking.weight_slice(columns), op, pinned);
                    column_residencies.push_back(r);
                    column_loads.push_back(entry);
                }
                for (const OpBlocking::Range& rows : row_blocks) {
                    OpBlocking::Range block = rows;
                    block.c0 = columns.c0;
                    block.nc = columns.nc;
                    ProgramEntry e = compute_entry(op, blocking.grid(block));
                    e.deps = column_loads;
                    e.deps.insert(e.deps.end(), weight_ready.begin(), weight_ready.end());
                    std::vector<std::uint32_t> block_residencies;
                    std::vector<OpBlocking::Slice> slices = blocking.row_slices(rows);
                    if (op.kind != OpKind::MatMul)  // an element-wise op's input slices
                        for (const OpBlocking::Slice& s : blocking.block_slices(block, true)) slices.push_back(s);
                    for (const OpBlocking::Slice& s : slices) {
                        const auto [r, entry] = load_slice(s, op, pinned);
                        block_residencies.push_back(r);
                        e.deps.push_back(entry);
                    }
                    const OpBlocking::Slice out = blocking.output_slice(block);
                    std::vector<std::uint32_t> out_space;
                    reserve(out.buffer, out.data_bytes, op.output, op, pinned, out_space);
                    reserve(BufferKind::Mask, out.mask_bytes, op.output, op, pinned, out_space);
                    e.deps.insert(e.deps.end(), out_space.begin(), out_space.end());
                    p_.totals.compute_entries++;
                    p_.totals.tile_ops += e.grid.tiles();
                    const std::uint32_t id = add_entry(std::move(e));
                    const std::uint32_t out_residency = slice_residency(out, id);
                    for (std::uint32_t r : column_residencies) use(id, int(r));
                    if (weight_residency >= 0) use(id, weight_residency);
                    for (std::uint32_t r : block_residencies) use(id, int(r));
                    use(id, int(out_residency));
                    finish(block, {id}, out_residency, out);
                    for (std::uint32_t r : block_residencies) release_slice(r);
                    computes.push_back(id);
                }
                for (std::uint32_t r : column_residencies) release_slice(r);
            }
        }
        for (const OpBlocking::Range& rows : row_blocks) {
            if (choice.block.columns_outer && !chain) break;
            if (blocking.cuts_k(choice.block)) {
                // k blocks innermost (MemoryBlock::depth): per (row, column) block, each k block
                // loads its slices of A (the rows' k columns) and of the weight (its k rows of the
                // block's columns) and adds its part into the block's output slice, which takes its
                // space once and holds the partial sum, dense, from the first k block to the last
                // (it fits beside one k block's operands: OpBlocking::fits counts it). Each k block
                // waits for the one before (it reads the partial sum that one wrote); the last
                // finishes the output, which is then stored. No partial sum leaves the buffers.
                for (const OpBlocking::Range& block : blocking.column_ranges(choice.block, rows)) {
                    const std::vector<OpBlocking::Range> parts = blocking.depth_ranges(choice.block, block);
                    const OpBlocking::Slice out = blocking.output_slice(parts.front());
                    std::uint32_t out_residency = 0, previous = 0;
                    for (std::size_t p = 0; p < parts.size(); ++p) {
                        ProgramEntry e = compute_entry(op, blocking.grid(parts[p]));
                        std::vector<OpBlocking::Slice> slices = blocking.row_slices(parts[p]);
                        slices.push_back(blocking.weight_slice(parts[p]));
                        std::vector<std::uint32_t> part_residencies;
                        for (const OpBlocking::Slice& s : slices) {
                            const auto [r, entry] = load_slice(s, op, pinned);
                            part_residencies.push_back(r);
                            e.deps.push_back(entry);
                        }
                        if (p == 0) {
                            reserve(out.buffer, out.data_bytes, op.output, op, pinned, e.deps);
                            reserve(BufferKind::Mask, out.mask_bytes, op.output, op, pinned, e.deps);
                        } else {
                            e.deps.push_back(previous);
                        }
                        p_.totals.compute_entries++;
                        p_.totals.tile_ops += e.grid.tiles();
                        const std::uint32_t id = add_entry(std::move(e));
                        if (p == 0) out_residency = slice_residency(out, id);
                        for (std::uint32_t r : part_residencies) use(id, int(r));
                        use(id, int(out_residency));
                        for (std::uint32_t r : part_residencies) release_slice(r);
                        computes.push_back(id);
                        previous = id;
                    }
                    finish(block, {previous}, out_residency, out);
                }
                continue;
            }
            OpBlocking::Range full = rows;  // the row block's whole rows
            full.c0 = 0;
            full.nc = op.n;
            std::vector<std::uint32_t> row_computes;
            std::uint32_t row_out = 0;
            std::vector<std::uint32_t> row_out_space;  // what the output slice's space waits for
            std::vector<std::uint32_t> row_residencies, row_loads;
            for (const OpBlocking::Slice& s : blocking.row_slices(rows)) {
                const auto [r, entry] = load_slice(s, op, pinned);
                row_residencies.push_back(r);
                row_loads.push_back(entry);
            }
            for (const OpBlocking::Range& block : blocking.column_ranges(choice.block, rows)) {
                ProgramEntry e = compute_entry(op, blocking.grid(block));
                e.deps = row_loads;
                e.deps.insert(e.deps.end(), weight_ready.begin(), weight_ready.end());
                std::vector<std::uint32_t> block_residencies;
                for (const OpBlocking::Slice& s : blocking.block_slices(block, choice.weight_whole)) {
                    const auto [r, entry] = load_slice(s, op, pinned);
                    block_residencies.push_back(r);
                    e.deps.push_back(entry);
                }
                // Kept rows: one slice of the row block's whole output rows, taken by its first
                // column block and written by each.
                const bool first_of_row = row_computes.empty();
                const OpBlocking::Slice out = blocking.output_slice(rows_kept ? full : block);
                if (!rows_kept || first_of_row) {
                    row_out_space.clear();
                    reserve(out.buffer, out.data_bytes, op.output, op, pinned, row_out_space);
                    reserve(BufferKind::Mask, out.mask_bytes, op.output, op, pinned, row_out_space);
                }
                // Every column block writing the kept rows waits, like the first, for their space.
                e.deps.insert(e.deps.end(), row_out_space.begin(), row_out_space.end());
                p_.totals.compute_entries++;
                p_.totals.tile_ops += e.grid.tiles();
                const std::uint32_t id = add_entry(std::move(e));
                if (!rows_kept || first_of_row) row_out = slice_residency(out, id);
                for (std::uint32_t r : row_residencies) use(id, int(r));
                if (weight_residency >= 0) use(id, weight_residency);
                for (std::uint32_t r : block_residencies) use(id, int(r));
                use(id, int(row_out));
                row_computes.push_back(id);
                if (!rows_kept) finish(block, {id}, row_out, out);
                for (std::uint32_t r : block_residencies) release_slice(r);
                computes.push_back(id);
            }
            if (rows_kept) finish(full, row_computes, row_out, blocking.output_slice(full));
            for (std::uint32_t r : row_residencies) release_slice(r);
        }
        p_.totals.macs += std::uint64_t(op.macs());
        op_done_[std::size_t(op.id)] = computes;
        int stored = op.output, last_op = op.id;
        for (std::size_t i = 0; i < fused.size(); ++i) {
            const Op& o = g_.ops[std::size_t(chain->consumers[i])];
            p_.totals.macs += std::uint64_t(o.macs());
            op_done_[std::size_t(o.id)] = fused_computes[i];
            fused_done_[std::size_t(o.id)] = true;
            if (!along_stores[i].empty()) {
                in_memory_[std::size_t(o.output)] = true;
                memory_deps_[std::size_t(o.output)] = along_stores[i];
            }
            stored = o.output;
            last_op = o.id;
        }
        if (stored == chain_result) {
            ready_entry_[std::size_t(stored)] = int(result_writes.back());
            in_memory_[std::size_t(stored)] = false;
            if (g_.consumers[std::size_t(stored)].empty()) retire(stored);
        } else {
            in_memory_[stored] = true;
            memory_deps_[stored] = stores;
        }
        for (int t : inputs)
            if (resident_[t] >= 0 && next_use(t, op.id) == kNever) retire(t);
        for (const std::vector<int>& more : fused_inputs)
            for (int t : more)
                if (resident_[t] >= 0 && next_use(t, last_op) == kNever) retire(t);
    }

    void plan_whole(const Op& op) {
        const std::vector<int> inputs = op.inputs();
        std::vector<int> pinned = inputs;
        pinned.push_back(op.output);

        std::vector<int> gathered;  // rows copied from the embedding table as the op starts
        for (int t : inputs)
            if (resident_[t] < 0) {
                if (from_table(t))
                    gathered.push_back(t);
                else
                    load(t, op, pinned);
            }

        check_fits(op, op.output);
        const TensorLayout& out = p_.layouts[op.output];
        ProgramEntry e = compute_entry(op, make_tile_grid(op, tile_of(op)));
        // When k is not the innermost loop a unit moves between outputs before finishing their
        // k chains and parks dense partial sums in the output's space: reserve it dense.
        const std::uint64_t out_bytes = whole_output_bytes(op, e.grid, e.loop_order);
        const int in_place = in_place_input(op, out_bytes);
        if (in_place >= 0) {
            // The op overwrites its input: it must wait for every earlier reader of it.
            const auto& readers = users_[resident_[in_place]];
            e.deps.insert(e.deps.end(), readers.begin(), readers.end());
        } else {
            reserve(out.buffer, out_bytes, op.output, op, pinned, e.deps);
            reserve(BufferKind::Mask, out.mask_bytes, op.output, op, pinned, e.deps);
        }
        for (int t : gathered) {
            check_fits(op, t);
            reserve(p_.layouts[t].buffer, p_.layouts[t].data_bytes, t, op, pinned, e.deps);
            reserve(BufferKind::Mask, p_.layouts[t].mask_bytes, t, op, pinned, e.deps);
            ready_entry_[t] = int(table_entry_);
        }
        for (int t : inputs) e.deps.push_back(std::uint32_t(ready_entry_[t]));
        // A k split across units (docs/mapping.md §1.2): the parts' dense partial sums take
        // k_parts dense copies of the output in the activation buffer from the parts' start to
        // the reduction pass's end.
        const OpDirective* d = directive_of(op);
        const std::int64_t k_parts = d && e.grid.matmul ? d->k_parts : 1;
        std::uint64_t psum_bytes = 0;
        if (k_parts > 1) {
            e.grid.k_parts = k_parts;
            psum_bytes = std::uint64_t(k_parts) *
                         compressed_bytes(std::uint64_t(g_.tensors[op.output].elements()), 1.0, out.element_bits);
            if (psum_bytes > opt_.capacity[int(BufferKind::Activation)])
                throw InputError("op '" + op.name + "': spatial k_parts " + std::to_string(k_parts) + ": the parts' dense "
                                 "partial sums need " + byte_count_text(psum_bytes) + " in the " +
                                 opt_.buffer_name(BufferKind::Activation) + " buffer, which holds " +
                                 byte_count_text(opt_.capacity[int(BufferKind::Activation)]));
            reserve(BufferKind::Activation, psum_bytes, op.output, op, pinned, e.deps);
        }
        const TileGrid grid = e.grid;
        p_.totals.compute_entries++;
        p_.totals.tile_ops += e.grid.tiles();
        p_.totals.macs += std::uint64_t(op.macs());
        std::uint32_t id = add_entry(std::move(e));
        op_done_[std::size_t(op.id)] = {id};
        std::uint32_t last = id;  // the entry that writes the output
        if (k_parts > 1) {
            const std::uint32_t psums = add_residency(op.output, BufferKind::Activation, psum_bytes, 0, id);
            ProgramEntry reduce = compute_entry(op, reduction_grid(grid, k_parts));
            reduce.deps = {id};
            p_.totals.compute_entries++;
            p_.totals.tile_ops += reduce.grid.tiles();
            last = add_entry(std::move(reduce));
            op_done_[std::size_t(op.id)].push_back(last);
            use(id, int(psums));
            use(last, int(psums));
            release_slice(psums);
        }
        for (int t : gathered) {
            new_residency(t, id, p_.layouts[t].data_bytes);
            ready_entry_[t] = int(id);
        }
        for (int t : inputs) use(id, resident_[t]);
        const int out_res = new_residency(op.output, id, out_bytes);
        use(id, out_res);
        if (last != id) use(last, out_res);
        ready_entry_[op.output] = int(last);
        in_memory_[op.output] = false;

        if (in_place >= 0) {
            // The input's space now belongs to the output: drop the input without freeing it.
            p_.residencies[resident_[in_place]].handed_over = true;
            p_.residencies[out_res].inherited = true;
            resident_[in_place] = -1;
            resident_list_.erase(std::find(resident_list_.begin(), resident_list_.end(), in_place));
        }
        for (int t : inputs)
            if (t != in_place && next_use(t, op.id) == kNever) retire(t);
        if (g_.consumers[op.output].empty()) retire(op.output);
    }

    // The input a softmax, norm, GELU, SwiGLU or rotary op can overwrite with its output (the
    // first operand): one whose last use this is, that need not go home, in the same buffer and
    // of the same size. -1 if none.
    int in_place_input(const Op& op, std::uint64_t out_bytes) const {
        if (!opt_.in_place_elementwise) return -1;
        if (op.kind == OpKind::MatMul || op.kind == OpKind::Add) return -1;
        const int t = op.a_inputs.front();
        if (next_use(t, op.id) != kNever || is_output(t)) return -1;
        // The bytes it holds once loaded (fits_whole asks before the loads).
        const auto [data, mask] = held_bytes(t);
        const TensorLayout& out = p_.layouts[op.output];
        if (p_.layouts[t].buffer != out.buffer || data != out_bytes || mask != out.mask_bytes) return -1;
        return t;
    }

    // Frees a tensor nothing on chip needs any more, first writing it home if it is a graph
    // output that is not there yet (a spill, when it had one, already wrote the same bytes).
    // Outputs read by later ops (e.g. every layer's hidden state) go home after their last read.
    // Without CompileOptions::store_outputs (the original simulator's choice) they stay on chip.
    void retire(int tensor) {
        if (opt_.store_outputs && is_output(tensor) && !in_memory_[tensor]) {
            const TensorLayout& l = p_.layouts[tensor];
            ProgramEntry st;
            st.kind = EntryKind::Store;
            st.tensor = tensor;
            st.data_bytes = l.data_bytes;
            st.mask_bytes = l.mask_bytes;
            st.deps = {std::uint32_t(ready_entry_[tensor])};
            std::uint32_t sid = add_entry(std::move(st));
            use(sid, resident_[tensor]);
            in_memory_[tensor] = true;
            p_.totals.store_entries++;
            p_.totals.store_bytes += l.data_bytes + l.mask_bytes;
        }
        release(tensor);
    }

    const OpGraph& g_;
    const CompileOptions& opt_;
    TiledProgram& p_;
    BufferState buffers_[kBufferKinds];
    std::vector<int> resident_;      // tensor -> residency or -1
    std::vector<int> resident_list_; // tensors currently resident
    std::vector<int> ready_entry_;   // tensor -> entry that made its resident copy valid
    std::vector<std::vector<std::uint32_t>> memory_deps_;  // tensor -> entries that wrote its main-memory copy
    std::vector<bool> in_memory_;    // main-memory copy is current
    std::vector<std::vector<std::uint32_t>> op_done_;  // op id -> its compute entries
    std::vector<std::vector<std::uint32_t>> users_;  // residency -> entries using it
    const Op* current_op_ = nullptr;  // the op being planned (null before the first)
    int last_memory_entry_ = -1;      // the latest load, spill or store
    std::uint32_t table_entry_ = 0;   // the embedding table's load, when the graph has the table
    std::vector<std::vector<std::uint32_t>> stored_results_;  // tensor -> stored_results(), once known
    std::vector<bool> stored_results_known_;
    std::vector<FusedChain> chains_;   // fused chains (OpDirective::fuse)
    std::vector<int> chain_of_;        // op id -> its chain in chains_ when it is a chain's producer, else -1
    std::vector<bool> fused_done_;     // op id -> planned with its chain's producer
};

}  // namespace

TiledProgram compile_program(const OpGraph& graph, const CompileOptions& options) {
    TiledProgram program;
    program.graph = &graph;
    program.options = options;
    Planner(graph, options, program).run();
    return program;
}

}  // namespace acceltran::workloads
