//! Web Push on the wire: the message encryption of RFC 8291 (aes128gcm, RFC 8188) and the VAPID
//! authorization of RFC 8292. The `ece` and `web-push` crates would do this but need OpenSSL;
//! this uses aws-lc-rs, which rustls already builds, so the binary keeps one crypto library.

use aws_lc_rs::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::agreement::{self, ECDH_P256, PrivateKey, UnparsedPublicKey};
use aws_lc_rs::hkdf::{HKDF_SHA256, KeyType, Salt};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};

/// The record size announced in the header; a push message is one record, far smaller.
const RECORD_SIZE: u32 = 4096;
/// How long a VAPID token is valid (RFC 8292 allows at most 24 hours).
const TOKEN_HOURS: i64 = 12;

pub fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

fn unb64(text: &str) -> Option<Vec<u8>> {
    // Browsers give base64url without padding; some libraries pad.
    B64.decode(text.trim().trim_end_matches('=')).ok()
}

/// A subscription's keys as the browser gave them (base64url) must be a 65-byte P-256 point
/// and a 16-byte auth secret; the fields that are not.
pub fn key_errors(p256dh: &str, auth: &str) -> Vec<&'static str> {
    let point = unb64(p256dh).filter(|p| p.len() == 65 && p[0] == 4);
    let mut out = Vec::new();
    if point.is_none_or(|p| !on_curve(&p)) {
        out.push("keys.p256dh");
    }
    if unb64(auth).is_none_or(|a| a.len() != 16) {
        out.push("keys.auth");
    }
    out
}

/// Whether `point` is a P-256 public key: an agreement with it succeeds only then.
fn on_curve(point: &[u8]) -> bool {
    let Ok(probe) = PrivateKey::generate(&ECDH_P256) else { return false };
    agreement::agree(&probe, UnparsedPublicKey::new(&ECDH_P256, point), (), |_| Ok(())).is_ok()
}

/// Encrypts `payload` for the subscription whose keys are `p256dh` and `auth` (base64url): the
/// body of the push message, header included.
pub fn encrypt(payload: &[u8], p256dh: &str, auth: &str) -> Result<Vec<u8>, String> {
    let private = PrivateKey::generate(&ECDH_P256).map_err(|_| "cannot make a P-256 key")?;
    let mut salt = [0u8; 16];
    SystemRandom::new().fill(&mut salt).map_err(|_| "no randomness")?;
    let ua_public = unb64(p256dh).ok_or("keys.p256dh is not base64url")?;
    let auth = unb64(auth).ok_or("keys.auth is not base64url")?;
    encrypt_with(payload, &ua_public, &auth, &private, salt)
}

/// [`encrypt`] with the sender's key and salt given (the RFC's test vector fixes both).
fn encrypt_with(
    payload: &[u8],
    ua_public: &[u8],
    auth: &[u8],
    private: &PrivateKey,
    salt: [u8; 16],
) -> Result<Vec<u8>, String> {
    let as_public = private.compute_public_key().map_err(|_| "cannot compute the public key")?;
    let as_public = as_public.as_ref();
    let peer = UnparsedPublicKey::new(&ECDH_P256, ua_public);
    let shared = agreement::agree(private, peer, "the subscription's key is not a P-256 point", |s| Ok(s.to_vec()))?;
    // RFC 8291 §3.4: the input keying material mixes the auth secret into the shared secret.
    let info = [b"WebPush: info\0".as_slice(), ua_public, as_public].concat();
    let ikm = hkdf(auth, &shared, &info, 32)?;
    let cek = hkdf(&salt, &ikm, b"Content-Encoding: aes128gcm\0", 16)?;
    let nonce = hkdf(&salt, &ikm, b"Content-Encoding: nonce\0", 12)?;
    let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &cek).map_err(|_| "bad content key")?);
    let nonce = Nonce::try_assume_unique_for_key(&nonce).map_err(|_| "bad nonce")?;
    // One record, so it is the last: its padding delimiter is 2.
    let mut record = [payload, &[2]].concat();
    key.seal_in_place_append_tag(nonce, Aad::empty(), &mut record).map_err(|_| "cannot encrypt")?;
    let id_len = u8::try_from(as_public.len()).map_err(|_| "key too long")?;
    Ok([&salt[..], &RECORD_SIZE.to_be_bytes(), &[id_len], as_public, &record].concat())
}

struct Len(usize);

impl KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn hkdf(salt: &[u8], ikm: &[u8], info: &[u8], len: usize) -> Result<Vec<u8>, String> {
    let mut out = vec![0u8; len];
    let info = [info];
    Salt::new(HKDF_SHA256, salt)
        .extract(ikm)
        .expand(&info, Len(len))
        .and_then(|okm| okm.fill(&mut out))
        .map_err(|_| "HKDF failed")?;
    Ok(out)
}

