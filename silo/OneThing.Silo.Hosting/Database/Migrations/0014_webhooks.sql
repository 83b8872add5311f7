-- 0014: pushing case events out. A subscription names a receiver and which events it wants; its feeder follows the
-- global feed (onething_case_events by position) from its own checkpoint and copies each matching event into the
-- outbox below, in one transaction with the checkpoint, so an event is queued for a subscription exactly once whatever
-- crashes. Senders work the outbox per (subscription, partition of cases), in order per case.
CREATE TABLE onething_subscriptions (
    subscription_id       uuid        NOT NULL PRIMARY KEY,
    -- 'webhook' (the event as GET /api/events serves it) or 'applicant-notice' (a rendered message for an SMS/app gateway).
    kind                  text        NOT NULL,
    url                   text        NOT NULL,
    -- Event type names; '{*}' for every type.
    event_types           text[]      NOT NULL,
    -- Null: every item. Otherwise only cases of these items.
    item_codes            text[],
    -- Null: every department (ops only). Otherwise the events of these departments' matters, and the case-level events
    -- of cases in which one of them has been handed a task.
    departments           text[],
    -- The department whose key created it (it sees and manages only its own); null when ops created it.
    owner_department      text,
    created_by            text        NOT NULL,
    description           text,
    -- Signing secrets, sealed like personal data (pd1:…). The previous one keeps signing until previous_secret_until.
    secret                text        NOT NULL,
    previous_secret       text,
    previous_secret_until timestamptz,
    -- How many partitions its cases are spread over; fixed for the subscription's life so rows never change partition.
    partitions            smallint    NOT NULL,
    -- Fingerprint of the creating request, so a retry with the same Idempotency-Key is told apart from another body.
    fingerprint           text        NOT NULL,
    created_at            timestamptz NOT NULL,
    deleted_at            timestamptz,
    -- The feed position up to which matching events are in the outbox.
    fed_position          bigint      NOT NULL
);

CREATE INDEX onething_subscriptions_active ON onething_subscriptions (created_at) WHERE deleted_at IS NULL;

CREATE TABLE onething_webhook_deliveries (
    subscription_id uuid        NOT NULL,
    position        bigint      NOT NULL,
    case_month      date        NOT NULL,
    case_id         text        NOT NULL,
    seq             integer     NOT NULL,
    type            text        NOT NULL,
    partition       smallint    NOT NULL,
    -- pending → delivered, or failed once retries ran out (a dead letter, replayable).
    status          text        NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    last_attempt_at timestamptz,
    -- The receiver's HTTP status of the last attempt, or null when it gave none (timeout, refused connection).
    last_status     integer,
    -- Why the last attempt failed, in a few words; never the receiver's body.
    last_error      text,
    completed_at    timestamptz,
    PRIMARY KEY (subscription_id, position)
);

-- A sender's work: its partition's pending rows in feed order, and whether an earlier row of the same case still waits.
CREATE INDEX onething_webhook_deliveries_pending
    ON onething_webhook_deliveries (subscription_id, partition, position) WHERE status = 'pending';
CREATE INDEX onething_webhook_deliveries_pending_case
    ON onething_webhook_deliveries (subscription_id, case_id, position) WHERE status = 'pending';
-- The listing by status, and the pruning of delivered rows.
CREATE INDEX onething_webhook_deliveries_status
    ON onething_webhook_deliveries (subscription_id, status, position);
CREATE INDEX onething_webhook_deliveries_delivered
    ON onething_webhook_deliveries (completed_at) WHERE status = 'delivered';
