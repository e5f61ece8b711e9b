//! Small, pure statistics for comparing simulated fault times with observed
//! ones: central values, the two-sample Kolmogorov–Smirnov test, a
//! chi-square goodness-of-fit test (for hour-of-day histograms) and the
//! Wilson interval of a binomial share.
//!
//! Everything is plain `f64` arithmetic in a fixed order (samples are sorted
//! before they are summed), with libm's transcendental functions, so results
//! are bit-identical on every platform and for any order of the input.

use crate::time::{Calendar, SimTime};

/// z of a two-sided 95 % normal interval (`scipy.stats.norm.ppf(0.975)`).
pub const Z_95: f64 = 1.959963984540054;
/// z of a two-sided 99 % normal interval (`scipy.stats.norm.ppf(0.995)`).
pub const Z_99: f64 = 2.5758293035489004;
/// z of a two-sided 99.9 % normal interval (`scipy.stats.norm.ppf(0.9995)`).
pub const Z_999: f64 = 3.2905267314919255;

/// Why a statistic cannot be computed from its input.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum StatsError {
    #[error("the sample is empty")]
    EmptySample,
    #[error("the sample holds a value that is not a number")]
    NotANumber,
    #[error("{observed} observed bins but {expected} expected weights")]
    LengthMismatch { observed: usize, expected: usize },
    #[error("expected weight {index} is {value}: weights must be finite and not negative")]
    BadWeight { index: usize, value: f64 },
    #[error("the expected weights are all zero")]
    AllWeightsZero,
    #[error("no observations to test")]
    NoObservations,
    #[error("fewer than two bins can be expected: no degrees of freedom")]
    NoDegreesOfFreedom,
    #[error("{successes} successes out of {trials} trials")]
    MoreSuccessesThanTrials { successes: u64, trials: u64 },
    #[error("no trials")]
    NoTrials,
    #[error("z must be finite and positive, got {0}")]
    BadZ(f64),
}

/// The arithmetic mean; `None` for an empty sample or one holding NaN.
pub fn mean(sample: &[f64]) -> Option<f64> {
    let sorted = sorted_numbers(sample).ok()?;
    Some(sum_sorted(&sorted) / sorted.len() as f64)
}

/// The median (the mean of the two middle values for an even count); `None` as for [`mean`].
pub fn median(sample: &[f64]) -> Option<f64> {
    let sorted = sorted_numbers(sample).ok()?;
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        sorted[mid - 1] / 2.0 + sorted[mid] / 2.0
    })
}

/// A copy of the sample in ascending order; an error if it is empty or holds NaN.
fn sorted_numbers(sample: &[f64]) -> Result<Vec<f64>, StatsError> {
    if sample.is_empty() {
        return Err(StatsError::EmptySample);
    }
    if sample.iter().any(|x| x.is_nan()) {
        return Err(StatsError::NotANumber);
    }
    let mut sorted = sample.to_vec();
    sorted.sort_by(f64::total_cmp);
    Ok(sorted)
}

/// Neumaier's compensated sum, in the slice's order.
fn sum_sorted(values: &[f64]) -> f64 {
    let mut sum = 0.0;
    let mut compensation = 0.0;
    for &v in values {
        let t = sum + v;
        compensation += if libm::fabs(sum) >= libm::fabs(v) {
            (sum - t) + v
        } else {
            (v - t) + sum
        };
        sum = t;
    }
    sum + compensation
}

/// The result of a two-sample Kolmogorov–Smirnov test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KolmogorovSmirnov {
    /// D: the largest distance between the two empirical distribution functions, 0..=1.
    pub statistic: f64,
    /// The asymptotic two-sided p-value (Kolmogorov distribution, Stephens' small-sample correction).
    pub p_value: f64,
}

/// The smallest effective sample size n·m/(n+m) at which [`ks_two_sample`]'s p-value is a
/// usable approximation (Numerical Recipes, `kstwo`); below it, leave the test out.
pub const KS_MIN_EFFECTIVE_SIZE: f64 = 4.0;

/// The effective sample size n·m/(n+m) of two samples of sizes `n` and `m` (0 if either is empty).
pub fn ks_effective_size(n: usize, m: usize) -> f64 {
    if n == 0 || m == 0 {
        return 0.0;
    }
    n as f64 * m as f64 / (n as f64 + m as f64)
}

