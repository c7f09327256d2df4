#!/usr/bin/env python3
"""Generates kefu's demo shop: data/demo/{products,customers,orders}.jsonl.

Everything here (brands, products, people, addresses, orders) is fictional and written by the
project. The output is deterministic: one random.Random(20261129) drives every choice, nothing is
iterated in hash order, so running the script twice writes byte-identical files.

    python3 scripts/gen-demo-shop.py            # (re)write data/demo/*.jsonl
    python3 scripts/gen-demo-shop.py --check    # validate the files in data/demo, print counts

The rules the data follows (fees, coupons, carriers, return windows, refund timing) are the ones
written in data/demo/policies/{zh,en}/*.md; keep the two in step. Standard library only.
"""

import argparse
import json
import math
import os
import random
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone

SEED = 20261129
TZ = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 29, 10, 0, 0, tzinfo=TZ)
START = datetime(2026, 8, 1, 0, 0, 0, tzinfo=TZ)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "data", "demo")

# Shop rules (mirrored in policies/*/shipping.md, membership.md, returns.md, payment.md).
SHIPPING_FEE = 800                 # ¥8 below the free-shipping threshold
FREE_SHIPPING = 9900               # ¥99, goods after coupon
FREE_SHIPPING_REMOTE = 19900       # ¥199 for remote regions
SF_DEFAULT_UNIT_PRICE = 50000      # orders with a phone or any item >= ¥500 ship SF at no charge
PAYMENT_WINDOW = timedelta(minutes=30)
DISPATCH_LIMIT = timedelta(hours=48)
NO_REASON_WINDOW = timedelta(days=7)
QUALITY_WINDOW = timedelta(days=15)
# (threshold, discount) in cents: one coupon per order, the largest the goods amount reaches.
COUPONS = [(499900, 50000), (199900, 20000), (99900, 10000), (59900, 6000), (29900, 3000),
           (19900, 2000)]
# Hours from the refund being issued to the money arriving, per payment method.
REFUND_DELAY_H = {
    "alipay": (0.02, 2.0), "wechat_pay": (0.02, 2.0), "huabei": (0.02, 2.0),
    "unionpay": (6.0, 70.0), "credit_card": (72.0, 160.0),
}
PAYMENT_METHODS = ["alipay", "wechat_pay", "unionpay", "credit_card", "huabei"]

STATUS_COUNTS = [
    ("pending_payment", 28), ("paid", 40), ("shipped", 66), ("delivered", 330),
    ("cancelled", 60), ("return_requested", 34), ("returned", 36), ("refunded", 46),
]
CATEGORIES = ["phones", "earphones", "shoes", "clothing", "cosmetics", "home_appliances", "food",
              "books", "baby", "sports"]
SKU_PREFIX = {"phones": "PH", "earphones": "EP", "shoes": "SH", "clothing": "CL",
              "cosmetics": "CO", "home_appliances": "HA", "food": "FD", "books": "BK",
              "baby": "BB", "sports": "SP"}


def cents(yuan):
    return int(round(yuan * 100))


# --------------------------------------------------------------------------------------------
# Catalogue. Brands are invented; prices are list prices in yuan.
# --------------------------------------------------------------------------------------------

def phones():
    rows = [
        ("星河", "Xinghe", "X5", "8GB+256GB", 2999, ("曜石黑", "Obsidian Black"), "6.67"),
        ("星河", "Xinghe", "X5", "12GB+512GB", 3499, ("冰川蓝", "Glacier Blue"), "6.67"),
        ("星河", "Xinghe", "X5 Pro", "12GB+256GB", 4299, ("钛金灰", "Titanium Grey"), "6.78"),
        ("星河", "Xinghe", "X5 Pro", "16GB+1TB", 5499, ("曜石黑", "Obsidian Black"), "6.78"),
        ("星河", "Xinghe", "Note 12", "8GB+128GB", 1299, ("晨雾白", "Mist White"), "6.6"),
        ("星河", "Xinghe", "Note 12", "8GB+256GB", 1499, ("薄荷绿", "Mint Green"), "6.6"),
        ("远帆", "Yuanfan", "S30", "12GB+256GB", 3999, ("远峰蓝", "Summit Blue"), "6.7"),
        ("远帆", "Yuanfan", "S30", "12GB+512GB", 4499, ("午夜黑", "Midnight Black"), "6.7"),
        ("远帆", "Yuanfan", "S30 Ultra", "16GB+512GB", 6499, ("陶瓷白", "Ceramic White"), "6.82"),
        ("远帆", "Yuanfan", "Fold 2", "12GB+512GB", 7999, ("雅川青", "River Teal"), "7.92"),
        ("远帆", "Yuanfan", "A9", "6GB+128GB", 999, ("星光紫", "Starlight Purple"), "6.56"),
        ("墨岩", "Moyan", "M3", "8GB+256GB", 2499, ("岩石灰", "Rock Grey"), "6.67"),
        ("墨岩", "Moyan", "M3 Pro", "12GB+512GB", 3299, ("森林绿", "Forest Green"), "6.73"),
        ("墨岩", "Moyan", "K1", "4GB+64GB", 699, ("经典黑", "Classic Black"), "6.5"),
        ("青禾", "Qinghe", "Q10", "8GB+256GB", 1899, ("青山绿", "Hill Green"), "6.72"),
        ("青禾", "Qinghe", "Q10 Max", "12GB+256GB", 2299, ("落日橙", "Sunset Orange"), "6.78"),
        ("青禾", "Qinghe", "Q10 Lite", "6GB+128GB", 1199, ("云朵白", "Cloud White"), "6.56"),
    ]
    out = []
    for brand, brand_en, model, spec, price, (col, col_en), screen in rows:
        kind, kind_en, net = "智能手机", "Smartphone", "5G"
        if model == "Fold 2":
            kind, kind_en = "折叠屏手机", "Foldable Phone"
        if model == "K1":
            kind, kind_en, net = "长辈智能手机", "Senior Smartphone", "4G"
        out.append(dict(
            brand=brand, name_zh=f"{brand} {model} {kind} {spec}",
            name_en=f"{brand_en} {model} {kind_en} {spec}", price=price,
            attributes={"colour": col, "colour_en": col_en, "spec": spec, "screen_inches": screen,
                        "network": net, "warranty_months": "12"}))
    return out


def earphones():
    bt53, bt54 = ("蓝牙 5.3", "Bluetooth 5.3"), ("蓝牙 5.4", "Bluetooth 5.4")
    rows = [
        ("声屿", "Shengyu", "Buds 3", "真无线降噪耳机", "True Wireless ANC Earbuds", 499,
         ("月光白", "Moonlight White"), bt53, "30"),
        ("声屿", "Shengyu", "Buds 3 Pro", "真无线降噪耳机", "True Wireless ANC Earbuds", 799,
         ("深空黑", "Space Black"), bt54, "36"),
        ("声屿", "Shengyu", "Air 2", "半入耳式蓝牙耳机", "Semi In-ear Bluetooth Earbuds", 199,
         ("珍珠白", "Pearl White"), bt53, "24"),
        ("声屿", "Shengyu", "Studio", "头戴式降噪耳机", "Over-ear ANC Headphones", 1299,
         ("雅黑", "Matte Black"), bt53, "50"),
        ("声屿", "Shengyu", "Sleep", "睡眠耳机", "Sleep Earbuds", 359,
         ("雾白", "Fog White"), bt53, "10"),
        ("声屿", "Shengyu", "Clip", "耳夹式开放耳机", "Open-ear Clip Earbuds", 699,
         ("流光金", "Champagne Gold"), bt54, "24"),
        ("聆风", "Lingfeng", "F1", "运动挂耳式耳机", "Sports Ear-hook Earphones", 299,
         ("活力橙", "Vibrant Orange"), bt53, "12"),
        ("聆风", "Lingfeng", "OpenFit", "开放式蓝牙耳机", "Open-ear Bluetooth Headphones", 599,
         ("钛灰", "Titanium Grey"), bt54, "28"),
        ("聆风", "Lingfeng", "Bone 2", "骨传导运动耳机", "Bone Conduction Sports Headphones", 699,
         ("午夜蓝", "Midnight Blue"), bt53, "10"),
        ("聆风", "Lingfeng", "H7", "头戴式游戏耳机", "Over-ear Gaming Headset", 399,
         ("暗夜黑", "Shadow Black"), ("USB 有线 + 2.4G 无线", "USB wired + 2.4G wireless"), "40"),
        ("聆风", "Lingfeng", "Neck 5", "颈挂式蓝牙耳机", "Neckband Bluetooth Earphones", 179,
         ("石墨黑", "Graphite Black"), bt53, "20"),
        ("回响", "Huixiang", "E1", "Type-C 有线耳机", "Type-C Wired Earphones", 99,
         ("白色", "White"), ("Type-C 有线", "Type-C wired"), None),
        ("回响", "Huixiang", "E3", "Hi-Fi 入耳式耳机", "Hi-Fi In-ear Monitors", 899,
         ("银色", "Silver"), ("3.5mm 有线", "3.5 mm wired"), None),
        ("回响", "Huixiang", "Pods Mini", "真无线耳机", "True Wireless Earbuds", 149,
         ("樱花粉", "Blossom Pink"), bt53, "20"),
        ("回响", "Huixiang", "Pods", "真无线降噪耳机", "True Wireless ANC Earbuds", 269,
         ("曜石黑", "Obsidian Black"), bt53, "32"),
        ("回响", "Huixiang", "Kids", "儿童头戴式耳机（85dB 限音）",
         "Kids' Headphones (85 dB limit)", 159, ("天空蓝", "Sky Blue"), bt53, "45"),
    ]
    out = []
    for brand, brand_en, model, kind, kind_en, price, (col, col_en), (con, con_en), bat in rows:
        attrs = {"colour": col, "colour_en": col_en, "type": kind, "type_en": kind_en,
                 "connection": con, "connection_en": con_en}
        if bat:
            attrs["battery_hours"] = bat
        attrs["warranty_months"] = "12"
        out.append(dict(brand=brand, name_zh=f"{brand} {model} {kind}",
                        name_en=f"{brand_en} {model} {kind_en}", price=price, attributes=attrs))
    return out


GENDER = {"男": "Men", "女": "Women", "中性": "Unisex", "儿童": "Kids"}


def shoes():
    swift_m = ("疾速3 男子缓震跑步鞋", "Swift 3 Men's Cushioned Running Shoes")
    feather = ("飞羽 男子篮球鞋", "Feather Men's Basketball Shoes")
    classic = ("经典款 中性板鞋", "Classic Unisex Skate Shoes")
    rows = [
        ("行远", "Xingyuan", swift_m, 599, ("云白", "Cloud White"), "42", "男"),
        ("行远", "Xingyuan", swift_m, 599, ("曜石黑", "Obsidian Black"), "43", "男"),
        ("行远", "Xingyuan", ("疾速3 女子缓震跑步鞋", "Swift 3 Women's Cushioned Running Shoes"),
         599, ("樱花粉", "Blossom Pink"), "37", "女"),
        ("行远", "Xingyuan", ("越野者 男子越野跑鞋", "Trailblazer Men's Trail Running Shoes"),
         799, ("岩石灰", "Rock Grey"), "41", "男"),
        ("行远", "Xingyuan", ("竞速 Pro 碳板跑鞋", "Race Pro Carbon-plate Running Shoes"),
         1299, ("荧光绿", "Neon Green"), "42", "中性"),
        ("行远", "Xingyuan", ("儿童魔术贴运动鞋", "Kids' Hook-and-loop Sneakers"),
         229, ("海军蓝", "Navy Blue"), "32", "儿童"),
        ("疾风", "Jifeng", feather, 899, ("烈焰红", "Blaze Red"), "44", "男"),
        ("疾风", "Jifeng", feather, 899, ("黑金", "Black Gold"), "42", "男"),
        ("疾风", "Jifeng", classic, 329, ("纯白", "Pure White"), "39", "中性"),
        ("疾风", "Jifeng", classic, 329, ("黑白", "Black/White"), "41", "中性"),
        ("疾风", "Jifeng", ("一脚蹬 男子健步鞋", "Men's Slip-on Walking Shoes"),
         199, ("深灰", "Dark Grey"), "40", "男"),
        ("步云", "Buyun", ("轻履 女子小白鞋", "Light Step Women's White Sneakers"),
         269, ("白色", "White"), "36", "女"),
        ("步云", "Buyun", ("男士真皮商务鞋", "Men's Leather Oxford Shoes"),
         699, ("深棕", "Dark Brown"), "41", "男"),
        ("步云", "Buyun", ("女士软底乐福鞋", "Women's Soft-sole Loafers"),
         459, ("杏色", "Apricot"), "38", "女"),
        ("步云", "Buyun", ("男士防泼水徒步鞋", "Men's Water-repellent Hiking Shoes"),
         539, ("军绿", "Army Green"), "43", "男"),
        ("步云", "Buyun", ("女士切尔西短靴", "Women's Chelsea Ankle Boots"),
         649, ("黑色", "Black"), "37", "女"),
        ("步云", "Buyun", ("中性洞洞鞋", "Unisex Clogs"), 159, ("奶白", "Cream White"), "40", "中性"),
    ]
    out = []
    for brand, brand_en, (model, model_en), price, (col, col_en), size, gender in rows:
        out.append(dict(
            brand=brand, name_zh=f"{brand} {model} {col} {size}码",
            name_en=f"{brand_en} {model_en}, {col_en}, EU {size}", price=price,
            attributes={"colour": col, "colour_en": col_en, "size": size, "size_system": "EU",
                        "gender": gender, "gender_en": GENDER[gender]}))
    return out


