-- 0018: the event log is the outbox. Each sender of a subscription (one per partition of its cases) follows the global
-- feed from its own checkpoint below and posts the matching events of its partition directly; it writes a row into
-- onething_webhook_deliveries (0014) only for an event whose post failed, an event of the same case that must wait
-- behind it, or a notice that waits for its round to close. The checkpoint moves in the transaction that writes those
-- rows, so an event is either delivered, parked in the outbox, or still after the checkpoint.
CREATE TABLE onething_webhook_checkpoints (
    subscription_id uuid     NOT NULL,
    partition       smallint NOT NULL,
    -- Every matching event of the partition at or below it was delivered or is in the outbox.
    position        bigint   NOT NULL,
    PRIMARY KEY (subscription_id, partition)
);

-- Existing subscriptions go on from where their feeder stopped; their outbox rows stay and are worked as before.
INSERT INTO onething_webhook_checkpoints (subscription_id, partition, position)
SELECT s.subscription_id, p.partition, s.fed_position
FROM onething_subscriptions s, generate_series(0, s.partitions - 1) AS p(partition)
WHERE s.deleted_at IS NULL;

COMMENT ON COLUMN onething_subscriptions.fed_position IS
    'Where the feed starts being the outbox: matching events after it and at or below their partition''s checkpoint that have no outbox row were delivered. Set at creation, lowered by a replay.';
