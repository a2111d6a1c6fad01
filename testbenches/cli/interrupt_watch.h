// Ctrl-C or a scheduler's SIGTERM during `acceltran run`: the run stops at the next retirement,
// its temporary output directory is removed as the stack unwinds, and the command exits with
// 128 + the signal (130, 143) saying so. A second signal ends the process at once (the default
// action), for a run stuck where no retirement comes. Sweeps have their own handling
// (explore/sweep_runner.cpp).
#pragma once

#include <csignal>
#include <stdexcept>
#include <string>

#include "modules/activity/activity_observer.h"

namespace acceltran::cli {

class RunInterrupted : public std::runtime_error {
public:
    explicit RunInterrupted(int signal);
    int signal() const { return signal_; }

private:
    int signal_;
};

class InterruptWatch : public activity::ActivityObserver {
public:
    InterruptWatch();   // installs the SIGINT and SIGTERM handlers
    ~InterruptWatch();  // restores the previous ones
    InterruptWatch(const InterruptWatch&) = delete;
    InterruptWatch& operator=(const InterruptWatch&) = delete;

    // Throws RunInterrupted when a signal came; call between phases and after the simulation.
    void check() const;
    // Stops the simulation (sc_stop) once a signal came: observers are called from inside
    // SystemC processes, where throwing is not safe in every kind of process.
    void on_retire(std::uint32_t entry, double at, std::uint64_t retired, std::uint64_t total) override;

private:
    struct sigaction old_int_ {}, old_term_ {};
};

}  // namespace acceltran::cli