def clothing():
    tee = ("男士纯棉圆领短袖T恤", "Men's Cotton Crew-neck T-shirt")
    cotton = ("100% 棉", "100% cotton")
    rows = [
        ("素衣", "Suyi", tee, 79, ("白色", "White"), "L", cotton, "男"),
        ("素衣", "Suyi", tee, 79, ("黑色", "Black"), "XL", cotton, "男"),
        ("素衣", "Suyi", ("女士亚麻衬衫", "Women's Linen Shirt"), 259, ("米白", "Off-white"), "M",
         ("100% 亚麻", "100% linen"), "女"),
        ("素衣", "Suyi", ("女士高腰阔腿裤", "Women's High-waist Wide-leg Trousers"), 229,
         ("燕麦色", "Oatmeal"), "S", ("聚酯纤维 70% / 粘纤 30%", "70% polyester / 30% viscose"), "女"),
        ("素衣", "Suyi", ("男士加绒连帽卫衣", "Men's Fleece-lined Hoodie"), 239,
         ("麻灰", "Heather Grey"), "XL", ("棉 80% / 聚酯纤维 20%", "80% cotton / 20% polyester"), "男"),
        ("素衣", "Suyi", ("女士羊毛混纺大衣", "Women's Wool-blend Coat"), 999, ("驼色", "Camel"), "M",
         ("羊毛 70% / 聚酰胺 30%", "70% wool / 30% polyamide"), "女"),
        ("北纬", "Beiwei", ("男士轻薄羽绒服", "Men's Lightweight Down Jacket"), 699, ("藏青", "Navy"),
         "L", ("填充物 90% 白鸭绒", "filling: 90% white duck down"), "男"),
        ("北纬", "Beiwei", ("女士长款连帽羽绒服", "Women's Long Hooded Down Coat"), 1299,
         ("黑色", "Black"), "M", ("填充物 90% 白鹅绒", "filling: 90% white goose down"), "女"),
        ("北纬", "Beiwei", ("男士三合一冲锋衣", "Men's 3-in-1 Waterproof Jacket"), 899,
         ("岩石灰", "Rock Grey"), "XL", ("聚酯纤维面料 + 抓绒内胆", "polyester shell + fleece liner"),
         "男"),
        ("北纬", "Beiwei", ("女士摇粒绒外套", "Women's Fleece Jacket"), 359, ("燕麦色", "Oatmeal"),
         "M", ("100% 聚酯纤维", "100% polyester"), "女"),
        ("北纬", "Beiwei", ("男士保暖内衣套装", "Men's Thermal Underwear Set"), 129,
         ("黑色", "Black"), "L", ("粘纤 60% / 腈纶 40%", "60% viscose / 40% acrylic"), "男"),
        ("棉舍", "Mianshe", ("男士修身牛仔裤", "Men's Slim-fit Jeans"), 299, ("深蓝", "Dark Blue"),
         "32", ("棉 98% / 氨纶 2%", "98% cotton / 2% elastane"), "男"),
        ("棉舍", "Mianshe", ("女士针织开衫", "Women's Knit Cardigan"), 269,
         ("雾霾蓝", "Haze Blue"), "M", ("棉 60% / 腈纶 40%", "60% cotton / 40% acrylic"), "女"),
        ("棉舍", "Mianshe", ("男士免烫长袖衬衫", "Men's Non-iron Long-sleeve Shirt"), 199,
         ("白色", "White"), "L", cotton, "男"),
        ("棉舍", "Mianshe", ("女士碎花中长连衣裙", "Women's Floral Midi Dress"), 399,
         ("碎花蓝", "Blue Floral"), "S", ("100% 粘纤", "100% viscose"), "女"),
        ("棉舍", "Mianshe", ("纯棉中筒袜 5 双装", "Cotton Crew Socks, 5 pairs"), 59,
         ("混色", "Assorted"), "均码", ("棉 85% / 锦纶 15%", "85% cotton / 15% nylon"), "中性"),
    ]
    out = []
    for brand, brand_en, (model, model_en), price, (col, col_en), size, (mat, mat_en), g in rows:
        size_en = "One size" if size == "均码" else size
        attrs = {"colour": col, "colour_en": col_en, "size": size}
        if size_en != size:
            attrs["size_en"] = size_en
        attrs.update({"material": mat, "material_en": mat_en, "gender": g,
                      "gender_en": GENDER[g]})
        out.append(dict(brand=brand, name_zh=f"{brand} {model} {col} {size}",
                        name_en=f"{brand_en} {model_en}, {col_en}, {size_en}", price=price,
                        attributes=attrs))
    return out


def cosmetics():
    allskin = ("所有肤质", "All skin types")
    rows = [
        ("芷兰", "Zhilan", "玻尿酸保湿精华液 30ml", "Hyaluronic Acid Hydrating Serum 30 ml", 269, "30ml",
         allskin, None),
        ("芷兰", "Zhilan", "神经酰胺修护面霜 50g", "Ceramide Repair Cream 50 g", 329, "50g",
         ("干性/敏感肌", "Dry/sensitive skin"), None),
        ("芷兰", "Zhilan", "氨基酸温和洁面乳 120g", "Gentle Amino Acid Cleanser 120 g", 89, "120g",
         allskin, None),
        ("芷兰", "Zhilan", "清透防晒乳 SPF50+ PA++++ 50ml", "Light Sunscreen SPF50+ PA++++ 50 ml",
         139, "50ml", allskin, None),
        ("芷兰", "Zhilan", "水乳霜护肤三件套礼盒", "Toner, Lotion & Cream Gift Set", 699,
         "150ml+100ml+50g", ("中性/混合肌", "Normal/combination skin"), None),
        ("露溪", "Luxi", "丝绒哑光口红 #316 枫叶红", "Velvet Matte Lipstick #316 Maple Red", 169,
         "3.5g", None, ("#316 枫叶红", "#316 Maple Red")),
        ("露溪", "Luxi", "丝绒哑光口红 #102 豆沙粉", "Velvet Matte Lipstick #102 Rose Nude", 169,
         "3.5g", None, ("#102 豆沙粉", "#102 Rose Nude")),
        ("露溪", "Luxi", "持妆粉底液 #01 象牙白 30ml", "Long-wear Foundation #01 Ivory 30 ml", 299,
         "30ml", ("油性/混合肌", "Oily/combination skin"), ("#01 象牙白", "#01 Ivory")),
        ("露溪", "Luxi", "九色眼影盘 暮光", "9-colour Eyeshadow Palette, Twilight", 229, "9×1.2g",
         None, ("暮光", "Twilight")),
        ("露溪", "Luxi", "温和卸妆油 200ml", "Gentle Cleansing Oil 200 ml", 159, "200ml", allskin,
         None),
        ("露溪", "Luxi", "栀子白茶淡香精 50ml", "Gardenia & White Tea Eau de Parfum 50 ml", 459,
         "50ml", None, None),
        ("澄肌", "Chengji", "烟酰胺焕亮面膜 10 片", "Niacinamide Brightening Sheet Masks, 10 pcs", 99,
         "25ml×10", allskin, None),
        ("澄肌", "Chengji", "男士控油洁面乳 100g", "Men's Oil-control Face Wash 100 g", 69, "100g",
         ("油性肌", "Oily skin"), None),
        ("澄肌", "Chengji", "视黄醇抗皱眼霜 20g", "Retinol Anti-wrinkle Eye Cream 20 g", 399, "20g",
         allskin, None),
        ("澄肌", "Chengji", "积雪草舒缓爽肤水 200ml", "Centella Soothing Toner 200 ml", 129, "200ml",
         ("敏感肌", "Sensitive skin"), None),
        ("澄肌", "Chengji", "乳木果身体乳 400ml", "Shea Butter Body Lotion 400 ml", 89, "400ml",
         ("干性肌", "Dry skin"), None),
    ]
    out = []
    for brand, brand_en, name, name_en, price, vol, skin, shade in rows:
        attrs = {"volume": vol}
        if skin:
            attrs.update({"skin_type": skin[0], "skin_type_en": skin[1]})
        if shade:
            attrs.update({"shade": shade[0], "shade_en": shade[1]})
        attrs["shelf_life_months"] = "36"
        attrs["period_after_opening_months"] = "12"
        out.append(dict(brand=brand, name_zh=f"{brand} {name}", name_en=f"{brand_en} {name_en}",
                        price=price, attributes=attrs))
    return out


def home_appliances():
    kitchen = ("厨房小家电", "Small kitchen appliance")
    major = ("大家电", "Major appliance")
    climate = ("环境电器", "Climate appliance")
    personal = ("个护电器", "Personal care appliance")
    cleaning = ("清洁电器", "Cleaning appliance")
    rows = [
        ("云厨", "Yunchu", "智能电饭煲 4L", "Smart Rice Cooker 4 L", 399, ("月光白", "Moonlight White"),
         ("4L / 800W", "4 L / 800 W"), kitchen, 12),
        ("云厨", "Yunchu", "可视空气炸锅 5.5L", "Air Fryer with Window 5.5 L", 329,
         ("奶油白", "Cream White"), ("5.5L / 1500W", "5.5 L / 1500 W"), kitchen, 12),
        ("云厨", "Yunchu", "静音破壁料理机 1.75L", "Quiet High-speed Blender 1.75 L", 599,
         ("雅灰", "Slate Grey"), ("1.75L / 1200W", "1.75 L / 1200 W"), kitchen, 12),
        ("云厨", "Yunchu", "恒温电热水壶 1.7L", "Temperature-control Kettle 1.7 L", 129,
         ("白色", "White"), ("1.7L / 1800W", "1.7 L / 1800 W"), kitchen, 12),
        ("云厨", "Yunchu", "变频微波炉 23L", "Inverter Microwave Oven 23 L", 699, ("银色", "Silver"),
         ("23L / 1000W", "23 L / 1000 W"), kitchen, 12),
        ("云厨", "Yunchu", "嵌入式洗碗机 13 套", "Built-in Dishwasher, 13 Place Settings", 3999,
         ("银色", "Silver"), ("13 套 / 热风烘干", "13 place settings / hot-air drying"), major, 36),
        ("暖居", "Nuanju", "10kg 滚筒洗烘一体机", "10 kg Front-load Washer-Dryer", 2799,
         ("钛晶灰", "Titanium Grey"), ("洗 10kg / 烘 7kg", "10 kg wash / 7 kg dry"), major, 36),
        ("暖居", "Nuanju", "十字对开门冰箱 500L", "French-door Refrigerator 500 L", 4999,
         ("星空灰", "Starry Grey"), ("500L / 一级能效", "500 L / energy class 1"), major, 36),
        ("暖居", "Nuanju", "石墨烯取暖器", "Graphene Electric Heater", 299, ("白色", "White"),
         ("2200W", "2200 W"), climate, 12),
        ("暖居", "Nuanju", "直流变频落地扇", "DC Inverter Pedestal Fan", 249, ("白色", "White"),
         ("24W / 12 档风速", "24 W / 12 speeds"), climate, 12),
        ("暖居", "Nuanju", "高速负离子电吹风", "High-speed Ionic Hair Dryer", 599,
         ("雾紫", "Misty Purple"), ("1600W", "1600 W"), personal, 12),
        ("暖居", "Nuanju", "声波电动牙刷", "Sonic Electric Toothbrush", 199, ("珍珠白", "Pearl White"),
         ("4 种模式 / 续航 60 天", "4 modes / 60-day battery"), personal, 12),
        ("净界", "Jingjie", "空气净化器 CADR 500", "Air Purifier CADR 500", 1599, ("白色", "White"),
         ("CADR 500m³/h / 适用 35–60㎡", "CADR 500 m³/h / for 35–60 m²"), climate, 12),
        ("净界", "Jingjie", "扫拖一体机器人", "Robot Vacuum and Mop", 2499,
         ("曜石黑", "Obsidian Black"), ("5000Pa 吸力 / 自动集尘", "5000 Pa suction / auto-empty dock"),
         cleaning, 24),
        ("净界", "Jingjie", "无线手持吸尘器", "Cordless Stick Vacuum", 1299,
         ("石墨灰", "Graphite Grey"), ("150AW / 续航 60 分钟", "150 AW / 60-minute runtime"),
         cleaning, 24),
        ("净界", "Jingjie", "无雾加湿器 4L", "Mist-free Humidifier 4 L", 199, ("白色", "White"),
         ("4L / 300ml/h", "4 L / 300 ml/h"), climate, 12),
    ]
    out = []
    for brand, brand_en, name, name_en, price, (col, col_en), (spec, spec_en), (t, t_en), w in rows:
        out.append(dict(
            brand=brand, name_zh=f"{brand} {name}", name_en=f"{brand_en} {name_en}", price=price,
            attributes={"colour": col, "colour_en": col_en, "spec": spec, "spec_en": spec_en,
                        "appliance_type": t, "appliance_type_en": t_en,
                        "warranty_months": str(w)}))
    return out


