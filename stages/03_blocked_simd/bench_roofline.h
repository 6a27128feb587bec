/// \file
/// \brief The roofline's ceilings as Google Benchmark registrations, for stage03_bench and
/// for a later stage's benchmark that reports its share of the peak.
///
/// On a shared machine the peak moves with the neighbours' load from minute to minute, so a
/// step's share of it is only meaningful against a peak measured beside the step, in the
/// same run of the same binary.
#pragma once

#include <string>

namespace stage03::bench {

/// stage03.roofline/peak_fma[_isa]/threads:<n> for every FMA loop and 1 and 2 threads, and
/// stage03.roofline/bandwidth/<copy|triad>/threads:<n>.
void register_roofline_benchmarks();

/// One benchmark named `name` of this machine's FMA peak (the widest loop) on `threads`
/// threads, with a GFLOP/s counter.
void register_fma_peak(const std::string& name, int threads);

}  // namespace stage03::bench
