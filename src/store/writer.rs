//! The single writer. redb allows one write transaction at a time, so one thread owns them: it
//! drains the queue of commands, runs each against the same transaction (each judged on its own:
//! a refused command stages nothing), commits the batch once with `Durability::Immediate`, and
//! only then answers every command. Many concurrent bookings thus share one disk flush.
//!
//! A batch made only of replayable commands (the event followers' cursor moves and what they
//! stage with them, which are done again after a crash when lost) is committed without a flush:
//! it becomes durable with the next batch that is, or when the store closes. The followers then
//! cost the disk no flush of their own.

use super::StoreError;
use super::calendar::{Calendar, Keeper};
use super::health::{DbCell, begin_trouble, commit_trouble};
use super::kept::{Latest, Memory};
use super::queries::View;
use super::replica::Link;
use super::tx::{Applied, Tx};
use redb::{Database, Durability};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::watch;

/// The most commands committed together.
const MAX_BATCH: usize = 1024;

/// The writer's nice value. Every write waits for this one thread, so on a busy two-core box it
/// should not queue for a core behind the threads parsing the next requests: measured with 64
/// booking clients, a batch then applies in ~60 µs a booking instead of ~80 and commits sooner.
/// Lowering a nice value needs CAP_SYS_NICE or an RLIMIT_NICE allowing it (the systemd unit sets
/// `LimitNICE=-10`); without either the writer runs at the normal priority, only slower.
pub(super) const WRITER_NICE: i32 = -10;

type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
type Job = Box<dyn for<'a, 'b> FnOnce(Option<&'b mut Tx<'a>>) -> Completion + Send>;

enum Msg {
    /// A command; `durable` when its batch must reach the disk before it is answered.
    Job {
        job: Job,
        durable: bool,
    },
    /// Build the in-memory calendar (the server asks once it starts).
    BuildCalendar,
    /// On PostgreSQL: apply what other processes committed (replica.rs).
    CatchUp,
    Stop,
}

#[derive(Clone)]
pub(super) struct Handle {
    queue: mpsc::Sender<Msg>,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
    /// A [`Msg::CatchUp`] is in the queue.
    catch_up_queued: Arc<AtomicBool>,
}

/// What the writer keeps current besides the file: the event signal, the access map, the
/// calendar of live reservations and the newest events.
pub(super) struct Followers {
    pub events: watch::Sender<u64>,
    pub access: Latest<super::groups::AccessMap>,
    pub people: Latest<super::people::People>,
    /// Whether the copies above match the file (not after a failed commit until a reload).
    pub current: Arc<AtomicBool>,
    pub calendar: Calendar,
    pub recent: super::recent::Recent,
    /// Shared with [`Handle`]: a catch-up is queued.
    pub catch_up_queued: Arc<AtomicBool>,
}

pub(super) fn spawn(db: Arc<DbCell>, followers: Followers, mut link: Option<Link>) -> Handle {
    let (queue, rx) = mpsc::channel();
    let catch_up_queued = followers.catch_up_queued.clone();
    let thread = std::thread::Builder::new()
        .name("salas-writer".into())
        .spawn(move || {
            raise_priority();
            run(&db, &rx, &followers, link.as_mut())
        })
        .ok();
    Handle { queue, thread: Arc::new(Mutex::new(thread)), catch_up_queued }
}

/// Applies [`WRITER_NICE`] to the calling thread: on Linux a nice value belongs to a thread, and
/// `None` names the caller alone.
fn raise_priority() {
    match rustix::process::setpriority_process(None, WRITER_NICE) {
        Ok(()) => tracing::debug!(nice = WRITER_NICE, "the store's writer runs at a raised priority"),
        Err(e) => tracing::info!(
            error = %e,
            "the store's writer runs at the normal priority (raising it needs CAP_SYS_NICE or LimitNICE=-10)"
        ),
    }
}

