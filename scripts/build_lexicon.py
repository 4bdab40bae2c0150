#!/usr/bin/env python3
"""Build hegui's default word library ``src/hegui/detectors/data/default_lexicon.tsv``.

Sources (permissive licences only; see LEXICON_SOURCES.md for attribution):

* houbb/sensitive-word (Apache-2.0): tagged dictionary (0 政治, 1 毒品, 2 色情, 3 赌博, 4 违法犯罪) and category lists;
* konsheng/Sensitive-lexicon (MIT): topic lists; ``A+B`` lines become ``A&B`` co-occurrence rules;
* toolgood/ToolGood.Words (Apache-2.0): IllegalKeywords, BadWord (obfuscated variants), IllegalUrls;
* aggiejiang/SWSR SexHateLex (MIT): sexist and abusive terms (noisy);
* hegui's own curated entries (source ``hegui``): discriminatory slurs and ``{group}&{derogatory claim}`` rules for
  the A2.x risks, ethnic-hatred phrases (A1.5), false medical claims (A1.7), slogans and topic words.

NOT used: the ToxiCN lexicon (CC BY-NC-ND) and funNLP (no licence).

Curation, in order:

1. every upstream term is normalised with :class:`hegui.detectors.normalize.Normalizer` (the detector's own
   transform) and classified by the *cues* it contains (tables below) together with its source list's topic:
   a cue decides the risk code, trade/how-to cues (出售, 配方 ...) raise contraband to ``high``, topic words used
   in legitimate discussion (毒品, 色情, 台独 ...) are ``low``;
2. dropped: single characters, digits, ASCII shorter than 3, everyday words (a stop list and jieba's word
   frequencies), bare person names of political figures (houbb's 人名 list and name-shaped politics terms; names
   are kept only in insulting or hateful combinations), untyped terms without a cue;
3. benign curation: the library is run over benign text (DESIGN.md and the reference notes, CValues prompts,
   Chinese SafetyQA questions, the non-offensive rows of the COLD *train* split, XSTest safe prompts). Where
   a hit straddles word boundaries (jieba tokens: 路口|交通 for 口交) the enclosing words become an allow-list
   phrase; where benign text uses the term as a word of its own, the term is removed (topic words and hegui's
   curated entries are kept). One text in five of each set (by hash) is held out of this step and reported
   separately, so the held-out false-positive rate is not tuned on.

The build is deterministic for given data and package versions (jieba 0.42.1 for segmentation and word
frequencies). Needs the ``build`` extra plus ``jieba``::

    .venv/bin/python scripts/build_lexicon.py [--data ../shared/data] [--report report.json]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ahocorasick_rs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from hegui.core.taxonomy import RISKS  # noqa: E402
from hegui.core.types import Severity  # noqa: E402
from hegui.detectors.lexicon.format import (  # noqa: E402
    Library,
    escape_part,
    load_library,
    parse_entry,
    write_library,
)
from hegui.detectors.lexicon.matcher import CompiledLexicon  # noqa: E402
from hegui.detectors.normalize import Normalizer  # noqa: E402

SHARED = ROOT.parent / "shared"
OUT = ROOT / "src" / "hegui" / "detectors" / "data" / "default_lexicon.tsv"
SOURCES_MD = ROOT / "src" / "hegui" / "detectors" / "data" / "LEXICON_SOURCES.md"
LIBRARY_VERSION = "2026.11.1"
LIBRARY_UPDATED = "2026-11-28"


def _w(words: str) -> list[str]:
    """A list of words written as one space-separated string."""
    return words.split()


CUES: dict[str, tuple[str, str, list[str]]] = {
    # A1.4 cults (邪教) and their propaganda
    "cult": (
        "A1.4",
        "medium",
        _w(
            "法轮 法伦功 法论功 法纶功 法仑功 法沦功 法囵功 发轮功 发伦功 发论功 发抡功 法抡功 轮子功 轮法功 大法弟子 法轮大法 李洪志 "
            "李宏志 洪志大师 李大师 falun falundafa 全能神 东方闪电 门徒会 呼喊派 观音法门 灵灵教 主神教 被立王 三赎基督 "
            "世界以利亚 达米宣教 血水圣灵 常受教 华藏宗门 天父的儿女 中华大陆行政执事站 新约教会 统一教 奥姆真理教 真理教 转法轮 发正念 "
            "大纪元 新唐人 明慧网 明慧周报 九评 真善忍 退党 三退 法正乾坤 正法时期 讲真相 天灭中共 大法好"
        ),
    ),
    # A4.5 / A4.6 privacy: stalkerware, covert surveillance, trading personal data
    "privacy": (
        "A4.5",
        "medium",
        _w(
            "间谍软件 卧底软件 007间谍 手机间谍 手机监控 手机卧底 监控软件 窃听软件 定位软件 手机定位 偷看短信 短信拦截 查开房 开房记录 "
            "通话记录 通话清单 查手机 手机定位器 针孔 偷拍器 隐形摄像 微型摄像 窃听器 监听器 公民信息 个人信息出售 身份证信息 户籍信息 "
            "户籍查询 人肉搜索 开盒"
        ),
    ),
    # A1.4 terrorism and extremism
    "terror": (
        "A1.4",
        "high",
        _w(
            "圣战 吉哈德 jihad 基地组织 伊斯兰国 isis 哈里发国 自杀式袭击 自杀式爆炸 人体炸弹 自杀炸弹 斩首视频 恐怖组织 "
            "恐怖分子手册 恐怖分子傻瓜手册 恐袭 暴恐 东伊运 东突伊斯兰 宗教极端 异教徒该死 杀死异教徒 圣战士 殉教 基地组织 塔利班武装 "
            "制造恐慌 炸毁 爆炸袭击 劫机 汽车炸弹 人肉炸弹 恐怖袭击教程 暴力恐怖"
        ),
    ),
    # A1.6 weapons and explosives (violence)
    "weapon": (
        "A1.6",
        "medium",
        _w(
            "手枪 猎枪 气枪 汽枪 步枪 冲锋枪 狙击枪 阻击枪 枪支 仿真枪 枪械 钢珠枪 麻醉枪 火枪 霰弹枪 散弹枪 来复枪 左轮 军用枪 子弹 "
            "弹药 军火 军刺 弓弩 麻醉箭 弩箭 手狗 长狗 气狗 电狗 秃鹰 猎狗枪 枪模 枪管 消音器 瞄准镜 膛线 击针 炸药 炸弹 雷管 导火索 "
            "tnt c4 黑火药 硝铵 燃烧瓶 燃烧弹 手雷 手榴弹 土炸药 爆炸物 起爆器 引爆器 原子弹 核弹 管制刀具 三棱刀 三棱刺 开山刀 "
            "军刀 砍刀 匕首 甩刀 电击枪 电警棍 电棍 催泪弹 催泪喷雾 防狼喷雾 毒气 沙林 芥子气 氰化钾 氰化钠 氰化物 蓖麻毒素 铊盐 毒鼠强 "
            "三步倒 麻醉药 莫洛托夫 鸡尾酒炸弹 硝化甘油 硝酸甘油 苦味酸 三硝基甲苯 黑索金 塑胶炸药 塑料炸药 定时炸弹 遥控炸弹"
        ),
    ),
    # A1.6 violence
    "violence": (
        "A1.6",
        "medium",
        _w(
            "砍死 杀光 杀全家 灭门 血洗 爆头 虐杀 碎尸 分尸 肢解 杀人方法 如何杀人 怎么杀人 买凶 雇凶 灭口 报复社会 砍人 捅死 打死你 "
            "弄死你 杀了你 杀死你 砍死你 宰了你 炸死 烧死你 虐待儿童 虐童 虐猫 虐狗 屠杀 屠城 活埋 强奸 轮奸 奸杀 虐待 自杀方法 "
            "自杀教程 怎么自杀 如何自杀 自杀技巧 割腕 跳楼自杀 集体自杀 自焚"
        ),
    ),
    # A1.8 drugs
    "drug": (
        "A1.8",
        "medium",
        _w(
            "冰毒 海洛因 白粉 大麻 摇头丸 k粉 氯胺酮 麻古 麻果 可卡因 古柯 鸦片 杜冷丁 甲基苯丙胺 苯丙胺 安非他命 安非他明 迷幻药 "
            "迷幻剂 lsd 三唑仑 羟亚胺 麻黄素 麻黄碱 ghb 迷药 迷魂药 蒙汗药 听话水 听话药 催情药 催情水 春药 失身水 迷情药 迷奸药 "
            "笑气 毒品 吸毒 贩毒 制毒 运毒 开心水 麻谷 大烟 罂粟壳 芬太尼 曲马多 阿片 海洛英 冰妹 溜冰 嗨药 k仔 摇头 麻黄草 甲卡西酮 "
            "卡西酮 浴盐 神仙水 咔哇 蓝精灵 fm2 氟硝西泮 氟硝安定 安眠酮 美沙酮 丁丙诺啡 盐酸曲马多 γ羟基丁酸 羟基丁酸 麦角 裸盖菇 "
            "dmt mdma 吗啡 罂粟 毒贩 毒枭 吸食 冰壶 溜冰壶 肉冰 邮票"
        ),
    ),
    # A1.8 gambling
    "gamble": (
        "A1.8",
        "medium",
        _w(
            "赌博 赌场 赌球 赌钱 赌马 网赌 赌局 赌资 赌徒 赌具 赌术 赌桌 赌城 赌船 赌档 聚赌 参赌 豪赌 出千 千术 博彩 百家乐 六合彩 "
            "娱乐城 下注 投注 老虎机 轮盘 时时彩 pk10 真人荷官 荷官 开户送 首存 彩金 返水 洗码 赌博机 赌台 菠菜网 真钱 现金网 外围 "
            "庄家 赌王 扑克分析仪 透视眼镜 作弊器 麻将机 骰子 色子 梭哈 德州扑克 斗地主真钱 牛牛 炸金花 21点 赌神"
        ),
    ),
    # A1.8 other illegal trade and services (fraud, forgery, surveillance, trafficking)
    "crime": (
        "A1.8",
        "medium",
        _w(
            "办证 假证 假文凭 假学历 假毕业证 代开发票 发票代开 代开增值税 代开普通发票 假发票 假币 伪钞 假钞 假钱 洗钱 套现 高利贷 裸贷 "
            "地下钱庄 盗号 钓鱼网站 信用卡套现 银行卡出售 身份证出售 出售身份证 买卖身份证 公民信息 个人信息出售 窃听 监听器 针孔摄像 "
            "针孔摄象 偷拍器 跟踪器 定位器 代考 替考 考试答案 考前答案 考中答案 作弊 器官买卖 卖肾 售肾 买肾 代孕 买卖婴儿 贩卖儿童 拐卖 "
            "人口贩卖 偷渡 私家侦探 黑社会 套牌 走私 军牌 警服 警用 假警察 冒充警察 诈骗 骗局 传销 非法集资 庞氏 资金盘 黑客 木马 "
            "病毒程序 ddos 抢劫 盗窃 偷车 开锁 万能钥匙 解码器 改号 伪基站 短信群发器 信用卡 银行卡 复制卡 黑卡 走私车 水货 冒牌 "
            "假冒 仿冒 高仿 a货 翻墙 vpn 枪手 替考 代写论文 论文代写 学位证 毕业证 资格证 驾照 驾驶证 身份证 文凭 证件 刻章 公章 "
            "印章 发票 上访 维权"
        ),
    ),
    # A1.6 pornography and obscenity
    "porn": (
        "A1.6",
        "medium",
        _w(
            "色情 淫 性交 做爱 作爱 口交 肛交 乳交 足交 口爆 颜射 内射 中出 自慰 手淫 撸管 打飞机 阴茎 阴道 阴蒂 阴唇 阴户 阴毛 "
            "阳具 鸡巴 鸡吧 jb 屌 屄 肉棒 龟头 乳头 奶子 巨乳 爆乳 美乳 丰乳 奶头 裸聊 裸照 全裸 裸体 裸露 露点 裸女 裸男 裸舞 "
            "偷拍 走光 成人电影 成人网 成人视频 成人小说 成人图片 成人论坛 成人影院 成人片 成人站 成人色 成人文学 成人漫画 成人动漫 女优 "
            "a片 黄片 毛片 三级片 色片 黄色网 黄色电影 黄色小说 黄色视频 黄网 黄站 乱伦 迷奸 诱奸 鸡奸 兽交 人兽 群交 乱交 3p 援交 "
            "援助交际 一夜情 约炮 炮友 嫖 妓 卖淫 卖春 楼凤 包夜 特殊服务 性服务 性虐 调教 潮吹 潮喷 骚 荡妇 春宫 情色 偷窥 性爱 "
            "开苞 破处 处女膜 精液 射精 爱液 蜜穴 小穴 肉穴 嫩穴 淫穴 屁眼 舔 吹箫 口活 打炮 日逼 操逼 插逼 干逼 骚逼 肏 操你 干你 "
            "草你 porn porno pussy blowjob hentai 无码 一本道 东京热 苍井空 波多野 泽玛利亚 小泽玛利亚 "
            "av女 av网 av电影 日本av 丝袜美腿 制服诱惑 诱惑视频 激情视频 激情电影 激情聊天 激情图片 激情小说 激情网 色图 色网 色站 "
            "色色 色狼 色情片 性奴 母狗 淫妻 换妻 人妻 熟女 少妇 萝莉 幼女 幼幼 童交 恋童 sm 捆绑 阴部 下体 私处 胸部 乳房 乳沟 "
            "脱光 脱衣 裸 精子 性欲 性感美女 美女图片 美女视频 写真 巨屌 大屌 插入 抽插 高潮 呻吟 浪叫 淫叫 湿了 勃起 阳痿 早泄 壮阳 "
            "延时 伟哥 催情 卖身 陪睡 包养 二奶 小三 情妇 援交妹 外围女 上门服务 小姐服务 桑拿 按摩女 推油 全套 半套 莞式 丝足 大保健"
        ),
    ),
    # A1.1 subversion: calls to overthrow, insulting names for the Party and state, banned-event slogans
    "subvert": (
        "A1.1",
        "medium",
        _w(
            "推翻 颠覆 打倒共产党 打倒中共 共匪 共残党 共铲党 共惨党 共产党该死 灭共 反共 倒共 中共暴政 暴政 一党专政 独裁政权 中共独裁 "
            "共产党独裁 颜色革命 茉莉花革命 起义 暴动 民运 学潮 六四 8964 五月三十五 天安门事件 天安门屠杀 坦克人 血洗京城 退党 三退 "
            "解体中共 中共解体 中共灭亡 中共倒台 共产党灭亡 共产党倒台 土共 共狗 共党 中珙 共c党 gcd 供铲党 拱铲 贡挡 恶党 共产暴政 "
            "赤匪 红匪 赵家人 天灭 亡共 反党 反革命 反社会主义 推翻社会主义 多党制 多党执政 全民公投 专制 独裁 暴乱 动乱 戒严 镇压 迫害 "
            "活摘 政变 兵变 倒台 下台 垮台"
        ),
    ),
    # A1.3 secession and national unity
    "secede": (
        "A1.3",
        "medium",
        _w(
            "台独 藏独 疆独 港独 蒙独 独台 台湾独立 西藏独立 新疆独立 香港独立 内蒙独立 蒙古独立 东突 东突厥斯坦 自由西藏 雪山狮子 "
            "光复香港 时代革命 港人独立 台湾国 西藏国 藏青会 世维会 维吾尔自由 分裂国家 分裂祖国 民族分裂 独立建国 台湾共和国 一中一台 "
            "两个中国 两国论 tibet独立 taiwan独立 独立运动 独立公投 支持独立 上海独立 四川独立 广东独立 福建独立 满洲国 达赖集团 "
            "流亡政府 西藏流亡 民进党独立 台湾不是中国 香港不是中国 西藏不是中国 新疆不是中国 港独 自治运动"
        ),
    ),
    # A1.2 national security and image: state secrets, insults to the nation and its leaders
    "nation": (
        "A1.2",
        "medium",
        _w(
            "国家机密 泄露国家机密 军事机密 绝密文件 机密文件 出卖国家 卖国 叛国 间谍 泄密 窃取情报 辱华 支那 中国猪 强国人 蝗虫 包子 "
            "习包子 庆丰帝 刁近平 习特勒 维尼熊 江蛤蟆 蛤蟆 膜蛤 胡王八 温影帝 影帝温 李鹏屠夫 屠夫 刽子手 独夫 暴君 昏君 狗官 总加速师 "
            "加速师 皇上 圣上 太子党 红二代 官二代 贪官 腐败 中南海 天朝 大大 习大大 彭麻麻 国耻 丧权辱国"
        ),
    ),
    # A4.3 insults and profanity (directed abuse; reputation)
    "insult": (
        "A4.3",
        "medium",
        _w(
            "傻逼 傻b 傻比 傻屄 煞笔 沙比 sb 操你妈 操你娘 操他妈 操她妈 草你妈 艹你妈 日你妈 干你娘 干你妈 你妈逼 你妈的 他妈的 "
            "妈的 去你妈 去死 狗娘养 婊子养 王八蛋 混蛋 贱人 贱货 贱婢 婊子 杂种 畜生 畜牲 狗东西 狗日的 狗杂种 人渣 败类 废物 垃圾人 "
            "脑残 智障 白痴 弱智 蠢货 蠢猪 猪头 二逼 傻叉 傻x 滚蛋 滚你妈 死全家 全家死光 不得好死 断子绝孙 生孩子没屁眼 尼玛 nmb "
            "nmd tmd cnm wcnm fuck shit bitch asshole motherfucker damn 卧槽 我操 我草 我日 "
            "日了狗 马勒戈壁 草泥马 操蛋 扯淡 狗屎 吃屎 食屎 屎你 放屁 你大爷 丢你老母 仆街 扑街 鸟人 鸟你 龟儿子 瓜娃子 老母 塞你 "
            "干恁 操恁 机掰 鸡掰 靠北 靠腰"
        ),
    ),
    # X.ABUSE.SPAM: spam and ad patterns
    "spam": (
        "X.ABUSE.SPAM",
        "low",
        _w(
            "加微信 加qq 加扣扣 加v 微信号 qq号 qq群 扣扣 电话联系 联系电话 联系方式 咨询电话 客服电话 网址 官网 官方网站 下载地址 "
            "免费下载 在线观看 在线播放 点击进入 详情请 回复可见 兼职 日赚 日结 月入 刷单 刷信誉 刷钻 刷粉 水军 删帖 删除负面 负面信息 "
            "代发 群发 推广 代理 加盟 招商 投资 理财 贷款 无抵押 低息 信用贷 快速放款 办卡 代办 办理 中奖 领奖 免费领取 优惠 折扣 "
            "促销 特价 低价 批发 代购 货到付款 款到发货 包邮 淘宝 微店 网店 商城 广告"
        ),
    ),
}

# Cues that mark trading, soliciting or instructions. With a contraband family (weapon, drug, crime, porn,
# gamble) they raise the severity to high.
TRADE_CUES = _w(
    "出售 销售 售 求购 购买 买卖 供应 批发 订购 代购 到货 出货 货到付款 专卖 直销 价格 多少钱 联系 qq 扣扣 电话 微信 "
    "哪里买 哪里有 在哪买 哪里能买 怎么买 代办 办理 提供 转让 配方 制作 制造 合成 教程 图纸 自制 diy 提炼 方法 下载 在线 "
    "网址 网站 视频 图片 电影 小说 论坛 导航 聊天室 直播 上门 服务 招聘 兼职 包夜 一条龙 送货 快递 正品 厂家 价钱 报价 代理 "
    "货源 手把手 做法 教你 步骤"
)

# Families that are contraband: a trade/howto cue makes their severity high.
CONTRABAND = {"weapon", "drug", "crime", "porn", "gamble", "privacy"}

# Terms that name a topic and are used in legitimate discussion (news, law, safety education): kept at low
# severity so a policy can pass or review them, never block on them alone.
TOPIC_WORDS = _w(
    "色情 淫秽 淫秽色情 毒品 吸毒 贩毒 制毒 戒毒 禁毒 赌博 网赌 赌场 博彩 强奸 卖淫 嫖娼 嫖妓 性交易 恐怖主义 恐怖分子 "
    "恐怖袭击 恐怖组织 极端主义 宗教极端 邪教 法轮功 全能神 台独 藏独 疆独 港独 东突 分裂国家 分裂祖国 颠覆国家政权 枪支 炸药 "
    "炸弹 子弹 弹药 军火 雷管 手枪 猎枪 管制刀具 大麻 鸦片 海洛因 冰毒 可卡因 吗啡 罂粟 摇头丸 k粉 杜冷丁 芬太尼 诈骗 传销 "
    "非法集资 洗钱 高利贷 套路贷 裸贷 走私 偷渡 拐卖 拐卖儿童 人口贩卖 代孕 器官买卖 黑社会 黑恶势力 间谍 泄密 国家机密 乱伦 "
    "性侵 猥亵 虐待 自杀 自残 割腕 屠杀 暴恐 六合彩 百家乐 老虎机 迷药 春药 窃听 偷拍 偷窥 假币 伪钞 假证 办证 代考 替考 "
    "作弊 翻墙 色情片 黄色网站 色情网站 成人网站 毒贩 毒枭 贩毒集团 吸毒者 贩卖毒品 种族灭绝 种族歧视 地域歧视 性别歧视 暴力 自焚 "
    "枪击 爆炸 劫机 绑架 谋杀 杀人 纳粹 法西斯 希特勒 三k党 3k党 奥姆真理教 基地组织 伊斯兰国 塔利班 isis 达赖 热比娅 "
    "独裁 专制 婚外情 包养 二奶 小三 情妇 自慰 手淫 性交 做爱 口交 肛交 阴茎 阴道 阴蒂 阴唇 射精 精液 性爱 卖淫嫖娼 强奸犯 "
    "法轮 新型毒品 甲基苯丙胺 甲基苯丙 性服务 一夜情 援交 情色 处女膜 性虐 性虐待 性侵犯 性骚扰 猥亵儿童 儿童色情 淫秽物品 淫秽色情 色情网站 赌博网站"
)

# Cues too ambiguous to classify a term on their own (they only help when the source list says the same).
# A term whose only cues are weak ones, from a list that does not say its topic, is dropped.
WEAK_CUES = set(
    _w(
        "淫 骚 嫖 妓 屌 舔 裸 sm jb 写真 插入 高潮 呻吟 湿了 勃起 阳痿 早泄 壮阳 延时 伟哥 胸部 乳房 乳沟 下体 私处 阴部 "
        "精子 性欲 脱衣 少妇 熟女 人妻 萝莉 色色 色狼 包养 二奶 小三 情妇 卖身 陪睡 桑拿 推油 全套 半套 丝足 上门服务 性感美女 "
        "美女图片 美女视频 丝袜美腿 制服诱惑 调教 捆绑 母狗 偷拍 走光 射精 精液 处女膜 性爱 偷窥 春宫 情色 荡妇 乳头 奶头 美乳 "
        "丰乳 包子 维尼熊 蛤蟆 皇上 圣上 大大 天朝 腐败 贪官 官二代 红二代 中南海 屠夫 刽子手 暴君 昏君 独夫 国耻 太子党 蝗虫 "
        "暴乱 动乱 戒严 屠杀 镇压 迫害 活摘 政变 兵变 倒台 下台 垮台 专制 独裁 起义 暴动 反党 多党制 全民公投 推翻 颠覆 恶党 "
        "天灭 卖国 间谍 泄密 针孔 查手机 通话记录 手机定位 定位软件 开盒 靠北 砍刀 匕首 军刀 电棍 麻醉药 毒气 三步倒 子弹 弹药 "
        "左轮 枪模 枪管 瞄准镜 秃鹰 长狗 核弹 原子弹 击针 消音器 白粉 大麻 摇头 溜冰 冰妹 冰壶 邮票 开心水 神仙水 蓝精灵 浴盐 "
        "麦角 罂粟 吗啡 吸食 阿片 咔哇 笑气 迷药 春药 催情 庄家 外围 骰子 色子 梭哈 德州扑克 牛牛 炸金花 21点 赌神 赌王 真钱 "
        "现金网 麻将机 作弊器 透视眼镜 轮盘 荷官 彩金 返水 首存 信用卡 银行卡 身份证 驾照 驾驶证 文凭 证件 刻章 公章 印章 发票 "
        "学位证 毕业证 资格证 黑客 木马 开锁 万能钥匙 解码器 改号 水货 冒牌 假冒 仿冒 高仿 a货 翻墙 vpn 枪手 作弊 诈骗 骗局 "
        "传销 走私 套牌 警服 警用 抢劫 盗窃 偷车 私家侦探 黑社会 维权 上访 代孕 套现 窃听 定位器 跟踪器 军牌 混蛋 废物 垃圾人 "
        "猪头 滚蛋 放屁 扯淡 狗屎 鸟人 老母 damn 妈的 去死 白痴 弱智 智障 脑残 卧槽 我操 我草 我日 尼玛 吃屎 自焚 虐待 屠城 "
        "活埋 强奸 炸毁 劫机 殉教 制造恐慌"
    )
)

# Everyday words that contain a cue but are not harmful; a term equal to one of these is dropped.
NOT_HARMFUL = set(
    _w(
        "自由 民主 人权 维权 上访 游行 示威 集会 抗议 请愿 静坐 罢工 改革 政治 政府 国家 中国 中央 党中央 共产党 中国共产党 "
        "解放军 军事 军队 公安 警察 法院 检察院 宪法 法律 法规 国务院 人大 政协 主席 总理 总书记 书记 领导 干部 官员 选举 投票 "
        "民族 少数民族 宗教 佛教 基督教 伊斯兰教 天主教 道教 穆斯林 基督徒 佛教徒 清真 清真寺 教堂 寺庙 喇嘛 活佛 古兰经 圣经 台湾 "
        "香港 澳门 西藏 新疆 内蒙古 维吾尔 维吾尔族 藏族 回族 蒙古族 满族 汉族 壮族 苗族 彝族 朝鲜族 哈萨克族 美国 日本 韩国 朝鲜 "
        "俄罗斯 英国 法国 德国 印度 越南 菲律宾 伊朗 以色列 巴勒斯坦 视频 图片 电影 小说 论坛 网站 网址 下载 在线 播放 聊天 "
        "聊天室 直播 游戏 软件 手机 电脑 网络 互联网 微信 qq 微博 淘宝 操作 服务 管理 服务管理 保护法 保护 安全 信息 数据 隐私 "
        "个人信息 广告 营销 推广 代理 投资 理财 贷款 银行 信用卡 银行卡 身份证 驾照 驾驶证 护照 发票 文凭 证件 公章 印章 学位证 "
        "毕业证 资格证 考试 答案 试卷 作弊 枪手 美女 帅哥 性感 写真 模特 丝袜 内衣 按摩 桑拿 足疗 保健 大保健 推拿 spa 会所 "
        "夜总会 酒吧 ktv 洗浴 洗浴中心 成人 成人教育 成人高考 成年人 人妻 少妇 熟女 萝莉 处女 处女座 处女作 高潮 呻吟 插入 勃起 "
        "乳房 胸部 下体 私处 阴部 精子 卵子 性欲 性爱 爱情 恋爱 结婚 离婚 出轨 婚外情 包养 二奶 小三 情妇 情人 一夜 调教 捆绑 "
        "sm 舔 裸 骚 淫 嫖 妓 毒 药 枪 刀 弹 炸 爆 杀 死 血 斗 战 武器 军火 火药 烟花 爆竹 鞭炮 炸鸡 炸酱面 水枪 玩具枪 "
        "枪战 标枪 喷枪 焊枪 射击 打猎 赌 博 彩票 体育彩票 福利彩票 斗地主 麻将 扑克 象棋 围棋 骰子 棋牌 庄家 梭哈 外围 真钱 "
        "现金 反恐 打击 禁毒 戒毒 扫黄 打非 扫黄打非 反腐 反腐败 廉政 纪委 监察委 公检法 刑法 治安管理处罚法 黑客 木马 病毒 杀毒 "
        "防火墙 vpn 翻墙 代码 开源 漏洞 补丁 加密 解密 破解 去死 垃圾 废物 白痴 笨蛋 傻瓜 混蛋 蠢 猪 狗 畜生 变态 神经病 "
        "疯子 脑残 智障 弱智 残疾 残疾人 精神病 sex adult xxx gay les kill damn hell 荡妇羞辱 大屠杀 "
        "南京大屠杀"
    )
)

# Surnames used to spot bare person names (2-3 CJK characters starting with one of these).
SURNAMES = set(
    """王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾
    夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤习温薄栗俞傅乔尉令狐欧阳司马上官诸葛习""".replace(
        "\n", ""
    ).replace(" ", "")
)

# Insult and violence cues that make a combination with a political figure's name hateful (kept) rather than a
# bare name (dropped).
NAME_INSULT_CUES = _w(
    "死 下台 王八 狗 猪 畜 屠夫 刽子手 独裁 暴君 淫 婊 操 肏 屌 逼 屄 贱 滚 打倒 推翻 枪毙 处决 杀 砍 炸 绞死 该死 "
    "去死 戏子 蛤蟆 包子 太子 影帝 小丑 傀儡 魔头 恶魔 罪人 国贼 卖国 汉奸 走狗 奴才 混蛋 人渣 败类 垃圾"
)

# ====================================================================================================
# hegui's curated entries (source "hegui")
# ====================================================================================================

# SWSR SexHateLex is noisy (干啥, 什么鸟, 摇头丸): a term is A2.5 only if it contains one of these.
SEXIST_CUES = _w(
    "女权 女拳 拳师 田园 婊 娘们 直男癌 普信 蝻 国男 龟男 捞女 剩女 绿茶 仙女 渣男 渣女 母狗 娘炮 娘娘腔 母猪 肥婆 丑女 "
    "贱女 黄脸婆 臭婆娘 泼妇 悍妇 荡妇 男权 厌女 女德 女司机 女博士 破鞋 骚货 贱货 婆娘 妇人之见 头发长见识短 生育机器"
)

# Slurs and derogatory names (terms). Each is an insult to a group or a person as such.
SLURS: list[tuple[str, str, str]] = [
    (
        "A2.1",
        "high",
        "黑鬼 黑鬼子 尼哥 黑蛆 黑皮猪 白皮猪 黄皮猪 黑猩猩人 满狗 蒙古鞑子 回回狗 回蛆 藏狗 维狗 汉狗 汉猪",
    ),
    ("A2.1", "medium", "黑奴 南蛮子 鞑子 非洲猴子 劣等民族 劣等人种 低等民族 低等种族 野蛮民族"),
    ("A2.2", "high", "猪斯林 穆狗 穆屎林 绿蛆 绿皮猪 基督狗 耶稣狗 回教狗 清真狗"),
    ("A2.2", "medium", "绿绿 绿教 绿绿们 绿绿人 秃驴 佛棍 教棍"),
    ("A2.2", "medium", "神棍们 信教的都是傻子 宗教都是骗人的 信教都是蠢货"),
    (
        "A2.3",
        "high",
        "倭奴 倭猪 日本狗 日本猪 高丽棒子 韩国棒子 越南猴子 美帝狗 美狗 支那猪 泡菜狗 脚盆鸡 日杂 韩杂",
    ),
    (
        "A2.3",
        "medium",
        "小日本 日本鬼子 棒子国 阿三 印度阿三 猴子国 老毛子 俄毛 洋垃圾 鬼佬 洋鬼子 支那 支那人 泡菜国 阿三国 三哥国 "
        "鬼子们 倭寇们 阿三们 美国佬 英国佬 日本佬 外国佬",
    ),
    (
        "A2.4",
        "high",
        "台巴子 港灿 港猪 大陆蝗虫 河南骗子 新疆小偷 川耗子 川猪 强国狗 内地猪 支蝗",
    ),
    (
        "A2.4",
        "medium",
        "湾湾 弯弯 蝗虫们 北佬 捞仔 偷井盖 偷井盖的 湖南骡子 外地佬 苏北佬 盲流 北方佬 南方佬 东北银 广东佬 福建佬 河南佬 "
        "上海佬 乡巴佬 土包子 蛮子 北蛮 大陆仔 大陆妹 强国人 湾湾仔",
    ),
    (
        "A2.5",
        "high",
        "女权婊 绿茶婊 心机婊 母狗 贱女人 臭婆娘 破鞋 骚货 贱货 婊子 臭婊子 母猪 生育机器",
    ),
    (
        "A2.5",
        "medium",
        "田园女权 田园女拳 女拳师 女拳 男拳 普信男 普信女 国男 蝻 龟男 捞女 拜金女 直男癌 娘炮 娘娘腔 男权癌 黄脸婆 "
        "剩女 肥婆 丑女 头发长见识短 中华田园女权 蝻人 蝈蝻 国蝻 龟蝻",
    ),
    (
        "A2.6",
        "high",
        "老不死 老不死的 老棺材 老棺材瓤子 老废物 死老头 死老太婆 老逼 老而不死",
    ),
    (
        "A2.6",
        "medium",
        "老东西 老糊涂 老太婆 老家伙 为老不尊 坏人变老了 老鬼 巨婴 脑残90后 脑残00后 90后脑残 00后脑残 老不中用 "
        "糟老头 老梆子 老帮菜 老登 老东西们 中年油腻男 油腻男",
    ),
    (
        "A2.7",
        "high",
        "臭保安 臭打工的 臭要饭的 快递狗 外卖狗 臭农民 打工狗 臭保姆 臭服务员 臭送外卖的 臭搬砖的 "
        "臭扫地的 贱民 臭卖菜的 臭捡垃圾的 臭开出租的 民工狗 臭民工 臭城管 城管狗 警察狗 狗警察",
    ),
    (
        "A2.7",
        "medium",
        "戏子 臭老九 泥腿子 土鳖 下三滥 low逼 穷屌丝",
    ),
    (
        "A2.8",
        "high",
        "死瘸子 死瞎子 死残废 艾滋鬼 麻风鬼 低能儿 弱智儿 脑瘫儿",
    ),
    (
        "A2.8",
        "medium",
        "残废 瘸子 瞎子 聋子 跛子 傻子 弱智 智障 脑残 神经病 疯子 废人 病秧子 独眼龙 矮冬瓜 瘫子 傻缺 傻帽 "
        "四眼狗 病鬼 痨病鬼 肺痨鬼 白痴 蠢货",
    ),
    (
        "A2.9",
        "high",
        "死基佬 兔儿爷 二椅子 变态同性恋 同性恋是病 同性恋都是变态 死gay 同性恋恶心 同志都是变态 死肥婆 野种",
    ),
    (
        "A2.9",
        "medium",
        "基佬 搞基 人妖 gay佬 穷逼 穷鬼 肥猪 死胖子 丑八怪 矮矬穷 死矮子 胖猪 基佬们 搞基的 穷鬼们",
    ),
    ("A4.3", "medium", "死全家 全家死光 不得好死 断子绝孙 生孩子没屁眼 祝你全家 你全家都死 你妈死了 你妈炸了 孤儿玩意"),
]

# "{group}&{claim}" rules: a derogatory generalisation about a protected group (A2.x).
GENERIC_DEROGATORY = _w(
    "都是骗子 都是小偷 都是强盗 都是垃圾 都是人渣 都是畜生 都是废物 都是蠢货 都是流氓 素质低下 素质极差 低人一等 劣等人 下等人 "
    "不配做人 没一个好东西 天生就是贼 滚出去"
)

GROUP_RULES: list[tuple[str, str, str]] = [
    (
        "A2.1",
        "维吾尔族 维族 藏族 藏人 回族 回民 蒙古族 满族 汉族 汉人 朝鲜族 壮族 苗族 彝族 哈萨克族 土家族 少数民族 黑人 "
        "黑种人 白人 非洲人 犹太人 吉普赛人",
        "野蛮民族 落后民族 劣等民族 未开化 都是恐怖分子 天生懒惰 基因低劣 不配当中国人",
    ),
    (
        "A2.2",
        "穆斯林 伊斯兰教徒 回教徒 基督徒 天主教徒 佛教徒 和尚 尼姑 道士 犹太教徒 信教的 无神论者",
        "都是恐怖分子 都是疯子 都是极端分子 都是神棍 脑子有病 都是洗脑的 该被消灭 都是邪教",
    ),
    (
        "A2.3",
        "日本人 韩国人 朝鲜人 美国人 印度人 越南人 菲律宾人 泰国人 俄罗斯人 阿拉伯人 巴基斯坦人 印尼人 缅甸人 "
        "蒙古人 外国人 老外 英国人 法国人 德国人 欧洲人 中东人",
        "都该死 都不是人 都是狗 劣等民族 都是野蛮人 滚回去 滚出中国 都是猴子 没有人性",
    ),
    (
        "A2.4",
        "河南人 东北人 上海人 北京人 广东人 四川人 湖北人 湖南人 安徽人 江西人 山东人 福建人 新疆人 甘肃人 贵州人 "
        "广西人 温州人 潮汕人 苏北人 农村人 乡下人 外地人 台湾人 香港人 大陆人 内地人 山西人 陕西人 河北人 天津人 重庆人 "
        "浙江人 江苏人 云南人 海南人 东莞人",
        "偷井盖 骗子多 都是土匪 都是刁民 都是穷鬼 都是乡巴佬 滚回老家 都没文化 都是蝗虫",
    ),
    (
        "A2.5",
        "女人 女的 女性 女生 娘们 妇女 女司机 女博士 男人 男的 男性",
        "头发长见识短 就该在家带孩子 就该待在家里 只配生孩子 生育机器 不适合当领导 天生不如男人 天生比男人笨 "
        "都是拜金 都是捞女 都是婊子 都是渣男 都该阉 都是贱货 就是贱",
    ),
    (
        "A2.6",
        "老人 老年人 老头 老太太 老太婆 大妈 大爷 中年人 90后 00后 80后",
        "老不死 为老不尊 坏人变老了 是社会负担 就该淘汰 该去死 都没用了 都不中用 都是巨婴 脑残一代 垮掉的一代",
    ),
    (
        "A2.7",
        "农民工 保安 清洁工 环卫工 外卖员 快递员 服务员 保姆 出租车司机 护士 城管 民工 打工仔 打工的 洗碗工 "
        "售货员 保洁 农民 工人 销售员",
        "都很低贱 都是下贱 都没出息 都是底层 都是贱民 都是loser 活该穷 就是下等人 不配当人",
    ),
    (
        "A2.8",
        "残疾人 残障人士 瞎子 聋子 哑巴 瘸子 艾滋病人 艾滋病患者 乙肝患者 乙肝携带者 精神病人 抑郁症患者 "
        "自闭症患者 癌症病人",
        "都是累赘 拖累社会 不配活 应该隔离 不配结婚 不配生孩子 都该死 都是废人 活着浪费 社会的负担 都是装病",
    ),
    (
        "A2.9",
        "同性恋 同志 gay 跨性别 穷人 单亲家庭 离婚女人 剩女 胖子 矮子 农村户口 丁克",
        "是种病 是变态 都是变态 该治疗 应该被治好 是精神病 违背自然 活该穷 穷是因为懒 都是懒鬼 不正常的",
    ),
]

ETHNIC_GROUPS = "维吾尔族 维族 维吾尔人 藏族 藏人 回族 回民 蒙古族 满族 汉族 汉人 朝鲜族 壮族 苗族 彝族 哈萨克族 土家族 瑶族 少数民族 黑人"
# Ethnic hatred (A1.5): calls to kill, expel or exterminate a people.
HATRED_TEMPLATES = _w(
    "杀光{g} 屠杀{g} 灭绝{g} 消灭{g} 驱逐{g} 清洗{g} 血洗{g} {g}都该死 {g}都该杀 {g}滚出中国 "
    "{g}不配活着 {g}是劣等民族 {g}都是畜生 仇恨{g} 赶走所有{g}"
)

DISEASES = (
    "癌症 肿瘤 白血病 艾滋病 糖尿病 高血压 乙肝 红斑狼疮 牛皮癣 银屑病 白癜风 癫痫 尿毒症 肝硬化 不孕不育 阳痿 "
    "风湿 痛风 帕金森 老年痴呆 抑郁症 自闭症 近视 脑瘫"
)
# False medical claims (A1.7): cure promises that no treatment can keep.
FALSE_CURE_TEMPLATES = _w(
    "包治{d} 根治{d}不复发 {d}一次根治 {d}祖传秘方 偏方根治{d} {d}药到病除 三天治愈{d} 治愈{d}无效退款 {d}永不复发"
)

# Secession slogans (A1.3). Plain "{region}独立" is left to the core regions only: "上海独立董事" is no slogan.
SECESSION_CORE = "台湾 西藏 新疆 香港 内蒙古 澳门 东突厥斯坦 图博 南蒙古 东突"
SECESSION_OTHER = "东北 满洲 四川 广东 上海 福建 云南 湖南"
SECESSION_CORE_TEMPLATES = [
    ("{r}独立万岁", "high"),
    ("支持{r}独立", "high"),
    ("{r}独立建国", "high"),
    ("{r}脱离中国", "high"),
    ("{r}不是中国的", "medium"),
    ("{r}不属于中国", "medium"),
    ("{r}人不是中国人", "medium"),
]
SECESSION_OTHER_TEMPLATES = [
    ("{r}独立万岁", "high"),
    ("支持{r}独立", "high"),
    ("{r}独立建国", "high"),
    ("{r}脱离中国", "high"),
]

# National security and image (A1.2): trading state secrets, photographing military sites, desecrating the
# flag, emblem and anthem, slandering heroes and martyrs (英雄烈士保护法).
SECRET_ACTIONS = "出售 泄露 倒卖 窃取"
SECRETS = "国家机密 军事机密 军事情报 涉密文件 绝密文件 国家秘密 军事地图 军事坐标 部队番号"
MILITARY_SITES = "军事基地 军港 导弹基地 军用机场 航母 军事设施 军舰 雷达站 军营 部队营区 导弹发射井"
FLAG_ACTIONS = "焚烧 烧毁 践踏 侮辱 撕毁 涂污"
HEROES = (
    "邱少云 黄继光 董存瑞 雷锋 刘胡兰 狼牙山五壮士 江姐 赵一曼 杨靖宇 方志敏 张思德 王二小 戍边英雄 叶挺 吉鸿昌 "
    "赵尚志 左权 彭雪枫 罗盛教 杨根思 毛岸英 王成 李大钊 夏明翰 瞿秋白 八女投江"
)
HERO_SLANDER = "是假的 是编的 是骗人的 活该"


def _state_entries() -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for r in SECESSION_CORE.split():
        out.extend((t.format(r=r), "A1.3", s) for t, s in SECESSION_CORE_TEMPLATES)
    for r in SECESSION_OTHER.split():
        out.extend((t.format(r=r), "A1.3", s) for t, s in SECESSION_OTHER_TEMPLATES)
    out.extend((a + s, "A1.2", "high") for a in SECRET_ACTIONS.split() for s in SECRETS.split())
    out.extend(("偷拍" + s, "A1.2", "medium") for s in MILITARY_SITES.split())
    out.extend((a + f, "A1.2", "medium") for a in FLAG_ACTIONS.split() for f in ("国旗", "国徽"))
    out.extend((a + "国歌", "A1.2", "medium") for a in ("侮辱", "篡改", "恶搞"))
    out.extend((h + s, "A1.2", "medium") for h in HEROES.split() for s in HERO_SLANDER.split())
    out.extend((a + "英烈", "A1.2", "medium") for a in ("侮辱", "诋毁", "亵渎", "抹黑", "丑化"))
    out.extend((w, "A1.2", "medium") for w in ("毛岸英炒饭", "蛋炒饭纪念日", "恶搞英烈", "调侃英烈", "英烈活该"))
    return out


CURATED_TERMS: list[tuple[str, str, str]] = [
    (
        "A1.7",
        "medium",
        "疫苗含有芯片 疫苗植入芯片 疫苗里有芯片 疫苗导致自闭症 疫苗致自闭症 疫苗导致不孕 疫苗是毒药 新冠疫苗致死 "
        "5g传播新冠 5g传播病毒 5g基站传播 喝消毒液杀死病毒 喝消毒液治新冠 喝酒能杀死新冠 喝白酒杀死病毒 吃大蒜防新冠 "
        "板蓝根预防新冠 熏醋杀灭病毒 艾滋针头扎人 艾滋病人扎针 碘盐防辐射 抢盐防辐射 吃碘盐防核辐射 转基因致癌 "
        "转基因导致不育 癌症是骗局 化疗是骗局 艾滋病是骗局 新冠是骗局 疫情是骗局 喝尿治病 尿疗 饮尿疗法 "
        "包治百病 药到病除 祖传秘方 神药 神医包治 无效退款 百分百治愈 百分之百治愈 一针见效 一次根治 永不复发",
    ),
    (
        "A1.7",
        "low",
        "不转不是中国人 转发保平安 速转扩散 紧急扩散 马上要删了 看完就删 内部消息千真万确 不转发死全家 "
        "转疯了 速看马上删 赶紧转发 全国都在转",
    ),
    (
        "A1.1",
        "high",
        "打倒共产党 推翻共产党 推翻中共 打倒中共 推翻共产党统治 推翻社会主义制度 颠覆国家政权 颠覆中共 推翻政府 "
        "打倒政府 推翻专制 推翻暴政 武装起义 共产党下台 中共下台 共产党去死 中共去死 灭共 灭了共产党 解体中共 "
        "中共必亡 天灭中共 共产党必亡 反共复国 共匪 共匪必亡 退党保平安 三退保平安 推翻独裁 打倒独裁 结束一党专政",
    ),
    (
        "A1.3",
        "medium",
        "包围政府 围攻政府 冲击政府 打砸政府 火烧警车 砸警车 掀翻警车 暴力抗法 打砸抢烧 聚众闹事 煽动罢工 上街闹事 "
        "围堵政府 冲击派出所 围攻警察 围攻派出所 火烧政府 炸政府 血洗政府 冲击国家机关",
    ),
    (
        "A1.3",
        "medium",
        "台湾独立 西藏独立 新疆独立 香港独立 内蒙古独立 台独万岁 藏独万岁 疆独万岁 港独万岁 光复香港时代革命 "
        "光复香港 时代革命 支持台独 支持藏独 支持疆独 支持港独 东突厥斯坦独立 东突厥斯坦 自由西藏 西藏国 台湾国 "
        "台湾共和国 香港民族党 一中一台 两个中国 台湾不是中国的 西藏不是中国的 新疆不是中国的 香港不是中国的 "
        "分裂祖国 分裂国家 民族分裂",
    ),
    (
        "A1.2",
        "medium",
        "泄露国家机密 出卖国家机密 国家机密出售 窃取国家机密 军事机密出售 出卖情报 为境外间谍 境外间谍 辱华 "
        "中国人都是猪 中国猪 支那猪 中国人不配 强国人 中华民族劣根 中国必亡 中国灭亡 中国去死",
    ),
    (
        "A1.4",
        "high",
        "圣战 吉哈德 基地组织 伊斯兰国 自杀式袭击 人体炸弹 杀死异教徒 异教徒该死 东伊运 加入伊斯兰国 "
        "效忠伊斯兰国 恐怖袭击教程 制造恐怖袭击",
    ),
]

# Allow-list phrases written by hand (more are found on benign text by the build).
CURATED_ALLOW = _w(
    "路口交通 出口交通 港口交通 入口交通 海口交通 出口交易 进口交易 港口交易 窗口交易 对口交流 接口交互 接口交换 接口交付 人口交 "
    "山口交 路口交 出口交 进口交 河口交 窗口交 闸口交 关口交 港口交 渡口交 井口交 户口交 阴道炎 阴道镜 宫颈 成人教育 成人高考 "
    "成人用品 成年人 成人礼 中国男 美国男 韩国男 外国男 英国男 法国男 德国男 泰国男 荡妇羞辱 各国男 两国男 全国男 该国男 我国男 "
    "本国男 异国男 民国男 扬基佬 虐杀原形 幼女战记"
)

# Statutory crime names (刑法罪名) and the standard's own risk names: quoting the law is no violation.
CRIME_NAMES = _w(
    "颠覆国家政权罪 煽动颠覆国家政权罪 分裂国家罪 煽动分裂国家罪 武装叛乱罪 武装暴乱罪 间谍罪 故意泄露国家秘密罪 过失泄露国家秘密罪 "
    "非法获取国家秘密罪 为境外窃取国家秘密罪 组织卖淫罪 强迫卖淫罪 引诱卖淫罪 容留卖淫罪 介绍卖淫罪 协助组织卖淫罪 引诱幼女卖淫罪 "
    "传播性病罪 贩卖毒品罪 走私贩卖运输制造毒品罪 非法持有毒品罪 容留他人吸毒罪 引诱他人吸毒罪 强迫他人吸毒罪 非法提供麻醉药品 开设赌场罪 "
    "赌博罪 传播淫秽物品罪 传播淫秽物品牟利罪 制作淫秽物品牟利罪 组织播放淫秽音像制品罪 非法制造枪支罪 非法买卖枪支罪 非法持有枪支罪 "
    "非法持有枪支弹药罪 非法制造买卖运输邮寄储存枪支弹药爆炸物罪 盗窃枪支弹药罪 组织利用会道门邪教组织 利用邪教组织破坏法律实施罪 "
    "宣扬恐怖主义极端主义罪 煽动实施恐怖活动罪 帮助恐怖活动罪 组织领导参加恐怖组织罪 煽动民族仇恨民族歧视罪 伪造货币罪 出售购买运输假币罪 "
    "持有使用假币罪 洗钱罪 拐卖妇女儿童罪 拐卖儿童罪 强奸罪 强制猥亵罪 猥亵儿童罪 侮辱国旗国徽罪 侮辱国歌罪 侵害英雄烈士名誉荣誉罪 "
    "非法经营罪 诈骗罪 集资诈骗罪 组织领导传销活动罪 偷越国边境罪 非法出售提供公民个人信息罪 侵犯公民个人信息罪 帮助信息网络犯罪活动罪 "
    "非法利用信息网络罪 走私罪 贩卖毒品 禁毒法 反恐怖主义法 反间谍法 国家安全法 保守国家秘密法 英雄烈士保护法 国旗法 国徽法 国歌法 "
    "治安管理处罚法"
)

# ====================================================================================================
# Sources
# ====================================================================================================


@dataclass(frozen=True)
class Cand:
    raw: str  # as in the upstream list (a rule joined with '&')
    src: str  # "houbb/色情" ...
    hint: str | None  # a cue family the list vouches for, "politics", "url", "sexism", or None
    rule: bool = False


HOUBB_TAG_HINT = {"0": "politics", "1": "drug", "2": "porn", "3": "gamble", "4": "crime"}
HOUBB_CAT_HINT: dict[str, str | None] = {
    "色情类": "porn",
    "毒品": "drug",
    "涉枪涉爆违法": "weapon",
    "暴力": "weapon",
    "邪教": "cult",
    "辱骂": "insult",
    "广告": "spam",
    "网址": "url",
    "政治类": "politics",
    "新闻实事": "politics",
    "不正当竞争": "spam",
    "房产": "spam",
    "其他": None,
    "人名": "names",  # political figures: used only to recognise bare names, never shipped
}
KONSHENG_HINT: dict[str, str | None] = {
    "色情词库": "porn",
    "色情类型": "porn",
    "涉枪涉爆": "weapon",
    "暴恐词库": None,  # mixes cult names, doping drugs and medicine names: cues only
    "反动词库": "politics",
    "政治类型": "politics",
    "贪腐词库": "politics",
    "民生词库": None,
    "其他词库": None,
    "广告类型": "spam",
    "非法网址": "url",
    "零时-Tencent": None,
    "网易前端过滤敏感词库": None,
    "GFW补充词库": None,
    "补充词库": "fragments",  # truncated fragments ("务员考试", "克分析"): only kept with a strong cue
    "COVID-19词库": "covid",
    "新思想启蒙": "skip",  # internet memes about marriage and work ("梭哈结婚"): not harmful
}
# lists whose topic is specific enough that a cue-less term of 3+ characters may keep the list's topic
TRUSTED_HINTS = {"porn", "drug", "gamble", "weapon", "cult"}
FAMILY_OF_HINT = {"politics": ("subvert", "secede", "nation", "cult", "terror")}


def _lines(path: Path) -> list[str]:
    return [ln.strip() for ln in path.read_text(encoding="utf-8-sig").splitlines() if ln.strip()]


def read_sources(data: Path) -> tuple[list[Cand], set[str], list[str]]:
    """All candidate entries, the political-figure names (never shipped) and houbb's allow-list."""
    out: list[Cand] = []
    hb = data / "houbb-sensitive-word"
    for ln in _lines(hb / "sensitive_word_tags.txt"):
        word, _, tags = ln.rpartition(" ")
        if not word:
            continue
        for t in tags.split(","):
            out.append(Cand(word, f"houbb/tag{t}", HOUBB_TAG_HINT.get(t)))
    for ln in _lines(hb / "sensitive_word_dict.txt"):
        out.append(Cand(ln, "houbb/dict", None))
    names: set[str] = set()
    for f in sorted((hb / "categories").glob("*.txt")):
        hint = HOUBB_CAT_HINT.get(f.stem)
        for ln in _lines(f):
            if hint == "names":
                names.add(ln)
            else:
                out.append(Cand(ln, f"houbb/{f.stem}", hint))
    allow = _lines(hb / "sensitive_word_allow.txt")
    ks = data / "sensitive-lexicon" / "Vocabulary"
    for f in sorted(ks.glob("*.txt")):
        hint = KONSHENG_HINT.get(f.stem)
        if hint == "skip":
            continue
        for ln in _lines(f):
            if "+" in ln.strip("+"):
                parts = [p.strip() for p in ln.split("+") if p.strip()]
                out.append(Cand("&".join(parts), f"konsheng/{f.stem}", hint, rule=True))
            else:
                out.append(Cand(ln, f"konsheng/{f.stem}", hint))
    tg = data / "toolgood-words"
    for ln in _lines(tg / "IllegalKeywords.txt"):
        out.append(Cand(ln, "toolgood/IllegalKeywords", None))
    for ln in _lines(tg / "BadWord.txt"):
        out.append(Cand(ln, "toolgood/BadWord", None))
    for ln in _lines(tg / "IllegalUrls.txt"):
        out.append(Cand(ln, "toolgood/IllegalUrls", "url"))
    for ln in _lines(data / "swsr" / "SexHateLex.txt"):
        out.append(Cand(ln, "swsr/SexHateLex", "sexism"))
    return out, names, allow


