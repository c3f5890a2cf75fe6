-- Crier's own tables. BullMQ keeps its queue tables in its own schema.

create table topics (
  id bigserial primary key,
  url text not null unique check (length(url) <= 2048),
  etag text,
  last_modified text,
  content_hash text,
  content_type text,
  fetch_requested_at timestamptz,
  last_fetch_at timestamptz,
  last_fetch_status integer,
  last_fetch_error text,
  parse_error text,
  created_at timestamptz not null default now()
);

-- A subscription exists once its intent was verified; pending intents live in intents.
create table subscriptions (
  id bigserial primary key,
  topic_id bigint not null references topics (id) on delete cascade,
  callback text not null check (length(callback) <= 2048),
  secret text check (octet_length(secret) < 200),
  lease_seconds integer not null,
  expires_at timestamptz not null,
  verified_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  last_delivery_at timestamptz,
  last_delivery_status text,
  last_delivery_error text,
  next_retry_at timestamptz,
  unique (topic_id, callback)
);
create index subscriptions_expires_at_idx on subscriptions (expires_at);

-- A subscribe/unsubscribe request accepted with 202 and not yet verified (WebSub §5.3).
create table intents (
  id bigserial primary key,
  topic_url text not null check (length(topic_url) <= 2048),
  callback text not null check (length(callback) <= 2048),
  mode text not null check (mode in ('subscribe', 'unsubscribe', 'denied')),
  secret text check (octet_length(secret) < 200),
  lease_seconds integer,
  verify_token text,
  reason text,
  created_at timestamptz not null default now(),
  enqueued_at timestamptz
);
create index intents_created_at_idx on intents (created_at);

-- Each distinct body delivered is stored once, referenced by its hash.
create table contents (
  hash text primary key,
  content_type text not null,
  body bytea not null,
  created_at timestamptz not null default now()
);

-- One row per fan-out of new content to a topic's subscribers.
create table notifications (
  id bigserial primary key,
  topic_id bigint not null references topics (id) on delete cascade,
  content_hash text not null references contents (hash),
  new_entries integer not null default 0,
  updated_entries integer not null default 0,
  created_at timestamptz not null default now(),
  -- null until its first deliver page is enqueued (outbox: a sweeper enqueues stragglers)
  enqueued_at timestamptz
);
create index notifications_topic_idx on notifications (topic_id, id);
create index notifications_unqueued_idx on notifications (created_at) where enqueued_at is null;

-- Entries already delivered per topic, for the feed diff; bounded by retention.
create table seen_entries (
  topic_id bigint not null references topics (id) on delete cascade,
  entry_key text not null,
  content_hash text not null,
  first_seen_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  primary key (topic_id, entry_key)
);

-- Deliveries that did not succeed at the first attempt, and what became of them.
create table deliveries (
  notification_id bigint not null references notifications (id) on delete cascade,
  subscription_id bigint not null references subscriptions (id) on delete cascade,
  status text not null check (status in ('retrying', 'delivered', 'dropped', 'gone')),
  attempts integer not null,
  last_status_code integer,
  last_error text,
  next_attempt_at timestamptz,
  updated_at timestamptz not null default now(),
  primary key (notification_id, subscription_id)
);

-- Fixed-window request counters shared by every web process (H28).
create table rate_limits (
  key text not null,
  window_start timestamptz not null,
  hits integer not null,
  primary key (key, window_start)
);
