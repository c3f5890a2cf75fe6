-- Console sessions ended by sign-out (issue 20, item 7). The session cookie is stateless (an
-- expiry, a nonce and a MAC), so a copy taken before sign-out would stay valid until it expires:
-- its SHA-256 is kept here until then, and every web process refuses it. The sweep drops rows
-- whose cookie has expired anyway.
create table console_sign_outs (
  session_hash text primary key check (length(session_hash) = 64),
  expires_at timestamptz not null
);