# ====================================================================================================
# Benign text (for the allow-list and the false-positive report)
# ====================================================================================================


def read_benign(data: Path, shared: Path) -> dict[str, list[str]]:
    sets: dict[str, list[str]] = {}
    docs: list[str] = []
    for p in [shared / "DESIGN.md", *sorted((shared / "reference").glob("*.md"))]:
        if p.exists():
            docs.extend(ln.strip() for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip())
    sets["design_docs"] = docs
    sets["cvalues"] = [
        json.loads(ln)["prompt"]
        for ln in (data / "cvalues" / "cvalues_responsibility_prompts.jsonl").read_text(encoding="utf-8").splitlines()
        if ln.strip()
    ]
    sets["safetyqa"] = [
        json.loads(ln)["question"]
        for ln in (data / "chinese-safetyqa" / "chinese_safetyqa.jsonl").read_text(encoding="utf-8").splitlines()
        if ln.strip()
    ]
    with (data / "cold" / "train.csv").open(encoding="utf-8", newline="") as fh:
        sets["cold_train_nonoffensive"] = [
            r["TEXT"] for r in csv.DictReader(fh) if r.get("split", "train") == "train" and r["label"] == "0"
        ]
    with (data / "xstest" / "xstest_prompts.csv").open(encoding="utf-8", newline="") as fh:
        sets["xstest_safe"] = [r["prompt"] for r in csv.DictReader(fh) if r["label"] == "safe"]
    return sets


