//! The gateway's settings: rate limits, trusted reverse proxies and native TLS.

use super::{Config, ConfigError, err, range};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Token buckets per client address and per credential. A bucket holds `*_burst` requests and
/// refills at `*_per_minute`; 0 per minute turns that limit off.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Every request, per client address (after [`HttpConfig::trusted_proxies`](super::HttpConfig)).
    pub per_ip_per_minute: u32,
    pub per_ip_burst: u32,
    /// Requests that carry a credential (access token, API key or session cookie), per credential.
    pub per_credential_per_minute: u32,
    pub per_credential_burst: u32,
    /// Sign-in and token endpoints, per client address, on top of the limits above.
    pub sign_in_per_minute: u32,
    pub sign_in_burst: u32,
    /// The most buckets kept in memory; beyond it, the longest idle are forgotten.
    pub max_tracked: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            per_ip_per_minute: 1200,
            per_ip_burst: 300,
            per_credential_per_minute: 600,
            per_credential_burst: 120,
            sign_in_per_minute: 10,
            sign_in_burst: 10,
            max_tracked: 100_000,
        }
    }
}

impl LimitsConfig {
    /// Every limit off (for tests and benchmarks that drive one server hard from one address).
    pub fn off() -> Self {
        Self { per_ip_per_minute: 0, per_credential_per_minute: 0, sign_in_per_minute: 0, ..Self::default() }
    }
}

/// HTTPS served by Salas itself. Both paths set: TLS; both empty: plain HTTP.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// PEM certificate chain, the server's certificate first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// `Strict-Transport-Security` max-age in seconds under TLS; 0 sends none.
    pub hsts_max_age_seconds: u32,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self { cert: PathBuf::new(), key: PathBuf::new(), hsts_max_age_seconds: DEFAULT_HSTS_MAX_AGE }
    }
}

impl TlsConfig {
    pub fn enabled(&self) -> bool {
        !self.cert.as_os_str().is_empty()
    }
}

/// A year: long enough to protect, and the value HSTS preload lists ask for.
pub const DEFAULT_HSTS_MAX_AGE: u32 = 365 * 24 * 3600;

impl Config {
    pub(super) fn validate_gateway(&self) -> Result<(), ConfigError> {
        let l = &self.limits;
        for (name, per_minute, burst) in [
            ("per_ip", l.per_ip_per_minute, l.per_ip_burst),
            ("per_credential", l.per_credential_per_minute, l.per_credential_burst),
            ("sign_in", l.sign_in_per_minute, l.sign_in_burst),
        ] {
            range(&format!("limits.{name}_per_minute"), per_minute, 0, 1_000_000)?;
            range(&format!("limits.{name}_burst"), burst, 1, 1_000_000)?;
        }
        range("limits.max_tracked", l.max_tracked, 100, 10_000_000)?;
        for (i, cidr) in self.http.trusted_proxies.iter().enumerate() {
            parse_cidr(cidr).map_err(|e| err(format!("http.trusted_proxies[{i}]: {e}")))?;
        }
        let (cert, key) = (self.tls.cert.as_os_str().is_empty(), self.tls.key.as_os_str().is_empty());
        if cert != key {
            return Err(err("tls: set both `cert` and `key` (or neither, for plain HTTP)"));
        }
        Ok(())
    }

    /// The trusted proxies as networks (validated at load, so none is dropped here).
    pub fn trusted_proxies(&self) -> Vec<ipnet::IpNet> {
        self.http.trusted_proxies.iter().filter_map(|c| parse_cidr(c).ok()).collect()
    }
}

/// `10.0.0.0/8`, `fd00::/8`, or a single address (`192.0.2.7`, meaning /32 or /128).
fn parse_cidr(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("`{text}` is not an address or a network like 10.0.0.0/8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_and_single_addresses() {
        assert!(parse_cidr("10.0.0.0/8").unwrap().contains(&"10.1.2.3".parse::<std::net::IpAddr>().unwrap()));
        assert_eq!(parse_cidr(" 192.0.2.7 ").unwrap().prefix_len(), 32);
        assert_eq!(parse_cidr("::1").unwrap().prefix_len(), 128);
        assert!(parse_cidr("10.0.0.0/33").is_err());
        assert!(parse_cidr("proxy.local").is_err());
    }
}
