#include "llm/guard.h"

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace kefu::llm {
namespace {

std::string Describe(const GroundingGuard::Result& r) {
  std::string s;
  for (const Fact& f : r.ungrounded) {
    s += std::string(FactKindName(f.kind)) + ":'" + f.text + "' ";
  }
  return s;
}

// One shop, one conversation: a tool result, three passages and the shopper's own messages.
Evidence ZhEvidence() {
  return Evidence{{
      R"({"order":{"order_id":"20261103001234","status":"shipped","total":"¥399.00",)"
      R"("paid_at":"2026-11-03 14:20","tracking_number":"SF1234567890123","carrier":"顺丰",)"
      R"("phone":"138****5678","eta":"2026-11-20","refund":{"amount":"¥399.00"}}})",
      "[p1] 签收后7天内可申请无理由退货，退款将在1-3个工作日内原路退回。",
      "[p2] 会员享受9.5折（即5%优惠），满299元包邮，否则运费12元。",
      "[p3] 退货运费险最高赔付15元。客服热线 400-820-1234，工作时间 9:00-21:00。",
      "我的订单KF20261103ab到哪了？我昨天下午3点下的单，手机13912345678",
  }};
}

Evidence EnEvidence() {
  return Evidence{{
      R"({"order_id":"A20261103001","tracking":"JDV0012345678","total":45.99,)"
      R"("eta":"2026-11-20","items":[{"sku":"tee-blue","qty":2}]})",
      "[p1] Returns are accepted within 15 days of delivery. Refunds are issued within 5 "
      "business days.",
      "[p2] Shipping is free over $50; otherwise it costs $4.99. Members get 10% off.",
      "My order A20261103001 was due on November 18 and I paid $45.99. Call me at 138-1234-5678.",
  }};
}

void ExpectBlocked(const GroundingGuard& guard, const std::string& reply) {
  GroundingGuard::Result r = guard.Check(reply);
  EXPECT_FALSE(r.ok) << "should be blocked: " << reply;
  EXPECT_FALSE(r.ungrounded.empty()) << reply;
}

void ExpectPasses(const GroundingGuard& guard, const std::string& reply) {
  GroundingGuard::Result r = guard.Check(reply);
  EXPECT_TRUE(r.ok) << "should pass: " << reply << " | ungrounded: " << Describe(r);
}

TEST(GroundingGuardTest, BlocksInventedFactsInChinese) {
  GroundingGuard g(ZhEvidence());
  ExpectBlocked(g, "您的订单20261103009999已发货。");        // invented order number
  ExpectBlocked(g, "您的订单号是KF20261103XY，正在配送。");  // id not copied exactly
  ExpectBlocked(g, "物流单号SF1234567890124，请查收。");     // wrong tracking number
  ExpectBlocked(g, "您的订单金额是¥499.00。");               // price not in the evidence
  ExpectBlocked(g, "订单总价3990元。");                      // off by a digit
  ExpectBlocked(g, "退款金额$399已原路退回。");              // another currency
  ExpectBlocked(g, "预计11月21日送达。");                    // wrong date
  ExpectBlocked(g, "预计2026-11-22送达。");
  ExpectBlocked(g, "预计十一月二十一日送达。");
  ExpectBlocked(g, "请拨打13800001111联系快递员。");     // a phone from nowhere
  ExpectBlocked(g, "您的手机号是13812345678。");         // unmasks hidden digits
  ExpectBlocked(g, "现在下单可享受8%优惠。");            // percentage not stated
  ExpectBlocked(g, "签收后10天内可以无理由退货[p1]。");  // 7 -> 10
  ExpectBlocked(g, "退款将在1-5个工作日内退回。");
  ExpectBlocked(g, "运费是10元。");
  ExpectBlocked(g, "满199元包邮。");
  ExpectBlocked(g, "退货运费险最高赔付二十元。");
  ExpectBlocked(g, "您的包裹预计48小时内送达。");
  ExpectBlocked(g, "客服热线400-820-9999。");
  ExpectBlocked(g, "您的订单将于下午4点发出。");
  ExpectBlocked(g, "退款399.50元已提交。");
  ExpectBlocked(g, "您可获得百分之二十的优惠。");
  ExpectBlocked(g, "订单123456789已取消。");
  ExpectBlocked(g, "这款的价格是459。");  // a money word makes a bare number an amount
}

TEST(GroundingGuardTest, BlocksInventedFactsInEnglish) {
  GroundingGuard g(EnEvidence());
  ExpectBlocked(g, "Your order A20261103002 has shipped.");
  ExpectBlocked(g, "Your tracking number is JDV0012345679.");
  ExpectBlocked(g, "The total was $49.99.");
  ExpectBlocked(g, "Your refund of ¥45.99 is on its way.");  // the evidence speaks dollars
  ExpectBlocked(g, "It should arrive on November 21.");
  ExpectBlocked(g, "It was delivered on 2026-11-19.");
  ExpectBlocked(g, "You can return it within 30 days.");
  ExpectBlocked(g, "Refunds take 7 business days.");
  ExpectBlocked(g, "Members get 15% off.");
  ExpectBlocked(g, "Please call us at 400-123-4567.");
  ExpectBlocked(g, "Shipping costs $5.99.");
  ExpectBlocked(g, "Your order will be delivered by 5pm.");
  ExpectBlocked(g, "The order 9876543210 is yours.");
  ExpectBlocked(g, "It ships on 21 November.");
  ExpectBlocked(g, "Free shipping for orders over USD 60.");
  ExpectBlocked(g, "Your phone number is 13812345679.");
  ExpectBlocked(g, "The price is 59 now.");
}

TEST(GroundingGuardTest, PassesGroundedFactsInChinese) {
  GroundingGuard g(ZhEvidence());
  ExpectPasses(g, "您的订单20261103001234已发货。");
  ExpectPasses(g, "订单KF20261103AB正在配送中。");
  ExpectPasses(g, "物流单号SF1234567890123，由顺丰承运。");
  ExpectPasses(g, "订单金额¥399。");
  ExpectPasses(g, "订单金额399.00元。");
  ExpectPasses(g, "订单金额三百九十九元。");
  ExpectPasses(g, "订单金额￥３９９.００。");
  ExpectPasses(g, "退款399块已在处理中。");
  ExpectPasses(g, "预计11月20日送达。");
  ExpectPasses(g, "预计2026-11-20送达。");
  ExpectPasses(g, "预计2026年11月20日送达。");
  ExpectPasses(g, "预计11月20号送达。");
  ExpectPasses(g, "预计十一月二十日送达。");
  ExpectPasses(g, "预计20号送达。");
  ExpectPasses(g, "您预留的手机号是138****5678。");
  ExpectPasses(g, "您预留的手机尾号是5678。");
  ExpectPasses(g, "签收后7天内可以无理由退货[p1]。");
  ExpectPasses(g, "签收后七天内可以无理由退货[p1]。");
  ExpectPasses(g, "退款将在1-3个工作日内原路退回[p1]。");
  ExpectPasses(g, "会员享受5%优惠[p2]。");
  ExpectPasses(g, "满299元包邮，否则运费12元[p2]。");
  ExpectPasses(g, "客服热线400-820-1234，工作时间9:00-21:00。");
  ExpectPasses(g, "您是下午3点下的单。");
  ExpectPasses(g, "好的，我们会尽快联系您的手机13912345678。");
  ExpectPasses(g, "您这次购买了2件商品，第1件已发货。");
  ExpectPasses(g, "您在2026年11月3日下单，付款时间14:20。");
  ExpectPasses(g, "退货运费险最高赔付15元[p3]。");
  ExpectPasses(g, "您是下午三点下的单，实付金额为399。");
}

TEST(GroundingGuardTest, PassesGroundedFactsInEnglish) {
  GroundingGuard g(EnEvidence());
  ExpectPasses(g, "Your order A20261103001 has shipped.");
  ExpectPasses(g, "Tracking number: JDV0012345678.");
  ExpectPasses(g, "You paid $45.99 for the order.");
  ExpectPasses(g, "The total was 45.99 dollars.");
  ExpectPasses(g, "It was due on November 18.");
  ExpectPasses(g, "It was due on Nov. 18th.");
  ExpectPasses(g, "It will arrive on Nov 20, 2026.");
  ExpectPasses(g, "It will arrive on 20 November.");
  ExpectPasses(g, "It will arrive on 2026/11/20.");
  ExpectPasses(g, "You can return items within 15 days of delivery [p1].");
  ExpectPasses(g, "Refunds are issued within 5 business days [p1].");
  ExpectPasses(g, "Shipping is free over $50, otherwise $4.99 [p2].");
  ExpectPasses(g, "Members get 10% off [p2].");
  ExpectPasses(g, "We will call you at 138-1234-5678.");
  ExpectPasses(g, "I'm sorry, I don't know the answer to that.");
  ExpectPasses(g, "Item 2 of your order is on the way.");
  ExpectPasses(g, "The 15-day return window applies [p1].");
}

TEST(GroundingGuardTest, ReportsEachUngroundedFactWithItsKind) {
  GroundingGuard g(ZhEvidence());
  GroundingGuard::Result r = g.Check("订单20261103001234金额¥499，预计11月25日送达。");
  ASSERT_EQ(r.ungrounded.size(), 2u) << Describe(r);
  EXPECT_EQ(r.ungrounded[0], (Fact{FactKind::kMoney, "¥499"}));
  EXPECT_EQ(r.ungrounded[1], (Fact{FactKind::kDate, "11月25日"}));
}

TEST(GroundingGuardTest, ExtractsFactKinds) {
  std::vector<Fact> f =
      ExtractFacts("SF1234567890123 138****5678 RMB 399 2026-11-20 15:00 30% 7天");
  std::vector<Fact> want = {
      {FactKind::kTracking, "SF1234567890123"},
      {FactKind::kPhone, "138****5678"},
      {FactKind::kMoney, "RMB 399"},
      {FactKind::kDate, "2026-11-20"},
      {FactKind::kTime, "15:00"},
      {FactKind::kPercent, "30%"},
      {FactKind::kDuration, "7天"},
  };
  EXPECT_EQ(f, want);
}

TEST(GroundingGuardTest, EmptyEvidenceAllowsOnlySmallNumbers) {
  GroundingGuard g(Evidence{});
  ExpectPasses(g, "请提供您的订单号，我来帮您查询。");
  ExpectPasses(g, "Please send me your order number.");
  ExpectBlocked(g, "您的订单金额是100元。");
}

TEST(SentenceStreamTest, ReleasesOnlyCompleteSentences) {
  SentenceStream s;
  EXPECT_TRUE(s.Append("您的订单").empty());
  EXPECT_TRUE(s.Append("已发货").empty());
  EXPECT_TRUE(s.Append("。").empty());  // a closing quote could still follow
  std::vector<std::string> out = s.Append("预计");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "您的订单已发货。");
  out = s.Append("11月20日送达！请注意查收");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "预计11月20日送达！");
  EXPECT_EQ(s.Flush(), "请注意查收");
  EXPECT_EQ(s.Flush(), "");
}

