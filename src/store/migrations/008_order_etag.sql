-- Every order carries an etag that changes whenever the order, or anything shown with it, changes:
-- its items (and their products' names), shipments, tracking events, returns and refunds. A reader
-- that keeps an order in memory re-checks it with one indexed lookup of the etag instead of reading
-- six tables again (SqliteStore::GetOrderDetails). Etags are random, so an order deleted and
-- inserted again under the same number does not reuse the old one's.
ALTER TABLE orders ADD COLUMN etag INTEGER NOT NULL DEFAULT 0;
UPDATE orders SET etag = random();

CREATE TRIGGER orders_etag_insert AFTER INSERT ON orders BEGIN
  UPDATE orders SET etag = random() WHERE id = NEW.id;
END;
-- Not for the etag's own updates (and triggers are not recursive: this fires once per change).
CREATE TRIGGER orders_etag_update AFTER UPDATE ON orders WHEN NEW.etag = OLD.etag BEGIN
  UPDATE orders SET etag = random() WHERE id = NEW.id;
END;

CREATE TRIGGER order_items_etag_insert AFTER INSERT ON order_items BEGIN
  UPDATE orders SET etag = random() WHERE id = NEW.order_id;
END;
CREATE TRIGGER order_items_etag_update AFTER UPDATE ON order_items BEGIN
  UPDATE orders SET etag = random() WHERE id IN (OLD.order_id, NEW.order_id);
END;
CREATE TRIGGER order_items_etag_delete AFTER DELETE ON order_items BEGIN
  UPDATE orders SET etag = random() WHERE id = OLD.order_id;
END;

CREATE TRIGGER products_etag_update AFTER UPDATE OF sku, name_zh, name_en ON products BEGIN
  UPDATE orders SET etag = random()
   WHERE id IN (SELECT order_id FROM order_items WHERE product_id = NEW.id);
END;

CREATE TRIGGER shipments_etag_insert AFTER INSERT ON shipments BEGIN
  UPDATE orders SET etag = random() WHERE id = NEW.order_id;
END;
CREATE TRIGGER shipments_etag_update AFTER UPDATE ON shipments BEGIN
  UPDATE orders SET etag = random() WHERE id IN (OLD.order_id, NEW.order_id);
END;
CREATE TRIGGER shipments_etag_delete AFTER DELETE ON shipments BEGIN
  UPDATE orders SET etag = random() WHERE id = OLD.order_id;
END;

CREATE TRIGGER tracking_events_etag_insert AFTER INSERT ON tracking_events BEGIN
  UPDATE orders SET etag = random()
   WHERE id = (SELECT order_id FROM shipments WHERE id = NEW.shipment_id);
END;
CREATE TRIGGER tracking_events_etag_update AFTER UPDATE ON tracking_events BEGIN
  UPDATE orders SET etag = random()
   WHERE id IN (SELECT order_id FROM shipments WHERE id IN (OLD.shipment_id, NEW.shipment_id));
END;
CREATE TRIGGER tracking_events_etag_delete AFTER DELETE ON tracking_events BEGIN
  UPDATE orders SET etag = random()
   WHERE id = (SELECT order_id FROM shipments WHERE id = OLD.shipment_id);
END;

CREATE TRIGGER returns_etag_insert AFTER INSERT ON returns BEGIN
  UPDATE orders SET etag = random() WHERE id = NEW.order_id;
END;
CREATE TRIGGER returns_etag_update AFTER UPDATE ON returns BEGIN
  UPDATE orders SET etag = random() WHERE id IN (OLD.order_id, NEW.order_id);
END;
CREATE TRIGGER returns_etag_delete AFTER DELETE ON returns BEGIN
  UPDATE orders SET etag = random() WHERE id = OLD.order_id;
END;

CREATE TRIGGER refunds_etag_insert AFTER INSERT ON refunds BEGIN
  UPDATE orders SET etag = random() WHERE id = NEW.order_id;
END;
CREATE TRIGGER refunds_etag_update AFTER UPDATE ON refunds BEGIN
  UPDATE orders SET etag = random() WHERE id IN (OLD.order_id, NEW.order_id);
END;
CREATE TRIGGER refunds_etag_delete AFTER DELETE ON refunds BEGIN
  UPDATE orders SET etag = random() WHERE id = OLD.order_id;
END;