def food():
    ambient = ("常温保存", "Store at room temperature")
    dry = ("阴凉干燥处保存", "Store in a cool, dry place")
    chilled = ("0–4℃ 冷藏", "Keep refrigerated at 0–4 °C")
    frozen = ("-18℃ 冷冻", "Keep frozen at -18 °C")
    rows = [
        ("山野", "Shanye", "每日坚果 750g（30 袋）", "Daily Mixed Nuts 750 g (30 packs)", 129, "750g",
         ("中国", "China"), 180, ambient),
        ("山野", "Shanye", "云南小粒咖啡豆 中度烘焙 500g", "Yunnan Arabica Coffee Beans, Medium Roast 500 g",
         89, "500g", ("云南普洱", "Pu'er, Yunnan"), 365, dry),
        ("山野", "Shanye", "明前龙井绿茶 250g 罐装", "Pre-Qingming Longjing Green Tea 250 g Tin", 368,
         "250g", ("浙江杭州", "Hangzhou, Zhejiang"), 540, dry),
        ("山野", "Shanye", "原味海苔脆片 4.5g×12 包", "Roasted Seaweed Snacks 4.5 g × 12", 9.9, "54g",
         ("山东青岛", "Qingdao, Shandong"), 270, ambient),
        ("山野", "Shanye", "低温烘焙腰果 500g", "Slow-roasted Cashews 500 g", 59, "500g",
         ("越南", "Vietnam"), 240, ambient),
        ("山野", "Shanye", "玫瑰鲜花饼 10 枚", "Rose Flower Cakes, 10 pcs", 39.9, "500g",
         ("云南昆明", "Kunming, Yunnan"), 60, ambient),
        ("谷语", "Guyu", "五常稻花香大米 5kg", "Wuchang Fragrant Rice 5 kg", 79, "5kg",
         ("黑龙江五常", "Wuchang, Heilongjiang"), 365, dry),
        ("谷语", "Guyu", "全麦吐司 1kg", "Whole-wheat Toast Bread 1 kg", 29.9, "1kg",
         ("上海", "Shanghai"), 15, ambient),
        ("谷语", "Guyu", "原味燕麦片 1.5kg", "Rolled Oats 1.5 kg", 39.9, "1.5kg",
         ("澳大利亚", "Australia"), 365, dry),
        ("谷语", "Guyu", "全脂纯牛奶 250ml×24 盒", "UHT Whole Milk 250 ml × 24", 69, "250ml×24",
         ("内蒙古呼和浩特", "Hohhot, Inner Mongolia"), 180, ambient),
        ("谷语", "Guyu", "黑芝麻核桃粉 600g", "Black Sesame & Walnut Powder 600 g", 49, "600g",
         ("江西南昌", "Nanchang, Jiangxi"), 365, dry),
        ("鲜道", "Xiandao", "智利车厘子 JJ 级 2.5kg", "Chilean Cherries, JJ Grade, 2.5 kg", 299, "2.5kg",
         ("智利", "Chile"), 7, chilled),
        ("鲜道", "Xiandao", "烟台红富士苹果 5kg", "Yantai Fuji Apples 5 kg", 59.9, "5kg",
         ("山东烟台", "Yantai, Shandong"), 30, chilled),
        ("鲜道", "Xiandao", "厄瓜多尔白虾 1.8kg 盒装", "Ecuadorian White Shrimp 1.8 kg Box", 139,
         "1.8kg", ("厄瓜多尔", "Ecuador"), 365, frozen),
        ("鲜道", "Xiandao", "羔羊肉卷 1kg", "Lamb Rolls for Hot Pot 1 kg", 89, "1kg",
         ("内蒙古锡林郭勒", "Xilingol, Inner Mongolia"), 365, frozen),
        ("鲜道", "Xiandao", "即食低脂鸡胸肉 100g×10", "Ready-to-eat Chicken Breast 100 g × 10", 79,
         "1kg", ("山东潍坊", "Weifang, Shandong"), 270, ambient),
    ]
    out = []
    for brand, brand_en, name, name_en, price, weight, (orig, orig_en), days, (st, st_en) in rows:
        out.append(dict(
            brand=brand, name_zh=f"{brand} {name}", name_en=f"{brand_en} {name_en}", price=price,
            attributes={"weight": weight, "origin": orig, "origin_en": orig_en,
                        "shelf_life_days": str(days), "storage": st, "storage_en": st_en}))
    return out


def isbn13(body12):
    total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(body12))
    check = (10 - total % 10) % 10
    return f"{body12[:3]}-{body12[3]}-{body12[4:8]}-{body12[8:12]}-{check}"


def books():
    pubs = {
        "青岚": ("青岚出版社", "Qinglan Press", "5390"),
        "远山": ("远山文艺出版社", "Yuanshan Literature & Art Press", "5421"),
        "启明": ("启明科技出版社", "Qiming Science & Technology Press", "5687"),
        "橡树": ("小橡树童书", "Little Oak Children's Books", "5702"),
    }
    rows = [
        ("远山", "长河落日", "The Long River at Sunset", ("林远舟", "Lin Yuanzhou"), 59.8, 416, "平装", "2025-03"),
        ("远山", "雾港往事", "Tales of the Foggy Harbour", ("苏晚晴", "Su Wanqing"), 49.8, 384, "平装", "2024-09"),
        ("远山", "星际边缘（全三册）", "Edge of the Stars (3-volume set)", ("何天行", "He Tianxing"), 168,
         1280, "平装", "2025-11"),
        ("远山", "山海之间：一位地理学者的行走笔记",
         "Between Mountains and Seas: A Geographer's Walking Notes", ("陈之恒", "Chen Zhiheng"), 68,
         312, "精装", "2026-01"),
        ("启明", "现代 C++ 工程实践", "Modern C++ Engineering in Practice", ("周博文", "Zhou Bowen"), 129,
         656, "平装", "2026-04"),
        ("启明", "数据库系统设计与实现", "Designing and Implementing Database Systems",
         ("韩启明", "Han Qiming"), 119, 588, "平装", "2025-08"),
        ("启明", "机器学习入门：从线性回归到神经网络",
         "Machine Learning: From Linear Regression to Neural Networks", ("刘一鸣", "Liu Yiming"), 89,
         448, "平装", "2025-05"),
        ("启明", "中学数学思维训练", "Mathematical Thinking for Middle School", ("吴建国", "Wu Jianguo"),
         42, 328, "平装", "2026-06"),
        ("启明", "给孩子的天文课", "Astronomy Lessons for Kids", ("赵星野", "Zhao Xingye"), 45, 160,
         "平装", "2024-06"),
        ("橡树", "小狐狸的第一个冬天（精装绘本）", "Little Fox's First Winter (hardcover picture book)",
         ("叶青青", "Ye Qingqing"), 39.8, 40, "精装", "2025-10"),
        ("橡树", "恐龙去哪儿了", "Where Did the Dinosaurs Go?", ("马小川", "Ma Xiaochuan"), 42, 36,
         "精装", "2026-02"),
        ("青岚", "家常菜 300 例", "300 Home-style Recipes", ("王秀兰", "Wang Xiulan"), 39.8, 256, "平装",
         "2024-03"),
        ("青岚", "极简理财：普通人的财务自由之路", "Simple Money: A Path to Financial Freedom",
         ("孙明哲", "Sun Mingzhe"), 52, 272, "平装", "2025-01"),
        ("青岚", "宋代城市生活", "Urban Life in the Song Dynasty", ("钱思远", "Qian Siyuan"), 88, 520,
         "精装", "2024-11"),
        ("青岚", "高效沟通的 12 个习惯", "12 Habits of Effective Communication", ("郑若琳", "Zheng Ruolin"),
         49, 240, "平装", "2025-07"),
        ("青岚", "写给大家的心理学", "Psychology for Everyone", ("许静怡", "Xu Jingyi"), 56, 296, "平装",
         "2026-03"),
        ("青岚", "猫咪家庭医生手册", "The Cat Owner's Home Vet Handbook", ("高宁", "Gao Ning"), 58, 224,
         "平装", "2025-12"),
    ]
    out = []
    for i, (pk, title, title_en, (au, au_en), price, pages, binding, date) in enumerate(rows):
        pub, pub_en, code = pubs[pk]
        out.append(dict(
            brand=pub, name_zh=f"《{title}》", name_en=title_en, price=price,
            attributes={"author": au, "author_en": au_en, "publisher": pub, "publisher_en": pub_en,
                        "pages": str(pages), "binding": binding,
                        "binding_en": "Hardcover" if binding == "精装" else "Paperback",
                        "isbn": isbn13(f"9787{code}{3101 + i * 37:04d}"), "pub_date": date}))
    return out


def baby():
    rows = [
        ("小芽", "Xiaoya", "婴儿纸尿裤 M 码 64 片", "Baby Diapers Size M, 64 count", 119,
         ("M 码 × 64 片", "size M × 64"), ("6–11kg", "6–11 kg")),
        ("小芽", "Xiaoya", "婴儿纸尿裤 L 码 54 片", "Baby Diapers Size L, 54 count", 119,
         ("L 码 × 54 片", "size L × 54"), ("9–14kg", "9–14 kg")),
        ("小芽", "Xiaoya", "成长拉拉裤 XL 码 42 片", "Pull-up Pants Size XL, 42 count", 109,
         ("XL 码 × 42 片", "size XL × 42"), ("12–17kg", "12–17 kg")),
        ("小芽", "Xiaoya", "婴儿手口湿巾 80 抽×10 包", "Baby Hand & Mouth Wipes, 80 × 10 packs", 59,
         ("80 抽 × 10 包", "80 wipes × 10 packs"), ("0 岁以上", "0+ months")),
        ("小芽", "Xiaoya", "婴儿纯棉连体衣 73cm", "Baby Cotton Bodysuit 73 cm", 89,
         ("73cm / 浅杏色", "73 cm / light apricot"), ("3–6 个月", "3–6 months")),
        ("小芽", "Xiaoya", "婴儿纯棉连体衣 80cm", "Baby Cotton Bodysuit 80 cm", 89,
         ("80cm / 浅杏色", "80 cm / light apricot"), ("6–12 个月", "6–12 months")),
        ("暖宝", "Nuanbao", "较大婴儿配方奶粉 2 段 800g", "Follow-on Formula Stage 2, 800 g", 268,
         ("800g 罐装", "800 g tin"), ("6–12 个月", "6–12 months")),
        ("暖宝", "Nuanbao", "幼儿配方奶粉 3 段 800g", "Growing-up Formula Stage 3, 800 g", 248,
         ("800g 罐装", "800 g tin"), ("12–36 个月", "12–36 months")),
        ("暖宝", "Nuanbao", "宽口径 PPSU 奶瓶 240ml", "Wide-neck PPSU Baby Bottle 240 ml", 129,
         ("240ml / 含 M 号奶嘴", "240 ml / size M teat"), ("3 个月以上", "3+ months")),
        ("暖宝", "Nuanbao", "高铁婴儿米粉 250g", "Iron-fortified Baby Rice Cereal 250 g", 39,
         ("250g 罐装", "250 g tin"), ("6 个月以上", "6+ months")),
        ("暖宝", "Nuanbao", "恒温调奶器 1.2L", "Formula Kettle 1.2 L", 199, ("1.2L / 600W", "1.2 L / 600 W"),
         ("0 岁以上", "0+ months")),
        ("童趣", "Tongqu", "高景观双向婴儿推车", "High-view Reversible Baby Stroller", 1699,
         ("承重 25kg / 可坐可躺", "max load 25 kg / sit or lie flat"), ("0–3 岁", "0–3 years")),
        ("童趣", "Tongqu", "轻便折叠登机推车", "Lightweight Cabin-size Folding Stroller", 599,
         ("净重 5.8kg / 一键收车", "5.8 kg / one-hand fold"), ("6 个月–3 岁", "6 months–3 years")),
        ("童趣", "Tongqu", "ISOFIX 儿童安全座椅", "ISOFIX Child Car Seat", 1299,
         ("ISOFIX 接口 / 9–36kg", "ISOFIX / 9–36 kg"), ("9 个月–12 岁", "9 months–12 years")),
        ("童趣", "Tongqu", "多功能儿童餐椅", "Convertible Baby High Chair", 399,
         ("5 档高度调节", "5 height settings"), ("6 个月–6 岁", "6 months–6 years")),
        ("童趣", "Tongqu", "益智拼插积木 120 粒", "Building Blocks Set, 120 pcs", 159,
         ("120 粒 / 收纳桶装", "120 pcs / storage tub"), ("3 岁以上", "3+ years")),
        ("童趣", "Tongqu", "实木婴儿床（可拼接大床）", "Solid-wood Baby Cot (bedside)", 1599,
         ("120×65cm / 榉木", "120 × 65 cm / beech"), ("0–3 岁", "0–3 years")),
    ]
    out = []
    for brand, brand_en, name, name_en, price, (spec, spec_en), (age, age_en) in rows:
        out.append(dict(brand=brand, name_zh=f"{brand} {name}", name_en=f"{brand_en} {name_en}",
                        price=price, attributes={"spec": spec, "spec_en": spec_en,
                                                 "suitable_for": age, "suitable_for_en": age_en}))
    return out