impl Handle {
    /// Queues `command` and waits for its answer; `durable` false for a replayable command (see
    /// the module's documentation).
    pub(super) async fn submit<T, E, F>(&self, durable: bool, command: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut Tx) -> Result<T, E> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.enqueue(durable, command, move |result| {
            let _ = tx.send(result);
        })?;
        rx.await.unwrap_or_else(|_| Err(StoreError::Closed.into()))
    }

    pub(super) fn submit_blocking<T, E, F>(&self, command: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut Tx) -> Result<T, E> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        self.enqueue(true, command, move |result| {
            let _ = tx.send(result);
        })?;
        rx.recv().unwrap_or_else(|_| Err(StoreError::Closed.into()))
    }

    fn enqueue<T, E, F>(
        &self,
        durable: bool,
        command: F,
        reply: impl FnOnce(Result<T, E>) + Send + 'static,
    ) -> Result<(), E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut Tx) -> Result<T, E> + Send + 'static,
    {
        let job: Job = Box::new(move |tx: Option<&mut Tx>| {
            let outcome = match tx {
                Some(tx) => tx.run(command),
                None => Err(StoreError::Storage("an earlier command of the batch failed".into()).into()),
            };
            Box::new(move |committed: Result<(), StoreError>| {
                reply(match committed {
                    Ok(()) => outcome,
                    Err(e) => Err(e.into()),
                })
            })
        });
        self.queue.send(Msg::Job { job, durable }).map_err(|_| StoreError::Closed.into())
    }

    pub(super) fn build_calendar(&self) {
        let _ = self.queue.send(Msg::BuildCalendar);
    }

    /// Asks for a catch-up, unless one is queued already (it will serve this caller too).
    pub(super) fn catch_up(&self) {
        if !self.catch_up_queued.swap(true, Ordering::SeqCst) {
            let _ = self.queue.send(Msg::CatchUp);
        }
    }

    /// Lets the commands already queued finish, then stops the thread.
    pub(super) fn shutdown(&self) {
        let _ = self.queue.send(Msg::Stop);
        if let Some(thread) = self.thread.lock().ok().and_then(|mut t| t.take()) {
            let _ = thread.join();
        }
    }
}

/// How often a store whose disk failed tries to open its file again while no writes arrive.
const RETRY: Duration = Duration::from_secs(1);
/// How soon an idle writer looks again whether the calendar's build has finished.
const BUILD_POLL: Duration = Duration::from_millis(10);

fn run(cell: &DbCell, rx: &mpsc::Receiver<Msg>, followers: &Followers, mut link: Option<&mut Link>) {
    let mut keeper = Keeper::new(followers.calendar.clone());
    loop {
        keeper.poll();
        let wait = if keeper.is_building() { BUILD_POLL } else { RETRY };
        let (first, mut durable) = match rx.recv_timeout(wait) {
            Ok(Msg::Job { job, durable }) => (job, durable),
            Ok(Msg::CatchUp) => {
                // Requests for a catch-up made from now on need another one.
                followers.catch_up_queued.store(false, Ordering::SeqCst);
                if let Ok(db) = cell.get() {
                    commit_batch(cell, &db, (Vec::new(), false), followers, &mut keeper, link.as_deref_mut());
                }
                continue;
            }
            Ok(Msg::BuildCalendar) => {
                // Between two batches: the snapshot misses no commit the keeper is not given.
                match cell.get().and_then(|db| View::read(&db)) {
                    Ok(snapshot) => keeper.start_build(snapshot),
                    Err(e) => tracing::error!(error = %e, "could not build the calendar; reads use the file"),
                }
                continue;
            }
            Ok(Msg::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = reopen(cell, &mut keeper, &followers.current);
                continue;
            }
        };
        let mut jobs = vec![first];
        let (mut stop, mut build) = (false, false);
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Msg::Job { job, durable: d }) => {
                    jobs.push(job);
                    durable |= d;
                }
                Ok(Msg::BuildCalendar) => {
                    build = true;
                    break;
                }
                // Every batch catches up first: this one serves the request.
                Ok(Msg::CatchUp) => followers.catch_up_queued.store(false, Ordering::SeqCst),
                Ok(Msg::Stop) => {
                    stop = true;
                    break;
                }
                Err(_) => break,
            }
        }
        match reopen(cell, &mut keeper, &followers.current).and_then(|()| cell.get()) {
            Ok(db) => commit_batch(cell, &db, (jobs, durable), followers, &mut keeper, link.as_deref_mut()),
            Err(e) => {
                for job in jobs {
                    job(None)(Err(e.clone()));
                }
            }
        }
        if build && let Ok(snapshot) = cell.get().and_then(|db| View::read(&db)) {
            keeper.start_build(snapshot);
        }
        if stop {
            break;
        }
    }
}

/// Reopens a store whose disk failed, once it works again, and rebuilds the calendar from what
/// the file now holds. The rooms, access rules and users in memory are then no longer trusted
/// (`current`): a commit that failed may still have reached the file; the next commit reloads
/// them.
fn reopen(cell: &DbCell, keeper: &mut Keeper, current: &AtomicBool) -> Result<(), StoreError> {
    if cell.reopen()? {
        current.store(false, Ordering::SeqCst);
        keeper.rebuild(&View::read(&*cell.get()?)?);
    }
    Ok(())
}

