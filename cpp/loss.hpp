// The tempered KL loss of one logit against one target probability,
// computed stably in double precision.
//
//   l(f, p) = tau^2 * KL(Bern(p) || Bern(sigmoid(u))),  u = f / tau
//           = tau^2 * [ p ln p + (1-p) ln(1-p)  +  softplus(-u) + (1-p) u ]
//   dl/df   = tau * (sigmoid(u) - p)
//
// The first bracket, the negative entropy of the target, does not change
// during training: it is summed once per data set (column_negentropy), and
// each step only evaluates the second, which shares one exp() with the
// gradient.
#pragma once

#include <algorithm>
#include <cmath>

namespace kdfast {

// x ln x with the limit 0 ln 0 = 0.
inline double xlogx(double x) { return x > 0.0 ? x * std::log(x) : 0.0; }

// The negative entropy of Bern(p).
inline double bernoulli_negentropy(double p) { return xlogx(p) + xlogx(1.0 - p); }

// softplus(-u) + (1-p) u, and dl/df in *grad (when grad is not null).
inline double cross_entropy_part(double f, double p, double tau, double* grad) {
    const double u = f / tau;
    const double e = std::exp(-std::abs(u));  // in (0, 1]: no overflow
    if (grad != nullptr) *grad = tau * ((u >= 0.0 ? 1.0 : e) / (1.0 + e) - p);
    return std::max(-u, 0.0) + std::log1p(e) + (1.0 - p) * u;
}

}  // namespace kdfast