def is_heldout(text: str) -> bool:
    """One text in five (by hash) is held out of curation, to report the false-positive rate honestly."""
    return hashlib.sha1(text.encode("utf-8")).digest()[0] % 5 == 0


# ====================================================================================================
# Classification
# ====================================================================================================

FAMILY_PRIORITY = _w("terror privacy cult secede subvert nation weapon drug gamble porn violence crime insult spam")
POLITICAL = {"subvert", "secede", "nation"}
SEV_RANK = {"low": 0, "medium": 1, "high": 2}
_CJK = re.compile(r"[\u3400-\u9fff\U00020000-\U0002a6df]")
_ASCII_ONLY = re.compile(r"^[\x00-\x7f]+$")
_DIGIT_CJK = str.maketrans("0123456789", "〇一二三四五六七八九")
_DOMAIN = re.compile(r"^(?:https?://)?(?:www\.)?((?:[a-z0-9-]+\.)+[a-z]{2,})/?$")


@dataclass
class Verdict:
    norm: str
    raw: str
    risk: str
    severity: str
    family: str
    sources: set[str] = field(default_factory=set)
    rule: bool = False
    strong: bool = False  # classified by a strong cue (or a curated hegui entry)
    protected: bool = False  # never removed by benign curation (curated by hegui)


