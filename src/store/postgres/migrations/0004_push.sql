-- Schema version 4: Web Push subscriptions, one per user and browser. (The VAPID key pair is a
-- row of feed_secret, key 'vapid', like the feed secret: every process signs with it.)
CREATE TABLE push_subscriptions (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    doc jsonb NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);
