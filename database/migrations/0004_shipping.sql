-- Shipping in packages, appended packages, refunds and interception,
-- carrier scans, and the order's history (DOMAIN.md §3, §4, §5, §11).

-- One carrier + tracking number belongs to one order, or to orders of one
-- shop, buyer and address (merged shipping, S4). It also routes carrier
-- scans to their shop.
CREATE TABLE waybills (
    carrier_code TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    shop_id BIGINT NOT NULL REFERENCES shops (id),
    order_id BIGINT NOT NULL,
    buyer_id BIGINT NOT NULL,
    address_key TEXT NOT NULL,
    created_at {{TIME}} NOT NULL,
    PRIMARY KEY (carrier_code, tracking_number)
);

ALTER TABLE packages ADD COLUMN intercept_status TEXT NOT NULL DEFAULT 'NONE' CHECK (intercept_status IN ('NONE', 'INTERCEPT_REQUIRED', 'INTERCEPTED'));
ALTER TABLE packages ADD COLUMN picked_up_at {{TIME}};
ALTER TABLE packages ADD COLUMN status_at {{TIME}};

ALTER TABLE orders ADD COLUMN refund_status TEXT NOT NULL DEFAULT 'NONE' CHECK (refund_status IN ('NONE', 'REQUESTED', 'REFUNDED'));
ALTER TABLE orders ADD COLUMN refund_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN refund_requested_at {{TIME}};

CREATE TABLE tracking_events (
    id {{ID}},
    shop_id BIGINT NOT NULL,
    carrier_code TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ACCEPTED', 'PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED', 'EXCEPTION', 'RETURNED')),
    occurred_at {{TIME}} NOT NULL,
    place TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at {{TIME}} NOT NULL,
    CONSTRAINT tracking_events_key UNIQUE (carrier_code, tracking_number, occurred_at, status)
);

CREATE INDEX tracking_events_shop_idx ON tracking_events (shop_id, carrier_code, tracking_number, occurred_at);

CREATE TABLE order_events (
    id {{ID}},
    shop_id BIGINT NOT NULL,
    order_id BIGINT NOT NULL,
    at {{TIME}} NOT NULL,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    CONSTRAINT order_events_order_fk FOREIGN KEY (shop_id, order_id) REFERENCES orders (shop_id, id)
);

CREATE INDEX order_events_order_idx ON order_events (shop_id, order_id, id);
CREATE INDEX packages_waybill_idx ON packages (carrier_code, tracking_number);

ALTER TABLE idempotency_keys ADD COLUMN response TEXT;
