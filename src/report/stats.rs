//! The figures of DECISIONS.md "Figures", as pure functions, with the anonymity threshold
//! applied through [`Shown`].
//!
//! Everything a report shows can be computed from three aggregates, without raw answers:
//! [`Histogram`] per Likert item, [`NetHistogram`] for the 0–10 item and [`Moments`] of the
//! respondents' pillar scores. They add up, so a department's subtree is the sum of its
//! units' aggregates and reports can read what was stored when the round closed.
//!
//! Orientation: reverse-coded items are turned (6 − v) when an answer enters a histogram or a
//! respondent score, so every stored aggregate and every figure already reads "higher is more
//! customer-centric".

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign};

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

pub const LIKERT_MIN: u8 = 1;
pub const LIKERT_MAX: u8 = 5;
/// The 0–10 item runs from 0 to this.
pub const NET_MAX: u8 = 10;
/// The level for round-to-round change markers unless a caller has a reason for another.
pub const DEFAULT_ALPHA: f64 = 0.05;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsError {
    OutOfScale { value: u8, min: u8, max: u8 },
}

impl fmt::Display for StatsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatsError::OutOfScale { value, min, max } => {
                write!(f, "answer {value} is outside the scale {min}–{max}")
            }
        }
    }
}

impl std::error::Error for StatsError {}

/// A Likert answer turned so that higher always means more customer-centric.
pub fn oriented(value: u8, reverse_coded: bool) -> Result<u8, StatsError> {
    if !(LIKERT_MIN..=LIKERT_MAX).contains(&value) {
        return Err(StatsError::OutOfScale {
            value,
            min: LIKERT_MIN,
            max: LIKERT_MAX,
        });
    }
    Ok(if reverse_coded { 6 - value } else { value })
}

/// A mean on the 1–5 scale as a score on 0–100.
pub fn likert_to_score(mean: f64) -> f64 {
    (mean - 1.0) / 4.0 * 100.0
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

// ---------------------------------------------------------------------------------------------
// Anonymity threshold

/// Why a figure is not shown. Deliberately carries no count: "3 answers" would be the very
/// thing the threshold hides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HiddenReason {
    /// The group has fewer respondents than the threshold.
    NotEnoughAnswers,
    /// The group is large enough, but too few of it answered this item (the rest could not
    /// judge it).
    NotEnoughItemAnswers,
    /// The overall index needs all three pillar indices.
    PillarMissing,
    /// Shown, it would reveal a hidden group by differencing (decided by the caller).
    ComplementarySuppression,
    /// Results appear only when a round closes.
    RoundOpen,
}

/// A figure that went through the threshold check. Outputs take `Shown<T>` rather than `T`,
/// so a figure cannot reach a page, an export or a chart without the check having been made.
///
/// Serialised with a tag: `{"status":"shown","value":{…}}` or
/// `{"status":"hidden","value":{"reason":"not_enough_answers"}}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "status", content = "value", rename_all = "snake_case")]
pub enum Shown<T> {
    Shown(T),
    Hidden { reason: HiddenReason },
}

impl<T> Shown<T> {
    pub fn hidden(reason: HiddenReason) -> Self {
        Shown::Hidden { reason }
    }

    pub fn is_shown(&self) -> bool {
        matches!(self, Shown::Shown(_))
    }

    pub fn as_shown(&self) -> Option<&T> {
        match self {
            Shown::Shown(value) => Some(value),
            Shown::Hidden { .. } => None,
        }
    }

    pub fn into_shown(self) -> Option<T> {
        match self {
            Shown::Shown(value) => Some(value),
            Shown::Hidden { .. } => None,
        }
    }

    pub fn hidden_reason(&self) -> Option<HiddenReason> {
        match self {
            Shown::Shown(_) => None,
            Shown::Hidden { reason } => Some(*reason),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Shown<U> {
        match self {
            Shown::Shown(value) => Shown::Shown(f(value)),
            Shown::Hidden { reason } => Shown::Hidden { reason },
        }
    }

    /// Complementary suppression: hides a figure that passed its own threshold.
    pub fn suppress(self) -> Self {
        match self {
            Shown::Shown(_) => Shown::hidden(HiddenReason::ComplementarySuppression),
            hidden => hidden,
        }
    }
}

/// Whether a count reaches the threshold. A threshold of 0 is read as 1: a figure of nobody
/// has no value to show.
pub fn meets_threshold(count: u64, threshold: u32) -> bool {
    count >= u64::from(threshold.max(1))
}

// ---------------------------------------------------------------------------------------------
// Likert items

/// Answers of one Likert item (after turning), the aggregate stored per
/// round × department × item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Histogram {
    /// `counts[v - 1]` answers with (turned) value `v`.
    pub counts: [u64; 5],
    pub cant_judge: u64,
}

/// The figures of one Likert item for one group.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ItemFigures {
    /// Answers with a value; "can't judge" is not counted.
    pub n: u64,
    /// 1–5.
    pub mean: f64,
    /// Share of 4 and 5 among `n`, 0–100.
    pub favourable_pct: f64,
    /// Share of 3 among `n`.
    pub neutral_pct: f64,
    /// Share of 1 and 2 among `n`.
    pub unfavourable_pct: f64,
    /// Share of "can't judge" among everyone who was asked the item.
    pub cant_judge_pct: f64,
    /// Answers per value 1..=5.
    pub distribution: [u64; 5],
}

