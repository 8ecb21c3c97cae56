//! A server process on PostgreSQL, on the async side: preparing the database at start, the
//! snapshot a process copies when it has no usable local copy, and the cheap question every
//! request asks first: how far has the database's log gone ([`Reader::head`])?

use super::super::StoreError;
use super::super::export::Export;
use super::{Database, SERVER_CONNECT_TIMEOUT, describe, link_error, migrate, open_config, rows};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_postgres::{Client, NoTls, Statement};

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
/// connection. A question asked after a request arrived answers it, since whatever was
/// acknowledged before the request arrived is committed by then: a request shares the newest
/// question if that was sent after it arrived, and otherwise sends one of its own at once,
/// pipelined behind those in flight (so it waits one round trip, never two).
pub struct Reader {
    config: tokio_postgres::Config,
    target: String,
    /// The newest question: its number and when it was sent.
    sent: std::sync::Mutex<Option<(u64, Instant)>>,
    connection: tokio::sync::Mutex<Option<(Arc<Client>, Statement)>>,
    /// The newest answer: its question's number and what it said.
    answers: watch::Sender<Answer>,
}

type Answer = (u64, Result<u64, StoreError>);

impl Reader {
    pub fn new(db: Database<'_>) -> Result<Reader, StoreError> {
        Ok(Reader {
            config: open_config(db, SERVER_CONNECT_TIMEOUT)?,
            target: describe(db.url)?,
            sent: std::sync::Mutex::default(),
            connection: tokio::sync::Mutex::default(),
            answers: watch::channel((0, Ok(0))).0,
        })
    }

    /// The newest entry of the log as committed when this was called, or later.
    pub async fn head(self: &Arc<Self>) -> Result<u64, StoreError> {
        let arrived = Instant::now();
        let question = {
            let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
            match *sent {
                Some((number, at)) if at >= arrived => number,
                _ => {
                    let number = sent.map_or(1, |(n, _)| n + 1);
                    *sent = Some((number, Instant::now()));
                    // A task of its own: others wait for this answer even if this request
                    // is dropped (its client went away).
                    tokio::spawn(Arc::clone(self).ask(number));
                    number
                }
            }
        };
        let mut answers = self.answers.subscribe();
        let answer = answers.wait_for(|(number, _)| *number >= question).await;
        match answer {
            Ok(answer) => answer.1.clone(),
            Err(_) => Err(StoreError::Closed),
        }
    }

    /// Sends question `number` and publishes its answer.
    async fn ask(self: Arc<Self>, number: u64) {
        let connection = self.connect(&mut *self.connection.lock().await).await;
        let answer = match connection {
            Err(e) => Err(e),
            Ok((client, statement)) => {
                let asked = tokio::time::timeout(ASK_TIMEOUT, client.query_one(&statement, &[])).await;
                let answer = match asked {
                    Ok(Ok(row)) => Ok(row.get::<_, i64>(0) as u64),
                    Ok(Err(e)) => Err(link_error(&self.target, e)),
                    Err(_) => Err(self.late()),
                };
                if answer.is_err() {
                    let mut connection = self.connection.lock().await;
                    if connection.as_ref().is_some_and(|(c, _)| Arc::ptr_eq(c, &client)) {
                        *connection = None;
                    }
                }
                answer
            }
        };
        self.answer(number, answer);
    }

    fn late(&self) -> StoreError {
        StoreError::Unavailable(format!("the database {} did not answer in time", self.target))
    }

    /// Publishes question `number`'s answer, unless a newer question was answered already.
    fn answer(&self, number: u64, answer: Result<u64, StoreError>) {
        self.answers.send_if_modified(|newest| {
            if newest.0 >= number {
                return false;
            }
            *newest = (number, answer);
            true
        });
    }

    /// Deletes the replication log's entries older than `days` days: every running process has
    /// long applied them, and one stopped for longer makes its local copy again at start.
    pub async fn prune(&self, days: i32) -> Result<u64, StoreError> {
        let (client, _) = self.connect(&mut *self.connection.lock().await).await?;
        client
            .execute("DELETE FROM salas_changes WHERE at < now() - make_interval(days => $1)", &[&days])
            .await
            .map_err(|e| link_error(&self.target, e))
    }

    /// The connection, made first if there is none, and its prepared question.
    async fn connect(
        &self,
        connection: &mut Option<(Arc<Client>, Statement)>,
    ) -> Result<(Arc<Client>, Statement), StoreError> {
        if let Some(connection) = connection {
            return Ok(connection.clone());
        }
        let link = |e| link_error(&self.target, e);
        let made = tokio::time::timeout(ASK_TIMEOUT, async {
            let (client, link_task) = self.config.connect(NoTls).await.map_err(link)?;
            tokio::spawn(async move {
                if let Err(e) = link_task.await {
                    tracing::debug!(error = %e, "a reader's database connection closed");
                }
            });
            let statement = client.prepare("SELECT seq FROM salas_head").await.map_err(link)?;
            Ok((Arc::new(client), statement))
        })
        .await
        .unwrap_or_else(|_| Err(self.late()))?;
        *connection = Some(made.clone());
        Ok(made)
    }
}