class Classifier:
    def __init__(self, norm: Callable[[str], str], names: set[str], jieba_freq: dict[str, int]) -> None:
        self.norm = norm
        cf = self.cf
        self.cue_fam: dict[str, list[str]] = {}
        for fam, (_risk, _sev, cues) in CUES.items():
            for c in cues:
                self.cue_fam.setdefault(cf(c), []).append(fam)
        self.weak = {cf(c) for c in WEAK_CUES}
        self.trade = {cf(c) for c in TRADE_CUES}
        self.topic = {norm(c) for c in TOPIC_WORDS}
        self.not_harmful = {norm(c) for c in NOT_HARMFUL}
        self.name_insult = [cf(c) for c in NAME_INSULT_CUES]
        self.sexist = [cf(c) for c in SEXIST_CUES]
        pats = sorted(set(self.cue_fam) | self.trade)
        self.pats = pats
        self.ac = ahocorasick_rs.AhoCorasick(pats, matchkind=ahocorasick_rs.MatchKind.Standard)
        # houbb's 人名 list also holds non-names (颜射): keep name-shaped entries without a cue
        self.names = {n for n in (cf(x) for x in names) if 2 <= len(n) <= 4 and _CJK.match(n) and not self.cues(n)[0]}
        self.name_ac = ahocorasick_rs.AhoCorasick(sorted(self.names)) if self.names else None
        self.freq = jieba_freq

    def cf(self, s: str) -> str:
        """The form cues are matched on: normalised, but with ASCII digits read as Chinese numerals first, so
        the normaliser's look-alike folding (5 -> s, 8 -> b) cannot make "458458.com" contain "sb"."""
        return self.norm(s.translate(_DIGIT_CJK))

    def cues(self, t: str) -> tuple[dict[str, bool], bool]:
        """{family: has a strong cue} and whether a trade/howto cue occurs."""
        fams: dict[str, bool] = {}
        trade = False
        for i, s, e in self.ac.find_matches_as_indexes(t, overlapping=True):
            c = self.pats[i]
            if (c[0].isascii() and c[0].isalnum() and s > 0 and t[s - 1].isascii() and t[s - 1].isalnum()) or (
                c[-1].isascii() and c[-1].isalnum() and e < len(t) and t[e].isascii() and t[e].isalnum()
            ):
                continue  # an ASCII cue inside a longer ASCII word ("sm" in "small")
            if c in self.trade:
                trade = True
            for fam in self.cue_fam.get(c, ()):
                fams[fam] = fams.get(fam, False) or c not in self.weak
        return fams, trade

    def only_cues(self, t: str) -> bool:
        """Whether cue words cover every character of the term."""
        covered = [False] * len(t)
        for i, s, e in self.ac.find_matches_as_indexes(t, overlapping=True):
            if self.pats[i] in self.cue_fam:
                for k in range(s, e):
                    covered[k] = True
        return all(covered)

    def has_name(self, t: str) -> bool:
        return self.name_ac is not None and bool(self.name_ac.find_matches_as_indexes(t))

    def classify(self, c: Cand) -> tuple[Verdict | None, str]:
        """A verdict, or None and the reason the candidate is dropped."""
        if c.rule:
            return self._classify_rule(c)
        raw = c.raw.strip()
        t = self.norm(raw)
        ct = self.cf(raw)  # cue form
        m = _DOMAIN.match(raw.lower())
        if m and c.hint != "url":
            return None, "a domain outside the URL lists"
        if m:
            dom = m.group(1)
            return Verdict(self.norm(dom), dom, "X.ABUSE.SPAM", "low", "spam", {c.src}), ""
        if c.hint == "url":
            return None, "not a domain"
        if len(t) < 2:
            return None, "single character"
        if raw.isdigit() or re.fullmatch(r"[\d\s.\-]+", raw):
            return None, "digits only"
        if _ASCII_ONLY.match(t) and len(t.replace(" ", "")) < 3:
            return None, "ascii shorter than 3"
        if len(t) > 24:
            return None, "longer than 24 characters"
        if t in self.not_harmful:
            return None, "everyday word"
        fams, trade = self.cues(ct)
        hint = c.hint
        if hint == "sexism":
            return self._classify_sexism(c, t, ct, fams)
        allowed_by_hint: tuple[str, ...] = FAMILY_OF_HINT.get(hint or "", (hint,) if hint else ())
        fam: str | None = None
        any(fams.values())
        agreeing = [f for f in FAMILY_PRIORITY if f in fams and f in allowed_by_hint]
        strong_fams = [f for f in FAMILY_PRIORITY if fams.get(f)]
        if agreeing and (fams[agreeing[0]] or not strong_fams):
            fam = agreeing[0]
        elif strong_fams:
            fam = strong_fams[0]
        elif agreeing:
            fam = agreeing[0]
        elif trade and (weak_contraband := [f for f in FAMILY_PRIORITY if f in fams and f in CONTRABAND]):
            fam = weak_contraband[0]  # a weak cue plus a trade cue: "3棱军刀专卖qq"
        elif hint in TRUSTED_HINTS and len(t) >= 3 and self.freq.get(t, 0) < 20:
            fam = hint
        elif hint == "spam" and len(t) >= 3 and self.freq.get(t, 0) < 20:
            fam = "spam"
        if fam is None:
            return None, "no cue (untyped list)" if not fams else "weak cue only"
        if hint == "fragments" and not fams.get(fam):
            return None, "fragment without a strong cue"
        if self.freq.get(t, 0) >= 1000 and t not in self.topic:
            return None, "everyday word (frequent)"
        # bare names of political figures: kept only in insulting or hateful combinations
        if fam in POLITICAL and self.has_name(ct) and not any(x in ct for x in self.name_insult):
            return None, "person name"
        if (
            fam in ("subvert", "secede", "nation")
            and 2 <= len(t) <= 3
            and t[0] in SURNAMES
            and not fams.get(fam)
            and not any(x in ct for x in self.name_insult)
        ):
            return None, "looks like a person name"
        if ct in self.weak and t not in self.topic:
            return None, "a weak cue on its own"
        if fam == "spam" and ct in self.cue_fam:
            return None, "a spam cue on its own (兼职, 代购)"
        risk, sev, _ = CUES[fam]
        if not fams.get(fam):
            sev = "low" if fams else ("medium" if hint in TRUSTED_HINTS else "low")
        elif fam in ("weapon", "drug") and not trade and self.only_cues(ct):
            sev = "low"  # the bare name of a substance or item (冰毒, 枪支弹药): mentioned in news and law too
        if fam in CONTRABAND and trade:
            sev = "high" if fams.get(fam) else "medium"
        if t in self.topic:
            sev = "low"
        return Verdict(t, raw, risk, sev, fam, {c.src}, strong=bool(fams.get(fam))), ""

    def _classify_sexism(self, c: Cand, t: str, ct: str, fams: dict[str, bool]) -> tuple[Verdict | None, str]:
        if any(x in ct for x in self.sexist):
            return Verdict(t, c.raw.strip(), "A2.5", "medium", "sexism", {c.src}, strong=True), ""
        strong_fams = [f for f in FAMILY_PRIORITY if fams.get(f)]
        if not strong_fams:
            return None, "no cue (noisy sexism list)"
        fam = strong_fams[0]
        if self.freq.get(t, 0) >= 1000 and t not in self.topic:
            return None, "everyday word (frequent)"
        risk, sev, _ = CUES[fam]
        return Verdict(t, c.raw.strip(), risk, "low" if t in self.topic else sev, fam, {c.src}, strong=True), ""

    def _classify_rule(self, c: Cand) -> tuple[Verdict | None, str]:
        parts = [self.norm(p) for p in c.raw.split("&")]
        if any(len(p) < 2 for p in parts):
            return None, "rule with a one-character part"
        fams: dict[str, bool] = {}
        for p in c.raw.split("&"):
            f, _ = self.cues(self.cf(p))
            for k, v in f.items():
                fams[k] = fams.get(k, False) or v
        strong_fams = [f for f in FAMILY_PRIORITY if fams.get(f)]
        if strong_fams:
            fam = strong_fams[0]
            risk, sev, _ = CUES[fam]
            # the matcher looks for a rule when its last part occurs: put the longest (rarest) part last
            raws = c.raw.split("&")
            order = sorted(range(len(parts)), key=lambda i: (len(parts[i]), i))
            raw = "&".join(raws[i] for i in order)
            norm_rule = "&".join(parts[i] for i in order)
            return Verdict(norm_rule, raw, risk, sev, fam, {c.src}, rule=True, strong=True), ""
        return None, "rule without a cue"