/// Two-sample Kolmogorov–Smirnov test: could `a` and `b` come from the same continuous distribution?
///
/// The p-value is Q_KS((√nₑ + 0.12 + 0.11/√nₑ)·D) with nₑ = n·m/(n+m), as in
/// Numerical Recipes' `kstwo`; it is a good approximation from nₑ ≈ 4 on.
pub fn ks_two_sample(a: &[f64], b: &[f64]) -> Result<KolmogorovSmirnov, StatsError> {
    let a = sorted_numbers(a)?;
    let b = sorted_numbers(b)?;
    let (n, m) = (a.len(), b.len());
    // D = max |i/n - j/m| = max |i·m - j·n| / (n·m), found exactly in integers.
    let (mut i, mut j, mut widest) = (0usize, 0usize, 0u128);
    while i < n && j < m {
        let x = if a[i].total_cmp(&b[j]).is_le() { a[i] } else { b[j] };
        while i < n && a[i].total_cmp(&x).is_le() {
            i += 1;
        }
        while j < m && b[j].total_cmp(&x).is_le() {
            j += 1;
        }
        let gap = (i as u128 * m as u128).abs_diff(j as u128 * n as u128);
        widest = widest.max(gap);
    }
    // Past the end of one sample the gap only shrinks towards zero, so the loop saw the maximum.
    let statistic = widest as f64 / (n as f64 * m as f64);
    let effective = libm::sqrt(n as f64 * m as f64 / (n as f64 + m as f64));
    let lambda = (effective + 0.12 + 0.11 / effective) * statistic;
    Ok(KolmogorovSmirnov {
        statistic,
        p_value: kolmogorov_sf(lambda),
    })
}

/// Q_KS(λ) = P(K > λ) of the Kolmogorov distribution: 2 Σ (-1)^(j-1) exp(-2 j² λ²).
///
/// Below λ = 1.18 the alternating series converges slowly, so there it is
/// 1 - (√(2π)/λ) Σ exp(-(2j-1)² π² / (8 λ²)) instead (the same function).
pub fn kolmogorov_sf(lambda: f64) -> f64 {
    if lambda.is_nan() {
        return f64::NAN;
    }
    if lambda <= 0.0 {
        return 1.0;
    }
    if lambda < 1.18 {
        let w = core::f64::consts::PI * core::f64::consts::PI / (8.0 * lambda * lambda);
        let mut cdf = 0.0;
        for j in 1..=100u32 {
            let odd = (2 * j - 1) as f64;
            let term = libm::exp(-odd * odd * w);
            cdf += term;
            if term <= f64::EPSILON * cdf {
                break;
            }
        }
        let cdf = libm::sqrt(2.0 * core::f64::consts::PI) / lambda * cdf;
        (1.0 - cdf).clamp(0.0, 1.0)
    } else {
        let mut sum = 0.0;
        let mut sign = 1.0;
        for j in 1..=100u32 {
            let jf = j as f64;
            let term = libm::exp(-2.0 * jf * jf * lambda * lambda);
            sum += sign * term;
            if term <= f64::EPSILON * sum {
                break;
            }
            sign = -sign;
        }
        (2.0 * sum).clamp(0.0, 1.0)
    }
}

/// The result of a chi-square goodness-of-fit test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChiSquare {
    /// Σ (observed - expected)² / expected over the bins that can be expected.
    pub statistic: f64,
    /// Bins with a non-zero expected weight, minus one.
    pub degrees_of_freedom: u32,
    /// P(χ² ≥ statistic) under the expected distribution.
    pub p_value: f64,
}

