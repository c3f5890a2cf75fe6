-- hub.mode=replay's limits (README, "Replay, initial state and JSON Feed delivery"): one row per accepted replay
-- of a subscription, when it was asked for (ms, as its deliver jobs carry it) and the notifications it still has
-- to settle. A replay runs while `remaining` is not empty; the rows of the last hour count against
-- HUB_REPLAY_PER_HOUR. Shared by every web process, so the limits hold across them.
create table replays (
  id bigserial primary key,
  subscription_id bigint not null references subscriptions (id) on delete cascade,
  requested_ms bigint not null,
  remaining bigint[] not null
);
create index replays_subscription_idx on replays (subscription_id, requested_ms);
