#include "recurrent.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "threadpool.h"
#include "simd.h"
#include "vmath.h"

namespace rnnkit {

int gateCount(Cell cell) { return cell == Cell::LSTM ? 4 : cell == Cell::GRU ? 3 : 1; }

namespace {

// ---- Saved-activation layout (rows indexed b*T + t, i.e. by input position) ----
// gates [B*T, G*U]: activated gates (LSTM i,f,c,o; GRU z,r,hh; simple a = tanh(...))
// hPrev [B*T, U]:   state entering the step (for dRecurrentKernel)
// LSTM extra:       cPrev [B*T, U], tanhC [B*T, U]
// GRU extra:        rh [B*T, U] = r * hPrev (the left operand of the reset-gated product)
struct SavedView {
  float* gates;
  float* hPrev;
  float* cPrev;
  float* tanhC;
  float* rh;
};

SavedView viewSaved(Cell cell, const RnnShape& s, float* base) {
  const size_t rows = static_cast<size_t>(s.B) * s.T;
  const size_t gu = static_cast<size_t>(gateCount(cell)) * s.U;
  SavedView v{base, base + rows * gu, nullptr, nullptr, nullptr};
  float* extra = v.hPrev + rows * s.U;
  if (cell == Cell::LSTM) {
    v.cPrev = extra;
    v.tanhC = extra + rows * s.U;
  } else if (cell == Cell::GRU) {
    v.rh = extra;
  }
  return v;
}

// ---- Per-row gate math (vectorized over units) ----

RNNKIT_SIMD void lstmForwardRow(int U, const float* __restrict__ rec, const float* __restrict__ xp, const float* __restrict__ cPrev,
                                float* __restrict__ gates, float* __restrict__ cNew, float* __restrict__ hNew, float* __restrict__ tanhC) {
  for (int j = 0; j < U; ++j) {
    const float i = fastSigmoid(rec[j] + xp[j]);
    const float f = fastSigmoid(rec[U + j] + xp[U + j]);
    const float g = fastTanh(rec[2 * U + j] + xp[2 * U + j]);
    const float o = fastSigmoid(rec[3 * U + j] + xp[3 * U + j]);
    const float c = f * cPrev[j] + i * g;
    const float tc = fastTanh(c);
    gates[j] = i;
    gates[U + j] = f;
    gates[2 * U + j] = g;
    gates[3 * U + j] = o;
    cNew[j] = c;
    tanhC[j] = tc;
    hNew[j] = o * tc;
  }
}

RNNKIT_SIMD void gruGatesRow(int U, const float* __restrict__ rec, const float* __restrict__ xp, const float* __restrict__ hPrev,
                             float* __restrict__ gates, float* __restrict__ rh) {
  for (int j = 0; j < U; ++j) {
    const float z = fastSigmoid(rec[j] + xp[j]);
    const float r = fastSigmoid(rec[U + j] + xp[U + j]);
    gates[j] = z;
    gates[U + j] = r;
    rh[j] = r * hPrev[j];
  }
}

RNNKIT_SIMD void gruCandidateRow(int U, const float* __restrict__ recH, const float* __restrict__ xp, const float* __restrict__ hPrev,
                                 float* __restrict__ gates, float* __restrict__ hNew) {
  for (int j = 0; j < U; ++j) {
    const float z = gates[j];
    const float hh = fastTanh(recH[j] + xp[2 * U + j]);
    gates[2 * U + j] = hh;
    hNew[j] = z * hPrev[j] + (1.0f - z) * hh;
  }
}

RNNKIT_SIMD void simpleForwardRow(int U, const float* __restrict__ rec, const float* __restrict__ xp, float* __restrict__ gates,
                                  float* __restrict__ hNew) {
  for (int j = 0; j < U; ++j) {
    const float a = fastTanh(rec[j] + xp[j]);
    gates[j] = a;
    hNew[j] = a;
  }
}

// dc: in = gradient reaching c_t, out = gradient for c_{t-1}.
RNNKIT_SIMD void lstmBackwardRow(int U, const float* __restrict__ g, const float* __restrict__ tanhC, const float* __restrict__ cPrev,
                                 const float* __restrict__ dh, float* __restrict__ dc, float* __restrict__ da) {
  for (int j = 0; j < U; ++j) {
    const float i = g[j], f = g[U + j], cc = g[2 * U + j], o = g[3 * U + j];
    const float tc = tanhC[j];
    const float dcTotal = dc[j] + dh[j] * o * (1.0f - tc * tc);
    da[j] = dcTotal * cc * i * (1.0f - i);
    da[U + j] = dcTotal * cPrev[j] * f * (1.0f - f);
    da[2 * U + j] = dcTotal * i * (1.0f - cc * cc);
    da[3 * U + j] = dh[j] * tc * o * (1.0f - o);
    dc[j] = dcTotal * f;
  }
}

// First half of the GRU step gradient: update gate and candidate pre-activations, and the part
// of dh_{t-1} that flows directly through h = z*h_{t-1} + (1-z)*hh.
RNNKIT_SIMD void gruBackwardRow1(int U, const float* __restrict__ g, const float* __restrict__ hPrev, const float* __restrict__ dh,
                                 float* __restrict__ da, float* __restrict__ dhDirect) {
  for (int j = 0; j < U; ++j) {
    const float z = g[j], hh = g[2 * U + j];
    da[j] = dh[j] * (hPrev[j] - hh) * z * (1.0f - z);
    da[2 * U + j] = dh[j] * (1.0f - z) * (1.0f - hh * hh);
    dhDirect[j] = dh[j] * z;
  }
}

// Second half, once d(r*h_{t-1}) is known: reset gate pre-activation and the r-path into dh_{t-1}.
RNNKIT_SIMD void gruBackwardRow2(int U, const float* __restrict__ g, const float* __restrict__ hPrev, const float* __restrict__ dRh,
                                 float* __restrict__ da, float* __restrict__ dhDirect) {
  for (int j = 0; j < U; ++j) {
    const float r = g[U + j];
    da[U + j] = dRh[j] * hPrev[j] * r * (1.0f - r);
    dhDirect[j] += dRh[j] * r;
  }
}

RNNKIT_SIMD void simpleBackwardRow(int U, const float* __restrict__ g, const float* __restrict__ dh, float* __restrict__ da) {
  for (int j = 0; j < U; ++j) da[j] = dh[j] * (1.0f - g[j] * g[j]);
}

// out = a + b (b may be null: out = a).
RNNKIT_SIMD void addRows(int n, const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ out) {
  if (b) {
    for (int j = 0; j < n; ++j) out[j] = a[j] + b[j];
  } else {
    for (int j = 0; j < n; ++j) out[j] = a[j];
  }
}

inline bool carried(const float* mask, int T, int b, int t) {
  return mask != nullptr && mask[static_cast<size_t>(b) * T + t] == 0.0f;
}

inline void copyRow(float* dst, const float* src, int n) {
  std::memcpy(dst, src, sizeof(float) * static_cast<size_t>(n));
}

}  // namespace

size_t savedSize(Cell cell, const RnnShape& s) {
  const size_t rows = static_cast<size_t>(s.B) * s.T;
  const size_t extra = cell == Cell::LSTM ? 2 : cell == Cell::GRU ? 1 : 0;
  return rows * s.U * (gateCount(cell) + 1 + extra);
}

namespace {

// The recurrent weights packed once per sequence for the per-timestep products (gemm.h
// PackedMatrix): forward h * R (GRU: the [z r] columns and the candidate columns separately, since
// the candidate's left operand r*h needs r first), backward dA * R^T (GRU likewise in two parts).
// A single step (recurrentStep's decoding calls, T = 1) leaves both null: packing would cost more than
// the one product, which then runs unpacked (sgemmSerial).
struct StepWeights {
  std::unique_ptr<PackedMatrix> first;   // forward: R[:, 0:G*U] (GRU: 0:2U); backward: its transpose
  std::unique_ptr<PackedMatrix> second;  // GRU only: R[:, 2U:3U] (backward: its transpose)
  // Forward only: `first` (and the GRU's `second`) stack the input kernel's columns over the recurrent
  // kernel's, and each step multiplies [x_t h] (GRU second: [x_t r*h]) by them (see fuseInputProjection).
  bool fusedInput = false;
};

// Slices below this many rows are not worth a thread (forEachRowSlice), and below it a step's product
// is a few rows that the micro-kernel tile mostly pads.
constexpr int MIN_ROWS_PER_THREAD = 8;

// Whether the forward folds the input projection into each step's product: [x_t h] * [W; R], depth
// D + U, instead of one [B*T, D] * [D, G*U] product up front. Up front, the projection writes G*U floats
// per row and step (1.8 MB for a batch of 32 mnist images through an LSTM of 128), more than the
// core's L2, so every step then reads its slice back from L3, and a shallow depth (28 pixels) runs
// the product at half the speed of the step's own; folded, nothing is written and the step's deeper
// product runs at the micro-kernel's best (measured: scripts/bench-recurrent.mjs). Needs at least a
// full tile of rows per slice (with fewer, each step's product would pad its rows) and more than one
// step. The GRU's two products both fold: [x_t h] * [W_zr; R_zr] for its gates, then [x_t r*h] *
// [W_h; R_h] for its candidate.
std::atomic<bool> inputFold{true};

bool fuseInputProjection(const RnnInputs& in) {
  return inputFold.load(std::memory_order_relaxed) && in.s.T > 1 && in.s.B >= MIN_ROWS_PER_THREAD;
}

// C[M, N] = A[M, K] * op(B), with B pre-packed when `packed` is set.
void stepProduct(const PackedMatrix* packed, bool transB, int M, int N, int K, const float* A, int lda, const float* B,
                 int ldb, float* C, int ldc) {
  if (packed) {
    packed->multiply(false, M, 1.0f, A, lda, 0.0f, C, ldc);
  } else {
    sgemmSerial(false, transB, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
  }
}

StepWeights packForward(const RnnInputs& in) {
  const int U = in.s.U, GU = gateCount(in.cell) * U;
  StepWeights w;
  if (in.s.T <= 1) return w;
  if (fuseInputProjection(in)) {
    const int D = in.s.D;
    if (in.cell == Cell::GRU) {
      w.first = std::make_unique<PackedMatrix>(D + U, 2 * U, in.kernel, D, in.recurrentKernel, GU);
      w.second = std::make_unique<PackedMatrix>(D + U, U, in.kernel + 2 * U, D, in.recurrentKernel + 2 * U, GU);
    } else {
      w.first = std::make_unique<PackedMatrix>(D + U, GU, in.kernel, D, in.recurrentKernel, GU);
    }
    w.fusedInput = true;
  } else if (in.cell == Cell::GRU) {
    w.first = std::make_unique<PackedMatrix>(false, U, 2 * U, in.recurrentKernel, GU);
    w.second = std::make_unique<PackedMatrix>(false, U, U, in.recurrentKernel + 2 * U, GU);
  } else {
    w.first = std::make_unique<PackedMatrix>(false, U, GU, in.recurrentKernel, GU);
  }
  return w;
}

StepWeights packBackward(const RnnInputs& in) {
  const int U = in.s.U, GU = gateCount(in.cell) * U;
  StepWeights w;
  if (in.s.T <= 1) return w;
  if (in.cell == Cell::GRU) {
    w.first = std::make_unique<PackedMatrix>(true, 2 * U, U, in.recurrentKernel, GU);
    w.second = std::make_unique<PackedMatrix>(true, U, U, in.recurrentKernel + 2 * U, GU);
  } else {
    w.first = std::make_unique<PackedMatrix>(true, GU, U, in.recurrentKernel, GU);
  }
  return w;
}

// Rows of the batch are independent through time, so each core runs the whole recurrence for its
// own slice of rows: one fork/join per sequence instead of one per timestep, and every per-step
// product stays single-threaded (stepProduct).

void forEachRowSlice(int B, const std::function<void(int, int)>& body) {
  ThreadPool& threads = pool();
  const int slices = std::max(1, std::min(threads.size(), B / MIN_ROWS_PER_THREAD));
  if (slices == 1) {
    body(0, B);
    return;
  }
  threads.parallelFor(slices, [&](int i) {
    const int b0 = static_cast<int>(static_cast<long>(B) * i / slices);
    const int b1 = static_cast<int>(static_cast<long>(B) * (i + 1) / slices);
    body(b0, b1);
  });
}

// Forward recurrence for batch rows [b0, b1) over all timesteps.
void forwardRows(const RnnInputs& in, const StepWeights& w, const RnnOutputs& out, const float* xp, const SavedView& sv,
                 int b0, int b1) {
  const int T = in.s.T, U = in.s.U;
  const int GU = gateCount(in.cell) * U;
  const int nb = b1 - b0;
  const size_t nbU = static_cast<size_t>(nb) * U;
  float* h = out.h + static_cast<size_t>(b0) * U;
  float* c = out.c ? out.c + static_cast<size_t>(b0) * U : nullptr;
  std::vector<float> rec(static_cast<size_t>(nb) * GU), stepGates(static_cast<size_t>(nb) * GU), hNew(nbU);
  std::vector<float> cNew(c ? nbU : 0), tanhC(c ? nbU : 0);
  std::vector<float> rh(in.cell == Cell::GRU ? nbU : 0), recH(in.cell == Cell::GRU ? nbU : 0);
  // Folded input projection: the step's left operand [x_t h] (one row per slice row), and the bias in
  // place of the projected input row the gate math adds.
  const int D = in.s.D, DU = D + U;
  std::vector<float> xh(w.fusedInput ? static_cast<size_t>(nb) * DU : 0);
  std::vector<float> noBias(w.fusedInput && !in.bias ? GU : 0, 0.0f);
  const float* inputBias = in.bias ? in.bias : noBias.data();

  for (int s = 0; s < T; ++s) {
    const int t = in.goBackwards ? T - 1 - s : s;
    const size_t row0 = static_cast<size_t>(b0) * T + t;  // saved-buffer row of slice row r: row0 + r*T
    auto xpRow = [&](int r) { return w.fusedInput ? inputBias : xp + (row0 + static_cast<size_t>(r) * T) * GU; };
    // The step product's left operand: h, or [x_t h] when the input projection is folded in.
    const float* stepLeft = h;
    int stepDepth = U;
    if (w.fusedInput) {
      for (int r = 0; r < nb; ++r) {
        float* dst = xh.data() + static_cast<size_t>(r) * DU;
        copyRow(dst, in.x + (row0 + static_cast<size_t>(r) * T) * D, D);
        copyRow(dst + D, h + static_cast<size_t>(r) * U, U);
      }
      stepLeft = xh.data();
      stepDepth = DU;
    }
    // When saving, activations are written straight into the saved buffers (strided by T rows).
    auto gatesRow = [&](int r) {
      return out.saved ? sv.gates + (row0 + static_cast<size_t>(r) * T) * GU : stepGates.data() + static_cast<size_t>(r) * GU;
    };
    auto unitRow = [&](float* savedBase, std::vector<float>& scratch, int r) {
      return out.saved ? savedBase + (row0 + static_cast<size_t>(r) * T) * U : scratch.data() + static_cast<size_t>(r) * U;
    };
    if (out.saved) {
      for (int r = 0; r < nb; ++r) {
        const size_t o = static_cast<size_t>(r) * U;
        const size_t row = row0 + static_cast<size_t>(r) * T;
        copyRow(sv.hPrev + row * U, h + o, U);
        if (c) copyRow(sv.cPrev + row * U, c + o, U);
      }
    }
    if (in.cell == Cell::LSTM) {
      stepProduct(w.first.get(), false, nb, GU, stepDepth, stepLeft, stepDepth, in.recurrentKernel, GU, rec.data(), GU);
      for (int r = 0; r < nb; ++r) {
        const size_t o = static_cast<size_t>(r) * U;
        lstmForwardRow(U, rec.data() + static_cast<size_t>(r) * GU, xpRow(r), c + o, gatesRow(r), cNew.data() + o,
                       hNew.data() + o, unitRow(sv.tanhC, tanhC, r));
      }
    } else if (in.cell == Cell::GRU) {
      // [z r] pre-activations from h; the candidate needs r first, so it is a second product.
      stepProduct(w.first.get(), false, nb, 2 * U, stepDepth, stepLeft, stepDepth, in.recurrentKernel, GU, rec.data(), 2 * U);
      for (int r = 0; r < nb; ++r) {
        gruGatesRow(U, rec.data() + static_cast<size_t>(r) * 2 * U, xpRow(r), h + static_cast<size_t>(r) * U,
                    gatesRow(r), unitRow(sv.rh, rh, r));
      }
      const float* rhStep = out.saved ? sv.rh + row0 * U : rh.data();
      int ldRh = out.saved ? T * U : U;
      if (w.fusedInput) {
        // [x_t r*h]: the product above has read h, so r*h takes its place next to x_t.
        for (int r = 0; r < nb; ++r) copyRow(xh.data() + static_cast<size_t>(r) * DU + D, unitRow(sv.rh, rh, r), U);
        rhStep = xh.data();
        ldRh = DU;
      }
      stepProduct(w.second.get(), false, nb, U, stepDepth, rhStep, ldRh, in.recurrentKernel + 2 * U, GU, recH.data(), U);
      for (int r = 0; r < nb; ++r) {
        const size_t o = static_cast<size_t>(r) * U;
        gruCandidateRow(U, recH.data() + o, xpRow(r), h + o, gatesRow(r), hNew.data() + o);
      }
    } else {
      stepProduct(w.first.get(), false, nb, U, stepDepth, stepLeft, stepDepth, in.recurrentKernel, U, rec.data(), U);
      for (int r = 0; r < nb; ++r) {
        const size_t o = static_cast<size_t>(r) * U;
        simpleForwardRow(U, rec.data() + o, xpRow(r), gatesRow(r), hNew.data() + o);
      }
    }

    for (int r = 0; r < nb; ++r) {
      const int b = b0 + r;
      const size_t o = static_cast<size_t>(r) * U;
      const size_t row = static_cast<size_t>(b) * T + t;
      if (!carried(in.mask, T, b, t)) {
        copyRow(h + o, hNew.data() + o, U);
        if (c) copyRow(c + o, cNew.data() + o, U);
      }
      copyRow(out.outputs + row * U, h + o, U);
    }
  }
}

// Backpropagation through time for batch rows [b0, b1): fills their rows of dA (gate
// pre-activation gradients, rows b*T + t) and their rows of dh0 / dc0.
void backwardRows(const RnnInputs& in, const StepWeights& w, const SavedView& sv, const float* dOutputs, const float* dH,
                  const float* dC, float* dA, const RnnGradients& grads, int b0, int b1) {
  const int T = in.s.T, U = in.s.U;
  const int GU = gateCount(in.cell) * U;
  const int nb = b1 - b0;
  const size_t nbU = static_cast<size_t>(nb) * U;
  const size_t off = static_cast<size_t>(b0) * U;
  std::vector<float> dh(nbU), dhTotal(nbU), dhPrev(nbU), dhDirect(nbU), dRh(in.cell == Cell::GRU ? nbU : 0);
  std::vector<float> dc(in.cell == Cell::LSTM ? nbU : 0);
  if (dH) copyRow(dh.data(), dH + off, static_cast<int>(nbU));
  if (in.cell == Cell::LSTM && dC) copyRow(dc.data(), dC + off, static_cast<int>(nbU));
  const int ldaStep = T * GU;

  for (int s = T - 1; s >= 0; --s) {
    const int t = in.goBackwards ? T - 1 - s : s;
    float* dAStep = dA + (static_cast<size_t>(b0) * T + t) * GU;  // row r at + r*T*GU
    for (int r = 0; r < nb; ++r) {
      const int b = b0 + r;
      const size_t o = static_cast<size_t>(r) * U;
      const size_t row = static_cast<size_t>(b) * T + t;
      float* dhRow = dhTotal.data() + o;
      addRows(U, dh.data() + o, dOutputs ? dOutputs + row * U : nullptr, dhRow);
      float* da = dA + row * GU;
      if (carried(in.mask, T, b, t)) {
        // The step was skipped: no gate gradient, dh and dc pass through unchanged.
        std::fill(da, da + GU, 0.0f);
        continue;
      }
      const float* g = sv.gates + row * GU;
      if (in.cell == Cell::LSTM) {
        lstmBackwardRow(U, g, sv.tanhC + row * U, sv.cPrev + row * U, dhRow, dc.data() + o, da);
      } else if (in.cell == Cell::GRU) {
        gruBackwardRow1(U, g, sv.hPrev + row * U, dhRow, da, dhDirect.data() + o);
      } else {
        simpleBackwardRow(U, g, dhRow, da);
      }
    }

    if (in.cell == Cell::GRU) {
      // d(r*h) = da_hh Uh^T, then finish the reset gate and [z r] paths.
      stepProduct(w.second.get(), true, nb, U, U, dAStep + 2 * U, ldaStep, in.recurrentKernel + 2 * U, GU, dRh.data(), U);
      for (int r = 0; r < nb; ++r) {
        const int b = b0 + r;
        if (carried(in.mask, T, b, t)) continue;
        const size_t o = static_cast<size_t>(r) * U;
        const size_t row = static_cast<size_t>(b) * T + t;
        gruBackwardRow2(U, sv.gates + row * GU, sv.hPrev + row * U, dRh.data() + o, dA + row * GU,
                        dhDirect.data() + o);
      }
      stepProduct(w.first.get(), true, nb, U, 2 * U, dAStep, ldaStep, in.recurrentKernel, GU, dhPrev.data(), U);
    } else {
      stepProduct(w.first.get(), true, nb, U, GU, dAStep, ldaStep, in.recurrentKernel, GU, dhPrev.data(), U);
    }
    for (int r = 0; r < nb; ++r) {
      const size_t o = static_cast<size_t>(r) * U;
      // Carried rows have zero gate gradients, so the product left 0 there: add the pass-through.
      const bool skip = carried(in.mask, T, b0 + r, t);
      const float* extra = skip ? dhTotal.data() + o : (in.cell == Cell::GRU ? dhDirect.data() + o : nullptr);
      if (extra) {
        for (int j = 0; j < U; ++j) dhPrev[o + j] += extra[j];
      }
    }
    dh.swap(dhPrev);
  }
  copyRow(grads.dh0 + off, dh.data(), static_cast<int>(nbU));
  if (grads.dc0 && in.cell == Cell::LSTM) copyRow(grads.dc0 + off, dc.data(), static_cast<int>(nbU));
}

}  // namespace

void setInputFold(bool on) { inputFold.store(on, std::memory_order_relaxed); }

void rnnForward(const RnnInputs& in, const RnnOutputs& out) {
  const int B = in.s.B, T = in.s.T, D = in.s.D, U = in.s.U;
  const int GU = gateCount(in.cell) * U;
  const size_t rows = static_cast<size_t>(B) * T;

  // Whether the steps fold the input projection in is decided once, by packForward: the switch
  // (setInputFold) is read there only, so the weights and the projection below always agree.
  const StepWeights weights = packForward(in);

  // Input projection for every step at once, unless each step folds it in: xp = x W + b, one
  // [B*T, D] x [D, GU] product. Every element is written below (bias or 0, then the product), so the
  // buffer is not zero-filled first.
  std::unique_ptr<float[]> xpBuffer;
  float* xp = nullptr;
  if (!weights.fusedInput) {
    xpBuffer.reset(new float[rows * GU]);
    xp = xpBuffer.get();
    for (size_t r = 0; r < rows; ++r) {
      if (in.bias) {
        copyRow(xp + r * GU, in.bias, GU);
      } else {
        std::fill(xp + r * GU, xp + (r + 1) * GU, 0.0f);
      }
    }
    sgemm(false, false, static_cast<int>(rows), GU, D, 1.0f, in.x, D, in.kernel, GU, 1.0f, xp, GU);
  }

  const size_t BU = static_cast<size_t>(B) * U;
  if (in.h0) copyRow(out.h, in.h0, static_cast<int>(BU)); else std::fill(out.h, out.h + BU, 0.0f);
  if (out.c) {
    if (in.c0) copyRow(out.c, in.c0, static_cast<int>(BU)); else std::fill(out.c, out.c + BU, 0.0f);
  }
  SavedView sv{};
  if (out.saved) sv = viewSaved(in.cell, in.s, out.saved);
  forEachRowSlice(B, [&](int b0, int b1) { forwardRows(in, weights, out, xp, sv, b0, b1); });
}

void rnnBackward(const RnnInputs& in, const float* saved, const float* dOutputs, const float* dH,
                 const float* dC, const RnnGradients& grads) {
  const int B = in.s.B, T = in.s.T, D = in.s.D, U = in.s.U;
  const int GU = gateCount(in.cell) * U;
  const size_t rows = static_cast<size_t>(B) * T;
  const SavedView sv = viewSaved(in.cell, in.s, const_cast<float*>(saved));

  // Gradients w.r.t. the gate pre-activations of every step, rows b*T + t like xp.
  // backwardRows writes every row (zeros for masked steps), so the buffer is not zero-filled first.
  std::unique_ptr<float[]> dABuffer(new float[rows * GU]);
  float* dA = dABuffer.get();
  const StepWeights weights = packBackward(in);
  forEachRowSlice(B, [&](int b0, int b1) { backwardRows(in, weights, sv, dOutputs, dH, dC, dA, grads, b0, b1); });

  // Weight and input gradients for all steps at once.
  sgemm(false, true, static_cast<int>(rows), D, GU, 1.0f, dA, GU, in.kernel, GU, 0.0f, grads.dx, D);
  sgemm(true, false, D, GU, static_cast<int>(rows), 1.0f, in.x, D, dA, GU, 0.0f, grads.dKernel, GU);
  if (in.cell == Cell::GRU) {
    sgemm(true, false, U, 2 * U, static_cast<int>(rows), 1.0f, sv.hPrev, U, dA, GU, 0.0f,
          grads.dRecurrentKernel, GU);
    sgemm(true, false, U, U, static_cast<int>(rows), 1.0f, sv.rh, U, dA + 2 * U, GU, 0.0f,
          grads.dRecurrentKernel + 2 * U, GU);
  } else {
    sgemm(true, false, U, GU, static_cast<int>(rows), 1.0f, sv.hPrev, U, dA, GU, 0.0f,
          grads.dRecurrentKernel, GU);
  }
  std::fill(grads.dBias, grads.dBias + GU, 0.0f);
  for (size_t r = 0; r < rows; ++r) {
    const float* da = dA + r * GU;
    for (int j = 0; j < GU; ++j) grads.dBias[j] += da[j];
  }
}

}  // namespace rnnkit
