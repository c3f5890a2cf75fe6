-- When the hub last asked a subscriber to re-confirm its subscription before the lease ends
-- (WebSub §5.3, H16); asked again only after a verification renewed the lease (verified_at).
alter table subscriptions add column reconfirm_requested_at timestamptz;
