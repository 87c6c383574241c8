// What column_pairs.cpp (a pair's joint law by direct convolution) and
// pair_spectrum.cpp (by its spectrum) share: one row's outcome in both columns
// and a column's conversion error given its sum.
#pragma once
#include <string>
#include <vector>

#include "statistical/model.hpp"

namespace cimmc::stat {

// One row's contribution (m1, m2) to the pair's integer sums, with the
// p-weighted moments of its analog deviation d and its programming (vp) and
// read (vn) variances in each column.
struct PairRow {
  int m1 = 0, m2 = 0;
  double p = 0, d1 = 0, d2 = 0, d12 = 0, vp1 = 0, vp2 = 0, vn1 = 0, vn2 = 0;  // p-weighted
};

// E[delta*code] - M per variant of one column at integer sum M whose analog
// value has mean u and variances vp (programming) and vn (read noise); an
// ideal ADC passes E[Y] = u on in every variant.
void column_errors(const JobView& v, double step, int M, double u, double vp, double vn, double* e);

// Appends x's bytes to a memo key.
template <class T>
void append_key(std::string& key, const T& x) {
  key.append(reinterpret_cast<const char*>(&x), sizeof x);
}
// Appends the ADC fields column_errors reads.
inline void append_adc_key(std::string& key, const JobView& v) {
  append_key(key, v.adc_mode), append_key(key, v.code_min), append_key(key, v.code_max);
  append_key(key, v.adc_noise), append_key(key, v.adc_delta);
}

// The multiply-adds of spectral_moments on n rows, D distinct m1 among them,
// a grid of N1 x N2 sums.
double spectral_cost(int n, int D, int N1, int N2);

// pm.p, e1, e2 and e12 of a pair none of whose rows deviates (d, vp and vn
// all 0), the sums spanning [n lo, n hi] in each column.
// memo: where the columns' error spectra are kept for other pairs, or none.
void spectral_moments(const JobView& v, const std::vector<PairRow>& rows, int lo1, int hi1, int lo2, int hi2,
                      double step1, double step2, int n, PairMemo* memo, PairMoments& pm);

}  // namespace cimmc::stat