def sports():
    rows = [
        ("跃动", "Yuedong", "TPE 双面瑜伽垫 6mm", "Reversible TPE Yoga Mat 6 mm", 129,
         ("薰衣草紫", "Lavender"), ("183×61cm / 6mm", "183 × 61 cm / 6 mm"), None),
        ("跃动", "Yuedong", "可调节哑铃 20kg（一对）", "Adjustable Dumbbells 20 kg (pair)", 499,
         ("黑色", "Black"), ("2×10kg，单只 2–10kg 可调", "2 × 10 kg, each adjustable 2–10 kg"), None),
        ("跃动", "Yuedong", "智能计数跳绳", "Smart Counting Jump Rope", 39, ("活力橙", "Vibrant Orange"),
         ("绳长 3m 可调", "3 m adjustable rope"), None),
        ("跃动", "Yuedong", "家用折叠跑步机", "Foldable Home Treadmill", 2599, ("深空灰", "Space Grey"),
         ("1–14km/h / 承重 120kg", "1–14 km/h / max 120 kg"), None),
        ("跃动", "Yuedong", "磁控静音动感单车", "Magnetic Quiet Spin Bike", 1899, ("黑红", "Black/Red"),
         ("32 档磁阻 / 承重 150kg", "32 resistance levels / max 150 kg"), None),
        ("跃动", "Yuedong", "弹力带 5 件套", "Resistance Band Set, 5 pcs", 59,
         ("彩虹色", "Multicolour"), ("5–25kg 五档", "5 levels, 5–25 kg"), None),
        ("跃动", "Yuedong", "运动护膝（一对）M 码", "Knee Support Sleeves (pair), size M", 89,
         ("黑色", "Black"), ("膝围 33–38cm", "knee 33–38 cm"), "M"),
        ("峰野", "Fengye", "40L 轻量登山背包", "40 L Lightweight Hiking Backpack", 459,
         ("森林绿", "Forest Green"), ("40L / 1.1kg", "40 L / 1.1 kg"), None),
        ("峰野", "Fengye", "双人速开帐篷", "2-person Instant Tent", 699, ("沙色", "Sand"),
         ("210×150×120cm / PU3000 防雨", "210 × 150 × 120 cm / PU3000 waterproof"), None),
        ("峰野", "Fengye", "碳素折叠登山杖（一对）", "Carbon Folding Trekking Poles (pair)", 299,
         ("黑色", "Black"), ("110–130cm / 单支 210g", "110–130 cm / 210 g each"), None),
        ("峰野", "Fengye", "Tritan 运动水壶 750ml", "Tritan Sports Bottle 750 ml", 69,
         ("冰川蓝", "Glacier Blue"), ("750ml", "750 ml"), None),
        ("峰野", "Fengye", "男士速干短袖T恤 L", "Men's Quick-dry T-shirt, L", 99, ("藏青", "Navy"),
         ("速干面料", "quick-dry fabric"), "L"),
        ("逐风", "Zhufeng", "全碳素羽毛球拍 4U", "Full-carbon Badminton Racket 4U", 399,
         ("白金", "White Gold"), ("4U 约 83g / 建议拉力 24–28 磅", "4U approx. 83 g / 24–28 lbs"), None),
        ("逐风", "Zhufeng", "室内外通用 7 号篮球", "Indoor/Outdoor Basketball, Size 7", 169,
         ("经典橙", "Classic Orange"), ("7 号 / PU 材质", "size 7 / PU"), None),
        ("逐风", "Zhufeng", "5 号机缝足球", "Machine-stitched Football, Size 5", 149,
         ("白黑", "White/Black"), ("5 号 / TPU 材质", "size 5 / TPU"), None),
        ("逐风", "Zhufeng", "乒乓球拍双拍套装", "Table Tennis Set (2 bats + 3 balls)", 129,
         ("红黑", "Red/Black"), ("横拍 ×2 + 球 ×3", "2 shakehand bats + 3 balls"), None),
        ("逐风", "Zhufeng", "高清防雾泳镜", "Anti-fog HD Swimming Goggles", 79, ("透明蓝", "Clear Blue"),
         ("平光 / 可调鼻梁", "non-prescription / adjustable nose bridge"), None),
    ]
    out = []
    for brand, brand_en, name, name_en, price, (col, col_en), (spec, spec_en), size in rows:
        attrs = {"colour": col, "colour_en": col_en, "spec": spec, "spec_en": spec_en}
        if size:
            attrs["size"] = size
        out.append(dict(brand=brand, name_zh=f"{brand} {name}", name_en=f"{brand_en} {name_en}",
                        price=price, attributes=attrs))
    return out


CATALOGUE = {"phones": phones, "earphones": earphones, "shoes": shoes, "clothing": clothing,
             "cosmetics": cosmetics, "home_appliances": home_appliances, "food": food,
             "books": books, "baby": baby, "sports": sports}


def gen_products(rng):
    products = []
    for cat in CATEGORIES:
        rows = CATALOGUE[cat]()
        zero = rng.randrange(len(rows))  # one sold-out item per category at least
        for i, row in enumerate(rows):
            if cat == "phones" and i == 0:
                stock = 120
            elif i == zero or rng.random() < 0.04:
                stock = 0
            elif row["price"] >= 1000:
                stock = rng.randint(3, 80)
            else:
                stock = rng.randint(15, 600)
            products.append({
                "id": len(products) + 1,
                "sku": f"{SKU_PREFIX[cat]}-{i + 1:04d}",
                "category": cat,
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "brand": row["brand"],
                "price_cents": cents(row["price"]),
                "attributes": row["attributes"],
                "stock": stock,
            })
    return products


# --------------------------------------------------------------------------------------------
# Geography: cities (with rough coordinates for transit times), districts, streets.
# --------------------------------------------------------------------------------------------

REMOTE_PROVINCES = ["新疆", "西藏", "青海", "宁夏", "甘肃", "内蒙古"]


def C(zh, en, prov, prov_en, region, lat, lon, weight, districts):
    return {"zh": zh, "en": en, "prov": prov, "prov_en": prov_en, "region": region, "lat": lat,
            "lon": lon, "weight": weight, "districts": districts,
            "remote": any(prov.startswith(p) for p in REMOTE_PROVINCES)}


CITIES = [
    C("上海", "Shanghai", "", "", "east", 31.23, 121.47, 9, [
        ("浦东新区", "Pudong New Area", [("张杨路", "Zhangyang Rd"), ("世纪大道", "Century Ave"),
                                        ("碧波路", "Bibo Rd")]),
        ("徐汇区", "Xuhui District", [("漕溪北路", "North Caoxi Rd"), ("天钥桥路", "Tianyaoqiao Rd")]),
        ("静安区", "Jing'an District", [("江宁路", "Jiangning Rd"), ("南京西路", "West Nanjing Rd")]),
        ("闵行区", "Minhang District", [("七莘路", "Qixin Rd")])]),
    C("北京", "Beijing", "", "", "north", 39.90, 116.40, 8, [
        ("朝阳区", "Chaoyang District", [("望京街", "Wangjing St"), ("建国路", "Jianguo Rd")]),
        ("海淀区", "Haidian District", [("中关村大街", "Zhongguancun St"), ("学院路", "Xueyuan Rd")]),
        ("东城区", "Dongcheng District", [("东四北大街", "North Dongsi St")]),
        ("丰台区", "Fengtai District", [("丰台北路", "North Fengtai Rd")])]),
    C("天津", "Tianjin", "", "", "north", 39.13, 117.20, 3, [
        ("南开区", "Nankai District", [("鞍山西道", "West Anshan Rd")]),
        ("河西区", "Hexi District", [("友谊路", "Youyi Rd")])]),
    C("重庆", "Chongqing", "", "", "west", 29.56, 106.55, 4, [
        ("渝北区", "Yubei District", [("龙溪路", "Longxi Rd")]),
        ("江北区", "Jiangbei District", [("建新北路", "North Jianxin Rd")])]),
    C("杭州", "Hangzhou", "浙江省", "Zhejiang", "east", 30.27, 120.15, 6, [
        ("西湖区", "Xihu District", [("文三路", "Wensan Rd"), ("天目山路", "Tianmushan Rd")]),
        ("滨江区", "Binjiang District", [("江南大道", "Jiangnan Ave")]),
        ("余杭区", "Yuhang District", [("文一西路", "West Wenyi Rd")])]),
    C("宁波", "Ningbo", "浙江省", "Zhejiang", "east", 29.87, 121.55, 2, [
        ("鄞州区", "Yinzhou District", [("天童南路", "South Tiantong Rd")]),
        ("海曙区", "Haishu District", [("中山西路", "West Zhongshan Rd")])]),
    C("南京", "Nanjing", "江苏省", "Jiangsu", "east", 32.06, 118.80, 4, [
        ("鼓楼区", "Gulou District", [("中山北路", "North Zhongshan Rd")]),
        ("建邺区", "Jianye District", [("江东中路", "Middle Jiangdong Rd")])]),
    C("苏州", "Suzhou", "江苏省", "Jiangsu", "east", 31.30, 120.62, 4, [
        ("工业园区", "Suzhou Industrial Park", [("星湖街", "Xinghu St"), ("现代大道", "Xiandai Ave")]),
        ("姑苏区", "Gusu District", [("人民路", "Renmin Rd")])]),
    C("合肥", "Hefei", "安徽省", "Anhui", "east", 31.82, 117.23, 2, [
        ("蜀山区", "Shushan District", [("长江西路", "West Changjiang Rd")]),
        ("包河区", "Baohe District", [("马鞍山路", "Ma'anshan Rd")])]),
    C("福州", "Fuzhou", "福建省", "Fujian", "east", 26.07, 119.30, 2, [
        ("鼓楼区", "Gulou District", [("五四路", "Wusi Rd")]),
        ("仓山区", "Cangshan District", [("浦上大道", "Pushang Ave")])]),
    C("厦门", "Xiamen", "福建省", "Fujian", "east", 24.48, 118.09, 2, [
        ("思明区", "Siming District", [("湖滨南路", "South Hubin Rd")]),
        ("湖里区", "Huli District", [("吕岭路", "Lyuling Rd")])]),
    C("广州", "Guangzhou", "广东省", "Guangdong", "south", 23.13, 113.26, 7, [
        ("天河区", "Tianhe District", [("天河路", "Tianhe Rd"), ("体育西路", "West Tiyu Rd")]),
        ("海珠区", "Haizhu District", [("新港中路", "Middle Xingang Rd")]),
        ("越秀区", "Yuexiu District", [("环市东路", "East Huanshi Rd")])]),
    C("深圳", "Shenzhen", "广东省", "Guangdong", "south", 22.54, 114.06, 7, [
        ("南山区", "Nanshan District", [("科苑路", "Keyuan Rd"), ("南海大道", "Nanhai Ave")]),
        ("福田区", "Futian District", [("福华三路", "Fuhua 3rd Rd")]),
        ("宝安区", "Bao'an District", [("宝安大道", "Bao'an Ave")])]),
    C("东莞", "Dongguan", "广东省", "Guangdong", "south", 23.02, 113.75, 2, [
        ("南城街道", "Nancheng Subdistrict", [("鸿福路", "Hongfu Rd")]),
        ("东城街道", "Dongcheng Subdistrict", [("东纵大道", "Dongzong Ave")])]),
    C("南宁", "Nanning", "广西壮族自治区", "Guangxi", "south", 22.82, 108.37, 2, [
        ("青秀区", "Qingxiu District", [("民族大道", "Minzu Ave")]),
        ("西乡塘区", "Xixiangtang District", [("大学东路", "East Daxue Rd")])]),
    C("海口", "Haikou", "海南省", "Hainan", "south", 20.04, 110.32, 1, [
        ("龙华区", "Longhua District", [("国贸大道", "Guomao Ave")]),
        ("美兰区", "Meilan District", [("海府路", "Haifu Rd")])]),
    C("成都", "Chengdu", "四川省", "Sichuan", "west", 30.57, 104.07, 6, [
        ("武侯区", "Wuhou District", [("科华北路", "North Kehua Rd")]),
        ("高新区", "High-tech Zone", [("天府大道", "Tianfu Ave")]),
        ("锦江区", "Jinjiang District", [("东大街", "Dongda St")])]),
    C("昆明", "Kunming", "云南省", "Yunnan", "west", 25.04, 102.71, 2, [
        ("五华区", "Wuhua District", [("东风西路", "West Dongfeng Rd")]),
        ("盘龙区", "Panlong District", [("北京路", "Beijing Rd")])]),
    C("贵阳", "Guiyang", "贵州省", "Guizhou", "west", 26.65, 106.63, 1, [
        ("云岩区", "Yunyan District", [("中华北路", "North Zhonghua Rd")]),
        ("观山湖区", "Guanshanhu District", [("林城西路", "West Lincheng Rd")])]),
    C("拉萨", "Lhasa", "西藏自治区", "Tibet", "west", 29.65, 91.13, 1, [
        ("城关区", "Chengguan District", [("北京中路", "Middle Beijing Rd")]),
        ("堆龙德庆区", "Doilungdeqen District", [("青藏大道", "Qingzang Ave")])]),
    C("武汉", "Wuhan", "湖北省", "Hubei", "central", 30.59, 114.31, 5, [
        ("洪山区", "Hongshan District", [("珞喻路", "Luoyu Rd")]),
        ("江汉区", "Jianghan District", [("解放大道", "Jiefang Ave")])]),
    C("长沙", "Changsha", "湖南省", "Hunan", "central", 28.23, 112.94, 3, [
        ("岳麓区", "Yuelu District", [("麓山南路", "South Lushan Rd")]),
        ("天心区", "Tianxin District", [("书院路", "Shuyuan Rd")])]),
    C("郑州", "Zhengzhou", "河南省", "Henan", "central", 34.75, 113.63, 3, [
        ("金水区", "Jinshui District", [("花园路", "Huayuan Rd")]),
        ("郑东新区", "Zhengdong New District", [("商务外环路", "Shangwu Outer Ring Rd")])]),
    C("南昌", "Nanchang", "江西省", "Jiangxi", "central", 28.68, 115.86, 2, [
        ("红谷滩区", "Honggutan District", [("丰和中大道", "Middle Fenghe Ave")]),
        ("东湖区", "Donghu District", [("八一大道", "Bayi Ave")])]),
    C("西安", "Xi'an", "陕西省", "Shaanxi", "northwest", 34.34, 108.94, 3, [
        ("雁塔区", "Yanta District", [("小寨东路", "East Xiaozhai Rd")]),
        ("碑林区", "Beilin District", [("友谊西路", "West Youyi Rd")])]),
    C("兰州", "Lanzhou", "甘肃省", "Gansu", "northwest", 36.06, 103.83, 1, [
        ("城关区", "Chengguan District", [("东岗西路", "West Donggang Rd")]),
        ("七里河区", "Qilihe District", [("西津东路", "East Xijin Rd")])]),
    C("西宁", "Xining", "青海省", "Qinghai", "northwest", 36.62, 101.78, 1, [
        ("城西区", "Chengxi District", [("五四大街", "Wusi St")]),
        ("城东区", "Chengdong District", [("八一路", "Bayi Rd")])]),
    C("银川", "Yinchuan", "宁夏回族自治区", "Ningxia", "northwest", 38.49, 106.23, 1, [
        ("金凤区", "Jinfeng District", [("北京中路", "Middle Beijing Rd")]),
        ("兴庆区", "Xingqing District", [("解放西街", "West Jiefang St")])]),
    C("乌鲁木齐", "Urumqi", "新疆维吾尔自治区", "Xinjiang", "northwest", 43.83, 87.62, 1, [
        ("天山区", "Tianshan District", [("解放南路", "South Jiefang Rd")]),
        ("沙依巴克区", "Saybag District", [("友好北路", "North Youhao Rd")])]),
    C("呼和浩特", "Hohhot", "内蒙古自治区", "Inner Mongolia", "north", 40.84, 111.75, 1, [
        ("赛罕区", "Saihan District", [("大学西街", "West Daxue St")]),
        ("新城区", "Xincheng District", [("新华大街", "Xinhua St")])]),
    C("济南", "Jinan", "山东省", "Shandong", "north", 36.65, 117.12, 2, [
        ("历下区", "Lixia District", [("泉城路", "Quancheng Rd")]),
        ("市中区", "Shizhong District", [("经十路", "Jingshi Rd")])]),
    C("青岛", "Qingdao", "山东省", "Shandong", "north", 36.07, 120.38, 2, [
        ("市南区", "Shinan District", [("香港中路", "Middle Hong Kong Rd")]),
        ("崂山区", "Laoshan District", [("松岭路", "Songling Rd")])]),
    C("石家庄", "Shijiazhuang", "河北省", "Hebei", "north", 38.04, 114.51, 2, [
        ("长安区", "Chang'an District", [("中山东路", "East Zhongshan Rd")]),
        ("裕华区", "Yuhua District", [("槐安东路", "East Huai'an Rd")])]),
    C("太原", "Taiyuan", "山西省", "Shanxi", "north", 37.87, 112.55, 1, [
        ("小店区", "Xiaodian District", [("长治路", "Changzhi Rd")]),
        ("迎泽区", "Yingze District", [("迎泽大街", "Yingze St")])]),
    C("沈阳", "Shenyang", "辽宁省", "Liaoning", "north", 41.81, 123.43, 2, [
        ("和平区", "Heping District", [("南京北街", "North Nanjing St")]),
        ("浑南区", "Hunnan District", [("浑南中路", "Middle Hunnan Rd")])]),
    C("大连", "Dalian", "辽宁省", "Liaoning", "north", 38.91, 121.61, 2, [
        ("沙河口区", "Shahekou District", [("西安路", "Xi'an Rd")]),
        ("中山区", "Zhongshan District", [("人民路", "Renmin Rd")])]),
    C("长春", "Changchun", "吉林省", "Jilin", "north", 43.82, 125.32, 1, [
        ("朝阳区", "Chaoyang District", [("西安大路", "Xi'an Ave")]),
        ("南关区", "Nanguan District", [("人民大街", "Renmin St")])]),
    C("哈尔滨", "Harbin", "黑龙江省", "Heilongjiang", "north", 45.80, 126.53, 1, [
        ("南岗区", "Nangang District", [("西大直街", "West Dazhi St")]),
        ("道里区", "Daoli District", [("中央大街", "Zhongyang St")])]),
]
CITY = {c["zh"]: c for c in CITIES}
# The shop's warehouses (policies/*/shipping.md).
WAREHOUSES = ["杭州", "广州", "北京", "武汉", "成都", "西安"]
# The warehouse that serves each province (policies/*/shipping.md: 发货仓库).
HOME_WAREHOUSE = {
    "杭州": ["上海", "浙江", "江苏", "安徽", "福州"],
    "广州": ["广东", "广西", "海南", "厦门"],
    "北京": ["北京", "天津", "河北", "山西", "山东", "内蒙古", "辽宁", "吉林", "黑龙江"],
    "武汉": ["湖北", "湖南", "河南", "江西"],
    "成都": ["四川", "重庆", "云南", "贵州", "西藏"],
    "西安": ["陕西", "甘肃", "青海", "宁夏", "新疆"],
}
# Sorting hubs a long-haul parcel may pass through.
TRANSIT_HUBS = ["郑州", "武汉", "南京", "长沙", "西安", "石家庄", "兰州", "重庆", "济南", "南昌", "合肥",
                "沈阳"]

