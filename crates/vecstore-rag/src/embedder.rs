//! The [`Embedder`] trait and [`HashingEmbedder`], a model-free embedder.

use vecstore_core::{Error, Result};

/// Turns text into dense vectors. Implementations are `Send + Sync` so one
/// instance can serve many threads.
///
/// `embed_batch` is the method to implement well: pipelines call it with many
/// texts at once. Vectors have length [`dimension`](Embedder::dimension).
pub trait Embedder: Send + Sync {
    /// Embeds one text.
    fn embed(&self, text: &str) -> Result<Vec<f32>> {
        let mut out = self.embed_batch(&[text])?;
        out.pop().ok_or_else(|| Error::Embedding {
            reason: "embedder returned no vector for one input".into(),
        })
    }

    /// Embeds many texts; the result has one vector per input, in order.
    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;

    /// Length of every vector this embedder returns.
    fn dimension(&self) -> usize;

    /// A stable name of the model, stored with the data so that a collection
    /// is not queried with vectors of another model.
    fn model_id(&self) -> &str;
}

impl<E: Embedder + ?Sized> Embedder for &E {
    fn embed(&self, text: &str) -> Result<Vec<f32>> {
        (**self).embed(text)
    }
    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        (**self).embed_batch(texts)
    }
    fn dimension(&self) -> usize {
        (**self).dimension()
    }
    fn model_id(&self) -> &str {
        (**self).model_id()
    }
}

impl<E: Embedder + ?Sized> Embedder for std::sync::Arc<E> {
    fn embed(&self, text: &str) -> Result<Vec<f32>> {
        (**self).embed(text)
    }
    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        (**self).embed_batch(texts)
    }
    fn dimension(&self) -> usize {
        (**self).dimension()
    }
    fn model_id(&self) -> &str {
        (**self).model_id()
    }
}

impl<E: Embedder + ?Sized> Embedder for Box<E> {
    fn embed(&self, text: &str) -> Result<Vec<f32>> {
        (**self).embed(text)
    }
    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        (**self).embed_batch(texts)
    }
    fn dimension(&self) -> usize {
        (**self).dimension()
    }
    fn model_id(&self) -> &str {
        (**self).model_id()
    }
}

/// Feature hashing of lowercased Unicode words into `dimension` buckets
/// (signed, FNV-1a), L2-normalised. It captures word overlap only, no
/// meaning; use it for tests and as a model-free baseline.
///
/// ```
/// use vecstore_rag::{Embedder, HashingEmbedder};
/// let e = HashingEmbedder::new(64).unwrap();
/// let a = e.embed("Rust vector database").unwrap();
/// let b = e.embed("rust VECTOR database").unwrap();
/// assert_eq!(a, b);
/// assert_eq!(a.len(), 64);
/// ```
#[derive(Debug, Clone)]
pub struct HashingEmbedder {
    dimension: usize,
    model_id: String,
}

impl HashingEmbedder {
    /// A hashing embedder with `dimension` buckets (1 to 65_536).
    pub fn new(dimension: usize) -> Result<Self> {
        vecstore_core::validate::dimension(dimension)?;
        Ok(HashingEmbedder {
            dimension,
            model_id: format!("hashing-{dimension}"),
        })
    }

    fn embed_one(&self, text: &str) -> Vec<f32> {
        use unicode_segmentation::UnicodeSegmentation;
        let mut v = vec![0.0f32; self.dimension];
        for word in text.unicode_words() {
            let h = fnv1a(word.to_lowercase().as_bytes());
            let bucket = (h % self.dimension as u64) as usize;
            let sign = if (h >> 63) == 0 { 1.0 } else { -1.0 };
            v[bucket] += sign;
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
        v
    }
}

impl Embedder for HashingEmbedder {
    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        Ok(texts.iter().map(|t| self.embed_one(t)).collect())
    }

    fn dimension(&self) -> usize {
        self.dimension
    }

    fn model_id(&self) -> &str {
        &self.model_id
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