impl Histogram {
    /// Counts one answer; `None` is "can't judge".
    pub fn record(&mut self, answer: Option<u8>, reverse_coded: bool) -> Result<(), StatsError> {
        match answer {
            None => self.cant_judge += 1,
            Some(value) => self.counts[usize::from(oriented(value, reverse_coded)? - 1)] += 1,
        }
        Ok(())
    }

    pub fn from_answers(
        answers: impl IntoIterator<Item = Option<u8>>,
        reverse_coded: bool,
    ) -> Result<Self, StatsError> {
        let mut histogram = Histogram::default();
        for answer in answers {
            histogram.record(answer, reverse_coded)?;
        }
        Ok(histogram)
    }

    pub fn n(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The figures regardless of the threshold; `None` when nobody gave a value. Outputs use
    /// [`show_item`].
    pub fn figures(&self) -> Option<ItemFigures> {
        let n = self.n();
        if n == 0 {
            return None;
        }
        let weighted: u64 = self
            .counts
            .iter()
            .zip(1u64..)
            .map(|(count, value)| count * value)
            .sum();
        let [c1, c2, c3, c4, c5] = self.counts;
        Some(ItemFigures {
            n,
            mean: weighted as f64 / n as f64,
            favourable_pct: pct(c4 + c5, n),
            neutral_pct: pct(c3, n),
            unfavourable_pct: pct(c1 + c2, n),
            cant_judge_pct: pct(self.cant_judge, n + self.cant_judge),
            distribution: self.counts,
        })
    }
}

impl AddAssign<&Histogram> for Histogram {
    fn add_assign(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
        self.cant_judge += other.cant_judge;
    }
}

impl Add for Histogram {
    type Output = Histogram;
    fn add(mut self, other: Histogram) -> Histogram {
        self += &other;
        self
    }
}

impl<'a> Sum<&'a Histogram> for Histogram {
    fn sum<I: Iterator<Item = &'a Histogram>>(iter: I) -> Self {
        iter.fold(Histogram::default(), |mut sum, h| {
            sum += h;
            sum
        })
    }
}

/// An item's figures, shown only when the item's own n reaches the threshold: a large group
/// in which only two could judge an item would otherwise show those two answers.
pub fn show_item(histogram: &Histogram, threshold: u32) -> Shown<ItemFigures> {
    if !meets_threshold(histogram.n(), threshold) {
        return Shown::hidden(HiddenReason::NotEnoughItemAnswers);
    }
    histogram.figures().map_or(
        Shown::hidden(HiddenReason::NotEnoughItemAnswers),
        Shown::Shown,
    )
}

// ---------------------------------------------------------------------------------------------
// The 0–10 item

/// Answers of the 0–10 item, the aggregate stored per round × department.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetHistogram {
    /// `counts[v]` answers with value `v`, 0..=10.
    pub counts: [u64; 11],
    pub cant_judge: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NetFigures {
    pub n: u64,
    /// 0–10.
    pub mean: f64,
    /// % 9–10 minus % 0–6, −100…+100.
    pub net_score: f64,
    /// Share of 9 and 10.
    pub promoters_pct: f64,
    /// Share of 7 and 8.
    pub passives_pct: f64,
    /// Share of 0 to 6.
    pub detractors_pct: f64,
    pub cant_judge_pct: f64,
    pub distribution: [u64; 11],
}

impl NetHistogram {
    pub fn record(&mut self, answer: Option<u8>) -> Result<(), StatsError> {
        match answer {
            None => self.cant_judge += 1,
            Some(value) if value <= NET_MAX => self.counts[usize::from(value)] += 1,
            Some(value) => {
                return Err(StatsError::OutOfScale {
                    value,
                    min: 0,
                    max: NET_MAX,
                });
            }
        }
        Ok(())
    }

    pub fn from_answers(answers: impl IntoIterator<Item = Option<u8>>) -> Result<Self, StatsError> {
        let mut histogram = NetHistogram::default();
        for answer in answers {
            histogram.record(answer)?;
        }
        Ok(histogram)
    }

    pub fn n(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub fn figures(&self) -> Option<NetFigures> {
        let n = self.n();
        if n == 0 {
            return None;
        }
        let weighted: u64 = self
            .counts
            .iter()
            .zip(0u64..)
            .map(|(count, value)| count * value)
            .sum();
        let detractors: u64 = self.counts[..=6].iter().sum();
        let passives: u64 = self.counts[7..=8].iter().sum();
        let promoters: u64 = self.counts[9..].iter().sum();
        Some(NetFigures {
            n,
            mean: weighted as f64 / n as f64,
            // From counts rather than from the two rounded shares, so equal groups give 0.
            net_score: (promoters as f64 - detractors as f64) * 100.0 / n as f64,
            promoters_pct: pct(promoters, n),
            passives_pct: pct(passives, n),
            detractors_pct: pct(detractors, n),
            cant_judge_pct: pct(self.cant_judge, n + self.cant_judge),
            distribution: self.counts,
        })
    }
}

impl AddAssign<&NetHistogram> for NetHistogram {
    fn add_assign(&mut self, other: &NetHistogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
        self.cant_judge += other.cant_judge;
    }
}

impl Add for NetHistogram {
    type Output = NetHistogram;
    fn add(mut self, other: NetHistogram) -> NetHistogram {
        self += &other;
        self
    }
}

impl<'a> Sum<&'a NetHistogram> for NetHistogram {
    fn sum<I: Iterator<Item = &'a NetHistogram>>(iter: I) -> Self {
        iter.fold(NetHistogram::default(), |mut sum, h| {
            sum += h;
            sum
        })
    }
}

