// Sorts more records than the memory budget holds (an external merge sort): records are
// collected in a buffer of `chunk_records`; a full buffer is sorted and appended to a spill file
// as a run. Reading merges the runs and the last, in-memory buffer, fan_in runs at a time (more
// runs are first merged into longer ones, again fan_in at a time). Memory stays within
// chunk_records + (fan_in + 1) read/write blocks of at most 8192 records, whatever the number
// of records; the disk holds the records once (merged runs give their space back where the file
// system can punch holes, twice at most where it cannot).
//
// The sort is not stable: `Less` must order records totally, or ties must not matter to the
// caller. Records are copied as bytes, so they must be trivially copyable.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "modules/trace/spill_file.h"

namespace acceltran::trace {

template <typename Record, typename Less>
class ExternalSort {
    static_assert(std::is_trivially_copyable_v<Record>, "runs are written and read as bytes");

public:
    // An empty `spill_directory` keeps everything in memory (one run, however long).
    ExternalSort(std::string spill_directory, std::string stem, std::size_t chunk_records, std::size_t fan_in)
        : directory_(std::move(spill_directory)), stem_(std::move(stem)),
          chunk_(std::max<std::size_t>(1, chunk_records)), fan_in_(std::max<std::size_t>(2, fan_in)),
          block_(std::clamp<std::size_t>(chunk_ / fan_in_, 1, 8192)) {
        if (spills()) buffer_.reserve(chunk_);
    }
    ExternalSort(const ExternalSort&) = delete;  // the heap order points back at this object
    ExternalSort& operator=(const ExternalSort&) = delete;

    void push(const Record& r) {
        buffer_.push_back(r);
        if (buffer_.size() >= chunk_ && spills()) spill();
    }

    // Ends the input; next() then yields every record pushed, in order.
    void finish() {
        std::sort(buffer_.begin(), buffer_.end(), less_);
        // The in-memory buffer is one more input of the last merge.
        while (runs_.size() + 1 > fan_in_) {
            const std::size_t n = std::min(fan_in_, runs_.size());
            std::vector<Run> group(runs_.begin(), runs_.begin() + std::ptrdiff_t(n));
            runs_.erase(runs_.begin(), runs_.begin() + std::ptrdiff_t(n));
            runs_.push_back(merge_into_run(group));
        }
        open(runs_, true);
    }

    // The next record in order; false when all were read.
    bool next(Record& out) {
        if (heap_.empty()) return false;
        std::pop_heap(heap_.begin(), heap_.end(), heap_order_);
        Cursor& c = cursors_[heap_.back()];
        out = *c.at;
        if (++c.at == c.end && !refill(c)) {
            heap_.pop_back();
        } else {
            std::push_heap(heap_.begin(), heap_.end(), heap_order_);
        }
        return true;
    }

    // Gives back the memory and the spill file once everything was read.
    void clear() {
        cursors_.clear();
        heap_.clear();
        runs_.clear();
        file_.reset();
        std::vector<Record>().swap(buffer_);
        spilled_records_ = 0;
    }

    std::uint64_t size() const { return spilled_records_ + buffer_.size(); }
    // Runs written to disk so far, counting those made by merging (tests check the spilling
    // path is taken).
    std::size_t spilled_runs() const { return spilled_runs_; }

private:
    struct Run {
        std::uint64_t offset, count;  // in the spill file, in records
    };
    // A position in one sorted input: the records of [at, end) are read, `rest` is not yet.
    struct Cursor {
        const Record* at = nullptr;
        const Record* end = nullptr;
        Run rest{0, 0};
        std::vector<Record> block;
    };

    bool spills() const { return !directory_.empty(); }

    void spill() {
        std::sort(buffer_.begin(), buffer_.end(), less_);
        if (!file_) file_ = std::make_unique<SpillFile>(directory_, stem_);
        const std::uint64_t at = file_->append(buffer_.data(), buffer_.size() * sizeof(Record));
        runs_.push_back(Run{at / sizeof(Record), buffer_.size()});
        spilled_records_ += buffer_.size();
        ++spilled_runs_;
        buffer_.clear();
    }

    bool refill(Cursor& c) {
        if (c.rest.count == 0) return false;
        const std::size_t n = std::size_t(std::min<std::uint64_t>(c.rest.count, block_));
        c.block.resize(n);
        file_->read(c.rest.offset * sizeof(Record), c.block.data(), n * sizeof(Record));
        c.rest.offset += n;
        c.rest.count -= n;
        c.at = c.block.data();
        c.end = c.at + n;
        return true;
    }

    // Sets up the cursors over `runs`, plus the in-memory buffer when `with_buffer`.
    void open(const std::vector<Run>& runs, bool with_buffer) {
        cursors_.clear();
        cursors_.resize(runs.size() + (with_buffer ? 1 : 0));
        heap_.clear();
        for (std::size_t i = 0; i < runs.size(); ++i) {
            cursors_[i].rest = runs[i];
            if (refill(cursors_[i])) heap_.push_back(i);
        }
        if (with_buffer && !buffer_.empty()) {
            cursors_.back().at = buffer_.data();
            cursors_.back().end = buffer_.data() + buffer_.size();
            heap_.push_back(cursors_.size() - 1);
        }
        std::make_heap(heap_.begin(), heap_.end(), heap_order_);
    }

    Run merge_into_run(const std::vector<Run>& group) {
        open(group, false);
        Run merged{file_->size() / sizeof(Record), 0};
        std::vector<Record> out;
        out.reserve(block_);
        auto flush = [&] {
            file_->append(out.data(), out.size() * sizeof(Record));
            merged.count += out.size();
            out.clear();
        };
        for (Record r; next(r);) {
            out.push_back(r);
            if (out.size() == block_) flush();
        }
        flush();
        for (const Run& r : group) file_->release(r.offset * sizeof(Record), r.count * sizeof(Record));
        ++spilled_runs_;
        return merged;
    }

    std::string directory_, stem_;
    std::size_t chunk_, fan_in_, block_;
    Less less_;
    std::vector<Record> buffer_;
    std::unique_ptr<SpillFile> file_;
    std::vector<Run> runs_;
    std::uint64_t spilled_records_ = 0;  // records in runs_
    std::size_t spilled_runs_ = 0;
    std::vector<Cursor> cursors_;
    std::vector<std::size_t> heap_;  // indices into cursors_, smallest record on top
    struct HeapOrder {
        const ExternalSort* self;
        bool operator()(std::size_t a, std::size_t b) const {
            return self->less_(*self->cursors_[b].at, *self->cursors_[a].at);
        }
    } heap_order_{this};
};

}  // namespace acceltran::trace
