// StoreWrapper forwards every call to another Store; fault-injecting fakes override the calls
// they change (LevelDB's EnvWrapper).
#pragma once

#include "store/store.h"

namespace kefu::testing {

class StoreWrapper : public store::Store {
 public:
  explicit StoreWrapper(store::Store& target) : target_(target) {}

  Status ReplaceShopData(const store::ShopData& d) override { return target_.ReplaceShopData(d); }
  Result<store::ShopCounts> CountShopData() override { return target_.CountShopData(); }
  Result<store::OrderDetails> GetOrderDetails(const std::string& n) override {
    return target_.GetOrderDetails(n);
  }
  Result<store::Customer> GetCustomer(int64_t id) override { return target_.GetCustomer(id); }
  Result<std::vector<store::Product>> ListProducts() override { return target_.ListProducts(); }
  Status CreateConversation(const store::Conversation& c) override {
    return target_.CreateConversation(c);
  }
  Result<store::Conversation> GetConversation(const std::string& id) override {
    return target_.GetConversation(id);
  }
  Status SaveTurn(const store::TurnRecord& r) override { return target_.SaveTurn(r); }
  std::vector<Status> SaveTurns(std::span<const store::TurnRecord> records) override {
    return target_.SaveTurns(records);
  }
  Result<std::vector<store::Message>> ListMessages(const std::string& id, int64_t after,
                                                   int limit) override {
    return target_.ListMessages(id, after, limit);
  }
  Status AppendEvent(const store::Event& e) override { return target_.AppendEvent(e); }
  Result<int64_t> CountEvents(const std::string& type) override {
    return target_.CountEvents(type);
  }
  Status PutKbDocuments(std::span<const store::KbDocumentRecord> records) override {
    return target_.PutKbDocuments(records);
  }
  Status DeleteKbDocument(const std::string& id) override { return target_.DeleteKbDocument(id); }
  Result<std::vector<store::KbDocumentRecord>> ListKbDocuments(bool with_content) override {
    return target_.ListKbDocuments(with_content);
  }

 private:
  store::Store& target_;
};

}  // namespace kefu::testing