pub fn show_net_score(histogram: &NetHistogram, threshold: u32) -> Shown<NetFigures> {
    if !meets_threshold(histogram.n(), threshold) {
        return Shown::hidden(HiddenReason::NotEnoughItemAnswers);
    }
    histogram.figures().map_or(
        Shown::hidden(HiddenReason::NotEnoughItemAnswers),
        Shown::Shown,
    )
}

// ---------------------------------------------------------------------------------------------
// Respondent pillar scores

/// One respondent's answer to one Likert item of a pillar; `value: None` is "can't judge".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PillarAnswer {
    pub value: Option<u8>,
    pub reverse_coded: bool,
}

/// A respondent's pillar score on 0–100: the mean of their answered items of the pillar,
/// turned where reverse-coded. `None` when they could judge none of them — such a respondent
/// does not enter that pillar's index at all (scoring them 0 or 50 would invent an opinion).
pub fn respondent_score(
    answers: impl IntoIterator<Item = PillarAnswer>,
) -> Result<Option<f64>, StatsError> {
    let (mut sum, mut count) = (0u32, 0u32);
    for answer in answers {
        if let Some(value) = answer.value {
            sum += u32::from(oriented(value, answer.reverse_coded)?);
            count += 1;
        }
    }
    Ok((count > 0).then(|| likert_to_score(f64::from(sum) / f64::from(count))))
}

// ---------------------------------------------------------------------------------------------
// Moments of respondent scores

/// n, Σx and Σx² of respondent scores: the aggregate stored per round × department × pillar.
/// Enough for mean, standard deviation, confidence interval and Welch's test, and two groups
/// merge by adding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    pub n: u64,
    pub sum: f64,
    pub sum_sq: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl Interval {
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }

    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / 2.0
    }
}

/// The two-sided critical value of Student's t: `t_critical(0.05, 9)` ≈ 2.262.
pub fn t_critical(alpha: f64, df: f64) -> f64 {
    student_t(df).inverse_cdf(1.0 - alpha / 2.0)
}

/// Two-sided p of a t statistic.
pub fn t_two_sided_p(t: f64, df: f64) -> f64 {
    if t.is_nan() {
        return 1.0;
    }
    // sf rather than 1 − cdf: keeps small p exact instead of rounding to 0.
    (2.0 * student_t(df).sf(t.abs())).clamp(0.0, 1.0)
}

fn student_t(df: f64) -> StudentsT {
    // Only called with df > 0 (n ≥ 2 is checked by every caller).
    StudentsT::new(0.0, 1.0, df).expect("degrees of freedom are positive")
}

impl Moments {
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        self.sum += x;
        self.sum_sq += x * x;
    }

    pub fn from_values(values: impl IntoIterator<Item = f64>) -> Self {
        let mut moments = Moments::default();
        for x in values {
            moments.push(x);
        }
        moments
    }

    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }

    /// The sample variance (n − 1); `None` below two values.
    pub fn variance(&self) -> Option<f64> {
        if self.n < 2 {
            return None;
        }
        let n = self.n as f64;
        // Σx² − (Σx)²/n can come out a hair below 0 for equal values through rounding.
        Some(((self.sum_sq - self.sum * self.sum / n) / (n - 1.0)).max(0.0))
    }

    pub fn sd(&self) -> Option<f64> {
        self.variance().map(f64::sqrt)
    }

    pub fn standard_error(&self) -> Option<f64> {
        self.variance().map(|v| (v / self.n as f64).sqrt())
    }

    /// The 95 % confidence interval of the mean from the t distribution with n − 1 degrees of
    /// freedom. Not clipped to the scale: it is a statement about the mean, and drawing clips.
    pub fn ci95(&self) -> Option<Interval> {
        let mean = self.mean()?;
        let se = self.standard_error()?;
        let half = t_critical(0.05, (self.n - 1) as f64) * se;
        Some(Interval {
            low: mean - half,
            high: mean + half,
        })
    }
}

impl AddAssign<&Moments> for Moments {
    fn add_assign(&mut self, other: &Moments) {
        self.n += other.n;
        self.sum += other.sum;
        self.sum_sq += other.sum_sq;
    }
}

impl Add for Moments {
    type Output = Moments;
    fn add(mut self, other: Moments) -> Moments {
        self += &other;
        self
    }
}

