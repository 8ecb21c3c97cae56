-- Schema version 2: several Salas processes on one database.
--
-- Every write batch of every process takes the one row of `salas_head` FOR UPDATE, applies what
-- other processes committed since its own last batch, runs its commands, writes their rows into
-- the tables above, appends the ops it applied to `salas_changes` as entry `seq + 1`, and
-- commits. Batches therefore commit one at a time, in `seq` order: the event log gets one commit
-- order, and a process reading `salas_changes` after seq N never misses an entry committed
-- later with a lower number (there is none). See docs/architecture.md.
CREATE TABLE salas_head (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    -- the newest entry of salas_changes
    seq bigint NOT NULL,
    -- names this database: a process's local copy made from another one is thrown away
    cluster uuid NOT NULL
);
INSERT INTO salas_head (one, seq, cluster) VALUES (true, 0, gen_random_uuid());

-- The replication log: each committed batch's ops, as JSON, in order.
CREATE TABLE salas_changes (
    seq bigint PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    ops json NOT NULL
);
