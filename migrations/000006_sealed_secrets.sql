-- Sealed secrets (HUB_SECRET_KEY) are longer than the 199 bytes a request may send:
-- the request limit stays in the hub, the column allows the sealed form.
alter table intents drop constraint if exists intents_secret_check;
alter table intents add constraint intents_secret_check check (octet_length(secret) < 400);
alter table subscriptions drop constraint if exists subscriptions_secret_check;
alter table subscriptions add constraint subscriptions_secret_check check (octet_length(secret) < 400);
