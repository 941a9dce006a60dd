//! Key-value metadata of fields and batches, in the C Data Interface binary encoding.

use std::fmt;

/// Key-value metadata of a field or of a batch (`ArrowSchema.metadata`). Pairs keep their order;
/// a key may repeat, as the encoding allows.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Metadata {
    pairs: Vec<(String, String)>,
}

impl Metadata {
    pub fn new() -> Self {
        Metadata::default()
    }

    /// Appends a pair (an existing pair with the same key stays; see [`Metadata::set`]).
    pub fn push(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.pairs.push((key.into(), value.into()));
    }

    /// Sets `key` to `value`, replacing the first pair with that key or appending one.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let (key, value) = (key.into(), value.into());
        match self.pairs.iter_mut().find(|(k, _)| *k == key) {
            Some(pair) => pair.1 = value,
            None => self.pairs.push((key, value)),
        }
    }

    /// This metadata with `key` set to `value` (see [`Metadata::set`]).
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.set(key, value);
        self
    }

    /// The value of the first pair with this key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The C Data encoding: little-endian `i32` pair count, then per pair `i32` key length, key
    /// bytes, `i32` value length, value bytes. `None` when there are no pairs (pointer 0).
    pub fn encode(&self) -> Option<Vec<u8>> {
        if self.pairs.is_empty() {
            return None;
        }
        let size: usize = self.pairs.iter().map(|(k, v)| 8 + k.len() + v.len()).sum();
        let mut out = Vec::with_capacity(4 + size);
        let len = |n: usize| (n as i32).to_le_bytes();
        out.extend_from_slice(&len(self.pairs.len()));
        for (k, v) in &self.pairs {
            out.extend_from_slice(&len(k.len()));
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(&len(v.len()));
            out.extend_from_slice(v.as_bytes());
        }
        Some(out)
    }

    /// Decodes the C Data encoding; the error says what is malformed.
    pub fn decode(bytes: &[u8]) -> Result<Metadata, String> {
        let mut pos = 0;
        let read_len = |bytes: &[u8], pos: &mut usize| -> Result<usize, String> {
            let field = bytes.get(*pos..*pos + 4).ok_or("metadata is truncated")?;
            *pos += 4;
            let n = i32::from_le_bytes([field[0], field[1], field[2], field[3]]);
            usize::try_from(n).map_err(|_| format!("metadata has a negative length ({n})"))
        };
        let n = read_len(bytes, &mut pos)?;
        let mut pairs = Vec::with_capacity(n.min(bytes.len() / 8));
        for _ in 0..n {
            let string = |pos: &mut usize| -> Result<String, String> {
                let len = read_len(bytes, pos)?;
                let end = pos.checked_add(len).filter(|&e| e <= bytes.len());
                let text = bytes.get(*pos..end.ok_or("metadata is truncated")?).unwrap_or(&[]);
                *pos += len;
                String::from_utf8(text.to_vec())
                    .map_err(|_| "metadata has a key or value that is not UTF-8".to_string())
            };
            let key = string(&mut pos)?;
            let value = string(&mut pos)?;
            pairs.push((key, value));
        }
        Ok(Metadata { pairs })
    }
}

impl fmt::Debug for Metadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Metadata {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Metadata { pairs: iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }
}

impl<K: Into<String>, V: Into<String>> Extend<(K, V)> for Metadata {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        self.pairs.extend(iter.into_iter().map(|(k, v)| (k.into(), v.into())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode() {
        assert_eq!(Metadata::new().encode(), None);
        let m: Metadata = [("k", "v"), ("", "é"), ("k", "")].into_iter().collect();
        let bytes = m.encode().unwrap();
        assert_eq!(&bytes[..9], &[3, 0, 0, 0, 1, 0, 0, 0, b'k']);
        assert_eq!(Metadata::decode(&bytes).unwrap(), m);
        assert_eq!(m.get("k"), Some("v"));
        assert_eq!(m.clone().with("k", "w").get("k"), Some("w"));
        assert_eq!(format!("{m:?}"), r#"{"k": "v", "": "é", "k": ""}"#);
        assert_eq!(
            Metadata::decode(&bytes[..bytes.len() - 1]).unwrap_err(),
            "metadata is truncated"
        );
        assert!(Metadata::decode(&[1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]).is_err());
        assert!(Metadata::decode(&[1, 0, 0, 0, 1, 0, 0, 0, 0xFF, 0, 0, 0, 0]).is_err());
        assert_eq!(Metadata::decode(&[0, 0, 0, 0]).unwrap(), Metadata::new());
    }
}