/// Chi-square goodness of fit of a histogram to relative expected weights (scaled to the same total).
///
/// A bin with weight zero and no observations is left out (one degree of
/// freedom fewer); one with weight zero and some observations makes the
/// statistic infinite and the p-value zero: that observation is impossible
/// under the expected distribution. The usual caveat holds: with expected
/// counts below about 5 per bin the chi-square approximation is rough.
pub fn chi_square_goodness_of_fit(
    observed: &[u64],
    expected_weights: &[f64],
) -> Result<ChiSquare, StatsError> {
    if observed.len() != expected_weights.len() {
        return Err(StatsError::LengthMismatch {
            observed: observed.len(),
            expected: expected_weights.len(),
        });
    }
    if let Some((index, &value)) = expected_weights
        .iter()
        .enumerate()
        .find(|(_, w)| !w.is_finite() || **w < 0.0)
    {
        return Err(StatsError::BadWeight { index, value });
    }
    let total_weight: f64 = expected_weights.iter().sum();
    if total_weight <= 0.0 {
        return Err(StatsError::AllWeightsZero);
    }
    let total: u64 = observed.iter().sum();
    if total == 0 {
        return Err(StatsError::NoObservations);
    }
    let bins = expected_weights.iter().filter(|w| **w > 0.0).count() as u32;
    if bins < 2 {
        return Err(StatsError::NoDegreesOfFreedom);
    }
    let degrees_of_freedom = bins - 1;
    let mut statistic = 0.0;
    for (&count, &weight) in observed.iter().zip(expected_weights) {
        if weight == 0.0 {
            if count > 0 {
                return Ok(ChiSquare {
                    statistic: f64::INFINITY,
                    degrees_of_freedom,
                    p_value: 0.0,
                });
            }
            continue;
        }
        let expected = total as f64 * weight / total_weight;
        let diff = count as f64 - expected;
        statistic += diff * diff / expected;
    }
    Ok(ChiSquare {
        statistic,
        degrees_of_freedom,
        p_value: chi_square_sf(statistic, degrees_of_freedom),
    })
}

/// P(χ²ₖ ≥ x): the chi-square survival function, Q(k/2, x/2).
pub fn chi_square_sf(x: f64, degrees_of_freedom: u32) -> f64 {
    if x.is_nan() || degrees_of_freedom == 0 {
        return f64::NAN;
    }
    if x == f64::INFINITY {
        return 0.0;
    }
    regularized_gamma_q(degrees_of_freedom as f64 / 2.0, x / 2.0)
}

/// Q(a, x) = Γ(a, x) / Γ(a), the regularised upper incomplete gamma function (a > 0, x ≥ 0).
///
/// Series for P below x = a + 1, Lentz's continued fraction for Q above
/// (Numerical Recipes §6.2); NaN outside the domain.
pub fn regularized_gamma_q(a: f64, x: f64) -> f64 {
    if a.is_nan() || x.is_nan() || a <= 0.0 || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return 1.0;
    }
    if x == f64::INFINITY {
        return 0.0;
    }
    const MAX_ITERATIONS: u32 = 100_000;
    const TINY: f64 = 1e-300;
    // x^a e^-x / Γ(a), in logs.
    let prefactor = libm::exp(-x + a * libm::log(x) - libm::lgamma(a));
    if x < a + 1.0 {
        let (mut ap, mut term) = (a, 1.0 / a);
        let mut sum = term;
        for _ in 0..MAX_ITERATIONS {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if libm::fabs(term) < libm::fabs(sum) * f64::EPSILON {
                break;
            }
        }
        (1.0 - sum * prefactor).clamp(0.0, 1.0)
    } else {
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..=MAX_ITERATIONS {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if libm::fabs(d) < TINY {
                d = TINY;
            }
            c = b + an / c;
            if libm::fabs(c) < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let step = d * c;
            h *= step;
            if libm::fabs(step - 1.0) < f64::EPSILON {
                break;
            }
        }
        (prefactor * h).clamp(0.0, 1.0)
    }
}

/// A closed interval of shares, `low..=high` within 0..=1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl Interval {
    /// Whether `share` lies inside the interval (ends included).
    pub fn contains(&self, share: f64) -> bool {
        self.low <= share && share <= self.high
    }
}

/// The Wilson score interval of a binomial share `successes / trials` at normal quantile `z` ([`Z_95`]…).
pub fn wilson_interval(successes: u64, trials: u64, z: f64) -> Result<Interval, StatsError> {
    if trials == 0 {
        return Err(StatsError::NoTrials);
    }
    if successes > trials {
        return Err(StatsError::MoreSuccessesThanTrials { successes, trials });
    }
    if !z.is_finite() || z <= 0.0 {
        return Err(StatsError::BadZ(z));
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half_width = z / denominator * libm::sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n));
    Ok(Interval {
        low: (centre - half_width).max(0.0),
        high: (centre + half_width).min(1.0),
    })
}

