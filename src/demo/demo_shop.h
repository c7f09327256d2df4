// demo/: the demo shop in data/demo (catalog, customers, orders with shipments, store policies),
// read into ShopData and loaded into a Store.
//
//   Result<store::ShopData> shop = LoadDemoShop(data_dir + "/demo");
//   Status s = ResetDemoShop(store, data_dir + "/demo");  // kefu demo reset
#pragma once

#include <string>

#include "core/result.h"
#include "kb/knowledge_base.h"
#include "store/store.h"

namespace kefu::demo {

// Parses products.jsonl, customers.jsonl, orders.jsonl and policies/<lang>/*.md under `dir`.
// Deterministic: the same files give the same ShopData. kNotFound when a file is missing;
// kInvalidArgument naming the file and line when a record does not parse.
Result<store::ShopData> LoadDemoShop(const std::string& dir);

// Replaces the shop data in `store` with the demo shop.
Status ResetDemoShop(store::Store& store, const std::string& dir);

// Loads the demo shop only when the store holds no orders. Returns true when it loaded.
Result<bool> LoadDemoShopIfEmpty(store::Store& store, const std::string& dir);

// Imports the demo shop's policies (data_dir/demo/policies), FAQ pairs (data_dir/kb) and the
// store's catalog into an empty knowledge base. Returns the number of documents imported (0 when
// the knowledge base was not empty); a file that does not import is logged and skipped.
Result<size_t> LoadDemoKnowledgeIfEmpty(kb::KnowledgeBase& kb, store::Store& store,
                                        const std::string& data_dir);

}  // namespace kefu::demo
