//! Values are stored as one version byte followed by JSON. JSON is self-describing, so a field
//! added later (with a serde default) reads old rows unchanged; the version byte leaves room for
//! a shape change that needs an explicit conversion.

use super::StoreError;
use serde::{Serialize, de::DeserializeOwned};

const VERSION: u8 = 1;

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    // Room for a reservation or an event at once: growing from one byte reallocated the buffer
    // about eight times per value, in the single writer thread.
    let mut out = Vec::with_capacity(1024);
    out.push(VERSION);
    serde_json::to_writer(&mut out, value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(out)
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&VERSION, json)) => serde_json::from_slice(json).map_err(|e| StoreError::Corrupt(e.to_string())),
        Some((v, _)) => Err(StoreError::Corrupt(format!("unknown value version {v}"))),
        None => Err(StoreError::Corrupt("empty value".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refuse_unknown_versions() {
        let bytes = encode(&vec![1, 2, 3]).unwrap();
        assert_eq!(decode::<Vec<i32>>(&bytes).unwrap(), vec![1, 2, 3]);
        let mut other = bytes.clone();
        other[0] = 9;
        assert!(decode::<Vec<i32>>(&other).is_err());
        assert!(decode::<Vec<i32>>(&[]).is_err());
    }
}
