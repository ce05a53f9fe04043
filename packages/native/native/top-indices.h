// The k largest entries of a row, for beam search's candidate selection: one pass over a decoding
// step's log-probabilities (a vocabulary of thousands) per live beam, which in JS cost about a fifth
// of a beam-4 Seq2Seq reply once the step itself was one native call.
#pragma once

namespace rnnkit {

// Writes to `out` the indices of the `k` largest entries of row[0, n) that are not -Infinity,
// largest first, ties broken by the lower index; returns how many were written (fewer than k when
// fewer entries qualify). The same insertion procedure as core's JS topIndices, so both agree on
// every input, NaN included.
int topIndices(const float* row, int n, int k, int* out);

}  // namespace rnnkit
