//! The one mutation both fuzz targets apply to their seeds (the importer's unit tests in
//! src/org/import.rs and the answer-form test in tests/it/fuzz.rs include this file).

/// Byte edits of `seed`: (position, byte, 0 = overwrite / 1 = insert / 2 = delete); positions
/// wrap around, so any edit applies to any seed, the empty one included.
pub fn mutate(seed: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for &(at, byte, kind) in edits {
        let at = if bytes.is_empty() {
            0
        } else {
            at % bytes.len()
        };
        match kind {
            0 if !bytes.is_empty() => bytes[at] = byte,
            2 if !bytes.is_empty() => {
                bytes.remove(at);
            }
            _ => bytes.insert(at, byte),
        }
    }
    bytes
}
