-- Entries compared by meaning, not bytes (issue 26). Each seen entry keeps the fingerprint of its
-- canonical form next to the hash of its bytes; rows stored before this have none, and the first
-- fetch that finds such an entry changed stores one without delivering (no burst on upgrade).
alter table seen_entries add column meaning text;

-- For each of updated_keys (same order), what changed: title, content, link, dates, other,
-- comma-separated; shown in the console's topic view.
alter table notifications add column updated_fields text[] not null default '{}';
