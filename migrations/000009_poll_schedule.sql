-- Polling (issue 13): every topic with a live subscription is fetched on a schedule kept here, so it
-- survives restarts and several worker processes share it. poll_at is null for a topic nobody
-- subscribes to: set when a subscription is verified, cleared by the scheduler when it finds none live.
alter table topics
  add column poll_at timestamptz,
  add column poll_interval_seconds integer,
  -- why the interval is what it is: new, changes (observed), publisher (a hint), backoff (errors),
  -- failing (errors for long: polled at the maximum), safety-net (pings arrive: polled at the maximum)
  add column poll_reason text check (poll_reason in ('new', 'changes', 'publisher', 'backoff', 'failing', 'safety-net')),
  add column poll_failures integer not null default 0,
  add column pings_seen integer not null default 0,
  -- polls that found content no ping announced: a publisher's broken hook shows here
  add column missed_by_ping integer not null default 0,
  add column last_fetch_source text check (last_fetch_source in ('ping', 'poll', 'subscribe')),
  add column last_change_at timestamptz,
  -- the feed's own refresh hint (RSS ttl, sy:updatePeriod/updateFrequency), kept from the last parse
  add column feed_refresh_seconds integer;

-- Finding due topics reads only the scheduled ones, in due order: cost in proportion to the due topics.
create index topics_poll_at_idx on topics (poll_at) where poll_at is not null;