/// The server's VAPID key: an ECDSA P-256 key pair identifying this server to push services.
pub struct Vapid {
    pair: EcdsaKeyPair,
}

impl Vapid {
    /// A new key, and its PKCS#8 document (base64url) to store.
    pub fn generate() -> Result<(Vapid, String), String> {
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .map_err(|_| "cannot make the VAPID key")?;
        let stored = b64(doc.as_ref());
        Ok((Vapid::from_stored(&stored)?, stored))
    }

    pub fn from_stored(stored: &str) -> Result<Vapid, String> {
        let der = unb64(stored).ok_or("the VAPID key is not base64url")?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der)
            .map_err(|_| "the stored VAPID key is damaged")?;
        Ok(Vapid { pair })
    }

    /// The public key as browsers take it (`applicationServerKey`): the uncompressed point.
    pub fn public_key(&self) -> String {
        b64(self.pair.public_key().as_ref())
    }

    /// The `Authorization` header for a push to `endpoint`: a JWT for the endpoint's origin,
    /// signed with ES256, and the public key to check it with.
    pub fn authorization(&self, endpoint: &str, subject: &str, now: DateTime<Utc>) -> Result<String, String> {
        let url = reqwest::Url::parse(endpoint).map_err(|e| format!("endpoint: {e}"))?;
        let header = b64(br#"{"typ":"JWT","alg":"ES256"}"#);
        let exp = (now + chrono::Duration::hours(TOKEN_HOURS)).timestamp();
        let claims = serde_json::json!({"aud": url.origin().ascii_serialization(), "exp": exp, "sub": subject});
        let input = format!("{header}.{}", b64(claims.to_string().as_bytes()));
        let signature = self.pair.sign(&SystemRandom::new(), input.as_bytes()).map_err(|_| "cannot sign")?;
        Ok(format!("vapid t={input}.{}, k={}", b64(signature.as_ref()), self.public_key()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey as Verifying};

    fn d(text: &str) -> Vec<u8> {
        unb64(text).unwrap()
    }

    /// RFC 8291, Appendix A: with the sender's key and salt of the example, the message is byte
    /// for byte the RFC's.
    #[test]
    fn encrypts_the_rfc_8291_example() {
        let private =
            PrivateKey::from_private_key(&ECDH_P256, &d("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")).unwrap();
        let salt: [u8; 16] = d("DGv6ra1nlYgDCS1FRnbzlw").try_into().unwrap();
        let ua_public = d("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4");
        let body = encrypt_with(
            b"When I grow up, I want to be a watermelon",
            &ua_public,
            &d("BTBZMqHH6r4Tts7J_aSIgg"),
            &private,
            salt,
        )
        .unwrap();
        assert_eq!(
            b64(&body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
    }

    #[test]
    fn keys_are_checked() {
        let p256dh = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
        assert!(key_errors(p256dh, "BTBZMqHH6r4Tts7J_aSIgg").is_empty());
        assert_eq!(key_errors(p256dh, "BTBZMqHH6r4Tts7J_aSI"), ["keys.auth"]);
        assert_eq!(key_errors("BCVxsr7N", "!"), ["keys.p256dh", "keys.auth"]);
        // 65 bytes that are not a point of the curve.
        assert_eq!(key_errors(&b64(&[4u8; 65]), "BTBZMqHH6r4Tts7J_aSIgg"), ["keys.p256dh"]);
    }

    #[test]
    fn the_vapid_token_verifies_with_the_public_key() {
        let (vapid, stored) = Vapid::generate().unwrap();
        assert_eq!(Vapid::from_stored(&stored).unwrap().public_key(), vapid.public_key());
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let header = vapid.authorization("https://push.example.net/send/abc?x=1", "mailto:a@b.c", now).unwrap();
        let (token, key) = header.strip_prefix("vapid t=").unwrap().split_once(", k=").unwrap();
        assert_eq!(key, vapid.public_key());
        let (input, signature) = token.rsplit_once('.').unwrap();
        Verifying::new(&ECDSA_P256_SHA256_FIXED, d(key)).verify(input.as_bytes(), &d(signature)).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(&d(input.split_once('.').unwrap().1)).unwrap();
        assert_eq!(claims["aud"], "https://push.example.net");
        assert_eq!(claims["exp"], 1_800_000_000 + 12 * 3600);
        assert_eq!(claims["sub"], "mailto:a@b.c");
    }
}
