//! The composition root: the only place that wires the modules together and spawns tasks.

use crate::admin_socket::{self, AdminSocket};
use crate::clock::Clock;
use crate::config::{Backend, Config};
use crate::reservations::Reservations;
use crate::rooms::Rooms;
use crate::store::{Store, StoreError};
use crate::users::{UserError, Users, token::TokenKeys};
use crate::web::{self, AppState, Metrics};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

mod side_effects;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("notifications: {0}")]
    Notifications(String),
    #[error("search index: {0}")]
    Search(String),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("signing key: {0}")]
    Key(std::io::Error),
    #[error("{0}")]
    Secrets(String),
    #[error("creating the first administrator: {0}")]
    Bootstrap(UserError),
    #[error("cannot listen on {0}: {1}")]
    Listen(String, std::io::Error),
    #[error("tls: {0}")]
    Tls(String),
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    store: Store,
    admin: Option<AdminSocket>,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
    side_effects: side_effects::SideEffects,
    clock: Clock,
    live: crate::events::live::Live,
}

/// Opens the store, prepares the services and starts serving; returns once listening.
pub async fn start(config: Config) -> Result<Server, StartError> {
    start_with_clock(config, Clock::system()).await
}

/// [`start`] with the clock the notification modules and the scheduler read (tests move it).
pub async fn start_with_clock(config: Config, clock: Clock) -> Result<Server, StartError> {
    // Read the certificate first, so a bad one stops the start before anything is opened.
    let tls = if config.tls.enabled() { Some(tls_config(&config.tls).await?) } else { None };
    let store = open_store(&config).await?;
    store.start_calendar();
    // Without the socket the server still serves bookings; only online backups are unavailable.
    let admin = match admin_socket::listen(store.clone(), &config.data_dir) {
        Ok(socket) => Some(socket),
        Err(e) => {
            tracing::warn!(error = %e, "no admin socket in the data directory: online backup and export are unavailable");
            None
        }
    };
    let keys = match config.store.backend {
        // Every process must accept the tokens the others issue.
        Backend::Postgres => TokenKeys::derived(&config.secret.key).map_err(StartError::Key)?,
        Backend::Redb => TokenKeys::load_or_create(&config.data_dir).map_err(StartError::Key)?,
    };
    let mut users =
        Users::new(store.clone(), keys, &config.auth).with_groups(crate::groups::Groups::new(store.clone()));
    if config.ldap.enabled {
        users = users.with_directory(Arc::new(crate::sso::ldap::Directory::new(config.ldap.clone())));
    }
    // Discovery runs in the background: a provider that is down must not keep Salas from
    // starting; the first sign-in tries again.
    let sealer = crate::secrets::Sealer::load(&config.data_dir, &config.secret.key, true)
        .map_err(|e| StartError::Secrets(e.to_string()))?;
    let oidc = config.oidc.enabled.then(|| Arc::new(crate::sso::oidc::Oidc::new(config.oidc.clone(), sealer.clone())));
    if let Some(oidc) = oidc.clone() {
        tokio::spawn(async move { oidc.warm_up().await });
    }
    if let Some(created) = users.bootstrap(&config.admin).await.map_err(StartError::Bootstrap)? {
        match created.generated_password {
            Some(password) => tracing::warn!(
                "created the first administrator: sign in as {} with password {}  (shown once; change it after signing in)",
                created.user.email,
                password
            ),
            None => tracing::info!("created the first administrator, {}", created.user.email),
        }
    }
    let side_effects = side_effects::start(&config, &store, &clock, sealer)?;
    match side_effects.webhooks.seal_stored_secrets().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(count = n, "sealed webhook secrets stored in plaintext by an older version"),
        Err(e) => {
            tracing::warn!(error = %e, "could not seal the stored webhook secrets; they are sealed when next written")
        }
    }
    let live = crate::events::live::Live::default();
    live.spawn(store.clone());
    let reservations = Reservations::new(store.clone(), &config.booking).with_policy(config.global_policy()?);
    let state = AppState::new(crate::web::Services {
        bus: side_effects.bus.clone(),
        notifier: side_effects.notifier.clone(),
        webhooks: side_effects.webhooks.clone(),
        scheduler: side_effects.scheduler.clone(),
        search: side_effects.search.clone(),
        store: store.clone(),
        users,
        rooms: Rooms::new(store.clone(), config.booking.default_timezone.clone()).with_policy(config.global_policy()?),
        reservations: reservations.clone(),
        calendars: crate::calendars::Calendars::new(store.clone(), reservations),
        reports: side_effects.reports.clone(),
        waitlist: side_effects.waitlist.clone(),
        metrics: Arc::new(Metrics::default()),
        ui: Arc::new(web::UiSettings {
            default_timezone: config.booking.default_timezone.clone(),
            // Under our own TLS every cookie is Secure: the browser never sends it over plain HTTP.
            secure_cookies: config.tls.enabled(),
            public_url: config.auth.public_url.clone(),
        }),
        live: live.clone(),
        displays: crate::displays::Displays::new(store.clone()),
        groups: crate::groups::Groups::new(store.clone()),
        oidc,
    });
    let limits = web::Limits {
        max_body_bytes: config.http.max_body_bytes as usize,
        gateway: web::gateway::Gateway::new(&config),
    };
    let app = web::router(state, limits);

    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| StartError::Listen(config.listen.clone(), e))?;
    let addr = listener.local_addr().map_err(|e| StartError::Listen(config.listen.clone(), e))?;
    tracing::info!("listening on {}://{addr}", if tls.is_some() { "https" } else { "http" });

    let (shutdown, stopped) = oneshot::channel::<()>();
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    // TCP_NODELAY: a response is written in pieces, and with Nagle's algorithm a client that
    // delays its ACK held the last piece back for up to 200 ms (a sequential client saw that in
    // one request of a hundred).
    let task = match tls {
        None => tokio::spawn(async move {
            let listener = axum::serve::ListenerExt::tap_io(listener, |tcp: &mut tokio::net::TcpStream| {
                let _ = tcp.set_nodelay(true);
            });
            axum::serve(listener, service)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        }),
        Some(tls) => {
            let listener = listener.into_std().map_err(|e| StartError::Listen(config.listen.clone(), e))?;
            let acceptor =
                axum_server::tls_rustls::RustlsAcceptor::new(tls).acceptor(axum_server::accept::NoDelayAcceptor::new());
            let server = axum_server::from_tcp(listener)
                .map_err(|e| StartError::Listen(config.listen.clone(), e))?
                .acceptor(acceptor);
            let handle = axum_server::Handle::new();
            let stopper = handle.clone();
            // Same contract as plain HTTP: stop accepting, let requests in flight finish.
            tokio::spawn(async move {
                let _ = stopped.await;
                stopper.graceful_shutdown(None);
            });
            tokio::spawn(server.handle(handle).serve(service))
        }
    };
    Ok(Server { addr, store, admin, shutdown, task, side_effects, clock, live })
}

