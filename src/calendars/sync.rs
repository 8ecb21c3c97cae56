//! Sync tokens (RFC 6578) are positions in the event log: what changed since a token is what
//! the reservation events after it touched.

const PREFIX: &str = "urn:salas:sync:";

pub fn token(seq: u64) -> String {
    format!("{PREFIX}{seq}")
}

/// The log position of a token this server gave out.
pub fn parse(token: &str) -> Option<u64> {
    token.trim().strip_prefix(PREFIX)?.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_round_trip_and_foreign_ones_are_refused() {
        assert_eq!(super::parse(&super::token(42)), Some(42));
        assert_eq!(super::parse("http://example.com/sync/42"), None);
        assert_eq!(super::parse("urn:salas:sync:x"), None);
    }
}
