//! The administration socket: how `salas backup` and `salas export` reach a running server,
//! which holds the store's exclusive lock. It is a Unix socket in the data directory
//! (`admin.sock`, mode 0600), and the server answers only callers running as its own user or
//! as root, checked with SO_PEERCRED (kanidm does the same).
//!
//! The protocol: the client sends one JSON line, `{"command":"backup"}` or
//! `{"command":"export"}`; the server answers with one JSON line, `{"ok":true,"bytes":N}`
//! followed by N bytes, or `{"ok":false,"error":"…"}`. The server streams the result rather than
//! writing it to a path the client names: under systemd's ProtectSystem=strict it could not
//! write anywhere but its own data directory.

use crate::audit::{AuditAction, Entry};
use crate::store::Store;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::net::UnixStream as StdStream;
use std::path::{Path, PathBuf};
use tokio::net::{UnixListener, UnixStream};
use tokio::task::JoinHandle;

pub const SOCKET: &str = "admin.sock";

#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Command {
    Backup,
    Export,
}

#[derive(Serialize, Deserialize)]
struct Request {
    command: Command,
}

#[derive(Serialize, Deserialize)]
struct Answer {
    ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// The listening socket of a running server.
pub struct AdminSocket {
    path: PathBuf,
    task: JoinHandle<()>,
}

/// Listens on `data_dir/admin.sock`. The caller holds the store, so no other server uses this
/// data directory and a socket file already there is a leftover of a crash.
pub fn listen(store: Store, data_dir: &Path) -> std::io::Result<AdminSocket> {
    let path = data_dir.join(SOCKET);
    if path.exists() {
        std::fs::remove_file(&path)?;
    }
    let listener = UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    // The socket file belongs to the user this server runs as.
    let own_uid = std::fs::metadata(&path)?.uid();
    let dir = data_dir.to_path_buf();
    let task = tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((conn, _)) => {
                    tokio::spawn(serve(conn, store.clone(), own_uid, dir.clone()));
                }
                Err(e) => tracing::warn!(error = %e, "admin socket: accept failed"),
            }
        }
    });
    Ok(AdminSocket { path, task })
}

impl AdminSocket {
    /// Stops listening. Awaiting the aborted task drops its handle on the store, so the store
    /// can close right after.
    pub async fn close(self) {
        self.task.abort();
        let _ = self.task.await;
        let _ = std::fs::remove_file(&self.path);
    }
}

async fn serve(conn: UnixStream, store: Store, own_uid: u32, dir: PathBuf) {
    let uid = conn.peer_cred().map(|c| c.uid());
    // The work is blocking (a store snapshot, file I/O): do it all on a blocking thread.
    let conn = match conn.into_std().and_then(|c| c.set_nonblocking(false).map(|()| c)) {
        Ok(c) => c,
        Err(e) => return tracing::warn!(error = %e, "admin socket: cannot use the connection"),
    };
    let result = tokio::task::spawn_blocking(move || match uid {
        Ok(uid) if uid == own_uid || uid == 0 => answer(conn, &store, &dir, uid),
        Ok(uid) => {
            tracing::warn!(uid, "admin socket: refused a caller running as another user");
            write_line(&conn, &refusal("only the server's own user or root may use this socket"))
        }
        Err(e) => write_line(&conn, &refusal(&format!("cannot tell who is calling: {e}"))),
    })
    .await
    .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    if let Err(e) = result {
        tracing::warn!(error = %e, "admin socket: request failed");
    }
}

fn refusal(error: &str) -> Answer {
    Answer { ok: false, bytes: None, error: Some(error.to_string()) }
}

fn answer(conn: StdStream, store: &Store, dir: &Path, uid: u32) -> std::io::Result<()> {
    let mut line = String::new();
    BufReader::new((&conn).take(4096)).read_line(&mut line)?;
    let command = match serde_json::from_str::<Request>(&line) {
        Ok(r) => r.command,
        Err(e) => return write_line(&conn, &refusal(&format!("bad request: {e}"))),
    };
    // Results go through a file in the data directory, so a large store is never held in memory
    // and the snapshot's read transaction ends before the (possibly slow) transfer.
    let tmp = dir.join(format!(".admin-{}.tmp", uuid::Uuid::now_v7().simple()));
    let produced = match command {
        Command::Backup => store.backup_to(&tmp).map_err(|e| e.to_string()),
        Command::Export => store.export_json().map_err(|e| e.to_string()).and_then(|json| write_private(&tmp, &json)),
    };
    let action = match command {
        Command::Backup => AuditAction::DataBackedUp,
        Command::Export => AuditAction::DataExported,
    };
    let entry = Entry::new(action, None).origin(&format!("admin socket (uid {uid})"));
    let entry = if produced.is_ok() { entry } else { entry.failed() };
    if let Err(e) = store.write_blocking(move |tx| entry.stage(tx)) {
        tracing::error!(error = %e, "admin socket: could not write the audit record");
    }
    let result = match produced {
        Ok(()) => send_file(&conn, &tmp),
        Err(e) => write_line(&conn, &refusal(&e)),
    };
    let _ = std::fs::remove_file(&tmp);
    tracing::info!(?command, ok = result.is_ok(), "admin socket: request served");
    result
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn send_file(mut conn: &StdStream, path: &Path) -> std::io::Result<()> {
    let mut file = std::fs::File::open(path)?;
    let bytes = file.metadata()?.len();
    write_line(conn, &Answer { ok: true, bytes: Some(bytes), error: None })?;
    std::io::copy(&mut file, &mut conn)?;
    conn.shutdown(std::net::Shutdown::Write)
}

fn write_line(mut conn: &StdStream, answer: &Answer) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(answer).map_err(std::io::Error::other)?;
    line.push(b'\n');
    conn.write_all(&line)
}

/// Asks the server running on `data_dir` to run `command`, writing its result to `out`.
/// `Ok(None)`: no server answers there (no socket, or a leftover of a stopped one).
pub fn request(data_dir: &Path, command: Command, out: &mut impl Write) -> Result<Option<u64>, String> {
    let path = data_dir.join(SOCKET);
    let mut conn = match StdStream::connect(&path) {
        Ok(c) => c,
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused) => {
            return Ok(None);
        }
        Err(e) => return Err(format!("cannot reach the running server at {}: {e}", path.display())),
    };
    let mut line = serde_json::to_vec(&Request { command }).map_err(|e| e.to_string())?;
    line.push(b'\n');
    conn.write_all(&line).map_err(|e| format!("talking to the server: {e}"))?;
    let mut reader = BufReader::new(conn);
    let mut head = String::new();
    reader.read_line(&mut head).map_err(|e| format!("talking to the server: {e}"))?;
    let answer: Answer = serde_json::from_str(&head)
        .map_err(|_| "the server gave an answer this Salas does not understand".to_string())?;
    let bytes = match answer {
        Answer { ok: true, bytes: Some(n), .. } => n,
        Answer { error, .. } => return Err(format!("the server refused: {}", error.unwrap_or_default())),
    };
    let copied = std::io::copy(&mut reader.take(bytes), out).map_err(|e| format!("receiving from the server: {e}"))?;
    if copied != bytes {
        return Err(format!("the server stopped after {copied} of {bytes} bytes"));
    }
    Ok(Some(bytes))
}