/// Rebuilds the rooms, access rules and users in memory from `view`.
fn reload(view: &View, followers: &Followers) -> Result<(), StoreError> {
    followers.access.set(super::groups::AccessMap::build(view)?);
    followers.calendar.refresh_rooms(view)?;
    followers.people.set(super::people::People::build(view)?);
    Ok(())
}

fn commit_batch(
    cell: &DbCell,
    db: &Database,
    (jobs, durable): (Vec<Job>, bool),
    followers: &Followers,
    keeper: &mut Keeper,
    mut link: Option<&mut Link>,
) {
    let mut txn = match db.begin_write() {
        Ok(txn) => txn,
        Err(e) => {
            let e = match begin_trouble(&e) {
                Some(why) => {
                    cell.fail(why.clone());
                    StoreError::Unavailable(why)
                }
                None => StoreError::from(e),
            };
            for job in jobs {
                job(None)(Err(e.clone()));
            }
            return;
        }
    };
    // redb refuses only with persistent savepoints (never made here): the commit then stays
    // durable, which is merely slower.
    if !durable {
        let _ = txn.set_durability(Durability::None);
    }
    let started = std::time::Instant::now();
    let current = &followers.current;
    let memory = current.load(Ordering::SeqCst).then(|| Memory {
        access: followers.access.get(),
        rooms: followers.calendar.rooms(),
        people: followers.people.get(),
    });
    let mut tx = Tx::new(&txn, memory);
    if let Some(link) = link.as_deref_mut()
        && let Err(e) = link.begin(&mut tx, !jobs.is_empty())
    {
        link.abort();
        if !matches!(e, StoreError::Unavailable(_)) {
            tracing::error!(error = %e, "cannot apply the database's replication log");
        }
        for job in jobs {
            job(None)(Err(e.clone()));
        }
        return;
    }
    let completions: Vec<Completion> =
        jobs.into_iter().map(|job| if tx.has_failed() { job(None) } else { job(Some(&mut tx)) }).collect();
    let Applied { failed, last_seq, copies_changed, changes, events, log } = tx.finish();
    let applied = started.elapsed();
    // On PostgreSQL the database commits first: it is the record, the local copy follows it.
    let shared = match (&failed, link.as_deref_mut()) {
        (None, Some(link)) => match link.commit(&txn, log) {
            Ok(flush) => {
                if !flush {
                    let _ = txn.set_durability(Durability::None);
                }
                Ok(())
            }
            Err(e) => {
                link.abort();
                Err(e)
            }
        },
        (Some(_), Some(link)) => {
            link.abort();
            Ok(())
        }
        _ => Ok(()),
    };
    let result = match failed.map(Err).unwrap_or(shared) {
        Err(e) => Err(e), // dropping `txn` aborts it: nothing of the batch is written
        Ok(()) => txn.commit().map_err(|e| match commit_trouble(&e) {
            Some(why) => {
                cell.fail(why.clone());
                StoreError::Unavailable(why)
            }
            None => StoreError::from(e),
        }),
    };
    if let (Ok(()), Some(link)) = (&result, link) {
        link.committed();
    }
    // Before answering and before waking the event consumers: whoever changed a rule, a room or
    // a user sees the change in their next request, and a consumer told of it reads it. Until a
    // reload succeeds, reads of them go to the file.
    if result.is_ok() && (copies_changed || !current.load(Ordering::SeqCst)) {
        let reloaded = View::read(db).and_then(|view| reload(&view, followers));
        current.store(reloaded.is_ok(), Ordering::SeqCst);
        if let Err(e) = reloaded {
            tracing::error!(error = %e, "could not reload the rooms, access rules and users; reads of them go to the file");
        }
    }
    if let Err(e) = &result {
        tracing::error!(error = %e, "write batch failed; nothing of it was stored");
    } else {
        // Before answering and before waking the event consumers: whoever got an answer, or
        // an event, finds the reservations as committed.
        keeper.committed(changes);
        if !events.is_empty() {
            followers.recent.committed(events);
            followers.events.send_replace(last_seq);
        }
    }
    tracing::trace!(
        size = completions.len(),
        durable,
        apply_us = applied.as_micros() as u64,
        total_us = started.elapsed().as_micros() as u64,
        "write batch done"
    );
    for complete in completions {
        complete(result.clone());
    }
}
