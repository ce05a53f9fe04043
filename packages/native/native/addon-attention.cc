// N-API entry points of the additive attention scores (attention.h): additiveScores and its gradient.
#include <napi.h>

#include "addon-args.h"
#include "addon.h"
#include "attention.h"

namespace rnnkit::binding {

namespace {

struct ScoreArgs {
  rnnkit::ScoreShape s;
  const float* q;
  const float* k;
  const float* v;
};

// Shared argument parsing of additiveScores/additiveScoresBackward: (q, k, v, B, Tq, S, U, ...)
ScoreArgs parseScoreArgs(const Napi::CallbackInfo& info) {
  ScoreArgs a{};
  a.s = {intArg(info, 3, "B"), intArg(info, 4, "Tq"), intArg(info, 5, "S"), intArg(info, 6, "U")};
  const size_t B = a.s.B, Tq = a.s.Tq, S = a.s.S, U = a.s.U;
  a.q = requiredFloats(info[0], B * Tq * U, "query");
  a.k = requiredFloats(info[1], B * S * U, "keys");
  a.v = requiredFloats(info[2], U, "scoreVector");
  return a;
}

// additiveScores(q, k, v, B, Tq, S, U) → scores [B*Tq*S]
Napi::Value AdditiveScores(const Napi::CallbackInfo& info) {
  const ScoreArgs a = parseScoreArgs(info);
  auto scores = newFloats(info.Env(), static_cast<size_t>(a.s.B) * a.s.Tq * a.s.S);
  rnnkit::additiveScores(a.q, a.k, a.v, a.s, scores.Data());
  return scores;
}

// additiveScoresBackward(q, k, v, B, Tq, S, U, dScores) → { dq, dk, dv }
Napi::Value AdditiveScoresBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ScoreArgs a = parseScoreArgs(info);
  const size_t B = a.s.B, Tq = a.s.Tq, S = a.s.S, U = a.s.U;
  const float* dScores = requiredFloats(info[7], B * Tq * S, "dScores");
  auto dq = newFloats(env, B * Tq * U);
  auto dk = newFloats(env, B * S * U);
  auto dv = newFloats(env, U);
  rnnkit::additiveScoresBackward(a.q, a.k, a.v, dScores, a.s, dq.Data(), dk.Data(), dv.Data());
  return objectOf(env, {{"dq", dq}, {"dk", dk}, {"dv", dv}});
}

}  // namespace

void RegisterAttention(Napi::Env env, Napi::Object exports) {
  exportMethods(env, exports, {{"additiveScores", AdditiveScores}, {"additiveScoresBackward", AdditiveScoresBackward}});
}

}  // namespace rnnkit::binding
