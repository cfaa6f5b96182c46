#pragma once
// Plain integer arithmetic models of the crossbar MVM, independent of the crossbar code: the
// quantised product Wq·xq, and the ideal pipeline with readout quantisation (integer column sums,
// power-of-two readout steps, round half to even; for ACAM readout, the open-interval tie rule).
#include "raceit/xbar/crossbar.hpp"

namespace raceit::xbar {

// s_x·s_w·(Wq·(x_code − zero)): the quantised product with no readout loss, batch × out.
Matrix quantised_product(const ProgrammedCrossbar& xbar, const Matrix& inputs,
                         const AffineQuantiser& xq);

// The ideal-mode crossbar pipeline in integer arithmetic (column sums of integer levels per tile,
// bit plane and slice; readout codes; shift-add; tile sums; zero-point correction). Identity
// readouts only (ADC, or Compute-ACAM with its half-way tie rule).
Matrix ideal_pipeline(const ProgrammedCrossbar& xbar, const Matrix& inputs,
                      const AffineQuantiser& xq);

}  // namespace raceit::xbar
