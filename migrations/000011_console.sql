-- Deliveries per minute for the admin console's chart. Each page of deliveries adds its counts
-- in the statement that records its outcomes (no extra round trip); `slot` spreads concurrent
-- pages over a few rows so they do not queue on one row lock. The sweep keeps a day.
create table delivery_counts (
  minute timestamptz not null,
  slot smallint not null,
  delivered integer not null default 0,
  failed integer not null default 0,
  primary key (minute, slot)
);

-- Each attempt of a recorded delivery (at, attempt, status, code, error), newest last, at most 20.
alter table deliveries add column history jsonb not null default '[]';

-- An operator's pause: a paused topic is not fetched (pings keep its fetch mark), and
-- deliveries to a paused callback host wait (postponed, no attempt spent) until it resumes.
alter table topics add column paused_at timestamptz;
create table paused_hosts (
  host text primary key check (length(host) <= 300),
  paused_at timestamptz not null default now()
);
