-- Crier's delivery extensions (README, "Replay, initial state and JSON Feed delivery").
-- crier.format: how a subscription's deliveries are shaped, 'feed' (the topic's own document) or 'json'
-- (JSON Feed 1.1). An intent's null keeps the subscription's format on renewal.
alter table intents add column format text check (format in ('feed', 'json'));
alter table subscriptions add column format text not null default 'feed' check (format in ('feed', 'json'));
-- crier.initial: entries the subscriber asked for right after verification. Kept with the intent so a
-- restart between the request and its verification keeps it; on activation it becomes the subscription's
-- pending initial delivery (initial_count and when it was asked for), cleared once delivered or given up.
alter table intents add column initial_count int check (initial_count between 0 and 50);
alter table subscriptions add column initial_count int check (initial_count between 1 and 50);
alter table subscriptions add column initial_requested_at timestamptz;
create index subscriptions_initial_pending_idx on subscriptions (initial_requested_at) where initial_count is not null;
-- Which entries of a notification were changed versions of entries delivered before (entry keys), so a JSON
-- Feed rendering of it tells new from updated per item; null on notifications stored before this migration.
alter table notifications add column updated_keys text[];
