//! The state reader: any bytes as the state a host hands back, streamed in
//! whole, a byte at a time and in pieces of 13 bytes.
//!
//! Properties: how the state is cut into pieces changes nothing, neither
//! the snapshot nor the error; a state that reads is never read as another
//! once cut short (a prefix is refused, or, missing no more than the last
//! line's end, reads the same); and every record it kept decodes to a key
//! the snapshot knows, one per record.

use connector_engine::ObjectKind;
use connector_engine::import::state::{KeyDigest, Snapshot, StateReader};

/// The target the states belong to.
pub const BASE_URL: &str = "http://127.0.0.1:18080";

/// Reads `data` as a state.
pub fn check(data: &[u8]) {
    let whole = read(data, data.len().max(1));
    assert_eq!(whole, read(data, 1));
    assert_eq!(whole, read(data, 13));
    let Ok(snapshot) = whole else {
        return;
    };
    let step = (data.len() / 64).max(1);
    let cuts = (0..data.len())
        .step_by(step)
        .chain(data.len().saturating_sub(8)..data.len());
    for cut in cuts {
        if let Ok(other) = read(&data[..cut], cut.max(1)) {
            assert_eq!(
                snapshot, other,
                "the first {cut} bytes read as another state"
            );
        }
    }
    for kind in ObjectKind::ALL {
        let Some(section) = snapshot.section(kind) else {
            continue;
        };
        let mut reading = snapshot.clone();
        reading.section_mut(kind).read = true;
        let kept: Vec<_> = reading.vanished(kind).collect();
        assert_eq!(section.known_before(), kept.len());
        for record in kept {
            let key = KeyDigest::of(&record.ent_type, &record.id);
            assert!(section.knows(key), "{record:?}");
            assert_eq!(kind == ObjectKind::Access, record.ends.is_some());
        }
    }
}

/// Reads `data` fed in pieces of `piece` bytes.
fn read(data: &[u8], piece: usize) -> Result<Snapshot, connector_engine::ConnectorError> {
    let mut reader = StateReader::new(BASE_URL);
    for chunk in data.chunks(piece) {
        reader.feed(chunk)?;
    }
    reader.finish()
}
