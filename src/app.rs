//! The composition root: the only place that wires the modules together and spawns tasks.

use crate::admin_socket::{self, AdminSocket};
use crate::clock::Clock;
use crate::config::Config;
use crate::reservations::Reservations;
use crate::rooms::Rooms;
use crate::store::{Store, StoreError};
use crate::users::{UserError, Users, token::TokenKeys};
use crate::web::{self, AppState, Metrics};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
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
    #[error("creating the first administrator: {0}")]
    Bootstrap(UserError),
    #[error("cannot listen on {0}: {1}")]
    Listen(String, std::io::Error),
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
}

/// Opens the store, prepares the services and starts serving; returns once listening.
pub async fn start(config: Config) -> Result<Server, StartError> {
    start_with_clock(config, Clock::system()).await
}

/// [`start`] with the clock the notification modules and the scheduler read (tests move it).
pub async fn start_with_clock(config: Config, clock: Clock) -> Result<Server, StartError> {
    let store = Store::open_with_cache(&config.data_dir, config.store.cache_mb as usize * 1024 * 1024)?;
    // Without the socket the server still serves bookings; only online backups are unavailable.
    let admin = match admin_socket::listen(store.clone(), &config.data_dir) {
        Ok(socket) => Some(socket),
        Err(e) => {
            tracing::warn!(error = %e, "no admin socket in the data directory: online backup and export are unavailable");
            None
        }
    };
    let keys = TokenKeys::load_or_create(&config.data_dir).map_err(StartError::Key)?;
    let users = Users::new(store.clone(), keys, &config.auth);
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
    let side_effects = side_effects::start(&config, &store, &clock)?;
    let state = AppState {
        bus: side_effects.bus.clone(),
        notifier: side_effects.notifier.clone(),
        webhooks: side_effects.webhooks.clone(),
        scheduler: side_effects.scheduler.clone(),
        search: side_effects.search.clone(),
        store: store.clone(),
        users,
        rooms: Rooms::new(store.clone(), config.booking.default_timezone.clone()),
        reservations: Reservations::new(store.clone(), &config.booking),
        reports: crate::reports::Reports::new(store.clone(), config.report_settings()?),
        metrics: Arc::new(Metrics::default()),
        ui: Arc::new(web::UiSettings {
            default_timezone: config.booking.default_timezone.clone(),
            secure_cookies: false,
        }),
    };
    let limits = web::Limits {
        request_timeout: Duration::from_secs(config.http.request_timeout_seconds.into()),
        max_body_bytes: config.http.max_body_bytes as usize,
    };
    let app = web::router(state, limits);

    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| StartError::Listen(config.listen.clone(), e))?;
    let addr = listener.local_addr().map_err(|e| StartError::Listen(config.listen.clone(), e))?;
    tracing::info!("listening on http://{addr}");

    let (shutdown, stopped) = oneshot::channel::<()>();
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        axum::serve(listener, service)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok(Server { addr, store, admin, shutdown, task, side_effects, clock })
}

impl Server {
    /// The clock of the notification modules and the scheduler.
    pub fn clock(&self) -> Clock {
        self.clock.clone()
    }

    /// Stops accepting connections, lets in-flight requests finish, then closes the store.
    pub async fn stop(self) {
        let _ = self.shutdown.send(());
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
