-- Salas on PostgreSQL, schema version 1: one table per kind of record. Each row keeps the record
-- as Salas writes it (`doc`, JSON) and, beside it, the columns that key, index or constrain it.
-- Text keys use the "C" collation, so rows sort by bytes as in the embedded store.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE users (
    id uuid PRIMARY KEY,
    -- the address in lower case: one account per address
    email text COLLATE "C" NOT NULL UNIQUE,
    doc jsonb NOT NULL
);

CREATE TABLE api_keys (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    -- SHA-256 of the key's secret; the secret itself is never stored
    secret_hash bytea NOT NULL UNIQUE,
    doc jsonb NOT NULL
);
CREATE INDEX api_keys_user ON api_keys (user_id);

-- browser sessions, by SHA-256 of the cookie's secret
CREATE TABLE sessions (
    secret_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL,
    expires_at timestamptz NOT NULL,
    doc jsonb NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE rooms (
    id uuid PRIMARY KEY,
    -- the name trimmed and in lower case: names are unique
    name_key text COLLATE "C" NOT NULL UNIQUE,
    doc jsonb NOT NULL
);

CREATE TABLE resources (
    id uuid PRIMARY KEY,
    name_key text COLLATE "C" NOT NULL UNIQUE,
    doc jsonb NOT NULL
);

CREATE TABLE reservations (
    id uuid PRIMARY KEY,
    room_id uuid NOT NULL,
    user_id uuid NOT NULL,
    series_id uuid,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    -- confirmed, pending, cancelled, declined or no_show
    status text COLLATE "C" NOT NULL,
    -- confirmed or pending: the reservation holds its room
    live boolean NOT NULL,
    created_at timestamptz NOT NULL,
    doc jsonb NOT NULL,
    CONSTRAINT reservations_time_order CHECK (starts_at < ends_at),
    -- Never double-booked, whatever writes the table: Salas checks before it writes, and the
    -- database refuses two live reservations of one room whose times overlap.
    CONSTRAINT reservations_no_overlap
        EXCLUDE USING gist (room_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (live)
);
CREATE INDEX reservations_room ON reservations (room_id, starts_at, id);
CREATE INDEX reservations_user ON reservations (user_id, starts_at, id);
CREATE INDEX reservations_start ON reservations (starts_at, id);
CREATE INDEX reservations_series ON reservations (series_id, starts_at, id) WHERE series_id IS NOT NULL;
-- the approval queue, oldest request first
CREATE INDEX reservations_pending ON reservations (created_at, id) WHERE status = 'pending';

-- The event log, in one order: `seq`. Its records are `json`, kept as written (`jsonb` would
-- reorder the keys of each event's data).
CREATE TABLE events (
    seq bigint PRIMARY KEY,
    id uuid NOT NULL UNIQUE,
    kind text COLLATE "C" NOT NULL,
    at timestamptz NOT NULL,
    doc json NOT NULL
);

-- where each event consumer (notifications, search, webhooks…) stands in the log
CREATE TABLE consumer_cursors (
    consumer text COLLATE "C" PRIMARY KEY,
    seq bigint NOT NULL
);

-- keys of work already staged (an event's e-mails, a reminder): staged at most once
CREATE TABLE once_keys (
    key bytea PRIMARY KEY
);

-- outgoing e-mails and webhook calls; `due_at` is the next attempt while one is pending
CREATE TABLE deliveries (
    id uuid PRIMARY KEY,
    due_at timestamptz,
    doc jsonb NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (due_at, id) WHERE due_at IS NOT NULL;

-- admin-edited e-mail templates, by `kind/language`
CREATE TABLE email_templates (
    key text COLLATE "C" PRIMARY KEY,
    doc jsonb NOT NULL
);

CREATE TABLE webhooks (
    id uuid PRIMARY KEY,
    doc jsonb NOT NULL
);

-- the in-app inbox
CREATE TABLE notifications (
    user_id uuid NOT NULL,
    id uuid NOT NULL,
    unread boolean NOT NULL,
    doc jsonb NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE INDEX notifications_unread ON notifications (user_id, id) WHERE unread;

CREATE TABLE notify_prefs (
    user_id uuid PRIMARY KEY,
    doc jsonb NOT NULL
);

-- the secret calendar feed tokens are derived from
CREATE TABLE feed_secret (
    key text COLLATE "C" PRIMARY KEY,
    secret bytea NOT NULL
);

-- how many times a room's or a user's feed token was replaced
CREATE TABLE feed_generations (
    owner_id uuid PRIMARY KEY,
    generation bigint NOT NULL
);

-- each location's room policy defaults, by the location's name in lower case
CREATE TABLE location_policies (
    location_key text COLLATE "C" PRIMARY KEY,
    doc jsonb NOT NULL
);

CREATE TABLE report_subscriptions (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    doc jsonb NOT NULL
);

-- append-only
CREATE TABLE audit_log (
    at timestamptz NOT NULL,
    id uuid NOT NULL,
    doc jsonb NOT NULL,
    PRIMARY KEY (at, id)
);

-- room door displays, with the SHA-256 of their device tokens
CREATE TABLE displays (
    id uuid PRIMARY KEY,
    room_id uuid NOT NULL,
    secret_hash bytea NOT NULL UNIQUE,
    doc jsonb NOT NULL
);

CREATE TABLE user_groups (
    id uuid PRIMARY KEY,
    name_key text COLLATE "C" NOT NULL UNIQUE,
    doc jsonb NOT NULL
);

CREATE TABLE group_members (
    group_id uuid NOT NULL,
    user_id uuid NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id, group_id);

-- room access rules (a room without one follows its location's)
CREATE TABLE room_access (
    room_id uuid PRIMARY KEY,
    doc jsonb NOT NULL
);

CREATE TABLE location_access (
    location_key text COLLATE "C" PRIMARY KEY,
    doc jsonb NOT NULL
);

CREATE TABLE waitlist (
    id uuid PRIMARY KEY,
    room_id uuid NOT NULL,
    doc jsonb NOT NULL
);
CREATE INDEX waitlist_room ON waitlist (room_id);