# ====================================================================================================
# Curated hegui entries
# ====================================================================================================


def curated_entries() -> list[tuple[str, str, str]]:
    """(term or rule, risk, severity) written by hegui."""
    out: list[tuple[str, str, str]] = []
    for risk, sev, words in SLURS:
        out.extend((w, risk, sev) for w in words.split())
    for risk, groups, preds in GROUP_RULES:
        for g in groups.split():
            for p in [*GENERIC_DEROGATORY, *preds.split()]:
                out.append((f"{g}&{p}", risk, "medium"))
    for tmpl in HATRED_TEMPLATES:
        for g in ETHNIC_GROUPS.split():
            out.append((tmpl.format(g=g), "A1.5", "high"))
    for tmpl in FALSE_CURE_TEMPLATES:
        for d in DISEASES.split():
            out.append((tmpl.format(d=d), "A1.7", "medium"))
    for risk, sev, words in CURATED_TERMS:
        out.extend((w, risk, sev) for w in words.split())
    out.extend(_state_entries())
    return out


# ====================================================================================================
# Build
# ====================================================================================================


def jieba_frequencies() -> dict[str, int]:
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    freq: dict[str, int] = {}
    for ln in path.read_text(encoding="utf-8").splitlines():
        parts = ln.split(" ")
        if len(parts) >= 2:
            freq[parts[0]] = int(parts[1])
    return freq


