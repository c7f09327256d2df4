#include "text/pii.h"

#include <chrono>

#include <gtest/gtest.h>

#include "text/normalize.h"

namespace kefu::text {
namespace {

// "type:value" for each span, for compact expectations.
std::vector<std::string> Found(std::string_view text) {
  std::vector<std::string> out;
  for (const PiiSpan& s : FindPii(text)) {
    out.push_back(std::string(PiiTypeName(s.type)) + ":" + s.value);
  }
  return out;
}

using Spans = std::vector<std::string>;

// --- phones ----------------------------------------------------------------------------------

TEST(PiiPhoneTest, FindsMobileWithCodePointOffsets) {
  const std::vector<PiiSpan> spans = FindPii("我的手机13812345678谢谢");
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].type, PiiType::kPhone);
  EXPECT_EQ(spans[0].start, 4u);
  EXPECT_EQ(spans[0].end, 15u);
  EXPECT_EQ(spans[0].value, "13812345678");
}

TEST(PiiPhoneTest, FindsCountryCodePrefixes) {
  EXPECT_EQ(Found("电话+8613812345678"), (Spans{"phone:+8613812345678"}));
  EXPECT_EQ(Found("call +86 138 1234 5678 pls"), (Spans{"phone:+86 138 1234 5678"}));
  EXPECT_EQ(Found("电话86-13812345678"), (Spans{"phone:86-13812345678"}));
}

TEST(PiiPhoneTest, FindsDashedAndSpacedGroups) {
  EXPECT_EQ(Found("打138-1234-5678"), (Spans{"phone:138-1234-5678"}));
  EXPECT_EQ(Found("打 138 1234 5678 找我"), (Spans{"phone:138 1234 5678"}));
}

TEST(PiiPhoneTest, FindsFullWidthDigits) {
  EXPECT_EQ(Found("手机１３８１２３４５６７８"), (Spans{"phone:１３８１２３４５６７８"}));
}

TEST(PiiPhoneTest, PhoneInsideLongerDigitRunIsNotFlagged) {
  EXPECT_TRUE(FindPii("编号1381234567890").empty());
  EXPECT_TRUE(FindPii("编号2013812345678").empty());
  EXPECT_TRUE(FindPii("编号12-13812345678").empty());
  EXPECT_TRUE(FindPii("编号138-1234-5678-9").empty());
}

TEST(PiiPhoneTest, OrderNumbersAreNotPhones) {
  EXPECT_TRUE(FindPii("我的订单2026112464518311到哪了").empty());
  EXPECT_TRUE(FindPii("订单 2026080177952879").empty());
}

TEST(PiiPhoneTest, NonMobilePrefixesAreNotPhones) {
  EXPECT_TRUE(FindPii("12812345678").empty());    // second digit must be 3-9
  EXPECT_TRUE(FindPii("23812345678").empty());    // must start with 1
  EXPECT_TRUE(FindPii("1381234567").empty());     // 10 digits
  EXPECT_TRUE(FindPii("8613812345678").empty());  // bare 86 prefix is ambiguous
}

TEST(PiiPhoneTest, SeparateNumbersNextToEachOtherAreFound) {
  EXPECT_EQ(Found("订单 2026 13812345678"), (Spans{"phone:13812345678"}));
}

TEST(PiiPhoneTest, MasksKeepFirstThreeAndLastFour) {
  EXPECT_EQ(MaskPii("手机13812345678"), "手机138****5678");
  EXPECT_EQ(MaskPii("+86 138-1234-5678"), "+86 138-****-5678");
  EXPECT_EQ(MaskPii("+8613812345678"), "+86138****5678");
}

// --- ID cards --------------------------------------------------------------------------------

TEST(PiiIdCardTest, FindsValidIdCards) {
  EXPECT_EQ(Found("身份证11010519491231002X"), (Spans{"id_card:11010519491231002X"}));
  EXPECT_EQ(Found("身份证号330106199003071236。"), (Spans{"id_card:330106199003071236"}));
  EXPECT_EQ(Found("310115200002290013"), (Spans{"id_card:310115200002290013"}));  // 29 Feb 2000
}

TEST(PiiIdCardTest, LowerCaseCheckCharacterIsAccepted) {
  EXPECT_EQ(Found("11010519491231002x"), (Spans{"id_card:11010519491231002x"}));
}

TEST(PiiIdCardTest, InvalidChecksumIsRejected) {
  EXPECT_TRUE(FindPii("身份证110105194912310021").empty());
  EXPECT_TRUE(FindPii("身份证330106199003071237").empty());
}

