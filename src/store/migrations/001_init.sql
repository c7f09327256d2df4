-- kefu schema, version 1. Times are milliseconds since the Unix epoch (UTC); money is in cents
-- (fen). JSON columns hold objects written by the engine.

CREATE TABLE customers (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  phone       TEXT NOT NULL,
  email       TEXT NOT NULL DEFAULT '',
  address     TEXT NOT NULL DEFAULT '',
  city        TEXT NOT NULL DEFAULT '',
  lang        TEXT NOT NULL DEFAULT 'zh'
);
CREATE INDEX customers_phone ON customers(phone);

CREATE TABLE products (
  id          INTEGER PRIMARY KEY,
  sku         TEXT NOT NULL UNIQUE,
  category    TEXT NOT NULL,
  brand       TEXT NOT NULL DEFAULT '',
  name_zh     TEXT NOT NULL,
  name_en     TEXT NOT NULL,
  price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
  attributes  TEXT NOT NULL DEFAULT '{}',
  stock       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX products_category ON products(category);

CREATE TABLE orders (
  id                 INTEGER PRIMARY KEY,
  order_number       TEXT NOT NULL UNIQUE,
  customer_id        INTEGER NOT NULL REFERENCES customers(id),
  status             TEXT NOT NULL CHECK (status IN ('pending_payment', 'paid', 'shipped',
                       'delivered', 'cancelled', 'return_requested', 'returned', 'refunded')),
  created_at         INTEGER NOT NULL,
  paid_at            INTEGER,
  shipped_at         INTEGER,
  delivered_at       INTEGER,
  cancelled_at       INTEGER,
  payment_method     TEXT NOT NULL DEFAULT '',
  receiver_name      TEXT NOT NULL DEFAULT '',
  phone              TEXT NOT NULL,
  shipping_address   TEXT NOT NULL DEFAULT '',
  shipping_fee_cents INTEGER NOT NULL DEFAULT 0,
  discount_cents     INTEGER NOT NULL DEFAULT 0,
  total_cents        INTEGER NOT NULL
);
CREATE INDEX orders_customer ON orders(customer_id);

CREATE TABLE order_items (
  id               INTEGER PRIMARY KEY,
  order_id         INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  product_id       INTEGER NOT NULL REFERENCES products(id),
  quantity         INTEGER NOT NULL CHECK (quantity > 0),
  unit_price_cents INTEGER NOT NULL
);
CREATE INDEX order_items_order ON order_items(order_id);

CREATE TABLE shipments (
  id              INTEGER PRIMARY KEY,
  order_id        INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  carrier         TEXT NOT NULL,
  carrier_en      TEXT NOT NULL DEFAULT '',
  tracking_number TEXT NOT NULL UNIQUE,
  status          TEXT NOT NULL,
  shipped_at      INTEGER NOT NULL
);
CREATE INDEX shipments_order ON shipments(order_id);

CREATE TABLE tracking_events (
  id             INTEGER PRIMARY KEY,
  shipment_id    INTEGER NOT NULL REFERENCES shipments(id) ON DELETE CASCADE,
  time           INTEGER NOT NULL,
  status         TEXT NOT NULL,
  location_zh    TEXT NOT NULL DEFAULT '',
  location_en    TEXT NOT NULL DEFAULT '',
  description_zh TEXT NOT NULL DEFAULT '',
  description_en TEXT NOT NULL DEFAULT ''
);
CREATE INDEX tracking_events_shipment ON tracking_events(shipment_id, time);

CREATE TABLE returns (
  id           INTEGER PRIMARY KEY,
  order_id     INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  type         TEXT NOT NULL,
  status       TEXT NOT NULL,
  reason_zh    TEXT NOT NULL DEFAULT '',
  reason_en    TEXT NOT NULL DEFAULT '',
  requested_at INTEGER NOT NULL,
  completed_at INTEGER
);
CREATE INDEX returns_order ON returns(order_id);

CREATE TABLE refunds (
  id           INTEGER PRIMARY KEY,
  order_id     INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  amount_cents INTEGER NOT NULL,
  status       TEXT NOT NULL,
  method       TEXT NOT NULL DEFAULT '',
  requested_at INTEGER NOT NULL,
  completed_at INTEGER
);
CREATE INDEX refunds_order ON refunds(order_id);

-- Store policies and other documents; the knowledge-base issue indexes them.
CREATE TABLE documents (
  id         TEXT PRIMARY KEY,
  lang       TEXT NOT NULL,
  title      TEXT NOT NULL,
  body       TEXT NOT NULL,
  source     TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE conversations (
  id         TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL,
  channel    TEXT NOT NULL DEFAULT 'web',
  lang       TEXT NOT NULL DEFAULT '',
  state      TEXT NOT NULL DEFAULT '{}',
  status     TEXT NOT NULL DEFAULT 'open',
  version    INTEGER NOT NULL DEFAULT 0,  -- bumped by every turn: optimistic concurrency
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE messages (
  id              INTEGER PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  role            TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'agent', 'system')),
  text            TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  intent          TEXT NOT NULL DEFAULT '',
  sentiment       TEXT NOT NULL DEFAULT '',
  trace           TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX messages_conversation ON messages(conversation_id, id);

CREATE TABLE events (
  id              INTEGER PRIMARY KEY,
  conversation_id TEXT,
  type            TEXT NOT NULL,
  payload         TEXT NOT NULL DEFAULT '{}',
  created_at      INTEGER NOT NULL
);
CREATE INDEX events_type_time ON events(type, created_at);
