-- The sweep forgets entries by age across all topics.
create index seen_entries_last_seen_at_idx on seen_entries (last_seen_at);
