// The tempered KL loss of one logit against one target probability,
// computed stably in double precision.
//
//   l(f, p) = tau^2 * KL(Bern(p) || Bern(sigmoid(f / tau)))
//   dl/df   = tau * (sigmoid(f / tau) - p)
#pragma once

#include <cmath>

namespace kdfast {

inline double sigmoid(double u) {
    if (u >= 0.0) return 1.0 / (1.0 + std::exp(-u));
    const double e = std::exp(u);
    return e / (1.0 + e);
}

// ln(1 + e^x) without overflow or loss of small values.
inline double softplus(double x) {
    return x > 0.0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

// x ln x with the limit 0 ln 0 = 0.
inline double xlogx(double x) { return x > 0.0 ? x * std::log(x) : 0.0; }

// KL = p ln p + (1-p) ln(1-p) - p ln q - (1-p) ln(1-q), with
// -ln q = softplus(-u) and -ln(1-q) = softplus(-u) + u.
inline double tempered_kl(double f, double p, double tau) {
    const double u = f / tau;
    return tau * tau * (xlogx(p) + xlogx(1.0 - p) + softplus(-u) + (1.0 - p) * u);
}

inline double tempered_kl_grad(double f, double p, double tau) { return tau * (sigmoid(f / tau) - p); }

}  // namespace kdfast