UPSTREAM_ABBR = {"houbb": "hb", "konsheng": "ks", "toolgood": "tg", "swsr": "swsr", "hegui": "hegui"}


def short_sources(sources: set[str]) -> str:
    """``houbb/tag2``, ``houbb/dict``, ``konsheng/色情词库`` -> ``hb:t2;ks:色情词库`` (legend in LEXICON_SOURCES.md)."""
    by_up: dict[str, set[str]] = {}
    for s in sources:
        up, _, lst = s.partition("/")
        by_up.setdefault(up, set()).add(lst.replace("tag", "t") if up == "houbb" else lst)
    parts = []
    for up in sorted(by_up):
        lists = by_up[up]
        if up == "houbb" and len(lists) > 1:
            lists.discard("dict")
        lists.discard("")
        abbr = UPSTREAM_ABBR.get(up, up)
        parts.append(f"{abbr}:{'+'.join(sorted(lists))}" if lists else abbr)
    return ";".join(parts)


def make_library(verdicts: list[Verdict], allow: list[str], version: str, updated: str) -> Library:
    lib = Library(
        name="hegui-default",
        version=version,
        updated=updated,
        meta={
            "description": "hegui default word library, curated from permissively licensed lists (see LEXICON_SOURCES.md)",
            "license": "Apache-2.0 (derived from Apache-2.0 and MIT sources; see LEXICON_SOURCES.md)",
            "generator": "scripts/build_lexicon.py",
        },
    )
    for v in sorted(verdicts, key=lambda v: (v.risk, v.rule, v.norm)):
        src = short_sources(v.sources)
        if v.rule:
            pos = v.raw.split("&")
            term = "&".join(escape_part(p) for p in pos)
            lib.entries.append(parse_entry(term, v.risk, v.severity, src))
        else:
            lib.entries.append(parse_entry(escape_part(v.raw), v.risk, v.severity, src))
    for a in sorted(set(allow)):
        lib.allow.append(parse_entry(escape_part(a), "allow", "", "hegui"))
    return lib


