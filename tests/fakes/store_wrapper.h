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
  Result<std::vector<store::Message>> ListRecentMessages(const std::string& id,
                                                         int limit) override {
    return target_.ListRecentMessages(id, limit);
  }
  Status AppendEvent(const store::Event& e) override { return target_.AppendEvent(e); }
  Result<int64_t> CountEvents(const std::string& type) override {
    return target_.CountEvents(type);
  }
  Result<store::Analytics> GetAnalytics(const store::AnalyticsQuery& query) override {
    return target_.GetAnalytics(query);
  }
  Status PutKbDocuments(std::span<const store::KbDocumentRecord> records) override {
    return target_.PutKbDocuments(records);
  }
  Status DeleteKbDocument(const std::string& id) override { return target_.DeleteKbDocument(id); }
  Result<std::vector<store::KbDocumentRecord>> ListKbDocuments(bool with_content) override {
    return target_.ListKbDocuments(with_content);
  }
  Result<int64_t> CancelOrder(const std::string& n, int64_t at) override {
    return target_.CancelOrder(n, at);
  }
  Status UpdateOrderContact(const std::string& n, const std::optional<std::string>& address,
                            const std::optional<std::string>& phone) override {
    return target_.UpdateOrderContact(n, address, phone);
  }
  Result<std::string> CreateReturn(const store::NewReturn& r) override {
    return target_.CreateReturn(r);
  }
  Result<int64_t> CreateInvoiceRequest(const store::InvoiceRequest& r) override {
    return target_.CreateInvoiceRequest(r);
  }
  Result<std::vector<store::InvoiceRequest>> ListInvoiceRequests(const std::string& n) override {
    return target_.ListInvoiceRequests(n);
  }
  Result<std::string> OpenCase(const store::SupportCase& c) override { return target_.OpenCase(c); }
  Result<std::vector<store::SupportCase>> ListCases(const std::string& id) override {
    return target_.ListCases(id);
  }
  Result<std::vector<store::Product>> SearchProducts(const store::ProductQuery& q) override {
    return target_.SearchProducts(q);
  }
  Result<store::Product> GetProductBySku(const std::string& sku) override {
    return target_.GetProductBySku(sku);
  }
  Result<std::vector<store::Order>> ListOrdersByCustomer(int64_t customer_id, int limit) override {
    return target_.ListOrdersByCustomer(customer_id, limit);
  }
  Status EnqueueHandoff(const store::HandoffTicket& t) override {
    return target_.EnqueueHandoff(t);
  }
  Status ClaimHandoff(const std::string& id, const std::string& agent, int64_t at) override {
    return target_.ClaimHandoff(id, agent, at);
  }
  Status ReleaseHandoff(const std::string& id, const std::string& agent, int64_t at) override {
    return target_.ReleaseHandoff(id, agent, at);
  }
  Status CloseHandoff(const std::string& id, const std::string& agent, int64_t at) override {
    return target_.CloseHandoff(id, agent, at);
  }
  Result<store::HandoffTicket> GetHandoff(const std::string& id) override {
    return target_.GetHandoff(id);
  }
  Result<std::vector<store::HandoffTicket>> ListHandoffQueue() override {
    return target_.ListHandoffQueue();
  }
  Result<int64_t> AppendMessage(const store::Message& m) override {
    return target_.AppendMessage(m);
  }

 private:
  store::Store& target_;
};

}  // namespace kefu::testing
