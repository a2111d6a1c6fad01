// The generation graph of a decoder (GPT-2, Llama): the prefill of P prompt tokens followed by
// G decode steps of one token each, as ONE op graph, so that the static buffer planner
// (tiled_program.h) plans the KV cache like any other tensor. docs/decoders.md describes the
// graph, the KV-cache convention and causal masking.
//
// - Every op carries its phase and step (Op::phase, Op::step): the prefill is step 0 and decode
//   step t = 1..G processes the token at position P + t - 1.
// - The KV cache of a layer is a list of segments: the prefill's K and V projections (P rows)
//   and one single-row K and V per decode step (Tensor::cache). Decode step t appends its own
//   segment and its attention reads all P + t rows: Q.K^T takes the key segments as its B
//   operand (Op::b_input, then Op::b_more) and probs x V the value segments. Segments are
//   immutable activations: the planner keeps them in the buffers while they fit, spills each
//   once when it must and reloads it for every later step that reads it.
// - The prefill's attention is causal (Op::causal): only the lower triangle is computed.
// - A decode step's token is the one sampled from the previous step's logits, so its embedding
//   row can be fetched only after those (Tensor::known_after).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "workloads/buffer_fit.h"
#include "workloads/graph_builder.h"
#include "workloads/op_graph.h"
#include "workloads/target_description.h"

namespace acceltran::workloads {

struct GenerationOptions {
    int prompt_len = 128;  // P: prompt tokens prefilled; 0 starts from one token, in step 1
    int gen_len = 0;       // G: decode steps after the prefill
    int batch = 1;         // sequences generated together
    // The final norm and the vocabulary projection of each step's last position, producing the
    // logits the next token is sampled from. The survey's totals leave them out.
    bool lm_head = true;
    // Vocabulary columns per LM-head slice. The head is a weight matrix of hidden x vocab
    // (38.6 M values for GPT-2), larger than most weight buffers; it streams in slices, each
    // its own op and weight tensor. 0 picks the widest FFN matrix's width, so a slice is no
    // larger than a weight every layer already loads.
    std::int64_t lm_head_columns = 0;
    // The buffers the graph will be compiled for (compile_options of the design point). A
    // matmul whose operands would not fit them at once is split into slices that do (BufferFit,
    // docs/decoders.md §2), and so is the LM head when lm_head_columns is 0 and its default
    // slice does not fit. Empty: nothing is split beyond the LM-head slices.
    std::optional<CompileOptions> buffers = std::nullopt;
    // The decode steps built, ascending within 1..G and ending at G (sampled_decode_steps());
    // empty: every step. The K and V rows of each run of steps left out enter the cache of every
    // later step as one segment per layer, an Input already in main memory, as if those steps
    // had spilled them (docs/decoders.md §9).
    std::vector<int> decode_steps;
};

// The decode steps a run simulates when it may simulate at most `budget` of the `gen_len`:
// every step (an empty list) when gen_len <= budget or budget is 0; otherwise the first
// min(8, budget / 4) steps (at least 1) one by one, then the rest of the budget spread evenly
// over the remaining steps, ending at gen_len (docs/decoders.md §9). UsageError for a budget
// of 1 or a negative one: the last step and one before it are needed to interpolate.
std::vector<int> sampled_decode_steps(int gen_len, int budget);

// Throws InputError for models that are not decoders and for shapes that cannot work
// (P + G outside 1..max_positions, batch < 1, a negative length).
OpGraph build_generation_graph(const ModelSpec& model, const GenerationOptions& options);

// The widest LM-head slice build_generation_graph makes for these options.
std::int64_t lm_head_slice_columns(const ModelSpec& model, const GenerationOptions& options);
// The widths of every LM-head slice, in vocabulary order.
std::vector<std::int64_t> lm_head_slices(const ModelSpec& model, const GenerationOptions& options);

}  // namespace acceltran::workloads
