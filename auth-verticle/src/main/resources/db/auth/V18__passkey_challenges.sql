-- Issue 14: passkey login challenges.

-- What POST /auth/passkey/options issues and POST /auth/passkey/login uses up: a challenge of 32
-- random bytes (base64url), for discoverable credentials (no user is known when it is issued).
-- Only its SHA-256 is stored, beside the id the client sends back; the login deletes the row in
-- the statement that reads it (single use, across every auth node) and compares the hash with
-- the challenge inside the assertion's clientDataJSON. A challenge lives 5 minutes (the contract).
CREATE TABLE passkey_challenges (
  id             uuid        PRIMARY KEY,
  challenge_hash bytea       NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL
);

-- the retention deletes challenges some time after they expired (docs/OPERATING.md, "Table sizes")
CREATE INDEX passkey_challenges_expires_at_idx ON passkey_challenges (expires_at);