TEST(SentenceStreamTest, KeepsNumbersSplitAcrossDeltasWhole) {
  SentenceStream s;
  EXPECT_TRUE(s.Append("The total is $3").empty());
  EXPECT_TRUE(s.Append("99.").empty());
  EXPECT_TRUE(s.Append("50 incl").empty());
  std::vector<std::string> out = s.Append("uding tax. Thanks");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "The total is $399.50 including tax.");
  EXPECT_EQ(s.Flush(), " Thanks");
}

TEST(SentenceStreamTest, DoesNotSplitDecimalsOrAbbreviations) {
  SentenceStream s;
  std::vector<std::string> out =
      s.Append("Rated 3.5 stars. See No. 5 on Nov. 20 please. e.g. this. Mr. J. Smith said hi! ");
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0], "Rated 3.5 stars.");
  EXPECT_EQ(out[1], " See No. 5 on Nov. 20 please.");
  EXPECT_EQ(out[2], " e.g. this.");
  EXPECT_EQ(out[3], " Mr. J. Smith said hi!");
  EXPECT_EQ(s.Flush(), " ");
}

TEST(SentenceStreamTest, HandlesUtf8SplitMidCharacterAndNewlines) {
  SentenceStream s;
  std::string text = "第一行\n第二行；第三行？";
  std::vector<std::string> got;
  for (char ch : text) {
    for (std::string& piece : s.Append(std::string(1, ch))) {
      got.push_back(piece);
    }
  }
  std::string rest = s.Flush();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], "第一行\n");
  EXPECT_EQ(got[1], "第二行；");
  EXPECT_EQ(rest, "第三行？");
}

TEST(SentenceStreamTest, KeepsClosingQuoteWithItsSentence) {
  SentenceStream s;
  std::vector<std::string> out = s.Append("他说：“好的。”然后");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "他说：“好的。”");
  EXPECT_EQ(s.Flush(), "然后");
}

TEST(SentenceStreamTest, GuardStopsAtTheFirstUngroundedSentence) {
  GroundingGuard g(ZhEvidence());
  SentenceStream s;
  std::vector<std::string> shown;
  bool blocked = false;
  for (std::string_view delta :
       {"您的订单已", "发货，预计11月2", "0日送达。退款¥4", "99已到账。谢谢"}) {
    for (const std::string& sentence : s.Append(delta)) {
      if (blocked || !g.Check(sentence).ok) {
        blocked = true;
        continue;
      }
      shown.push_back(sentence);
    }
  }
  EXPECT_TRUE(blocked);
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_EQ(shown[0], "您的订单已发货，预计11月20日送达。");
}

}  // namespace
}  // namespace kefu::llm
