-- Shipping templates (DOMAIN.md §6), products' ship-time promises (§7),
-- the shop standing that tiered shipping depends on, and idempotency records.

CREATE TABLE shipping_templates (
    id {{ID}},
    shop_id BIGINT NOT NULL REFERENCES shops (id),
    name TEXT NOT NULL CHECK (name <> ''),
    ship_from_region TEXT NOT NULL,
    pricing TEXT NOT NULL CHECK (pricing IN ('BY_PIECE', 'BY_WEIGHT')),
    first_units BIGINT NOT NULL CHECK (first_units >= 1),
    first_fee_cents BIGINT NOT NULL CHECK (first_fee_cents >= 0),
    extra_units BIGINT NOT NULL CHECK (extra_units >= 1),
    extra_fee_cents BIGINT NOT NULL CHECK (extra_fee_cents >= 0),
    region_rules TEXT NOT NULL,
    free_rules TEXT NOT NULL,
    free_excluded_regions TEXT NOT NULL,
    non_delivery_regions TEXT NOT NULL,
    created_at {{TIME}} NOT NULL,
    updated_at {{TIME}} NOT NULL,
    CONSTRAINT shipping_templates_shop_id_id_key UNIQUE (shop_id, id),
    CONSTRAINT shipping_templates_name_key UNIQUE (shop_id, name)
);

ALTER TABLE products ADD COLUMN template_id BIGINT REFERENCES shipping_templates (id);
ALTER TABLE products ADD COLUMN promise_mode TEXT NOT NULL DEFAULT 'SPOT' CHECK (promise_mode IN ('SPOT', 'PRESALE', 'TIERED'));
ALTER TABLE products ADD COLUMN presale_days INTEGER NOT NULL DEFAULT 0 CHECK (presale_days >= 0);
ALTER TABLE products ADD COLUMN spot_stock BIGINT NOT NULL DEFAULT 0 CHECK (spot_stock >= 0);
ALTER TABLE products ADD COLUMN updated_at {{TIME}};

CREATE INDEX products_template_idx ON products (shop_id, template_id);

ALTER TABLE shops ADD COLUMN score_hundredths INTEGER NOT NULL DEFAULT 500 CHECK (score_hundredths BETWEEN 0 AND 500);
ALTER TABLE shops ADD COLUMN spot_share_bp INTEGER NOT NULL DEFAULT 10000 CHECK (spot_share_bp BETWEEN 0 AND 10000);

ALTER TABLE platform_settings ADD COLUMN tiered_min_score_hundredths INTEGER NOT NULL DEFAULT 450;
ALTER TABLE platform_settings ADD COLUMN tiered_min_spot_share_bp INTEGER NOT NULL DEFAULT 8000;

ALTER TABLE order_lines ADD COLUMN spot_quantity BIGINT NOT NULL DEFAULT 0 CHECK (spot_quantity >= 0);
ALTER TABLE order_lines ADD COLUMN promised_ship_by {{TIME}};

CREATE INDEX orders_shop_promise_idx ON orders (shop_id, promised_ship_by);
CREATE INDEX orders_shop_region_idx ON orders (shop_id, region_code);
CREATE INDEX order_lines_product_idx ON order_lines (shop_id, product_id);
CREATE INDEX packages_tracking_number_idx ON packages (shop_id, tracking_number);

CREATE TABLE idempotency_keys (
    id {{ID}},
    shop_id BIGINT,
    actor TEXT NOT NULL,
    operation TEXT NOT NULL,
    idempotency_key TEXT NOT NULL CHECK (idempotency_key <> ''),
    object_id BIGINT NOT NULL,
    created_at {{TIME}} NOT NULL,
    CONSTRAINT idempotency_keys_key UNIQUE (actor, operation, idempotency_key)
);

CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
