-- Schema version 3: failed sign-ins, shared by every Salas process so that they lock out
-- together. Short-lived (forgotten at `forget_at`), so neither exported nor copied.
CREATE TABLE login_locks (
    -- `e:EMAIL|CLIENT` (an account from one address) or `c:CLIENT` (an address)
    key text COLLATE "C" PRIMARY KEY,
    forget_at timestamptz NOT NULL,
    doc jsonb NOT NULL
);
CREATE INDEX login_locks_forget ON login_locks (forget_at);
