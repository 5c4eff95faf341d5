//! Distance metrics and how their raw values become user-facing scores.

use crate::kernels;
use serde::{Deserialize, Serialize};

/// The similarity measure of a collection, fixed when it is created.
///
/// Inside the index every metric is a *distance* (lower is closer), so one
/// search routine serves all three; [`Metric::score`] turns it back into the
/// score users see:
///
/// | metric | internal distance | `Neighbor::score` | better |
/// |---|---|---|---|
/// | `Cosine` | `1 - dot(a, b)` on unit vectors | cosine similarity | higher |
/// | `Dot` | `-dot(a, b)` | dot product | higher |
/// | `L2` | squared Euclidean | Euclidean distance | lower |
///
/// For `Cosine`, vectors are normalised once when stored ([`Metric::prepare`])
/// so that a search is a dot product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Cosine similarity (vectors are normalised at insert).
    #[default]
    Cosine,
    /// Inner product, vectors used as given.
    Dot,
    /// Euclidean distance.
    L2,
}

impl Metric {
    /// Whether a larger [`score`](Metric::score) is better.
    pub fn higher_is_better(self) -> bool {
        !matches!(self, Metric::L2)
    }

    /// Brings a vector into the form the index stores: unit length for
    /// `Cosine` (a zero vector stays zero), unchanged otherwise.
    ///
    /// A vector that is already unit length (within 1e-6) is left bit-for-bit as it is,
    /// so exporting a cosine collection and importing it again gives identical vectors.
    pub fn prepare(self, v: &mut [f32]) {
        if self == Metric::Cosine && (kernels::norm(v) - 1.0).abs() > 1e-6 {
            kernels::normalize(v);
        }
    }

    /// Internal distance between two *prepared* vectors; lower is closer.
    #[inline]
    pub fn distance(self, a: &[f32], b: &[f32]) -> f32 {
        match self {
            Metric::Cosine => 1.0 - kernels::dot(a, b),
            Metric::Dot => -kernels::dot(a, b),
            Metric::L2 => kernels::l2sq(a, b),
        }
    }

    /// Scalar twin of [`Metric::distance`].
    pub fn distance_scalar(self, a: &[f32], b: &[f32]) -> f32 {
        match self {
            Metric::Cosine => 1.0 - kernels::scalar::dot(a, b),
            Metric::Dot => -kernels::scalar::dot(a, b),
            Metric::L2 => kernels::scalar::l2sq(a, b),
        }
    }

    /// Distances from `query` to each row of `rows` (row-major, `dim` wide),
    /// written to `out` (cleared first).
    pub fn distance_batch(self, query: &[f32], rows: &[f32], dim: usize, out: &mut Vec<f32>) {
        out.clear();
        if dim == 0 {
            return;
        }
        out.extend(rows.chunks_exact(dim).map(|r| self.distance(query, r)));
    }

    /// Turns an internal distance into the user-facing score.
    #[inline]
    pub fn score(self, distance: f32) -> f32 {
        match self {
            Metric::Cosine => 1.0 - distance,
            Metric::Dot => -distance,
            Metric::L2 => distance.max(0.0).sqrt(),
        }
    }

    /// Inverse of [`Metric::score`].
    pub fn distance_from_score(self, score: f32) -> f32 {
        match self {
            Metric::Cosine => 1.0 - score,
            Metric::Dot => -score,
            Metric::L2 => score * score,
        }
    }

    /// Lower-case name: `cosine`, `dot` or `l2`.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Cosine => "cosine",
            Metric::Dot => "dot",
            Metric::L2 => "l2",
        }
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Metric {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "cosine" | "cos" => Ok(Metric::Cosine),
            "dot" | "ip" | "inner_product" => Ok(Metric::Dot),
            "l2" | "euclidean" => Ok(Metric::L2),
            _ => Err(crate::Error::InvalidArgument {
                name: "metric",
                value: s.to_string(),
                reason: "expected cosine, dot or l2",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_round_trip() {
        let a = [1.0f32, 0.0];
        let b = [0.6f32, 0.8];
        for m in [Metric::Cosine, Metric::Dot, Metric::L2] {
            let d = m.distance(&a, &b);
            let s = m.score(d);
            assert!((m.distance_from_score(s) - d).abs() < 1e-6);
        }
        assert!((Metric::Cosine.score(Metric::Cosine.distance(&a, &b)) - 0.6).abs() < 1e-6);
        assert!((Metric::L2.score(Metric::L2.distance(&a, &b)) - 0.8944272).abs() < 1e-5);
    }

    #[test]
    fn parse_metric() {
        assert_eq!("L2".parse::<Metric>().unwrap(), Metric::L2);
        assert!("manhattan".parse::<Metric>().is_err());
    }
}
