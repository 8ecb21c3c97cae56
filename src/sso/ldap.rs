//! LDAP / Active Directory: a password is right when the directory accepts a bind as the user.
//! Either the user's DN comes from a template (bind straight away), or a service account (or an
//! anonymous bind) searches for the entry first. Groups come from a search for entries that
//! list the user as a member.

use crate::config::LdapConfig;
use crate::users::directory::role_from_map;
use crate::users::{DirectoryFuture, Identity, PasswordDirectory};
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, LdapError, Scope, SearchEntry, dn_escape, ldap_escape};
use std::time::Duration;

/// LDAP result code 49: wrong DN or password (also a locked or expired account on AD).
const INVALID_CREDENTIALS: u32 = 49;

pub struct Directory {
    config: LdapConfig,
}

impl Directory {
    pub fn new(config: LdapConfig) -> Directory {
        Directory { config }
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.config.timeout_seconds.into())
    }

    async fn connect(&self) -> Result<Ldap, String> {
        let settings = LdapConnSettings::new().set_conn_timeout(self.timeout()).set_starttls(self.config.starttls);
        let (conn, ldap) = LdapConnAsync::with_settings(settings, &self.config.url)
            .await
            .map_err(|e| format!("cannot connect to {}: {e}", self.config.url))?;
        ldap3::drive!(conn);
        Ok(ldap)
    }

    /// Binds as `dn`; Ok(false) for a wrong password.
    async fn bind(&self, ldap: &mut Ldap, dn: &str, password: &str) -> Result<bool, String> {
        let res = ldap.with_timeout(self.timeout()).simple_bind(dn, password).await.map_err(|e| e.to_string())?;
        match res.success() {
            Ok(_) => Ok(true),
            Err(LdapError::LdapResult { result }) if result.rc == INVALID_CREDENTIALS => Ok(false),
            Err(e) => Err(format!("bind as {dn}: {e}")),
        }
    }

    async fn search(
        &self,
        ldap: &mut Ldap,
        base: &str,
        scope: Scope,
        filter: &str,
        attrs: Vec<&str>,
    ) -> Result<Vec<SearchEntry>, String> {
        let (entries, _) = ldap
            .with_timeout(self.timeout())
            .search(base, scope, filter, attrs)
            .await
            .and_then(|r| r.success())
            .map_err(|e| format!("search under {base}: {e}"))?;
        Ok(entries.into_iter().map(SearchEntry::construct).collect())
    }

    async fn sign_in(&self, login: &str, password: &str) -> Result<Option<Identity>, String> {
        let c = &self.config;
        // An empty password is an "unauthenticated bind", which many servers accept as anonymous.
        if password.is_empty() || login.trim().is_empty() {
            return Ok(None);
        }
        let login = login.trim();
        let attrs = vec![c.email_attribute.as_str(), c.name_attribute.as_str()];
        let mut ldap = self.connect().await?;
        let entry = if c.user_dn_template.is_empty() {
            if !c.bind_dn.is_empty() && !self.bind(&mut ldap, &c.bind_dn, &c.bind_password).await? {
                return Err("the service account (ldap.bind_dn) was refused".into());
            }
            let filter = c.user_filter.replace("{login}", &ldap_escape(login));
            let mut found = self.search(&mut ldap, &c.base_dn, Scope::Subtree, &filter, attrs).await?;
            if found.len() != 1 {
                if found.len() > 1 {
                    tracing::warn!(login, matches = found.len(), "LDAP: the login matches several entries; refused");
                }
                return Ok(None);
            }
            let entry = found.remove(0);
            // The user's own bind on a connection of its own, so the group search below still
            // runs with the service account's rights.
            let mut own = self.connect().await?;
            let ok = self.bind(&mut own, &entry.dn, password).await?;
            let _ = own.unbind().await;
            if !ok {
                return Ok(None);
            }
            entry
        } else {
            let dn = c.user_dn_template.replace("{login}", &dn_escape(login));
            if !self.bind(&mut ldap, &dn, password).await? {
                return Ok(None);
            }
            let mut own = self.search(&mut ldap, &dn, Scope::Base, "(objectClass=*)", attrs).await?;
            if own.is_empty() {
                return Err(format!("the directory hides the entry {dn} from its own user"));
            }
            own.remove(0)
        };
        let groups = if c.group_base_dn.is_empty() {
            Vec::new()
        } else {
            let filter = c.group_filter.replace("{dn}", &ldap_escape(&entry.dn));
            let found = self
                .search(&mut ldap, &c.group_base_dn, Scope::Subtree, &filter, vec![c.group_name_attribute.as_str()])
                .await?;
            found.into_iter().filter_map(|g| first(&g, &c.group_name_attribute)).collect()
        };
        let _ = ldap.unbind().await;
        let Some(email) = first(&entry, &c.email_attribute) else {
            return Err(format!(
                "the entry {} has no {} attribute (ldap.email_attribute)",
                entry.dn, c.email_attribute
            ));
        };
        Ok(Some(Identity {
            email,
            name: first(&entry, &c.name_attribute).unwrap_or_default(),
            role: role_from_map(groups.iter().map(String::as_str), &c.role_map, c.default_role),
            default_role: c.default_role,
            groups: c.sync_groups.then_some(groups),
            source: "ldap",
        }))
    }
}

/// The first value of an attribute; LDAP attribute names are case-insensitive.
fn first(entry: &SearchEntry, attribute: &str) -> Option<String> {
    entry.attrs.iter().find(|(k, _)| k.eq_ignore_ascii_case(attribute)).and_then(|(_, v)| v.first().cloned())
}

impl PasswordDirectory for Directory {
    fn authenticate<'a>(&'a self, login: &'a str, password: &'a str) -> DirectoryFuture<'a> {
        Box::pin(async move {
            // Each step has its own timeout; this bounds the whole conversation too.
            let overall = self.timeout() * 4;
            match tokio::time::timeout(overall, self.sign_in(login, password)).await {
                Ok(result) => result,
                Err(_) => Err(format!("no answer from {} within {} s", self.config.url, overall.as_secs())),
            }
        })
    }
}
