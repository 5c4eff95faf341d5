//! Input validation shared by every public entry point. Each check returns
//! the typed [`Error`] that names the bad value.

use crate::{Error, Fusion, Result};

/// Largest allowed vector dimension.
pub const MAX_DIMENSION: usize = 65_536;
/// Largest allowed `k`.
pub const MAX_K: usize = 10_000;
/// Largest id length in bytes.
pub const MAX_ID_BYTES: usize = 1024;
/// Deepest allowed filter nesting.
pub const MAX_FILTER_DEPTH: usize = 32;
/// Largest allowed number of nodes in a filter.
pub const MAX_FILTER_NODES: usize = 1024;
/// Longest collection or snapshot name.
pub const MAX_NAME_LEN: usize = 64;

/// An id is 1 to 1024 bytes.
pub fn id(id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::InvalidId {
            id: String::new(),
            reason: "id is empty",
        });
    }
    if id.len() > MAX_ID_BYTES {
        let mut cut = 64;
        while !id.is_char_boundary(cut) {
            cut -= 1;
        }
        return Err(Error::InvalidId {
            id: format!("{}...", &id[..cut]),
            reason: "id is longer than 1024 bytes",
        });
    }
    Ok(())
}

/// A dimension is 1 to 65_536.
pub fn dimension(d: usize) -> Result<()> {
    if d == 0 || d > MAX_DIMENSION {
        return Err(Error::InvalidDimension {
            dimension: d,
            max: MAX_DIMENSION,
        });
    }
    Ok(())
}

/// A vector has a valid dimension, equal to `expected` when given, and only
/// finite components.
pub fn vector(v: &[f32], expected: Option<usize>) -> Result<()> {
    same_dimension(v, expected)?;
    dimension(v.len())?;
    // Branch-free scan first (an all-ones exponent means NaN or infinity;
    // integer ORs vectorise), then find the first bad value only on failure.
    const EXP: u32 = 0x7f80_0000;
    let bad = v
        .iter()
        .fold(0u32, |acc, x| acc | u32::from(x.to_bits() & EXP == EXP));
    if bad != 0
        && let Some((index, &value)) = v.iter().enumerate().find(|(_, x)| !x.is_finite())
    {
        return Err(Error::NonFiniteVector { index, value });
    }
    Ok(())
}

/// `v` has the `expected` dimension, when there is one; only the length is
/// checked (for vectors that already passed [`vector`]).
pub fn same_dimension(v: &[f32], expected: Option<usize>) -> Result<()> {
    match expected {
        Some(e) if e != v.len() => Err(Error::DimensionMismatch {
            expected: e,
            got: v.len(),
        }),
        _ => Ok(()),
    }
}

/// `k` is 1 to 10_000.
pub fn k(k: usize) -> Result<()> {
    if k == 0 || k > MAX_K {
        return Err(Error::InvalidK { k, max: MAX_K });
    }
    Ok(())
}

/// A collection or snapshot name matches `[A-Za-z0-9_-]{1,64}`.
pub fn name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidName {
            name: name.chars().take(80).collect(),
        })
    }
}

/// `alpha` is in `[0, 1]`.
pub fn alpha(alpha: f32) -> Result<()> {
    if (0.0..=1.0).contains(&alpha) {
        Ok(())
    } else {
        Err(Error::InvalidAlpha { alpha })
    }
}

/// A fusion strategy has valid parameters.
pub fn fusion(f: &Fusion) -> Result<()> {
    match *f {
        Fusion::Weighted(a) => alpha(a),
        Fusion::Rrf { k } if k == 0 => Err(Error::InvalidArgument {
            name: "rrf k",
            value: k.to_string(),
            reason: "must be at least 1",
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(id(""), Err(Error::InvalidId { .. })));
        assert!(matches!(
            id(&"x".repeat(1025)),
            Err(Error::InvalidId { .. })
        ));
        assert!(id(&"é".repeat(512)).is_ok());
        assert!(matches!(id(&"é".repeat(513)), Err(Error::InvalidId { .. })));
        assert!(matches!(
            vector(&[1.0, 2.0], Some(3)),
            Err(Error::DimensionMismatch {
                expected: 3,
                got: 2
            })
        ));
        assert!(matches!(
            vector(&[1.0, f32::NAN], None),
            Err(Error::NonFiniteVector { index: 1, .. })
        ));
        assert!(matches!(
            vector(&[f32::INFINITY], None),
            Err(Error::NonFiniteVector { index: 0, .. })
        ));
        // Every position, every non-finite kind, and extreme finite values.
        for bad in [f32::NAN, -f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            for at in 0..37 {
                let mut v = vec![f32::MAX, -f32::MAX, f32::MIN_POSITIVE, 1e-45, -0.0];
                v.resize(37, 0.5);
                assert!(vector(&v, None).is_ok());
                v[at] = bad;
                assert!(matches!(
                    vector(&v, None),
                    Err(Error::NonFiniteVector { index, .. }) if index == at
                ));
            }
        }
        assert!(matches!(
            vector(&[], None),
            Err(Error::InvalidDimension { .. })
        ));
        assert!(matches!(
            vector(&vec![0.0; MAX_DIMENSION + 1], None),
            Err(Error::InvalidDimension { .. })
        ));
        assert!(matches!(k(0), Err(Error::InvalidK { .. })));
        assert!(matches!(k(10_001), Err(Error::InvalidK { .. })));
        assert!(k(10_000).is_ok());
        for bad in ["", "a b", "../x", "ü", &"a".repeat(65)] {
            assert!(matches!(name(bad), Err(Error::InvalidName { .. })), "{bad}");
        }
        assert!(name("docs_2-x").is_ok());
        assert!(matches!(alpha(1.5), Err(Error::InvalidAlpha { .. })));
        assert!(matches!(alpha(f32::NAN), Err(Error::InvalidAlpha { .. })));
        assert!(fusion(&Fusion::Rrf { k: 0 }).is_err());
    }
}
