//! Sign-in providers: OpenID Connect (`[oidc]`) and LDAP / Active Directory (`[ldap]`). They
//! only establish who someone is; `users` creates the account and decides what it may do.

pub mod ldap;
pub mod oidc;
