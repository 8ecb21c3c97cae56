//! A server process on PostgreSQL, on the async side: preparing the database at start, the
//! snapshot a process copies when it has no usable local copy, and the cheap question every
//! request asks first: how far has the database's log gone ([`Reader::head`])?

use super::super::StoreError;
use super::super::export::Export;
use super::{Database, SERVER_CONNECT_TIMEOUT, describe, link_error, migrate, open_config, rows};
use std::time::{Duration, Instant};
use tokio_postgres::{Client, NoTls};

/// Where the database's replication log stands.
pub struct Head {
    /// Names the database (a local copy of another one is not reused).
    pub cluster: uuid::Uuid,
    pub seq: u64,
    /// The oldest entry still in the log (None: empty).
    pub oldest: Option<u64>,
}

/// Creates or upgrades the schema (the first process to start does it; the others wait on its
/// lock) and gives a new database the secret feed tokens are derived from.
pub async fn prepare(db: Database<'_>) -> Result<Head, StoreError> {
    let mut client = super::connect(db).await?;
    migrate::run(&mut client).await?;
    let secret: [u8; 32] = rand::random();
    client
        .execute(
            "INSERT INTO feed_secret (key, secret) VALUES ('key', $1) ON CONFLICT (key) DO NOTHING",
            &[&&secret[..]],
        )
        .await
        .map_err(super::db_error)?;
    let row = client
        .query_one("SELECT cluster, seq, (SELECT min(seq) FROM salas_changes) FROM salas_head", &[])
        .await
        .map_err(super::db_error)?;
    Ok(Head {
        cluster: row.get(0),
        seq: row.get::<_, i64>(1) as u64,
        oldest: row.get::<_, Option<i64>>(2).map(|s| s as u64),
    })
}

/// Every record and the log entry they include, from one snapshot.
pub async fn snapshot(db: Database<'_>) -> Result<(Export, u64), StoreError> {
    let mut client = super::connect(db).await?;
    let tx = rows::snapshot(&mut client).await?;
    let seq: i64 = tx.query_one("SELECT seq FROM salas_head", &[]).await.map_err(super::db_error)?.get(0);
    let data = rows::read_in(&tx).await?;
    tx.commit().await.map_err(super::db_error)?;
    Ok((data, seq as u64))
}

/// How long a request waits for the database's answer before it is told 503.
const ASK_TIMEOUT: Duration = Duration::from_secs(3);

/// Asks the database for the head of its log, for every request of this process, over one
/// connection. Requests that arrive while a question is out share the next one: a question
/// asked after a request arrived answers it, since whatever was acknowledged before the request
/// arrived is committed by then.
pub struct Reader {
    config: tokio_postgres::Config,
    target: String,
    state: tokio::sync::Mutex<ReaderState>,
}

#[derive(Default)]
struct ReaderState {
    client: Option<Client>,
    /// When the last answer's question was sent, and the answer.
    last: Option<(Instant, u64)>,
    /// When the last question that failed was sent, and why: requests that arrived before it
    /// share its failure instead of each waiting for one of their own.
    failed: Option<(Instant, StoreError)>,
}

impl Reader {
    pub fn new(db: Database<'_>) -> Result<Reader, StoreError> {
        Ok(Reader {
            config: open_config(db, SERVER_CONNECT_TIMEOUT)?,
            target: describe(db.url)?,
            state: tokio::sync::Mutex::default(),
        })
    }

    /// The newest entry of the log as committed when this was called, or later.
    pub async fn head(&self) -> Result<u64, StoreError> {
        let arrived = Instant::now();
        let mut state = self.state.lock().await;
        if let Some((asked, seq)) = state.last
            && asked >= arrived
        {
            return Ok(seq);
        }
        if let Some((asked, e)) = &state.failed
            && *asked >= arrived
        {
            return Err(e.clone());
        }
        let asked = Instant::now();
        let answer = tokio::time::timeout(ASK_TIMEOUT, self.ask(&mut state.client)).await;
        let answer = answer.unwrap_or_else(|_| {
            Err(StoreError::Unavailable(format!("the database {} did not answer in time", self.target)))
        });
        match answer {
            Ok(seq) => {
                state.last = Some((asked, seq));
                Ok(seq)
            }
            Err(e) => {
                state.client = None;
                state.failed = Some((asked, e.clone()));
                Err(e)
            }
        }
    }

    /// Deletes the replication log's entries older than `days` days: every running process has
    /// long applied them, and one stopped for longer makes its local copy again at start.
    pub async fn prune(&self, days: i32) -> Result<u64, StoreError> {
        let mut state = self.state.lock().await;
        self.ask(&mut state.client).await?;
        let Some(c) = state.client.as_ref() else { return Err(StoreError::Closed) };
        c.execute("DELETE FROM salas_changes WHERE at < now() - make_interval(days => $1)", &[&days])
            .await
            .map_err(|e| link_error(&self.target, e))
    }

    async fn ask(&self, client: &mut Option<Client>) -> Result<u64, StoreError> {
        if client.is_none() {
            let (c, connection) = self.config.connect(NoTls).await.map_err(|e| link_error(&self.target, e))?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, "a reader's database connection closed");
                }
            });
            *client = Some(c);
        }
        let Some(c) = client.as_ref() else { return Err(StoreError::Closed) };
        let row = c.query_one("SELECT seq FROM salas_head", &[]).await.map_err(|e| link_error(&self.target, e))?;
        Ok(row.get::<_, i64>(0) as u64)
    }
}
