-- The HMAC each recorded delivery was signed with (null: unsigned), for the admin views.
alter table deliveries add column signature_algorithm text;
