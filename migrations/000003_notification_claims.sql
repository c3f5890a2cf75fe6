-- The fetch job delivers a notification's first page itself. While it does, it holds a
-- claim the sweep respects; a claim that lapses (the process died) hands the page to the queue.
alter table notifications add column claimed_until timestamptz;
