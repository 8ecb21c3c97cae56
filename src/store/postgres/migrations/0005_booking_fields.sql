-- Schema version 5: booking fields, the extra questions of every booking form. The answers are
-- in each reservation's doc, under "fields".
CREATE TABLE booking_fields (
    id uuid PRIMARY KEY,
    key text COLLATE "C" NOT NULL UNIQUE,
    doc jsonb NOT NULL
);
