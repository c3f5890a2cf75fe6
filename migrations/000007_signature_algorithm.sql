-- The HMAC algorithm a subscriber asked for (hub.signature_algorithm), or sha1 for a
-- PubSubHubbub 0.3/0.4 client; null means the operator's HUB_SIGNATURE_ALGORITHM.
alter table intents add column signature_algorithm text check (signature_algorithm in ('sha1', 'sha256', 'sha384', 'sha512'));
alter table subscriptions add column signature_algorithm text check (signature_algorithm in ('sha1', 'sha256', 'sha384', 'sha512'));