TEST(PiiIdCardTest, ImpossibleBirthDateIsRejected) {
  // Same region and sequence with month 13 and 30 Feb; checksums made valid for each.
  EXPECT_TRUE(FindPii("33010619901307123X").empty());
  EXPECT_TRUE(FindPii("330106199002301239").empty());
}

TEST(PiiIdCardTest, IdInsideLongerDigitRunIsRejected) {
  for (const char* text : {"9330106199003071236", "3301061990030712369", "12-330106199003071236"}) {
    for (const PiiSpan& s : FindPii(text)) {
      EXPECT_NE(s.type, PiiType::kIdCard) << text;
    }
  }
}

TEST(PiiIdCardTest, MaskKeepsRegionAndLastFour) {
  EXPECT_EQ(MaskPii("身份证11010519491231002X"), "身份证110105********002X");
}

// --- bank cards ------------------------------------------------------------------------------

TEST(PiiBankCardTest, FindsLuhnValidCards) {
  EXPECT_EQ(Found("卡号6222021234567894"), (Spans{"bank_card:6222021234567894"}));
  EXPECT_EQ(Found("卡号6228480012345678903"), (Spans{"bank_card:6228480012345678903"}));
}

TEST(PiiBankCardTest, FindsCardsGroupedByFour) {
  EXPECT_EQ(Found("卡号 6222 0212 3456 7894 谢谢"), (Spans{"bank_card:6222 0212 3456 7894"}));
  EXPECT_EQ(Found("6228-4800-1234-5678-903"), (Spans{"bank_card:6228-4800-1234-5678-903"}));
}

TEST(PiiBankCardTest, LuhnFailureIsNotACard) {
  EXPECT_TRUE(FindPii("卡号6222021234567895").empty());
  EXPECT_TRUE(FindPii("卡号 6222 0212 3456 7895").empty());
}

TEST(PiiBankCardTest, OrderNumbersFailLuhn) {
  EXPECT_TRUE(FindPii("2026112464518311").empty());
  EXPECT_TRUE(FindPii("2026080177952879").empty());
  EXPECT_TRUE(FindPii("2026080158141989").empty());
}

TEST(PiiBankCardTest, OrderNumberThatPassesLuhnIsReportedAsCard) {
  // The documented ambiguity: about one order number in ten passes Luhn.
  EXPECT_EQ(Found("订单2026112512345678"), (Spans{"bank_card:2026112512345678"}));
}

TEST(PiiBankCardTest, WrongLengthsAreNotCards) {
  EXPECT_TRUE(FindPii("453201511283036").empty());       // 15 digits
  EXPECT_TRUE(FindPii("45320151128303660000").empty());  // 20 digits
  EXPECT_TRUE(FindPii("6222 0212 34567 894").empty());   // not groups of four
}

TEST(PiiBankCardTest, MaskKeepsFirstAndLastFour) {
  EXPECT_EQ(MaskPii("卡号6222021234567894"), "卡号6222********7894");
  EXPECT_EQ(MaskPii("6222 0212 3456 7894"), "6222 **** **** 7894");
}

// --- e-mail ----------------------------------------------------------------------------------

TEST(PiiEmailTest, FindsAndMasksEmail) {
  EXPECT_EQ(Found("邮箱zhang.san@example.com谢谢"), (Spans{"email:zhang.san@example.com"}));
  EXPECT_EQ(MaskPii("邮箱zhang.san@example.com谢谢"), "邮箱z***@example.com谢谢");
  EXPECT_EQ(MaskPii("mail: a_b+tag@mail.shop.cn."), "mail: a***@mail.shop.cn.");
}

TEST(PiiEmailTest, RejectsIncompleteAddresses) {
  EXPECT_TRUE(FindPii("a@b").empty());
  EXPECT_TRUE(FindPii("@example.com").empty());
  EXPECT_TRUE(FindPii("user@localhost").empty());
  EXPECT_TRUE(FindPii("user@example.c0m").empty());
  EXPECT_TRUE(FindPii("user@.com").empty());
}

// --- addresses -------------------------------------------------------------------------------

TEST(PiiAddressTest, FindsFullChineseAddress) {
  EXPECT_EQ(Found("浙江省杭州市西湖区文三路123号"),
            (Spans{"address:浙江省杭州市西湖区文三路123号"}));
}

TEST(PiiAddressTest, AddressInsideSentenceStartsAtTheProvince) {
  EXPECT_EQ(Found("我的地址是浙江省杭州市西湖区文三路123号，谢谢"),
            (Spans{"address:浙江省杭州市西湖区文三路123号"}));
  EXPECT_EQ(Found("请寄到杭州市西湖区文三路5号3栋"), (Spans{"address:杭州市西湖区文三路5号3栋"}));
}

