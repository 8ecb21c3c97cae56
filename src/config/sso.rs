//! `[oidc]` and `[ldap]`: signing in through an OpenID Connect provider or an LDAP / Active
//! Directory server instead of (or besides) local passwords.

use super::{Config, ConfigError, err, range};
use crate::access::Role;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcConfig {
    pub enabled: bool,
    /// The issuer URL; discovery reads `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Scopes asked for besides `openid`.
    pub scopes: Vec<String>,
    /// Where the provider sends the browser back. Empty: `<scheme>://<host>/login/oidc/callback`
    /// from the request (the scheme from X-Forwarded-Proto behind a proxy). Register this URL
    /// with the provider.
    pub redirect_url: String,
    /// The claim whose values are looked up in `role_map`; a dotted path reaches into objects
    /// (`realm_access.roles` for Keycloak realm roles).
    pub role_claim: String,
    /// Claim value → role (`admin`, `manager`, `member`, `viewer`); the highest match wins.
    /// While empty, roles are managed in Salas and only new users get `default_role`.
    pub role_map: BTreeMap<String, Role>,
    pub default_role: Role,
    /// The claim listing the user's groups, synced to Salas groups of the same name on every
    /// sign-in; empty turns the sync off.
    pub groups_claim: String,
    /// Accept an e-mail address the provider does not mark as verified (`email_verified`).
    pub allow_unverified_email: bool,
    /// The provider's name on the sign-in button: "Sign in with <label>".
    pub button_label: String,
    /// How long discovery and token requests to the provider may take.
    pub timeout_seconds: u32,
}

impl Default for OidcConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            issuer: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            scopes: vec!["email".into(), "profile".into()],
            redirect_url: String::new(),
            role_claim: "groups".into(),
            role_map: BTreeMap::new(),
            default_role: Role::Member,
            groups_claim: String::new(),
            allow_unverified_email: false,
            button_label: "single sign-on".into(),
            timeout_seconds: 10,
        }
    }
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LdapConfig {
    pub enabled: bool,
    /// `ldap://host:389` or `ldaps://host:636`.
    pub url: String,
    /// Upgrade an `ldap://` connection with StartTLS before sending any password.
    pub starttls: bool,
    /// Bind straight as the user: a DN with `{login}` for what was typed in the form, e.g.
    /// `uid={login},ou=people,dc=example,dc=org`. Empty: search for the user first.
    pub user_dn_template: String,
    /// The service account that searches for users (empty: search anonymously).
    pub bind_dn: String,
    pub bind_password: String,
    /// Where users are searched (and, with a template, nothing is searched).
    pub base_dn: String,
    /// `{login}` is replaced (escaped) by what was typed.
    pub user_filter: String,
    pub email_attribute: String,
    pub name_attribute: String,
    /// Where groups are searched; empty: no groups are read.
    pub group_base_dn: String,
    /// `{dn}` is replaced (escaped) by the user's DN.
    pub group_filter: String,
    /// The attribute holding a group's name.
    pub group_name_attribute: String,
    /// Group name → role; the highest match wins. While empty, roles are managed in Salas.
    pub role_map: BTreeMap<String, Role>,
    pub default_role: Role,
    /// Sync the user's directory groups to Salas groups of the same name on every sign-in.
    pub sync_groups: bool,
    pub timeout_seconds: u32,
}

impl Default for LdapConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            url: "ldap://127.0.0.1:389".into(),
            starttls: false,
            user_dn_template: String::new(),
            bind_dn: String::new(),
            bind_password: String::new(),
            base_dn: String::new(),
            user_filter: "(&(objectClass=person)(|(mail={login})(uid={login})(sAMAccountName={login})))".into(),
            email_attribute: "mail".into(),
            name_attribute: "cn".into(),
            group_base_dn: String::new(),
            group_filter: "(|(member={dn})(uniqueMember={dn}))".into(),
            group_name_attribute: "cn".into(),
            role_map: BTreeMap::new(),
            default_role: Role::Member,
            sync_groups: false,
            timeout_seconds: 5,
        }
    }
}

