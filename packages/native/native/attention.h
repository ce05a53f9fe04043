// Additive (Bahdanau) attention scores as one op:
//   scores[b,t,s] = sum_u v[u] * tanh(q[b,t,u] + k[b,s,u])
// q [B,Tq,U] is the projected query (bias included), k [B,S,U] the projected keys, v [U] the score
// vector. Composed from tf ops this materializes tanh(q + k) as a [B,Tq,S,U] tensor (and several
// more of that size in its gradient); here it lives only in registers.
#pragma once

namespace rnnkit {

struct ScoreShape {
  int B, Tq, S, U;
};

// scores [B,Tq,S]
void additiveScores(const float* q, const float* k, const float* v, const ScoreShape& s, float* scores);

// Gradients of sum(dScores * scores) for q [B,Tq,U], k [B,S,U] and v [U]; tanh is recomputed.
void additiveScoresBackward(const float* q, const float* k, const float* v, const float* dScores,
                            const ScoreShape& s, float* dq, float* dk, float* dv);

}  // namespace rnnkit
