#include "testbenches/cli/interrupt_watch.h"

#include <cstring>

#include <systemc>

namespace acceltran::cli {

namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_interrupt(int sig) {
    if (g_signal != 0) {  // the second one: give up waiting for a retirement
        std::signal(sig, SIG_DFL);
        std::raise(sig);
        return;
    }
    g_signal = sig;
}

}  // namespace

RunInterrupted::RunInterrupted(int signal)
    : std::runtime_error(std::string("interrupted by ") + (signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : strsignal(signal)) +
                         "; the partial output was removed"),
      signal_(signal) {}

InterruptWatch::InterruptWatch() {
    g_signal = 0;
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
}

InterruptWatch::~InterruptWatch() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
}

void InterruptWatch::check() const {
    if (g_signal != 0) throw RunInterrupted(g_signal);
}

void InterruptWatch::on_retire(std::uint32_t, double, std::uint64_t, std::uint64_t) {
    if (g_signal == 0) return;
    // sc_stop() reports itself as an info message on stdout; the command says why it stopped.
    sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    sc_core::sc_stop();
}

}  // namespace acceltran::cli
