-- The update log: a topic's notifications are its entries and a notification's id is their
-- sequence id (X-Crier-Seq, the stream event id), growing across every topic. Retention
-- (HUB_HISTORY_ENTRIES / HUB_HISTORY_DAYS) walks the log by age, and drops the bodies no
-- notification refers to any more.
create index notifications_created_at_idx on notifications (created_at);
create index notifications_content_hash_idx on notifications (content_hash);
