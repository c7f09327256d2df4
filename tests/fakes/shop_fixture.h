// A tiny, hand-written shop for unit tests: three customers and four orders whose phone numbers
// and tracking events are known, so tests can assert on exact replies.
#pragma once

#include "core/time_util.h"
#include "store/store.h"

namespace kefu::testing {

constexpr char kShippedOrder[] = "2026112500000001";    // phone ...5678, 顺丰速运
constexpr char kPaidOrder[] = "2026112700000002";       // phone ...4321, not shipped
constexpr char kDeliveredOrder[] = "2026111000000003";  // phone ...9999, 京东物流
constexpr char kRefundedOrder[] = "2026101500000004";   // phone ...5678
constexpr char kShippedTracking[] = "SF1234567890123";

inline int64_t T(const char* iso) {
  return ParseIso8601(iso).value();
}

inline store::ShopData SmallShop() {
  store::ShopData shop;
  shop.customers = {
      {1, "张伟", "13812345678", "zhangwei@example.com", "上海市浦东新区张杨路 500 号", "上海",
       "zh"},
      {2, "李娜", "13987654321", "lina@example.cn", "北京市朝阳区建国路 88 号", "北京", "zh"},
      {3, "Emma Clark", "15011119999", "emma@example.com", "Room 8, 99 Nanjing Rd, Shanghai",
       "上海", "en"},
  };
  shop.products = {
      {1, "PH-0001", "phones", "星河", "星河 X5 智能手机", "Xinghe X5 Smartphone", 299900, "{}",
       10},
      {2, "EP-0001", "earphones", "声悦", "声悦 降噪耳机", "Shengyue ANC Earbuds", 49900, "{}", 0},
  };
  {
    store::OrderDetails d;
    d.order = {0,
               kShippedOrder,
               1,
               "shipped",
               T("2026-11-25T10:00:00+08:00"),
               T("2026-11-25T10:01:00+08:00"),
               T("2026-11-26T09:00:00+08:00"),
               std::nullopt,
               std::nullopt,
               "alipay",
               "张伟",
               "13812345678",
               "上海市浦东新区张杨路 500 号",
               0,
               0,
               299900};
    d.items = {{1, 1, 299900, "", ""}};
    d.shipment = store::Shipment{"顺丰速运",
                                 "SF Express",
                                 kShippedTracking,
                                 "in_transit",
                                 T("2026-11-26T09:00:00+08:00"),
                                 {{T("2026-11-26T09:00:00+08:00"), "picked_up", "杭州市",
                                   "Hangzhou", "快件已揽收", "Picked up"},
                                  {T("2026-11-27T06:30:00+08:00"), "arrived", "上海市", "Shanghai",
                                   "快件已到达【上海转运中心】", "Arrived at Shanghai hub"}}};
    shop.orders.push_back(d);
  }
  {
    store::OrderDetails d;
    d.order = {0,
               kPaidOrder,
               2,
               "paid",
               T("2026-11-27T20:00:00+08:00"),
               T("2026-11-27T20:05:00+08:00"),
               std::nullopt,
               std::nullopt,
               std::nullopt,
               "wechat_pay",
               "李娜",
               "13987654321",
               "北京市朝阳区建国路 88 号",
               800,
               0,
               50700};
    d.items = {{2, 1, 49900, "", ""}};
    shop.orders.push_back(d);
  }
  {
    store::OrderDetails d;
    d.order = {0,
               kDeliveredOrder,
               3,
               "delivered",
               T("2026-11-10T08:00:00+08:00"),
               T("2026-11-10T08:02:00+08:00"),
               T("2026-11-10T18:00:00+08:00"),
               T("2026-11-12T14:20:00+08:00"),
               std::nullopt,
               "credit_card",
               "Emma Clark",
               "15011119999",
               "Room 8, 99 Nanjing Rd, Shanghai",
               0,
               0,
               49900};
    d.items = {{2, 1, 49900, "", ""}};
    d.shipment =
        store::Shipment{"京东物流",
                        "JD Logistics",
                        "JDV000111222333",
                        "delivered",
                        T("2026-11-10T18:00:00+08:00"),
                        {{T("2026-11-10T18:00:00+08:00"), "picked_up", "北京市", "Beijing",
                          "快件已揽收", "Picked up"},
                         {T("2026-11-12T14:20:00+08:00"), "delivered", "上海市", "Shanghai",
                          "已签收，签收人：本人", "Delivered, signed by the recipient"}}};
    shop.orders.push_back(d);
  }
  {
    store::OrderDetails d;
    d.order = {0,
               kRefundedOrder,
               1,
               "refunded",
               T("2026-10-15T08:00:00+08:00"),
               T("2026-10-15T08:02:00+08:00"),
               T("2026-10-15T18:00:00+08:00"),
               T("2026-10-17T10:00:00+08:00"),
               std::nullopt,
               "alipay",
               "张伟",
               "13812345678",
               "上海市浦东新区张杨路 500 号",
               0,
               0,
               49900};
    d.items = {{2, 1, 49900, "", ""}};
    d.return_request = store::ReturnRequest{"",
                                            "no_reason",
                                            "completed",
                                            "不想要了",
                                            "Changed my mind",
                                            T("2026-10-18T10:00:00+08:00"),
                                            T("2026-10-22T10:00:00+08:00")};
    d.refund = store::Refund{49900, "completed", "alipay", T("2026-10-22T10:00:00+08:00"),
                             T("2026-10-23T10:00:00+08:00")};
    shop.orders.push_back(d);
  }
  return shop;
}

}  // namespace kefu::testing