COMPOUNDS = [("阳光花园", "Sunshine Garden"), ("锦绣华庭", "Jinxiu Huating"), ("翠湖苑", "Cuihu Garden"),
             ("金色家园", "Golden Home"), ("紫薇公寓", "Ziwei Apartments"), ("绿洲新城", "Oasis New Town"),
             ("东方名苑", "Dongfang Mingyuan"), ("滨江花城", "Riverside Garden City"),
             ("枫林湾", "Maple Bay"), ("书香苑", "Shuxiang Garden"), ("和园", "He Garden"),
             ("春晓小区", "Chunxiao Estate")]
TOWERS = [("汇智大厦", "Huizhi Tower"), ("恒信广场", "Hengxin Plaza"), ("科创中心", "Innovation Centre"),
          ("国际金融大厦", "International Finance Tower"), ("星海商务楼", "Xinghai Business Building"),
          ("云峰中心", "Yunfeng Centre")]


def km(a, b):
    """Rough road distance between two cities (great circle × 1.25)."""
    la1, lo1, la2, lo2 = map(math.radians, (a["lat"], a["lon"], b["lat"], b["lon"]))
    d = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 1.25 * 2 * 6371 * math.asin(math.sqrt(d))


def make_address(rng, city, lang, style=None):
    """Returns (address, district_zh, district_en) for a random place in `city`."""
    dist, dist_en, streets = rng.choice(city["districts"])
    street, street_en = rng.choice(streets)
    no = rng.randint(1, 999)
    style = style or rng.choices(["plain", "compound", "office"], [4, 5, 1])[0]
    bldg = rng.randint(1, 28)
    floor = rng.randint(2, 32)
    room = f"{floor}{rng.randint(1, 6):02d}"
    city_full = city["zh"] + "市"
    if lang == "zh":
        prefix = f"{city['prov']}{city_full}{dist}{street} {no} 号"
        if style == "plain":
            addr = f"{prefix} {bldg} 栋 {room} 室"
        elif style == "compound":
            comp = rng.choice(COMPOUNDS)[0]
            addr = f"{prefix}{comp} {bldg} 栋 {rng.randint(1, 4)} 单元 {room} 室"
        else:
            tower = rng.choice(TOWERS)[0]
            addr = f"{prefix}{tower} {floor} 层 {room} 室"
    else:
        tail = f"{no} {street_en}, {dist_en}, {city['en']}"
        if city["prov_en"]:
            tail += f", {city['prov_en']}"
        if style == "plain":
            addr = f"Room {room}, Bldg {bldg}, {tail}"
        elif style == "compound":
            comp = rng.choice(COMPOUNDS)[1]
            addr = f"Apt {room}, Unit {rng.randint(1, 4)}, Bldg {bldg}, {comp}, {tail}"
        else:
            tower = rng.choice(TOWERS)[1]
            addr = f"Room {room}, Floor {floor}, {tower}, {tail}"
    return addr, dist, dist_en


# --------------------------------------------------------------------------------------------
# People.
# --------------------------------------------------------------------------------------------

