-- Schema version 6: single-use links e-mailed for password resets, invitations and sign-ups,
-- by the SHA-256 of the link's secret (the secret itself is never stored).
CREATE TABLE account_links (
    hash bytea PRIMARY KEY,
    expires_at timestamptz NOT NULL,
    doc jsonb NOT NULL
);
CREATE INDEX account_links_expiry ON account_links (expires_at);
