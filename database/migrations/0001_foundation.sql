-- Shops, accounts, credentials, products, and orders with their lines and
-- packages. {{ID}}, {{TIME}} and {{BYTES}} are replaced per database.

CREATE TABLE shops (
    id {{ID}},
    name TEXT NOT NULL CHECK (name <> ''),
    created_at {{TIME}} NOT NULL
);

CREATE TABLE users (
    id {{ID}},
    email TEXT NOT NULL CHECK (email <> '' AND email = lower(email)),
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('OWNER', 'SHIPPER', 'SERVICE', 'OPERATIONS', 'VIEWER', 'BUYER', 'PLATFORM')),
    shop_id BIGINT REFERENCES shops (id),
    disabled_at {{TIME}},
    created_at {{TIME}} NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_shop_role CHECK ((role IN ('BUYER', 'PLATFORM')) = (shop_id IS NULL))
);

CREATE INDEX users_shop_id_idx ON users (shop_id);

CREATE TABLE sessions (
    id {{ID}},
    user_id BIGINT NOT NULL REFERENCES users (id),
    token_hash {{BYTES}} NOT NULL,
    created_at {{TIME}} NOT NULL,
    expires_at {{TIME}} NOT NULL,
    revoked_at {{TIME}},
    CONSTRAINT sessions_token_hash_key UNIQUE (token_hash)
);

CREATE INDEX sessions_user_id_idx ON sessions (user_id);

CREATE TABLE api_tokens (
    id {{ID}},
    shop_id BIGINT NOT NULL REFERENCES shops (id),
    name TEXT NOT NULL CHECK (name <> ''),
    role TEXT NOT NULL CHECK (role IN ('OWNER', 'SHIPPER', 'SERVICE', 'OPERATIONS', 'VIEWER')),
    token_hash {{BYTES}} NOT NULL,
    token_prefix TEXT NOT NULL,
    created_by_id BIGINT NOT NULL REFERENCES users (id),
    created_at {{TIME}} NOT NULL,
    expires_at {{TIME}},
    revoked_at {{TIME}},
    CONSTRAINT api_tokens_token_hash_key UNIQUE (token_hash)
);

CREATE INDEX api_tokens_shop_id_idx ON api_tokens (shop_id, id);

CREATE TABLE products (
    id {{ID}},
    shop_id BIGINT NOT NULL REFERENCES shops (id),
    title TEXT NOT NULL CHECK (title <> ''),
    sku TEXT NOT NULL,
    price_cents BIGINT NOT NULL CHECK (price_cents >= 0),
    weight_grams BIGINT NOT NULL CHECK (weight_grams >= 0),
    stock BIGINT NOT NULL CHECK (stock >= 0),
    created_at {{TIME}} NOT NULL,
    CONSTRAINT products_shop_id_id_key UNIQUE (shop_id, id)
);

CREATE TABLE orders (
    id {{ID}},
    shop_id BIGINT NOT NULL REFERENCES shops (id),
    number TEXT NOT NULL CHECK (number <> ''),
    buyer_id BIGINT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL CHECK (status IN ('PENDING_SHIPMENT', 'PARTIALLY_SHIPPED', 'SHIPPED', 'DELIVERED', 'CLOSED')),
    recipient_name TEXT NOT NULL,
    recipient_phone TEXT NOT NULL,
    region_code TEXT NOT NULL,
    region_name TEXT NOT NULL,
    address_detail TEXT NOT NULL,
    currency TEXT NOT NULL,
    freight_cents BIGINT NOT NULL CHECK (freight_cents >= 0),
    total_cents BIGINT NOT NULL CHECK (total_cents >= 0),
    paid_at {{TIME}} NOT NULL,
    promised_ship_by {{TIME}} NOT NULL,
    first_shipped_at {{TIME}},
    shipped_at {{TIME}},
    delivered_at {{TIME}},
    closed_at {{TIME}},
    created_at {{TIME}} NOT NULL,
    updated_at {{TIME}} NOT NULL,
    CONSTRAINT orders_shop_id_id_key UNIQUE (shop_id, id),
    CONSTRAINT orders_shop_id_number_key UNIQUE (shop_id, number),
    CONSTRAINT orders_shipped_state CHECK (status IN ('PENDING_SHIPMENT', 'CLOSED') OR first_shipped_at IS NOT NULL),
    CONSTRAINT orders_fully_shipped_state CHECK (status NOT IN ('SHIPPED', 'DELIVERED') OR shipped_at IS NOT NULL),
    CONSTRAINT orders_delivered_state CHECK (status <> 'DELIVERED' OR delivered_at IS NOT NULL),
    CONSTRAINT orders_closed_state CHECK (status <> 'CLOSED' OR closed_at IS NOT NULL)
);