SURNAMES = [("张", "zhang"), ("王", "wang"), ("李", "li"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
            ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
            ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("林", "lin"),
            ("罗", "luo"), ("高", "gao"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
            ("唐", "tang"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"), ("彭", "peng"),
            ("曾", "zeng"), ("田", "tian"), ("董", "dong"), ("潘", "pan"), ("袁", "yuan"), ("蒋", "jiang"),
            ("蔡", "cai"), ("余", "yu"), ("杜", "du"), ("叶", "ye"), ("程", "cheng"), ("魏", "wei"),
            ("苏", "su"), ("吕", "lyu"), ("丁", "ding"), ("沈", "shen")]
GIVEN = [("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
         ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
         ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀英", "xiuying"),
         ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("桂英", "guiying"), ("文博", "wenbo"),
         ("子涵", "zihan"), ("欣怡", "xinyi"), ("浩然", "haoran"), ("雨桐", "yutong"), ("俊杰", "junjie"),
         ("思远", "siyuan"), ("梓萱", "zixuan"), ("宇航", "yuhang"), ("佳琪", "jiaqi"), ("晓东", "xiaodong"),
         ("海燕", "haiyan"), ("建华", "jianhua"), ("丽娟", "lijuan"), ("志强", "zhiqiang"),
         ("春梅", "chunmei"), ("一鸣", "yiming"), ("诗涵", "shihan"), ("嘉怡", "jiayi"), ("天宇", "tianyu"),
         ("梦瑶", "mengyao"), ("晨曦", "chenxi"), ("博", "bo"), ("颖", "ying"), ("慧", "hui"), ("鹏", "peng"),
         ("婷", "ting"), ("倩", "qian"), ("亮", "liang"), ("雪", "xue"), ("凯", "kai"), ("琳", "lin")]
EN_FIRST = ["James", "Emma", "Oliver", "Sophie", "Daniel", "Olivia", "Lucas", "Charlotte", "Michael",
            "Hannah", "Thomas", "Chloe", "David", "Laura", "Benjamin", "Anna", "Matthew", "Julia",
            "Ethan", "Grace"]
EN_LAST = ["Miller", "Thompson", "Walker", "Schmidt", "Dubois", "Rossi", "Johnson", "Brown",
           "Wilson", "Taylor", "Anderson", "Martin", "Clarke", "Fischer", "Moreau", "Novak",
           "O'Brien", "Garcia", "Silva", "Bennett"]
EN_CITIES = ["上海", "上海", "上海", "上海", "北京", "北京", "北京", "深圳", "深圳", "广州", "苏州", "杭州", "成都"]
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
                   "153", "155", "156", "157", "158", "159", "166", "176", "177", "178", "180", "181",
                   "182", "183", "185", "186", "187", "188", "189", "191", "193", "195", "198", "199"]


class Phones:
    def __init__(self, rng):
        self.rng, self.used = rng, set()

    def new(self):
        while True:
            p = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randint(0, 99999999):08d}"
            if p not in self.used:
                self.used.add(p)
                return p


def zh_name(rng, used, surname=None):
    while True:
        s, s_py = surname or rng.choice(SURNAMES)
        g, g_py = rng.choice(GIVEN)
        if s + g not in used:
            used.add(s + g)
            return s + g, s_py, g_py


def gen_customers(rng, phones):
    n_zh, n_en = 72, len(EN_CITIES)
    # Every city gets a customer, the rest go to cities by size.
    cities = [c["zh"] for c in CITIES]
    weighted = rng.choices([c["zh"] for c in CITIES], [c["weight"] for c in CITIES],
                           k=n_zh - len(cities))
    zh_cities = cities + weighted
    rng.shuffle(zh_cities)
    en_cities = list(EN_CITIES)
    langs = ["zh"] * n_zh + ["en"] * n_en
    rng.shuffle(langs)
    used_names, used_emails = set(), set()
    customers = []
    for i, lang in enumerate(langs):
        if lang == "zh":
            city = CITY[zh_cities.pop()]
            name, s_py, g_py = zh_name(rng, used_names)
            local = rng.choice([f"{s_py}{g_py}", f"{g_py}.{s_py}", f"{s_py}{g_py}{rng.randint(1, 99)}",
                                f"{s_py}.{g_py}{rng.randint(80, 99)}"])
            domain = rng.choices(["example.com", "example.cn"], [3, 2])[0]
        else:
            city = CITY[en_cities.pop(rng.randrange(len(en_cities)))]
            while True:
                first, last = rng.choice(EN_FIRST), rng.choice(EN_LAST)
                if f"{first} {last}" not in used_names:
                    break
            name = f"{first} {last}"
            used_names.add(name)
            local = rng.choice([f"{first}.{last}", f"{first[0]}{last}", f"{first}{rng.randint(1, 99)}"])
            local = local.lower().replace("'", "")
            domain = "example.com"
        email = f"{local}@{domain}"
        while email in used_emails:
            email = f"{local}{rng.randint(1, 9)}@{domain}"
        used_emails.add(email)
        addr, dist, dist_en = make_address(rng, city, lang)
        customers.append({
            "id": i + 1, "name": name, "phone": phones.new(), "email": email, "address": addr,
            "city": city["zh"], "lang": lang,
            "_city": city, "_district": (dist, dist_en),
        })
    return customers


# --------------------------------------------------------------------------------------------
# Orders.
# --------------------------------------------------------------------------------------------

CARRIERS = {
    "sf": {"zh": "顺丰速运", "en": "SF Express", "hub": ("中转场", "Transit Centre"),
           "station": ("营业点", "Service Point")},
    "jd": {"zh": "京东物流", "en": "JD Logistics", "hub": ("分拣中心", "Sorting Centre"),
           "station": ("配送站", "Delivery Station")},
    "zto": {"zh": "中通快递", "en": "ZTO Express", "hub": ("转运中心", "Hub"),
            "station": ("分部", "Branch")},
    "yto": {"zh": "圆通速递", "en": "YTO Express", "hub": ("转运中心", "Hub"),
            "station": ("网点", "Outlet")},
    "ems": {"zh": "EMS", "en": "EMS", "hub": ("邮件处理中心", "Mail Processing Centre"),
            "station": ("揽投部", "Delivery Office")},
}
SIGNED = [("本人签收", "signed for by the recipient"), ("家人代收", "signed for by a family member"),
          ("前台代收", "received at the front desk"), ("快递柜代收", "left in a parcel locker"),
          ("社区驿站代收", "left at the community parcel station"), ("门卫代收", "received by the building guard")]

NO_REASON = {
    "_": [("不想要了", "Changed my mind"), ("拍错了/多拍了", "Ordered by mistake"),
          ("与预期不符", "Not what I expected")],
    "shoes": [("尺码不合适", "Wrong size"), ("颜色与图片有差异", "Colour differs from the photos"),
              ("穿着不舒服", "Not comfortable")],
    "clothing": [("尺码不合适", "Wrong size"), ("颜色与图片有差异", "Colour differs from the photos"),
                 ("版型不合适", "Doesn't fit well")],
    "phones": [("未拆封，不想要了", "Unopened, no longer needed"), ("未激活，买错了版本", "Not activated, bought the wrong version")],
    "cosmetics": [("未拆封，买多了", "Unopened, bought too many"), ("未拆封，色号选错了", "Unopened, wrong shade")],
    "baby": [("未拆封，买多了", "Unopened, bought too many"), ("尺码买错了", "Bought the wrong size")],
}
QUALITY = {
    "phones": [("屏幕有坏点", "Dead pixels on the screen"), ("无法开机", "Won't power on"),
               ("充电异常，无法充电", "Won't charge"), ("摄像头无法对焦", "Camera won't focus")],
    "earphones": [("单边没有声音", "No sound on one side"), ("有电流杂音", "Crackling noise"),
                  ("外壳破损", "Casing damaged on arrival")],
    "shoes": [("鞋底开胶", "Sole is coming unglued"), ("两只鞋尺码不一致", "The two shoes are different sizes"),
              ("鞋面有划痕和污渍", "Scuffs and stains on the upper")],
    "clothing": [("衣服有破洞", "Hole in the fabric"), ("衣服开线", "Seams coming apart"),
                 ("有明显污渍", "Visible stains"), ("洗后严重褪色", "Colour runs badly after washing")],
    "cosmetics": [("包装破损，产品漏液", "Packaging broken, product leaking"),
                  ("收到临期产品", "Received a product close to expiry"), ("产品有异味", "Product smells off")],
    "home_appliances": [("无法通电", "Won't power on"), ("运行噪音异常", "Abnormal noise when running"),
                        ("外壳破损", "Casing damaged on arrival")],
    "food": [("商品变质", "Product spoiled"), ("包装破损", "Packaging damaged"),
             ("临近保质期", "Close to the best-before date")],
    "books": [("缺页/印刷错误", "Missing pages / printing errors"), ("书角严重破损", "Badly damaged corners"),
              ("装订脱胶", "Binding coming apart")],
    "baby": [("商品破损", "Damaged on arrival"), ("配件缺失", "Parts missing"), ("包装破损", "Packaging damaged")],
    "sports": [("商品破损", "Damaged on arrival"), ("配件缺失", "Parts missing"),
               ("做工瑕疵", "Manufacturing defect")],
}
# Categories a shopper picks from, by how often.
CATEGORY_WEIGHTS = {"phones": 5, "earphones": 8, "shoes": 10, "clothing": 14, "cosmetics": 12,
                    "home_appliances": 8, "food": 16, "books": 9, "baby": 9, "sports": 9}


def fmt(t):
    return None if t is None else t.isoformat(timespec="seconds")


def hours(rng, a, b):
    return timedelta(seconds=int(rng.uniform(a, b) * 3600))


def minutes(rng, a, b):
    return timedelta(seconds=int(rng.uniform(a, b) * 60))


def day_start(t):
    return t.replace(hour=0, minute=0, second=0, microsecond=0)


def align(rng, t, start_h, end_h, jitter_h=1.5):
    """Moves t into the daily window [start_h, end_h) (local time), keeping it when inside."""
    hr = t.hour + t.minute / 60
    if hr < start_h:
        return day_start(t) + timedelta(hours=start_h) + hours(rng, 0, jitter_h)
    if hr >= end_h:
        return day_start(t) + timedelta(days=1, hours=start_h) + hours(rng, 0, jitter_h)
    return t


def random_time(rng, lo, hi):
    """A time in [lo, hi], fewer in the small hours."""
    span = int((hi - lo).total_seconds())
    while True:
        t = lo + timedelta(seconds=rng.randint(0, span))
        if 1 <= t.hour < 8 and rng.random() < 0.8:
            continue
        return t


def new_tracking(rng, carrier, used):
    while True:
        if carrier == "sf":
            n = f"SF1{rng.randint(0, 10**12 - 1):012d}"
        elif carrier == "jd":
            n = f"JDV0{rng.randint(10**10, 10**11 - 1)}"
        elif carrier == "zto":
            n = f"7{rng.choice('358')}{rng.randint(0, 10**13 - 1):013d}"
        elif carrier == "yto":
            n = f"YT{rng.randint(10**12, 10**13 - 1)}"
        elif rng.random() < 0.5:
            n = f"E{rng.randint(10**8, 10**9 - 1)}CN"
        else:
            n = f"11{rng.randint(10**10, 10**11 - 1)}"
        if n not in used:
            used.add(n)
            return n


def loc(city):
    return city["zh"] + "市", city["en"]


def route(rng, carrier, wh, dest, district, t0):
    """The full delivery route of a parcel picked up at t0: a list of event dicts."""
    c = CARRIERS[carrier]
    hub = lambda city: (city["zh"] + c["hub"][0], f"{city['en']} {c['hub'][1]}")
    station = (district[0] + c["station"][0], f"{district[1]} {c['station'][1]}")
    name = f" {c['zh']} " if c["zh"].isascii() else c["zh"]  # 感谢使用 EMS，期待…
    events = []

    def add(t, status, city, zh, en):
        lz, le = loc(city)
        events.append({"time": t, "status": status, "location_zh": lz, "location_en": le,
                       "description_zh": zh, "description_en": en})

    add(t0, "picked_up", wh, f"商家已发货，{name.lstrip()}已从【{wh['zh']}仓】揽收快件",
        f"Shipped by the seller; {c['en']} picked up the parcel at the {wh['en']} warehouse")
    t = t0 + hours(rng, 1.5, 4)
    if wh is dest:
        add(t, "in_transit", wh, f"快件已由【{hub(wh)[0]}】发出，下一站【{station[0]}】",
            f"Departed {hub(wh)[1]}, next stop {station[1]}")
        t += hours(rng, 1.5, 4)
        add(t, "arrived", dest, f"快件已到达【{station[0]}】，准备派送",
            f"Arrived at {station[1]}, preparing for delivery")
    else:
        dist = km(wh, dest)
        fast = carrier == "sf"
        transit = (2 + dist / (110 if fast and dist > 600 else 65)) * rng.uniform(0.85, 1.25)
        if dest["remote"]:
            transit += rng.uniform(16, 30) if fast else rng.uniform(30, 60)
        far = dist > 800
        if far:
            cands = [CITY[h] for h in TRANSIT_HUBS if h not in (wh["zh"], dest["zh"])]
            mid = min(cands, key=lambda h: (km(wh, h) + km(h, dest), h["zh"]))
            share = km(wh, mid) / (km(wh, mid) + km(mid, dest))
            add(t, "in_transit", wh, f"快件已由【{hub(wh)[0]}】发出，下一站【{hub(mid)[0]}】",
                f"Departed {hub(wh)[1]}, next stop {hub(mid)[1]}")
            t += timedelta(hours=transit * share)
            add(t, "arrived", mid, f"快件已到达【{hub(mid)[0]}】", f"Arrived at {hub(mid)[1]}")
            t += hours(rng, 1, 3)
            add(t, "in_transit", mid, f"快件已由【{hub(mid)[0]}】发出，下一站【{hub(dest)[0]}】",
                f"Departed {hub(mid)[1]}, next stop {hub(dest)[1]}")
            t += timedelta(hours=transit * (1 - share))
        else:
            add(t, "in_transit", wh, f"快件已由【{hub(wh)[0]}】发出，下一站【{hub(dest)[0]}】",
                f"Departed {hub(wh)[1]}, next stop {hub(dest)[1]}")
            t += timedelta(hours=transit)
        t = t.replace(microsecond=0)
        add(t, "arrived", dest, f"快件已到达【{hub(dest)[0]}】", f"Arrived at {hub(dest)[1]}")
        t += hours(rng, 1, 4)
        add(t, "in_transit", dest, f"快件已由【{hub(dest)[0]}】发出，下一站【{station[0]}】",
            f"Departed {hub(dest)[1]}, next stop {station[1]}")
        if not far:
            t += hours(rng, 1.5, 4)
            add(t, "arrived", dest, f"快件已到达【{station[0]}】，准备派送",
                f"Arrived at {station[1]}, preparing for delivery")
    t = align(rng, t + hours(rng, 0.5, 2), 7.5, 17, 2.0)
    s_zh, s_py = rng.choice(SURNAMES)
    add(t, "out_for_delivery", dest, f"【{station[0]}】快递员{s_zh}师傅正在为您派件，请保持电话畅通",
        f"Out for delivery from {station[1]} (courier: {s_py.capitalize()}); please keep your phone on")
    room = 20.5 - (t.hour + t.minute / 60)
    t += hours(rng, 0.3, max(0.5, min(5.0, room)))
    sz, se = rng.choices(SIGNED, [6, 2, 2, 3, 3, 1])[0]
    add(t, "delivered", dest, f"快件已签收（{sz}）。感谢使用{name.rstrip()}，期待再次为您服务",
        f"Delivered, {se}. Thank you for choosing {c['en']}")
    return events


def refund_delay(rng, method):
    a, b = REFUND_DELAY_H[method]
    return hours(rng, a, b)


def pay_delay(rng):
    if rng.random() < 0.9:
        return timedelta(seconds=rng.randint(15, 8 * 60))
    return timedelta(seconds=rng.randint(8 * 60, 28 * 60))


def ship_time(rng, paid):
    while True:
        t = align(rng, paid + (hours(rng, 1, 12) if rng.random() < 0.7 else hours(rng, 12, 40)), 9, 21)
        if t - paid <= DISPATCH_LIMIT - timedelta(hours=1):
            return t


def pick_items(rng, products, avoid_sold_out):
    cats = list(CATEGORY_WEIGHTS)
    n = rng.choices([1, 2, 3, 4], [60, 25, 10, 5])[0]
    by_cat = {c: [p for p in products if p["category"] == c and (p["stock"] > 0 or not avoid_sold_out)]
              for c in cats}
    first = rng.choices(cats, [CATEGORY_WEIGHTS[c] for c in cats])[0]
    chosen = [rng.choice(by_cat[first])]
    while len(chosen) < n:
        cat = first if rng.random() < 0.4 else rng.choices(cats, [CATEGORY_WEIGHTS[c] for c in cats])[0]
        if cat == "phones" and any(p["category"] == "phones" for p in chosen):
            continue
        p = rng.choice(by_cat[cat])
        if p not in chosen:
            chosen.append(p)
    items = []
    for p in chosen:
        price = p["price_cents"]
        if p["category"] == "phones" or price >= 20000:
            qty = 1
        else:
            qty = rng.choices([1, 2, 3], [80, 15, 5])[0]
        unit = price
        if rng.random() < 0.12:  # limited-time sale price
            f = rng.uniform(0.8, 0.95)
            step = 100 if price >= 5000 else 10
            unit = max(step, int(price * f) // step * step)
        items.append({"product_id": p["id"], "quantity": qty, "unit_price_cents": unit})
    return items, chosen


def choose_carrier(rng, chosen, items, dest):
    if any(p["category"] == "phones" for p in chosen) or \
            any(i["unit_price_cents"] >= SF_DEFAULT_UNIT_PRICE for i in items):
        return "sf"
    if dest["remote"]:
        return rng.choices(["ems", "zto", "yto"], [5, 3, 2])[0]
    return rng.choices(["jd", "zto", "yto", "ems"], [30, 30, 25, 15])[0]


def home_warehouse(city):
    for wh, places in HOME_WAREHOUSE.items():
        for place in places:
            if city["zh"] == place or (city["prov"] or city["zh"]).startswith(place):
                return wh
    raise KeyError(city["zh"])


def choose_warehouse(rng, dest):
    """Usually the home warehouse; sometimes (out of stock there) the nearest other one."""
    home = home_warehouse(dest)
    if rng.random() < 0.85:
        return CITY[home]
    others = sorted((w for w in WAREHOUSES if w != home), key=lambda w: (km(CITY[w], dest), w))
    return CITY[others[0]]


def return_plan(rng, items, chosen, status):
    """Which lines go back, the return type and reason."""
    lines = list(range(len(items)))
    if len(items) > 1 and rng.random() < 0.6:
        lines = [rng.randrange(len(items))]
    cats = [chosen[i]["category"] for i in lines]
    can_no_reason = "food" not in cats
    rtype = "no_reason" if can_no_reason and rng.random() < 0.6 else "quality"
    cat = cats[0]
    if rtype == "no_reason":
        pool = NO_REASON.get(cat, []) + NO_REASON["_"]
    else:
        pool = QUALITY[cat]
    reason = rng.choice(pool)
    return lines, rtype, reason


def refund_for_return(order, lines, rtype):
    items = order["items"]
    subtotal = sum(i["quantity"] * i["unit_price_cents"] for i in items)
    if len(lines) == len(items):
        return order["total_cents"] - (order["shipping_fee_cents"] if rtype == "no_reason" else 0)
    amount = 0
    for i in lines:
        line = items[i]["quantity"] * items[i]["unit_price_cents"]
        amount += line - order["discount_cents"] * line // subtotal
    return amount


def gen_orders(rng, products, customers, phones):
    statuses = [s for s, n in STATUS_COUNTS for _ in range(n)]
    rng.shuffle(statuses)
    # Every customer orders at least once; some order a lot.
    weights = [rng.choice([1, 1, 2, 3, 4, 5, 7]) for _ in customers]
    who = [c["id"] for c in customers]
    who += rng.choices([c["id"] for c in customers], weights, k=len(statuses) - len(who))
    rng.shuffle(who)
    by_id = {c["id"]: c for c in customers}
    used_numbers, used_tracking = set(), set()
    used_names = {c["name"] for c in customers}
    # Delivered orders whose return was rejected (status stays delivered).
    delivered_idx = [i for i, s in enumerate(statuses) if s == "delivered"]
    rejected = set(rng.sample(delivered_idx, 8))
    # One order in ten goes to someone else (family, colleague) with their own phone.
    other_receiver = set(rng.sample(range(len(statuses)), len(statuses) // 10))
    cancelled_idx = [i for i, s in enumerate(statuses) if s == "cancelled"]
    kinds = ["timeout"] * 20 + ["unpaid_cancel"] * 14 + ["paid_cancel"] * 20 + ["intercepted"] * 6
    rng.shuffle(kinds)
    cancel_kind = dict(zip(cancelled_idx, kinds))
    orders = []
    for idx, (status, cid) in enumerate(zip(statuses, who)):
        cust = by_id[cid]
        city = cust["_city"]
        # Receiver: usually the customer, sometimes a family member or colleague.
        name, phone, address, district = cust["name"], cust["phone"], cust["address"], cust["_district"]
        if idx in other_receiver:
            phone = phones.new()
            if cust["lang"] == "zh":
                surname = next(s for s in SURNAMES if cust["name"].startswith(s[0]))
                name = zh_name(rng, used_names, surname if rng.random() < 0.6 else None)[0]
            elif rng.random() < 0.5:
                name = zh_name(rng, used_names)[0]
            else:
                name = f"{rng.choice(EN_FIRST)} {cust['name'].split(' ', 1)[1]}"
            if rng.random() < 0.5:  # e.g. the office rather than home
                address, dist, dist_en = make_address(rng, city, cust["lang"], "office")
                district = (dist, dist_en)
        avoid = status in ("pending_payment", "paid")
        items, chosen = pick_items(rng, products, avoid)
        subtotal = sum(i["quantity"] * i["unit_price_cents"] for i in items)
        discount = 0
        if rng.random() < 0.35:
            for threshold, off in COUPONS:
                if subtotal >= threshold:
                    discount = off
                    break
        free_at = FREE_SHIPPING_REMOTE if city["remote"] else FREE_SHIPPING
        fee = 0 if subtotal - discount >= free_at else SHIPPING_FEE
        total = subtotal + fee - discount
        method = rng.choices(PAYMENT_METHODS, [38, 30, 10, 10, 12] if cust["lang"] == "zh"
                             else [25, 30, 10, 30, 5])[0]
        carrier = choose_carrier(rng, chosen, items, city)
        wh = choose_warehouse(rng, city)
        order = {
            "order_number": None, "customer_id": cid, "status": status,
            "created_at": None, "paid_at": None, "shipped_at": None, "delivered_at": None,
            "cancelled_at": None, "payment_method": method,
            "receiver_name": name, "phone": phone, "shipping_address": address,
            "items": items, "shipping_fee_cents": fee, "discount_cents": discount,
            "total_cents": total, "shipment": None, "return": None, "refund": None,
        }
        plan = return_plan(rng, items, chosen, status)
        build_timeline(rng, order, status, cancel_kind.get(idx), idx in rejected, carrier, wh,
                       city, district, plan)
        tracking = None
        if order["shipment"] is not None:
            tracking = new_tracking(rng, carrier, used_tracking)
            order["shipment"]["tracking_number"] = tracking
        while True:
            number = order["created_at"].strftime("%Y%m%d") + f"{rng.randint(0, 99999999):08d}"
            if number not in used_numbers:
                used_numbers.add(number)
                break
        order["order_number"] = number
        orders.append(order)
    orders.sort(key=lambda o: (o["created_at"], o["order_number"]))
    return orders


def build_timeline(rng, o, status, cancel_kind, rejected, carrier, wh, city, district, plan):
    """Fills the order's times, shipment, return and refund for `status`, by trying timelines
    until one is in the required state at NOW."""
    method = o["payment_method"]
    lines, rtype, reason = plan

    def shipment(events, sstatus):
        return {"carrier": CARRIERS[carrier]["zh"], "carrier_en": CARRIERS[carrier]["en"],
                "tracking_number": None, "status": sstatus, "shipped_at": events[0]["time"],
                "events": events}

    if status == "pending_payment":
        o["created_at"] = NOW - timedelta(seconds=rng.randint(60, 29 * 60))
        o["payment_method"] = None
        return
    if status == "paid":
        while True:
            created = random_time(rng, NOW - timedelta(hours=46), NOW - timedelta(minutes=10))
            paid = created + pay_delay(rng)
            if paid < NOW:
                break
        o["created_at"], o["paid_at"] = created, paid
        return
    if status == "cancelled":
        created = random_time(rng, START, NOW - timedelta(days=9))
        o["created_at"] = created
        if cancel_kind == "timeout":
            o["cancelled_at"] = created + PAYMENT_WINDOW
        elif cancel_kind == "unpaid_cancel":
            o["cancelled_at"] = created + minutes(rng, 1, 25)
        elif cancel_kind == "paid_cancel":
            o["paid_at"] = created + pay_delay(rng)
            o["cancelled_at"] = o["paid_at"] + hours(rng, 0.1, 20)
            o["refund"] = {"amount_cents": o["total_cents"], "status": "completed", "method": method,
                           "requested_at": o["cancelled_at"],
                           "completed_at": o["cancelled_at"] + refund_delay(rng, method)}
        else:  # intercepted after shipping: parcel returned to the warehouse
            o["paid_at"] = created + pay_delay(rng)
            t0 = ship_time(rng, o["paid_at"])
            full = route(rng, carrier, wh, city, district, t0)
            # Stopped at a hub or the delivery station it had reached.
            k = 1 + rng.choice([j for j in range(1, min(len(full) - 2, 6)) if full[j]["status"] == "arrived"])
            events = full[:k]
            cancelled = events[-1]["time"] + hours(rng, 0.2, 3)
            t = cancelled + hours(rng, 1, 6)
            here = CITY[events[-1]["location_zh"][:-1]]
            events.append({"time": t, "status": "in_transit", "location_zh": loc(here)[0],
                           "location_en": loc(here)[1],
                           "description_zh": f"应寄件人要求，快件已拦截，正在退回【{wh['zh']}仓】",
                           "description_en": f"Intercepted at the sender's request, returning to the {wh['en']} warehouse"})
            t += hours(rng, 4, 8) + (events[-2]["time"] - events[0]["time"])
            events.append({"time": t, "status": "arrived", "location_zh": loc(wh)[0],
                           "location_en": loc(wh)[1],
                           "description_zh": f"退回件已到达【{wh['zh']}仓】，寄件人已签收",
                           "description_en": f"Returned parcel arrived at the {wh['en']} warehouse and was signed for by the sender"})
            o["shipped_at"], o["cancelled_at"] = t0, cancelled
            o["shipment"] = shipment(events, "returned_to_sender")
            done = t + hours(rng, 2, 24)
            o["refund"] = {"amount_cents": o["total_cents"], "status": "completed", "method": method,
                           "requested_at": cancelled, "completed_at": done + refund_delay(rng, method)}
        return

    windows = {"shipped": (NOW - timedelta(days=5), NOW - timedelta(days=1)),
               "delivered": (START, NOW - timedelta(days=2)),
               "return_requested": (NOW - timedelta(days=26), NOW - timedelta(days=2)),
               "returned": (NOW - timedelta(days=30), NOW - timedelta(days=4)),
               "refunded": (START, NOW - timedelta(days=10))}
    target = None
    if status == "return_requested":
        target = rng.choice(["requested", "approved", "approved"])
    elif status == "returned":
        target = rng.choice(["received", "received", "completed"])
    elif status == "shipped":
        target = rng.choice(["in_transit", "out_for_delivery"])
    for attempt in range(200000):
        created = random_time(rng, *windows[status])
        paid = created + pay_delay(rng)
        t0 = ship_time(rng, paid)
        events = route(rng, carrier, wh, city, district, t0)
        delivered = events[-1]["time"]
        if status == "shipped":
            seen = [e for e in events if e["time"] <= NOW]
            if len(seen) < 2 or seen[-1]["status"] == "delivered":
                continue
            sst = "out_for_delivery" if seen[-1]["status"] == "out_for_delivery" else "in_transit"
            if sst != target and attempt < 5000:  # same-city parcels are never in transit at 10:00
                continue
            o.update(created_at=created, paid_at=paid, shipped_at=t0)
            o["shipment"] = shipment(seen, sst)
            return
        if delivered > NOW:
            continue
        o.update(created_at=created, paid_at=paid, shipped_at=t0, delivered_at=delivered)
        o["shipment"] = shipment(events, "delivered")
        if status == "delivered" and not rejected:
            return
        if rejected:  # no-reason request turned down (used / outside the rules)
            rtype = "no_reason"
            reason = rng.choice(NO_REASON["_"])
        window = NO_REASON_WINDOW if rtype == "no_reason" else QUALITY_WINDOW
        requested = align(rng, delivered + hours(rng, 2, window.total_seconds() / 3600 - 1), 8, 23.9)
        if requested - delivered > window:
            continue
        approved = requested + hours(rng, 0.5, 24)
        received = approved + hours(rng, 36, 96)
        completed = received + hours(rng, 2, 48)
        paid_back = completed + refund_delay(rng, method)
        ret = {"reason_zh": reason[0], "reason_en": reason[1], "type": rtype, "status": None,
               "requested_at": requested, "completed_at": None}
        amount = refund_for_return(o, lines, rtype)
        refund = {"amount_cents": amount, "status": "pending", "method": method,
                  "requested_at": requested, "completed_at": None}
        if rejected:
            done = requested + hours(rng, 2, 30)
            if done > NOW:
                continue
            ret.update(status="rejected", completed_at=done)
            o["return"] = ret
            return
        if status == "return_requested":
            state = "requested" if requested <= NOW < approved else \
                "approved" if approved <= NOW < received else None
            if state != target:
                continue
            ret["status"] = state
        elif status == "returned":
            if target == "received" and received <= NOW < completed:
                ret["status"] = "received"
            elif target == "completed" and completed <= NOW < paid_back:
                ret.update(status="completed", completed_at=completed)
                refund["status"] = "processing"
            else:
                continue
        else:  # refunded
            if paid_back > NOW:
                continue
            ret.update(status="completed", completed_at=completed)
            refund.update(status="completed", completed_at=paid_back)
        o["return"], o["refund"] = ret, refund
        return
    raise RuntimeError(f"no timeline found for {status}")


def serialise_order(o):
    def ev(e):
        return {"time": fmt(e["time"]), "status": e["status"], "location_zh": e["location_zh"],
                "location_en": e["location_en"], "description_zh": e["description_zh"],
                "description_en": e["description_en"]}

    out = {k: o[k] for k in ("order_number", "customer_id", "status")}
    for k in ("created_at", "paid_at", "shipped_at", "delivered_at", "cancelled_at"):
        out[k] = fmt(o[k])
    for k in ("payment_method", "receiver_name", "phone", "shipping_address", "items",
              "shipping_fee_cents", "discount_cents", "total_cents"):
        out[k] = o[k]
    s = o["shipment"]
    out["shipment"] = None if s is None else {
        "carrier": s["carrier"], "carrier_en": s["carrier_en"], "tracking_number": s["tracking_number"],
        "status": s["status"], "shipped_at": fmt(s["shipped_at"]), "events": [ev(e) for e in s["events"]]}
    r = o["return"]
    out["return"] = None if r is None else {
        "reason_zh": r["reason_zh"], "reason_en": r["reason_en"], "type": r["type"],
        "status": r["status"], "requested_at": fmt(r["requested_at"]), "completed_at": fmt(r["completed_at"])}
    f = o["refund"]
    out["refund"] = None if f is None else {
        "amount_cents": f["amount_cents"], "status": f["status"], "method": f["method"],
        "requested_at": fmt(f["requested_at"]), "completed_at": fmt(f["completed_at"])}
    return out


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def generate(out_dir):
    rng = random.Random(SEED)
    phones = Phones(rng)
    products = gen_products(rng)
    customers = gen_customers(rng, phones)
    orders = gen_orders(rng, products, customers, phones)
    os.makedirs(out_dir, exist_ok=True)
    write_jsonl(os.path.join(out_dir, "products.jsonl"), products)
    write_jsonl(os.path.join(out_dir, "customers.jsonl"),
                [{k: v for k, v in c.items() if not k.startswith("_")} for c in customers])
    write_jsonl(os.path.join(out_dir, "orders.jsonl"), [serialise_order(o) for o in orders])
    print(f"wrote {len(products)} products, {len(customers)} customers, {len(orders)} orders "
          f"to {os.path.relpath(out_dir, ROOT)}")


# --------------------------------------------------------------------------------------------
# --check: validates the files against the rules above and prints counts.
# --------------------------------------------------------------------------------------------

def check(out_dir):
    import re
    errors = []

    def err(msg):
        errors.append(msg)

    def load(name):
        with open(os.path.join(out_dir, name), encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def ts(s):
        t = datetime.fromisoformat(s)
        if t.utcoffset() != timedelta(hours=8):
            err(f"time not +08:00: {s}")
        return t

    products, customers, orders = load("products.jsonl"), load("customers.jsonl"), load("orders.jsonl")
    prod = {p["id"]: p for p in products}
    cust = {c["id"]: c for c in customers}
    if [p["id"] for p in products] != list(range(1, len(products) + 1)):
        err("product ids are not 1..N")
    if [c["id"] for c in customers] != list(range(1, len(customers) + 1)):
        err("customer ids are not 1..N")
    for key in ("sku", "name_zh", "name_en"):
        if len({p[key] for p in products}) != len(products):
            err(f"product {key} not unique")
    cat_count = Counter(p["category"] for p in products)
    for c in CATEGORIES:
        if cat_count[c] < 15:
            err(f"category {c} has {cat_count[c]} products")
    for p in products:
        if not p["sku"].startswith(SKU_PREFIX[p["category"]] + "-"):
            err(f"bad sku {p['sku']}")
    if len(products) < 150 or sum(1 for p in products if p["stock"] == 0) == 0:
        err("need >= 150 products and some sold out")
    phone_re = re.compile(r"^1[3-9]\d{9}$")
    phones = [c["phone"] for c in customers]
    if len(set(phones)) != len(phones) or not all(phone_re.match(p) for p in phones):
        err("customer phones not unique 11-digit mobiles")
    if len({c["email"] for c in customers}) != len(customers):
        err("emails not unique")
    if not all(c["email"].endswith(("@example.com", "@example.cn")) for c in customers):
        err("email domain")
    lang = Counter(c["lang"] for c in customers)
    other_phones = set()
    numbers, tracking = set(), set()
    status_count, carrier_count, method_count = Counter(), Counter(), Counter()
    ordered = set()
    deliver_hours = {}
    track_re = {"顺丰速运": r"^SF\d{13}$", "京东物流": r"^JDV\d{12}$", "中通快递": r"^7\d{14}$",
                "圆通速递": r"^YT\d{13}$", "EMS": r"^(E\d{9}CN|11\d{11})$"}
    carrier_en = {v["zh"]: v["en"] for v in CARRIERS.values()}
    for o in orders:
        n = o["order_number"]
        st = o["status"]
        status_count[st] += 1
        ordered.add(o["customer_id"])
        where = f"{n} ({st})"
        if not re.match(r"^\d{16}$", n) or n in numbers:
            err(f"{where}: bad or duplicate order number")
        numbers.add(n)
        c = cust.get(o["customer_id"])
        if c is None:
            err(f"{where}: unknown customer")
            continue
        if o["phone"] != c["phone"]:
            if o["phone"] in phones or o["phone"] in other_phones or not phone_re.match(o["phone"]):
                err(f"{where}: receiver phone not unique")
            other_phones.add(o["phone"])
        created = ts(o["created_at"])
        if n[:8] != created.strftime("%Y%m%d"):
            err(f"{where}: number does not start with the creation date")
        if not START <= created <= NOW:
            err(f"{where}: created_at out of range")
        if not 1 <= len(o["items"]) <= 4:
            err(f"{where}: {len(o['items'])} items")
        subtotal = 0
        for it in o["items"]:
            p = prod[it["product_id"]]
            if it["unit_price_cents"] > p["price_cents"] or it["quantity"] < 1:
                err(f"{where}: item price/quantity")
            subtotal += it["quantity"] * it["unit_price_cents"]
        if o["total_cents"] != subtotal + o["shipping_fee_cents"] - o["discount_cents"]:
            err(f"{where}: total mismatch")
        remote = CITY[c["city"]]["remote"]
        want_fee = 0 if subtotal - o["discount_cents"] >= (FREE_SHIPPING_REMOTE if remote else FREE_SHIPPING) \
            else SHIPPING_FEE
        if o["shipping_fee_cents"] != want_fee:
            err(f"{where}: shipping fee {o['shipping_fee_cents']} != {want_fee}")
        d = o["discount_cents"]
        if d and dict((off, th) for th, off in COUPONS).get(d, 10**12) > subtotal:
            err(f"{where}: coupon {d} not reachable")
        pm = o["payment_method"]
        method_count[pm] += 1
        if (pm is None) != (st == "pending_payment") or (pm is not None and pm not in PAYMENT_METHODS):
            err(f"{where}: payment method {pm}")
        times = {k: (ts(o[k]) if o[k] else None) for k in
                 ("created_at", "paid_at", "shipped_at", "delivered_at", "cancelled_at")}
        seq = [times[k] for k in ("created_at", "paid_at", "shipped_at", "delivered_at") if times[k]]
        if seq != sorted(seq) or len(set(seq)) != len(seq) or max(seq) > NOW:
            err(f"{where}: order times not increasing / in the future")
        if times["paid_at"] and times["paid_at"] - created >= PAYMENT_WINDOW:
            err(f"{where}: paid after the payment window")
        if times["paid_at"] and times["shipped_at"] and times["shipped_at"] - times["paid_at"] > DISPATCH_LIMIT:
            err(f"{where}: shipped more than 48h after payment")
        need = {"pending_payment": (0, 0, 0, 0), "paid": (1, 0, 0, 0), "shipped": (1, 1, 0, 0),
                "delivered": (1, 1, 1, 0), "return_requested": (1, 1, 1, 0),
                "returned": (1, 1, 1, 0), "refunded": (1, 1, 1, 0)}
        if st in need:
            have = tuple(int(times[k] is not None) for k in ("paid_at", "shipped_at", "delivered_at",
                                                           "cancelled_at"))
            if have != need[st]:
                err(f"{where}: time fields {have}")
        if st == "pending_payment" and not NOW - PAYMENT_WINDOW < created <= NOW:
            err(f"{where}: pending order older than the payment window")
        if st == "paid" and NOW - times["paid_at"] > DISPATCH_LIMIT:
            err(f"{where}: paid but not dispatched within 48h")
        if st == "cancelled":
            ca = times["cancelled_at"]
            if not ca or ca <= created or ca > NOW or times["delivered_at"]:
                err(f"{where}: cancel time")
            if times["paid_at"] and ca <= times["paid_at"]:
                err(f"{where}: cancelled before payment but paid")
            if not times["paid_at"] and (o["refund"] or ca - created > PAYMENT_WINDOW):
                err(f"{where}: unpaid cancel")
            if times["paid_at"] and (not o["refund"] or o["refund"]["status"] != "completed"
                                     or o["refund"]["amount_cents"] != o["total_cents"]):
                err(f"{where}: paid cancel without full refund")
        s = o["shipment"]
        if (s is not None) != (times["shipped_at"] is not None):
            err(f"{where}: shipment vs shipped_at")
        if s:
            carrier_count[s["carrier"]] += 1
            if carrier_en.get(s["carrier"]) != s["carrier_en"]:
                err(f"{where}: carrier names")
            if not re.match(track_re[s["carrier"]], s["tracking_number"]) or s["tracking_number"] in tracking:
                err(f"{where}: tracking number {s['tracking_number']}")
            tracking.add(s["tracking_number"])
            ev = s["events"]
            et = [ts(e["time"]) for e in ev]
            if not 2 <= len(ev) <= 8 or et != sorted(et) or len(set(et)) != len(et) or et[-1] > NOW:
                err(f"{where}: events")
            if ts(s["shipped_at"]) != times["shipped_at"] or et[0] != times["shipped_at"]:
                err(f"{where}: shipped_at vs first event")
            for e in ev:
                if e["status"] not in ("picked_up", "in_transit", "arrived", "out_for_delivery", "delivered"):
                    err(f"{where}: event status {e['status']}")
            last = ev[-1]["status"]
            if st == "shipped" and (last == "delivered" or s["status"] not in ("in_transit", "out_for_delivery")):
                err(f"{where}: shipped state")
            if st == "shipped" and (s["status"] == "out_for_delivery") != (last == "out_for_delivery"):
                err(f"{where}: out_for_delivery")
            if st in ("delivered", "return_requested", "returned", "refunded"):
                if last != "delivered" or s["status"] != "delivered" or et[-1] != times["delivered_at"]:
                    err(f"{where}: delivered state")
                if ev[-1]["location_zh"] != c["city"] + "市":
                    err(f"{where}: delivered outside the customer's city")
                hrs = (et[-1] - et[0]).total_seconds() / 3600
                wh = ev[0]["location_zh"][:-1]
                cls = "remote" if remote else "same" if wh == c["city"] else \
                    "far" if km(CITY[wh], CITY[c["city"]]) > 800 else "near"
                deliver_hours.setdefault((cls, s["carrier"] == "顺丰速运"), []).append(hrs)
            if st == "cancelled" and s["status"] != "returned_to_sender":
                err(f"{where}: cancelled shipment")
        elif st in ("shipped", "delivered", "return_requested", "returned", "refunded"):
            err(f"{where}: no shipment")
        r, f = o["return"], o["refund"]
        want_ret = {"return_requested": ("requested", "approved"), "returned": ("received", "completed"),
                    "refunded": ("completed",)}
        if st in want_ret:
            if not r or r["status"] not in want_ret[st]:
                err(f"{where}: return status")
        elif r and not (st == "delivered" and r["status"] == "rejected"):
            err(f"{where}: unexpected return")
        if r:
            rq = ts(r["requested_at"])
            limit = NO_REASON_WINDOW if r["type"] == "no_reason" else QUALITY_WINDOW
            if not times["delivered_at"] < rq <= times["delivered_at"] + limit or rq > NOW:
                err(f"{where}: return requested outside its window")
            if r["type"] not in ("no_reason", "quality"):
                err(f"{where}: return type")
            done = r["completed_at"]
            if (done is not None) != (r["status"] in ("completed", "rejected")):
                err(f"{where}: return completed_at")
            if done and not rq < ts(done) <= NOW:
                err(f"{where}: return completion time")
        if f:
            if f["method"] != pm or f["amount_cents"] > o["total_cents"] or f["amount_cents"] <= 0:
                err(f"{where}: refund method/amount")
            fr = ts(f["requested_at"])
            fd = ts(f["completed_at"]) if f["completed_at"] else None
            if (fd is not None) != (f["status"] == "completed") or (fd and not fr < fd <= NOW) or fr > NOW:
                err(f"{where}: refund times")
            if st == "refunded" and f["status"] != "completed":
                err(f"{where}: refunded but refund not completed")
            if st == "returned" and f["status"] != ("processing" if r["status"] == "completed" else "pending"):
                err(f"{where}: returned refund status")
            if fd:
                base = ts(r["completed_at"]) if r else None
                if base:
                    lo, hi = REFUND_DELAY_H[pm]
                    gap = (fd - base).total_seconds() / 3600
                    if not lo - 0.01 <= gap <= hi:
                        err(f"{where}: refund took {gap:.1f}h for {pm}")
        elif st in ("returned", "refunded", "return_requested"):
            err(f"{where}: no refund")
    if set(cust) - ordered:
        err(f"customers without orders: {sorted(set(cust) - ordered)}")
    for s_, _ in STATUS_COUNTS:
        if status_count[s_] < 25:
            err(f"status {s_} has {status_count[s_]} orders")
    if status_count.most_common(1)[0][0] != "delivered":
        err("delivered is not the largest status")
    size = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(out_dir) for fn in fns)
    zh_policies = sorted(os.listdir(os.path.join(out_dir, "policies", "zh"))) \
        if os.path.isdir(os.path.join(out_dir, "policies", "zh")) else []
    en_policies = sorted(os.listdir(os.path.join(out_dir, "policies", "en"))) \
        if os.path.isdir(os.path.join(out_dir, "policies", "en")) else []
    if zh_policies != en_policies:
        err("policy files differ between zh and en")
    if size > 3 * 1024 * 1024:
        err(f"data/demo is {size} bytes")

    print(f"products: {len(products)}  " + ", ".join(f"{c} {cat_count[c]}" for c in CATEGORIES))
    print(f"  sold out: {sum(1 for p in products if p['stock'] == 0)}")
    print(f"customers: {len(customers)}  " + ", ".join(f"{k} {v}" for k, v in sorted(lang.items())))
    print(f"orders: {len(orders)}  " + ", ".join(f"{s_} {status_count[s_]}" for s_, _ in STATUS_COUNTS))
    print("  payment: " + ", ".join(f"{k} {v}" for k, v in sorted(method_count.items(), key=lambda kv: str(kv[0]))))
    print("  carriers: " + ", ".join(f"{k} {v}" for k, v in sorted(carrier_count.items())))
    print(f"  receivers other than the customer: {len(other_phones)}")
    for (cls, sf), v in sorted(deliver_hours.items()):
        v = sorted(v)
        print(f"  pickup->delivered, {cls:6} {'SF   ' if sf else 'other'}: n={len(v):3} min {v[0] / 24:.1f}d "
              f"median {v[len(v) // 2] / 24:.1f}d max {v[-1] / 24:.1f}d")
    print(f"policies: {len(zh_policies)} per language: {', '.join(zh_policies)}")
    print(f"size of {os.path.relpath(out_dir, ROOT)}: {size} bytes")
    if errors:
        print(f"{len(errors)} problem(s):")
        for e in errors[:50]:
            print("  " + e)
        return 1
    print("check: OK")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="output directory (default data/demo)")
    ap.add_argument("--check", action="store_true", help="validate the files instead of writing")
    args = ap.parse_args()
    if args.check:
        return check(args.out)
    generate(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