impl Config {
    pub(super) fn validate_sso(&self) -> Result<(), ConfigError> {
        let o = &self.oidc;
        if o.enabled {
            for (key, value) in [("oidc.issuer", &o.issuer), ("oidc.client_id", &o.client_id)] {
                if value.trim().is_empty() {
                    return Err(err(format!("{key}: must be set when oidc.enabled is true")));
                }
            }
            if !(o.issuer.starts_with("https://") || o.issuer.starts_with("http://")) {
                return Err(err(format!("oidc.issuer: `{}` is not an http(s) URL", o.issuer)));
            }
            if !o.redirect_url.is_empty() && !o.redirect_url.starts_with("http") {
                return Err(err(format!("oidc.redirect_url: `{}` is not an http(s) URL", o.redirect_url)));
            }
        }
        range("oidc.timeout_seconds", o.timeout_seconds, 1, 120)?;
        let l = &self.ldap;
        if l.enabled {
            if !(l.url.starts_with("ldap://") || l.url.starts_with("ldaps://")) {
                return Err(err(format!("ldap.url: `{}` must start with ldap:// or ldaps://", l.url)));
            }
            if l.starttls && l.url.starts_with("ldaps://") {
                return Err(err("ldap.starttls: an ldaps:// connection is already encrypted"));
            }
            if l.user_dn_template.is_empty() && l.base_dn.is_empty() {
                return Err(err("ldap: set user_dn_template (bind as the user) or base_dn (search, then bind)"));
            }
            if !l.user_dn_template.is_empty() && !l.user_dn_template.contains("{login}") {
                return Err(err("ldap.user_dn_template: must contain {login}"));
            }
            if l.user_dn_template.is_empty() && !l.user_filter.contains("{login}") {
                return Err(err("ldap.user_filter: must contain {login}"));
            }
        }
        range("ldap.timeout_seconds", l.timeout_seconds, 1, 120)?;
        if !self.auth.local_passwords && !o.enabled && !l.enabled {
            return Err(err("auth.local_passwords: false leaves no way to sign in; enable [oidc] or [ldap] first"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(edit: impl FnOnce(&mut Config)) -> Result<(), String> {
        let mut c = Config::default();
        edit(&mut c);
        c.validate_sso().map_err(|e| e.to_string())
    }

    #[test]
    fn settings_that_cannot_work_name_the_key() {
        assert!(check(|_| {}).is_ok());
        let e = check(|c| c.auth.local_passwords = false).unwrap_err();
        assert!(e.contains("auth.local_passwords"), "{e}");
        let e = check(|c| c.oidc.enabled = true).unwrap_err();
        assert!(e.contains("oidc.issuer"), "{e}");
        let e = check(|c| {
            c.oidc =
                OidcConfig { enabled: true, issuer: "sso.example.org".into(), client_id: "x".into(), ..c.oidc.clone() }
        })
        .unwrap_err();
        assert!(e.contains("not an http(s) URL"), "{e}");
        let e = check(|c| c.ldap.enabled = true).unwrap_err();
        assert!(e.contains("user_dn_template") && e.contains("base_dn"), "{e}");
        let e = check(|c| {
            c.ldap.enabled = true;
            c.ldap.user_dn_template = "uid=x,dc=example".into();
        })
        .unwrap_err();
        assert!(e.contains("{login}"), "{e}");
        let e = check(|c| {
            c.ldap.enabled = true;
            c.ldap.base_dn = "dc=example".into();
            c.ldap.url = "ldaps://dc".into();
            c.ldap.starttls = true;
        })
        .unwrap_err();
        assert!(e.contains("ldap.starttls"), "{e}");
        assert!(
            check(|c| {
                c.ldap.enabled = true;
                c.ldap.base_dn = "dc=example".into();
                c.auth.local_passwords = false;
            })
            .is_ok()
        );
    }
}