CREATE INDEX orders_shop_created_idx ON orders (shop_id, created_at DESC, id DESC);
CREATE INDEX orders_buyer_created_idx ON orders (buyer_id, created_at DESC, id DESC);
CREATE INDEX orders_number_idx ON orders (number);

CREATE TABLE order_lines (
    id {{ID}},
    shop_id BIGINT NOT NULL,
    order_id BIGINT NOT NULL,
    line_no INTEGER NOT NULL CHECK (line_no >= 1),
    product_id BIGINT NOT NULL,
    sku TEXT NOT NULL,
    title TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    unit_price_cents BIGINT NOT NULL CHECK (unit_price_cents >= 0),
    CONSTRAINT order_lines_shop_id_id_key UNIQUE (shop_id, id),
    CONSTRAINT order_lines_order_line_no_key UNIQUE (shop_id, order_id, line_no),
    CONSTRAINT order_lines_order_fk FOREIGN KEY (shop_id, order_id) REFERENCES orders (shop_id, id),
    CONSTRAINT order_lines_product_fk FOREIGN KEY (shop_id, product_id) REFERENCES products (shop_id, id)
);

CREATE TABLE packages (
    id {{ID}},
    shop_id BIGINT NOT NULL,
    order_id BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('SHIPMENT', 'APPENDED')),
    append_seq INTEGER CHECK (append_seq BETWEEN 1 AND 20),
    carrier_code TEXT NOT NULL,
    tracking_number TEXT NOT NULL CHECK (tracking_number <> ''),
    status TEXT NOT NULL CHECK (status IN ('AWAITING_PICKUP', 'ACCEPTED', 'PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED', 'EXCEPTION', 'RETURNED')),
    shipped_at {{TIME}} NOT NULL,
    delivered_at {{TIME}},
    created_at {{TIME}} NOT NULL,
    CONSTRAINT packages_shop_id_id_key UNIQUE (shop_id, id),
    CONSTRAINT packages_append_seq_key UNIQUE (shop_id, order_id, append_seq),
    CONSTRAINT packages_tracking_key UNIQUE (shop_id, order_id, carrier_code, tracking_number),
    CONSTRAINT packages_append_seq_kind CHECK ((kind = 'APPENDED') = (append_seq IS NOT NULL)),
    CONSTRAINT packages_order_fk FOREIGN KEY (shop_id, order_id) REFERENCES orders (shop_id, id)
);

CREATE TABLE package_lines (
    id {{ID}},
    shop_id BIGINT NOT NULL,
    package_id BIGINT NOT NULL,
    order_line_id BIGINT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    CONSTRAINT package_lines_line_key UNIQUE (shop_id, package_id, order_line_id),
    CONSTRAINT package_lines_package_fk FOREIGN KEY (shop_id, package_id) REFERENCES packages (shop_id, id),
    CONSTRAINT package_lines_order_line_fk FOREIGN KEY (shop_id, order_line_id) REFERENCES order_lines (shop_id, id)
);

CREATE INDEX package_lines_order_line_idx ON package_lines (shop_id, order_line_id);