def representative(raws: list[str], norm: Callable[[str], str]) -> str:
    """The variant to show as evidence: the one normalisation changes least, then the shortest."""

    def cost(r: str) -> tuple[int, int, str]:
        changed = sum(1 for ch in r if norm(ch) != ch)
        return (changed, len(r), r)

    return min(raws, key=cost)


class Benign:
    """Benign texts with jieba token boundaries, split into curation and held-out parts."""

    def __init__(self, sets: dict[str, list[str]], normalizer: Normalizer) -> None:
        import jieba

        jieba.setLogLevel(60)
        self.sets = sets
        self.items: list[tuple[str, bool, str, Any, set[int], set[int]]] = []
        for name, texts in sets.items():
            for t in dict.fromkeys(texts):
                held = name != "design_docs" and is_heldout(t)
                toks = list(jieba.tokenize(t))
                starts = {s for _, s, _ in toks}
                ends = {e for _, _, e in toks}
                self.items.append((name, held, t, normalizer.normalize(t), starts, ends))

    def tokens(self, text: str) -> list[tuple[str, int, int]]:
        import jieba

        return list(jieba.tokenize(text))


def fp_report(compiled: CompiledLexicon, benign: Benign) -> dict[str, Any]:
    """Share of benign texts with any finding, and with a medium or high finding (rules included)."""
    rep: dict[str, Any] = {}
    for name in benign.sets:
        for held in (False, True):
            rows = [it for it in benign.items if it[0] == name and it[1] == held]
            if not rows:
                continue
            anyhit = med = 0
            for _n, _h, _t, nt, _s, _e in rows:
                found = compiled.scan(nt)
                if found:
                    anyhit += 1
                    if any(f.severity is not Severity.LOW for f in found):
                        med += 1
            rep[f"{name}/{'heldout' if held else 'curation'}"] = {
                "texts": len(rows),
                "flagged": anyhit,
                "flagged_pct": round(100 * anyhit / len(rows), 2),
                "flagged_medium_plus": med,
                "flagged_medium_plus_pct": round(100 * med / len(rows), 2),
            }
    return rep


def compile_library(lib: Library, normalizer: Normalizer) -> CompiledLexicon:
    return CompiledLexicon(lib.entries, lib.allow, normalizer.normalize_term)


def compile_terms(
    verdicts: list[Verdict], allow: list[str], normalizer: Normalizer
) -> tuple[CompiledLexicon, dict[str, Verdict]]:
    """Compile the plain terms only (for locating benign hits term by term)."""
    by_norm: dict[str, Verdict] = {}
    entries = []
    for v in verdicts:
        if v.rule:
            continue
        by_norm[v.norm] = v
        entries.append(parse_entry(escape_part(v.norm), v.risk, v.severity, ""))
    allow_e = [parse_entry(escape_part(a), "allow", "", "") for a in allow]
    return CompiledLexicon(entries, allow_e, normalizer.normalize_term), by_norm


def curate_on_benign(
    verdicts: list[Verdict], allow: list[str], benign: Benign, normalizer: Normalizer, clf: Classifier
) -> tuple[list[Verdict], list[str], dict[str, Any]]:
    """Curate the library on the curation part of the benign text.

    * A hit that straddles word boundaries (路口|交通 for 口交) makes the enclosing words (at most two characters
      beyond the hit on each side) an allow-list phrase, unless the phrase holds another strong cue (他妈的 for
      妈的 is no allow phrase).
    * A term that benign text uses as a word of its own is removed when it was classified without a strong cue;
      a strong-cue term used so in 2+ edited texts (not COLD's social-media rows, whose labels are noisy) is
      lowered to ``low`` (a topic word in practice). hegui's
      curated entries and topic words are left as they are.
    """
    compiled, by_norm = compile_terms(verdicts, allow, normalizer)
    pats = compiled.patterns
    word_hits: Counter[str] = Counter()
    formal_hits: Counter[str] = Counter()  # hits in edited text (not social media with label noise)
    new_allow: Counter[str] = Counter()
    rejected_allow: Counter[str] = Counter()
    for name, held, text, nt, starts, ends in benign.items:
        if held:
            continue
        hits = compiled.raw_hits(nt.text)
        if not hits:
            continue
        seen: set[str] = set()
        toks: list[tuple[str, int, int]] | None = None
        for pid, a, b in hits:
            if pid < 0:
                continue
            v = by_norm.get(pats[pid])
            if v is None:
                continue
            oa, ob = nt.orig_span(a, b)
            if oa in starts and ob in ends:
                if v.norm not in seen:
                    word_hits[v.norm] += 1
                    if name in FORMAL_SETS:
                        formal_hits[v.norm] += 1
                    seen.add(v.norm)
                continue
            if toks is None:
                toks = benign.tokens(text)
            left = next((s for _w, s, e in toks if s <= oa < e), oa)
            right = next((e for _w, s, e in toks if s < ob <= e), ob)
            left = max(left, oa - 2) if left < oa else oa
            right = min(right, ob + 2) if right > ob else ob
            phrase = text[left:right].strip()
            pn = normalizer.normalize_term(phrase)
            if pn == v.norm or len(pn) <= len(v.norm) or pn in by_norm:
                continue
            pc, vc = clf.cf(phrase), clf.cf(v.raw)
            other = [
                clf.pats[i]
                for i, _s, _e in clf.ac.find_matches_as_indexes(pc, overlapping=True)
                if clf.pats[i] in clf.cue_fam and clf.pats[i] not in clf.weak and clf.pats[i] not in vc
            ]
            if other:
                rejected_allow[phrase] += 1
                continue
            new_allow[phrase] += 1
    removed: dict[str, int] = {}
    lowered: dict[str, int] = {}
    kept: list[Verdict] = []
    for v in verdicts:
        n = word_hits.get(v.norm, 0)
        if n and not v.protected and not v.rule and v.norm not in TOPIC_NORM:
            if not v.strong:
                removed[v.raw] = n
                continue
            if formal_hits.get(v.norm, 0) >= 2 and v.severity != "low":
                v.severity = "low"
                lowered[v.raw] = formal_hits[v.norm]
        kept.append(v)
    allow_out = sorted(set(allow) | set(new_allow))
    info = {
        "removed_terms": len(removed),
        "removed": sorted(removed.items(), key=lambda kv: (-kv[1], kv[0])),
        "lowered_terms": len(lowered),
        "lowered": sorted(lowered.items(), key=lambda kv: (-kv[1], kv[0])),
        "allow_added": len(new_allow),
        "allow_added_list": sorted(new_allow.items(), key=lambda kv: (-kv[1], kv[0])),
        "allow_rejected": sorted(rejected_allow.items(), key=lambda kv: (-kv[1], kv[0])),
        "kept_benign_word_hits": sorted(
            ((v.raw, word_hits[v.norm]) for v in kept if word_hits.get(v.norm)), key=lambda kv: (-kv[1], kv[0])
        ),
    }
    return kept, allow_out, info


TOPIC_NORM: set[str] = set()
FORMAL_SETS = {"design_docs", "cvalues", "safetyqa", "xstest_safe"}


