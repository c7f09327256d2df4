// The shipped demo shop is big and varied enough to demo every order path.
#include "demo/demo_shop.h"

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "test_util.h"

namespace kefu::demo {
namespace {

class DemoShopTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Result<store::ShopData> s = LoadDemoShop(kefu::testing::SourceDataDir() + "/demo");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    shop_ = new store::ShopData(std::move(*s));
  }
  static void TearDownTestSuite() {
    delete shop_;
    shop_ = nullptr;
  }
  static store::ShopData* shop_;
};
store::ShopData* DemoShopTest::shop_ = nullptr;

TEST_F(DemoShopTest, HasAtLeast150ProductsInTenCategoriesWithBothNames) {
  ASSERT_GE(shop_->products.size(), 150u);
  std::set<std::string> categories;
  for (const store::Product& p : shop_->products) {
    categories.insert(p.category);
    EXPECT_FALSE(p.name_zh.empty()) << p.sku;
    EXPECT_FALSE(p.name_en.empty()) << p.sku;
    EXPECT_GT(p.price_cents, 0) << p.sku;
  }
  for (const char* c : {"phones", "earphones", "shoes", "clothing", "cosmetics", "home_appliances",
                        "food", "books", "baby", "sports"}) {
    EXPECT_TRUE(categories.count(c)) << c;
  }
}

TEST_F(DemoShopTest, HasAtLeast80CustomersWithUniquePhones) {
  ASSERT_GE(shop_->customers.size(), 80u);
  std::set<std::string> phones;
  for (const store::Customer& c : shop_->customers) {
    EXPECT_EQ(c.phone.size(), 11u) << c.name;
    phones.insert(c.phone);
  }
  EXPECT_EQ(phones.size(), shop_->customers.size());
}

TEST_F(DemoShopTest, HasAtLeast600OrdersOverEveryStatusAndCarrier) {
  ASSERT_GE(shop_->orders.size(), 600u);
  std::map<std::string, int> by_status;
  std::set<std::string> carriers;
  std::set<std::string> numbers;
  for (const store::OrderDetails& d : shop_->orders) {
    ++by_status[d.order.status];
    numbers.insert(d.order.order_number);
    EXPECT_FALSE(d.items.empty()) << d.order.order_number;
    if (d.shipment) {
      carriers.insert(d.shipment->carrier);
      for (size_t i = 1; i < d.shipment->events.size(); ++i) {
        EXPECT_LE(d.shipment->events[i - 1].time, d.shipment->events[i].time)
            << d.order.order_number;
      }
    }
    if (d.order.status == "shipped" || d.order.status == "delivered") {
      EXPECT_TRUE(d.shipment) << d.order.order_number;
    }
  }
  EXPECT_EQ(numbers.size(), shop_->orders.size()) << "order numbers must be unique";
  for (const char* s : {"pending_payment", "paid", "shipped", "delivered", "cancelled",
                        "return_requested", "returned", "refunded"}) {
    EXPECT_GE(by_status[s], 25) << s;
  }
  for (const char* c : {"顺丰速运", "京东物流", "中通快递", "圆通速递", "EMS"}) {
    EXPECT_TRUE(carriers.count(c)) << c;
  }
}

TEST_F(DemoShopTest, PoliciesExistInBothLanguages) {
  std::set<std::string> zh, en;
  for (const store::Document& d : shop_->documents) {
    const std::string name = d.id.substr(d.id.rfind('/') + 1);
    (d.lang == "zh" ? zh : en).insert(name);
  }
  for (const char* page : {"returns.md", "shipping.md", "invoices.md", "payment.md", "warranty.md",
                           "membership.md", "price_protection.md"}) {
    EXPECT_TRUE(zh.count(page)) << "zh " << page;
    EXPECT_TRUE(en.count(page)) << "en " << page;
  }
}

TEST_F(DemoShopTest, LoadingIsDeterministicAndIntoAnEmptyStoreOnly) {
  kefu::testing::TempDir dir;
  auto store = std::move(*store::NewSqliteStore({.path = dir.File("kefu.db")}));
  const std::string demo_dir = kefu::testing::SourceDataDir() + "/demo";
  Result<bool> first = LoadDemoShopIfEmpty(*store, demo_dir);
  ASSERT_OK_RESULT(first);
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*LoadDemoShopIfEmpty(*store, demo_dir));
  Result<store::ShopCounts> counts = store->CountShopData();
  EXPECT_EQ(counts->orders, static_cast<int64_t>(shop_->orders.size()));
  ASSERT_OK(ResetDemoShop(*store, demo_dir));
  EXPECT_EQ(store->CountShopData()->orders, counts->orders);
}

TEST(DemoShopLoadTest, MissingDirectoryIsNotFound) {
  EXPECT_EQ(LoadDemoShop("/nonexistent/demo").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace kefu::demo