/// How many of `times` fall in each local hour of the day (index 0 = 00:00–00:59).
pub fn hour_of_day_histogram(calendar: &Calendar, times: &[SimTime]) -> [u64; 24] {
    let mut bins = [0u64; 24];
    for &t in times {
        bins[calendar.hour_of_day(t) as usize % 24] += 1;
    }
    bins
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{CivilDateTime, SimDuration};

    /// |actual - expected| within `rel` of |expected| (relative, so tiny p-values are checked too).
    fn close(actual: f64, expected: f64, rel: f64) -> bool {
        (actual - expected).abs() <= rel * expected.abs()
    }

    #[test]
    fn mean_and_median_of_small_samples() {
        assert_eq!(mean(&[1.0, 2.0, 3.0, 4.0]), Some(2.5));
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(mean(&[]), None);
        assert_eq!(median(&[]), None);
        assert_eq!(mean(&[1.0, f64::NAN]), None);
        // Cancellation a plain sum gets wrong (0 sorted, 0.25 in this order).
        assert_eq!(mean(&[1e16, 1.0, -1e16, 1.0]), Some(0.5));
    }

    #[test]
    fn mean_does_not_depend_on_the_order_of_the_sample() {
        let sample: Vec<f64> = (0..1000).map(|i| libm::sin(i as f64) * 1e3 + 0.1).collect();
        let mut reversed = sample.clone();
        reversed.reverse();
        let mut interleaved: Vec<f64> = sample
            .iter()
            .step_by(2)
            .chain(sample.iter().skip(1).step_by(2))
            .copied()
            .collect();
        interleaved.rotate_left(17);
        let m = mean(&sample).map(f64::to_bits);
        assert_eq!(mean(&reversed).map(f64::to_bits), m);
        assert_eq!(mean(&interleaved).map(f64::to_bits), m);
    }

    #[test]
    fn ks_of_identical_samples_is_zero_and_of_disjoint_samples_is_one() {
        let a = [3.0, 1.0, 2.0, 2.0, 5.0];
        let same = ks_two_sample(&a, &a).expect("valid samples");
        assert_eq!(same.statistic, 0.0);
        assert_eq!(same.p_value, 1.0);
        let b = [10.0, 11.0, 12.0];
        let apart = ks_two_sample(&a, &b).expect("valid samples");
        assert_eq!(apart.statistic, 1.0);
        assert_eq!(ks_two_sample(&b, &a), Ok(apart));
        assert!(apart.p_value < 0.05);
        assert_eq!(ks_two_sample(&[], &a), Err(StatsError::EmptySample));
        assert_eq!(ks_two_sample(&a, &[f64::NAN]), Err(StatsError::NotANumber));
    }

    #[test]
    fn ks_counts_ties_across_samples_once() {
        // F_a jumps to 1/2 then 1, F_b to 1 at the same first value: D = 1/2, not 1.
        let d = ks_two_sample(&[1.0, 2.0], &[1.0]).expect("valid").statistic;
        assert_eq!(d, 0.5);
    }

    #[test]
    fn ks_matches_scipy_on_two_normal_samples() {
        let a = [
            0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37,
            1.77, 1.09, -1.28, 2.36, 1.31, 1.05, -0.32, -0.4, 1.06, -2.47,
        ];
        let b = [
            2.2, 1.66, 1.38, 0.2, 0.36, 0.0, 0.96, 1.56, 0.44, 1.5, -0.3, 0.66, 2.31, 3.29, -0.27, -0.37,
            0.38, 0.7, 0.19, -2.41, 1.37, 0.85, 1.13, 0.13, 1.35, 1.35, 2.01, 1.79, 0.84, 0.65,
        ];
        let ks = ks_two_sample(&a, &b).expect("valid samples");
        // scipy 1.17.1: stats.ks_2samp(a, b).statistic == 0.35333333333333333 (= 265/750).
        assert_eq!(ks.statistic, 265.0 / 750.0);
        // scipy 1.17.1: special.kolmogorov((sqrt(en) + 0.12 + 0.11/sqrt(en)) * D), en = 25·30/55:
        // 0.05010974949169683. (ks_2samp's own p-values: exact 0.0509, 'asymp' 0.0455.)
        assert!(close(ks.p_value, 0.05010974949169683, 1e-12), "{}", ks.p_value);
    }

    #[test]
    fn kolmogorov_survival_matches_scipy() {
        // scipy 1.17.1: special.kolmogorov(λ); both branches and the 1.18 switch.
        for (lambda, q) in [
            (0.1, 1.0),
            (0.3, 0.9999906941986655),
            (0.5, 0.9639452436648751),
            (0.8, 0.5441424115741981),
            (1.0, 0.26999967167735456),
            (1.17, 0.12939004218561884),
            (1.19, 0.11774229287977166),
            (1.36, 0.049485876755377876),
            (2.0, 0.0006709252557796953),
            (3.0, 3.045995948942526e-08),
        ] {
            assert!(
                close(kolmogorov_sf(lambda), q, 1e-12),
                "Q_KS({lambda}) = {}",
                kolmogorov_sf(lambda)
            );
        }
        assert_eq!(kolmogorov_sf(0.0), 1.0);
        assert!(kolmogorov_sf(f64::NAN).is_nan());
    }

    #[test]
    fn chi_square_survival_matches_scipy_and_closed_forms() {
        // scipy 1.17.1: stats.chi2.sf(x, k).
        for (x, k, p) in [
            (30.0, 23, 0.149401647696323),
            (3.84, 1, 0.05004352124870519),
            (50.0, 23, 0.0009213220411029255),
            (5.0, 10, 0.8911780189141513),
            (100.0, 23, 1.4078728712722855e-11),
            (0.5, 3, 0.9188914116546758),
            (200.0, 23, 3.488571391324126e-30),
        ] {
            assert!(
                close(chi_square_sf(x, k), p, 1e-9),
                "chi2.sf({x}, {k}) = {}",
                chi_square_sf(x, k)
            );
        }
        // Two degrees of freedom: exp(-x/2) exactly.
        for x in [0.1, 1.0, 10.0, 40.0] {
            assert!(close(chi_square_sf(x, 2), libm::exp(-x / 2.0), 1e-13));
        }
        // One degree of freedom: erfc(sqrt(x/2)).
        for x in [0.01, 0.5, 3.84, 20.0] {
            assert!(close(chi_square_sf(x, 1), libm::erfc(libm::sqrt(x / 2.0)), 1e-12));
        }
        assert_eq!(chi_square_sf(0.0, 5), 1.0);
        assert_eq!(chi_square_sf(f64::INFINITY, 5), 0.0);
        assert!(chi_square_sf(1.0, 0).is_nan());
    }

    #[test]
    fn regularized_gamma_q_matches_scipy() {
        // scipy 1.17.1: special.gammaincc(a, x); Q(1, x) = e^-x.
        for (a, x, q) in [
            (0.5, 0.1, 0.6547208460185768),
            (11.5, 15.0, 0.149401647696323),
            (3.0, 2.0, 0.6766764161830634),
            (50.0, 60.0, 0.08440668109369177),
            (1.0, 3.0, libm::exp(-3.0)),
        ] {
            assert!(
                close(regularized_gamma_q(a, x), q, 1e-10),
                "Q({a}, {x}) = {}",
                regularized_gamma_q(a, x)
            );
        }
        assert!(regularized_gamma_q(0.0, 1.0).is_nan());
        assert!(regularized_gamma_q(1.0, -1.0).is_nan());
    }

    #[test]
    fn chi_square_of_an_hour_histogram_matches_scipy() {
        let observed = [
            5, 3, 2, 1, 0, 1, 2, 3, 4, 6, 8, 9, 10, 9, 8, 7, 6, 5, 6, 7, 8, 9, 7, 6,
        ];
        let weights: [f64; 24] = std::array::from_fn(|h| if (8..22).contains(&h) { 2.0 } else { 1.0 });
        let chi = chi_square_goodness_of_fit(&observed, &weights).expect("valid histogram");
        // scipy 1.17.1: stats.chisquare(observed, n·w/Σw) = (20.28787878787879, 0.6244890666907938).
        assert!(
            close(chi.statistic, 20.28787878787879, 1e-12),
            "{}",
            chi.statistic
        );
        assert!(close(chi.p_value, 0.6244890666907938, 1e-9), "{}", chi.p_value);
        assert_eq!(chi.degrees_of_freedom, 23);
    }

    #[test]
    fn chi_square_handles_impossible_bins_and_rejects_bad_input() {
        let mut weights = [1.0; 24];
        weights[3] = 0.0;
        let mut observed = [4u64; 24];
        observed[3] = 0;
        let fit = chi_square_goodness_of_fit(&observed, &weights).expect("valid");
        assert_eq!(
            (fit.statistic, fit.degrees_of_freedom, fit.p_value),
            (0.0, 22, 1.0)
        );
        observed[3] = 1; // a 3 a.m. event where none can happen
        let impossible = chi_square_goodness_of_fit(&observed, &weights).expect("valid");
        assert_eq!((impossible.statistic, impossible.p_value), (f64::INFINITY, 0.0));

        assert_eq!(
            chi_square_goodness_of_fit(&[1, 2], &[1.0]),
            Err(StatsError::LengthMismatch {
                observed: 2,
                expected: 1
            })
        );
        assert_eq!(
            chi_square_goodness_of_fit(&[1, 2], &[1.0, -1.0]),
            Err(StatsError::BadWeight {
                index: 1,
                value: -1.0
            })
        );
        assert_eq!(
            chi_square_goodness_of_fit(&[1, 2], &[0.0, 0.0]),
            Err(StatsError::AllWeightsZero)
        );
        assert_eq!(
            chi_square_goodness_of_fit(&[0, 0], &[1.0, 1.0]),
            Err(StatsError::NoObservations)
        );
        assert_eq!(
            chi_square_goodness_of_fit(&[3, 0], &[1.0, 0.0]),
            Err(StatsError::NoDegreesOfFreedom)
        );
    }

    #[test]
    fn wilson_interval_matches_newcombe() {
        // Newcombe (1998), Statistics in Medicine 17:857, Table I, method 3 (Wilson score, 95 %).
        for (s, n, low, high) in [
            (81, 263, 0.2553, 0.3662),
            (15, 148, 0.0624, 0.1605),
            (0, 20, 0.0, 0.1611),
            (1, 29, 0.0061, 0.1718),
        ] {
            let ci = wilson_interval(s, n, Z_95).expect("valid");
            assert!(
                (ci.low - low).abs() < 5e-5 && (ci.high - high).abs() < 5e-5,
                "{s}/{n}: {ci:?}"
            );
        }
        // scipy 1.17.1: stats.binomtest(81, 263).proportion_ci(method='wilson'), to full precision.
        let ci = wilson_interval(81, 263, Z_95).expect("valid");
        assert!(close(ci.low, 0.2552885198782742, 1e-12) && close(ci.high, 0.36620957698280004, 1e-12));
        assert!(ci.contains(81.0 / 263.0) && !ci.contains(0.25));
        assert_eq!(wilson_interval(1, 0, Z_95), Err(StatsError::NoTrials));
        assert_eq!(
            wilson_interval(3, 2, Z_95),
            Err(StatsError::MoreSuccessesThanTrials {
                successes: 3,
                trials: 2
            })
        );
        assert_eq!(wilson_interval(1, 2, 0.0), Err(StatsError::BadZ(0.0)));
        let all = wilson_interval(20, 20, Z_95).expect("valid");
        assert_eq!(all.high, 1.0);
    }

    #[test]
    fn hour_histogram_uses_the_local_calendar() {
        let calendar = Calendar::new(CivilDateTime::new(2021, 4, 19, 22, 30, 0).expect("valid"));
        let at = |minutes| SimTime::ZERO + SimDuration::from_mins(minutes);
        // 22:30, 23:59, 00:00 next day, 03:15.
        let bins = hour_of_day_histogram(&calendar, &[at(0), at(89), at(90), at(285)]);
        assert_eq!((bins[22], bins[23], bins[0], bins[3]), (1, 1, 1, 1));
        assert_eq!(bins.iter().sum::<u64>(), 4);
    }
}