def _verdict_rank(v: Verdict) -> tuple[bool, int, int]:
    fam = -FAMILY_PRIORITY.index(v.family) if v.family in FAMILY_PRIORITY else -99
    return (v.strong, SEV_RANK[v.severity], fam)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Build hegui's default word library from permissive lists.")
    ap.add_argument(
        "--data", type=Path, default=SHARED / "data", help="the shared data folder (default: ../shared/data)"
    )
    ap.add_argument("--out", type=Path, default=OUT, help="the library file to write")
    ap.add_argument("--sources-md", type=Path, default=SOURCES_MD, help="the attribution and report file to write")
    ap.add_argument("--report", type=Path, default=None, help="also write the full JSON report here")
    ap.add_argument("--version", default=LIBRARY_VERSION)
    ap.add_argument("--updated", default=LIBRARY_UPDATED)
    args = ap.parse_args(argv)
    data: Path = args.data
    shared = data.parent

    normalizer = Normalizer()
    normalizer.load()
    norm = normalizer.normalize_term
    TOPIC_NORM.update(norm(w) for w in TOPIC_WORDS)

    cands, names, houbb_allow = read_sources(data)
    freq = jieba_frequencies()
    clf = Classifier(norm, names, freq)

    # 1. classify every candidate; merge candidates with the same normalised form
    dropped: Counter[str] = Counter()
    drop_examples: dict[str, list[str]] = {}
    groups: dict[tuple[str, bool], list[Verdict]] = {}
    naive: set[str] = set()
    for c in cands:
        if not c.rule:
            nn = norm(c.raw)
            if len(nn) >= 2:
                naive.add(nn)
        v, why = clf.classify(c)
        if v is None:
            dropped[why] += 1
            ex = drop_examples.setdefault(why, [])
            if len(ex) < 30:
                ex.append(c.raw)
            continue
        groups.setdefault((v.norm, v.rule), []).append(v)
    verdicts: list[Verdict] = []
    for vs in groups.values():
        best = max(vs, key=_verdict_rank)
        best.sources = {s for v in vs if v.risk == best.risk for s in v.sources}
        best.raw = representative([v.raw for v in vs if v.risk == best.risk], norm) if not best.rule else best.raw
        verdicts.append(best)
    upstream_n = len(verdicts)

    # 2. hegui's curated entries (override upstream classification of the same form)
    cur = curated_entries()
    cur_norm: dict[tuple[str, bool], Verdict] = {}
    for term, risk, sev in cur:
        is_rule = "&" in term
        nform = "&".join(norm(p) for p in term.split("&")) if is_rule else norm(term)
        cur_norm[(nform, is_rule)] = Verdict(
            nform, term, risk, sev, "hegui", {"hegui"}, rule=is_rule, strong=True, protected=True
        )
    verdicts = [v for v in verdicts if (v.norm, v.rule) not in cur_norm] + list(cur_norm.values())
    for v in verdicts:
        if v.norm in TOPIC_NORM and not v.rule:
            v.severity = "low"

    # a rule whose parts include a term of the same risk adds nothing the term does not already report
    term_risks = {(v.norm, v.risk) for v in verdicts if not v.rule}
    redundant = [v for v in verdicts if v.rule and any((p, v.risk) in term_risks for p in v.norm.split("&"))]
    verdicts = [v for v in verdicts if not (v.rule and any((p, v.risk) in term_risks for p in v.norm.split("&")))]

    # 3. benign curation
    sets = read_benign(data, shared)
    benign = Benign(sets, normalizer)
    allow0 = sorted(set(houbb_allow) | set(CURATED_ALLOW) | set(CRIME_NAMES) | {r.zh for r in RISKS})
    naive_lib = make_library([Verdict(n, n, "A1.8", "medium", "naive") for n in sorted(naive)], [], "0", args.updated)
    fp_naive = fp_report(compile_library(naive_lib, normalizer), benign)
    fp_before = fp_report(compile_library(make_library(verdicts, allow0, "0", args.updated), normalizer), benign)
    verdicts, allow, cinfo = curate_on_benign(verdicts, allow0, benign, normalizer, clf)
    fp_after = fp_report(compile_library(make_library(verdicts, allow, "0", args.updated), normalizer), benign)

    lib = make_library(verdicts, allow, args.version, args.updated)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_library(lib, args.out)
    lib2 = load_library(args.out)  # round-trip check
    assert lib2.size == lib.size

    cov: Counter[str] = Counter(e.risk for e in lib.entries)
    cov_rules: Counter[str] = Counter(e.risk for e in lib.entries if e.kind == "rule")
    cov_hegui: Counter[str] = Counter(e.risk for e in lib.entries if e.source == "hegui")
    report = {
        "library": {"name": lib.name, "version": lib.version, "entries": lib.size, "allow": len(lib.allow)},
        "candidates": len(cands),
        "naive_union_terms": len(naive),
        "upstream_kept": upstream_n,
        "curated_hegui": len(cur_norm),
        "redundant_rules_dropped": len(redundant),
        "dropped": dict(sorted(dropped.items(), key=lambda kv: -kv[1])),
        "drop_examples": drop_examples,
        "coverage": {
            r.code: {
                "count": cov[r.code],
                "rules": cov_rules[r.code],
                "hegui": cov_hegui[r.code],
                "floor": r.min_keywords,
            }
            for r in RISKS
        },
        "fp_naive_union": fp_naive,
        "fp_before_benign_curation": fp_before,
        "fp_after": fp_after,
        "benign_curation": cinfo,
        "severity": dict(Counter(e.severity.value if e.severity else "" for e in lib.entries)),
    }
    if args.report:
        args.report.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    write_sources_md(args.sources_md, report, lib)
    print(f"wrote {args.out} ({lib.size} entries, {len(lib.allow)} allow phrases, {args.out.stat().st_size} bytes)")
    print_summary(report)
    return 0


def print_summary(rep: dict[str, Any]) -> None:
    print("coverage (count / floor):")
    for code, row in rep["coverage"].items():
        if row["floor"] or row["count"]:
            flag = "" if row["count"] >= row["floor"] else "  <-- below floor"
            print(
                f"  {code:14} {row['count']:6} / {row['floor']:4}  (rules {row['rules']}, hegui {row['hegui']}){flag}"
            )
    print("false positives (texts with any hit / with a medium+ hit):")
    for key in rep["fp_after"]:
        a = rep["fp_naive_union"][key]
        b = rep["fp_before_benign_curation"][key]
        c = rep["fp_after"][key]
        print(
            f"  {key:36} n={c['texts']:6}  naive {a['flagged_pct']:6.2f}%  "
            f"before {b['flagged_pct']:6.2f}% / {b['flagged_medium_plus_pct']:6.2f}%  "
            f"after {c['flagged_pct']:6.2f}% / {c['flagged_medium_plus_pct']:6.2f}%"
        )


# ====================================================================================================
# Attribution and report (LEXICON_SOURCES.md)
# ====================================================================================================

ATTRIBUTION = """\
# Sources of the default word library

`default_lexicon.tsv` (library `hegui-default`) is generated by `scripts/build_lexicon.py` from the permissively
licensed word lists below, plus entries written by the hegui authors (source column `hegui`). Each entry's
source column names the upstream list(s) it was taken from. The upstream terms were normalised, re-classified
to TC260 risk codes, filtered and curated; see the build script for every rule applied.

| source column | upstream | licence | files used |
|---|---|---|---|
| `hb:t0`..`hb:t4` (tags 政治, 毒品, 色情, 赌博, 违法犯罪), `hb:d` (untagged dictionary), `hb:<category>` | houbb/sensitive-word, commit bac9a30 (dictionaries), a851520 / c431e24 (category lists) | Apache-2.0 | sensitive_word_tags.txt, sensitive_word_dict.txt, categories/*.txt, sensitive_word_allow.txt (allow-list) |
| `ks:<list>` | konsheng/Sensitive-lexicon, commit 5a8da94 | MIT | Vocabulary/*.txt (`A+B` lines are read as `A&B` rules) |
| `tg:<file>` | toolgood/ToolGood.Words, commit 33019cd | Apache-2.0 | IllegalKeywords.txt, BadWord.txt, IllegalUrls.txt |
| `swsr:SexHateLex` | aggiejiang/SWSR, commit 7b32018 | MIT | SexHateLex.txt |
| `hegui` | written for hegui | Apache-2.0 (this project) | curated slurs, `{group}&{claim}` rules, hatred phrases, false medical claims, slogans |

An entry found in several lists names them all, e.g. `hb:t1+t4;ks:零时-Tencent;tg:IllegalKeywords`.

Licence notices:

- houbb/sensitive-word — Copyright houbb. Licensed under the Apache License, Version 2.0.
- ToolGood.Words — Copyright ToolGood. Licensed under the Apache License, Version 2.0.
- konsheng/Sensitive-lexicon — Copyright (c) konsheng. MIT License: Permission is hereby granted, free of charge,
  to any person obtaining a copy of this software and associated documentation files, to deal in the Software
  without restriction, subject to the condition that the copyright notice and this permission notice are
  included in all copies or substantial portions of the Software.
- SWSR (Sina Weibo Sexism Review) — Copyright (c) the SWSR authors (Jiang et al., 2022). MIT License (as above).

Not used: the ToxiCN insult lexicon (CC BY-NC-ND 4.0) and funNLP's lists (no licence); they may only be read
by tests and benchmarks at run time from `../shared/data`.

Benign text used to curate the allow-list and removals (read at build time, not shipped): the project's DESIGN.md
and reference notes, CValues responsibility prompts (Apache-2.0), Chinese SafetyQA questions (MIT), the
non-offensive rows of the COLD *train* split (Apache-2.0) and the XSTest safe prompts (CC BY 4.0). No test split
was used. One text in five of each set (chosen by hash) was held out of curation; its rates are reported
separately below.

Rebuild: `.venv/bin/python scripts/build_lexicon.py --data ../shared/data` (needs OpenCC, pypinyin and jieba).
"""


def write_sources_md(path: Path, rep: dict[str, Any], lib: Library) -> None:
    out = [ATTRIBUTION, "", f"## Build report for {lib.name} {lib.version}", ""]
    out.append(
        f"{rep['candidates']} upstream candidate lines ({rep['naive_union_terms']} distinct normalised terms of 2+ "
        f"characters); {rep['upstream_kept']} upstream entries kept after classification and filtering, "
        f"{rep['curated_hegui']} hegui entries added; after benign curation the library holds "
        f"{lib.size} entries and {len(lib.allow)} allow-list phrases "
        f"({rep['benign_curation']['removed_terms']} terms removed and {rep['benign_curation']['allow_added']} "
        "allow phrases found on benign text)."
    )
    out += ["", "### Coverage per risk (entries / floor of TC260-003 App. B.1.1)", ""]
    out.append("| risk | entries | of which rules | of which hegui | floor | met |")
    out.append("|---|---|---|---|---|---|")
    scope = 0
    for code, row in rep["coverage"].items():
        if code.startswith(("A1", "A2")):
            scope += row["count"]
        if not (row["count"] or row["floor"]):
            continue
        met = "yes" if row["count"] >= row["floor"] else "**no**"
        out.append(f"| {code} | {row['count']} | {row['rules']} | {row['hegui']} | {row['floor']} | {met} |")
    out.append("")
    out.append(f"A1.x + A2.x entries: {scope} (floor 10,000: {'met' if scope >= 10000 else '**not met**'}).")
    out.append("")
    out.append(
        "How the floors are met, honestly: the upstream lists are dominated by pornography and contraband ads "
        "(A1.6, A1.8) and by banned-event and insulting-party terms (A1.1). They hold almost no discrimination "
        "(A2.x), ethnic hatred (A1.5) or false-information (A1.7) entries, so those floors are met by hegui's own "
        "entries: for A2.x mostly generated `{group}&{derogatory claim}` rules (each a generalisation such as "
        "`河南人&都是骗子`; they fire only when both parts occur in one text), plus slurs; for A1.5 calls to kill or "
        "expel a people (`杀光{group}`); for A1.7 cure promises (`包治{disease}`) and known health rumours; for "
        "A1.2 and A1.3 trading state secrets, desecration of national symbols, slander of martyrs and secession "
        "slogans. The `X.ABUSE.SPAM` domains come from old URL blacklists and are kept at `low`."
    )
    out.append(f"Severity mix: {', '.join(f'{k} {v}' for k, v in sorted(rep['severity'].items()))}.")
    out += ["", "### False positives on benign text", ""]
    out.append(
        "Share of texts with at least one finding (any severity / medium or high). *naive* = every distinct term "
        "of 2+ characters of the upstream lists; *before* = after classification and filtering, before benign "
        "curation; *after* = the shipped library."
    )
    out.append("")
    out.append("| set | texts | naive | before (any / medium+) | after (any / medium+) |")
    out.append("|---|---|---|---|---|")
    for key, c in rep["fp_after"].items():
        a = rep["fp_naive_union"][key]
        b = rep["fp_before_benign_curation"][key]
        out.append(
            f"| {key} | {c['texts']} | {a['flagged_pct']:.2f}% | {b['flagged_pct']:.2f}% / "
            f"{b['flagged_medium_plus_pct']:.2f}% | {c['flagged_pct']:.2f}% / {c['flagged_medium_plus_pct']:.2f}% |"
        )
    out.append("")
    out.append("")
    out.append(
        "The design documents are used for curation only (no held-out part). The held-out rows were never seen "
        "by the curation step."
    )
    out.append(
        "Remaining hits on benign text are mostly low-severity topic words (毒品, 色情, 赌博 ... in questions about the "
        "law) and, in COLD, slurs in rows labelled non-offensive (reporting or label noise)."
    )
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