TEST(PiiAddressTest, FindsDemoShippingAddressWithSpaces) {
  const std::string addr = "四川省成都市高新区天府大道 76 号东方名苑 11 栋 1 单元 2503 室";
  EXPECT_EQ(Found("收货地址:" + addr), (Spans{"address:" + addr}));
}

TEST(PiiAddressTest, FindsRoadWithHouseNumber) {
  EXPECT_EQ(Found("寄到中山路88号"), (Spans{"address:中山路88号"}));
  EXPECT_EQ(Found("北京朝阳区建国路1号院2号楼301"),
            (Spans{"address:北京朝阳区建国路1号院2号楼301"}));
}

TEST(PiiAddressTest, PlacesWithoutStreetOrNumberAreNotAddresses) {
  EXPECT_TRUE(FindPii("上海市的订单到哪了").empty());
  EXPECT_TRUE(FindPii("我在杭州市西湖区").empty());
  EXPECT_TRUE(FindPii("我想去中山路").empty());
  EXPECT_TRUE(FindPii("这个商品质量很好").empty());
}

TEST(PiiAddressTest, MaskKeepsProvinceAndCity) {
  EXPECT_EQ(MaskPii("地址:浙江省杭州市西湖区文三路123号"), "地址:浙江省杭州市**********");
  EXPECT_EQ(MaskPii("寄到中山路88号"), "寄到******");
}

TEST(PiiAddressTest, FindsEnglishAddress) {
  EXPECT_EQ(Found("Ship to Room 8, 99 Nanjing Rd please"),
            (Spans{"address:Room 8, 99 Nanjing Rd"}));
  EXPECT_EQ(Found("send it to 1200 west nanjing road."),
            (Spans{"address:1200 west nanjing road."}));
  EXPECT_EQ(Found("apt 3 12a Main St"), (Spans{"address:apt 3 12a Main St"}));
}

TEST(PiiAddressTest, EnglishMaskHidesNumbers) {
  EXPECT_EQ(MaskPii("Room 8, 99 Nanjing Rd"), "Room *, ** Nanjing Rd");
}

TEST(PiiAddressTest, EnglishSentencesWithoutAddressAreIgnored) {
  EXPECT_TRUE(FindPii("I bought 2 pairs st").empty());
  EXPECT_TRUE(FindPii("my order is 3 days late").empty());
  EXPECT_TRUE(FindPii("the road is closed").empty());
}

// --- mixed -----------------------------------------------------------------------------------

TEST(PiiTest, FindsSeveralSpansInTextOrder) {
  const std::string text = "张三 13812345678 zhang@example.com 身份证11010519491231002X";
  EXPECT_EQ(Found(text),
            (Spans{"phone:13812345678", "email:zhang@example.com", "id_card:11010519491231002X"}));
  EXPECT_EQ(MaskPii(text), "张三 138****5678 z***@example.com 身份证110105********002X");
}

TEST(PiiTest, TextWithoutPiiIsUnchanged) {
  const std::string text = "我想查询一下我的订单2026112464518311什么时候发货";
  EXPECT_TRUE(FindPii(text).empty());
  EXPECT_EQ(MaskPii(text), text);
  EXPECT_EQ(MaskPii(""), "");
}

TEST(PiiTest, WorksOnNormalizedTraditionalText) {
  const NormalizedText n = Normalize("地址：浙江省杭州市西湖區文三路１２３號");
  EXPECT_EQ(Found(n.text), (Spans{"address:浙江省杭州市西湖区文三路123号"}));
}

TEST(PiiTest, LargeInputStaysFast) {
  std::string text;
  while (text.size() < 100'000) {
    text += "订单2026112464518311 手机13812345678 中山路中山路中山路 a@b.cn 1111111111 ";
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<PiiSpan> spans = FindPii(text);
  const auto t1 = std::chrono::steady_clock::now();
  EXPECT_GT(spans.size(), 1000u);
  EXPECT_LT(std::chrono::duration<double>(t1 - t0).count(), 2.0);
}

TEST(PiiTest, TypeNamesAreStable) {
  EXPECT_EQ(PiiTypeName(PiiType::kPhone), "phone");
  EXPECT_EQ(PiiTypeName(PiiType::kEmail), "email");
  EXPECT_EQ(PiiTypeName(PiiType::kIdCard), "id_card");
  EXPECT_EQ(PiiTypeName(PiiType::kBankCard), "bank_card");
  EXPECT_EQ(PiiTypeName(PiiType::kAddress), "address");
}

}  // namespace
}  // namespace kefu::text