/// The embedded store, or this process's copy of the PostgreSQL database's.
async fn open_store(config: &Config) -> Result<Store, StoreError> {
    let cache = config.store.cache_mb as usize * 1024 * 1024;
    match config.store.backend {
        Backend::Redb => Store::open_with_cache(&config.data_dir, cache),
        Backend::Postgres => {
            let db = crate::store::postgres::Database {
                url: &config.store.url,
                password: config.store.pg_password.as_deref(),
            };
            Store::open_replica(&config.data_dir, cache, db).await
        }
    }
}

impl Server {
    /// The clock of the notification modules and the scheduler.
    pub fn clock(&self) -> Clock {
        self.clock.clone()
    }

    /// Stops accepting connections, lets in-flight requests finish, then closes the store.
    pub async fn stop(self) {
        let _ = self.shutdown.send(());
        // Open live streams never finish by themselves; end them so the shutdown can complete.
        self.live.close();
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "server error while stopping"),
            Err(e) => tracing::error!(error = %e, "server task failed"),
        }
        self.side_effects.stop().await;
        if let Some(admin) = self.admin {
            admin.close().await;
        }
        let store = self.store;
        let _ = tokio::task::spawn_blocking(move || store.close()).await;
        tracing::info!("stopped");
    }
}

/// The certificate chain and key of `[tls]`, checked to belong together.
async fn tls_config(tls: &crate::config::TlsConfig) -> Result<axum_server::tls_rustls::RustlsConfig, StartError> {
    let read = |path: &std::path::Path, what: &str| {
        std::fs::read(path).map_err(|e| StartError::Tls(format!("cannot read the {what} {}: {e}", path.display())))
    };
    let (cert, key) = (read(&tls.cert, "certificate")?, read(&tls.key, "private key")?);
    axum_server::tls_rustls::RustlsConfig::from_pem(cert, key).await.map_err(|e| {
        StartError::Tls(format!(
            "the certificate {} and the key {} cannot be used together: {e}",
            tls.cert.display(),
            tls.key.display()
        ))
    })
}

/// `salas serve`: runs until SIGTERM or Ctrl-C.
pub async fn serve(config: Config) -> Result<(), StartError> {
    // Listen for signals before announcing the port, so a SIGTERM sent as soon as the
    // "listening on" line appears is a clean stop, not the default kill.
    let signal = shutdown_signal();
    let server = start(config).await?;
    signal.await;
    tracing::info!("shutting down: finishing requests in flight");
    server.stop().await;
    Ok(())
}

fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    async move {
        match (term, int) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => std::future::pending().await,
        }
    }
}