impl<'a> Sum<&'a Moments> for Moments {
    fn sum<I: Iterator<Item = &'a Moments>>(iter: I) -> Self {
        iter.fold(Moments::default(), |mut sum, m| {
            sum += m;
            sum
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Welch's t-test

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WelchTest {
    /// `mean(b) − mean(a)`.
    pub difference: f64,
    /// Infinite when both groups have no spread and their means differ.
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// Two-sided.
    pub p: f64,
}

/// Welch's t-test of `b` against `a`; `None` when a group has fewer than two respondents
/// (no spread to compare against).
pub fn welch_t_test(a: &Moments, b: &Moments) -> Option<WelchTest> {
    let (mean_a, mean_b) = (a.mean()?, b.mean()?);
    let (var_a, var_b) = (a.variance()?, b.variance()?);
    let (na, nb) = (a.n as f64, b.n as f64);
    let (sa, sb) = (var_a / na, var_b / nb);
    let se2 = sa + sb;
    let difference = mean_b - mean_a;
    if se2 == 0.0 {
        // Everyone in both groups gave the same score: either nothing moved or everything
        // did; there is no sampling noise to weigh the difference against.
        let df = na + nb - 2.0;
        return Some(if difference == 0.0 {
            WelchTest {
                difference,
                t: 0.0,
                df,
                p: 1.0,
            }
        } else {
            WelchTest {
                difference,
                t: difference.signum() * f64::INFINITY,
                df,
                p: 0.0,
            }
        });
    }
    let t = difference / se2.sqrt();
    let df = se2 * se2 / (sa * sa / (na - 1.0) + sb * sb / (nb - 1.0));
    Some(WelchTest {
        difference,
        t,
        df,
        p: t_two_sided_p(t, df),
    })
}

/// Whether the change from `a` to `b` is larger than the noise at level `alpha` (usually
/// [`DEFAULT_ALPHA`]). `false` when it cannot be tested. Callers pass only groups that are
/// shown; [`change`] does that check itself.
pub fn significant_change(a: &Moments, b: &Moments, alpha: f64) -> bool {
    welch_t_test(a, b).is_some_and(|test| test.p < alpha)
}

// ---------------------------------------------------------------------------------------------
// Pillar and overall indices

/// A group's pillar index: the mean of its respondents' pillar scores, 0–100.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PillarIndex {
    /// Respondents with a score in this pillar.
    pub n: u64,
    pub index: f64,
    pub sd: Option<f64>,
    pub ci95: Option<Interval>,
    /// Kept for significance tests; an output shows the figures above, not sums.
    #[serde(skip)]
    moments: Moments,
}

impl PillarIndex {
    pub fn from_moments(moments: &Moments) -> Option<Self> {
        Some(PillarIndex {
            n: moments.n,
            index: moments.mean()?,
            sd: moments.sd(),
            ci95: moments.ci95(),
            moments: *moments,
        })
    }

    pub fn moments(&self) -> &Moments {
        &self.moments
    }
}

/// A group's pillar index, shown only when the respondents who scored this pillar reach the
/// threshold. That count is never above the group's responses, so this is the stricter of the
/// two checks.
pub fn show_pillar(moments: &Moments, threshold: u32) -> Shown<PillarIndex> {
    if !meets_threshold(moments.n, threshold) {
        return Shown::hidden(HiddenReason::NotEnoughAnswers);
    }
    PillarIndex::from_moments(moments)
        .map_or(Shown::hidden(HiddenReason::NotEnoughAnswers), Shown::Shown)
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OverallIndex {
    /// The mean of the three pillar indices, equal weight, 0–100.
    pub index: f64,
    /// Conservative: see [`show_overall`].
    pub ci95: Option<Interval>,
}

/// The overall customer-centricity index: the equal-weight mean of the three pillar indices,
/// only when all three are shown.
///
/// Its interval: the stored aggregates hold no covariance between pillars, so the standard
/// error of the mean of three means is bounded from above by the mean of their standard errors
/// (the case of pillars moving in lockstep), with the smallest pillar's degrees of freedom.
/// The band is never narrower than the true one.
pub fn show_overall(pillars: &[Shown<PillarIndex>; 3]) -> Shown<OverallIndex> {
    let [Some(a), Some(b), Some(c)] = pillars.each_ref().map(Shown::as_shown) else {
        return Shown::hidden(HiddenReason::PillarMissing);
    };
    let index = (a.index + b.index + c.index) / 3.0;
    let errors = [a, b, c].map(|p| p.moments.standard_error());
    let ci95 = match errors {
        [Some(ea), Some(eb), Some(ec)] => {
            let n_min = a.n.min(b.n).min(c.n);
            let half = t_critical(0.05, (n_min - 1) as f64) * (ea + eb + ec) / 3.0;
            Some(Interval {
                low: index - half,
                high: index + half,
            })
        }
        _ => None,
    };
    Shown::Shown(OverallIndex { index, ci95 })
}

/// A round-to-round change of a pillar index.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Change {
    /// Current minus previous, index points.
    pub difference: f64,
    /// Two-sided p of Welch's t-test.
    pub p: f64,
    /// `p < alpha`: the marker on the dashboard.
    pub significant: bool,
}

/// The change between two rounds of a group, only when both rounds are shown (a change from or
/// to a hidden figure would reveal it). Compare trend figures (core items) with each other.
pub fn change(
    previous: &Shown<PillarIndex>,
    current: &Shown<PillarIndex>,
    alpha: f64,
) -> Shown<Change> {
    let (previous, current) = match (previous, current) {
        (Shown::Shown(previous), Shown::Shown(current)) => (previous, current),
        (Shown::Hidden { reason }, _) | (_, Shown::Hidden { reason }) => {
            return Shown::hidden(*reason);
        }
    };
    let difference = current.index - previous.index;
    match welch_t_test(&previous.moments, &current.moments) {
        Some(test) => Shown::Shown(Change {
            difference,
            p: test.p,
            significant: test.p < alpha,
        }),
        // Only with a threshold of 1: a single respondent has no spread to test against.
        None => Shown::Shown(Change {
            difference,
            p: 1.0,
            significant: false,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, eps: f64) -> bool {
        (a - b).abs() <= eps
    }

    /// A small deterministic generator (SplitMix64) for property loops: the same cases on
    /// every run, no extra dependency.
    struct Gen(u64);

    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        fn likert_or_none(&mut self) -> Option<u8> {
            match self.below(6) {
                0 => None,
                v => Some(v as u8),
            }
        }

        fn score(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64 * 100.0
        }
    }

    fn two_pass(values: &[f64]) -> (f64, f64) {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var.sqrt())
    }

    #[test]
    fn reverse_coded_answers_are_turned() {
        assert_eq!(oriented(1, true), Ok(5));
        assert_eq!(oriented(2, true), Ok(4));
        assert_eq!(oriented(3, true), Ok(3));
        assert_eq!(oriented(5, false), Ok(5));
    }

    #[test]
    fn answers_outside_the_scale_are_refused() {
        assert!(oriented(0, false).is_err());
        assert!(oriented(6, true).is_err());
        assert!(Histogram::from_answers([Some(3), Some(7)], false).is_err());
        assert!(NetHistogram::from_answers([Some(11)]).is_err());
        let err = respondent_score([PillarAnswer {
            value: Some(9),
            reverse_coded: false,
        }])
        .unwrap_err();
        assert_eq!(err.to_string(), "answer 9 is outside the scale 1–5");
    }

    #[test]
    fn item_figures_of_known_answers() {
        // 1, 2, 3, 4, 4, 5, 5, 5 and two "can't judge".
        let h = Histogram::from_answers(
            [1, 2, 3, 4, 4, 5, 5, 5]
                .map(Some)
                .into_iter()
                .chain([None, None]),
            false,
        )
        .unwrap();
        assert_eq!(h.counts, [1, 1, 1, 2, 3]);
        assert_eq!(h.cant_judge, 2);
        let f = h.figures().unwrap();
        assert_eq!(f.n, 8);
        assert!(close(f.mean, 29.0 / 8.0, 1e-12));
        assert!(close(f.favourable_pct, 62.5, 1e-12));
        assert!(close(f.neutral_pct, 12.5, 1e-12));
        assert!(close(f.unfavourable_pct, 25.0, 1e-12));
        assert!(close(f.cant_judge_pct, 20.0, 1e-12));
        assert_eq!(f.distribution, [1, 1, 1, 2, 3]);
    }

    #[test]
    fn cant_judge_is_left_out_of_n_and_the_mean() {
        let h = Histogram::from_answers([Some(5), None, None, Some(3)], false).unwrap();
        let f = h.figures().unwrap();
        assert_eq!(f.n, 2);
        assert!(close(f.mean, 4.0, 1e-12));
        assert!(close(f.cant_judge_pct, 50.0, 1e-12));
        assert_eq!(
            Histogram::from_answers([None, None], false)
                .unwrap()
                .figures(),
            None
        );
    }

    #[test]
    fn a_reverse_coded_item_mirrors_its_figures() {
        let answers = [1, 1, 2, 3, 4, 5, 5, 5, 5].map(Some);
        let plain = Histogram::from_answers(answers, false)
            .unwrap()
            .figures()
            .unwrap();
        let turned = Histogram::from_answers(answers, true)
            .unwrap()
            .figures()
            .unwrap();
        assert!(close(turned.mean, 6.0 - plain.mean, 1e-12));
        assert!(close(turned.favourable_pct, plain.unfavourable_pct, 1e-12));
        assert!(close(turned.unfavourable_pct, plain.favourable_pct, 1e-12));
        let mut reversed = plain.distribution;
        reversed.reverse();
        assert_eq!(turned.distribution, reversed);
    }

    #[test]
    fn an_item_is_hidden_below_its_own_n_even_in_a_large_group() {
        // 20 respondents, but only 4 could judge the item.
        let h = Histogram::from_answers(
            [Some(4), Some(5), Some(2), Some(4)]
                .into_iter()
                .chain(std::iter::repeat_n(None, 16)),
            false,
        )
        .unwrap();
        assert_eq!(
            show_item(&h, 5),
            Shown::hidden(HiddenReason::NotEnoughItemAnswers)
        );
        let mut h5 = h;
        h5.record(Some(3), false).unwrap();
        let shown = show_item(&h5, 5);
        assert_eq!(shown.as_shown().map(|f| f.n), Some(5));
    }

    #[test]
    fn a_threshold_of_zero_still_hides_an_empty_item() {
        assert!(!show_item(&Histogram::default(), 0).is_shown());
        assert!(!show_net_score(&NetHistogram::default(), 0).is_shown());
        assert!(!show_pillar(&Moments::default(), 0).is_shown());
    }

    #[test]
    fn net_score_of_known_answers() {
        // promoters 9, 10, 10; passives 7, 8; detractors 0, 3, 6; one "can't judge".
        let h = NetHistogram::from_answers(
            [9, 10, 10, 7, 8, 0, 3, 6]
                .map(Some)
                .into_iter()
                .chain([None]),
        )
        .unwrap();
        let f = h.figures().unwrap();
        assert_eq!(f.n, 8);
        assert!(close(f.net_score, 0.0, 1e-12));
        assert!(close(f.promoters_pct, 37.5, 1e-12));
        assert!(close(f.passives_pct, 25.0, 1e-12));
        assert!(close(f.detractors_pct, 37.5, 1e-12));
        assert!(close(f.cant_judge_pct, 100.0 / 9.0, 1e-12));
        assert!(close(f.mean, 53.0 / 8.0, 1e-12));

        let h = NetHistogram::from_answers([10, 9, 9, 8, 2].map(Some)).unwrap();
        assert!(close(h.figures().unwrap().net_score, 40.0, 1e-12));
    }

    #[test]
    fn net_score_spans_minus_100_to_100() {
        let all = |v| {
            NetHistogram::from_answers([Some(v); 6])
                .unwrap()
                .figures()
                .unwrap()
        };
        assert!(close(all(10).net_score, 100.0, 1e-12));
        assert!(close(all(9).net_score, 100.0, 1e-12));
        assert!(close(all(8).net_score, 0.0, 1e-12));
        assert!(close(all(6).net_score, -100.0, 1e-12));
        assert!(close(all(0).net_score, -100.0, 1e-12));
    }

    #[test]
    fn respondent_score_uses_only_answered_items_and_turns_reversed_ones() {
        let a = |value, reverse_coded| PillarAnswer {
            value,
            reverse_coded,
        };
        // 5, turned 1 → 5, can't judge: mean 5 → 100.
        assert_eq!(
            respondent_score([a(Some(5), false), a(Some(1), true), a(None, false)]),
            Ok(Some(100.0))
        );
        // 3 and 4: mean 3.5 → 62.5.
        assert_eq!(
            respondent_score([a(Some(3), false), a(Some(2), true)]),
            Ok(Some(62.5))
        );
        assert_eq!(respondent_score([a(Some(1), false)]), Ok(Some(0.0)));
        assert_eq!(respondent_score([a(None, false), a(None, true)]), Ok(None));
        assert_eq!(respondent_score([]), Ok(None));
    }

    #[test]
    fn t_quantile_for_df_9_is_2_262() {
        assert!(close(t_critical(0.05, 9.0), 2.262, 5e-4));
        assert!(close(t_critical(0.05, 1.0), 12.706, 5e-3));
        assert!(close(t_critical(0.05, 1e6), 1.960, 1e-3));
    }

    #[test]
    fn moments_of_ten_scores_give_mean_sd_and_interval() {
        let values = [50.0, 75.0, 62.5, 100.0, 25.0, 75.0, 87.5, 50.0, 62.5, 75.0];
        let m = Moments::from_values(values);
        let (mean, sd) = two_pass(&values);
        assert_eq!(m.n, 10);
        assert!(close(m.mean().unwrap(), mean, 1e-9));
        assert!(close(m.sd().unwrap(), sd, 1e-9));
        let ci = m.ci95().unwrap();
        let half = 2.262 * sd / 10f64.sqrt();
        assert!(close(ci.half_width(), half, 0.01), "{ci:?} vs ±{half}");
        assert!(ci.contains(mean));
    }

    #[test]
    fn one_respondent_has_an_index_but_no_interval() {
        let m = Moments::from_values([40.0]);
        assert_eq!(m.mean(), Some(40.0));
        assert_eq!(m.sd(), None);
        assert_eq!(m.ci95(), None);
        let p = PillarIndex::from_moments(&m).unwrap();
        assert_eq!((p.index, p.ci95), (40.0, None));
    }

    #[test]
    fn equal_scores_have_zero_spread_not_a_negative_variance() {
        let m = Moments::from_values(std::iter::repeat_n(100.0 / 3.0, 1000));
        assert!(m.variance().unwrap() >= 0.0);
        assert!(m.sd().unwrap() < 1e-5);
    }

    #[test]
    fn property_merged_moments_equal_moments_of_all_values() {
        let mut g = Gen(1);
        for case in 0..500 {
            let (na, nb) = (g.below(40) as usize, g.below(40) as usize + 2);
            let a: Vec<f64> = (0..na).map(|_| g.score()).collect();
            let b: Vec<f64> = (0..nb).map(|_| g.score()).collect();
            let merged = Moments::from_values(a.iter().copied()) + Moments::from_values(b.clone());
            let all: Vec<f64> = a.iter().chain(&b).copied().collect();
            let whole = Moments::from_values(all.iter().copied());
            assert_eq!(merged.n, whole.n);
            let (mean, sd) = two_pass(&all);
            assert!(close(merged.mean().unwrap(), mean, 1e-9), "case {case}");
            assert!(close(merged.sd().unwrap(), sd, 1e-7), "case {case}");
            let summed: Moments = [Moments::from_values(a), Moments::from_values(b)]
                .iter()
                .sum();
            assert_eq!(summed.n, whole.n);
        }
    }

    #[test]
    fn property_histograms_add_up_and_figures_stay_in_range() {
        let mut g = Gen(2);
        for case in 0..500 {
            let reverse_coded = g.below(2) == 1;
            let a: Vec<Option<u8>> = (0..g.below(30)).map(|_| g.likert_or_none()).collect();
            let b: Vec<Option<u8>> = (0..g.below(30)).map(|_| g.likert_or_none()).collect();
            let ha = Histogram::from_answers(a.clone(), reverse_coded).unwrap();
            let hb = Histogram::from_answers(b.clone(), reverse_coded).unwrap();
            let whole =
                Histogram::from_answers(a.iter().chain(&b).copied(), reverse_coded).unwrap();
            assert_eq!(ha + hb, whole, "case {case}");
            assert_eq!([ha, hb].iter().sum::<Histogram>(), whole);
            assert_eq!(whole.n() + whole.cant_judge, (a.len() + b.len()) as u64);
            if let Some(f) = whole.figures() {
                assert!((1.0..=5.0).contains(&f.mean), "case {case}");
                let total = f.favourable_pct + f.neutral_pct + f.unfavourable_pct;
                assert!(close(total, 100.0, 1e-9), "case {case}");
                assert!((0.0..100.0).contains(&f.cant_judge_pct));
                // The mean of the turned answers is the histogram's mean.
                let values: Vec<f64> = a
                    .iter()
                    .chain(&b)
                    .flatten()
                    .map(|&v| f64::from(oriented(v, reverse_coded).unwrap()))
                    .collect();
                assert!(close(f.mean, two_pass(&values).0, 1e-9));
            }
        }
    }

    #[test]
    fn property_net_figures_stay_in_range() {
        let mut g = Gen(3);
        for _ in 0..500 {
            let answers: Vec<Option<u8>> = (0..g.below(30) + 1)
                .map(|_| (g.below(12) as u8).checked_sub(1))
                .collect();
            let h = NetHistogram::from_answers(answers).unwrap();
            if let Some(f) = h.figures() {
                assert!((-100.0..=100.0).contains(&f.net_score));
                assert!(close(f.net_score, f.promoters_pct - f.detractors_pct, 1e-9));
                assert!(close(
                    f.promoters_pct + f.passives_pct + f.detractors_pct,
                    100.0,
                    1e-9
                ));
            }
        }
    }

    #[test]
    fn property_respondent_scores_lie_on_0_to_100() {
        let mut g = Gen(4);
        for _ in 0..1000 {
            let answers: Vec<PillarAnswer> = (0..g.below(6))
                .map(|_| PillarAnswer {
                    value: g.likert_or_none(),
                    reverse_coded: g.below(3) == 0,
                })
                .collect();
            if let Some(score) = respondent_score(answers).unwrap() {
                assert!((0.0..=100.0).contains(&score));
            }
        }
    }

    #[test]
    fn welch_matches_the_published_example() {
        // Wikipedia, "Welch's t-test", example 1: t = −2.46, df ≈ 25.0, p = 0.021.
        let a1 = [
            27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7,
            21.4,
        ];
        let a2 = [
            27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5,
            24.4,
        ];
        let test = welch_t_test(&Moments::from_values(a2), &Moments::from_values(a1)).unwrap();
        assert!(close(test.t, -2.46, 0.005), "{test:?}");
        assert!(close(test.df, 25.0, 0.05), "{test:?}");
        assert!(close(test.p, 0.021, 0.0005), "{test:?}");
        assert!(significant_change(
            &Moments::from_values(a2),
            &Moments::from_values(a1),
            DEFAULT_ALPHA
        ));
    }

    #[test]
    fn two_sided_p_matches_closed_forms() {
        // df = 1 (Cauchy): p = 1 − 2/π·atan|t|; df = 2: p = 1 − |t|/√(2 + t²).
        for t in [0.0, 0.3, 1.0, 2.5, 10.0, -4.0] {
            let p1 = 1.0 - 2.0 / std::f64::consts::PI * f64::atan(f64::abs(t));
            let p2 = 1.0 - t.abs() / (2.0 + t * t).sqrt();
            assert!(close(t_two_sided_p(t, 1.0), p1, 1e-9), "t {t}");
            assert!(close(t_two_sided_p(t, 2.0), p2, 1e-9), "t {t}");
        }
    }

    #[test]
    fn property_welch_is_symmetric_and_p_is_a_probability() {
        let mut g = Gen(5);
        for case in 0..300 {
            let a = Moments::from_values((0..g.below(30) + 2).map(|_| g.score()));
            let b = Moments::from_values((0..g.below(30) + 2).map(|_| g.score()));
            let ab = welch_t_test(&a, &b).unwrap();
            let ba = welch_t_test(&b, &a).unwrap();
            assert!(close(ab.t, -ba.t, 1e-9), "case {case}");
            assert!(close(ab.df, ba.df, 1e-9));
            assert!(close(ab.p, ba.p, 1e-12));
            assert!((0.0..=1.0).contains(&ab.p));
            let (na, nb) = (a.n as f64, b.n as f64);
            // Welch's df lies between the smaller group's n − 1 and na + nb − 2.
            assert!(ab.df >= (na.min(nb) - 1.0) - 1e-9 && ab.df <= na + nb - 2.0 + 1e-9);
        }
    }

    #[test]
    fn significant_change_flags_a_shift_but_not_noise() {
        let mut g = Gen(6);
        let noise = |g: &mut Gen| (g.score() - 50.0) / 5.0; // ±10
        let base: Vec<f64> = (0..40).map(|_| 60.0 + noise(&mut g)).collect();
        let same: Vec<f64> = (0..40).map(|_| 60.0 + noise(&mut g)).collect();
        let up: Vec<f64> = (0..40).map(|_| 75.0 + noise(&mut g)).collect();
        let (base, same, up) = (
            Moments::from_values(base),
            Moments::from_values(same),
            Moments::from_values(up),
        );
        assert!(!significant_change(&base, &same, DEFAULT_ALPHA));
        assert!(significant_change(&base, &up, DEFAULT_ALPHA));
    }

    #[test]
    fn welch_needs_two_respondents_per_group() {
        let one = Moments::from_values([50.0]);
        let many = Moments::from_values([10.0, 20.0, 30.0]);
        assert_eq!(welch_t_test(&one, &many), None);
        assert!(!significant_change(&one, &many, DEFAULT_ALPHA));
    }

    #[test]
    fn welch_without_spread() {
        let fours = Moments::from_values([75.0; 6]);
        let fives = Moments::from_values([100.0; 6]);
        let same = welch_t_test(&fours, &fours).unwrap();
        assert_eq!((same.t, same.p), (0.0, 1.0));
        let moved = welch_t_test(&fours, &fives).unwrap();
        assert_eq!((moved.t, moved.p), (f64::INFINITY, 0.0));
        assert!(significant_change(&fours, &fives, DEFAULT_ALPHA));
    }

    #[test]
    fn a_pillar_index_is_hidden_below_the_threshold() {
        let four = Moments::from_values([50.0, 60.0, 70.0, 80.0]);
        assert_eq!(
            show_pillar(&four, 5),
            Shown::hidden(HiddenReason::NotEnoughAnswers)
        );
        let five = four + Moments::from_values([90.0]);
        let shown = show_pillar(&five, 5).into_shown().unwrap();
        assert_eq!(shown.n, 5);
        assert!(close(shown.index, 70.0, 1e-12));
        assert!(shown.ci95.unwrap().contains(70.0));
    }

    #[test]
    fn the_overall_index_needs_all_three_pillars_with_equal_weight() {
        let pillar = |values: &[f64]| show_pillar(&Moments::from_values(values.to_vec()), 3);
        let a = pillar(&[60.0, 70.0, 80.0]);
        let b = pillar(&[40.0, 50.0, 60.0, 50.0]);
        let c = pillar(&[90.0, 90.0, 90.0, 90.0, 90.0, 90.0]);
        let overall = show_overall(&[a.clone(), b.clone(), c.clone()])
            .into_shown()
            .unwrap();
        // Equal weight, whatever each pillar's n.
        assert!(close(overall.index, (70.0 + 50.0 + 90.0) / 3.0, 1e-12));
        let ci = overall.ci95.unwrap();
        assert!(ci.contains(overall.index));
        // Not narrower than the widest independent-pillars interval would be.
        let se = |s: &Shown<PillarIndex>| s.as_shown().unwrap().moments().standard_error().unwrap();
        let independent = (se(&a).powi(2) + se(&b).powi(2) + se(&c).powi(2)).sqrt() / 3.0;
        assert!(ci.half_width() >= t_critical(0.05, 2.0) * independent);

        let hidden = pillar(&[60.0, 70.0]);
        assert_eq!(
            show_overall(&[a, hidden, c]),
            Shown::hidden(HiddenReason::PillarMissing)
        );
    }

    #[test]
    fn change_is_hidden_when_either_round_is_hidden() {
        let shown = show_pillar(&Moments::from_values([50.0, 60.0, 70.0, 80.0, 90.0]), 5);
        let hidden = show_pillar(&Moments::from_values([10.0, 20.0]), 5);
        assert!(!change(&shown, &hidden, DEFAULT_ALPHA).is_shown());
        assert!(!change(&hidden, &shown, DEFAULT_ALPHA).is_shown());
        assert_eq!(
            change(&shown, &shown.clone().suppress(), DEFAULT_ALPHA).hidden_reason(),
            Some(HiddenReason::ComplementarySuppression),
            "the reason is passed on"
        );
        let later = show_pillar(&Moments::from_values([55.0, 65.0, 75.0, 85.0, 95.0]), 5);
        let c = change(&shown, &later, DEFAULT_ALPHA).into_shown().unwrap();
        assert!(close(c.difference, 5.0, 1e-12));
        assert!(!c.significant);
    }

    #[test]
    fn shown_serialises_with_a_status_tag_and_no_count_when_hidden() {
        let hidden: Shown<ItemFigures> = Shown::hidden(HiddenReason::NotEnoughItemAnswers);
        assert_eq!(
            serde_json::to_value(&hidden).unwrap(),
            serde_json::json!({"status": "hidden", "value": {"reason": "not_enough_item_answers"}})
        );
        let shown = show_pillar(&Moments::from_values([50.0, 50.0, 50.0]), 3);
        let json = serde_json::to_value(&shown).unwrap();
        assert_eq!(json["status"], "shown");
        assert_eq!(json["value"]["n"], 3);
        assert_eq!(json["value"]["index"], 50.0);
        // The sums stay inside: an output shows figures, not aggregates.
        assert!(json["value"].get("moments").is_none());
        assert!(!shown.clone().suppress().is_shown());
        assert_eq!(
            shown.suppress().hidden_reason(),
            Some(HiddenReason::ComplementarySuppression)
        );
    }

    #[test]
    fn aggregates_round_trip_through_serde() {
        let h = Histogram::from_answers([Some(1), None, Some(5)], false).unwrap();
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<Histogram>(&json).unwrap(), h);
        let m = Moments::from_values([12.5, 50.0]);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Moments>(&json).unwrap(), m);
        let n = NetHistogram::from_answers([Some(0), Some(10)]).unwrap();
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(serde_json::from_str::<NetHistogram>(&json).unwrap(), n);
    }
}
