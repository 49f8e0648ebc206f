-- Delay reports and their review (DOMAIN.md §8), platform announcements
-- (§9), and the shop's daily shipping capacity (§10).

CREATE TABLE delay_reports (
    id {{ID}},
    shop_id BIGINT NOT NULL REFERENCES shops (id),
    type TEXT NOT NULL CHECK (type IN ('MAJOR_CONFERENCE', 'MAJOR_EVENT', 'NATURAL_DISASTER', 'EPIDEMIC', 'MERCHANT_FACTOR', 'SPECIAL_ORDER', 'DUAL_ADDRESS')),
    status TEXT NOT NULL CHECK (status IN ('PENDING_REVIEW', 'APPROVED', 'REJECTED')),
    reason TEXT NOT NULL CHECK (reason <> ''),
    remark TEXT NOT NULL,
    regions TEXT NOT NULL,
    new_ship_by {{TIME}} NOT NULL,
    submitted_at {{TIME}} NOT NULL,
    submitted_by TEXT NOT NULL,
    due_at {{TIME}} NOT NULL,
    reviewed_at {{TIME}},
    reviewed_by TEXT,
    reject_reason TEXT,
    effective_at {{TIME}},
    effective_confirmed BOOLEAN,
    CONSTRAINT delay_reports_shop_id_id_key UNIQUE (shop_id, id),
    CONSTRAINT delay_reports_reviewed CHECK ((status = 'PENDING_REVIEW') = (reviewed_at IS NULL)),
    CONSTRAINT delay_reports_rejected CHECK (status <> 'REJECTED' OR reject_reason IS NOT NULL),
    CONSTRAINT delay_reports_approved CHECK (status <> 'APPROVED' OR effective_at IS NOT NULL)
);

CREATE INDEX delay_reports_shop_idx ON delay_reports (shop_id, submitted_at DESC);
CREATE INDEX delay_reports_queue_idx ON delay_reports (status, submitted_at);

-- An order is in at most one pending or approved report (D6): the partial
-- unique index holds it even if a check above it were missed.
CREATE TABLE delay_report_orders (
    shop_id BIGINT NOT NULL,
    report_id BIGINT NOT NULL,
    order_id BIGINT NOT NULL,
    active BOOLEAN NOT NULL,
    PRIMARY KEY (report_id, order_id),
    CONSTRAINT delay_report_orders_report_fk FOREIGN KEY (shop_id, report_id) REFERENCES delay_reports (shop_id, id),
    CONSTRAINT delay_report_orders_order_fk FOREIGN KEY (shop_id, order_id) REFERENCES orders (shop_id, id)
);

CREATE UNIQUE INDEX delay_report_orders_active_key ON delay_report_orders (shop_id, order_id) WHERE active;

CREATE TABLE delay_report_evidence (
    id {{ID}},
    shop_id BIGINT NOT NULL,
    report_id BIGINT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL CHECK (size > 0 AND size <= 5242880),
    data {{BYTES}} NOT NULL,
    CONSTRAINT delay_report_evidence_report_fk FOREIGN KEY (shop_id, report_id) REFERENCES delay_reports (shop_id, id)
);

CREATE INDEX delay_report_evidence_report_idx ON delay_report_evidence (shop_id, report_id);

CREATE TABLE announcements (
    id {{ID}},
    title TEXT NOT NULL CHECK (title <> ''),
    regions TEXT NOT NULL,
    starts_at {{TIME}} NOT NULL,
    ends_at {{TIME}} NOT NULL,
    published_at {{TIME}} NOT NULL,
    published_by TEXT NOT NULL,
    CONSTRAINT announcements_range CHECK (ends_at > starts_at)
);

CREATE INDEX announcements_range_idx ON announcements (starts_at, ends_at);

ALTER TABLE shops ADD COLUMN daily_capacity BIGINT CHECK (daily_capacity >= 0);
ALTER TABLE orders ADD COLUMN ship_from_region TEXT NOT NULL DEFAULT '';
